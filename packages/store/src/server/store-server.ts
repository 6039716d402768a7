import * as grpc from '@grpc/grpc-js';
import { ServiceClient, etcdserverpb, makeClientConstructor, mkstorepb, services, unaryCall } from '@mk/proto';
import { ConfChange, ConfChangeType, ProposalDroppedError, ReadState, SnapshotStatus, StateType } from '@mk/raft';
import { Clock, Logger, Rng } from '@mk/shared';
import { StoreConfig } from '../config';
import { clusterIdOf, idHex, memberIdOf } from '../cluster/member-id';
import { MemberInfo, memberFromPb, memberToPb } from '../cluster/members';
import { DataDir } from '../disk/data-dir';
import { DiskRaftStorage } from '../disk/raft-storage';
import { MvccEvent } from '../mvcc';
import { RaftNode } from '../raft-node';
import { PEER_CHANNEL_OPTIONS, PeerTransport } from '../transport/peer-transport';
import { hostPort } from '../urls';
import { WatchHub } from '../watch/watch-hub';
import { EtcdError, Errors, requireLeaderInterceptor, toServiceError } from './errors';
import { ApplyOutcome, StoreStateMachine, confChangeKey } from './state-machine';
import { addClientServices } from './services';
import { Lessor } from './lessor';

const PeerClientCtor = makeClientConstructor(services.mkstorepb.Peer);

/** How long a client request may wait for Raft before it fails (etcd: 5 s + 2 × election timeout). */
function requestTimeoutMs(cfg: StoreConfig): number {
  return 5000 + 2 * cfg.electionTimeoutMs;
}

/** How often a conf change still waiting to be applied is proposed again. */
const CONF_CHANGE_RETRY_MS = 500;

/** etcd adds this to --max-request-bytes for gRPC framing. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

interface Waiter {
  resolve(o: ApplyOutcome): void;
  timer: () => void;
}

/**
 * One mk-store member: the data dir, the Raft node, the replicated state machine, the peer
 * transport, and the etcd v3 gRPC services on the client URLs.
 */
export class StoreServer {
  readonly memberId: number;
  readonly clusterId: number;
  private readonly waiters = new Map<string, Waiter>();
  private readonly peerClients = new Map<string, ServiceClient<typeof services.mkstorepb.Peer>>();
  private nextRequestId: number;
  private readonly appliedWaiters: Array<{ index: number; resolve: () => void }> = [];
  private pendingReads: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private readInFlight: { ctx: string; waiting: Array<{ resolve: () => void; reject: (e: Error) => void }>; cancel: () => void } | undefined;
  private readSeq = 0;
  private clientServers: grpc.Server[] = [];
  private peerServer: grpc.Server | undefined;
  private stopped = false;
  readonly watchHub: WatchHub;
  readonly lessor: Lessor;
  readonly node: RaftNode;

  private constructor(
    readonly cfg: StoreConfig,
    readonly dataDir: DataDir,
    readonly sm: StoreStateMachine,
    readonly transport: PeerTransport,
    storage: DiskRaftStorage,
    memberId: number,
    clusterId: number,
    readonly clock: Clock,
    private readonly rng: Rng,
    readonly logger: Logger,
    watchHub: WatchHub,
  ) {
    this.memberId = memberId;
    this.clusterId = clusterId;
    // Request ids: random high bits per incarnation, so ids never repeat across restarts.
    this.nextRequestId = rng.int(2 ** 20) * 2 ** 32;
    this.watchHub = watchHub;
    this.node = new RaftNode({
      id: memberId,
      storage,
      dataDir,
      transport,
      stateMachine: sm,
      applied: sm.applied(),
      clock,
      rng,
      logger: logger.child({ component: 'raft' }),
      tickMs: cfg.heartbeatIntervalMs,
      electionTicks: Math.max(2, Math.round(cfg.electionTimeoutMs / cfg.heartbeatIntervalMs)),
      snapshotCount: cfg.snapshotCount,
      catchUpEntries: 5000,
      onReadState: (rs) => this.onReadState(rs),
      onApplied: (index) => this.onApplied(index),
      onSoftState: (s) => {
        this.logger.info(s.raftState === StateType.Leader ? 'became leader' : 'raft state', { state: s.raftState, leader: idHex(s.lead) });
        this.lessor.onLeaderChange(s.raftState === StateType.Leader);
      },
    });
    this.lessor = new Lessor(this, clock, logger.child({ component: 'lessor' }));
  }

  /** Opens (or bootstraps) the data dir and starts serving. */
  static async start(cfg: StoreConfig, deps: { clock: Clock; rng: Rng; logger: Logger }): Promise<StoreServer> {
    const logger = deps.logger;
    const dataDir = await DataDir.open(cfg.dataDir, logger);
    try {
      return await StoreServer.startOn(dataDir, cfg, deps);
    } catch (e) {
      await dataDir.close().catch(() => {});
      throw e;
    }
  }

  private static async startOn(dataDir: DataDir, cfg: StoreConfig, deps: { clock: Clock; rng: Rng; logger: Logger }): Promise<StoreServer> {
    const { clock, rng, logger } = deps;
    const founders: MemberInfo[] = [...cfg.initialCluster.entries()].map(([name, peerUrls]) => ({
      id: memberIdOf(peerUrls, cfg.initialClusterToken),
      name,
      peerUrls,
      clientUrls: [],
    }));
    const myId = memberIdOf(cfg.initialAdvertisePeerUrls, cfg.initialClusterToken);
    const known = await dataDir.identity();
    let storage: DiskRaftStorage;
    let memberId: number;
    let clusterId: number;
    let seedPeers: MemberInfo[] = [];
    if (known) {
      if (known.name !== cfg.name) {
        throw new EtcdError(9, `data dir ${cfg.dataDir} belongs to member '${known.name}', not '${cfg.name}'`);
      }
      memberId = known.memberId;
      clusterId = known.clusterId;
      storage = await DiskRaftStorage.load(dataDir);
      logger.info('restarting member', { member: idHex(memberId), cluster: idHex(clusterId), applied: storage.snapshot().metadata.index });
    } else if (cfg.initialClusterState === 'new') {
      memberId = myId;
      clusterId = clusterIdOf(founders.map((f) => f.id), cfg.initialClusterToken);
      const genesis = StoreStateMachine.genesis(clusterId, founders);
      storage = await DiskRaftStorage.bootstrap(dataDir, founders.map((f) => f.id), genesis, [dataDir.identityOp({ name: cfg.name, memberId, clusterId })]);
      logger.info('bootstrapped a new cluster', { member: idHex(memberId), cluster: idHex(clusterId), members: founders.length });
    } else {
      // Joining: the member was added with MemberAdd, which chose its id; ask the cluster for it.
      // The leader then catches this member up with a snapshot.
      const found = await StoreServer.lookUpSelf(cfg, logger);
      ({ memberId, clusterId } = found);
      // Until the leader's snapshot arrives our replicated member list is empty: reach the others
      // through the list we were given, or we could not even answer the leader's first probe.
      seedPeers = found.members;
      storage = await DiskRaftStorage.load(dataDir);
      await dataDir.write([dataDir.identityOp({ name: cfg.name, memberId, clusterId })], true);
      logger.info('joining an existing cluster', { member: idHex(memberId) });
    }

    // Bound late: the server object needs the state machine, which needs the listener.
    const holder: { watchHub?: WatchHub; server?: StoreServer } = {};
    const listener = {
      onResult: (key: string, o: ApplyOutcome) => holder.server?.resolveWaiter(key, o),
      onEvents: (events: MvccEvent[]) => holder.watchHub?.publish(events),
      onMembersChanged: (members: MemberInfo[]) => holder.server?.updatePeers(members),
      onRestore: () => holder.watchHub?.onRestore(),
    };
    const sm = await StoreStateMachine.load(dataDir.db, storage.snapshot(), listener, logger.child({ component: 'apply' }));
    const transport = new PeerTransport(
      {
        step: (m) => holder.server?.node.step(m),
        reportUnreachable: (id) => holder.server?.node.reportUnreachable(id),
        reportSnapshot: (id, s: SnapshotStatus) => holder.server?.node.reportSnapshot(id, s),
      },
      logger.child({ component: 'peers' }),
    );
    const watchHub = (holder.watchHub = new WatchHub({
      mvcc: () => sm.mvcc,
      header: () => holder.server!.header(),
      logger: logger.child({ component: 'watch' }),
      clock,
      progressNotifyMs: cfg.watchProgressNotifyMs,
    }));
    const server = new StoreServer(cfg, dataDir, sm, transport, storage, memberId, clusterId || sm.members.clusterId, clock, rng, logger, watchHub);
    holder.server = server;
    server.updatePeers(sm.members.list().length > 0 ? sm.members.list() : seedPeers);
    await server.listen();
    server.node.start();
    void server.publishSelf();
    return server;
  }

  /** Asks the members in --initial-cluster which id MemberAdd gave the member with our peer URLs. */
  private static async lookUpSelf(cfg: StoreConfig, logger: Logger): Promise<{ memberId: number; clusterId: number; members: MemberInfo[] }> {
    const mine = [...cfg.initialAdvertisePeerUrls].sort().join(',');
    const others = [...cfg.initialCluster.entries()].filter(([name]) => name !== cfg.name).flatMap(([, urls]) => urls);
    if (others.length === 0) throw new EtcdError(9, '--initial-cluster-state existing needs the other members in --initial-cluster');
    const errors: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      for (const url of others) {
        const client = new PeerClientCtor(hostPort(url), grpc.credentials.createInsecure());
        try {
          const res = await unaryCall(client.Members.bind(client), {}, { callOptions: { deadline: Date.now() + 2000 } });
          const me = (res.members ?? []).find((m) => [...(m.peerURLs ?? [])].sort().join(',') === mine);
          if (!me) {
            throw new EtcdError(
              9,
              `this member (peer URLs ${mine}) is not in the cluster's member list; add it first: etcdctl member add ${cfg.name} --peer-urls=${mine}`,
            );
          }
          return { memberId: me.ID ?? 0, clusterId: res.header?.clusterId ?? 0, members: (res.members ?? []).map(memberFromPb) };
        } catch (e) {
          if (e instanceof EtcdError) throw e;
          errors.push(`${url}: ${(e as Error).message}`);
        } finally {
          client.close();
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    logger.error('could not reach the cluster to join', { errors: errors.slice(-3) });
    throw new EtcdError(14, `cannot join: no member in --initial-cluster answered (${errors.slice(-1)[0] ?? 'no answer'})`);
  }

  // ---- networking ------------------------------------------------------------------------------

  private async listen(): Promise<void> {
    const bind = (server: grpc.Server, url: string) =>
      new Promise<void>((resolve, reject) =>
        server.bindAsync(hostPort(url), grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(new Error(`cannot listen on ${url}: ${e.message}`)) : resolve())),
      );
    this.peerServer = new grpc.Server(PEER_CHANNEL_OPTIONS);
    this.transport.serve(this.peerServer, {
      ...this.lessor.peerHandlers(),
      Members: (_call, callback) => callback(null, { header: this.header(), members: this.sm.members.list().map(memberToPb) }),
      MemberRemove: (call, callback) => {
        this.removeMember(call.request.ID).then(
          (res) => callback(null, res),
          (e: unknown) => callback(toServiceError(e)),
        );
      },
    });
    for (const url of this.cfg.listenPeerUrls) await bind(this.peerServer, url);
    const limits = {
      'grpc.max_receive_message_length': this.cfg.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': 2 ** 31 - 1,
    };
    for (const url of this.cfg.listenClientUrls) {
      const s = new grpc.Server({ ...limits, interceptors: [requireLeaderInterceptor(() => this.node.leader() !== 0)] });
      addClientServices(s, this);
      await bind(s, url);
      this.clientServers.push(s);
    }
    this.monitorLeader();
    this.logger.info('serving', { client: this.cfg.listenClientUrls, peer: this.cfg.listenPeerUrls });
  }

  /**
   * etcd's leader monitor: once this member has had no leader for three election timeouts, the
   * watch streams of clients that require one are ended, so they move to a member that has one.
   */
  private monitorLeader(): void {
    let leaderless = 0;
    const check = () => {
      if (this.stopped) return;
      leaderless = this.node.leader() === 0 ? leaderless + 1 : 0;
      if (leaderless >= 3) {
        const n = this.watchHub.endRequireLeaderStreams();
        if (n > 0) this.logger.warn('no leader: ended watch streams that require one', { streams: n });
      }
      this.clock.setTimer(this.cfg.electionTimeoutMs, check);
    };
    this.clock.setTimer(this.cfg.electionTimeoutMs, check);
  }

  /** Keeps the transport's address book equal to the replicated member list. */
  updatePeers(members: MemberInfo[]): void {
    const ids = new Set(members.map((m) => m.id));
    for (const m of members) {
      if (m.id !== this.memberId && m.peerUrls[0]) this.transport.setPeer(m.id, m.peerUrls[0]);
    }
    for (const id of this.knownPeers) if (!ids.has(id)) this.transport.removePeer(id);
    this.knownPeers = new Set([...ids].filter((id) => id !== this.memberId));
  }
  private knownPeers = new Set<number>();

  /** Announces this member's name and client URLs to the cluster (retried until it lands). */
  private async publishSelf(): Promise<void> {
    while (!this.stopped) {
      const mine = this.sm.members.get(this.memberId);
      if (mine && mine.name === this.cfg.name && mine.clientUrls.join(',') === this.cfg.advertiseClientUrls.join(',')) return;
      try {
        const outcome = await this.propose({
          publish: { ID: this.memberId, name: this.cfg.name, clientURLs: this.cfg.advertiseClientUrls, peerURLs: this.cfg.initialAdvertisePeerUrls },
        });
        if (outcome.ok) {
          this.logger.info('published member attributes', { name: this.cfg.name, clientUrls: this.cfg.advertiseClientUrls });
          return;
        }
      } catch {
        // no leader yet: try again
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.lessor.stop();
    this.watchHub.close();
    for (const s of this.clientServers) s.forceShutdown();
    this.peerServer?.forceShutdown();
    await this.node.stop();
    this.transport.close();
    for (const c of this.peerClients.values()) c.close();
    this.peerClients.clear();
    for (const [key, w] of this.waiters) {
      w.timer();
      w.resolve({ ok: false, error: Errors.stopped() });
      this.waiters.delete(key);
    }
    this.readInFlight?.cancel();
    for (const r of this.pendingReads.splice(0)) r.reject(Errors.stopped());
    await this.dataDir.close();
    this.logger.info('stopped');
  }

  // ---- what services use ------------------------------------------------------------------------

  header(): etcdserverpb.ResponseHeader.$Properties {
    return {
      clusterId: this.clusterId || this.sm.members.clusterId,
      memberId: this.memberId,
      revision: this.sm.mvcc.currentRevision,
      raftTerm: this.node.status().hardState.term,
    };
  }

  /**
   * Replicates `req` and resolves with its outcome once this member applied it. Retries while
   * there is no leader, up to the request timeout.
   */
  async propose(req: Omit<mkstorepb.InternalRequest.$Properties, 'id'>): Promise<ApplyOutcome> {
    const id = this.nextRequestId++;
    const data = mkstorepb.InternalRequest.encode({ ...req, id }).finish();
    if (data.length > this.cfg.maxRequestBytes) throw Errors.requestTooLarge();
    return this.replicate(String(id), () => this.node.propose(data));
  }

  /**
   * A forwarded conf change that the leader cannot take at that moment (another change pending, no
   * entry of its term committed yet, a new leader) is dropped without an answer, so it is proposed
   * again while we wait. That is safe: adding a present member or removing an absent one is a no-op.
   */
  async proposeConfChange(cc: ConfChange): Promise<ApplyOutcome> {
    let waiting = true;
    const again = () => {
      if (!waiting || this.stopped) return;
      this.node.proposeConfChange(cc).catch(() => {});
      cancel = this.clock.setTimer(CONF_CHANGE_RETRY_MS, again);
    };
    let cancel = this.clock.setTimer(CONF_CHANGE_RETRY_MS, again);
    try {
      return await this.replicate(confChangeKey(cc.type, cc.nodeId), () => this.node.proposeConfChange(cc));
    } finally {
      waiting = false;
      cancel();
    }
  }

  private async replicate(key: string, submit: () => Promise<void>): Promise<ApplyOutcome> {
    if (this.stopped) throw Errors.stopped();
    const deadline = this.clock.now() + requestTimeoutMs(this.cfg);
    // Once Raft has taken the proposal it may still be applied after we give up: that outcome is
    // unknown, which etcd reports as "request timed out". "no leader" promises it was not taken.
    let submitted = false;
    const result = new Promise<ApplyOutcome>((resolve) => {
      const timer = this.clock.setTimer(requestTimeoutMs(this.cfg), () => {
        this.waiters.delete(key);
        resolve({ ok: false, error: !submitted && this.node.leader() === 0 ? Errors.noLeader() : Errors.timeout() });
      });
      this.waiters.set(key, { resolve, timer });
    });
    for (;;) {
      try {
        await submit();
        submitted = true;
        break;
      } catch (e) {
        if (!(e instanceof ProposalDroppedError) || this.clock.now() + 50 > deadline || this.stopped) {
          this.waiters.get(key)?.timer();
          this.waiters.delete(key);
          throw e;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return result;
  }

  private resolveWaiter(key: string, o: ApplyOutcome): void {
    const w = this.waiters.get(key);
    if (!w) return;
    this.waiters.delete(key);
    w.timer();
    w.resolve(o);
  }

  /**
   * Waits until this member may serve a linearizable read: a ReadIndex round confirmed by a quorum
   * and the state machine applied up to it (thesis §6.4). Concurrent reads share one round.
   */
  linearizableRead(): Promise<void> {
    if (this.stopped) return Promise.reject(Errors.stopped());
    return new Promise<void>((resolve, reject) => {
      this.pendingReads.push({ resolve, reject });
      this.startReadRound();
    });
  }

  private startReadRound(): void {
    if (this.readInFlight || this.pendingReads.length === 0 || this.stopped) return;
    const waiting = this.pendingReads;
    this.pendingReads = [];
    const ctx = `${this.memberId.toString(16)}-${this.readSeq++}`;
    const timeout = requestTimeoutMs(this.cfg);
    const started = this.clock.now();
    const retryEvery = Math.max(2 * this.cfg.electionTimeoutMs, 500);
    let cancelRetry = () => {};
    const send = () => {
      this.node.readIndex(new TextEncoder().encode(ctx)).catch(() => {});
      cancelRetry = this.clock.setTimer(retryEvery, () => {
        if (this.clock.now() - started >= timeout) {
          this.readInFlight = undefined;
          const err = this.node.leader() === 0 ? Errors.noLeader() : Errors.timeout();
          for (const r of waiting) r.reject(err);
          this.startReadRound();
          return;
        }
        // The request or its answer may have been lost with a leader change: ask again.
        send();
      });
    };
    this.readInFlight = { ctx, waiting, cancel: () => cancelRetry() };
    send();
  }

  private onReadState(rs: ReadState): void {
    const inflight = this.readInFlight;
    if (!inflight || new TextDecoder().decode(rs.requestCtx) !== inflight.ctx) return;
    inflight.cancel();
    this.readInFlight = undefined;
    void this.waitApplied(rs.index).then(() => {
      for (const r of inflight.waiting) r.resolve();
    });
    this.startReadRound();
  }

  /** Resolves once the state machine has applied `index`. */
  waitApplied(index: number): Promise<void> {
    if (this.node.applied() >= index) return Promise.resolve();
    return new Promise((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  private onApplied(index: number): void {
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i]!;
      if (w.index <= index) {
        this.appliedWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** A Peer client to the current leader (kept per URL), for requests only the leader serves. */
  leaderPeerClient(): ServiceClient<typeof services.mkstorepb.Peer> {
    const url = this.leaderPeerUrl();
    if (!url) throw Errors.noLeader();
    let c = this.peerClients.get(url);
    if (!c) {
      c = new PeerClientCtor(hostPort(url), grpc.credentials.createInsecure(), PEER_CHANNEL_OPTIONS);
      this.peerClients.set(url, c);
    }
    return c;
  }

  /**
   * Removes member `id` from the cluster and answers once that is applied here. A member asked to
   * remove itself hands the request to the leader: Raft drops it from the configuration as soon as
   * the change is in the leader's log, so it would never learn that the change committed.
   */
  async removeMember(id: number): Promise<etcdserverpb.MemberRemoveResponse.$Properties> {
    if (!this.sm.members.has(id)) throw Errors.memberNotFound();
    if (id === this.memberId && !this.node.isLeader()) {
      const c = this.leaderPeerClient();
      const res = await unaryCall(c.MemberRemove.bind(c), { ID: id }, { callOptions: { deadline: Date.now() + requestTimeoutMs(this.cfg) } });
      return { ...res, header: this.header() };
    }
    const o = await this.proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: id });
    if (!o.ok) throw o.error;
    return { header: this.header(), members: this.sm.members.list().map(memberToPb) };
  }

  leaderPeerUrl(): string | undefined {
    const lead = this.node.leader();
    if (lead === 0) return undefined;
    if (lead === this.memberId) return this.cfg.initialAdvertisePeerUrls[0];
    return this.transport.peerUrl(lead);
  }

  requestTimeoutMs(): number {
    return requestTimeoutMs(this.cfg);
  }

  randomId(): number {
    return 1 + this.rng.int(2 ** 52 - 1);
  }
}
