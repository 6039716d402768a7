import {
  ConfChange,
  EntryType,
  HardState,
  MemoryStorage,
  Message,
  MessageType,
  NodeId,
  RawNode,
  Ready,
  SoftState,
  StateType,
  decodeConfChange,
  isEmptySnapshot,
} from '@mk/raft';
import type { Rng } from '@mk/shared';
import { AppState, decodeAppSnapshot, decodePayloadId, encodeAppSnapshot } from './app-state';
import type { SafetyChecker } from './checker';
import { LogView, storageLog } from './log-view';

/** Raft settings shared by every node of one simulation (randomized per seed by the simulation). */
export interface NodeRaftSettings {
  electionTick: number;
  heartbeatTick: number;
  checkQuorum: boolean;
  preVote: boolean;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
}

/**
 * Deliberate driver bugs, to prove end to end that the checker catches broken persistence:
 * - 'forget-vote': the vote is never written to disk, so a restarted node can vote twice in a term.
 */
export type DriverBug = 'forget-vote';

/** How a node's application takes snapshots: every `every` applied entries, keeping `keep` entries. */
export interface SnapshotPolicy {
  enabled: boolean;
  minEvery: number;
  maxEvery: number;
  maxKeep: number;
}

/** What a node tells the simulation it belongs to. */
export interface NodeHooks {
  checker: SafetyChecker;
  send(msg: Message): void;
  confChangeApplied(node: SimNode, cc: ConfChange, index: number): void;
  payloadApplied(node: SimNode, payloadId: number, index: number): void;
  snapshotCreated(node: SimNode, index: number): void;
  snapshotInstalled(node: SimNode, index: number): void;
  readServed(node: SimNode, ctx: number, index: number): void;
}

/** Read contexts are 4-byte request ids. */
export function encodeReadCtx(id: number): Uint8Array {
  const ctx = new Uint8Array(4);
  new DataView(ctx.buffer).setUint32(0, id);
  return ctx;
}

export function decodeReadCtx(ctx: Uint8Array): number {
  return new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength).getUint32(0);
}

/** Messages only a leader sends: whoever sends one in term T was leader of T. */
const LEADER_ONLY = new Set([MessageType.App, MessageType.Heartbeat, MessageType.Snap]);

const FOLLOWER: SoftState = { lead: 0, raftState: StateType.Follower };

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * One simulated server: a RawNode, a MemoryStorage as its disk, and the hash-chain application.
 * The disk (storage) survives a crash; the RawNode, the application state, any Ready not yet
 * handled and pending reads do not. Handling a Ready follows the driver contract: persist, send,
 * apply, advance.
 */
export class SimNode {
  /** Undefined while crashed (or stopped for good). */
  raw: RawNode | undefined;
  app: AppState;
  /** The soft state of the last Ready handled: who this node thinks leads. */
  softState: SoftState = FOLLOWER;
  /** Left the cluster (applied its own removal) and was shut down for good. */
  stopped = false;
  /** It applied a conf change removing itself. */
  removed = false;
  readonly log: LogView;
  private hardState: HardState;
  /**
   * The hard state as of the last synced write. Writes without mustSync (commit-only changes) sit
   * in the disk's cache: a crash loses them and the disk reverts to this.
   */
  private syncedHardState: HardState;
  private pendingReads: { ctx: number; index: number }[] = [];
  private snapshotEvery = 0;
  private lastSnapshotAt = 0;

  constructor(
    readonly id: NodeId,
    readonly storage: MemoryStorage,
    private readonly settings: NodeRaftSettings,
    private readonly snapshots: SnapshotPolicy,
    private readonly rng: Rng,
    private readonly hooks: NodeHooks,
    private readonly bug?: DriverBug,
  ) {
    this.log = storageLog(storage);
    this.hardState = storage.initialState().hardState;
    this.syncedHardState = this.hardState;
    this.app = new AppState(decodeAppSnapshot(storage.snapshot().data));
  }

  get alive(): boolean {
    return this.raw !== undefined;
  }

  get isLeader(): boolean {
    return this.softState.raftState === StateType.Leader;
  }

  /** Persisted commit index. */
  get commit(): number {
    return this.hardState.commit;
  }

  /** Starts (or restarts) from the disk: Raft re-hands committed entries after the snapshot. */
  start(raftRng: Rng): void {
    const snap = this.storage.snapshot();
    this.hardState = this.storage.initialState().hardState;
    this.app = new AppState(decodeAppSnapshot(snap.data));
    this.softState = FOLLOWER;
    this.pendingReads = [];
    this.lastSnapshotAt = snap.metadata.index;
    this.pickSnapshotInterval();
    this.hooks.checker.nodeStarted(this.id, this.hardState, this.log, this.app);
    this.raw = new RawNode({
      id: this.id,
      storage: this.storage,
      electionTick: this.settings.electionTick,
      heartbeatTick: this.settings.heartbeatTick,
      rng: raftRng,
      applied: snap.metadata.index,
      checkQuorum: this.settings.checkQuorum,
      preVote: this.settings.preVote,
      maxSizePerMsg: this.settings.maxSizePerMsg,
      maxInflightMsgs: this.settings.maxInflightMsgs,
    });
  }

  /**
   * Loses everything not on disk, including unsynced writes. With `persistFirst`, the pending
   * Ready is persisted (but not sent) first. Returns whether an unsynced write was lost.
   */
  crash(persistFirst: boolean): boolean {
    const raw = this.running();
    if (persistFirst && raw.hasReady()) this.persist(raw.ready());
    const lostUnsynced = !sameHardState(this.hardState, this.syncedHardState);
    if (lostUnsynced) this.writeHardState(this.syncedHardState);
    this.raw = undefined;
    this.softState = FOLLOWER;
    this.pendingReads = [];
    return lostUnsynced;
  }

  /** Shuts a removed member down for good. */
  stop(): void {
    this.raw = undefined;
    this.stopped = true;
    this.softState = FOLLOWER;
  }

  running(): RawNode {
    if (!this.raw) throw new Error(`node ${this.id} is not running`);
    return this.raw;
  }

  hasReady(): boolean {
    return this.raw !== undefined && this.raw.hasReady();
  }

  /**
   * Handles one Ready if there is one; returns it (undefined if there was none). `onReady` sees it
   * before anything is done with it.
   */
  handleReady(onReady?: (rd: Ready) => void): Ready | undefined {
    const raw = this.raw;
    if (!raw || !raw.hasReady()) return undefined;
    const rd = raw.ready();
    onReady?.(rd);
    this.persist(rd);
    if (rd.softState) {
      this.softState = rd.softState;
      if (rd.softState.raftState === StateType.Leader) this.hooks.checker.leaderObserved(this.id, this.hardState.term, this.log);
    }
    for (const m of rd.messages) {
      if (LEADER_ONLY.has(m.type)) this.hooks.checker.leaderObserved(this.id, m.term, this.log);
      this.hooks.send(m);
    }
    this.apply(rd);
    this.maybeSnapshot(raw);
    raw.advance(rd);
    return rd;
  }

  /** Step 1 of the driver contract: snapshot, entries and hard state as one atomic write. */
  private persist(rd: Ready): void {
    const snap = rd.snapshot && !isEmptySnapshot(rd.snapshot) ? rd.snapshot : undefined;
    if (snap) this.storage.applySnapshot(snap);
    this.storage.append(rd.entries);
    if (rd.hardState) this.writeHardState(rd.hardState);
    if (rd.mustSync) this.syncedHardState = this.hardState;
    this.hooks.checker.persisted(
      this.id,
      { snapshot: snap?.metadata, entries: rd.entries, hardState: rd.hardState, mustSync: rd.mustSync },
      this.log,
    );
  }

  private writeHardState(hs: HardState): void {
    this.storage.setHardState(this.bug === 'forget-vote' ? { ...hs, vote: 0 } : hs);
    this.hardState = { ...hs };
  }

  /** Step 3: the snapshot replaces the application state, then committed entries apply in order. */
  private apply(rd: Ready): void {
    const checker = this.hooks.checker;
    if (rd.snapshot && !isEmptySnapshot(rd.snapshot)) {
      this.app = new AppState(decodeAppSnapshot(rd.snapshot.data));
      checker.snapshotApplied(this.id, rd.snapshot.metadata, this.app);
      this.lastSnapshotAt = rd.snapshot.metadata.index;
      this.hooks.snapshotInstalled(this, rd.snapshot.metadata.index);
    }
    for (const e of rd.committedEntries) {
      this.app.apply(e);
      checker.applied(this.id, e, this.app.chain);
      if (e.type === EntryType.ConfChange) {
        this.hooks.confChangeApplied(this, decodeConfChange(e.data), e.index);
      } else if (e.data.length > 0) {
        this.hooks.payloadApplied(this, decodePayloadId(e.data), e.index);
      }
    }
    for (const rs of rd.readStates) {
      const ctx = decodeReadCtx(rs.requestCtx);
      checker.readIndexReturned(this.id, ctx, rs.index);
      this.pendingReads.push({ ctx, index: rs.index });
    }
    if (this.pendingReads.length > 0) {
      const waiting: { ctx: number; index: number }[] = [];
      for (const r of this.pendingReads) {
        if (r.index <= this.app.index) this.hooks.readServed(this, r.ctx, r.index);
        else waiting.push(r);
      }
      this.pendingReads = waiting;
    }
  }

  /** Every few applied entries: snapshot the application and compact the log (keeping a short tail). */
  private maybeSnapshot(raw: RawNode): void {
    if (!this.snapshots.enabled) return;
    const at = this.app.index;
    if (at - this.lastSnapshotAt < this.snapshotEvery || at <= this.storage.snapshot().metadata.index) return;
    this.storage.createSnapshot(at, raw.confStateAt(at), encodeAppSnapshot(this.app.snapshot()));
    // The snapshot is a synced write, and a synced write makes every earlier one durable too (one
    // log, as in LevelDB): the commit index that let us apply up to `at` is now on disk.
    this.syncedHardState = this.hardState;
    const compactTo = at - this.rng.int(this.snapshots.maxKeep + 1);
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
    this.lastSnapshotAt = at;
    this.pickSnapshotInterval();
    this.hooks.snapshotCreated(this, at);
  }

  private pickSnapshotInterval(): void {
    const p = this.snapshots;
    this.snapshotEvery = p.minEvery + this.rng.int(p.maxEvery - p.minEvery + 1);
  }
}
