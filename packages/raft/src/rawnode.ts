import { ProposalDroppedError, RaftUsageError } from './errors';
import { encodeConfChange } from './confchange';
import { Config, Raft } from './raft';
import {
  ConfChange,
  ConfState,
  EntryType,
  HardState,
  Message,
  MessageType,
  NodeId,
  Ready,
  SnapshotStatus,
  SoftState,
  Status,
  emptyMessage,
} from './types';

/** Message types that only the node itself may produce; they are refused from the network. */
const LOCAL_ONLY = new Set([MessageType.Hup, MessageType.Beat, MessageType.Unreachable, MessageType.SnapStatus, MessageType.CheckQuorum]);

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The driver-facing API of one Raft node, in the style of etcd's RawNode. Feed it ticks, client
 * requests and peer messages; collect work with `ready()`; report it done with `advance()`. See
 * `Ready` for the order in which the driver must persist, send and apply.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** Advances logical time by one tick (drives elections and heartbeats). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (skipping the timeout). */
  campaign(): void {
    this.raft.step(emptyMessage(MessageType.Hup, this.raft.id, this.raft.id, 0));
  }

  /**
   * Proposes `data` for the log. On a follower it is forwarded to the leader without an answer:
   * the caller learns of success when the entry is applied. Throws ProposalDroppedError.
   */
  propose(data: Uint8Array): void {
    this.proposeBatch([data]);
  }

  /**
   * Proposes several entries in one message: one append and one broadcast for all of them (a
   * driver batching the proposals that arrived while it was busy). All or none are taken.
   */
  proposeBatch(data: Uint8Array[]): void {
    const m = emptyMessage(MessageType.Prop, this.raft.id, this.raft.id, 0);
    m.entries = data.map((d) => ({ term: 0, index: 0, type: EntryType.Normal, data: d }));
    this.raft.step(m);
  }

  /** Proposes adding or removing one voter. Throws ProposalDroppedError. */
  proposeConfChange(cc: ConfChange): void {
    const m = emptyMessage(MessageType.Prop, this.raft.id, this.raft.id, 0);
    m.entries = [{ term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange(cc) }];
    this.raft.step(m);
  }

  /**
   * Processes a message from a peer. Local-only message types are refused; a forwarded proposal
   * that cannot be accepted is dropped silently (its origin times out and retries).
   */
  step(m: Message): void {
    if (LOCAL_ONLY.has(m.type)) throw new RaftUsageError(`message type ${MessageType[m.type]} cannot come from the network`);
    try {
      this.raft.step(m);
    } catch (e) {
      if (m.type === MessageType.Prop && e instanceof ProposalDroppedError) return;
      throw e;
    }
  }

  /**
   * Asks for a linearizable read point (thesis §6.4). A ReadState carrying `ctx` appears in a later
   * Ready; reads are safe once the applied index reaches its index. `ctx` must be unique.
   */
  readIndex(ctx: Uint8Array): void {
    const m = emptyMessage(MessageType.ReadIndex, this.raft.id, this.raft.id, 0);
    m.context = ctx;
    this.raft.step(m);
  }

  /** Asks the leader to hand leadership to `transferee` (thesis §3.10). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(emptyMessage(MessageType.TransferLeader, this.raft.id, transferee, 0));
  }

  /** The transport failed to deliver to `id`. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(emptyMessage(MessageType.Unreachable, this.raft.id, id, 0));
  }

  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.raft.reportSnapshot(id, status);
  }

  hasReady(): boolean {
    const r = this.raft;
    const soft = r.softState();
    if (soft.lead !== this.prevSoftState.lead || soft.raftState !== this.prevSoftState.raftState) return true;
    if (!sameHardState(r.hardState(), this.prevHardState)) return true;
    if (r.log.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstable.entries.length > 0) return true;
    return r.log.hasNextCommittedEntries();
  }

  /** Collects the work to do; the messages and read states are handed out once. */
  ready(): Ready {
    const r = this.raft;
    const soft = r.softState();
    const hard = r.hardState();
    const entries = r.log.unstable.entries.slice();
    const rd: Ready = {
      readStates: r.readStates,
      entries,
      committedEntries: r.log.nextCommittedEntries(),
      messages: r.msgs,
      mustSync: false,
    };
    if (soft.lead !== this.prevSoftState.lead || soft.raftState !== this.prevSoftState.raftState) rd.softState = soft;
    if (!sameHardState(hard, this.prevHardState)) rd.hardState = hard;
    if (r.log.hasPendingSnapshot()) rd.snapshot = r.log.unstable.snapshot!;
    // Term and vote must be durable before we act on them; a commit index can be re-learned.
    rd.mustSync = entries.length > 0 || rd.snapshot !== undefined || hard.term !== this.prevHardState.term || hard.vote !== this.prevHardState.vote;
    r.msgs = [];
    r.readStates = [];
    return rd;
  }

  /** The driver has persisted, sent and applied everything in `rd`. */
  advance(rd: Ready): void {
    const log = this.raft.log;
    if (rd.softState) this.prevSoftState = rd.softState;
    if (rd.hardState) this.prevHardState = rd.hardState;
    if (rd.snapshot) {
      log.stableSnapTo(rd.snapshot.metadata.index);
      log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry) log.stableTo(lastEntry.index, lastEntry.term);
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted) log.appliedTo(lastCommitted.index);
  }

  /** The configuration in effect at `index` (for the snapshot the application takes there). */
  confStateAt(index: number): ConfState {
    return this.raft.confStateAt(index);
  }

  status(): Status {
    const r = this.raft;
    const s: Status = {
      id: r.id,
      hardState: r.hardState(),
      softState: r.softState(),
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      leadTransferee: r.leadTransferee,
      confState: { voters: r.voters() },
    };
    if (r.prs.size > 0) {
      s.progress = {};
      for (const [id, pr] of r.prs) s.progress[id] = pr.toStatus();
    }
    return s;
  }
}
