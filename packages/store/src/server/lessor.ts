import { ServiceClient, ServiceImplementation, etcdserverpb, services, unaryCall } from '@mk/proto';
import { Clock, Logger } from '@mk/shared';
import { Errors, toServiceError } from './errors';
import type { StoreServer } from './store-server';

/** How often the leader looks for expired leases. */
const EXPIRY_CHECK_MS = 500;

type PeerClient = ServiceClient<typeof services.mkstorepb.Peer>;

/**
 * Lease expiry, decided by the leader alone (like etcd): it keeps each lease's deadline in memory,
 * renews it on keep-alive, and proposes a LeaseRevoke when it passes. A new leader gives every
 * lease a full TTL again, so a leader change never expires a lease early. Followers forward
 * keep-alives and time-to-live queries to the leader over the peer service.
 */
export class Lessor {
  private readonly deadlines = new Map<number, number>();
  private readonly revoking = new Set<number>();
  private leading = false;
  private cancelCheck: () => void = () => {};
  readonly minTtlSec: number;

  constructor(
    private readonly s: StoreServer,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    // etcd: the minimum TTL is 1.5 election timeouts, so a lease survives a leader election.
    this.minTtlSec = Math.ceil((1.5 * s.cfg.electionTimeoutMs) / 1000);
  }

  onLeaderChange(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.deadlines.clear();
    this.revoking.clear();
    this.cancelCheck();
    if (leading) {
      const now = this.clock.now();
      for (const l of this.s.sm.mvcc.leaseList()) this.deadlines.set(l.id, now + l.ttl * 1000);
      this.scheduleCheck();
    }
  }

  stop(): void {
    this.leading = false;
    this.cancelCheck();
  }

  private scheduleCheck(): void {
    this.cancelCheck = this.clock.setTimer(EXPIRY_CHECK_MS, () => {
      if (!this.leading) return;
      this.expire();
      this.scheduleCheck();
    });
  }

  private expire(): void {
    const now = this.clock.now();
    const live = new Set<number>();
    for (const l of this.s.sm.mvcc.leaseList()) {
      live.add(l.id);
      const deadline = this.deadlines.get(l.id);
      if (deadline === undefined) {
        // Granted since we became leader.
        this.deadlines.set(l.id, now + l.ttl * 1000);
        continue;
      }
      if (deadline > now || this.revoking.has(l.id)) continue;
      this.revoking.add(l.id);
      this.logger.info('lease expired', { lease: l.id.toString(16) });
      this.s.propose({ leaseRevoke: { ID: l.id } }).then(
        () => this.revoking.delete(l.id),
        () => this.revoking.delete(l.id),
      );
    }
    for (const id of this.deadlines.keys()) if (!live.has(id)) this.deadlines.delete(id);
  }

  /** Leader only: renews a lease; 0 when it does not exist (etcd answers TTL 0, not an error). */
  private renewHere(id: number): number {
    const lease = this.s.sm.mvcc.leaseLookup(id);
    if (!lease) return 0;
    this.deadlines.set(id, this.clock.now() + lease.ttl * 1000);
    return lease.ttl;
  }

  private timeToLiveHere(id: number, keys: boolean): etcdserverpb.LeaseTimeToLiveResponse.$Properties {
    const lease = this.s.sm.mvcc.leaseLookup(id);
    if (!lease) return { header: this.s.header(), ID: id, TTL: -1, grantedTTL: 0, keys: [] };
    const deadline = this.deadlines.get(id) ?? this.clock.now() + lease.ttl * 1000;
    const remaining = Math.max(0, Math.ceil((deadline - this.clock.now()) / 1000));
    return { header: this.s.header(), ID: id, TTL: remaining, grantedTTL: lease.ttl, keys: keys ? lease.keys : [] };
  }

  private leaderClient(): PeerClient {
    return this.s.leaderPeerClient();
  }

  private async renew(id: number): Promise<number> {
    if (this.leading) return this.renewHere(id);
    const c = this.leaderClient();
    const res = await unaryCall(c.LeaseRenew.bind(c), { ID: id }, { callOptions: { deadline: Date.now() + this.s.requestTimeoutMs() } });
    return res.TTL;
  }

  /** Handlers of the etcd Lease service on the client URLs. */
  clientHandlers(): ServiceImplementation<typeof services.etcdserverpb.Lease> {
    return {
      LeaseGrant: (call, callback) => {
        const ttl = Math.max(call.request.TTL, this.minTtlSec);
        const id = call.request.ID || this.s.randomId();
        this.s.propose({ leaseGrant: { ID: id, TTL: ttl } }).then(
          (o) => {
            if (!o.ok) return callback(toServiceError(o.error));
            if (this.leading) this.deadlines.set(id, this.clock.now() + ttl * 1000);
            callback(null, { header: this.s.header(), ID: id, TTL: ttl, error: '' });
          },
          (e: unknown) => callback(toServiceError(e)),
        );
      },
      LeaseRevoke: (call, callback) => {
        this.s.propose({ leaseRevoke: { ID: call.request.ID } }).then(
          (o) => (o.ok ? callback(null, { header: this.s.header() }) : callback(toServiceError(o.error))),
          (e: unknown) => callback(toServiceError(e)),
        );
      },
      LeaseKeepAlive: (call) => {
        call.on('data', (req: etcdserverpb.LeaseKeepAliveRequest) => {
          this.renew(req.ID).then(
            (ttl) => call.write({ header: this.s.header(), ID: req.ID, TTL: ttl }),
            (e: unknown) => call.destroy(Object.assign(new Error(toServiceError(e).details), toServiceError(e))),
          );
        });
        call.on('end', () => call.end());
        call.on('error', () => {});
      },
      LeaseTimeToLive: (call, callback) => {
        const req = call.request;
        if (this.leading) return callback(null, this.timeToLiveHere(req.ID, req.keys));
        let c: PeerClient;
        try {
          c = this.leaderClient();
        } catch (e) {
          return callback(toServiceError(e));
        }
        unaryCall(c.LeaseTimeToLive.bind(c), { ID: req.ID, keys: req.keys }, { callOptions: { deadline: Date.now() + this.s.requestTimeoutMs() } }).then(
          (res) => callback(null, { ...res, header: this.s.header() }),
          (e: unknown) => callback(toServiceError(e)),
        );
      },
      LeaseLeases: (_call, callback) => {
        this.s.linearizableRead().then(
          () => callback(null, { header: this.s.header(), leases: this.s.sm.mvcc.leaseList().map((l) => ({ ID: l.id })) }),
          (e: unknown) => callback(toServiceError(e)),
        );
      },
    };
  }

  /** Handlers for requests other members forward to the leader. */
  peerHandlers(): Partial<ServiceImplementation<typeof services.mkstorepb.Peer>> {
    return {
      LeaseRenew: (call, callback) => {
        if (!this.leading) return callback(toServiceError(Errors.notLeader()));
        callback(null, { header: this.s.header(), ID: call.request.ID, TTL: this.renewHere(call.request.ID) });
      },
      LeaseTimeToLive: (call, callback) => {
        if (!this.leading) return callback(toServiceError(Errors.notLeader()));
        callback(null, this.timeToLiveHere(call.request.ID, call.request.keys));
      },
    };
  }
}
