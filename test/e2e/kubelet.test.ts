/**
 * mk-kubelet and mk-proxy on real Docker: two nodes in network namespaces, each with its own dockerd,
 * kubelet and proxy, under a real control plane (mk-store, mk-apiserver, mk-scheduler,
 * mk-controller-manager). Pods are real containers from the locally built test images
 * (scripts/images). The host's guard REJECTs the pod and service CIDRs on its outside interface
 * before any route or DNAT rule exists (support/node-cluster.ts).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Endpoints, Pod, Service } from '@mk/api';
import { isNotFound } from '@mk/client';
import { NodeCluster } from './support/node-cluster';
import { eventually } from './support/processes';

jest.setTimeout(240_000);

let cluster: NodeCluster;

const NS = 'default';
const web = 'mk.local/web:1';
const busybox = 'mk.local/busybox:1';

function pod(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>, labels: Record<string, string> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels }, spec: { terminationGracePeriodSeconds: 5, ...spec } };
}

async function getPod(name: string): Promise<Pod> {
  return cluster.client.get<Pod>('pods', NS, name);
}

async function waitPod(name: string, what: string, ok: (p: Pod) => boolean, limitMs = 60_000): Promise<Pod> {
  let last: Pod | undefined;
  await eventually(
    `pod ${name}: ${what} (last status: ${JSON.stringify(last?.status ?? {})})`,
    async () => {
      last = await getPod(name).catch(() => undefined);
      return last !== undefined && ok(last);
    },
    limitMs,
  );
  return last!;
}

const isReady = (p: Pod) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

async function deletePod(name: string): Promise<void> {
  await cluster.client.delete('pods', NS, name).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
}

/**
 * An HTTP GET of `url` from inside a pod's container, through `mkctl exec`. busybox's nc speaks it
 * (Debian's static busybox wget crashes with SIGSEGV, in images and on the host alike).
 */
async function fetchFrom(p: Pod, container: string, url: string): Promise<{ code: number; out: string }> {
  const m = /^http:\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (!m) throw new Error(`fetchFrom: not an http URL: ${url}`);
  const [, host, port = '80', path = '/'] = m;
  const script = `printf 'GET ${path} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`;
  const r = await cluster.mkctl(['exec', p.metadata.name!, '-c', container, '--', 'sh', '-c', script], { timeoutMs: 20_000 });
  return { code: r.code ?? -1, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  cluster = await NodeCluster.create({ nodes: 2, kubeletArgs: ['--crash-loop-initial-backoff', '1s', '--crash-loop-max-backoff', '8s'] });
}, 300_000);

afterAll(async () => {
  await cluster?.destroy();
}, 180_000);

afterEach(() => {
  const state = expect.getState();
  if (state.assertionCalls !== state.numPassingAsserts) process.stderr.write(cluster.outputs().slice(-20_000));
});

describe('nodes', () => {
  it('register Ready with capacity, addresses, a pod CIDR and a renewed Lease', async () => {
    const nodes = await cluster.client.list<import('@mk/api').Node>('nodes');
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['node1', 'node2']);
    for (const n of nodes.items) {
      expect(n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address).toBe(cluster.node(n.metadata.name!).host.address);
      expect(Number(n.status?.capacity?.cpu)).toBeGreaterThan(0);
      expect(n.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10250);
      expect(n.spec?.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
      expect(n.metadata.labels?.['kubernetes.io/hostname']).toBe(n.metadata.name);
    }
    const lease = await cluster.client.get<import('@mk/api').Lease>('leases', 'kube-node-lease', 'node1');
    expect(lease.spec?.holderIdentity).toBe('node1');
  });
});

describe('pods on real containers', () => {
  it('two containers share localhost and an emptyDir', async () => {
    await cluster.client.create<Pod>(
      'pods',
      pod('duo', {
        nodeName: 'node1',
        volumes: [{ name: 'shared', emptyDir: {} }],
        containers: [
          { name: 'web', image: web, volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
          { name: 'side', image: busybox, command: ['sh', '-c', 'echo from-side > /shared/note; exec sleep 3600'], volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
        ],
      }),
    );
    const p = await waitPod('duo', 'Running and Ready', isReady);
    expect(p.status?.podIP).toMatch(/^10\.244\./);
    expect(p.status?.containerStatuses?.map((c) => [c.name, c.ready, c.restartCount])).toEqual([
      ['web', true, 0],
      ['side', true, 0],
    ]);
    expect(p.status?.containerStatuses?.[0]?.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    const hit = await fetchFrom(p, 'side', 'http://127.0.0.1:8080/');
    expect(hit.out).toContain("You've hit duo");
    const note = await cluster.mkctl(['exec', 'duo', '-c', 'web', '--', 'cat', '/shared/note']);
    expect(note.stdout.trim()).toBe('from-side');
  });

  it('a crashing container is restarted with a growing back-off (CrashLoopBackOff)', async () => {
    await cluster.client.create<Pod>('pods', pod('crasher', { nodeName: 'node2', containers: [{ name: 'c', image: busybox, command: ['sh', '-c', 'echo crashing; exit 3'] }] }));
    const messages = new Set<string>();
    await waitPod(
      'crasher',
      'restarted at least 3 times',
      (p) => {
        const s = p.status?.containerStatuses?.[0];
        const w = s?.state?.waiting;
        if (w?.reason === 'CrashLoopBackOff' && w.message) messages.add(/back-off (\d+)s/.exec(w.message)?.[1] ?? '');
        return (s?.restartCount ?? 0) >= 3;
      },
      90_000,
    );
    const p = await getPod('crasher');
    const s = p.status!.containerStatuses![0]!;
    expect(s.lastState?.terminated?.exitCode).toBe(3);
    expect(p.status?.phase).toBe('Running');
    // The back-off the kubelet reported grew (1s, 2s, 4s ...), as seen through the status.
    const delays = [...messages].map(Number).filter((n) => n > 0);
    expect(delays.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...delays)).toBeGreaterThan(1);
    const prev = await cluster.mkctl(['logs', 'crasher', '--previous']);
    expect(prev.stdout).toContain('crashing');
    await deletePod('crasher');
  });

  it('a failing liveness probe restarts the container', async () => {
    await cluster.client.create<Pod>(
      'pods',
      pod('liveness', {
        nodeName: 'node1',
        containers: [
          {
            name: 'c',
            image: busybox,
            command: ['sh', '-c', 'touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 3600'],
            livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    );
    const p = await waitPod('liveness', 'restarted by its liveness probe', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000);
    expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
    const events = await cluster.mkctl(['get', 'events', '--field-selector', 'involvedObject.name=liveness', '-o', 'json']);
    expect(events.stdout).toContain('Unhealthy');
    expect(events.stdout).toContain('failed liveness probe, will be restarted');
    await deletePod('liveness');
  });

  it('readiness gates the Ready condition and the Service endpoints', async () => {
    await cluster.client.create<Service>('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gated', namespace: NS },
      spec: { selector: { app: 'gated' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await cluster.client.create<Pod>(
      'pods',
      pod(
        'gated',
        {
          nodeName: 'node2',
          containers: [{ name: 'web', image: web, readinessProbe: { httpGet: { path: '/ready.txt', port: 8080 }, periodSeconds: 1 } }],
        },
        { app: 'gated' },
      ),
    );
    const p = await waitPod('gated', 'running, not ready', (x) => x.status?.containerStatuses?.[0]?.state?.running !== undefined);
    const readyAddresses = async () => {
      const ep = await cluster.client.get<Endpoints>('endpoints', NS, 'gated').catch(() => undefined);
      return (ep?.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.ip);
    };
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(await readyAddresses()).toEqual([]);
    await cluster.mkctl(['exec', 'gated', '--', 'sh', '-c', 'echo ok > /www/ready.txt']);
    await waitPod('gated', 'Ready', isReady, 30_000);
    await eventually('the pod is a ready endpoint', async () => (await readyAddresses()).includes(p.status!.podIP!), 30_000);
    await deletePod('gated');
    await cluster.client.delete('services', NS, 'gated');
  });

  it('pods reach pods on the other node by IP (host-gw routes, source IP kept)', async () => {
    await cluster.client.create<Pod>('pods', pod('far', { nodeName: 'node2', containers: [{ name: 'web', image: web }] }));
    await cluster.client.create<Pod>('pods', pod('near', { nodeName: 'node1', containers: [{ name: 'c', image: busybox, command: ['sleep', '3600'] }] }));
    const far = await waitPod('far', 'Ready', isReady);
    const near = await waitPod('near', 'Ready', isReady);
    expect(far.status?.podIP?.split('.').slice(0, 3)).not.toEqual(near.status?.podIP?.split('.').slice(0, 3));
    const hit = await fetchFrom(near, 'c', `http://${far.status!.podIP}:8080/`);
    expect(hit.out).toContain("You've hit far");
    // The server's log names the client: the pod's own IP (not its node's: no NAT between pods).
    const logs = await cluster.mkctl(['logs', 'far']);
    expect(logs.stdout).toContain(`Received request from ${near.status!.podIP}`);
  });

  it('mkctl logs -f follows and exec runs commands with their exit code', async () => {
    await cluster.client.create<Pod>(
      'pods',
      pod('talker', { nodeName: 'node2', containers: [{ name: 'c', image: busybox, command: ['sh', '-c', 'i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.2; done'] }] }),
    );
    await waitPod('talker', 'Ready', isReady);
    // Cut off after 8 s while following (a line comes every 0.2 s, so a slow mkctl start on a loaded
    // machine still leaves many): it printed lines as they came.
    const follow = await cluster.mkctl(['logs', '-f', 'talker', '--tail', '1'], { timeoutMs: 8000 });
    const lines = follow.stdout.split('\n').filter((l) => l.startsWith('line-'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const nums = lines.map((l) => Number(l.slice(5)));
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    const ok = await cluster.mkctl(['exec', 'talker', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(ok.code).toBe(7);
    expect(ok.stdout).toContain('out');
    expect(ok.stderr).toContain('err');
    const piped = await cluster.mkctl(['exec', '-i', 'talker', '--', 'cat'], { input: 'hello through stdin\n' });
    expect(piped.stdout).toBe('hello through stdin\n');
    await deletePod('talker');
  });

  it('graceful termination: SIGTERM, the grace period, then the pod object is removed', async () => {
    const record = path.join(cluster.dir, 'graceful-record');
    mkdirSync(record, { recursive: true });
    await cluster.client.create<Pod>(
      'pods',
      pod('graceful', {
        nodeName: 'node1',
        terminationGracePeriodSeconds: 30,
        volumes: [{ name: 'record', hostPath: { path: record, type: 'Directory' } }],
        containers: [
          {
            name: 'c',
            image: busybox,
            command: ['sh', '-c', "trap 'echo got-term > /record/term; sleep 1; echo done > /record/exit; exit 0' TERM; while true; do sleep 0.2; done"],
            volumeMounts: [{ name: 'record', mountPath: '/record' }],
          },
        ],
      }),
    );
    const p = await waitPod('graceful', 'Ready', isReady);
    await cluster.client.delete('pods', NS, 'graceful');
    // Still there while its container winds down (the deletion waits for the kubelet).
    expect((await getPod('graceful')).metadata.deletionTimestamp).toBeDefined();
    await eventually('the pod object is gone', async () => getPod('graceful').then(() => false, (e: unknown) => isNotFound(e)), 60_000);
    // The container got SIGTERM and finished its handler (a SIGKILL would have cut it short).
    expect(readFileSync(path.join(record, 'term'), 'utf8').trim()).toBe('got-term');
    expect(readFileSync(path.join(record, 'exit'), 'utf8').trim()).toBe('done');
    await eventually('its containers are removed', async () => (await cluster.docker('node1', ['ps', '-aq', '--filter', `label=io.mk.pod.uid=${p.metadata.uid}`])).stdout.trim() === '', 30_000);
  });

  it('a restarted kubelet adopts its running containers (no duplicates) and removes those of deleted pods', async () => {
    await cluster.client.create<Pod>('pods', pod('stays', { nodeName: 'node1', containers: [{ name: 'web', image: web }] }));
    await cluster.client.create<Pod>('pods', pod('goes', { nodeName: 'node1', containers: [{ name: 'web', image: web }] }));
    const stays = await waitPod('stays', 'Ready', isReady);
    const goes = await waitPod('goes', 'Ready', isReady);
    const node = cluster.node('node1');
    await node.kubelet!.stop('SIGKILL');
    // While it is down, one pod is force-deleted: nobody runs its containers down.
    await cluster.client.delete('pods', NS, 'goes', { gracePeriodSeconds: 0 });
    const before = (await cluster.docker('node1', ['ps', '-q', '--filter', `label=io.mk.pod.uid=${stays.metadata.uid}`])).stdout.trim().split('\n');
    cluster.startKubelet(node);
    await eventually(
      "the deleted pod's containers are gone",
      async () => (await cluster.docker('node1', ['ps', '-aq', '--filter', `label=io.mk.pod.uid=${goes.metadata.uid}`])).stdout.trim() === '',
      60_000,
    );
    const after = (await cluster.docker('node1', ['ps', '-q', '--filter', `label=io.mk.pod.uid=${stays.metadata.uid}`])).stdout.trim().split('\n');
    expect(after.sort()).toEqual(before.sort());
    const again = await waitPod('stays', 'still Ready', isReady);
    expect(again.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(again.status?.containerStatuses?.[0]?.containerID).toBe(stays.status?.containerStatuses?.[0]?.containerID);
    await deletePod('stays');
  });
});

describe('without the control plane', () => {
  it('running pods keep running, crashed containers restart, and the status catches up when it returns', async () => {
    await cluster.client.create<Pod>('pods', pod('steady', { nodeName: 'node2', containers: [{ name: 'web', image: web }] }));
    const before = await waitPod('steady', 'Ready', isReady);
    const id = before.status!.containerStatuses![0]!.containerID!.replace('docker://', '');
    await cluster.apis.stopAll();
    try {
      // The container dies while nobody can tell the API: the kubelet restarts it on its own.
      expect((await cluster.docker('node2', ['kill', id])).code).toBe(0);
      await eventually(
        'a new container runs for the pod',
        async () => {
          const ids = (await cluster.docker('node2', ['ps', '-q', '--no-trunc', '--filter', `label=io.mk.pod.uid=${before.metadata.uid}`, '--filter', 'label=io.mk.container.name=web'])).stdout.trim().split('\n').filter((s) => s !== '');
          return ids.length === 1 && ids[0] !== id;
        },
        60_000,
      );
    } finally {
      for (const a of cluster.apis.servers) cluster.apis.launch(a);
      await Promise.all(cluster.apis.servers.map((a) => cluster.apis.waitReady(a)));
    }
    const after = await waitPod('steady', 'restart reported', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) === 1 && isReady(p), 60_000);
    expect(after.status?.containerStatuses?.[0]?.containerID).not.toBe(before.status?.containerStatuses?.[0]?.containerID);
    expect(after.status?.podIP).toBe(before.status?.podIP);
    await deletePod('steady');
  });
});

describe('mkctl top', () => {
  it('shows the CPU and memory of running pods and of the nodes', async () => {
    await cluster.client.create<Pod>('pods', pod('busy', { nodeName: 'node1', containers: [{ name: 'spin', image: busybox, command: ['sh', '-c', 'while true; do :; done'] }] }));
    await waitPod('busy', 'Ready', isReady);
    let out = '';
    await eventually(
      'top pods lists busy with CPU use',
      async () => {
        const r = await cluster.mkctl(['top', 'pods']);
        out = r.stdout;
        const row = r.stdout.split('\n').find((l) => l.startsWith('busy '));
        return row !== undefined && Number(/(\d+)m/.exec(row)?.[1] ?? 0) > 50;
      },
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${out}`);
    });
    expect(out.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const nodes = await cluster.mkctl(['top', 'nodes']);
    expect(nodes.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%/);
    expect(nodes.stdout).toContain('node1');
    expect(nodes.stdout).toContain('node2');
    await deletePod('busy');
  });
});

describe('services', () => {
  it('ClusterIP and DNS name spread over every replica; NodePort answers from the host; no endpoints is refused', async () => {
    for (const [i, node] of [
      [1, 'node1'],
      [2, 'node2'],
      [3, 'node2'],
    ] as const) {
      await cluster.client.create<Pod>('pods', pod(`kubia-${i}`, { nodeName: node, containers: [{ name: 'web', image: web, readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } }] }, { app: 'kubia' }));
    }
    await cluster.client.create<Pod>('pods', pod('client', { nodeName: 'node1', containers: [{ name: 'c', image: busybox, command: ['sleep', '3600'] }] }));
    const svc = await cluster.client.create<Service>('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubia', namespace: NS },
      spec: { type: 'NodePort', selector: { app: 'kubia' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    for (const i of [1, 2, 3]) await waitPod(`kubia-${i}`, 'Ready', isReady);
    const client = await waitPod('client', 'Ready', isReady);
    const clusterIP = svc.spec!.clusterIP!;
    expect(clusterIP).toMatch(/^10\.96\./);
    await eventually('3 ready endpoints', async () => {
      const ep = await cluster.client.get<Endpoints>('endpoints', NS, 'kubia').catch(() => undefined);
      return (ep?.subsets ?? []).flatMap((s) => s.addresses ?? []).length === 3;
    });

    const hits = new Map<string, number>();
    const hitVia = async (url: string, n: number) => {
      for (let i = 0; i < n; i++) {
        const r = await fetchFrom(client, 'c', url);
        const who = /You've hit (\S+)/.exec(r.out)?.[1];
        if (who) hits.set(who, (hits.get(who) ?? 0) + 1);
      }
    };
    await eventually('the ClusterIP answers', async () => /You've hit/.test((await fetchFrom(client, 'c', `http://${clusterIP}/`)).out), 30_000);
    await hitVia(`http://${clusterIP}/`, 24);
    await hitVia('http://kubia/', 6);
    await hitVia('http://kubia.default.svc.cluster.local/', 6);
    expect([...hits.keys()].sort()).toEqual(['kubia-1', 'kubia-2', 'kubia-3']);
    expect([...hits.values()].reduce((a, b) => a + b, 0)).toBe(36);

    const nxd = await cluster.mkctl(['exec', 'client', '--', 'nslookup', 'nothing-here.default.svc.cluster.local']);
    expect(`${nxd.stdout}${nxd.stderr}`).toMatch(/NXDOMAIN|can't find/);

    const nodePort = svc.spec!.ports![0]!.nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    // From the host (the test process), to every node's address: the node port leads to a replica
    // wherever it runs.
    for (const n of cluster.nodes) {
      const res = await fetch(`http://${n.host.address}:${nodePort}/`, { signal: AbortSignal.timeout(10_000) });
      expect(await res.text()).toMatch(/You've hit kubia-\d/);
    }

    await cluster.client.create<Service>('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'empty', namespace: NS },
      spec: { selector: { app: 'nobody' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    const empty = await cluster.client.get<Service>('services', NS, 'empty');
    await eventually(
      'a service without endpoints is refused, not hung',
      async () => /refused|reset|unreachable/i.test((await fetchFrom(client, 'c', `http://${empty.spec!.clusterIP}/`)).out),
      30_000,
    );
  });
});
