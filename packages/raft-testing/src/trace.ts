import { Entry, Message, MessageType, Ready } from '@mk/raft';

/**
 * The actions of a run, newest last. Only the last `limit` are kept unless `full` is set; the
 * whole trace can always be re-made by re-running the same seed and options.
 */
export class Trace {
  private readonly ring: string[] = [];
  private next = 0;
  private readonly all: string[] | undefined;

  constructor(
    private readonly limit: number,
    full: boolean,
  ) {
    this.all = full ? [] : undefined;
  }

  add(line: string): void {
    this.all?.push(line);
    if (this.limit <= 0) return;
    if (this.ring.length < this.limit) this.ring.push(line);
    else this.ring[this.next] = line;
    this.next = (this.next + 1) % this.limit;
  }

  /** The last `limit` lines, oldest first. */
  tail(): string[] {
    if (this.ring.length < this.limit) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  /** Every line, when recording the full trace; otherwise the tail. */
  lines(): string[] {
    return this.all ? [...this.all] : this.tail();
  }
}

/** One message in a trace line: type, endpoints, term and the fields that matter for its type. */
export function describeMessage(m: Message): string {
  let s = `${MessageType[m.type]} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case MessageType.App:
      s += ` prev=${m.index}/${m.logTerm} n=${m.entries.length}`;
      if (m.entries.length > 0) s += ` [${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}]`;
      s += ` commit=${m.commit}`;
      break;
    case MessageType.AppResp:
      s += ` index=${m.index}${m.reject ? ` reject hint=${m.rejectHint}/${m.logTerm}` : ''}`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      s += ` last=${m.index}/${m.logTerm}`;
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      s += m.reject ? ' reject' : ' grant';
      break;
    case MessageType.Heartbeat:
      s += ` commit=${m.commit}`;
      break;
    case MessageType.Snap:
      if (m.snapshot) s += ` snap=${m.snapshot.metadata.index}/${m.snapshot.metadata.term} voters=[${m.snapshot.metadata.confState.voters.join(',')}]`;
      break;
    case MessageType.ReadIndexResp:
      s += ` index=${m.index}`;
      break;
    case MessageType.Prop:
      s += ` n=${m.entries.length}`;
      break;
    default:
      break;
  }
  return s;
}

function range(ents: Entry[]): string {
  const first = ents[0];
  const last = ents[ents.length - 1];
  if (!first || !last) return '';
  return first.index === last.index ? `${first.index}/${first.term}` : `${first.index}/${first.term}..${last.index}/${last.term}`;
}

/** What a Ready held: state changes, entries persisted, messages sent, entries applied. */
export function describeReady(rd: Ready): string {
  const parts: string[] = [];
  if (rd.softState) parts.push(`${rd.softState.raftState} lead=${rd.softState.lead}`);
  if (rd.hardState) parts.push(`hs term=${rd.hardState.term} vote=${rd.hardState.vote} commit=${rd.hardState.commit}`);
  if (rd.snapshot) parts.push(`snap=${rd.snapshot.metadata.index}/${rd.snapshot.metadata.term}`);
  if (rd.entries.length > 0) parts.push(`persist ${range(rd.entries)}`);
  if (rd.committedEntries.length > 0) parts.push(`apply ${range(rd.committedEntries)}`);
  if (rd.messages.length > 0) parts.push(`send ${rd.messages.length}`);
  if (rd.readStates.length > 0) parts.push(`reads ${rd.readStates.map((r) => r.index).join(',')}`);
  return parts.join(', ');
}
