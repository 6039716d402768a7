// ApiClient's streams (podLogs, podExec) and metrics against real grpc-js servers on 127.0.0.1
// serving mkapi.Pods / mkapi.Metrics: failover by connecting first, errors through `mk-status`,
// cancellation, and the rule that a stream that started is never sent again.
import * as grpc from '@grpc/grpc-js';
import { addService, type mkapi, type ServiceImplementation, services } from '@mk/proto';
import { ApiClient } from './api-client';
import { toGrpcError } from './grpc-status';
import { ApiError } from './status';
import { waitFor } from './testing/wait';

interface PodsServer {
  address: string;
  logCalls: mkapi.PodLogsRequest[];
  cancelled: number;
  stop(): void;
}

async function startPodsServer(logs: ServiceImplementation<typeof services.mkapi.Pods>['Logs'], extra: Partial<ServiceImplementation<typeof services.mkapi.Pods>> = {}): Promise<PodsServer> {
  const server = new grpc.Server();
  const state: PodsServer = { address: '', logCalls: [], cancelled: 0, stop: () => server.forceShutdown() };
  addService(server, services.mkapi.Pods, {
    Logs: (call) => {
      state.logCalls.push(call.request);
      call.on('cancelled', () => state.cancelled++);
      logs(call);
    },
    ...extra,
  });
  addService(server, services.mkapi.Metrics, {
    PodMetrics: (call, cb) => cb(null, { json: Buffer.from(JSON.stringify({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items: [], unreachableNodes: [call.request.namespace] })) }),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  state.address = `127.0.0.1:${port}`;
  return state;
}

async function deadAddress(): Promise<string> {
  const s = await startPodsServer((call) => call.end());
  s.stop();
  return s.address;
}

const servers: PodsServer[] = [];
const clients: ApiClient[] = [];
function client(addresses: string[]): ApiClient {
  const c = new ApiClient({ servers: addresses, timeoutMs: 2_000, retry: { rounds: 1 } });
  clients.push(c);
  return c;
}
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.stop();
});

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  let text = '';
  for await (const b of it) text += b.toString();
  return text;
}

describe('podLogs', () => {
  test('a dead first server: the stream goes to the next; the request as given', async () => {
    const s = await startPodsServer((call) => {
      call.write({ data: Buffer.from('a\n') });
      call.write({ data: Buffer.from('b\n') });
      call.end();
    });
    servers.push(s);
    const c = client([await deadAddress(), s.address]);
    expect(await collect(c.podLogs('default', 'web', { container: 'app', tailLines: 0, follow: true }))).toBe('a\nb\n');
    expect(s.logCalls).toHaveLength(1);
    expect(s.logCalls[0]).toMatchObject({ namespace: 'default', name: 'web', container: 'app', follow: true, tailLines: 0, previous: false });
    expect(c.currentServer).toBe(s.address);
  });

  test('the server\'s Status becomes the ApiError', async () => {
    const s = await startPodsServer((call) => call.emit('error', toGrpcError(ApiError.badRequest('pod web does not have a host assigned'))));
    servers.push(s);
    await expect(collect(client([s.address]).podLogs('default', 'web'))).rejects.toMatchObject({ reason: 'BadRequest', message: 'pod web does not have a host assigned' });
  });

  test('a stream lost after it started surfaces and is not sent again', async () => {
    const other = await startPodsServer((call) => call.end());
    const s = await startPodsServer((call) => {
      call.write({ data: Buffer.from('a\n') });
      setTimeout(() => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'connection dropped', metadata: new grpc.Metadata() }), 20);
    });
    servers.push(s, other);
    let text = '';
    const err = await (async () => {
      try {
        for await (const b of client([s.address, other.address]).podLogs('default', 'web')) text += b.toString();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(text).toBe('a\n');
    expect(err).toMatchObject({ reason: 'ServiceUnavailable' });
    expect(s.logCalls).toHaveLength(1);
    expect(other.logCalls).toHaveLength(0);
  });

  test('abort ends a follow at once and cancels the call on the server', async () => {
    const s = await startPodsServer((call) => call.write({ data: Buffer.from('first\n') }));
    servers.push(s);
    const abort = new AbortController();
    let text = '';
    for await (const b of client([s.address]).podLogs('default', 'web', { follow: true, signal: abort.signal })) {
      text += b.toString();
      abort.abort();
    }
    expect(text).toBe('first\n');
    await waitFor(() => s.cancelled === 1, 'the server sees the call cancelled');
  });
});

describe('podExec', () => {
  test('start first, then stdin; output and the exit code', async () => {
    const inputs: mkapi.ExecInput[] = [];
    const s = await startPodsServer((call) => call.end(), {
      Exec: (call) => {
        call.on('data', (m: mkapi.ExecInput) => {
          inputs.push(m);
          if (m.input === 'stdin') call.write({ stdout: m.stdin });
          if (m.input === 'closeStdin') {
            call.write({ stderr: Buffer.from('done\n') });
            call.write({ exit: { code: 7 } });
            call.end();
          }
        });
      },
    });
    servers.push(s);
    const session = await client([s.address]).podExec('default', 'web', { command: ['cat'], stdin: true });
    session.resize(24, 80);
    session.write(Buffer.from('hi'));
    session.closeStdin();
    const out: string[] = [];
    for await (const chunk of session.output) out.push(`${chunk.stream}:${chunk.data.toString()}`);
    expect(out).toEqual(['1:hi', '2:done\n']);
    expect(await session.exitCode).toBe(7);
    expect(inputs.map((m) => m.input)).toEqual(['start', 'resize', 'stdin', 'closeStdin']);
    expect(inputs[0]?.start).toMatchObject({ namespace: 'default', name: 'web', command: ['cat'], stdin: true, tty: false, container: '' });
  });

  test('an error Status rejects output and exitCode', async () => {
    const s = await startPodsServer((call) => call.end(), {
      Exec: (call) => call.on('data', () => call.emit('error', toGrpcError(ApiError.notFound('pods', 'web')))),
    });
    servers.push(s);
    const session = await client([s.address]).podExec('default', 'web', { command: ['ls'] });
    // The error arrives before anyone reads the output.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(collect((async function* () {
      for await (const c of session.output) yield c.data;
    })())).rejects.toMatchObject({ reason: 'NotFound', message: 'pods "web" not found' });
    await expect(session.exitCode).rejects.toMatchObject({ reason: 'NotFound' });
  });
});

test('podMetrics decodes the list', async () => {
  const s = await startPodsServer((call) => call.end());
  servers.push(s);
  expect(await client([s.address]).podMetrics({ namespace: 'kube-system' })).toEqual({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items: [], unreachableNodes: ['kube-system'] });
});
