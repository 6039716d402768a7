import { ApiError, type PodMetrics } from '@mk/client';
import { run } from '../cli';
import { testContext, type TestContextOptions } from '../testing/context';
import { deployment, node, pod, runningPod, service } from '../testing/fixtures';
import { formatMemoryCell, percentCell, podUsage } from './top';

async function mkctl(argv: string[], t = testContext()) {
  const code = await run(argv, t.factory, { out: t.ctx.out, err: t.ctx.err });
  return { code, out: t.out(), err: t.err(), t };
}

function withLogs(opts: TestContextOptions = {}) {
  const t = testContext(opts);
  t.client.add(runningPod('web'));
  t.client.logs.set('default/web', ['one', 'two', 'three']);
  return t;
}

const lastOpts = (t: ReturnType<typeof testContext>, method: string) => t.client.calls.filter((c) => c.method === method).at(-1)?.opts;

describe('mkctl logs', () => {
  test('prints the log; the flags reach the request', async () => {
    const r = await mkctl(['logs', 'web'], withLogs());
    expect([r.code, r.out, r.err]).toEqual([0, 'one\ntwo\nthree\n', '']);
    expect(lastOpts(r.t, 'podLogs')).toEqual({ container: '', follow: false, previous: false, timestamps: false });

    const f = await mkctl(['logs', '-f', '-p', '--timestamps', '-c', 'app', 'pod/web', '--tail', '2', '--since', '1m'], withLogs());
    expect(f.out).toBe('two\nthree\n');
    expect(lastOpts(f.t, 'podLogs')).toEqual({ container: 'app', follow: true, previous: true, timestamps: true, tailLines: 2, sinceSeconds: 60 });
  });

  test.each([
    [['logs', 'web', 'side'], { container: 'side' }],
    [['logs', 'po/web', '--tail=-1'], { container: '' }],
    [['logs', '-n', 'default', 'web', '--tail', '0', '--follow=true'], { tailLines: 0, follow: true }],
  ])('%j', async (argv, want) => {
    const r = await mkctl(argv, withLogs());
    expect(r.code).toBe(0);
    expect(lastOpts(r.t, 'podLogs')).toMatchObject(want);
  });

  test.each([
    [['logs'], "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\n"],
    [['logs', 'web', '--tail', 'x'], 'error: invalid argument "x" for "--tail" flag: must be -1 or a non-negative integer\n'],
    [['logs', 'cm/web'], 'error: cannot attach to a cm: only pods, deployments, replicasets, jobs, statefulsets, daemonsets and services are supported\n'],
    [['logs', 'deploy/gone'], 'Error from server (NotFound): deployments.apps "gone" not found\n'],
    [['logs', 'web', 'a', '-c', 'b'], 'error: only one of -c or an inline [CONTAINER] arg is allowed\n'],
    [['logs', 'nope'], 'Error from server (NotFound): pods "nope" not found\n'],
  ])('%j fails', async (argv, err) => {
    const r = await mkctl(argv, withLogs());
    expect([r.code, r.out, r.err]).toEqual([1, '', err]);
  });

  test('TYPE/NAME picks one of its pods as kubectl does: running and ready first, then the oldest', async () => {
    const t = withLogs();
    t.client.add(deployment('kubia'));
    t.client.add(pod('kubia-pending', { labels: { app: 'kubia' }, age: 500 }));
    t.client.add(runningPod('kubia-young', { labels: { app: 'kubia' }, age: 10 }));
    t.client.add(runningPod('kubia-old', { labels: { app: 'kubia' }, age: 100 }));
    t.client.add(runningPod('other', { labels: { app: 'other' }, age: 1000 }));
    t.client.logs.set('default/kubia-old', ['from old']);
    const r = await mkctl(['logs', 'deploy/kubia'], t);
    expect([r.code, r.out, r.err]).toEqual([0, 'from old\n', 'Found 3 pods, using pod/kubia-old\n']);
    const svc = await mkctl(['logs', 'svc/kubia'], (t.client.add(service('kubia', { selector: { app: 'kubia' } })), t));
    // The same context's output so far: the second read came from the same pod.
    expect([svc.code, svc.out]).toEqual([0, 'from old\nfrom old\n']);
    const none = testContext();
    none.client.add(deployment('empty'));
    const e = await mkctl(['logs', 'deploy/empty'], none);
    expect([e.code, e.err]).toEqual([1, 'error: no pods found for deployments "empty" (selector app=empty)\n']);
  });

  test('-f follows until Ctrl-C: exit 130', async () => {
    const t = withLogs();
    t.client.followUntilAborted = true;
    const running = mkctl(['logs', '-f', 'web'], t);
    await new Promise((resolve) => setImmediate(resolve));
    t.interrupt();
    const r = await running;
    expect([r.code, r.out, r.err]).toEqual([130, 'one\ntwo\nthree\n', '']);
  });

  test('a server error is printed as kubectl does', async () => {
    const t = withLogs();
    t.client.fail('podLogs', ApiError.badRequest('a container name must be specified for pod web, choose one of: [a b]'));
    const r = await mkctl(['logs', 'web'], t);
    expect([r.code, r.err]).toEqual([1, 'Error from server (BadRequest): a container name must be specified for pod web, choose one of: [a b]\n']);
  });
});

describe('mkctl exec', () => {
  test('the command after --; output; exit code 0', async () => {
    const t = withLogs();
    t.client.execAnswer = { stdout: 'hello\n', exitCode: 0 };
    const r = await mkctl(['exec', 'web', '-c', 'app', '--', 'ls', '-l', '/'], t);
    expect([r.code, r.out, r.err]).toEqual([0, 'hello\n', '']);
    expect(lastOpts(t, 'podExec')).toEqual({ container: 'app', command: ['ls', '-l', '/'], stdin: false, tty: false });
  });

  test('the remote exit code is mkctl\'s; stderr goes to stderr', async () => {
    const t = withLogs();
    t.client.execAnswer = { stderr: 'boom\n', exitCode: 3 };
    const r = await mkctl(['exec', 'web', '--', 'false'], t);
    expect([r.code, r.out, r.err]).toEqual([3, '', 'boom\ncommand terminated with exit code 3\n']);
  });

  test('-i pipes stdin, then closes it', async () => {
    const t = withLogs({ stdinChunks: ['a\n', 'b\n'] });
    const r = await mkctl(['exec', '-i', 'web', '--', 'cat'], t);
    expect([r.code, r.out]).toEqual([0, 'a\nb\n']);
    expect(t.client.execStdin).toEqual(['a\nb\n']);
    expect(lastOpts(t, 'podExec')).toMatchObject({ stdin: true, tty: false });
  });

  test('-it on a terminal: raw mode on then off, the size sent', async () => {
    const t = withLogs({ stdinChunks: ['x'], stdinIsTTY: true });
    const r = await mkctl(['exec', '-it', 'web', '--', 'sh'], t);
    expect(r.code).toBe(0);
    expect(lastOpts(t, 'podExec')).toMatchObject({ stdin: true, tty: true });
    expect(t.rawMode).toEqual({ on: 1, off: 1 });
    expect(t.client.execResizes).toBe(1);
  });

  test('-t without a terminal: kubectl\'s warning, no TTY', async () => {
    const t = withLogs();
    const r = await mkctl(['exec', '-t', 'web', '--', 'ls'], t);
    expect([r.code, r.err]).toEqual([0, 'Unable to use a TTY - input is not a terminal or the right kind of file\n']);
    expect(lastOpts(t, 'podExec')).toMatchObject({ tty: false });
    expect(t.rawMode.on).toBe(0);
  });

  test.each([[['exec', 'web']], [['exec']], [['exec', 'web', '--']]])('%j: usage error', async (argv) => {
    const r = await mkctl(argv, withLogs());
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: expected 'exec (POD | TYPE/NAME) COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD or TYPE/NAME and COMMAND are required arguments for the exec command\n");
  });

  test('an unknown pod', async () => {
    const r = await mkctl(['exec', 'nope', '--', 'ls'], withLogs());
    expect([r.code, r.err]).toEqual([1, 'Error from server (NotFound): pods "nope" not found\n']);
  });
});

const podMetrics = (name: string, namespace: string, containers: Array<[string, string, string]>): PodMetrics => ({
  kind: 'PodMetrics',
  apiVersion: 'metrics.k8s.io/v1beta1',
  metadata: { name, namespace },
  timestamp: '2024-05-01T12:00:00Z',
  window: '10s',
  containers: containers.map(([n, cpu, memory]) => ({ name: n, usage: { cpu, memory } })),
});

describe('mkctl top', () => {
  function metrics() {
    const t = testContext();
    t.client.podMetricsList.items = [
      podMetrics('web', 'default', [
        ['app', '12m', '3456Ki'],
        ['side', '1m', '1024Ki'],
      ]),
      podMetrics('dns', 'kube-system', [['dns', '3m', '20Mi']]),
    ];
    t.client.add(node('n1'), node('n2'));
    t.client.nodeMetricsList.items = [{ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'n1' }, timestamp: '2024-05-01T12:00:00Z', window: '10s', usage: { cpu: '150m', memory: '1048576Ki' } }];
    return t;
  }

  test('top pods: the namespace\'s pods, kubectl\'s table', async () => {
    const r = await mkctl(['top', 'pods'], metrics());
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toBe('NAME   CPU(cores)   MEMORY(bytes)\nweb    13m          4Mi\n');
    expect(lastOpts(r.t, 'podMetrics')).toEqual({ namespace: 'default' });
  });

  test('top pod -A -l, --containers, --no-headers', async () => {
    const a = await mkctl(['top', 'pod', '-A', '-l', 'app=web', '--sort-by', 'memory'], metrics());
    expect(a.out).toBe('NAMESPACE     NAME   CPU(cores)   MEMORY(bytes)\nkube-system   dns    3m           20Mi\ndefault       web    13m          4Mi\n');
    expect(lastOpts(a.t, 'podMetrics')).toEqual({ namespace: '', labelSelector: 'app=web' });
    const c = await mkctl(['top', 'po', 'web', '--containers', '--no-headers'], metrics());
    expect(c.out).toBe('web   app    12m   3Mi\nweb   side   1m    1Mi\n');
  });

  test('top pods: none, unreachable nodes', async () => {
    const t = testContext({ namespace: 'empty' });
    t.client.podMetricsList.unreachableNodes = ['n2'];
    const r = await mkctl(['top', 'pods'], t);
    expect([r.code, r.out, r.err]).toEqual([0, '', 'Warning: the kubelets of node n2 did not answer; their pods are left out\nNo resources found in empty namespace.\n']);
  });

  test('top nodes: CPU% and MEMORY% of allocatable; a node without metrics is <unknown>', async () => {
    const r = await mkctl(['top', 'nodes'], metrics());
    expect(r.out).toBe('NAME   CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%\nn1     150m         7%          1024Mi          26%\nn2     <unknown>    <unknown>   <unknown>       <unknown>\n');
  });

  test('bad flags', async () => {
    expect((await mkctl(['top', 'pods', '--sort-by', 'name'], metrics())).err).toBe('error: --sort-by accepts only cpu or memory\n');
    expect((await mkctl(['top', 'pods', 'web', '-A'], metrics())).err).toBe('error: a pod name cannot be combined with --all-namespaces\n');
  });

  test.each([
    [1, 2, '50%'],
    [150, 2000, '7%'],
    [1, 0, '<unknown>'],
    [1, undefined, '<unknown>'],
  ])('percentCell(%d, %s) = %s', (used, alloc, want) => expect(percentCell(used, alloc)).toBe(want));

  test('podUsage sums containers; memory in whole Mi', () => {
    const u = podUsage([
      { name: 'a', usage: { cpu: '12m', memory: '3456Ki' } },
      { name: 'b', usage: { cpu: '500000n', memory: '1Mi' } },
    ]);
    expect(u).toEqual({ milliCpu: 13, memoryBytes: 3456 * 1024 + 1024 * 1024 });
    expect(formatMemoryCell(u.memoryBytes)).toBe('4Mi');
  });
});
