import { KubeObject, resourceByPlural } from '@mk/api';
import { FakeClock, SeededRng, nullLogger } from '@mk/shared';
import { MemoryStore } from '../storage/memory-store';
import { ServiceCidr } from './allocator';
import { toApiError } from './errors';

type ApiErrorLike = ReturnType<typeof toApiError>;
import { ObjectRegistry } from './object-registry';

const pods = resourceByPlural('pods')!;
const namespaces = resourceByPlural('namespaces')!;
const deployments = resourceByPlural('deployments')!;
const services = resourceByPlural('services')!;
const configmaps = resourceByPlural('configmaps')!;

function setup() {
  const store = new MemoryStore();
  const clock = new FakeClock(Date.parse('2026-11-22T10:00:00Z'));
  let uid = 0;
  const reg = new ObjectRegistry({
    store,
    clock,
    rng: new SeededRng(7),
    logger: nullLogger,
    serviceCidr: new ServiceCidr('10.96.0.0/12'),
    newUid: () => `uid-${++uid}`,
  });
  return { store, clock, reg };
}

async function withDefaultNs() {
  const s = setup();
  await s.reg.create(namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  return s;
}

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox:1' }] },
  ...extra,
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = toApiError(e);
    return `${err.reason}: ${err.message}`;
  }
  return 'no error';
}

describe('ObjectRegistry create', () => {
  it('sets uid, creationTimestamp, generation, namespace, defaults and the version from the store', async () => {
    const { reg } = await withDefaultNs();
    const p = (await reg.create(pods, 'default', pod('web'))) as KubeObject & { spec: { restartPolicy: string }; status: { phase: string } };
    expect(p.metadata).toMatchObject({ name: 'web', namespace: 'default', uid: 'uid-2', creationTimestamp: '2026-11-22T10:00:00Z', generation: 1 });
    expect(Number(p.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(p.spec.restartPolicy).toBe('Always');
    expect(p.status.phase).toBe('Pending');
    expect(await reg.get(pods, 'default', 'web')).toEqual(p);
  });

  it('refuses a duplicate name with AlreadyExists, a missing namespace with NotFound', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(pods, 'default', pod('web'));
    expect(await reason(reg.create(pods, 'default', pod('web')))).toBe('AlreadyExists: pods "web" already exists');
    expect(await reason(reg.create(pods, 'nope', pod('x')))).toBe('NotFound: namespaces "nope" not found');
  });

  it('names unknown fields and invalid values with their paths, and writes nothing', async () => {
    const { reg, store } = await withDefaultNs();
    const before = await store.currentRevision();
    const bad = pod('web', { spec: { containers: [{ name: 'c', imagee: 'x' }] } });
    expect(await reason(reg.create(pods, 'default', bad))).toMatch(/^BadRequest: .*spec\.containers\[0\]\.imagee: unknown field/);
    const invalid = pod('Web_1');
    expect(await reason(reg.create(pods, 'default', invalid))).toMatch(/^Invalid: Pod "Web_1" is invalid: metadata\.name: Invalid value: "Web_1"/);
    expect(await store.currentRevision()).toBe(before);
  });

  it('refuses a body of another kind and a namespace that differs from the request', async () => {
    const { reg } = await withDefaultNs();
    expect(await reason(reg.create(pods, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }))).toMatch(/^BadRequest: v1, Kind=ConfigMap cannot be written as pods/);
    const other = { ...pod('x'), metadata: { name: 'x', namespace: 'kube-system' } };
    expect(await reason(reg.create(pods, 'default', other))).toMatch(/does not match the namespace sent on the request/);
  });

  it('generateName gets a random suffix', async () => {
    const { reg } = await withDefaultNs();
    const p = await reg.create(pods, 'default', { ...pod(''), metadata: { generateName: 'web-' } });
    expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('allocates distinct cluster IPs and node ports for Services, and frees them on delete', async () => {
    const { reg, store } = await withDefaultNs();
    const svc = (name: string, type = 'ClusterIP') => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { type, selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const a = (await reg.create(services, 'default', svc('a'))) as KubeObject & { spec: { clusterIP: string } };
    const b = (await reg.create(services, 'default', svc('b', 'NodePort'))) as KubeObject & { spec: { clusterIP: string; ports: Array<{ nodePort: number }> } };
    expect(a.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(b.spec.clusterIP).not.toBe(a.spec.clusterIP);
    expect(b.spec.ports[0]!.nodePort).toBeGreaterThanOrEqual(30000);
    expect(await store.get(`/registry/ranges/clusterips/${a.spec.clusterIP}`)).toBeDefined();
    await reg.delete(services, 'default', 'a');
    expect(await store.get(`/registry/ranges/clusterips/${a.spec.clusterIP}`)).toBeUndefined();
  });
});

describe('ObjectRegistry update and patch', () => {
  it('a stale resourceVersion is a Conflict; the current one succeeds and bumps generation on spec change', async () => {
    const { reg } = await withDefaultNs();
    const d = await reg.create(deployments, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
    });
    const changed = { ...d, spec: { ...(d as KubeObject & { spec: object }).spec, replicas: 3 } };
    const updated = await reg.update(deployments, 'default', 'web', changed, '');
    expect(updated.metadata.generation).toBe(2);
    expect(await reason(reg.update(deployments, 'default', 'web', changed, ''))).toMatch(/^Conflict: Operation cannot be fulfilled on deployments.apps "web": the object has been modified/);
  });

  it('the main resource ignores status; the status subresource ignores spec', async () => {
    const { reg } = await withDefaultNs();
    const p = await reg.create(pods, 'default', pod('web'));
    const withStatus = { ...p, metadata: { ...p.metadata, resourceVersion: undefined }, status: { phase: 'Running' } };
    const a = (await reg.update(pods, 'default', 'web', withStatus, '')) as KubeObject & { status: { phase: string } };
    expect(a.status.phase).toBe('Pending');
    const b = (await reg.update(pods, 'default', 'web', { ...withStatus, spec: { containers: [{ name: 'c', image: 'busybox:2' }] } }, 'status')) as KubeObject & {
      status: { phase: string };
      spec: { containers: Array<{ image: string }> };
    };
    expect(b.status.phase).toBe('Running');
    expect(b.spec.containers[0]!.image).toBe('busybox:1');
  });

  it('an update that changes nothing writes nothing', async () => {
    const { reg, store } = await withDefaultNs();
    const p = await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
    const rev = await store.currentRevision();
    const same = await reg.update(configmaps, 'default', 'c', p, '');
    expect(same.metadata.resourceVersion).toBe(p.metadata.resourceVersion);
    expect(await store.currentRevision()).toBe(rev);
  });

  it('a merge patch changes what it names and keeps the rest', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1' } }, data: { x: '1', y: '2' } });
    const p = (await reg.patch(configmaps, 'default', 'c', 'merge', { metadata: { labels: { b: '2' } }, data: { y: null } }, '')) as KubeObject & { data: object };
    expect(p.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(p.data).toEqual({ x: '1' });
  });
});

describe('ObjectRegistry delete', () => {
  it('an unscheduled pod goes at once; a scheduled one is marked with its grace period', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(pods, 'default', pod('a'));
    await reg.delete(pods, 'default', 'a');
    expect(await reason(reg.get(pods, 'default', 'a'))).toBe('NotFound: pods "a" not found');
    await reg.create(pods, 'default', pod('b'));
    await reg.bind('default', 'b', 'node1', '');
    const marked = await reg.delete(pods, 'default', 'b');
    expect(marked.metadata.deletionTimestamp).toBe('2026-11-22T10:00:30Z');
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    await reg.delete(pods, 'default', 'b', { gracePeriodSeconds: 0 });
    expect(await reason(reg.get(pods, 'default', 'b'))).toMatch(/^NotFound/);
  });

  it('finalizers hold an object until the last one is removed', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['example.com/hold'] } });
    const marked = await reg.delete(configmaps, 'default', 'c');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await reg.patch(configmaps, 'default', 'c', 'merge', { metadata: { finalizers: null } }, '');
    expect(await reason(reg.get(configmaps, 'default', 'c'))).toMatch(/^NotFound/);
  });

  it('foreground and orphan propagation are recorded as finalizers for the garbage collector', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'f' } });
    await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'o' } });
    expect((await reg.delete(configmaps, 'default', 'f', { propagationPolicy: 'Foreground' })).metadata.finalizers).toEqual(['foregroundDeletion']);
    expect((await reg.delete(configmaps, 'default', 'o', { propagationPolicy: 'Orphan' })).metadata.finalizers).toEqual(['orphan']);
    expect(await reason(reg.delete(configmaps, 'default', 'o', { propagationPolicy: 'Sideways' }))).toMatch(/^BadRequest: propagationPolicy: Unsupported value/);
  });

  it('a uid precondition that does not match is a Conflict', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    expect(await reason(reg.delete(configmaps, 'default', 'c', { preconditionUid: 'other' }))).toMatch(/^Conflict: .*Precondition failed: UID in precondition: other/);
  });

  it('a namespace being deleted is Terminating and refuses new content', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const ns = (await reg.delete(namespaces, '', 'team')) as KubeObject & { status: { phase: string } };
    expect(ns.status.phase).toBe('Terminating');
    expect(await reason(reg.create(configmaps, 'team', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }))).toBe(
      'Forbidden: unable to create new content in namespace team because it is being terminated',
    );
    const err = await reg.create(configmaps, 'team', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }).catch((e: unknown) => toApiError(e));
    expect((err as ApiErrorLike).status.details?.causes?.[0]?.reason).toBe('NamespaceTerminating');
  });
});

describe('ObjectRegistry list and bind', () => {
  it('pages with limit/continue over one revision and filters by selectors', async () => {
    const { reg } = await withDefaultNs();
    for (const n of ['a', 'b', 'c', 'd', 'e']) await reg.create(pods, 'default', pod(n, { metadata: { name: n, labels: { app: n < 'c' ? 'web' : 'db' } } }));
    const first = await reg.list(pods, 'default', { limit: 2 });
    expect(first.items.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    await reg.create(pods, 'default', pod('aa'));
    const second = await reg.list(pods, 'default', { limit: 2, continue: first.continue });
    expect(second.items.map((p) => p.metadata.name)).toEqual(['c', 'd']); // 'aa' came later: not in this snapshot
    expect(second.resourceVersion).toBe(first.resourceVersion);
    const web = await reg.list(pods, 'default', { labelSelector: 'app=web' });
    expect(web.items.map((p) => p.metadata.name)).toEqual(['a', 'aa', 'b']);
    expect(await reason(reg.list(pods, 'default', { fieldSelector: 'spec.foo=1' }))).toMatch(/^BadRequest: .*spec\.foo/);
  });

  it('a list without a namespace lists every namespace, the same as the watch cache answers', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    await reg.create(pods, 'default', pod('a'));
    await reg.create(pods, 'team', { ...pod('b'), metadata: { name: 'b', namespace: 'team' } });
    expect((await reg.list(pods, '')).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['default/a', 'team/b']);
    expect((await reg.list(pods, 'team')).items.map((p) => p.metadata.name)).toEqual(['b']);
    expect((await reg.list(pods, '', { limit: 1 })).items.map((p) => p.metadata.name)).toEqual(['a']);
  });

  it('bind sets the node once and records PodScheduled', async () => {
    const { reg } = await withDefaultNs();
    await reg.create(pods, 'default', pod('web'));
    const bound = (await reg.bind('default', 'web', 'node1', '')) as KubeObject & { spec: { nodeName: string }; status: { conditions: Array<{ type: string; status: string }> } };
    expect(bound.spec.nodeName).toBe('node1');
    expect(bound.status.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    expect(await reason(reg.bind('default', 'web', 'node2', ''))).toMatch(/already assigned to node "node1"/);
  });
});

describe('ObjectRegistry with a watch cache', () => {
  it('starts an update from the cached copy; a stale copy costs a store read, never a lost update', async () => {
    const { reg, store, clock } = await withDefaultNs();
    const v1 = await reg.create(configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
    await reg.patch(configmaps, 'default', 'c', 'merge', { data: { a: '2' } }, '');
    let served = 0;
    const cachedReg = new ObjectRegistry({
      store,
      clock,
      rng: new SeededRng(1),
      logger: nullLogger,
      serviceCidr: new ServiceCidr('10.96.0.0/12'),
      newUid: () => 'u',
      cachedObject: () => (served++, v1), // a cache still at the first version
    });
    const patched = (await cachedReg.patch(configmaps, 'default', 'c', 'merge', { data: { b: '3' } }, '')) as KubeObject & { data: Record<string, string> };
    expect(patched.data).toEqual({ a: '2', b: '3' });
    expect(served).toBe(1);
    // A client that names the stale version gets a Conflict, from the cache's copy or the store's.
    expect(await reason(cachedReg.update(configmaps, 'default', 'c', { ...v1, data: { a: 'x' } }, ''))).toMatch(/^Conflict/);
    expect(((await reg.get(configmaps, 'default', 'c')) as KubeObject & { data: Record<string, string> }).data).toEqual({ a: '2', b: '3' });
    expect((v1 as KubeObject & { data: Record<string, string> }).data).toEqual({ a: '1' }); // the cached copy was not changed
  });
});
