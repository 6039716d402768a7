/**
 * mkctl through the real @mk/client ApiClient and real gRPC (a FakeClient behind a gRPC server):
 * the context built from flags and config files, error statuses across the wire, unreachable
 * servers failing within --request-timeout, failover to the next server, and watches.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli';
import { type RealClient } from './real-client';
import { realContextFactory } from './main';
import { FakeClient } from './testing/fake-client';
import { runningPod } from './testing/fixtures';
import { GrpcFakeServer } from './testing/grpc-server';

let server: GrpcFakeServer;
let backend: FakeClient;
let home: string;

beforeEach(async () => {
  backend = new FakeClient({ now: () => Date.now() });
  backend.add(runningPod('web', { age: 0 }));
  server = await new GrpcFakeServer(backend).start();
  home = mkdtempSync(join(tmpdir(), 'mkctl-test-'));
});

afterEach(() => {
  server.stop();
  rmSync(home, { recursive: true, force: true });
});

async function mkctl(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string; ms: number }> {
  let out = '';
  let err = '';
  const clients: RealClient[] = [];
  const o = { write: (s: string) => void (out += s) };
  const e = { write: (s: string) => void (err += s) };
  let interrupt!: () => void;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  const started = Date.now();
  const pending = run(argv, realContextFactory({ env, out: o, err: e, clientVersion: 'v0.1.0', interrupted, clients, homeDir: home }), { out: o, err: e });
  // A watch runs until interrupted: stop it once its first rows are out.
  const timer = argv.includes('-w') ? setTimeout(interrupt, 500) : undefined;
  const code = await pending;
  clearTimeout(timer);
  for (const c of clients) c.close();
  return { code, out, err, ms: Date.now() - started };
}

/** A port where nothing listens. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('mkctl over gRPC', () => {
  test('get, with the server from --server', async () => {
    const r = await mkctl(['get', 'pods', '-o', 'name', '--server', server.address]);
    expect(r).toMatchObject({ code: 0, out: 'pod/web\n', err: '' });
  });

  test('the server from the config file ($MKCONFIG or ~/.mk/config) and its context namespace', async () => {
    backend.add(runningPod('dns', { namespace: 'kube-system' }));
    const file = join(home, 'mk.yaml');
    writeFileSync(file, `current-context: a\ncontexts:\n- name: a\n  servers: [${server.address}]\n  namespace: kube-system\n`);
    expect(await mkctl(['get', 'pods', '-o', 'name'], { MKCONFIG: file })).toMatchObject({ code: 0, out: 'pod/dns\n' });
    expect(await mkctl(['get', 'pods', '-o', 'name', '--mkconfig', file, '-n', 'default'])).toMatchObject({ code: 0, out: 'pod/web\n' });
    const none = await mkctl(['get', 'pods']);
    expect(none.code).toBe(1);
    expect(none.err).toBe(`error: no API server configured: pass --server host:port, set MKCONFIG, or write ${join(home, '.mk', 'config')} (it does not exist)\n`);
  });

  test('the server\'s errors keep their reason and message across the wire', async () => {
    const r = await mkctl(['get', 'deploy', 'nope', '--server', server.address]);
    expect(r).toMatchObject({ code: 1, out: '', err: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
  });

  test('a refused connection fails at once with kubectl\'s message', async () => {
    const port = await closedPort();
    const r = await mkctl(['get', 'pods', '--server', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: unable to connect to the server at 127.0.0.1:${port}: connection refused\n`);
    expect(r.ms).toBeLessThan(3000);
  });

  test('a server that accepts connections but never answers fails within --request-timeout', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const r = await mkctl(['get', 'pods', '--server', `127.0.0.1:${port}`, '--request-timeout', '1s']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^error: unable to connect to the server at 127\\.0\\.0\\.1:${port}: .+\\n$`));
      expect(r.ms).toBeLessThan(2500);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  test('a dead first server: the next one answers', async () => {
    const port = await closedPort();
    const r = await mkctl(['get', 'pods', '-o', 'name', '--server', `127.0.0.1:${port},${server.address}`]);
    expect(r).toMatchObject({ code: 0, out: 'pod/web\n' });
  });

  test('apply, then watch over a stream', async () => {
    const file = join(home, 'cm.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n');
    expect(await mkctl(['apply', '-f', file, '--server', server.address])).toMatchObject({ code: 0, out: 'configmap/cfg created\n' });
    expect(await mkctl(['apply', '-f', file, '--server', server.address])).toMatchObject({ code: 0, out: 'configmap/cfg unchanged\n' });
    setTimeout(() => backend.emit('configmaps', 'MODIFIED', { ...backend.stored('configmaps', 'default', 'cfg')!, data: { a: '1', b: '2' } } as never), 200);
    const w = await mkctl(['get', 'cm', '-w', '--server', server.address]);
    expect(w.code).toBe(0);
    expect(w.out).toMatch(/^NAME   DATA   AGE\ncfg    1      \d+s\ncfg    2      \d+s\n$/);
  });
});
