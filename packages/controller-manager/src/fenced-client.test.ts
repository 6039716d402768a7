import type { KubeObject } from '@mk/api';
import type { LeaseApi } from '@mk/client';
import { FakeClock } from '@mk/shared';
import { FencedClient, LeadershipFence } from './fenced-client';

const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } };

function fakeApi(): { api: LeaseApi & Record<string, unknown>; calls: string[] } {
  const calls: string[] = [];
  const answer = async <T>(verb: string, o: T): Promise<T> => {
    calls.push(verb);
    return o;
  };
  const api = {
    get: (_r: string, _n: string, name: string) => answer('get', { metadata: { name } }),
    create: (_r: string, o: unknown) => answer('create', o),
    update: (_r: string, o: unknown) => answer('update', o),
    updateStatus: (_r: string, o: unknown) => answer('updateStatus', o),
    patch: (_r: string, _n: string, name: string) => answer('patch', { metadata: { name } }),
    delete: (_r: string, _n: string, name: string) => answer('delete', { metadata: { name } }),
  };
  // A stand-in for ApiClient: the verbs FencedClient and the elector call.
  return { api: api as unknown as LeaseApi & Record<string, unknown>, calls };
}

describe('LeadershipFence and FencedClient', () => {
  it('allows writes only during the term, while the lease was renewed within the renew deadline', async () => {
    const clock = new FakeClock(1000);
    const fence = new LeadershipFence(clock, 2000);
    const { api, calls } = fakeApi();
    const lease = fence.leaseApi(api);
    await lease.update('leases', { metadata: { name: 'l' } }); // the elector's acquire
    const term = fence.begin();
    // The stand-in has every verb FencedClient calls (typed loosely: it answers what it is given).
    const client = new FencedClient(api as never, () => fence.mayWrite(term));
    await client.create('configmaps', obj);
    clock.advance(1500);
    await lease.get('leases', 'kube-system', 'l'); // a read renews nothing
    await client.patch('configmaps', 'default', 'x', {});
    clock.advance(600); // 2.1 s since the last renewal was sent: a frozen leader wakes up here
    await expect(client.delete('configmaps', 'default', 'x')).rejects.toThrow(/not the leader any more/);
    await lease.update('leases', { metadata: { name: 'l' } });
    await client.update('configmaps', obj);
    fence.end();
    await expect(client.updateStatus('configmaps', obj)).rejects.toThrow(/not the leader/);
    // Reads are never fenced.
    await client.get('configmaps', 'default', 'x');
    expect(calls).toEqual(['update', 'create', 'get', 'patch', 'update', 'update', 'get']);
  });

  it('a client of an old term stays fenced when a new term begins', () => {
    const clock = new FakeClock(0);
    const fence = LeadershipFence.withoutElection(clock);
    const first = fence.begin();
    fence.end();
    const second = fence.begin();
    expect(fence.mayWrite(first)).toBe(false);
    expect(fence.mayWrite(second)).toBe(true);
  });

  it('a renewal that fails does not count', async () => {
    const clock = new FakeClock(0);
    const fence = new LeadershipFence(clock, 2000);
    const failing = { get: async () => ({ metadata: {} }), create: async () => Promise.reject(new Error('x')), update: async () => Promise.reject(new Error('x')) } as unknown as LeaseApi;
    await expect(fence.leaseApi(failing).update('leases', { metadata: {} })).rejects.toThrow('x');
    expect(fence.mayWrite(fence.begin())).toBe(false);
  });
});
