import { Clock, Logger, Rng } from '@mk/shared';
import { ConfChange, ConfState, Entry, EntryType, HardState, Message, MessageType, NodeId, RawNode, ReadState, Snapshot, SnapshotStatus, SoftState, StateType, emptyMessage } from '@mk/raft';
import { DataDir } from './disk/data-dir';
import { DiskOp } from './disk/keys';
import { DiskRaftStorage } from './disk/raft-storage';

/** Delivers Raft messages to peers; failures come back through `reportUnreachable`/`reportSnapshot`. */
export interface PeerTransport {
  send(messages: Message[]): void;
}

/** The replicated application (the MVCC store and the member list). */
export interface ReplicatedStateMachine {
  /** Applies one committed entry; returns the writes that persist its effect (with the applied index). */
  apply(entry: Entry): DiskOp[];
  /** Replaces the whole state with a snapshot's; returns the writes that persist it. */
  restore(snapshot: Snapshot): DiskOp[];
  /** The whole state, for a Raft snapshot at the last applied index. */
  snapshot(): Uint8Array;
}

export interface RaftNodeOptions {
  id: NodeId;
  storage: DiskRaftStorage;
  dataDir: DataDir;
  transport: PeerTransport;
  stateMachine: ReplicatedStateMachine;
  /** Index of the last entry whose effect is persisted by the state machine. */
  applied: number;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  /** Milliseconds per Raft tick (etcd's --heartbeat-interval: one heartbeat per tick). */
  tickMs: number;
  /** Ticks without a leader before campaigning (etcd's --election-timeout / --heartbeat-interval). */
  electionTicks: number;
  /** Applied entries between two snapshots (etcd's --snapshot-count). */
  snapshotCount: number;
  /** Entries kept after a snapshot so slow followers catch up without one (etcd: 5000). */
  catchUpEntries: number;
  onSoftState?: (s: SoftState) => void;
  onReadState?: (r: ReadState) => void;
  /** Called after each batch of committed entries is applied, with the new applied index. */
  onApplied?: (applied: number) => void;
}

interface PendingProposal {
  data: Uint8Array;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Upper bound of one batch of proposals (a client request is at most 1.5 MiB). */
const MAX_PROPOSAL_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Drives one RawNode: every input (tick, peer message, proposal, read request) is queued and
 * stepped by a single loop which, for each Ready: applies the committed entries already on this
 * member's disk (in memory), persists hard state + entries + those effects (one LevelDB batch,
 * fsynced when mustSync), sends messages (a leader sends first, see below), applies the rest,
 * advances. Inputs that arrive while a batch is being fsynced are stepped together afterwards, so
 * proposals are batched naturally (group commit) and no ack is counted before its own fsync.
 */
export class RaftNode {
  private readonly raw: RawNode;
  private inbox: Array<() => void> = [];
  /** Proposals waiting for the loop: stepped together as one batch (one append, one broadcast). */
  private proposals: PendingProposal[] = [];
  /** Proposals a follower sends straight to its leader at the end of this event-loop turn. */
  private forwarding: PendingProposal[] = [];
  private running = false;
  private stopped = false;
  private cancelTick: () => void = () => {};
  private appliedIndex: number;
  private lastSnapshotIndex: number;
  private soft: SoftState = { lead: 0, raftState: StateType.Follower };
  private idleWaiters: Array<() => void> = [];
  private failure: Error | undefined;
  /** The hard state last written to disk. */
  private durable: HardState;

  constructor(private readonly o: RaftNodeOptions) {
    this.raw = new RawNode({
      id: o.id,
      storage: o.storage,
      electionTick: o.electionTicks,
      heartbeatTick: 1,
      rng: o.rng,
      applied: o.applied,
      checkQuorum: true,
      preVote: true,
      logger: o.logger,
    });
    this.appliedIndex = Math.max(o.applied, o.storage.firstIndex() - 1);
    this.lastSnapshotIndex = o.storage.snapshot().metadata.index;
    this.durable = o.storage.initialState().hardState;
  }

  get id(): NodeId {
    return this.o.id;
  }

  start(): void {
    const schedule = () => {
      this.cancelTick = this.o.clock.setTimer(this.o.tickMs, () => {
        if (this.stopped) return;
        this.enqueue(() => this.raw.tick());
        schedule();
      });
    };
    schedule();
    this.kick();
  }

  /** Stops ticking and waits for the loop to finish its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick();
    if (this.running) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  leader(): NodeId {
    return this.soft.lead;
  }

  isLeader(): boolean {
    return this.soft.raftState === StateType.Leader;
  }

  applied(): number {
    return this.appliedIndex;
  }

  status() {
    return this.raw.status();
  }

  confState(): ConfState {
    return this.raw.status().confState;
  }

  /** Proposes `data`; rejects with ProposalDroppedError when Raft cannot take it now. */
  propose(data: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.soft.raftState === StateType.Follower && this.soft.lead !== 0) return this.forward(data);
    return new Promise<void>((resolve, reject) => {
      this.proposals.push({ data, resolve, reject });
      this.kick();
    });
  }

  /**
   * A follower that knows its leader forwards proposals at once (one message per event-loop turn)
   * instead of through its loop, which may be waiting for an fsync: a forwarded proposal promises
   * nothing about this member's state, so it need not wait for this member's disk. Raft would
   * do the same (a follower's MsgProp goes to its leader, without a term); a lost one times out.
   */
  private forward(data: Uint8Array): Promise<void> {
    if (this.forwarding.length === 0) {
      setImmediate(() => {
        const batch = this.forwarding.splice(0);
        const lead = this.soft.lead;
        if (this.soft.raftState !== StateType.Follower || lead === 0 || this.stopped) {
          this.proposals.push(...batch);
          this.kick();
          return;
        }
        const entries = batch.map((p) => ({ term: 0, index: 0, type: EntryType.Normal, data: p.data }));
        this.o.transport.send([{ ...emptyMessage(MessageType.Prop, lead, this.o.id, 0), entries }]);
        for (const p of batch) p.resolve();
      });
    }
    return new Promise<void>((resolve, reject) => this.forwarding.push({ data, resolve, reject }));
  }

  proposeConfChange(cc: ConfChange): Promise<void> {
    return this.call(() => this.raw.proposeConfChange(cc));
  }

  /** Asks for a linearizable read point; the answer arrives through onReadState with `ctx`. */
  readIndex(ctx: Uint8Array): Promise<void> {
    return this.call(() => this.raw.readIndex(ctx));
  }

  transferLeader(to: NodeId): Promise<void> {
    return this.call(() => this.raw.transferLeader(to));
  }

  /** A message from a peer. Garbage from the network is logged and dropped, never fatal. */
  step(m: Message): void {
    this.enqueue(() => {
      try {
        this.raw.step(m);
      } catch (e) {
        this.o.logger.warn('dropped a peer message Raft refused', { from: m.from, type: m.type, error: (e as Error).message });
      }
    });
  }

  reportUnreachable(id: NodeId): void {
    this.enqueue(() => this.raw.reportUnreachable(id));
  }

  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.enqueue(() => this.raw.reportSnapshot(id, status));
  }

  private call(f: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.enqueue(() => {
        try {
          f();
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  private enqueue(f: () => void): void {
    this.inbox.push(f);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.failure) return;
    this.running = true;
    setImmediate(() => {
      this.loop().catch((e: unknown) => this.fail(e as Error));
    });
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const work = this.inbox;
        this.inbox = [];
        for (const f of work) f();
        this.proposeQueued();
        if (!this.raw.hasReady()) {
          if (this.inbox.length === 0 && this.proposals.length === 0) break;
          continue;
        }
        await this.handleReady();
      }
    } finally {
      this.running = false;
      for (const w of this.idleWaiters.splice(0)) w();
      if ((this.inbox.length > 0 || this.proposals.length > 0) && !this.stopped && !this.failure) this.kick();
    }
  }

  /**
   * Steps the queued proposals as batches of up to MAX_PROPOSAL_BATCH_BYTES: under load, one
   * message to the leader and one append per follower carry many client requests.
   */
  private proposeQueued(): void {
    while (this.proposals.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < this.proposals.length && (n === 0 || bytes + this.proposals[n]!.data.length <= MAX_PROPOSAL_BATCH_BYTES)) {
        bytes += this.proposals[n]!.data.length;
        n++;
      }
      const batch = this.proposals.splice(0, n);
      try {
        this.raw.proposeBatch(batch.map((p) => p.data));
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
  }

  private async handleReady(): Promise<void> {
    const rd = this.raw.ready();
    // A leader whose term and vote are already durable may send while it persists this Ready's
    // entries (etcd does; Raft thesis §10.2.1): followers persist before they acknowledge, and the
    // commit those entries enable is only announced in a later Ready, handled after this save.
    // Anything else (votes, a new term) must be durable before a message depends on it.
    const leading = (rd.softState?.raftState ?? this.soft.raftState) === StateType.Leader;
    const termVoteDurable = !rd.hardState || (rd.hardState.term === this.durable.term && rd.hardState.vote === this.durable.vote);
    const sendFirst = leading && termVoteDurable && !rd.snapshot;
    if (sendFirst && rd.messages.length > 0) this.o.transport.send(rd.messages);
    // 1. apply committed entries that are durable here, in memory, before this Ready's fsync:
    //    clients have their answers now rather than one fsync later (etcd too applies concurrently
    //    with its WAL write). Their effects go to disk in the same atomic batch as this Ready's log
    //    writes, so the applied index on disk never passes the log. Committed entries not yet on
    //    this member's disk (a lone member's, or a follower's that arrive with their commit) and
    //    snapshots wait until after the save: a lone member's ack must not precede its fsync.
    const durableLast = rd.snapshot ? 0 : this.o.storage.lastIndex();
    const early = rd.committedEntries.filter((e) => e.index <= durableLast);
    const late = rd.committedEntries.slice(early.length);
    const ops = this.applyEntries(early);
    for (const rs of rd.readStates) this.o.onReadState?.(rs);
    // 2. persist: hard state, entries and applied effects in one batch, fsynced when Raft needs it
    //    (new term, vote or entries); effects alone are not fsynced: the log replays them
    await this.o.storage.save(rd, ops);
    if (rd.hardState) this.durable = rd.hardState;
    if (rd.snapshot || late.length > 0) {
      const lateOps: DiskOp[] = [];
      if (rd.snapshot) {
        lateOps.push(...this.o.stateMachine.restore(rd.snapshot));
        this.appliedIndex = rd.snapshot.metadata.index;
        this.lastSnapshotIndex = rd.snapshot.metadata.index;
      }
      lateOps.push(...this.applyEntries(late));
      if (rd.snapshot && late.length === 0) this.o.onApplied?.(this.appliedIndex);
      await this.o.dataDir.write(lateOps, false);
    }
    // 3. send
    if (!sendFirst && rd.messages.length > 0) this.o.transport.send(rd.messages);
    if (rd.softState) {
      this.soft = rd.softState;
      this.o.onSoftState?.(rd.softState);
    }
    // 4. advance
    this.raw.advance(rd);
    await this.maybeSnapshot();
  }

  /** Applies committed entries to the state machine in memory; returns the writes that persist them. */
  private applyEntries(entries: Entry[]): DiskOp[] {
    if (entries.length === 0) return [];
    const ops: DiskOp[] = [];
    for (const e of entries) {
      ops.push(...this.o.stateMachine.apply(e));
      this.appliedIndex = e.index;
    }
    this.o.onApplied?.(this.appliedIndex);
    return ops;
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.appliedIndex - this.lastSnapshotIndex < this.o.snapshotCount) return;
    const index = this.appliedIndex;
    const data = this.o.stateMachine.snapshot();
    await this.o.storage.snapshotAndCompact(index, this.raw.confStateAt(index), data, index - this.o.catchUpEntries);
    this.lastSnapshotIndex = index;
    this.o.logger.info('saved snapshot', { index, bytes: data.length });
  }

  /** A failed disk write leaves Raft's state unknown: stop serving rather than guess. */
  private fail(e: Error): void {
    this.failure = e;
    for (const p of this.proposals.splice(0)) p.reject(e);
    this.stopped = true;
    this.cancelTick();
    this.o.logger.error('raft node stopped: a write to the data dir failed', { error: e.message });
  }

  /** The error that stopped this node, if any. */
  failed(): Error | undefined {
    return this.failure;
  }
}
