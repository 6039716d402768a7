/**
 * `mkctl logs`, `mkctl exec` and `mkctl top` end to end: the real mkctl binary → a real
 * mk-apiserver (on a real mk-store) → the kubelet gRPC server of the pod's node. The kubelet
 * server runs in this test on 127.0.0.1 over a StreamingFakeRuntime holding the containers of
 * the pods the test creates; the Node objects point at it (InternalIP 127.0.0.1 and
 * daemonEndpoints.kubeletEndpoint.Port), and the pods are bound to them with the Bind RPC.
 * Node n2's kubelet port has nothing listening (an unreachable kubelet).
 */
import type { Node, Pod } from '@mk/api';
import { ApiClient, isNotFound } from '@mk/client';
import { nullLogger, systemClock } from '@mk/shared';
import { type KubeletServer, startKubeletServer } from '../../packages/kubelet/src/server';
import { StreamingFakeRuntime } from '../../packages/kubelet/src/server/testing';
import { ApiServers } from './support/api-servers';
import { eventually, freePort } from './support/processes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(120_000);

const MI = 1024 * 1024;

describe('mkctl logs / exec / top through mk-apiserver to a kubelet', () => {
  let store: StoreCluster;
  let apis: ApiServers;
  let client: ApiClient;
  let kubelet: KubeletServer;
  let deadPort: number;
  const runtime = new StreamingFakeRuntime(systemClock);
  /** Container ids by "pod/container" (the current run). */
  const ids: Record<string, string> = {};
  const t0 = Date.now();
  let nodeReadings = 0;

  async function createNode(name: string, port: number): Promise<void> {
    await client.create<Node>('nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
    const node = await client.get<Node>('nodes', '', name);
    node.status = {
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: port } },
    };
    await client.updateStatus('nodes', node);
  }

  /** Creates the pod, binds it to `nodeName` (unless undefined) and starts its containers in the fake runtime. */
  async function createPod(name: string, containers: string[], nodeName: string | undefined): Promise<Pod> {
    const pod = await client.create<Pod>('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
    });
    if (nodeName === undefined) return pod;
    await client.bind('default', name, nodeName);
    if (nodeName === 'n1') {
      const started = await runtime.startPod({ uid: pod.metadata.uid!, name, namespace: 'default' }, containers);
      for (const [c, id] of Object.entries(started)) ids[`${name}/${c}`] = id;
    }
    return pod;
  }

  beforeAll(async () => {
    store = await StoreCluster.create(1);
    apis = await ApiServers.start(1, store.endpoints());
    client = new ApiClient({ servers: apis.addresses() });
    kubelet = await startKubeletServer('127.0.0.1:0', {
      runtime,
      getPod: async (namespace, name) => {
        try {
          return await client.get<Pod>('pods', namespace, name);
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
      clock: systemClock,
      logger: nullLogger,
      // Half a core over the first second, then nothing more (later readings repeat the second);
      // 1 GiB in use.
      nodeUsage: async () => (nodeReadings++ === 0 ? { timestamp: t0, cpuUsageNanos: 0, memoryWorkingSetBytes: 1024 * MI } : { timestamp: t0 + 1000, cpuUsageNanos: 500_000_000, memoryWorkingSetBytes: 1024 * MI }),
    });
    deadPort = await freePort();
    await eventually('the default namespace exists', async () => (await apis.mkctl(['get', 'ns', 'default'])).code === 0);
    await createNode('n1', kubelet.port);
    await createNode('n2', deadPort);

    const web = await createPod('web', ['app'], 'n1');
    // web/app crashed once: attempt 0 exited with its own log, attempt 1 runs now.
    const first = ids['web/app']!;
    runtime.appendLog(first, 'crashed: out of luck');
    runtime.exit(first, 1);
    const sandbox = (await runtime.inspectContainer(first))!.sandboxId;
    ids['web/app'] = await runtime.startAttempt({ uid: web.metadata.uid!, name: 'web', namespace: 'default' }, sandbox, 'app', 1);
    runtime.appendLog(ids['web/app']!, 'line 1', 'line 2', 'line 3');

    await createPod('duo', ['main', 'side'], 'n1');
    runtime.appendLog(ids['duo/side']!, 'side says hi');
    await createPod('pending', ['app'], undefined);
    await createPod('far', ['app'], 'n2');

    const sample = (timestamp: number, cpuUsageNanos: number, memoryWorkingSetBytes: number) => ({ timestamp, cpuUsageNanos, memoryWorkingSetBytes });
    runtime.statsSamples.set(ids['web/app']!, [sample(t0, 0, 10 * MI), sample(t0 + 1000, 250_000_000, 20 * MI)]);
    runtime.statsSamples.set(ids['duo/main']!, [sample(t0, 0, 5 * MI), sample(t0 + 1000, 100_000_000, 5 * MI)]);
    runtime.statsSamples.set(ids['duo/side']!, [sample(t0, 0, MI), sample(t0 + 1000, 0, MI)]);
  });

  afterAll(async () => {
    client?.close();
    kubelet?.close();
    if (apis) await apis.destroy();
    if (store) await store.destroy();
  });

  it('logs: the current run, --tail, -c, --previous', async () => {
    expect(await apis.mkctl(['logs', 'web'])).toEqual({ code: 0, stdout: 'line 1\nline 2\nline 3\n', stderr: '' });
    expect(await apis.mkctl(['logs', 'web', '--tail', '2'])).toEqual({ code: 0, stdout: 'line 2\nline 3\n', stderr: '' });
    expect(await apis.mkctl(['logs', 'pod/duo', '-c', 'side'])).toEqual({ code: 0, stdout: 'side says hi\n', stderr: '' });
    expect(await apis.mkctl(['logs', 'web', '--previous'])).toEqual({ code: 0, stdout: 'crashed: out of luck\n', stderr: '' });
  });

  it('logs -f: lines appended while following arrive; it ends when the container exits', async () => {
    await createPod('tailer', ['app'], 'n1');
    const id = ids['tailer/app']!;
    runtime.appendLog(id, 'before');
    const following = apis.mkctl(['logs', '-f', 'tailer']);
    await eventually('mkctl is following the log', () => runtime.openFollowers === 1);
    runtime.appendLog(id, 'after 1', 'after 2');
    runtime.exit(id, 0);
    expect(await following).toEqual({ code: 0, stdout: 'before\nafter 1\nafter 2\n', stderr: '' });
    expect(runtime.openFollowers).toBe(0);
  });

  it('a client that stops following cancels the API server\'s call and the kubelet\'s log iterator', async () => {
    await createPod('quitter', ['app'], 'n1');
    runtime.appendLog(ids['quitter/app']!, 'only line');
    const abort = new AbortController();
    let text = '';
    for await (const chunk of client.podLogs('default', 'quitter', { follow: true, signal: abort.signal })) {
      text += chunk.toString();
      expect(runtime.openFollowers).toBe(1);
      abort.abort();
    }
    expect(text).toBe('only line\n');
    await eventually('the kubelet stopped following', () => runtime.openFollowers === 0);
  });

  it('logs: kubectl\'s errors', async () => {
    const cases: Array<[string[], string]> = [
      [['logs', 'duo'], 'Error from server (BadRequest): a container name must be specified for pod duo, choose one of: [main side]\n'],
      [['logs', 'duo', '-c', 'nope'], 'Error from server (BadRequest): container nope is not valid for pod duo\n'],
      [['logs', 'nope'], 'Error from server (NotFound): pods "nope" not found\n'],
      [['logs', 'pending'], 'Error from server (BadRequest): pod pending does not have a host assigned\n'],
      [['logs', 'duo', '-c', 'main', '--previous'], 'Error from server (BadRequest): previous terminated container "main" in pod "duo" not found\n'],
    ];
    for (const [argv, stderr] of cases) expect([argv, await apis.mkctl(argv)]).toEqual([argv, { code: 1, stdout: '', stderr }]);
    const far = await apis.mkctl(['logs', 'far']);
    expect(far.code).toBe(1);
    expect(far.stderr).toBe(`Error from server (ServiceUnavailable): error dialing backend: the kubelet of node "n2" at 127.0.0.1:${deadPort} is unavailable: connect ECONNREFUSED 127.0.0.1:${deadPort}\n`);
  });

  it('exec: output, stderr and the remote exit code; -i pipes stdin', async () => {
    runtime.onExec = (cmd) => (cmd[0] === 'sh' ? { stdout: `ran ${cmd.slice(1).join(' ')}\n`, stderr: 'to stderr\n', exitCode: 3 } : undefined);
    expect(await apis.mkctl(['exec', 'web', '--', 'sh', '-c', 'exit 3'])).toEqual({ code: 3, stdout: 'ran -c exit 3\n', stderr: 'to stderr\ncommand terminated with exit code 3\n' });
    expect(runtime.calls).toContain(`execStream ${ids['web/app']} sh -c exit 3`);
    expect(await apis.mkctl(['exec', '-i', 'duo', '-c', 'side', '--', 'cat'], { input: 'hello\nworld\n' })).toEqual({ code: 0, stdout: 'hello\nworld\n', stderr: '' });
    expect(await apis.mkctl(['exec', 'web', '--', 'true'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await apis.mkctl(['exec', 'duo', '--', 'ls'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (BadRequest): a container name must be specified for pod duo, choose one of: [main side]\n' });
    expect(await apis.mkctl(['exec', 'pending', '--', 'ls'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (BadRequest): pod pending does not have a host assigned\n' });
  });

  it('top pods / top nodes: kubectl\'s tables from the kubelets\' stats', async () => {
    const pods = await apis.mkctl(['top', 'pods', '-l', 'app in (web,duo,far)']);
    expect(pods).toEqual({
      code: 0,
      stdout: 'NAME   CPU(cores)   MEMORY(bytes)\nduo    100m         6Mi\nweb    250m         20Mi\n',
      stderr: 'Warning: the kubelets of node n2 did not answer; their pods are left out\n',
    });
    expect(await apis.mkctl(['top', 'pod', 'web', '--containers'])).toEqual({ code: 0, stdout: 'POD   NAME   CPU(cores)   MEMORY(bytes)\nweb   app    250m         20Mi\n', stderr: '' });
    expect(await apis.mkctl(['top', 'pod', 'pending'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): podmetrics.metrics.k8s.io "default/pending" not found\n' });
    const nodes = await apis.mkctl(['top', 'nodes']);
    expect(nodes).toEqual({
      code: 0,
      stdout:
        'NAME   CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%\n' +
        'n1     500m         25%         1024Mi          25%\n' +
        'n2     <unknown>    <unknown>   <unknown>       <unknown>\n',
      stderr: '',
    });
  });
});
