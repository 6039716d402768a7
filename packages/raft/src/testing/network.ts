/**
 * A tiny deterministic in-memory network of RawNodes for the Raft unit tests.
 *
 * Each peer has a MemoryStorage (its "disk") and a RawNode. The network plays the driver of every
 * node exactly as the contract in types.ts says: for each Ready it persists (snapshot, entries,
 * hard state), then queues the messages, then applies committed entries, then calls advance.
 * Messages travel through one FIFO queue; `stabilize()` processes Readys and delivers messages
 * until nothing is left. Nothing is random and nothing depends on time: a test is a script.
 *
 * Faults: `isolate`/`cut` drop messages between pairs, `addFilter` drops or rewrites messages,
 * `crash`/`restart` throw away a node's volatile state and rebuild it from its storage.
 */
import { FixedRng, nullLogger } from '@mk/shared';
import {
  Config,
  Entry,
  EntryType,
  HardState,
  MemoryStorage,
  Message,
  MessageType,
  NodeId,
  RawNode,
  ReadState,
  Ready,
  Snapshot,
  SnapshotStatus,
  StateType,
} from '../index';

/** Config fields a test may set; id and storage come from the network. */
export type NodeOptions = Partial<Omit<Config, 'id' | 'storage'>>;

export const ELECTION_TICK = 10;
export const HEARTBEAT_TICK = 1;

/** Defaults for unit tests: exact timeouts (FixedRng(0) → timeout == electionTick), no logging. */
export function testConfig(id: NodeId, storage: MemoryStorage, opts: NodeOptions = {}): Config {
  return {
    id,
    storage,
    electionTick: ELECTION_TICK,
    heartbeatTick: HEARTBEAT_TICK,
    rng: new FixedRng(0),
    logger: nullLogger,
    ...opts,
  };
}

/** A complete Message with zero values, overridden by `m`. */
export function msg(m: Partial<Message> & { type: MessageType }): Message {
  return { to: 0, from: 0, term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...m };
}

export function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: bytes(data) };
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(b: Uint8Array | undefined): string {
  return b ? new TextDecoder().decode(b) : '';
}

/**
 * A storage as a founder left it: the genesis snapshot (voters) plus `extra` log entries (from
 * index 2 on) and the given hard state.
 */
export function storageWith(voters: NodeId[], extra: Entry[], hs: Partial<HardState> = {}): MemoryStorage {
  const s = MemoryStorage.bootstrap(voters);
  s.append(extra);
  s.setHardState({ term: 1, vote: 0, commit: 1, ...hs });
  return s;
}

/** Processes every Ready of a lone node (no network): persists, advances, returns what it produced. */
export function drain(node: RawNode, storage: MemoryStorage): Ready[] {
  const out: Ready[] = [];
  for (let guard = 0; node.hasReady(); guard++) {
    if (guard > 100) throw new Error('drain: node keeps producing Readys');
    const rd = node.ready();
    persist(storage, rd);
    node.advance(rd);
    out.push(rd);
  }
  return out;
}

export function messagesOf(readies: Ready[]): Message[] {
  return readies.flatMap((rd) => rd.messages);
}

function persist(storage: MemoryStorage, rd: Ready): void {
  if (rd.snapshot && rd.snapshot.metadata.index > 0) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState) storage.setHardState(rd.hardState);
}

export interface Peer {
  id: NodeId;
  storage: MemoryStorage;
  node: RawNode;
  opts: NodeOptions;
  crashed: boolean;
  /** Data of Normal entries applied, in order (empty no-ops included as ''). */
  applied: Entry[];
  appliedIndex: number;
  /** Snapshots handed to this node in a Ready. */
  snapshots: Snapshot[];
  readStates: ReadState[];
  readies: Ready[];
}

/** A message that left a node, with what happened to it. */
export interface Sent {
  m: Message;
  fate: 'delivered' | 'dropped';
}

export type Filter = (m: Message) => Message | undefined;

export class Network {
  readonly peers = new Map<NodeId, Peer>();
  /** Every message any node emitted, in emission order. */
  readonly sent: Sent[] = [];
  /**
   * Breaches of "persist before send": a granted vote or an append acknowledgement that left a
   * node before the state it vouches for was in its Ready (and so persisted).
   */
  readonly violations: string[] = [];
  /** When true, delivering/dropping a Snap reports Finish/Failure to the sender, like a transport. */
  autoReportSnapshots = true;

  private queue: Message[] = [];
  private readonly cuts = new Set<string>();
  private readonly filters: Filter[] = [];

  constructor(voters: NodeId[], opts: NodeOptions = {}, perNode: Record<NodeId, NodeOptions> = {}) {
    for (const id of voters) {
      this.add(id, MemoryStorage.bootstrap(voters), { ...opts, ...(perNode[id] ?? {}) });
    }
  }

  /** Adds a peer with the given storage (e.g. `new MemoryStorage()` for a joining member). */
  add(id: NodeId, storage: MemoryStorage, opts: NodeOptions = {}): Peer {
    const node = new RawNode(testConfig(id, storage, opts));
    const p: Peer = {
      id,
      storage,
      node,
      opts,
      crashed: false,
      applied: [],
      appliedIndex: storage.snapshot().metadata.index,
      snapshots: [],
      readStates: [],
      readies: [],
    };
    this.peers.set(id, p);
    return p;
  }

  peer(id: NodeId): Peer {
    const p = this.peers.get(id);
    if (!p) throw new Error(`no peer ${id}`);
    return p;
  }

  node(id: NodeId): RawNode {
    return this.peer(id).node;
  }

  state(id: NodeId): StateType {
    return this.node(id).status().softState.raftState;
  }

  term(id: NodeId): number {
    return this.node(id).status().hardState.term;
  }

  commit(id: NodeId): number {
    return this.node(id).status().hardState.commit;
  }

  leaders(): NodeId[] {
    return [...this.peers.values()].filter((p) => !p.crashed && this.state(p.id) === StateType.Leader).map((p) => p.id);
  }

  /** Applied Normal entries' data with the empty no-ops left out. */
  appliedData(id: NodeId): string[] {
    return this.peer(id)
      .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
      .map((e) => text(e.data));
  }

  /** The node's persisted log (terms of entries firstIndex..lastIndex). */
  logTerms(id: NodeId): number[] {
    const s = this.peer(id).storage;
    const out: number[] = [];
    for (let i = s.firstIndex(); i <= s.lastIndex(); i++) out.push(s.term(i));
    return out;
  }

  // ---- faults ----

  /** Drops every message between a and b, both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}-${b}`);
    this.cuts.add(`${b}-${a}`);
  }

  /** Drops every message to and from `id`. */
  isolate(id: NodeId): void {
    for (const other of this.peers.keys()) if (other !== id) this.cut(id, other);
  }

  /** Removes every cut (filters stay). */
  heal(): void {
    this.cuts.clear();
  }

  /** A filter returns the message (possibly rewritten) to deliver it, or undefined to drop it. */
  addFilter(f: Filter): () => void {
    this.filters.push(f);
    return () => {
      const i = this.filters.indexOf(f);
      if (i >= 0) this.filters.splice(i, 1);
    };
  }

  /** Drops messages matching `pred`; returns a function that removes the rule. */
  drop(pred: (m: Message) => boolean): () => void {
    return this.addFilter((m) => (pred(m) ? undefined : m));
  }

  clearFilters(): void {
    this.filters.length = 0;
  }

  /** Loses the node's volatile state (and any message queued to it); its storage survives. */
  crash(id: NodeId): void {
    this.peer(id).crashed = true;
    this.queue = this.queue.filter((m) => m.to !== id);
  }

  /** A new RawNode on the same storage, as after a process restart. */
  restart(id: NodeId, opts?: NodeOptions): Peer {
    const old = this.peer(id);
    const p = this.add(id, old.storage, opts ?? old.opts);
    return p;
  }

  // ---- driving ----

  tick(id: NodeId, n = 1): void {
    for (let i = 0; i < n; i++) this.node(id).tick();
  }

  /** `rounds` times: tick the given live nodes (default all) once, then stabilize. */
  tickRounds(rounds: number, ids?: NodeId[]): void {
    for (let r = 0; r < rounds; r++) {
      for (const p of this.peers.values()) {
        if (p.crashed || (ids && !ids.includes(p.id))) continue;
        p.node.tick();
      }
      this.stabilize();
    }
  }

  /** Elects `id` by an immediate campaign and lets the cluster settle. */
  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
    if (this.state(id) !== StateType.Leader) throw new Error(`elect: node ${id} is ${this.state(id)}, not Leader`);
  }

  /** Handles one Ready of `id`, if it has one; its messages are queued, not delivered. */
  process(id: NodeId): Ready | undefined {
    const p = this.peer(id);
    if (p.crashed || !p.node.hasReady()) return undefined;
    const rd = p.node.ready();
    p.readies.push(rd);
    persist(p.storage, rd);
    this.checkPersisted(p, rd);
    for (const m of rd.messages) this.queue.push(m);
    if (rd.snapshot && rd.snapshot.metadata.index > 0) {
      p.snapshots.push(rd.snapshot);
      p.appliedIndex = Math.max(p.appliedIndex, rd.snapshot.metadata.index);
    }
    for (const e of rd.committedEntries) {
      if (e.index <= p.appliedIndex) continue;
      p.applied.push(e);
      p.appliedIndex = e.index;
    }
    p.readStates.push(...rd.readStates);
    p.node.advance(rd);
    return rd;
  }

  /** Delivers one queued message; returns false when the queue is empty. */
  deliverOne(): boolean {
    const m0 = this.queue.shift();
    if (!m0) return false;
    let m: Message | undefined = m0;
    if (this.cuts.has(`${m.from}-${m.to}`)) m = undefined;
    for (const f of this.filters) {
      if (!m) break;
      m = f(m);
    }
    const target = this.peers.get(m0.to);
    const sender = this.peers.get(m0.from);
    if (!m || !target || target.crashed) {
      this.sent.push({ m: m0, fate: 'dropped' });
      if (m0.type === MessageType.Snap && this.autoReportSnapshots && sender && !sender.crashed) {
        sender.node.reportSnapshot(m0.to, SnapshotStatus.Failure);
      }
      return true;
    }
    this.sent.push({ m, fate: 'delivered' });
    target.node.step(m);
    if (m.type === MessageType.Snap && this.autoReportSnapshots && sender && !sender.crashed) {
      sender.node.reportSnapshot(m.to, SnapshotStatus.Finish);
    }
    return true;
  }

  /** Processes Readys and delivers messages until every node is quiet and the queue is empty. */
  stabilize(maxSteps = 100_000): void {
    for (let steps = 0; ; steps++) {
      if (steps > maxSteps) throw new Error('stabilize: the network does not settle');
      let progressed = false;
      for (const p of this.peers.values()) {
        if (this.process(p.id)) progressed = true;
      }
      if (this.deliverOne()) progressed = true;
      if (!progressed) return;
    }
  }

  /** Messages that left nodes (delivered or not), optionally filtered. */
  messages(pred: (m: Message) => boolean = () => true): Message[] {
    return this.sent.map((s) => s.m).filter(pred);
  }

  clearSent(): void {
    this.sent.length = 0;
  }

  private checkPersisted(p: Peer, rd: Ready): void {
    const hs = p.storage.initialState().hardState;
    for (const m of rd.messages) {
      if (m.type === MessageType.VoteResp && !m.reject) {
        if (hs.term !== m.term || hs.vote !== m.to) {
          this.violations.push(`node ${p.id} granted a vote to ${m.to} in term ${m.term} but persisted term ${hs.term} vote ${hs.vote}`);
        }
      }
      if (m.type === MessageType.AppResp && !m.reject && m.index > 0) {
        const s = p.storage;
        if (m.index > s.lastIndex()) {
          this.violations.push(`node ${p.id} acknowledged index ${m.index} but persisted only up to ${s.lastIndex()}`);
        }
      }
    }
  }
}

export const isType =
  (...types: MessageType[]) =>
  (m: Message): boolean =>
    types.includes(m.type);
