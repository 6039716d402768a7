import { FakeClock } from '@mk/shared';
import { LeaderElector, LeaseApi, LeaseObject } from './leader-election';
import type { KubeObjectLike } from './object';
import { ApiError } from './status';

/** An in-memory Lease store with resourceVersion checks; calls can be made to fail or hang. */
class FakeLeases implements LeaseApi {
  lease: LeaseObject | undefined;
  private rv = 0;
  /** Identities whose calls fail (network cut) or hang until released. */
  readonly failing = new Set<string>();
  readonly hanging = new Set<string>();
  private hung: Array<() => void> = [];
  writes: string[] = [];

  constructor(private readonly whoCalls: () => string) {}

  private async gate(): Promise<void> {
    const who = this.whoCalls();
    if (this.failing.has(who)) throw ApiError.unavailable(`${who} is cut off`);
    if (this.hanging.has(who)) await new Promise<void>((r) => this.hung.push(r));
  }

  releaseHung(): void {
    for (const r of this.hung.splice(0)) r();
  }

  async get<T extends KubeObjectLike>(): Promise<T> {
    await this.gate();
    if (!this.lease) throw ApiError.notFound('leases', 'x');
    return structuredClone(this.lease) as unknown as T;
  }

  async create<T extends KubeObjectLike>(_r: string, obj: T): Promise<T> {
    await this.gate();
    if (this.lease) throw ApiError.alreadyExists('leases', 'x');
    this.lease = { ...(structuredClone(obj) as LeaseObject), metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    this.writes.push(`create ${this.lease.spec?.holderIdentity}`);
    return structuredClone(this.lease) as unknown as T;
  }

  async update<T extends KubeObjectLike>(_r: string, obj: T): Promise<T> {
    await this.gate();
    if (obj.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw ApiError.conflict('leases', 'x');
    this.lease = { ...(structuredClone(obj) as LeaseObject), metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    this.writes.push(`update ${this.lease.spec?.holderIdentity}`);
    return structuredClone(this.lease) as unknown as T;
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(names: string[]) {
  const clock = new FakeClock(1_000_000);
  let caller = '';
  const api = new FakeLeases(() => caller);
  const acting = new Set<string>();
  const log: string[] = [];
  let maxActing = 0;
  const electors = new Map<string, LeaderElector>();
  for (const id of names) {
    // Each elector's calls are tagged with its identity, so one can be cut off alone.
    const own: LeaseApi = {
      get: <T extends KubeObjectLike>() => ((caller = id), api.get<T>()),
      create: <T extends KubeObjectLike>(r: string, obj: T) => ((caller = id), api.create(r, obj)),
      update: <T extends KubeObjectLike>(r: string, obj: T) => ((caller = id), api.update(r, obj)),
    };
    electors.set(
      id,
      new LeaderElector({
        api: own,
        namespace: 'kube-system',
        name: 'mk-scheduler',
        identity: id,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 500,
        clock,
        onStartedLeading: () => {
          acting.add(id);
          maxActing = Math.max(maxActing, acting.size);
          log.push(`${clock.now() - 1_000_000} ${id} leads`);
        },
        onStoppedLeading: () => {
          acting.delete(id);
          log.push(`${clock.now() - 1_000_000} ${id} stops`);
        },
      }),
    );
  }
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50);
      await flush();
      maxActing = Math.max(maxActing, acting.size);
    }
  };
  return { clock, api, acting, log, electors, run, maxActing: () => maxActing };
}

describe('LeaderElector (client-go semantics on a Lease)', () => {
  it('the first candidate acquires; the other waits while the leader renews', async () => {
    const s = setup(['a', 'b']);
    s.electors.get('a')!.start();
    await s.run(100);
    s.electors.get('b')!.start();
    await s.run(10_000);
    expect([...s.acting]).toEqual(['a']);
    expect(s.log).toEqual(['50 a leads']); // its first attempt, at the first clock step
    expect(s.api.lease?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 3, leaseTransitions: 0 });
    expect(s.electors.get('b')!.getLeader()).toBe('a');
  });

  it('a dead leader is replaced after the lease duration (within lease + retry), with a transition counted', async () => {
    const s = setup(['a', 'b']);
    s.electors.get('a')!.start();
    await s.run(100);
    s.electors.get('b')!.start();
    await s.run(2000);
    // kill -9 of a: it neither renews nor steps down.
    s.api.failing.add('a');
    const killedAt = s.clock.now() - 1_000_000;
    await s.run(6000);
    const took = s.log.find((l) => l.endsWith('b leads'));
    expect(took).toBeDefined();
    const at = Number(took!.split(' ')[0]);
    expect(at - killedAt).toBeLessThanOrEqual(3000 + 500 + 500);
    expect(s.api.lease?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('a leader that cannot renew stops acting before anyone else can acquire: never two leaders', async () => {
    const s = setup(['a', 'b', 'c']);
    for (const e of s.electors.values()) e.start();
    await s.run(3000);
    const first = [...s.acting][0]!;
    s.api.hanging.add(first); // its requests hang (a partition)
    await s.run(8000);
    expect(s.maxActing()).toBe(1);
    const stop = s.log.find((l) => l.endsWith(`${first} stops`));
    const next = s.log.find((l) => l.endsWith('leads') && !l.endsWith(`${first} leads`));
    expect(stop && next).toBeTruthy();
    expect(Number(stop!.split(' ')[0])).toBeLessThan(Number(next!.split(' ')[0]));
    s.api.hanging.delete(first);
    s.api.releaseHung();
    await s.run(3000);
    expect(s.maxActing()).toBe(1);
  });

  it('stop() releases the lease so a standby takes over within one retry period', async () => {
    const s = setup(['a', 'b']);
    s.electors.get('a')!.start();
    await s.run(100);
    s.electors.get('b')!.start();
    await s.run(1000);
    const p = s.electors.get('a')!.stop();
    await s.run(100);
    await p;
    const stoppedAt = s.clock.now() - 1_000_000;
    await s.run(1500);
    const took = s.log.find((l) => l.endsWith('b leads'));
    expect(Number(took!.split(' ')[0]) - stoppedAt).toBeLessThanOrEqual(1000 + 500);
    expect(s.log.filter((l) => l.includes('a stops'))).toHaveLength(1);
  });

  it('refuses timings where a leader could outlive its lease', () => {
    const clock = new FakeClock();
    const base = { api: new FakeLeases(() => ''), namespace: 'n', name: 'l', identity: 'a', clock, onStartedLeading: () => {}, onStoppedLeading: () => {} };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 2000, renewDeadlineMs: 2000, retryPeriodMs: 500 })).toThrow(/renewDeadline must be shorter/);
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(/retryPeriod must be shorter/);
  });
});

test('after a pause longer than the renew deadline, isLeader() is false before any timer runs', async () => {
  const clock = new FakeClock(0);
  const api = new FakeLeases(() => 'a');
  const events: string[] = [];
  const e = new LeaderElector({
    api,
    namespace: 'n',
    name: 'l',
    identity: 'a',
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 500,
    clock,
    onStartedLeading: () => events.push('lead'),
    onStoppedLeading: () => events.push('stop'),
  });
  e.start();
  clock.advance(0);
  for (let i = 0; i < 20; i++) await Promise.resolve();
  expect(e.isLeader()).toBe(true);
  // The process is frozen: the clock moves, but no timer has had a chance to fire yet.
  clock.jump(5000);
  expect(e.isLeader()).toBe(false);
  expect(events).toEqual(['lead', 'stop']);
});
