import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { FakeClock, systemClock } from '@mk/shared';
import { nodeProbeTransport } from './node-transport';
import {
  MAX_EXEC_OUTPUT,
  PROBE_USER_AGENT,
  describeNetError,
  probeUrl,
  resolveProbePort,
  runExecProbe,
  runHttpProbe,
  runTcpProbe,
  type HttpGetRequest,
  type ProbeTransport,
} from './probes';

const real = { transport: nodeProbeTransport, clock: systemClock };

/** Starts `server` on 127.0.0.1 and returns its port; closed after the test. */
const toClose: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of toClose.splice(0)) await close();
});

async function listen(server: http.Server | https.Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  toClose.push(
    () =>
      new Promise<void>((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A port nobody listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('runHttpProbe over real sockets on 127.0.0.1', () => {
  it.each([
    { status: 200, result: 'success', output: '' },
    { status: 302, result: 'success', output: 'Probe terminated redirects, status 302' },
    { status: 399, result: 'success', output: 'Probe terminated redirects, status 399' },
    { status: 404, result: 'failure', output: 'HTTP probe failed with statuscode: 404' },
    { status: 500, result: 'failure', output: 'HTTP probe failed with statuscode: 500' },
  ])('status $status → $result', async ({ status, result, output }) => {
    const seen: http.IncomingHttpHeaders[] = [];
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      paths.push(req.url ?? '');
      res.writeHead(status, status === 302 ? { Location: '/elsewhere' } : {});
      res.end('body is ignored');
    });
    const port = await listen(server);
    const outcome = await runHttpProbe(real, { host: '127.0.0.1', port, path: '/healthz' }, 2000);
    expect(outcome).toEqual({ result, output });
    // Redirects are not followed: exactly one request.
    expect(paths).toEqual(['/healthz']);
    expect(seen[0]?.['user-agent']).toBe(PROBE_USER_AGENT);
  });

  it('sends the probe headers, which may override the User-Agent', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end();
    });
    const port = await listen(server);
    const outcome = await runHttpProbe(
      real,
      {
        host: '127.0.0.1',
        port,
        httpHeaders: [
          { name: 'X-Custom', value: 'a' },
          { name: 'User-Agent', value: 'mine' },
        ],
      },
      2000,
    );
    expect(outcome.result).toBe('success');
    expect(seen[0]?.['x-custom']).toBe('a');
    expect(seen[0]?.['user-agent']).toBe('mine');
  });

  it('fails on a server that never answers, once the timeout passed', async () => {
    const server = http.createServer(() => {
      /* never answers */
    });
    const port = await listen(server);
    const outcome = await runHttpProbe(real, { host: '127.0.0.1', port, path: '/slow' }, 200);
    expect(outcome).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  });

  it('fails on a refused connection, saying so', async () => {
    const port = await freePort();
    const outcome = await runHttpProbe(real, { host: '127.0.0.1', port }, 2000);
    expect(outcome).toEqual({
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });
});

/** A throw-away self-signed certificate for 127.0.0.1 (made with the openssl CLI). */
function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk-probe-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=mk-probe-test', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      { stdio: 'pipe' },
    );
    return { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) };
  } catch (error) {
    throw new Error(`the HTTPS probe test needs the openssl CLI to make a certificate (apt-get install openssl): ${String(error)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('runHttpProbe over HTTPS on 127.0.0.1', () => {
  it('does not verify the certificate', async () => {
    const server = https.createServer(selfSignedCert(), (_req, res) => {
      res.writeHead(200);
      res.end();
    });
    const port = await listen(server);
    expect(await runHttpProbe(real, { scheme: 'HTTPS', host: '127.0.0.1', port, path: '/' }, 2000)).toEqual({
      result: 'success',
      output: '',
    });
  });
});

describe('runTcpProbe over real sockets on 127.0.0.1', () => {
  it('succeeds when something listens', async () => {
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => {
      accepted.push(s);
      s.destroy();
    });
    const port = await listen(server);
    expect(await runTcpProbe(real, { host: '127.0.0.1', port }, 2000)).toEqual({ result: 'success', output: '' });
  });

  it('fails on a refused connection, in the words Kubernetes uses', async () => {
    const port = await freePort();
    expect(await runTcpProbe(real, { host: '127.0.0.1', port }, 2000)).toEqual({
      result: 'failure',
      output: `dial tcp 127.0.0.1:${port}: connect: connection refused`,
    });
  });
});

/** A transport whose answers the test hands out; keeps every request. */
function scriptedTransport(answer: () => Promise<{ statusCode: number }>): ProbeTransport & { requests: HttpGetRequest[] } {
  const requests: HttpGetRequest[] = [];
  return {
    requests,
    httpGet(req) {
      requests.push(req);
      return answer();
    },
    tcpConnect: () => new Promise<void>(() => {}),
  };
}

describe('probe deadlines on a FakeClock', () => {
  it('an http probe that hangs fails at the deadline and aborts the request', async () => {
    const clock = new FakeClock();
    const transport = scriptedTransport(() => new Promise(() => {}));
    const pending = runHttpProbe({ transport, clock }, { host: '10.244.1.5', port: 8080, path: '/x' }, 1000);
    clock.advance(1000);
    expect((await pending).output).toBe(
      'Get "http://10.244.1.5:8080/x": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    );
    expect(transport.requests[0]?.signal.aborted).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a tcp probe that hangs fails at the deadline with an i/o timeout', async () => {
    const clock = new FakeClock();
    const transport = scriptedTransport(() => new Promise(() => {}));
    const pending = runTcpProbe({ transport, clock }, { host: '10.244.1.5', port: 8080 }, 1000);
    clock.advance(1000);
    expect(await pending).toEqual({ result: 'failure', output: 'dial tcp 10.244.1.5:8080: i/o timeout' });
  });

  it('an answer in time cancels the deadline timer', async () => {
    const clock = new FakeClock();
    const transport = scriptedTransport(async () => ({ statusCode: 204 }));
    expect((await runHttpProbe({ transport, clock }, { host: 'h', port: 1 }, 1000)).result).toBe('success');
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('runExecProbe', () => {
  it.each([
    { exitCode: 0, stdout: 'ok\n', stderr: '', result: 'success' },
    { exitCode: 1, stdout: 'out\n', stderr: 'err\n', result: 'failure' },
    { exitCode: 137, stdout: '', stderr: '', result: 'failure' },
  ])('exit $exitCode → $result', async ({ exitCode, stdout, stderr, result }) => {
    const calls: Array<{ id: string; command: string[]; timeoutMs?: number }> = [];
    const runtime = {
      exec: async (id: string, o: { command: string[]; timeoutMs?: number }) => {
        calls.push({ id, ...o });
        return { exitCode, stdout, stderr };
      },
    };
    const outcome = await runExecProbe({ runtime, clock: new FakeClock() }, 'c1', ['cat', '/tmp/healthy'], 1000);
    expect(outcome).toEqual({ result, output: stdout + stderr });
    expect(calls).toEqual([{ id: 'c1', command: ['cat', '/tmp/healthy'], timeoutMs: 1000 }]);
  });

  it('keeps at most 10 KiB of output', async () => {
    const runtime = { exec: async () => ({ exitCode: 1, stdout: 'x'.repeat(MAX_EXEC_OUTPUT), stderr: 'more' }) };
    const outcome = await runExecProbe({ runtime, clock: new FakeClock() }, 'c1', ['true'], 1000);
    expect(outcome.output).toHaveLength(MAX_EXEC_OUTPUT);
  });

  it('a command that runs past the timeout fails', async () => {
    const clock = new FakeClock();
    const runtime = { exec: () => new Promise<never>(() => {}) };
    const pending = runExecProbe({ runtime, clock }, 'c1', ['sleep', '5'], 1000);
    clock.advance(1000);
    expect(await pending).toEqual({ result: 'failure', output: 'command "sleep 5" timed out' });
  });

  it('a runtime that gives up at the deadline itself counts as a timeout too', async () => {
    const clock = new FakeClock();
    const runtime = {
      exec: () =>
        new Promise<never>((_, reject) => {
          clock.jump(1000);
          reject(new Error('exec timed out'));
        }),
    };
    expect((await runExecProbe({ runtime, clock }, 'c1', ['sleep', '5'], 1000)).output).toBe('command "sleep 5" timed out');
  });

  it('a runtime error is a failure naming it', async () => {
    const runtime = { exec: () => Promise.reject(new Error('no such container: c1')) };
    expect(await runExecProbe({ runtime, clock: new FakeClock() }, 'c1', ['true'], 1000)).toEqual({
      result: 'failure',
      output: 'exec failed: no such container: c1',
    });
  });
});

describe('helpers', () => {
  it.each([
    { port: 8080 as number | string, expected: { port: 8080 } },
    { port: 'http', expected: { port: 80 } },
    { port: 'metrics', expected: { port: 9090 } },
    { port: '8081', expected: { port: 8081 } },
    { port: 'nope', expected: { error: 'port "nope" is not a named port of container "web"' } },
    { port: 0, expected: { error: 'invalid port number 0 for container "web": must be 1..65535' } },
    { port: 70000, expected: { error: 'invalid port number 70000 for container "web": must be 1..65535' } },
  ])('resolveProbePort($port)', ({ port, expected }) => {
    const container = {
      name: 'web',
      ports: [
        { name: 'http', containerPort: 80 },
        { name: 'metrics', containerPort: 9090 },
      ],
    };
    expect(resolveProbePort(container, port)).toEqual(expected);
  });

  it.each([
    { target: { host: '10.0.0.1', port: 80 }, url: 'http://10.0.0.1:80/' },
    { target: { host: '10.0.0.1', port: 443, scheme: 'HTTPS' as const, path: 'ready' }, url: 'https://10.0.0.1:443/ready' },
    { target: { host: 'fd00::5', port: 8080, path: '/h' }, url: 'http://[fd00::5]:8080/h' },
  ])('probeUrl → $url', ({ target, url }) => {
    expect(probeUrl(target)).toBe(url);
  });

  it.each([
    { code: 'ECONNREFUSED', text: 'dial tcp 10.244.1.5:8080: connect: connection refused' },
    { code: 'EHOSTUNREACH', text: 'dial tcp 10.244.1.5:8080: connect: no route to host' },
    { code: 'ECONNRESET', text: 'read tcp 10.244.1.5:8080: read: connection reset by peer' },
    { code: 'EWHATEVER', text: 'dial tcp 10.244.1.5:8080: boom' },
  ])('describeNetError($code)', ({ code, text }) => {
    expect(describeNetError(Object.assign(new Error('boom'), { code }), '10.244.1.5', 8080)).toBe(text);
  });
});
