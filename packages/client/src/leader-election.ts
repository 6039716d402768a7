import { Clock, Logger, nullLogger } from '@mk/shared';
import type { KubeObjectLike } from './object';
import { ApiError } from './status';

/** The parts of a coordination.k8s.io/v1 Lease that leader election reads and writes. */
export interface LeaseObject extends KubeObjectLike {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** What the elector needs from the API (ApiClient satisfies it). */
export interface LeaseApi {
  get<T extends KubeObjectLike>(resource: string, namespace: string, name: string, opts?: { timeoutMs?: number }): Promise<T>;
  create<T extends KubeObjectLike>(resource: string, obj: T, opts?: { timeoutMs?: number }): Promise<T>;
  update<T extends KubeObjectLike>(resource: string, obj: T, opts?: { timeoutMs?: number }): Promise<T>;
}

export interface LeaderElectionOptions {
  api: LeaseApi;
  /** Where the Lease lives (Kubernetes: kube-system) and its name (the component's). */
  namespace: string;
  name: string;
  /** Who this candidate is (hostname + a random suffix, as Kubernetes components use). */
  identity: string;
  /** How long a lease is good for after its last renewal, as seen by the others. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops acting (must be < leaseDurationMs). */
  renewDeadlineMs: number;
  /** How often candidates try to acquire and the leader renews. */
  retryPeriodMs: number;
  clock: Clock;
  logger?: Logger;
  /** Called when this candidate becomes the leader: start acting. */
  onStartedLeading: () => void;
  /** Called when it stops being the leader (lost, or stop()): stop acting at once. */
  onStoppedLeading: () => void;
  /** Called when the observed leader changes (also for others). */
  onNewLeader?: (identity: string) => void;
  /** On stop(), give the lease up so a standby takes over at once (default true). */
  releaseOnStop?: boolean;
}

/** mk's defaults: a standby takes over within lease + retry ≈ 4 s of a leader's death (Kubernetes: 15 s + 2 s). */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 } as const;

/**
 * client-go's leader election on a Lease object. Candidates try every retry period; a lease held by
 * another is respected until `leaseDuration` has passed *by this candidate's own clock* since the
 * record last changed (no clock comparison across machines). Writes are guarded by the Lease's
 * resourceVersion, so two candidates can never both succeed. The leader renews every retry
 * period; when a renewal has not succeeded for `renewDeadline` (< leaseDuration) it stops acting
 * before anyone else can acquire the lease — no two leaders act at once.
 */
export class LeaderElector {
  private readonly log: Logger;
  private leading = false;
  private stopped = false;
  private cancelTimer: () => void = () => {};
  private observed: { key: string; at: number } | undefined;
  private lastRenew = 0;
  private leader = '';
  private lease: LeaseObject | undefined;
  private attempt: Promise<void> | undefined;

  constructor(private readonly o: LeaderElectionOptions) {
    if (!(o.renewDeadlineMs < o.leaseDurationMs)) throw new Error('leader election: renewDeadline must be shorter than leaseDuration');
    if (!(o.retryPeriodMs < o.renewDeadlineMs)) throw new Error('leader election: retryPeriod must be shorter than renewDeadline');
    this.log = (o.logger ?? nullLogger).child({ lease: `${o.namespace}/${o.name}`, identity: o.identity });
  }

  start(): void {
    this.schedule(0);
  }

  /**
   * True while this candidate may act. Checked against the clock, not only the flag: after a
   * pause (SIGSTOP, a long GC) the deadline may have passed before any timer could run.
   */
  isLeader(): boolean {
    this.checkDeadline();
    return this.leading;
  }

  /** The identity of the leader last observed ('' when none). */
  getLeader(): string {
    return this.leader;
  }

  /** Stops contending; a leader stops acting and (by default) releases the lease. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer();
    await this.attempt;
    const wasLeading = this.leading;
    if (wasLeading) this.stepDown('stopped');
    if (wasLeading && this.o.releaseOnStop !== false && this.lease) {
      try {
        const spec = { ...this.lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.o.clock.now()) };
        await this.o.api.update('leases', { ...this.lease, spec }, { timeoutMs: this.o.renewDeadlineMs });
      } catch (e) {
        this.log.info('could not release the lease (it will expire)', { error: (e as Error).message });
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.o.clock.setTimer(ms, () => {
      this.attempt = this.tick().finally(() => {
        this.attempt = undefined;
      });
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    this.checkDeadline(); // a late timer after a pause: step down before anything else

    // The deadline is checked by the clock, not by how a request ends: a renewal that hangs must
    // not keep a leader acting past its deadline.
    const deadlineCheck = this.leading ? this.o.clock.setTimer(this.o.renewDeadlineMs, () => this.checkDeadline()) : () => {};
    let ok = false;
    // A renewal counts from when it was sent, not answered: the write happened after that, so a
    // leader's deadline always ends before the lease it wrote can expire for anyone else.
    const sentAt = this.o.clock.now();
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (e) {
      this.log.debug('lease attempt failed', { error: (e as Error).message });
    } finally {
      deadlineCheck();
    }
    if (this.stopped) return;
    // An answer that took longer than the deadline cannot make (or keep) us leader: by then the
    // deadline check has stopped us, and the next attempt starts from a fresh write.
    if (ok && this.o.clock.now() - sentAt >= this.o.renewDeadlineMs) ok = false;
    if (ok) {
      this.lastRenew = sentAt;
      if (!this.leading) {
        this.leading = true;
        this.log.info('became leader');
        this.o.onStartedLeading();
      }
    } else {
      this.checkDeadline();
    }
    this.schedule(this.o.retryPeriodMs);
  }

  private checkDeadline(): void {
    if (this.leading && this.o.clock.now() - this.lastRenew >= this.o.renewDeadlineMs) this.stepDown('failed to renew the lease within the renew deadline');
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.warn('stopped leading', { why });
    this.o.onStoppedLeading();
  }

  /** One attempt; true when this candidate holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.o.clock.now();
    const timeoutMs = this.leading ? Math.max(1, this.o.renewDeadlineMs - (now - this.lastRenew)) : this.o.renewDeadlineMs;
    let current: LeaseObject | undefined;
    try {
      current = await this.o.api.get<LeaseObject>('leases', this.o.namespace, this.o.name, { timeoutMs });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
    }
    const mine = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.o.leaseDurationMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!current) {
      const lease: LeaseObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.o.name, namespace: this.o.namespace }, spec: mine };
      this.lease = await this.o.api.create('leases', lease, { timeoutMs });
      this.observe(this.lease);
      return true;
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== this.o.identity;
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
    if (heldByOther && this.observed!.at + durationMs > now) return false;
    const next: LeaseObject =
      holder === this.o.identity
        ? { ...current, spec: { ...spec, renewTime: microTime(now), leaseDurationSeconds: mine.leaseDurationSeconds } }
        : { ...current, spec: { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + (holder === '' && !spec.renewTime ? 0 : 1) } };
    this.lease = await this.o.api.update('leases', next, { timeoutMs });
    this.observe(this.lease);
    return true;
  }

  /** Remembers when the record last changed, by this candidate's clock (client-go's observedTime). */
  private observe(lease: LeaseObject): void {
    const spec = lease.spec ?? {};
    const key = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}|${spec.leaseTransitions ?? 0}`;
    if (this.observed?.key !== key) this.observed = { key, at: this.o.clock.now() };
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.leader) {
      this.leader = holder;
      if (holder) this.log.info('new leader observed', { leader: holder });
      this.o.onNewLeader?.(holder);
    }
  }
}

/** Kubernetes' MicroTime: RFC 3339 with microseconds, UTC. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
