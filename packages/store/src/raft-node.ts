import { Clock, Logger, Rng } from '@mk/shared';
import { ConfChange, ConfState, Entry, HardState, Message, NodeId, RawNode, ReadState, Snapshot, SnapshotStatus, SoftState, StateType } from '@mk/raft';
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

/**
 * Drives one RawNode: every input (tick, peer message, proposal, read request) is queued and
 * stepped by a single loop which, for each Ready, does exactly what DESIGN.md prescribes:
 * persist hard state + entries (one LevelDB batch, fsynced when mustSync), send messages, apply
 * committed entries, advance. Inputs that arrive while a batch is being fsynced are stepped
 * together afterwards, so proposals are batched naturally (group commit).
 */
export class RaftNode {
  private readonly raw: RawNode;
  private inbox: Array<() => void> = [];
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
    return this.call(() => this.raw.propose(data));
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
        if (!this.raw.hasReady()) {
          if (this.inbox.length === 0) break;
          continue;
        }
        await this.handleReady();
      }
    } finally {
      this.running = false;
      for (const w of this.idleWaiters.splice(0)) w();
      if (this.inbox.length > 0 && !this.stopped && !this.failure) this.kick();
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
    // 1. persist (fsync when Raft needs it: new term, vote or entries)
    await this.o.storage.save(rd);
    if (rd.hardState) this.durable = rd.hardState;
    // 2. send
    if (!sendFirst && rd.messages.length > 0) this.o.transport.send(rd.messages);
    // 3. apply, writing the effect through (not fsynced: the Raft log replays it after a crash)
    const ops: DiskOp[] = [];
    if (rd.snapshot) {
      ops.push(...this.o.stateMachine.restore(rd.snapshot));
      this.appliedIndex = rd.snapshot.metadata.index;
      this.lastSnapshotIndex = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) {
      ops.push(...this.o.stateMachine.apply(e));
      this.appliedIndex = e.index;
    }
    if (ops.length > 0) await this.o.dataDir.write(ops, false);
    if (rd.softState) {
      this.soft = rd.softState;
      this.o.onSoftState?.(rd.softState);
    }
    for (const rs of rd.readStates) this.o.onReadState?.(rs);
    // 4. advance
    this.raw.advance(rd);
    if (rd.committedEntries.length > 0 || rd.snapshot) this.o.onApplied?.(this.appliedIndex);
    await this.maybeSnapshot();
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
    this.stopped = true;
    this.cancelTick();
    this.o.logger.error('raft node stopped: a write to the data dir failed', { error: e.message });
  }

  /** The error that stopped this node, if any. */
  failed(): Error | undefined {
    return this.failure;
  }
}
