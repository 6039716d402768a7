import type { Endpoints, Service } from '@mk/api';
import { FakeClock } from '@mk/shared';
import { Proxier, cleanupRules, type SyncResult } from './proxier';
import { JUMPS } from './rules';
import { FakeIptables } from './testing/fake-iptables';
import { FakeSource } from './testing/fake-source';
import { endpoints, service } from './testing/objects';

/** Lets the fake driver's promises settle (they resolve at once). */
const settle = async () => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

function setup(opts: { minSyncPeriodMs?: number; syncPeriodMs?: number; services?: Service[]; endpoints?: Endpoints[] } = {}) {
  const clock = new FakeClock(1_000_000);
  const ipt = new FakeIptables();
  const services = new FakeSource<Service>(opts.services ?? []);
  const eps = new FakeSource<Endpoints>(opts.endpoints ?? []);
  const results: SyncResult[] = [];
  const proxier = new Proxier({
    iptables: ipt,
    clock,
    services,
    endpoints: eps,
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    minSyncPeriodMs: opts.minSyncPeriodMs ?? 1000,
    syncPeriodMs: opts.syncPeriodMs ?? 30_000,
    retry: { initialMs: 1000, maxMs: 8000 },
    observer: { syncDone: (r) => results.push(r) },
  });
  /** Advances the clock in small steps, letting each sync finish. */
  const advance = async (ms: number, step = 100) => {
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      await settle();
    }
  };
  return { clock, ipt, services, eps, proxier, results, advance };
}

const web = service('default', 'web', { clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 8080 }] });
const webEps = (...ips: string[]) => endpoints('default', 'web', [{ ready: ips, ports: [{ port: 8080 }] }]);

describe('Proxier', () => {
  it('syncs once at start, writing the chains and every jump from the built-in chains', async () => {
    const t = setup({ services: [web], endpoints: [webEps('10.244.1.2')] });
    t.proxier.start();
    await t.advance(0 + 1);
    expect(t.results.map((r) => r.ok)).toEqual([true]);
    expect(t.proxier.hasSynced()).toBe(true);
    for (const j of JUMPS) expect(t.ipt.rules(j.table, j.chain)).toContain(j.args.join(' '));
    expect(t.ipt.ours('nat').filter((c) => c.startsWith('MK-SVC-') || c.startsWith('MK-SEP-'))).toHaveLength(2);
    expect(t.results[0]!.ruleCounts).toEqual({ nat: 10, filter: 1 });
  });

  it('does not add a jump that is already there', async () => {
    const t = setup();
    t.proxier.start();
    await t.advance(1);
    await t.advance(30_000);
    expect(t.results).toHaveLength(2);
    for (const j of JUMPS) expect(t.ipt.rules(j.table, j.chain).filter((r) => r === j.args.join(' '))).toHaveLength(1);
  });

  it('coalesces a burst of changes into one sync per minSyncPeriod', async () => {
    const t = setup({ services: [web] });
    t.proxier.start();
    await t.advance(1);
    expect(t.results).toHaveLength(1);
    // 20 changes within 500 ms: the next sync waits for the rate limit, then takes them all.
    for (let i = 0; i < 20; i++) {
      t.eps.set(webEps(...Array.from({ length: i + 1 }, (_, k) => `10.244.1.${k + 1}`)));
      await t.advance(25, 25);
    }
    expect(t.results).toHaveLength(1);
    await t.advance(600);
    expect(t.results).toHaveLength(2);
    expect(t.ipt.rules('nat', 'MK-SERVICES').length).toBe(2); // the service and the NodePorts jump
    expect(t.ipt.ours('nat').filter((c) => c.startsWith('MK-SEP-'))).toHaveLength(20);
    await t.advance(5000);
    expect(t.results).toHaveLength(2);
  });

  it('resyncs every syncPeriod without changes', async () => {
    const t = setup({ syncPeriodMs: 10_000 });
    t.proxier.start();
    await t.advance(1);
    await t.advance(35_000, 500);
    expect(t.results).toHaveLength(4);
  });

  it('ignores an informer resync (the same object again)', async () => {
    const t = setup({ services: [web] });
    t.proxier.start();
    await t.advance(1);
    // FakeSource.set with the cached object itself delivers onUpdate(obj, obj), as a resync does.
    t.services.set(t.services.get('default', 'web')!);
    await t.advance(5000);
    expect(t.results).toHaveLength(1);
  });

  it('removes the chains of a deleted service and of an endpoint that is no longer ready', async () => {
    const t = setup({ services: [web], endpoints: [webEps('10.244.1.2', '10.244.1.3')] });
    t.proxier.start();
    await t.advance(1);
    expect(t.ipt.ours('nat').filter((c) => c.startsWith('MK-SEP-'))).toHaveLength(2);
    t.eps.set(endpoints('default', 'web', [{ ready: ['10.244.1.2'], notReady: ['10.244.1.3'], ports: [{ port: 8080 }] }]));
    await t.advance(1000);
    expect(t.ipt.ours('nat').filter((c) => c.startsWith('MK-SEP-'))).toHaveLength(1);
    expect(t.ipt.restores.at(-1)).not.toContain('10.244.1.3:8080');
    t.services.remove('default', 'web');
    await t.advance(1000);
    expect(t.ipt.ours('nat').filter((c) => c.startsWith('MK-SVC-') || c.startsWith('MK-SEP-'))).toEqual([]);
  });

  it('retries a failed sync with doubling back-off, then recovers', async () => {
    const t = setup({ services: [web], endpoints: [webEps('10.244.1.2')] });
    t.ipt.failNext = 3; // three syncs fail at their first call
    t.proxier.start();
    await t.advance(1);
    expect(t.results.map((r) => r.ok)).toEqual([false]);
    expect(t.proxier.hasSynced()).toBe(false);
    expect(t.proxier.staleness()).toMatch(/no sync has succeeded yet \(last error: injected failure/);
    // Failures at t=0, 1 s, 3 s (back-off 1 s, 2 s, 4 s): the 4th attempt, at 7 s, succeeds.
    await t.advance(3000);
    expect(t.results.map((r) => r.ok)).toEqual([false, false, false]);
    t.eps.set(webEps('10.244.1.2', '10.244.1.3')); // a change does not cut the back-off short
    await t.advance(3000);
    expect(t.results.map((r) => r.ok)).toEqual([false, false, false]);
    await t.advance(1200);
    expect(t.results.map((r) => r.ok)).toEqual([false, false, false, true]);
    expect(t.results[0]!.error).toContain('injected failure');
    expect(t.proxier.staleness()).toBeUndefined();
    expect(t.ipt.ours('nat').filter((c) => c.startsWith('MK-SEP-'))).toHaveLength(2);
  });

  it('stops: no more syncs, handlers removed; the rules stay until cleanupRules', async () => {
    const t = setup({ services: [web], endpoints: [webEps('10.244.1.2')] });
    t.proxier.start();
    await t.advance(1);
    await t.proxier.stop();
    expect(t.services.handlerCount()).toBe(0);
    t.eps.set(webEps('10.244.1.9'));
    await t.advance(60_000, 1000);
    expect(t.results).toHaveLength(1);
    expect(t.clock.pendingTimers()).toBe(0);
    expect(t.ipt.ours('nat').length).toBeGreaterThan(0);

    // Another program's rule in a built-in chain survives the cleanup.
    t.ipt.tables.filter.get('FORWARD')!.push('-j DOCKER-USER');
    // A jump inserted twice (a crash between check and insert) is removed twice.
    await t.ipt.insert(JUMPS[0]!.table, JUMPS[0]!.chain, JUMPS[0]!.args);
    const removed = await cleanupRules(t.ipt);
    expect(removed.jumps).toBe(JUMPS.length + 1);
    expect(t.ipt.ours('nat')).toEqual([]);
    expect(t.ipt.ours('filter')).toEqual([]);
    expect(t.ipt.rules('filter', 'FORWARD')).toEqual(['-j DOCKER-USER']);
    for (const j of JUMPS) expect(t.ipt.rules(j.table, j.chain).some((r) => r.includes('MK-'))).toBe(false);
    // Nothing left: a second cleanup removes nothing and does not fail.
    expect(await cleanupRules(t.ipt)).toEqual({ jumps: 0, chains: [] });
  });

  it('reports stale rules when no sync has succeeded for two sync periods', async () => {
    const t = setup({ syncPeriodMs: 10_000 });
    t.proxier.start();
    await t.advance(1);
    expect(t.proxier.staleness()).toBeUndefined();
    t.ipt.failNext = 1_000; // every call fails from now on
    await t.advance(15_000, 500);
    expect(t.proxier.staleness()).toBeUndefined(); // one failed resync: not yet
    await t.advance(10_000, 500);
    expect(t.proxier.staleness()).toMatch(/^the last successful sync was 2\d s ago \(last error: injected failure/);
    expect(t.proxier.hasSynced()).toBe(true);
  });

  it('rejects nonsensical periods', () => {
    const base = { iptables: new FakeIptables(), clock: new FakeClock(), services: new FakeSource<Service>(), endpoints: new FakeSource<Endpoints>(), clusterCIDR: 'a', serviceCIDR: 'b' };
    expect(() => new Proxier({ ...base, syncPeriodMs: 0 })).toThrow(/syncPeriodMs/);
    expect(() => new Proxier({ ...base, minSyncPeriodMs: -1 })).toThrow(/minSyncPeriodMs/);
  });
});
