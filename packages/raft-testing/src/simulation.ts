import {
  ConfChange,
  ConfChangeType,
  MemoryStorage,
  Message,
  MessageType,
  NodeId,
  ProposalDroppedError,
  SnapshotStatus,
} from '@mk/raft';
import { SeededRng } from '@mk/shared';
import { AppState, GENESIS_CHAIN, encodeAppSnapshot, encodePayload } from './app-state';
import { Invariant, InvariantViolation, SafetyChecker } from './checker';
import { NO_FAULTS, NetworkFaults, SimNetwork } from './network';
import { DriverBug, NodeHooks, NodeRaftSettings, SimNode, SnapshotPolicy, encodeReadCtx } from './node';
import { Trace, describeMessage, describeReady } from './trace';

/**
 * Relative weights of the actions a step draws from. Delivery and Ready handling scale with the
 * work waiting, so queues do not grow without bound and a message usually moves within a few
 * steps (a tick is ~100 ms; a delivery is much faster).
 */
export interface ActionWeights {
  tick: number;
  deliverBase: number;
  /** Added per deliverable message (counted up to 20). */
  deliverPerMessage: number;
  /** Per node with a Ready waiting. */
  readyPerNode: number;
  propose: number;
  read: number;
  transfer: number;
  confChange: number;
  crash: number;
  /** Crash and restart at once, like a process restart: a node back within the same election. */
  bounce: number;
  /** A node campaigns now (RawNode.campaign), racing whoever times out next. */
  campaign: number;
  /** Per crashed node. */
  restartPerNode: number;
  partition: number;
  heal: number;
}

export const DEFAULT_WEIGHTS: ActionWeights = {
  tick: 30,
  deliverBase: 20,
  deliverPerMessage: 5,
  readyPerNode: 25,
  propose: 10,
  read: 1.5,
  transfer: 0.5,
  confChange: 0.5,
  crash: 0.4,
  bounce: 0.3,
  campaign: 0.3,
  restartPerNode: 1.5,
  partition: 0.3,
  heal: 0.5,
};

export const DEFAULT_NETWORK_FAULTS: NetworkFaults = {
  dropRate: 0.05,
  duplicateRate: 0.03,
  delayRate: 0.1,
  maxExtraDelay: 60,
  reorderRate: 0.3,
  minLatency: 1,
  maxLatency: 3,
};

export interface SimulationOptions {
  /** Founding members, ids 1..nodes. */
  nodes: number;
  /** Random actions before the liveness phase. */
  steps: number;
  /** Named weights and network faults; `weights` / `network` override it. */
  profile: Profile;
  weights: ActionWeights;
  network: NetworkFaults;
  /** Probability that a crash comes right after the pending Ready was persisted but before it was sent. */
  crashAfterPersistRate: number;
  /** Add and remove members. */
  membership: boolean;
  /** Applications snapshot and compact their logs. */
  snapshots: boolean;
  /** Heal, restart and require progress at the end of the run. */
  liveness: boolean;
  /** Actions kept for the failure report. */
  traceLimit: number;
  /** Keep every action (for `--trace`). */
  fullTrace: boolean;
  /** Pin Raft's optional features; by default each seed draws them (80% on). */
  checkQuorum?: boolean;
  preVote?: boolean;
  /** A deliberate driver bug (tests of the checker only). */
  driverBug?: DriverBug;
}

/** A harsher profile: more crashes, longer partitions, lossier links, frequent membership changes. */
export const CHAOS_WEIGHTS: ActionWeights = { ...DEFAULT_WEIGHTS, transfer: 1, confChange: 2, crash: 0.8, partition: 0.5, heal: 0.4 };
export const CHAOS_NETWORK_FAULTS: NetworkFaults = { ...DEFAULT_NETWORK_FAULTS, dropRate: 0.1, duplicateRate: 0.08, delayRate: 0.2 };

export type Profile = 'default' | 'chaos';

/** The action weights and network faults of each named profile. */
export const PROFILES: Record<Profile, { weights: ActionWeights; network: NetworkFaults }> = {
  default: { weights: DEFAULT_WEIGHTS, network: DEFAULT_NETWORK_FAULTS },
  chaos: { weights: CHAOS_WEIGHTS, network: CHAOS_NETWORK_FAULTS },
};

export const DEFAULT_OPTIONS: SimulationOptions = {
  nodes: 3,
  steps: 2000,
  profile: 'default',
  weights: DEFAULT_WEIGHTS,
  network: DEFAULT_NETWORK_FAULTS,
  crashAfterPersistRate: 0.3,
  membership: true,
  snapshots: true,
  liveness: true,
  traceLimit: 200,
  fullTrace: false,
};

/** Options filled in: the profile supplies weights and network faults unless they are given. */
export function resolveOptions(options: Partial<SimulationOptions>): SimulationOptions {
  const profile = PROFILES[options.profile ?? DEFAULT_OPTIONS.profile];
  return { ...DEFAULT_OPTIONS, ...profile, ...options };
}

/** Figures of one run (or, summed, of many). Fields ending in `Max` combine by maximum. */
export interface SimStats {
  runs: number;
  steps: number;
  /** Steps after which some running node believed it was the leader. */
  stepsWithLeader: number;
  ticks: number;
  messagesSent: number;
  messagesDelivered: number;
  messagesDropped: number;
  messagesDuplicated: number;
  messagesDelayed: number;
  messagesReordered: number;
  partitions: number;
  heals: number;
  crashes: number;
  /** Crashes with a Ready persisted but never sent. */
  crashesAfterPersist: number;
  /** Crashes that lost a Ready never persisted. */
  crashesLosingReady: number;
  /** Crashes that lost a commit-only write made without sync (the disk reverted to the last synced hard state). */
  unsyncedWritesLost: number;
  restarts: number;
  /** Terms that had a leader. */
  elections: number;
  /** Distinct nodes that led at some point. */
  leaders: number;
  proposals: number;
  /** Proposals, conf changes and reads that Raft refused (no leader, transfer in progress, ...). */
  requestsDropped: number;
  /** Committed log entries (leader no-ops and conf changes included). */
  commits: number;
  snapshotsCreated: number;
  snapshotsInstalled: number;
  confChangesProposed: number;
  confChangesCommitted: number;
  membersAdded: number;
  membersRemoved: number;
  nodesStopped: number;
  transfers: number;
  /** Elections forced with RawNode.campaign. */
  campaigns: number;
  readIndexRequested: number;
  readIndexServed: number;
  /** Crashed nodes the liveness phase had to restart. */
  livenessRestarts: number;
  livenessElectionRounds: number;
  livenessElectionRoundsMax: number;
  livenessCommitRounds: number;
  livenessCommitRoundsMax: number;
  violations: number;
}

export function emptyStats(): SimStats {
  return {
    runs: 0,
    steps: 0,
    stepsWithLeader: 0,
    ticks: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    messagesDelayed: 0,
    messagesReordered: 0,
    partitions: 0,
    heals: 0,
    crashes: 0,
    crashesAfterPersist: 0,
    crashesLosingReady: 0,
    unsyncedWritesLost: 0,
    restarts: 0,
    elections: 0,
    leaders: 0,
    proposals: 0,
    requestsDropped: 0,
    commits: 0,
    snapshotsCreated: 0,
    snapshotsInstalled: 0,
    confChangesProposed: 0,
    confChangesCommitted: 0,
    membersAdded: 0,
    membersRemoved: 0,
    nodesStopped: 0,
    transfers: 0,
    campaigns: 0,
    readIndexRequested: 0,
    readIndexServed: 0,
    livenessRestarts: 0,
    livenessElectionRounds: 0,
    livenessElectionRoundsMax: 0,
    livenessCommitRounds: 0,
    livenessCommitRoundsMax: 0,
    violations: 0,
  };
}

/** Adds `b` into `a` (maxima for `...Max` fields). */
export function addStats(a: SimStats, b: SimStats): SimStats {
  for (const k of Object.keys(a) as (keyof SimStats)[]) {
    a[k] = k.endsWith('Max') ? Math.max(a[k], b[k]) : a[k] + b[k];
  }
  return a;
}

/** A failed run: the broken invariant, where, and how to see it again. */
export class SimulationFailure extends Error {
  constructor(
    readonly invariant: Invariant,
    readonly detail: string,
    readonly seed: number,
    readonly step: number,
    readonly options: SimulationOptions,
    readonly description: string,
    readonly trace: string[],
  ) {
    super(
      `raft simulation: ${invariant} violated at seed ${seed}, step ${step}: ${detail}\n` +
        `run: ${description}\n` +
        `replay: ${replayCommand(seed, options)}\n` +
        `last ${trace.length} actions:\n${trace.join('\n')}`,
    );
    this.name = 'SimulationFailure';
  }
}

/** The CLI command that replays a run, plus whatever options no flag can express. */
export function replayCommand(seed: number, o: SimulationOptions): string {
  const flags = [`--seed ${seed}`, `--steps ${o.steps}`, `--nodes ${o.nodes}`];
  if (o.profile !== DEFAULT_OPTIONS.profile) flags.push(`--profile ${o.profile}`);
  if (o.preVote !== undefined) flags.push(`--pre-vote ${o.preVote ? 'on' : 'off'}`);
  if (o.checkQuorum !== undefined) flags.push(`--check-quorum ${o.checkQuorum ? 'on' : 'off'}`);
  if (!o.membership) flags.push('--no-membership');
  if (!o.snapshots) flags.push('--no-snapshots');
  if (!o.liveness) flags.push('--no-liveness');
  const profile = PROFILES[o.profile];
  const unexpressed: Partial<SimulationOptions> = {};
  if (JSON.stringify(o.weights) !== JSON.stringify(profile.weights)) unexpressed.weights = o.weights;
  if (JSON.stringify(o.network) !== JSON.stringify(profile.network)) unexpressed.network = o.network;
  if (o.crashAfterPersistRate !== DEFAULT_OPTIONS.crashAfterPersistRate) unexpressed.crashAfterPersistRate = o.crashAfterPersistRate;
  if (o.driverBug) unexpressed.driverBug = o.driverBug;
  const command = `mk-raft-sim ${flags.join(' ')} --trace`;
  return Object.keys(unexpressed).length === 0 ? command : `${command} (in code only, also: ${JSON.stringify(unexpressed)})`;
}

type Action =
  | 'tick'
  | 'deliver'
  | 'ready'
  | 'propose'
  | 'read'
  | 'transfer'
  | 'confChange'
  | 'crash'
  | 'bounce'
  | 'campaign'
  | 'restart'
  | 'partition'
  | 'heal';

const ELECTION_TICK = 10;
const HEARTBEAT_TICK = 1;
/**
 * Liveness bounds, in rounds (one tick of every running node, then every message delivered and
 * every Ready handled). Election: a follower times out after a random [E, 2E) ticks, a leader that
 * lost its quorum steps down after E, and with instant delivery a pre-vote plus a vote take one
 * round each; a split vote needs two nodes to time out in the same tick and costs < 2E more. 20E
 * rounds allow about ten attempts, so only a real liveness bug exhausts them.
 */
export const ELECTION_ROUNDS_BOUND = 20 * ELECTION_TICK;
/**
 * Without pre-vote, a member that was removed but does not know it yet (thesis §4.2.3), or one
 * whose log is too short to win, keeps starting elections at ever higher terms; each one resets
 * the timers of the members that could win, so a leader emerges only when one of them times out
 * first — a race with a long tail (up to ~12E rounds seen in 1,000 seeds). 50E keeps that tail
 * clear while a genuine livelock still fails.
 */
export const ELECTION_ROUNDS_BOUND_WITHOUT_PREVOTE = 50 * ELECTION_TICK;
export const COMMIT_ROUNDS_BOUND = 10 * ELECTION_TICK;
const LIVENESS_BATCH = 5;
/** Upper bound of exchanges within one liveness round before we call the network non-quiescent. */
const SETTLE_BOUND = 10_000;

/**
 * One seeded run: N founders, a faulty network, random client traffic, crashes, restarts,
 * partitions, membership changes, leadership transfers and reads; every step is one action drawn
 * from the seed, and the SafetyChecker sees everything each node persists, applies and does as
 * leader. Same seed and options: same run, action by action.
 */
export class Simulation {
  readonly options: SimulationOptions;
  readonly stats = emptyStats();
  readonly checker: SafetyChecker;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  private readonly trace: Trace;
  private readonly actionRng: SeededRng;
  private readonly raftRng: SeededRng;
  private readonly driverRng: SeededRng;
  private readonly settings: NodeRaftSettings;
  private readonly snapshotPolicy: SnapshotPolicy;
  private readonly hooks: NodeHooks;
  /** The run's settings drawn from the seed, for reports. */
  readonly description: string;
  private step = 0;
  private nextNodeId: number;
  private nextPayloadId = 1;
  private nextReadId = 1;
  private readonly committedConfChanges = new Set<number>();
  /** Index at which each payload was first applied (any node). */
  private readonly payloadIndex = new Map<number, number>();
  /** Snapshots lost at send time, to report to their senders once their Ready is handled. */
  private lostSnapshots: Message[] = [];
  /** Ids proposed as new members whose process has not started yet. */
  private readonly joining = new Set<NodeId>();
  /** Removed nodes to shut down once their current Ready is handled. */
  private readonly toStop: SimNode[] = [];

  constructor(
    readonly seed: number,
    options: Partial<SimulationOptions> = {},
  ) {
    this.options = resolveOptions(options);
    const o = this.options;
    if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${o.nodes}`);
    if (!Number.isInteger(o.steps) || o.steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${o.steps}`);
    const master = new SeededRng(seed);
    // One stream per subsystem, so e.g. a change in how the network draws does not shift crashes.
    const configRng = master.fork();
    this.actionRng = master.fork();
    this.raftRng = master.fork();
    this.driverRng = master.fork();
    this.network = new SimNetwork(master.fork(), { ...o.network });
    this.trace = new Trace(o.traceLimit, o.fullTrace);

    // Vary the Raft configuration per seed: the checks must hold for all of them.
    const checkQuorum = configRng.next() < 0.8;
    const preVote = configRng.next() < 0.8;
    this.settings = {
      electionTick: ELECTION_TICK,
      heartbeatTick: HEARTBEAT_TICK,
      checkQuorum: o.checkQuorum ?? checkQuorum,
      preVote: o.preVote ?? preVote,
      maxSizePerMsg: [64, 256, 1 << 20][configRng.int(3)]!,
      maxInflightMsgs: 1 + configRng.int(8),
    };
    this.snapshotPolicy = { enabled: o.snapshots, minEvery: 3, maxEvery: 3 + configRng.int(30), maxKeep: configRng.int(6) };

    const genesis = new AppState({ index: 1, chain: GENESIS_CHAIN, payloads: 0 });
    this.checker = new SafetyChecker({ index: 1, term: 1, chain: genesis.chain });
    this.hooks = this.makeHooks();
    const founders = Array.from({ length: o.nodes }, (_, i) => i + 1);
    for (const id of founders) {
      this.spawn(id, MemoryStorage.bootstrap(founders, encodeAppSnapshot(genesis.snapshot())));
    }
    this.nextNodeId = o.nodes + 1;
    this.description =
      `seed=${seed} nodes=${o.nodes} steps=${o.steps} checkQuorum=${this.settings.checkQuorum} preVote=${this.settings.preVote} ` +
      `maxSizePerMsg=${this.settings.maxSizePerMsg} maxInflight=${this.settings.maxInflightMsgs} ` +
      `snapshotEvery=${this.snapshotPolicy.minEvery}..${this.snapshotPolicy.maxEvery} keep<=${this.snapshotPolicy.maxKeep}`;
    this.note(`start ${this.description}`);
  }

  /** Runs every step, the liveness phase and the final checks; throws SimulationFailure. */
  run(): SimStats {
    try {
      for (this.step = 1; this.step <= this.options.steps; this.step++) {
        this.network.advance();
        this.act(this.pickAction());
        if (this.running().some((n) => n.isLeader)) this.stats.stepsWithLeader++;
      }
      if (this.options.liveness) this.livenessPhase();
      this.finalChecks();
    } catch (e) {
      throw this.failure(e);
    }
    return this.figures();
  }

  /** The recorded actions (all of them with `fullTrace`, else the last `traceLimit`). */
  traceLines(): string[] {
    return this.trace.lines();
  }

  figures(): SimStats {
    const s = this.stats;
    const n = this.network.stats;
    s.runs = 1;
    s.steps = Math.min(this.step, this.options.steps);
    s.messagesSent = n.sent;
    s.messagesDelivered = n.delivered;
    s.messagesDropped = n.dropped;
    s.messagesDuplicated = n.duplicated;
    s.messagesDelayed = n.delayed;
    s.messagesReordered = n.reordered;
    s.elections = this.checker.elections;
    s.leaders = this.checker.distinctLeaders;
    s.commits = this.checker.committedMax - 1; // index 1 is the genesis snapshot
    s.confChangesCommitted = this.committedConfChanges.size;
    return { ...s };
  }

  // ---- actions -----------------------------------------------------------------------------------

  private pickAction(): Action {
    const w = this.options.weights;
    const running = this.running().length;
    const crashed = this.crashed().length;
    const deliverable = this.network.deliverableCount();
    let ready = 0;
    for (const n of this.nodes.values()) if (n.hasReady()) ready++;
    const weights: [Action, number][] = [
      ['tick', running > 0 ? w.tick : 0],
      ['deliver', deliverable > 0 ? w.deliverBase + w.deliverPerMessage * Math.min(deliverable, 20) : 0],
      ['ready', w.readyPerNode * ready],
      ['propose', running > 0 ? w.propose : 0],
      ['read', running > 0 ? w.read : 0],
      ['transfer', running > 0 ? w.transfer : 0],
      ['confChange', this.options.membership && running > 0 ? w.confChange : 0],
      ['crash', running > 0 ? w.crash : 0],
      ['bounce', running > 0 ? w.bounce : 0],
      ['campaign', running > 0 ? w.campaign : 0],
      ['restart', crashed * w.restartPerNode],
      ['partition', this.network.partitioned ? 0 : w.partition],
      ['heal', this.network.partitioned ? w.heal : 0],
    ];
    let total = 0;
    for (const [, w] of weights) total += w;
    let r = this.actionRng.next() * total;
    for (const [a, w] of weights) {
      if (r < w) return a;
      r -= w;
    }
    return 'tick';
  }

  private act(a: Action): void {
    switch (a) {
      case 'tick':
        return this.tick(this.pick(this.running()));
      case 'deliver':
        return this.deliverOne();
      case 'ready':
        this.handleReady(this.pick([...this.nodes.values()].filter((n) => n.hasReady())));
        return;
      case 'propose':
        return this.propose(this.pick(this.running()));
      case 'read':
        return this.read(this.pick(this.running()));
      case 'transfer':
        return this.transfer();
      case 'confChange':
        return this.changeMembership();
      case 'crash':
        return this.crash(this.crashTarget());
      case 'bounce': {
        // Often a node in the middle of something (a Ready pending), e.g. one that just voted.
        const running = this.running();
        const busy = running.filter((x) => x.hasReady());
        const n = this.pick(busy.length > 0 && this.actionRng.next() < 0.5 ? busy : running);
        this.crash(n);
        return this.restart(n);
      }
      case 'campaign': {
        // Sometimes two nodes at once: competing candidates in one term (split votes).
        const running = this.running();
        const first = this.pick(running);
        const second = running.length > 1 && this.actionRng.next() < 0.5 ? this.pick(running.filter((x) => x !== first)) : undefined;
        for (const n of second ? [first, second] : [first]) {
          this.stats.campaigns++;
          this.note(`campaign n${n.id}`);
          n.running().campaign();
        }
        return;
      }
      case 'restart':
        return this.restart(this.pick(this.crashed()));
      case 'partition':
        return this.partition();
      case 'heal':
        this.stats.heals++;
        this.network.heal();
        this.note('heal');
        return;
    }
  }

  private tick(n: SimNode): void {
    this.stats.ticks++;
    this.note(`tick n${n.id}`);
    n.running().tick();
  }

  private handleReady(n: SimNode): boolean {
    // Noted before it is handled, so a violation found while handling it ends the trace.
    const rd = n.handleReady((r) => this.note(`ready n${n.id}: ${describeReady(r)}`));
    if (!rd) return false;
    this.afterReady();
    return true;
  }

  /** Work a Ready leaves for the transport and the operator: snapshot failures, stopping removed nodes. */
  private afterReady(): void {
    for (const m of this.lostSnapshots.splice(0)) {
      this.note(`report snapshot failure ${m.from}->${m.to}`);
      this.nodes.get(m.from)?.raw?.reportSnapshot(m.to, SnapshotStatus.Failure);
    }
    this.stopRemoved();
  }

  private deliverOne(): void {
    const d = this.network.deliverNext();
    if (d) this.deliver(d.msg, d.partitioned);
  }

  /** Steps `msg` into its target, or reports it lost to the sender (snapshots need that report). */
  private deliver(msg: Message, partitioned: boolean): void {
    if (!partitioned && this.joining.delete(msg.to)) {
      // A member being added starts empty; the leader catches it up with a snapshot.
      this.note(`start n${msg.to} (joining)`);
      this.spawn(msg.to, new MemoryStorage());
    }
    const to = this.nodes.get(msg.to);
    const from = this.nodes.get(msg.from);
    const lost = partitioned || !to?.alive;
    this.note(`${lost ? (partitioned ? 'partition-drop' : 'drop-dead') : 'deliver'} ${describeMessage(msg)}`);
    if (lost) {
      if (from?.alive) {
        if (msg.type === MessageType.Snap) from.running().reportSnapshot(msg.to, SnapshotStatus.Failure);
        else if (this.actionRng.next() < 0.5) from.running().reportUnreachable(msg.to);
      }
      return;
    }
    to!.running().step(msg);
    if (msg.type === MessageType.Snap && from?.alive) from.running().reportSnapshot(msg.to, SnapshotStatus.Finish);
  }

  private propose(n: SimNode): void {
    const id = this.nextPayloadId++;
    this.stats.proposals++;
    this.note(`propose p${id} at n${n.id}`);
    this.tryPropose(() => n.running().propose(encodePayload(id, this.actionRng.int(24))));
  }

  private read(n: SimNode): void {
    const ctx = this.nextReadId++;
    this.stats.readIndexRequested++;
    this.checker.readRequested(ctx);
    this.note(`readIndex r${ctx} at n${n.id}`);
    this.tryPropose(() => n.running().readIndex(encodeReadCtx(ctx)));
  }

  private transfer(): void {
    const leader = this.leader();
    if (!leader) return this.note('transfer: no leader known');
    const others = leader.running().status().confState.voters.filter((v) => v !== leader.id);
    if (others.length === 0) return this.note('transfer: no other voter');
    const to = this.pick(others);
    this.stats.transfers++;
    this.note(`transferLeader n${leader.id} -> n${to}`);
    leader.running().transferLeader(to);
  }

  /** Adds a fresh member or removes one, keeping at least 3 members (5-node runs) or 2 (3-node runs). */
  private changeMembership(): void {
    const via = this.leader() ?? this.pick(this.running());
    const voters = via.running().status().confState.voters;
    const min = this.options.nodes >= 5 ? 3 : Math.min(2, this.options.nodes);
    const max = this.options.nodes + 2;
    const add = voters.length <= min || (voters.length < max && this.actionRng.next() < 0.5);
    const cc: ConfChange = add
      ? { type: ConfChangeType.AddNode, nodeId: this.nextNodeId }
      : { type: ConfChangeType.RemoveNode, nodeId: this.pick(voters) };
    this.stats.confChangesProposed++;
    this.note(`confChange ${add ? 'add' : 'remove'} n${cc.nodeId} via n${via.id}`);
    const dropped = this.tryPropose(() => via.running().proposeConfChange(cc));
    if (add && !dropped) {
      // Its process starts when the first message for it arrives (see deliver): a proposal that
      // is lost later leaves no idle node behind to dilute the ticks.
      this.nextNodeId++;
      this.joining.add(cc.nodeId);
    }
  }

  /**
   * Crashing the leader forces elections; crashing a node with a Ready not yet handled loses (or,
   * with crashAfterPersist, persists but never sends) what it just accepted — the persistence
   * contract's window.
   */
  private crashTarget(): SimNode {
    const r = this.actionRng.next();
    const running = this.running();
    const candidates = r < 0.4 ? running.filter((n) => n.isLeader) : r < 0.7 ? running.filter((n) => n.hasReady()) : running;
    return this.pick(candidates.length > 0 ? candidates : running);
  }

  private crash(n: SimNode): void {
    const pending = n.hasReady();
    const afterPersist = pending && this.actionRng.next() < this.options.crashAfterPersistRate;
    this.stats.crashes++;
    if (afterPersist) this.stats.crashesAfterPersist++;
    else if (pending) this.stats.crashesLosingReady++;
    this.note(`crash n${n.id}${afterPersist ? ' (after persisting its Ready, before sending)' : ''}`);
    if (n.crash(afterPersist)) {
      this.stats.unsyncedWritesLost++;
      this.note(`  n${n.id} lost an unsynced write`);
    }
  }

  private restart(n: SimNode): void {
    this.stats.restarts++;
    this.note(`restart n${n.id}`);
    n.start(this.raftRng.fork());
  }

  private partition(): void {
    const ids = [...this.nodes.values()].filter((n) => !n.stopped).map((n) => n.id);
    const groupOf = new Map<NodeId, number>();
    if (this.actionRng.next() < 0.4) {
      // Isolate one node, often the leader.
      const lone = (this.actionRng.next() < 0.5 ? this.leader()?.id : undefined) ?? this.pick(ids);
      for (const id of ids) groupOf.set(id, id === lone ? 1 : 0);
    } else {
      for (const id of ids) groupOf.set(id, this.actionRng.int(2));
      // Keep both sides non-empty.
      const sizes = [0, 0];
      for (const g of groupOf.values()) sizes[g]!++;
      if (sizes[0] === 0 || sizes[1] === 0) groupOf.set(this.pick(ids), sizes[0] === 0 ? 0 : 1);
    }
    this.stats.partitions++;
    this.network.partition(groupOf);
    const side = (g: number) => ids.filter((id) => groupOf.get(id) === g).join(',');
    this.note(`partition {${side(0)}} | {${side(1)}}`);
  }

  // ---- liveness ----------------------------------------------------------------------------------

  /**
   * Faults stop: the network heals and loses nothing, crashed nodes restart. Then a leader must be
   * elected and a batch of proposals made through it must apply on every member, within bounds.
   */
  private livenessPhase(): void {
    this.note('liveness: heal, stop faults, restart crashed nodes');
    this.network.heal();
    this.network.faults = { ...NO_FAULTS };
    for (const n of this.crashed()) {
      this.stats.livenessRestarts++;
      this.restart(n);
    }
    this.settle();

    let rounds = 0;
    let leader = this.stableLeader();
    const bound = this.settings.preVote ? ELECTION_ROUNDS_BOUND : ELECTION_ROUNDS_BOUND_WITHOUT_PREVOTE;
    while (!leader) {
      if (++rounds > bound) {
        throw new InvariantViolation(
          'liveness',
          `no leader recognised by every member after ${bound} rounds of ticks with no faults\n${this.describeNodes()}`,
        );
      }
      this.round();
      leader = this.stableLeader();
    }
    this.stats.livenessElectionRounds = rounds;
    this.stats.livenessElectionRoundsMax = rounds;
    this.note(`liveness: n${leader.id} leads after ${rounds} rounds`);

    const batch: number[] = [];
    for (let i = 0; i < LIVENESS_BATCH; i++) batch.push(this.nextPayloadId++);
    let proposedVia: NodeId | undefined;
    rounds = 0;
    for (;;) {
      const current = this.stableLeader();
      // (Re)propose whatever has not applied yet whenever a new leader is in place: a leader
      // change may lose proposals, and that is allowed.
      if (current && current.id !== proposedVia) {
        proposedVia = current.id;
        for (const id of batch) {
          if (this.payloadIndex.has(id)) continue;
          this.stats.proposals++;
          this.note(`liveness: propose p${id} at n${current.id}`);
          // Dropped (e.g. a transfer in progress): try again next round.
          if (this.tryPropose(() => current.running().propose(encodePayload(id, 8)))) proposedVia = undefined;
        }
      }
      this.settle();
      if (this.batchApplied(batch)) break;
      if (++rounds > COMMIT_ROUNDS_BOUND) {
        const missing = batch.filter((id) => !this.payloadIndex.has(id));
        const behind = this.members()
          .filter((n) => this.checker.appliedIndex(n.id) < this.checker.committedMax)
          .map((n) => `n${n.id}@${this.checker.appliedIndex(n.id)}`);
        throw new InvariantViolation(
          'liveness',
          `after ${COMMIT_ROUNDS_BOUND} rounds with no faults: payloads not applied [${missing.join(',')}], ` +
            `members behind commit ${this.checker.committedMax}: [${behind.join(',')}]\n${this.describeNodes()}`,
        );
      }
      this.round();
    }
    this.stats.livenessCommitRounds = rounds;
    this.stats.livenessCommitRoundsMax = rounds;
    this.note(`liveness: batch applied on every member after ${rounds} rounds`);
    for (const n of this.members()) this.checker.checkAppliedAll(n.id);
  }

  /** Every batch payload applied somewhere, and every member has applied all that is committed. */
  private batchApplied(batch: number[]): boolean {
    if (!batch.every((id) => this.payloadIndex.has(id))) return false;
    return this.members().every((n) => this.checker.appliedIndex(n.id) >= this.checker.committedMax);
  }

  /** One tick of every running node, then everything settles. */
  private round(): void {
    this.note('liveness: round (tick all)');
    for (const n of this.running()) {
      this.stats.ticks++;
      n.running().tick();
    }
    this.settle();
  }

  /** Handles every Ready and delivers every message until nothing moves. */
  private settle(): void {
    for (let i = 0; i < SETTLE_BOUND; i++) {
      let moved = false;
      for (const n of [...this.nodes.values()]) {
        while (this.handleReady(n)) moved = true;
      }
      for (const d of this.network.takeAll()) {
        moved = true;
        this.deliver(d.msg, d.partitioned);
      }
      if (!moved) return;
    }
    throw new InvariantViolation('liveness', `messages still flowing after ${SETTLE_BOUND} exchanges with no ticks`);
  }

  /** A running leader whom every running member of its configuration follows. */
  private stableLeader(): SimNode | undefined {
    const leader = this.leader();
    if (!leader) return undefined;
    for (const id of leader.running().status().confState.voters) {
      const m = this.nodes.get(id);
      if (!m?.alive || m.softState.lead !== leader.id) return undefined;
    }
    return leader;
  }

  /** The members of the current configuration (per the stable leader, else per any node). */
  private members(): SimNode[] {
    const via = this.leader() ?? this.running()[0];
    if (!via) return [];
    return via
      .running()
      .status()
      .confState.voters.map((id) => this.nodes.get(id))
      .filter((n): n is SimNode => n !== undefined);
  }

  /** One line per node: what it runs as, its hard state, log tail and configuration. */
  private describeNodes(): string {
    const lines: string[] = [];
    for (const n of this.nodes.values()) {
      const raw = n.raw;
      const state = raw ? raw.status() : undefined;
      const last = n.log.lastIndex();
      const hs = state?.hardState;
      lines.push(
        `  n${n.id}: ${n.stopped ? 'stopped' : raw ? n.softState.raftState : 'down'}` +
          (hs ? ` term=${hs.term} vote=${hs.vote} commit=${hs.commit}` : '') +
          ` log=(${n.log.snapshotIndex()}, ${last}/${n.log.termAt(last)}]` +
          (state ? ` config=[${state.confState.voters.join(',')}]` : '') +
          ` applied=${this.checker.appliedIndex(n.id)}`,
      );
    }
    return `nodes:\n${lines.join('\n')}`;
  }

  private finalChecks(): void {
    this.checker.finalCheck([...this.nodes.values()].map((n) => ({ id: n.id, log: n.log, commit: n.commit })));
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  private makeHooks(): NodeHooks {
    return {
      checker: this.checker,
      send: (m) => {
        // A real transport knows when a snapshot stream fails; the leader waits for that report.
        if (!this.network.send(m) && m.type === MessageType.Snap) this.lostSnapshots.push(m);
      },
      confChangeApplied: (node, cc, index) => {
        if (!this.committedConfChanges.has(index)) {
          this.committedConfChanges.add(index);
          if (cc.type === ConfChangeType.AddNode) this.stats.membersAdded++;
          else this.stats.membersRemoved++;
        }
        // A member that applied its own removal may be shut down for good (or left running).
        if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === node.id && !node.removed) {
          node.removed = true;
          if (this.driverRng.next() < 0.5) this.toStop.push(node);
        }
      },
      payloadApplied: (_node, payloadId, index) => {
        if (!this.payloadIndex.has(payloadId)) this.payloadIndex.set(payloadId, index);
      },
      snapshotCreated: () => {
        this.stats.snapshotsCreated++;
      },
      snapshotInstalled: () => {
        this.stats.snapshotsInstalled++;
      },
      readServed: () => {
        this.stats.readIndexServed++;
      },
    };
  }

  private spawn(id: NodeId, storage: MemoryStorage): SimNode {
    const n = new SimNode(id, storage, this.settings, this.snapshotPolicy, this.driverRng.fork(), this.hooks, this.options.driverBug);
    this.nodes.set(id, n);
    n.start(this.raftRng.fork());
    return n;
  }

  private stopRemoved(): void {
    for (const n of this.toStop.splice(0)) {
      n.stop(); // if it crashed meanwhile, it just stays down
      this.stats.nodesStopped++;
      this.note(`stop n${n.id} (removed from the cluster)`);
    }
  }

  /** A running node that believes it leads (the highest term one, if several do). */
  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (!n.alive || !n.isLeader) continue;
      if (!best || n.running().status().hardState.term > best.running().status().hardState.term) best = n;
    }
    return best;
  }

  private running(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.alive);
  }

  /** Crashed nodes that may come back (not the removed ones that were shut down). */
  private crashed(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.alive && !n.stopped);
  }

  private pick<T>(xs: T[]): T {
    if (xs.length === 0) throw new Error('simulation: picking from an empty set');
    return xs[this.actionRng.int(xs.length)]!;
  }

  /** Runs a client request; returns true if Raft dropped it (a normal outcome under faults). */
  private tryPropose(f: () => void): boolean {
    try {
      f();
      return false;
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
      this.stats.requestsDropped++;
      this.note(`  dropped: ${e.message}`);
      return true;
    }
  }

  private note(what: string): void {
    this.trace.add(`#${this.step} ${what}`);
  }

  private failure(e: unknown): SimulationFailure {
    this.stats.violations++;
    const [invariant, detail] =
      e instanceof InvariantViolation
        ? [e.invariant, e.detail]
        : (['raft error', e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)] as const);
    return new SimulationFailure(invariant, detail, this.seed, this.step, this.options, this.description, this.trace.tail());
  }
}
