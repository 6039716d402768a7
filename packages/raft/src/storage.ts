import { CompactedError, SnapshotOutOfDateError, UnavailableIndexError } from './errors';
import { ConfState, Entry, HardState, Snapshot } from './types';

/**
 * The stable part of a node's Raft state, as Raft reads it. Everything here must already be
 * durable. It is synchronous on purpose: the core never waits. A persistent implementation keeps an
 * in-memory view of its log tail and writes through to disk (the store's LevelDB storage does).
 */
export interface Storage {
  /** Hard state and the configuration as of the latest snapshot. */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most `maxBytes` of entry data but always at least one. */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** Term of entry `i`, for firstIndex()-1 <= i <= lastIndex(). */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first entry still available (entries before it are in the snapshot). */
  firstIndex(): number;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
}

export function entrySize(e: Entry): number {
  return e.data.length + 16;
}

/** Cuts `ents` after the prefix whose size fits `maxBytes`; always keeps the first entry. */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

const emptySnapshot = (confState: ConfState): Snapshot => ({
  metadata: { index: 0, term: 0, confState },
  data: new Uint8Array(0),
});

/**
 * Storage kept in memory. Used by tests and simulations as a node's "disk", and a model for the
 * persistent implementation. `ents[0]` is a dummy entry holding the snapshot's index and term.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot;
  private ents: Entry[];

  constructor() {
    this.snap = emptySnapshot({ voters: [] });
    this.ents = [{ term: 0, index: 0, type: 0, data: new Uint8Array(0) }];
  }

  /**
   * A storage for a founding member of a new cluster: a genesis snapshot at index 1, term 1, whose
   * configuration is `voters` and whose application state is `data`. Every founder must be
   * bootstrapped with the same voters. Members added later start from `new MemoryStorage()` and are
   * caught up by the leader.
   */
  static bootstrap(voters: number[], data: Uint8Array = new Uint8Array(0)): MemoryStorage {
    if (voters.length === 0) throw new RangeError('raft: bootstrap needs at least one voter');
    if (new Set(voters).size !== voters.length || voters.some((v) => !Number.isSafeInteger(v) || v <= 0)) {
      throw new RangeError(`raft: bootstrap voters must be distinct positive integers, got [${voters.join(', ')}]`);
    }
    const s = new MemoryStorage();
    s.applySnapshot({ metadata: { index: 1, term: 1, confState: { voters: [...voters].sort((a, b) => a - b) } }, data });
    s.setHardState({ term: 1, vote: 0, commit: 1 });
    return s;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: { voters: [...this.snap.metadata.confState.voters] } };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableIndexError(hi - 1, this.lastIndex());
    // Only the dummy entry: nothing to return.
    if (this.ents.length === 1) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError(i, offset + 1);
    if (i - offset >= this.ents.length) throw new UnavailableIndexError(i, this.lastIndex());
    return this.ents[i - offset]!.term;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces everything with `snap` (a follower installing a leader's snapshot). */
  applySnapshot(snap: Snapshot): void {
    const current = this.snap.metadata.index;
    if (current >= snap.metadata.index) throw new SnapshotOutOfDateError(snap.metadata.index, current);
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 0, data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the application state as of applied index `i` (which must be in the
   * log) so the log before it can be compacted.
   */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError(i, this.snap.metadata.index);
    const offset = this.ents[0]!.index;
    if (i > this.lastIndex()) throw new UnavailableIndexError(i, this.lastIndex());
    this.snap = { metadata: { index: i, term: this.ents[i - offset]!.term, confState: { voters: [...confState.voters] } }, data };
    return this.snap;
  }

  /** Discards entries up to and including `compactIndex`, which must not exceed the applied index. */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new UnavailableIndexError(compactIndex, this.lastIndex());
    const i = compactIndex - offset;
    const kept = this.ents.slice(i);
    kept[0] = { term: this.ents[i]!.term, index: compactIndex, type: 0, data: new Uint8Array(0) };
    this.ents = kept;
  }

  /**
   * Appends entries that Raft handed out in a Ready. Entries that overlap the existing log replace
   * it from the first overlapping index on (a follower's conflicting suffix is truncated).
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return; // all already compacted
    const ents = first > entries[0]!.index ? entries.slice(first - entries[0]!.index) : entries;
    const offset = ents[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RangeError(`raft: missing log entry (last ${this.lastIndex()}, appending at ${ents[0]!.index})`);
    }
    this.ents = this.ents.slice(0, offset).concat(ents);
  }
}
