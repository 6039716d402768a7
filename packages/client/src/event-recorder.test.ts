// EventRecorder over a real ApiClient and the fake API server; time from a FakeClock.
import { FakeClock, RecordingLogger } from '@mk/shared';
import { ApiClient } from './api-client';
import { type CoreEvent, EventRecorder, type EventRecorderOptions } from './event-recorder';
import type { KubeObjectLike } from './object';
import { ApiError } from './status';
import { FakeApiServer, FakeBackend } from './testing/fake-api-server';

const web: KubeObjectLike = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop', uid: 'u-1', resourceVersion: '7' } };
const node: KubeObjectLike = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u-n1' } };

let backend: FakeBackend;
let server: FakeApiServer;
let client: ApiClient;
let clock: FakeClock;
let logger: RecordingLogger;

beforeEach(async () => {
  backend = new FakeBackend();
  server = await new FakeApiServer(backend).start();
  client = new ApiClient({ servers: [server.address], timeoutMs: 5_000, retry: { rounds: 1 } });
  clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  logger = new RecordingLogger();
});

afterEach(() => {
  client.close();
  server.kill();
});

function recorder(opts: EventRecorderOptions = {}): EventRecorder {
  let n = 0;
  return new EventRecorder(client, 'mk-scheduler', 'cp-1', { clock, logger, randomHex: () => (++n).toString(16).padStart(16, '0'), ...opts });
}

const events = (): CoreEvent[] => backend.list('events', '') as unknown as CoreEvent[];

test('an event becomes a v1 Event in the object namespace, named <name>.<hex>', async () => {
  const r = recorder();
  r.event(web, 'Normal', 'Scheduled', 'Successfully assigned shop/web to n1');
  await r.flush();
  const [ev, ...rest] = events();
  expect(rest).toEqual([]);
  expect(ev).toMatchObject({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.0000000000000001', namespace: 'shop' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web', uid: 'u-1', apiVersion: 'v1', resourceVersion: '7' },
    reason: 'Scheduled',
    message: 'Successfully assigned shop/web to n1',
    type: 'Normal',
    source: { component: 'mk-scheduler', host: 'cp-1' },
    firstTimestamp: '2024-05-01T12:00:00Z',
    lastTimestamp: '2024-05-01T12:00:00Z',
    count: 1,
    reportingComponent: 'mk-scheduler',
    reportingInstance: 'cp-1',
  });
  expect(r.stats).toEqual({ created: 1, aggregated: 0, dropped: 0, failed: 0 });
});

test('cluster-scoped objects get their events in "default"', async () => {
  const r = recorder();
  r.event(node, 'Warning', 'NodeNotReady', 'Node n1 status is now: NodeNotReady');
  await r.flush();
  const [ev] = events();
  expect(ev?.metadata.namespace).toBe('default');
  expect(ev?.involvedObject).toEqual({ kind: 'Node', name: 'n1', uid: 'u-n1', apiVersion: 'v1' });
});

test('the same event within the window bumps count and lastTimestamp of the existing Event', async () => {
  const r = recorder({ aggregationWindowMs: 60_000 });
  r.event(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  clock.advance(10_000);
  r.event(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  clock.advance(10_000);
  r.event(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  r.event(web, 'Warning', 'BackOff', 'a different message');
  await r.flush();
  const list = events();
  expect(list.map((e) => [e.metadata.name, e.count, e.message, e.firstTimestamp, e.lastTimestamp])).toEqual([
    ['web.0000000000000001', 3, 'Back-off restarting failed container', '2024-05-01T12:00:00Z', '2024-05-01T12:00:20Z'],
    ['web.0000000000000002', 1, 'a different message', '2024-05-01T12:00:20Z', '2024-05-01T12:00:20Z'],
  ]);
  expect(server.calls.Create).toBe(2);
  expect(server.calls.Patch).toBe(2);
  expect(r.stats).toEqual({ created: 2, aggregated: 2, dropped: 0, failed: 0 });

  // Past the window since it was last seen: a new Event.
  clock.advance(60_001);
  r.event(web, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await r.flush();
  expect(events().map((e) => [e.metadata.name, e.count])).toEqual([
    ['web.0000000000000001', 3],
    ['web.0000000000000002', 1],
    ['web.0000000000000003', 1],
  ]);
});

test('an aggregated Event deleted meanwhile is created again', async () => {
  const r = recorder();
  r.event(web, 'Normal', 'Pulled', 'Container image "nginx" already present');
  await r.flush();
  backend.delete('events', 'shop', 'web.0000000000000001');
  r.event(web, 'Normal', 'Pulled', 'Container image "nginx" already present');
  await r.flush();
  expect(events().map((e) => [e.metadata.name, e.count])).toEqual([['web.0000000000000002', 1]]);
});

test('failures are logged, never thrown; later events still go out', async () => {
  const r = recorder();
  server.fail.set('Create', ApiError.unavailable('the store has no leader'));
  expect(() => r.event(web, 'Normal', 'Scheduled', 'x')).not.toThrow();
  await r.flush();
  expect(r.stats.failed).toBe(1);
  expect(logger.records.filter((l) => l.level === 'warn').map((l) => [l.message, l.fields.error])).toEqual([['could not record event', 'the store has no leader']]);
  server.fail.delete('Create');
  r.event(web, 'Normal', 'Scheduled', 'y');
  await r.flush();
  expect(events()).toHaveLength(1);

  server.kill();
  r.event(web, 'Normal', 'Scheduled', 'z');
  await r.flush();
  expect(r.stats.failed).toBe(2);
});

test('a name clash is retried once with a new suffix', async () => {
  const r = recorder();
  backend.create('events', 'shop', { metadata: { name: 'web.0000000000000001', namespace: 'shop' } });
  r.event(web, 'Normal', 'Started', 'Started container');
  await r.flush();
  expect(events().map((e) => e.metadata.name)).toEqual(['web.0000000000000001', 'web.0000000000000002']);
  expect(r.stats.created).toBe(1);
});

test('rate limit per object: a burst, then one more per refill interval; other objects unaffected', async () => {
  const r = recorder({ burst: 3, refillIntervalMs: 60_000 });
  for (let i = 0; i < 5; i++) r.event(web, 'Warning', 'Failed', `attempt ${i}`);
  r.event(node, 'Normal', 'Ready', 'ready');
  await r.flush();
  expect(events().map((e) => e.message)).toEqual(['ready', 'attempt 0', 'attempt 1', 'attempt 2']);
  expect(r.stats.dropped).toBe(2);
  clock.advance(60_000);
  r.event(web, 'Warning', 'Failed', 'attempt 5');
  r.event(web, 'Warning', 'Failed', 'attempt 6');
  await r.flush();
  expect(events().map((e) => e.message)).toContain('attempt 5');
  expect(events().map((e) => e.message)).not.toContain('attempt 6');
  expect(r.stats.dropped).toBe(3);
});

test('long messages are cut at 1024 characters; nameless objects are dropped', async () => {
  const r = recorder();
  r.event(web, 'Warning', 'Failed', 'e'.repeat(5000));
  r.event({ metadata: {} }, 'Normal', 'X', 'no name');
  await r.flush();
  const [ev] = events();
  expect(ev?.message).toHaveLength(1024);
  expect(ev?.message.endsWith('...')).toBe(true);
  expect(events()).toHaveLength(1);
  expect(r.stats.dropped).toBe(1);
});

test('writes run several at once, while one aggregation key is written in order; a flood logs one line', async () => {
  // A sink whose creates wait until released, counting how many are in flight at once.
  let inFlight = 0;
  let maxInFlight = 0;
  const releases: Array<() => void> = [];
  const created: string[] = [];
  const sink = {
    create: async <T extends KubeObjectLike>(_r: string, obj: T): Promise<T> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => releases.push(r));
      inFlight--;
      created.push(`${(obj as unknown as CoreEvent).involvedObject.name}:${(obj as unknown as CoreEvent).count}`);
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: '1' } };
    },
    patch: async <T extends KubeObjectLike>(_r: string, ns: string, name: string): Promise<T> => {
      created.push(`patch ${name}`);
      return { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: ns } } as unknown as T;
    },
  };
  const r = new EventRecorder(sink as never, 'c', 'h', { clock, logger, concurrency: 3, maxPending: 6 });
  const pod = (n: string): KubeObjectLike => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: n, namespace: 'ns', uid: n } });
  for (const n of ['a', 'b', 'c', 'd']) r.event(pod(n), 'Normal', 'Scheduled', 'x');
  r.event(pod('a'), 'Normal', 'Scheduled', 'x'); // same key as the first: waits for it
  for (const n of ['e', 'f', 'g']) r.event(pod(n), 'Normal', 'Scheduled', 'x'); // over maxPending: dropped
  await new Promise((res) => setImmediate(res));
  expect(maxInFlight).toBe(3);
  expect(r.stats.dropped).toBe(2);
  expect(logger.records.filter((l) => l.message.startsWith('too many events waiting'))).toHaveLength(1);
  const drain = async () => {
    while (releases.length > 0 || inFlight > 0) {
      releases.splice(0).forEach((f) => f());
      await new Promise((res) => setImmediate(res));
    }
  };
  const done = r.flush();
  await drain();
  await done;
  expect(created.filter((c) => c.startsWith('a') || c.startsWith('patch a'))).toEqual(['a:1', expect.stringMatching(/^patch a\./)]);
  expect(maxInFlight).toBe(3);
});
