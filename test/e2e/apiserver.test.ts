/**
 * mk-apiserver end to end: two real API servers on one store, driven through the client library
 * over real gRPC — once on a 3-member mk-store and once on a 3-member real etcd 3.4, the proof that
 * the store is honest (DESIGN.md). The same cases run on both.
 */
import { ApiClient, ApiError, WatchEvent } from '@mk/client';
import type { KubeObject } from '@mk/api';
import { ApiServers } from './support/api-servers';
import { EtcdCluster } from './support/etcd-cluster';
import { eventually } from './support/processes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(120_000);

interface StoreUnderTest {
  endpoints(): string;
  members: Array<{ daemon?: { stop(signal?: NodeJS.Signals): Promise<void> } }>;
  destroy(): Promise<void>;
}

const STORES: Array<[string, () => Promise<StoreUnderTest>]> = [
  ['mk-store', () => StoreCluster.create(3)],
  ['etcd 3.4', () => EtcdCluster.create(3)],
];

const pod = (name: string, labels: Record<string, string> = { app: 'web' }) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] },
});

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe.each(STORES)('mk-apiserver on %s', (_name, makeStore) => {
  let store: StoreUnderTest;
  let apis: ApiServers;
  let a: ApiClient; // talks to api1
  let b: ApiClient; // talks to api2

  beforeAll(async () => {
    store = await makeStore();
    apis = await ApiServers.start(2, store.endpoints());
    a = new ApiClient({ servers: apis.addresses([apis.servers[0]!]) });
    b = new ApiClient({ servers: apis.addresses([apis.servers[1]!]) });
    await eventually('system namespaces exist', async () => {
      const ns = await a.list<KubeObject>('namespaces').catch(() => ({ items: [] as KubeObject[] }));
      return ['default', 'kube-system', 'kube-public', 'kube-node-lease'].every((n) => ns.items.some((i) => i.metadata.name === n));
    });
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    if (apis) await apis.destroy();
    if (store) await store.destroy();
  });

  it('an object created through one API server is read, listed and watched through the other', async () => {
    const events: string[] = [];
    const listed = await b.list<KubeObject>('pods', { namespace: 'default' });
    const w = b.watch<KubeObject>('pods', { namespace: 'default', resourceVersion: listed.resourceVersion }, (e: WatchEvent<KubeObject>) => {
      if (e.type !== 'BOOKMARK' && e.type !== 'ERROR') events.push(`${e.type} ${e.object.metadata.name}`);
    });
    try {
      const created = await a.create<KubeObject>('pods', pod('web-1'));
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      const got = await b.get<KubeObject>('pods', 'default', 'web-1');
      expect(got.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      await a.create('pods', pod('web-2'));
      await a.delete('pods', 'default', 'web-1');
      await eventually('the watch on the other API server saw all three changes', () => events.length >= 3, 10_000);
      expect(events).toEqual(['ADDED web-1', 'ADDED web-2', 'DELETED web-1']);
      expect((await b.list<KubeObject>('pods', { namespace: 'default', labelSelector: 'app=web' })).items.map((p) => p.metadata.name)).toEqual(['web-2']);
    } finally {
      w.stop();
    }
  });

  it('optimistic concurrency: a stale resourceVersion is a Conflict, through either server', async () => {
    const cm = await a.create<KubeObject & { data?: Record<string, string> }>('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { a: '1' } });
    const first = await b.update('configmaps', { ...cm, data: { a: '2' } });
    expect(Number(first.metadata.resourceVersion)).toBeGreaterThan(Number(cm.metadata.resourceVersion));
    const err = await failure(a.update('configmaps', { ...cm, data: { a: '3' } }));
    expect(err.reason).toBe('Conflict');
    expect(err.message).toContain('Operation cannot be fulfilled on configmaps "cfg"');
    expect(((await a.get<KubeObject & { data: Record<string, string> }>('configmaps', 'default', 'cfg')).data)).toEqual({ a: '2' });
  });

  it('bad input gets a clear error naming the field, and nothing is written', async () => {
    const unknown = await failure(a.create('pods', { ...pod('bad'), spec: { containers: [{ name: 'c', imagee: 'x' }] } }));
    expect(unknown.reason).toBe('BadRequest');
    expect(unknown.message).toContain('spec.containers[0].imagee: unknown field');
    const invalid = await failure(
      a.create('deployments', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bad', namespace: 'default' },
        spec: { replicas: -1, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
      }),
    );
    expect(invalid.reason).toBe('Invalid');
    expect(invalid.message).toMatch(/^Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1/);
    expect(invalid.status.details?.causes?.[0]?.field).toBe('spec.replicas');
    expect((await failure(a.create('pods', { ...pod('x'), metadata: { name: 'x', namespace: 'nowhere' } }))).message).toBe('namespaces "nowhere" not found');
    expect((await failure(a.create('pods', pod('web-2')))).reason).toBe('AlreadyExists');
    // A ConfigMap over 1 MiB is invalid (Kubernetes' own limit); any object over the store's
    // 1.5 MiB is refused as too large before it reaches the store.
    const bigConfig = await failure(a.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'default' }, data: { blob: 'x'.repeat(1100 * 1024) } }));
    expect(bigConfig.reason).toBe('Invalid');
    expect(bigConfig.message).toContain('Too long');
    const hugePod = { ...pod('huge'), spec: { containers: [{ name: 'c', image: 'busybox:1.36', args: ['x'.repeat(2 * 1024 * 1024)] }] } };
    const huge = await failure(a.create('pods', hugePod));
    expect(huge.reason).toBe('RequestEntityTooLarge');
    expect(huge.message).toMatch(/request is too large: object is \d+ bytes, limit is 1572864/);
    expect((await failure(a.get('configmaps', 'default', 'big'))).reason).toBe('NotFound');
    expect((await failure(a.get('pods', 'default', 'huge'))).reason).toBe('NotFound');
    expect((await failure(a.get('pods', 'default', 'bad'))).reason).toBe('NotFound');
  });

  it('a watch from a version older than the cache answers Gone, so the client relists', async () => {
    // A restarted API server's caches start at the store's current revision, which is past 1 by
    // now (this file has written), so revision 1 is older than any of its windows. (A server that
    // listed its caches at revision 1 itself may legitimately serve a watch from 1.)
    const api2 = apis.servers[1]!;
    await api2.daemon!.stop();
    apis.launch(api2);
    await apis.waitReady(api2);
    // Gone may come as an ERROR event carrying the Status, or as the stream's error.
    let fromEvent: string | undefined;
    const w = b.watch<KubeObject>('pods', { namespace: 'default', resourceVersion: '1' }, (e) => {
      if (e.type === 'ERROR') fromEvent = e.object.reason;
    });
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), w.stop()), 30_000);
    const ended = await w.done;
    clearTimeout(timer);
    expect({ reason: fromEvent ?? ended?.reason, timedOut }).toEqual({ reason: 'Gone', timedOut: false });
  });

  it('deleting a namespace deletes what is in it, then the namespace', async () => {
    await a.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await a.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1', namespace: 'team' } });
    await a.create('pods', { ...pod('p1'), metadata: { name: 'p1', namespace: 'team' } });
    const marked = await b.delete<KubeObject & { status?: { phase?: string } }>('namespaces', '', 'team');
    expect(marked.status?.phase).toBe('Terminating');
    await eventually('namespace team and its contents are gone', async () => {
      const gone = await a.get('namespaces', '', 'team').then(
        () => false,
        (e: unknown) => e instanceof ApiError && e.reason === 'NotFound',
      );
      return gone;
    }, 20_000);
    expect((await a.list<KubeObject>('configmaps', { namespace: 'team' })).items).toEqual([]);
  });

  it('a client fails over to the other API server when its server dies', async () => {
    const both = new ApiClient({ servers: apis.addresses() });
    try {
      await both.get('namespaces', '', 'default');
      await apis.servers[0]!.daemon!.stop('SIGKILL');
      const got = await both.get<KubeObject>('namespaces', '', 'default');
      expect(got.metadata.name).toBe('default');
    } finally {
      both.close();
      apis.launch(apis.servers[0]!);
      await apis.waitReady(apis.servers[0]!);
    }
  });

  it('with the store down, requests fail with Unavailable or a Timeout within the deadline, never hang', async () => {
    for (const m of store.members) await m.daemon?.stop('SIGKILL');
    const err = await failure(a.create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late', namespace: 'default' } }, { timeoutMs: 15_000 }));
    expect(['ServiceUnavailable', 'Timeout']).toContain(err.reason);
  });
});
