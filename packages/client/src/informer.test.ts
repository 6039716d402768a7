// Informer over a real ApiClient and real grpc-js fake API servers. Back-off and resync timers run
// on a FakeClock: the tests move it and assert which events arrive, in which order, how often.
import { FakeClock } from '@mk/shared';
import { ApiClient } from './api-client';
import { DeletedFinalStateUnknown, type EventHandler, Informer, type InformerOptions, deletedObject } from './informer';
import { type KubeObjectLike, metaNamespaceKey } from './object';
import { ApiError } from './status';
import { NAMESPACE_INDEX } from './store';
import { FakeApiServer, FakeBackend } from './testing/fake-api-server';
import { waitFor } from './testing/wait';

interface Pod extends KubeObjectLike {
  spec?: { nodeName?: string; image?: string };
}

const pod = (name: string, spec: Pod['spec'] = {}, namespace = 'default'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec });

let backend: FakeBackend;
let a: FakeApiServer;
let b: FakeApiServer;
let clock: FakeClock;
const clients: ApiClient[] = [];
const informers: Informer<Pod>[] = [];

function client(servers: string[]): ApiClient {
  const c = new ApiClient({ servers, timeoutMs: 5_000, retry: { rounds: 2, initialBackoffMs: 5, maxBackoffMs: 10 } });
  clients.push(c);
  return c;
}

/** What handlers saw, one line each. */
function recorder(): { log: string[]; handler: EventHandler<Pod> } {
  const log: string[] = [];
  const rv = (p: Pod): string => p.metadata.resourceVersion ?? '?';
  return {
    log,
    handler: {
      onAdd: (p) => log.push(`add ${metaNamespaceKey(p)}@${rv(p)}`),
      onUpdate: (o, n) => log.push(o === n ? `resync ${metaNamespaceKey(n)}@${rv(n)}` : `update ${metaNamespaceKey(n)} ${rv(o)}->${rv(n)}`),
      onDelete: (p) =>
        log.push(p instanceof DeletedFinalStateUnknown ? `delete(tombstone) ${p.key}@${rv(p.obj)}` : `delete ${metaNamespaceKey(p)}@${rv(p)}`),
    },
  };
}

function informer(c: ApiClient, opts: Partial<InformerOptions<Pod>> = {}): Informer<Pod> {
  const inf = new Informer<Pod>(c.resource<Pod>('pods'), { clock, name: 'pods', backoff: { initialMs: 100, maxMs: 1000 }, ...opts });
  informers.push(inf);
  return inf;
}

/** Waits, moving the fake clock so that back-off timers fire. */
const advancing = { step: () => clock.advance(1000) };

beforeEach(async () => {
  backend = new FakeBackend();
  a = await new FakeApiServer(backend, 'a').start();
  b = await new FakeApiServer(backend, 'b').start();
  clock = new FakeClock(1_000_000);
});

afterEach(() => {
  for (const i of informers.splice(0)) i.stop();
  for (const c of clients.splice(0)) c.close();
  a.kill();
  b.kill();
});

test('lists, then watches from the list version: add, update, delete in order', async () => {
  const c = client([a.address]);
  await c.create('pods', pod('x'));
  await c.create('pods', pod('y'));
  const inf = informer(c);
  const { log, handler } = recorder();
  inf.addEventHandler(handler);
  expect(inf.hasSynced()).toBe(false);
  inf.start();
  expect(await inf.waitForSync()).toBe(true);
  expect(inf.hasSynced()).toBe(true);
  expect(log).toEqual(['add default/x@101', 'add default/y@102']);
  expect(inf.lastSyncResourceVersion()).toBe('102');

  await waitFor(() => backend.watchers.size === 1, 'the watch');
  const z = await c.create('pods', pod('z'));
  const x = await c.get<Pod>('pods', 'default', 'x');
  await c.update('pods', { ...x, spec: { image: 'v2' } });
  await c.delete('pods', 'default', 'y');
  await waitFor(() => log.length === 5, 'three more events');
  expect(log.slice(2)).toEqual(['add default/z@103', 'update default/x 101->104', 'delete default/y@105']);
  expect(inf.store.listKeys().sort()).toEqual(['default/x', 'default/z']);
  expect(inf.store.get('default/z')?.metadata.uid).toBe(z.metadata.uid);
  expect(inf.store.getByName('default', 'x')?.spec?.image).toBe('v2');
  expect(inf.lastSyncResourceVersion()).toBe('105');
  expect(a.calls.List).toBe(1);
  expect(a.calls.Watch).toBe(1);
});

test('cached objects are deep-frozen', async () => {
  const c = client([a.address]);
  await c.create('pods', { ...pod('x'), metadata: { name: 'x', namespace: 'default', labels: { app: 'web' } } });
  const inf = informer(c);
  inf.start();
  await inf.waitForSync();
  const cached = inf.store.get('default/x')!;
  expect(Object.isFrozen(cached)).toBe(true);
  expect(() => {
    cached.metadata.labels!.app = 'db';
  }).toThrow(TypeError);
  expect(() => {
    (cached.spec as { image?: string }).image = 'evil';
  }).toThrow(TypeError);
  const copy = structuredClone(cached);
  copy.metadata.labels!.app = 'db'; // the way to change one: copy it
  expect(inf.store.get('default/x')?.metadata.labels?.app).toBe('web');
});

test('indexes: user index functions, the namespace index, indexes added later', async () => {
  const c = client([a.address]);
  await c.create('pods', pod('p1', { nodeName: 'n1' }));
  await c.create('pods', pod('p2', { nodeName: 'n1' }));
  await c.create('pods', pod('p3', {}, 'kube-system'));
  const inf = informer(c, { indexers: { node: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) } });
  inf.start();
  await inf.waitForSync();
  await waitFor(() => backend.watchers.size === 1, 'the watch');
  const names = (ps: Pod[]): string[] => ps.map((p) => p.metadata.name ?? '').sort();
  expect(names(inf.store.byIndex('node', 'n1'))).toEqual(['p1', 'p2']);
  expect(inf.store.byIndex('node', 'n2')).toEqual([]);
  expect(names(inf.store.byIndex(NAMESPACE_INDEX, 'kube-system'))).toEqual(['p3']);

  const p2 = await c.get<Pod>('pods', 'default', 'p2');
  await c.update('pods', { ...p2, spec: { nodeName: 'n2' } });
  await c.delete('pods', 'default', 'p1');
  await c.bind('kube-system', 'p3', 'n2');
  await waitFor(() => inf.lastSyncResourceVersion() === '106', 'the changes');
  expect(inf.store.byIndex('node', 'n1')).toEqual([]);
  expect(names(inf.store.byIndex('node', 'n2'))).toEqual(['p2', 'p3']);
  expect(inf.store.indexKeys('node', 'n2').sort()).toEqual(['default/p2', 'kube-system/p3']);

  inf.addIndexers({ image: (p) => [p.spec?.image ?? 'none'] });
  expect(inf.store.byIndex('image', 'none')).toHaveLength(2);
  expect(() => inf.store.byIndex('nope', 'x')).toThrow('no index named "nope"');
  expect(() => inf.addIndexers({ node: () => [] })).toThrow('index "node" already exists');
});

test('a watch that ends is resumed from the last version, without duplicate events', async () => {
  const c = client([a.address]);
  const inf = informer(c);
  const { log, handler } = recorder();
  inf.addEventHandler(handler);
  inf.start();
  await inf.waitForSync();
  await waitFor(() => backend.watchers.size === 1, 'the watch');
  await c.create('pods', pod('a'));
  await waitFor(() => log.length === 1, 'add a');

  // The stream ends after a productive watch: resumed at once from 101; b, created meanwhile, comes once.
  backend.holdWatchEvents = true;
  await c.create('pods', pod('b'));
  backend.holdWatchEvents = false;
  backend.endWatches();
  await waitFor(() => log.length === 2, 'add b');
  await waitFor(() => backend.watchers.size === 1, 'the second watch');
  expect(a.calls.Watch).toBe(2);

  // A sloppy server replays the event at the resume version as well: dropped, not delivered twice.
  backend.replayOverlap = 1;
  backend.endWatches();
  await waitFor(() => a.calls.Watch === 3 && backend.watchers.size === 1, 'the third watch');
  await c.create('pods', pod('c'));
  await waitFor(() => log.length === 3, 'add c');
  expect(log).toEqual(['add default/a@101', 'add default/b@102', 'add default/c@103']);
  expect(a.calls.List).toBe(1);
});

test('a watch that ends without events is resumed after a back-off on the clock', async () => {
  const c = client([a.address]);
  const inf = informer(c);
  inf.start();
  await inf.waitForSync();
  await waitFor(() => backend.watchers.size === 1, 'the watch');
  backend.endWatches();
  await waitFor(() => clock.pendingTimers() === 1, 'the back-off timer');
  expect(a.calls.Watch).toBe(1); // nothing before the timer fires
  clock.advance(100);
  await waitFor(() => backend.watchers.size === 1, 'the resumed watch');
  expect(a.calls.Watch).toBe(2);
  // Again without events: the back-off doubles.
  backend.endWatches();
  await waitFor(() => clock.pendingTimers() === 1, 'the second back-off timer');
  clock.advance(199);
  expect(a.calls.Watch).toBe(2);
  clock.advance(1);
  await waitFor(() => a.calls.Watch === 3, 'the third watch');
  expect(a.calls.List).toBe(1);
});

describe.each([
  ['an ERROR event with a 410 Status', 'event' as const],
  ['a Gone gRPC error', 'error' as const],
])('Gone as %s', (_name, goneAs) => {
  /** Synced with a, b, c cached; then, unseen: b deleted, c updated, d created, a deleted and created again. */
  async function missedChanges(c: ApiClient): Promise<void> {
    backend.holdWatchEvents = true;
    await c.delete('pods', 'default', 'b');
    const cc = await c.get<Pod>('pods', 'default', 'c');
    await c.update('pods', { ...cc, spec: { image: 'v2' } });
    await c.create('pods', pod('d'));
    await c.delete('pods', 'default', 'a');
    await c.create('pods', pod('a'));
    backend.compact();
    backend.holdWatchEvents = false;
  }
  const diff = [
    'delete(tombstone) default/b@102',
    'delete(tombstone) default/a@101',
    'add default/a@108',
    'update default/c 103->105',
    'add default/d@106',
  ];

  test('on an open watch: relist, and the difference as events (tombstones for missed deletes)', async () => {
    backend.goneAs = goneAs;
    const c = client([a.address]);
    for (const n of ['a', 'b', 'c']) await c.create('pods', pod(n));
    const inf = informer(c);
    const { log, handler } = recorder();
    const deleted: Pod[] = [];
    inf.addEventHandler(handler);
    inf.addEventHandler({ onDelete: (p) => deleted.push(deletedObject(p)) });
    inf.start();
    await inf.waitForSync();
    await waitFor(() => backend.watchers.size === 1, 'the watch');
    await missedChanges(c);
    if (goneAs === 'event') backend.goneWatches();
    else {
      // The open watch ends; resuming from 103 then meets the compacted history.
      backend.endWatches();
    }
    await waitFor(() => log.length === 3 + diff.length, 'the relist', advancing);
    expect(log).toEqual(['add default/a@101', 'add default/b@102', 'add default/c@103', ...diff]);
    expect(deleted.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`)).toEqual(['b@102', 'a@101']);
    expect(inf.store.listKeys().sort()).toEqual(['default/a', 'default/c', 'default/d']);
    expect(a.calls.List).toBe(2);
    expect(inf.lastSyncResourceVersion()).toBe('108');

    // And the new watch runs from the relist's version.
    await waitFor(() => backend.watchers.size === 1, 'the new watch', advancing);
    await c.create('pods', pod('e'));
    await waitFor(() => log.length === 3 + diff.length + 1, 'add e');
    expect(log.at(-1)).toBe('add default/e@109');
  });
});

test('resync re-delivers onUpdate(obj, obj) for every cached object, each period', async () => {
  const c = client([a.address]);
  await c.create('pods', pod('x'));
  await c.create('pods', pod('y'));
  const inf = informer(c, { resyncPeriodMs: 30_000 });
  const { log, handler } = recorder();
  inf.addEventHandler(handler);
  inf.start();
  await inf.waitForSync();
  clock.advance(29_999);
  expect(log).toHaveLength(2);
  clock.advance(1);
  expect(log.slice(2)).toEqual(['resync default/x@101', 'resync default/y@102']);
  clock.advance(30_000);
  expect(log.slice(4)).toEqual(['resync default/x@101', 'resync default/y@102']);
  inf.stop();
  clock.advance(60_000);
  expect(log).toHaveLength(6);
});

test('a handler added late sees the cache as adds; a throwing handler does not stop the others', async () => {
  const c = client([a.address]);
  await c.create('pods', pod('x'));
  const inf = informer(c);
  inf.addEventHandler({
    onAdd: () => {
      throw new Error('handler bug');
    },
  });
  inf.start();
  await inf.waitForSync();
  const { log, handler } = recorder();
  const remove = inf.addEventHandler(handler);
  expect(log).toEqual(['add default/x@101']);
  await waitFor(() => backend.watchers.size === 1, 'the watch');
  await c.create('pods', pod('y'));
  await waitFor(() => log.length === 2, 'add y');
  remove();
  await c.create('pods', pod('z'));
  await waitFor(() => inf.store.size === 3, 'z cached');
  expect(log).toEqual(['add default/x@101', 'add default/y@102']);
});

test('bookmarks move the resume version without events', async () => {
  const c = client([a.address]);
  const inf = informer(c);
  const { log, handler } = recorder();
  inf.addEventHandler(handler);
  inf.start();
  await inf.waitForSync();
  await waitFor(() => backend.watchers.size === 1, 'the watch');
  backend.holdWatchEvents = true;
  await c.create('pods', pod('other'), { namespace: 'elsewhere' });
  backend.holdWatchEvents = false;
  backend.bookmark('Pod');
  await waitFor(() => inf.lastSyncResourceVersion() === '101', 'the bookmark');
  expect(log).toEqual([]);
});

test('fails over: the watch resumes on the other server from the last version, no relist', async () => {
  const c = client([a.address, b.address]);
  await c.create('pods', pod('x'));
  const inf = informer(c);
  const { log, handler } = recorder();
  inf.addEventHandler(handler);
  inf.start();
  await inf.waitForSync();
  await waitFor(() => backend.watchers.size === 1, 'the watch on a');
  a.kill();
  await waitFor(() => b.calls.Watch === 1 && backend.watchers.size === 1, 'the watch on b', advancing);
  await c.create('pods', pod('y'));
  await waitFor(() => log.length === 2, 'add y');
  expect(log).toEqual(['add default/x@101', 'add default/y@102']);
  expect(a.calls.List + b.calls.List).toBe(1);
});

test('a failed list is retried after a back-off', async () => {
  const c = client([a.address]);
  await c.create('pods', pod('x'));
  a.fail.set('List', ApiError.internal('etcd said no'));
  const inf = informer(c);
  inf.start();
  await waitFor(() => clock.pendingTimers() === 1, 'the retry timer');
  expect(inf.hasSynced()).toBe(false);
  a.fail.delete('List');
  clock.advance(100);
  expect(await inf.waitForSync()).toBe(true);
  expect(a.calls.List).toBe(2);
  expect(inf.store.size).toBe(1);
});

test('stop: the watch is cancelled, nothing more is delivered, waitForSync answers false when never synced', async () => {
  const c = client([a.address]);
  const inf = informer(c);
  const { log, handler } = recorder();
  inf.addEventHandler(handler);
  inf.start();
  await inf.waitForSync();
  await waitFor(() => backend.watchers.size === 1, 'the watch');
  inf.stop();
  await waitFor(() => backend.watchers.size === 0, 'the server to see the cancel');
  await c.create('pods', pod('x'));
  expect(log).toEqual([]);
  expect(clock.pendingTimers()).toBe(0);

  a.hang.add('List');
  const never = informer(c);
  never.start();
  const waiting = never.waitForSync();
  never.stop();
  expect(await waiting).toBe(false);
  expect(await never.waitForSync()).toBe(false);
});
