import { raftpb } from '@mk/proto';
import { ConfState, Entry, EntryType, HardState, Message, MessageType, Snapshot } from '@mk/raft';

/**
 * Conversions between @mk/raft's plain values and their wire/disk form (proto/raftpb). Used by the
 * peer transport and by the on-disk Raft log. Decoders check what protobuf cannot (known enum
 * values) so damaged data is refused instead of being fed to Raft.
 */

const emptyBytes = new Uint8Array(0);

function entryType(t: number, where: string): EntryType {
  if (t !== EntryType.Normal && t !== EntryType.ConfChange) throw new RangeError(`${where}: unknown entry type ${t}`);
  return t;
}

export function entryToPb(e: Entry): raftpb.Entry.$Properties {
  return { term: e.term, index: e.index, type: e.type as number as raftpb.EntryType, data: e.data };
}

export function entryFromPb(p: raftpb.Entry.$Properties, where = 'entry'): Entry {
  return { term: p.term ?? 0, index: p.index ?? 0, type: entryType(p.type ?? 0, where), data: p.data ?? emptyBytes };
}

export function encodeEntry(e: Entry): Uint8Array {
  return raftpb.Entry.encode(entryToPb(e)).finish();
}

export function decodeEntry(bytes: Uint8Array, where = 'entry'): Entry {
  return entryFromPb(raftpb.Entry.decode(bytes), where);
}

export function encodeHardState(hs: HardState): Uint8Array {
  return raftpb.HardState.encode(hs).finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const p = raftpb.HardState.decode(bytes);
  return { term: p.term, vote: p.vote, commit: p.commit };
}

function confStateFromPb(p: raftpb.ConfState.$Properties | null | undefined): ConfState {
  return { voters: [...(p?.voters ?? [])] };
}

export function snapshotToPb(s: Snapshot): raftpb.Snapshot.$Properties {
  return {
    data: s.data,
    metadata: { index: s.metadata.index, term: s.metadata.term, confState: { voters: s.metadata.confState.voters } },
  };
}

export function snapshotFromPb(p: raftpb.Snapshot.$Properties): Snapshot {
  const md = p.metadata;
  return {
    data: p.data ?? emptyBytes,
    metadata: { index: md?.index ?? 0, term: md?.term ?? 0, confState: confStateFromPb(md?.confState) },
  };
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  return raftpb.Snapshot.encode(snapshotToPb(s)).finish();
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  return snapshotFromPb(raftpb.Snapshot.decode(bytes));
}

export function encodeMessage(m: Message): Uint8Array {
  return raftpb.Message.encode(messageToPb(m)).finish();
}

export function decodeMessage(bytes: Uint8Array): Message {
  return messageFromPb(raftpb.Message.decode(bytes));
}

export function messageToPb(m: Message): raftpb.Message.$Properties {
  const p: raftpb.Message.$Properties = {
    type: m.type as number as raftpb.MessageType,
    to: m.to,
    from: m.from,
    term: m.term,
    logTerm: m.logTerm,
    index: m.index,
    entries: m.entries.map(entryToPb),
    commit: m.commit,
    reject: m.reject,
    rejectHint: m.rejectHint,
  };
  if (m.snapshot) p.snapshot = snapshotToPb(m.snapshot);
  if (m.context) p.context = m.context;
  return p;
}

/** Converts a decoded wire message, refusing unknown message or entry types. */
export function messageFromPb(p: raftpb.Message): Message {
  const type = p.type as number;
  if (MessageType[type] === undefined) throw new RangeError(`raft message: unknown type ${type}`);
  const m: Message = {
    type,
    to: p.to,
    from: p.from,
    term: p.term,
    logTerm: p.logTerm,
    index: p.index,
    entries: p.entries.map((e) => entryFromPb(e, 'raft message entry')),
    commit: p.commit,
    reject: p.reject,
    rejectHint: p.rejectHint,
  };
  if (p.snapshot) m.snapshot = snapshotFromPb(p.snapshot);
  if (p.context && p.context.length > 0) m.context = p.context;
  return m;
}
