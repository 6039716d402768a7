// The ApiClient against real grpc-js servers on 127.0.0.1 (testing/fake-api-server.ts): verbs,
// error mapping through `mk-status`, failover between servers, and the rule that a write is
// never sent twice.
import * as net from 'node:net';
import { ApiClient, type WatchEvent, mayHaveBeenApplied, requestNeverSent } from './api-client';
import type { KubeObjectLike } from './object';
import { ApiError, isAlreadyExists, isConflict, isGone, isInvalid, isNotFound } from './status';
import { FakeApiServer, FakeBackend } from './testing/fake-api-server';
import { TcpProxy } from './testing/tcp-proxy';
import { waitFor } from './testing/wait';

interface Pod extends KubeObjectLike {
  metadata: KubeObjectLike['metadata'] & { name: string };
  spec?: { nodeName?: string; image?: string };
  status?: { phase?: string };
}

const pod = (name: string, labels: Record<string, string> = {}, namespace = 'default'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { image: 'nginx' },
});

// Two ways to lose a server under a call: its process shuts down (grpc-js resets the streams:
// CANCELLED) or the connection dies (a crash, a network cut: UNAVAILABLE).
const losses: [string, (s: FakeApiServer, p: TcpProxy) => void][] = [
  ['the server shuts down', (s) => s.kill()],
  ['the connection is reset', (_s, p) => p.cut()],
];

let backend: FakeBackend;
let a: FakeApiServer;
let b: FakeApiServer;
const clients: ApiClient[] = [];

function client(servers: string[], opts: { timeoutMs?: number; rounds?: number } = {}): ApiClient {
  const c = new ApiClient({ servers, timeoutMs: opts.timeoutMs ?? 5_000, retry: { rounds: opts.rounds ?? 2, initialBackoffMs: 10, maxBackoffMs: 20 } });
  clients.push(c);
  return c;
}

/** An address where nothing listens (a server started and killed). */
async function deadAddress(): Promise<string> {
  const s = await new FakeApiServer(new FakeBackend(), 'dead').start();
  s.kill();
  return s.address;
}

/**
 * A server that accepts TCP connections and never speaks HTTP/2: a channel to it stays connecting,
 * as one to a powered-off machine whose SYNs go unanswered does.
 */
async function silentAddress(): Promise<{ address: string; close(): void }> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((sock) => sockets.push(sock));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  return { address: `127.0.0.1:${port}`, close: () => (sockets.forEach((x) => x.destroy()), srv.close()) };
}

beforeEach(async () => {
  backend = new FakeBackend();
  a = await new FakeApiServer(backend, 'a').start();
  b = await new FakeApiServer(backend, 'b').start();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  a.kill();
  b.kill();
});

describe('verbs', () => {
  test('create, get, list with selectors, update, updateStatus, patch, delete, bind', async () => {
    const c = client([a.address]);
    const web = await c.create('pods', pod('web', { app: 'web' }));
    expect(web.metadata).toMatchObject({ name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '101' });
    await c.create('pods', pod('db', { app: 'db' }));
    await c.create('pods', pod('other', { app: 'web' }, 'kube-system'));

    expect((await c.get<Pod>('pods', 'default', 'web')).metadata.uid).toBe('uid-1');
    const all = await c.list<Pod>('pods');
    expect(all.items.map((p) => p.metadata.name)).toEqual(['db', 'web', 'other']);
    expect(all.resourceVersion).toBe('103');
    expect(all.continue).toBe('');
    expect((await c.list<Pod>('pods', { namespace: 'default', labelSelector: { app: 'web' } })).items.map((p) => p.metadata.name)).toEqual(['web']);
    expect((await c.list<Pod>('pods', { labelSelector: 'app=web' })).items.map((p) => p.metadata.name)).toEqual(['web', 'other']);

    const updated = await c.update<Pod>('pods', { ...web, spec: { image: 'nginx:2' } });
    expect(updated.spec?.image).toBe('nginx:2');
    expect(updated.metadata.resourceVersion).toBe('104');
    // The stale version is refused with Kubernetes' message.
    const stale = await c.update<Pod>('pods', { ...web, spec: { image: 'nginx:3' } }).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect((stale as ApiError).message).toBe(
      'Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again',
    );

    const withStatus = await c.updateStatus<Pod>('pods', { ...updated, spec: { image: 'ignored' }, status: { phase: 'Running' } });
    expect(withStatus.status?.phase).toBe('Running');
    expect(withStatus.spec?.image).toBe('nginx:2');

    const patched = await c.patch<Pod>('pods', 'default', 'web', { metadata: { labels: { app: null, tier: 'front' } } });
    expect(patched.metadata.labels).toEqual({ tier: 'front' });

    const bound = await c.bind<Pod>('default', 'db', 'node-1');
    expect(bound.spec?.nodeName).toBe('node-1');
    const rebind = await c.bind('default', 'db', 'node-2').catch((e: unknown) => e);
    expect(isConflict(rebind)).toBe(true);

    const wrongUid = await c.delete('pods', 'default', 'web', { preconditions: { uid: 'uid-999' } }).catch((e: unknown) => e);
    expect(isConflict(wrongUid)).toBe(true);
    const deleted = await c.delete<Pod>('pods', 'default', 'web', { preconditions: { uid: 'uid-1' }, propagationPolicy: 'Foreground' });
    expect(deleted.metadata.name).toBe('web');
    const missing = await c.get('pods', 'default', 'web').catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as ApiError).message).toBe('pods "web" not found');
    expect((missing as ApiError).status).toMatchObject({ code: 404, details: { name: 'web', kind: 'pods' } });
  });

  test('the typed layer: resource<T>(plural).namespace(ns)', async () => {
    const c = client([a.address]);
    const pods = c.resource<Pod>('pods').namespace('default');
    await pods.create({ ...pod('web'), metadata: { name: 'web' } });
    expect((await pods.get('web')).metadata.namespace).toBe('default');
    expect((await pods.list()).items).toHaveLength(1);
    expect((await c.resource<Pod>('pods').namespace('kube-system').list()).items).toHaveLength(0);
    expect((await c.resource<Pod>('pods').list()).items).toHaveLength(1);
    const p = await pods.patch('web', { spec: { nodeName: 'n1' } });
    expect(p.spec?.nodeName).toBe('n1');
    const noNs = { ...p, metadata: { ...p.metadata, namespace: undefined } } as Pod;
    expect((await pods.update({ ...noNs, spec: { image: 'x' } })).spec?.image).toBe('x');
    await pods.delete('web');
    expect((await pods.list()).items).toHaveLength(0);
    const nodes = c.resource('nodes');
    await nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    expect((await nodes.get('n1')).metadata.namespace).toBeUndefined();
  });

  test('listAll follows continue tokens', async () => {
    const c = client([a.address]);
    for (let i = 0; i < 7; i++) await c.create('pods', pod(`p${i}`));
    const page = await c.list<Pod>('pods', { limit: 3 });
    expect(page.items).toHaveLength(3);
    expect(page.continue).toBe('3');
    expect(page.remainingItemCount).toBe(4);
    const all = await c.listAll<Pod>('pods', { limit: 3 });
    expect(all.items.map((p) => p.metadata.name)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(all.continue).toBe('');
    expect(a.calls.List).toBe(1 + 3);
  });

  test('errors keep their Status: AlreadyExists, Invalid with causes (non-ASCII too)', async () => {
    const c = client([a.address]);
    await c.create('pods', pod('web'));
    const dup = await c.create('pods', pod('web')).catch((e: unknown) => e);
    expect(isAlreadyExists(dup)).toBe(true);
    expect((dup as ApiError).message).toBe('pods "web" already exists');

    const bad = await c.create('pods', pod('', { [backend.invalidLabel]: 'x' })).catch((e: unknown) => e);
    expect(isInvalid(bad)).toBe(true);
    const expected = ApiError.invalid('Pod', '', [
      { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
      { reason: 'FieldValueInvalid', message: 'Invalid value: "x": not allowed — ünïcödé', field: `metadata.labels[${backend.invalidLabel}]` },
    ]);
    expect((bad as ApiError).status).toEqual(expected.status);
  });

  test('discovery: version and api-resources', async () => {
    const c = client([a.address]);
    expect(await c.version()).toEqual({ gitVersion: 'v0.1.0-fake', platform: 'linux/amd64', store: 'fake (a)' });
    const res = await c.apiResources();
    expect(res.map((r) => [r.name, r.namespaced])).toEqual([
      ['pods', true],
      ['nodes', false],
    ]);
  });

  test('addresses with a scheme are refused', () => {
    expect(() => new ApiClient({ servers: ['http://127.0.0.1:6443'] })).toThrow('use host:port without a scheme');
    expect(() => new ApiClient({ servers: [] })).toThrow(RangeError);
  });
});

describe('failover', () => {
  test('reads move to the next server when the current one is killed, and stay there', async () => {
    const c = client([a.address, b.address]);
    await c.create('pods', pod('web'));
    expect(a.calls.Create).toBe(1);
    expect(c.currentServer).toBe(a.address);
    a.kill();
    expect((await c.get<Pod>('pods', 'default', 'web')).metadata.name).toBe('web');
    expect(b.calls.Get).toBe(1);
    expect(c.currentServer).toBe(b.address);
    await c.list('pods');
    expect(b.calls.List).toBe(1);
    expect(a.calls.Get + a.calls.List).toBe(0);
  });

  test('a write whose connection is refused goes to the next server, exactly once', async () => {
    const c = client([await deadAddress(), b.address]);
    const created = await c.create('pods', pod('web'));
    expect(created.metadata.uid).toBe('uid-1');
    expect(b.calls.Create).toBe(1);
    expect(backend.list('pods', '')).toHaveLength(1);
    expect(c.currentServer).toBe(b.address);
  });

  test.each(losses)('a write lost after it was sent surfaces and is not retried elsewhere (%s)', async (_how, lose) => {
    const proxy = await new TcpProxy(() => ({ host: '127.0.0.1', port: a.port })).start();
    const c = client([proxy.address, b.address]);
    await c.version(); // connected to a
    a.hang.add('Create');
    const pending = c.create('pods', pod('web')).catch((e: unknown) => e);
    await waitFor(() => a.calls.Create === 1, 'the create to reach a');
    lose(a, proxy);
    const err = await pending;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe('ServiceUnavailable');
    expect((err as ApiError).message).toContain(`the connection to the API server at ${proxy.address} was lost during create pods`);
    expect((err as ApiError).message).toContain('may or may not have been applied');
    expect(mayHaveBeenApplied(err)).toBe(true);
    expect(b.calls.Create).toBe(0);
    // The next write goes to b: a's connection is refused before anything is sent.
    await c.create('pods', pod('db'));
    expect(b.calls.Create).toBe(1);
    expect(a.calls.Create).toBe(1);
    proxy.cut();
  });

  test.each(losses)('a read lost after it was sent is retried on the next server (%s)', async (_how, lose) => {
    const proxy = await new TcpProxy(() => ({ host: '127.0.0.1', port: a.port })).start();
    const c = client([proxy.address, b.address]);
    await c.create('pods', pod('web'));
    a.hang.add('Get');
    const pending = c.get<Pod>('pods', 'default', 'web');
    await waitFor(() => a.calls.Get === 1, 'the get to reach a');
    lose(a, proxy);
    expect((await pending).metadata.name).toBe('web');
    expect(b.calls.Get).toBe(1);
    expect(c.currentServer).toBe(b.address);
    proxy.cut();
  });

  test('a timeout after sending surfaces as Timeout, never retried (write: may have been applied); the next call goes to another server', async () => {
    const c = client([a.address, b.address], { timeoutMs: 300 });
    await c.version();
    a.hang.add('Create');
    a.hang.add('Get');
    const w = await c.create('pods', pod('web')).catch((e: unknown) => e);
    expect((w as ApiError).reason).toBe('Timeout');
    expect((w as ApiError).message).toBe(`the API server at ${a.address} did not answer create pods within 300 ms; the request may or may not have been applied`);
    expect(mayHaveBeenApplied(w)).toBe(true);
    expect(b.calls.Create).toBe(0);
    expect(a.calls.Create).toBe(1);
    // A server that let a call time out may be gone without closing its connection: the next
    // call (here a read) is sent to the other one.
    const r = await c.get('pods', 'default', 'web').catch((e: unknown) => e);
    expect((r as ApiError).reason).toBe('NotFound');
    expect(a.calls.Get).toBe(0);
    expect(b.calls.Get).toBe(1);
    b.hang.add('Get');
    const r2 = await c.get('pods', 'default', 'web').catch((e: unknown) => e);
    expect((r2 as ApiError).reason).toBe('Timeout');
    expect(mayHaveBeenApplied(r2)).toBe(false);
    expect(a.calls.Get + b.calls.Get).toBe(2);
  });

  test('a server that answers ServiceUnavailable: a read moves on, a write surfaces', async () => {
    const c = client([a.address, b.address]);
    a.fail.set('List', ApiError.unavailable('the store has no leader'));
    a.fail.set('Create', ApiError.unavailable('the store has no leader'));
    expect((await c.list('pods')).items).toEqual([]);
    expect(a.calls.List).toBe(1);
    expect(b.calls.List).toBe(1);
    const c2 = client([a.address, b.address]);
    const err = await c2.create('pods', pod('web')).catch((e: unknown) => e);
    expect((err as ApiError).message).toBe('the store has no leader');
    expect(mayHaveBeenApplied(err)).toBe(false);
    expect(b.calls.Create).toBe(0);
  });

  test('no server reachable: ServiceUnavailable naming every address, after the configured rounds', async () => {
    const d1 = await deadAddress();
    const d2 = await deadAddress();
    const c = client([d1, d2], { rounds: 3 });
    const err = await c.get('pods', 'default', 'web').catch((e: unknown) => e);
    expect((err as ApiError).reason).toBe('ServiceUnavailable');
    expect((err as ApiError).message).toContain(`no API server answered (${d1}, ${d2})`);
    const w = await c.create('pods', pod('web')).catch((e: unknown) => e);
    expect((w as ApiError).reason).toBe('ServiceUnavailable');
    expect(mayHaveBeenApplied(w)).toBe(false);
  });

  test('requestNeverSent recognises grpc-js refusals only', () => {
    expect(requestNeverSent({ code: 14, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1' })).toBe(true);
    expect(requestNeverSent({ code: 14, details: 'Connection dropped' })).toBe(false);
    expect(requestNeverSent({ code: 4, details: 'Deadline exceeded after 1.002s,LB pick: 0.001s,remote_addr=127.0.0.1:5' })).toBe(false);
    expect(requestNeverSent({ code: 4, details: 'Deadline exceeded after 1.002s,Waiting for LB pick' })).toBe(true);
    expect(requestNeverSent(new Error('x'))).toBe(false);
  });
});

describe('watch', () => {
  function collect(): { events: WatchEvent<Pod>[]; types: () => string[] } {
    const events: WatchEvent<Pod>[] = [];
    return {
      events,
      types: () => events.map((e) => (e.type === 'ERROR' ? `ERROR:${e.object.code}` : `${e.type}:${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion}`)),
    };
  }

  test('delivers ADDED, MODIFIED, DELETED and BOOKMARK in order; stop() ends it', async () => {
    const c = client([a.address]);
    await c.create('pods', pod('old'));
    const { events, types } = collect();
    const w = c.watch<Pod>('pods', { resourceVersion: '101', allowBookmarks: true }, (e) => events.push(e));
    await waitFor(() => backend.watchers.size === 1, 'the watch to start');
    const web = await c.create('pods', pod('web'));
    await c.update('pods', { ...web, spec: { image: 'v2' } });
    await c.delete('pods', 'default', 'web');
    backend.bookmark('Pod');
    await waitFor(() => events.length === 4, 'four events');
    expect(types()).toEqual(['ADDED:web@102', 'MODIFIED:web@103', 'DELETED:web@104', 'BOOKMARK:@104']);
    w.stop();
    expect(await w.done).toBeUndefined();
  });

  test('resourceVersion "" starts with the current state as ADDED events', async () => {
    const c = client([a.address]);
    await c.create('pods', pod('x'));
    await c.create('pods', pod('y'));
    const { events, types } = collect();
    const w = c.watch<Pod>('pods', { namespace: 'default' }, (e) => events.push(e));
    await waitFor(() => events.length === 2, 'the initial state');
    expect(types()).toEqual(['ADDED:x@101', 'ADDED:y@102']);
    w.stop();
  });

  test.each([
    ['cannot start (its port refuses connections)', async () => ({ address: await deadAddress(), close: () => {} })],
    ['never finishes connecting (it accepts TCP and never speaks HTTP/2)', silentAddress],
  ])('a watch whose first server %s fails over to the next server', async (_what, firstServer) => {
    const first = await firstServer();
    const c = client([first.address, b.address], { timeoutMs: 300 });
    const { events, types } = collect();
    const w = c.watch<Pod>('pods', { resourceVersion: '100' }, (e) => events.push(e));
    await waitFor(() => backend.watchers.size === 1, 'the watch to start on b');
    await c.create('pods', pod('web'));
    await waitFor(() => events.length === 1, 'the event');
    expect(types()).toEqual(['ADDED:web@101']);
    expect(b.calls.Watch).toBe(1);
    w.stop();
    c.close();
    first.close();
  });

  test('Gone arrives as an ERROR event (410 Status) or as the Gone error of done', async () => {
    const c = client([a.address]);
    await c.create('pods', pod('web'));
    backend.compact();
    const { events, types } = collect();
    const w1 = c.watch<Pod>('pods', { resourceVersion: '100' }, (e) => events.push(e));
    expect(await w1.done).toBeUndefined(); // the server ended the stream after the ERROR event
    expect(types()).toEqual(['ERROR:410']);
    expect(events[0]?.object).toMatchObject({ reason: 'Gone', message: 'too old resource version: 100 (101)' });

    backend.goneAs = 'error';
    const w2 = c.watch<Pod>('pods', { resourceVersion: '100' }, (e) => events.push(e));
    const err = await w2.done;
    expect(isGone(err)).toBe(true);
    expect(events).toHaveLength(1);
  });

  test('the end of the stream resolves done with undefined', async () => {
    const c = client([a.address]);
    const w = c.watch<Pod>('pods', { resourceVersion: '100' }, () => {});
    await waitFor(() => backend.watchers.size === 1, 'the watch');
    backend.endWatches();
    expect(await w.done).toBeUndefined();
  });

  test.each(losses)('a watch whose server is lost after events ends with ServiceUnavailable (%s)', async (_how, lose) => {
    const proxy = await new TcpProxy(() => ({ host: '127.0.0.1', port: a.port })).start();
    const c = client([proxy.address, b.address]);
    const { events } = collect();
    const w = c.watch<Pod>('pods', { resourceVersion: '100' }, (e) => events.push(e));
    await waitFor(() => backend.watchers.size === 1, 'the watch');
    await c.create('pods', pod('web'));
    await waitFor(() => events.length === 1, 'an event');
    lose(a, proxy);
    const err = await w.done;
    expect(err?.reason).toBe('ServiceUnavailable');
    expect(b.calls.Watch).toBe(0); // resuming is the caller's job: it knows the last resourceVersion
    proxy.cut();
  });
});
