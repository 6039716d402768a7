import * as grpc from '@grpc/grpc-js';
import type { Pod } from '@mk/api';
import { type ApiError, fromGrpcError } from '@mk/client';
import { makeClientConstructor, type mkapi, type mkkubelet, services, unaryCall } from '@mk/proto';
import { FakeClock, nullLogger, systemClock } from '@mk/shared';
import { makePod } from '../testing/fixtures';
import { type KubeletServer, startKubeletServer } from './kubelet-server';
import { StreamingFakeRuntime } from './testing';

const KubeletClient = makeClientConstructor(services.mkkubelet.Kubelet);
type Client = InstanceType<typeof KubeletClient>;

const NOW = Date.parse('2024-05-01T12:00:00Z');

interface Setup {
  runtime: StreamingFakeRuntime;
  client: Client;
  server: KubeletServer;
  ids: Record<string, string>;
  pods: Map<string, Pod>;
}

let env: Setup;

beforeEach(async () => {
  const runtime = new StreamingFakeRuntime(new FakeClock(NOW));
  const pods = new Map<string, Pod>();
  const web = makePod([{ name: 'app' }]);
  web.metadata = { name: 'web', namespace: 'default', uid: 'uid-web' };
  const duo = makePod([{ name: 'main' }, { name: 'side' }]);
  duo.metadata = { name: 'duo', namespace: 'default', uid: 'uid-duo' };
  pods.set('default/web', web).set('default/duo', duo);
  const ids = {
    ...(await runtime.startPod({ uid: 'uid-web', name: 'web', namespace: 'default' }, ['app'])),
    ...(await runtime.startPod({ uid: 'uid-duo', name: 'duo', namespace: 'default' }, ['main', 'side'])),
  };
  const server = await startKubeletServer('127.0.0.1:0', {
    runtime,
    getPod: (ns, name) => pods.get(`${ns}/${name}`),
    clock: systemClock,
    logger: nullLogger,
    firstSampleGapMs: 10,
  });
  const client = new KubeletClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  env = { runtime, client, server, ids, pods };
});

afterEach(() => {
  env.client.close();
  env.server.close();
});

/** Every chunk of a Logs call as text, or the error that ended it. */
function readLogs(req: mkapi.IPodLogsRequest, onChunk?: (text: string) => void): Promise<{ text: string; error?: ApiError }> {
  return new Promise((resolve) => {
    let text = '';
    const s = env.client.Logs({ namespace: 'default', ...req });
    s.on('data', (c: mkapi.LogChunk) => {
      text += Buffer.from(c.data).toString();
      onChunk?.(text);
    });
    s.on('error', (e) => resolve({ text, error: fromGrpcError(e) }));
    s.on('end', () => resolve({ text }));
  });
}

interface ExecResult {
  stdout: string;
  stderr: string;
  exit?: number;
  error?: ApiError;
}

function exec(start: mkapi.IExecStart, input: mkapi.IExecInput[] = [], halfClose = true): Promise<ExecResult> {
  return new Promise((resolve) => {
    const r: ExecResult = { stdout: '', stderr: '' };
    const s = env.client.Exec();
    s.on('data', (o: mkapi.ExecOutput) => {
      if (o.output === 'stdout') r.stdout += Buffer.from(o.stdout!).toString();
      else if (o.output === 'stderr') r.stderr += Buffer.from(o.stderr!).toString();
      else if (o.output === 'exit') r.exit = o.exit!.code ?? 0;
    });
    s.on('error', (e) => resolve({ ...r, error: fromGrpcError(e) }));
    s.on('end', () => resolve(r));
    s.write({ start: { namespace: 'default', ...start } });
    for (const m of input) s.write(m);
    if (halfClose) s.end();
  });
}

describe('kubelet server: Logs', () => {
  test('the whole log, --tail, --timestamps', async () => {
    env.runtime.appendLog(env.ids.app!, 'one', 'two', 'three');
    expect(await readLogs({ name: 'web' })).toEqual({ text: 'one\ntwo\nthree\n' });
    expect(await readLogs({ name: 'web', tailLines: 2 })).toEqual({ text: 'two\nthree\n' });
    expect(await readLogs({ name: 'web', tailLines: 0 })).toEqual({ text: '' });
    expect(await readLogs({ name: 'web', container: 'app', tailLines: 1, timestamps: true })).toEqual({ text: '2024-05-01T12:00:00.000Z three\n' });
  });

  test('follow: appended lines arrive; the stream ends when the container exits', async () => {
    const id = env.ids.app!;
    env.runtime.appendLog(id, 'first');
    const done = readLogs({ name: 'web', follow: true }, (text) => {
      if (text === 'first\n') env.runtime.appendLog(id, 'second');
      if (text === 'first\nsecond\n') env.runtime.exit(id, 0);
    });
    expect(await done).toEqual({ text: 'first\nsecond\n' });
    expect(env.runtime.openFollowers).toBe(0);
  });

  test('follow: cancelling the call stops the runtime iterator', async () => {
    const id = env.ids.app!;
    env.runtime.appendLog(id, 'first');
    const s = env.client.Logs({ namespace: 'default', name: 'web', follow: true });
    await new Promise<void>((resolve) => s.once('data', () => resolve()));
    expect(env.runtime.openFollowers).toBe(1);
    s.on('error', () => undefined);
    s.cancel();
    for (let i = 0; i < 100 && env.runtime.openFollowers > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(env.runtime.openFollowers).toBe(0);
  });

  test('--previous: the run before the current one', async () => {
    const old = env.ids.app!;
    env.runtime.appendLog(old, 'crashed');
    env.runtime.exit(old, 1);
    const sandbox = (await env.runtime.inspectContainer(old))!.sandboxId;
    const current = await env.runtime.startAttempt({ uid: 'uid-web', name: 'web', namespace: 'default' }, sandbox, 'app', 1);
    env.runtime.appendLog(current, 'fresh');
    expect(await readLogs({ name: 'web' })).toEqual({ text: 'fresh\n' });
    expect(await readLogs({ name: 'web', previous: true })).toEqual({ text: 'crashed\n' });
  });

  test.each([
    [{ name: 'nope' }, 'NotFound', 'pods "nope" not found'],
    [{ name: 'duo' }, 'BadRequest', 'a container name must be specified for pod duo, choose one of: [main side]'],
    [{ name: 'duo', container: 'x' }, 'BadRequest', 'container x is not valid for pod duo'],
    [{ name: 'web', previous: true }, 'BadRequest', 'previous terminated container "app" in pod "web" not found'],
  ])('errors carry the Status: %j', async (req, reason, message) => {
    const r = await readLogs(req);
    expect(r.text).toBe('');
    expect(r.error?.reason).toBe(reason);
    expect(r.error?.message).toBe(message);
  });
});

describe('kubelet server: Exec', () => {
  test('stdin is piped through; the exit code comes last', async () => {
    const r = await exec({ name: 'web', command: ['cat'], stdin: true }, [{ stdin: Buffer.from('hello ') }, { stdin: Buffer.from('world\n') }, { closeStdin: true }], false);
    expect(r).toEqual({ stdout: 'hello world\n', stderr: '', exit: 0 });
  });

  test('ending the input stream closes stdin', async () => {
    const r = await exec({ name: 'duo', container: 'side', command: ['cat'], stdin: true }, [{ stdin: Buffer.from('x') }]);
    expect(r).toEqual({ stdout: 'x', stderr: '', exit: 0 });
  });

  test('stdout, stderr and a non-zero exit code', async () => {
    env.runtime.onExec = (cmd) => (cmd[0] === 'fail' ? { stdout: 'out\n', stderr: 'boom\n', exitCode: 3 } : undefined);
    expect(await exec({ name: 'web', command: ['fail', 'now'] })).toEqual({ stdout: 'out\n', stderr: 'boom\n', exit: 3 });
    expect(env.runtime.calls).toContain(`execStream ${env.ids.app} fail now`);
  });

  test.each([
    [{ name: 'nope', command: ['ls'] }, 'NotFound', 'pods "nope" not found'],
    [{ name: 'duo', command: ['ls'] }, 'BadRequest', 'a container name must be specified for pod duo, choose one of: [main side]'],
    [{ name: 'web', command: [] }, 'BadRequest', 'you must specify at least one command for the container'],
  ])('errors: %j', async (start, reason, message) => {
    const r = await exec(start);
    expect(r.error?.reason).toBe(reason);
    expect(r.error?.message).toBe(message);
  });

  test('a container that is not running', async () => {
    env.runtime.exit(env.ids.app!, 0);
    const r = await exec({ name: 'web', command: ['ls'] });
    expect(r.error?.message).toBe('container "app" in pod "web" is not running');
  });

  test('the first message must be start', async () => {
    const r = await new Promise<ApiError>((resolve) => {
      const s = env.client.Exec();
      s.on('data', () => undefined);
      s.on('error', (e) => resolve(fromGrpcError(e)));
      s.write({ stdin: Buffer.from('x') });
      s.end();
    });
    expect(r.message).toBe('exec: the first message must be start');
  });
});

describe('kubelet server: Stats', () => {
  test('per pod and container: CPU rate between two samples, memory working set; node totals', async () => {
    const { runtime, ids } = env;
    const sample = (timestamp: number, cpuUsageNanos: number, memoryWorkingSetBytes: number) => ({ timestamp, cpuUsageNanos, memoryWorkingSetBytes });
    runtime.statsSamples.set(ids.app!, [sample(1000, 0, 1 << 20), sample(1200, 20_000_000, 2 << 20)]);
    runtime.statsSamples.set(ids.main!, [sample(1000, 0, 4096), sample(2000, 500_000_000, 8192)]);
    runtime.statsSamples.set(ids.side!, [sample(1000, 1e9, 100), sample(2000, 1e9, 100)]);
    runtime.exit(ids.side!, 0); // not running: left out
    let calls = 0;
    env.server.close();
    const server = await startKubeletServer('127.0.0.1:0', {
      runtime,
      getPod: () => undefined,
      clock: systemClock,
      logger: nullLogger,
      firstSampleGapMs: 10,
      nodeUsage: async () => (calls++ === 0 ? { timestamp: 5000, cpuUsageNanos: 0, memoryWorkingSetBytes: 2 ** 30 } : { timestamp: 5500, cpuUsageNanos: 750_000_000, memoryWorkingSetBytes: 3 * 2 ** 30 }),
    });
    const client = new KubeletClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    try {
      const summary: mkkubelet.StatsSummary = await unaryCall(client.Stats.bind(client), {});
      const pods = summary.pods.map((p) => ({ ns: p.namespace, name: p.name, uid: p.uid, containers: (p.containers ?? []).map((c) => [c.name, c.usage?.cpuNanoCores, c.usage?.memoryWorkingSetBytes, c.usage?.windowMs]) }));
      expect(pods).toEqual([
        { ns: 'default', name: 'duo', uid: 'uid-duo', containers: [['main', 500_000_000, 8192, 1000]] },
        { ns: 'default', name: 'web', uid: 'uid-web', containers: [['app', 100_000_000, 2 << 20, 200]] },
      ]);
      expect(calls).toBe(2);
      expect(summary.node?.memoryWorkingSetBytes).toBe(3 * 2 ** 30);
      expect(summary.node).toMatchObject({ cpuNanoCores: 1_500_000_000, windowMs: 500, timestampMs: 5500 });
    } finally {
      client.close();
      server.close();
    }
  });
});
