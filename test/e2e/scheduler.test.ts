/**
 * mk-scheduler end to end: a real 3-member mk-store, two real API servers and TWO real
 * mk-scheduler processes contending for the Lease kube-system/mk-scheduler. Nodes are simulated:
 * Node objects created through the API with capacity, allocatable and a Ready condition, no kubelet.
 * Outcomes are checked through the API (and mkctl); the takeover time after kill -9 is printed,
 * never asserted (DESIGN.md: benchmarks are not tests).
 */
import path from 'node:path';
import type { Event, Lease, Node, Pod } from '@mk/api';
import { ApiClient } from '@mk/client';
import { ApiServers } from './support/api-servers';
import { Daemon, ROOT, eventually, freePort } from './support/processes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(180_000);

const MK_SCHEDULER = path.join(ROOT, 'packages/scheduler/dist/bin/mk-scheduler.js');

function node(name: string, o: { cpu: string; memory?: string; labels?: Record<string, string>; taints?: Array<{ key: string; value?: string; effect: 'NoSchedule' | 'NoExecute' | 'PreferNoSchedule' }> }): Node {
  const allocatable = { cpu: o.cpu, memory: o.memory ?? '4Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: o.taints ? { taints: o.taints } : {},
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated node' }] },
  };
}

function pod(name: string, o: { cpu?: string; nodeSelector?: Record<string, string>; tolerations?: Pod['spec']['tolerations'] } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'kubia', image: 'kubia', ...(o.cpu ? { resources: { requests: { cpu: o.cpu } } } : {}) }],
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
  };
}

interface SchedulerProcess {
  identity: string;
  daemon: Daemon;
  httpPort: number;
}

describe('mk-scheduler (2 schedulers, 2 API servers, 3-member mk-store)', () => {
  let store: StoreCluster;
  let apis: ApiServers;
  let client: ApiClient;
  const schedulers: SchedulerProcess[] = [];

  async function startScheduler(identity: string): Promise<SchedulerProcess> {
    const httpPort = await freePort();
    const daemon = Daemon.start(identity, MK_SCHEDULER, [
      '--mkconfig', apis.configFile,
      '--identity', identity,
      '--http-listen', `127.0.0.1:${httpPort}`,
      '--log-level', 'info',
    ]);
    const s = { identity, daemon, httpPort };
    schedulers.push(s);
    return s;
  }

  const holder = async () => (await client.get<Lease>('leases', 'kube-system', 'mk-scheduler').catch(() => undefined))?.spec?.holderIdentity ?? '';
  const nodeOf = async (name: string) => (await client.get<Pod>('pods', 'default', name)).spec.nodeName;
  const bound = (name: string, limitMs = 30_000) => eventually(`pod ${name} bound`, async () => Boolean(await nodeOf(name)), limitMs);
  const eventsOf = async (name: string) =>
    (await client.list<Event>('events', { namespace: 'default', fieldSelector: `involvedObject.name=${name}` })).items;

  beforeAll(async () => {
    store = await StoreCluster.create(3);
    apis = await ApiServers.start(2, store.endpoints());
    client = new ApiClient({ servers: apis.addresses() });
    await eventually('kube-system exists', async () => Boolean(await client.get('namespaces', '', 'kube-system').catch(() => undefined)));
    await client.create('nodes', node('node1', { cpu: '2', labels: { disk: 'ssd' } }));
    await client.create('nodes', node('node2', { cpu: '2' }));
    await client.create('nodes', node('cp1', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
    await startScheduler('sched-a');
    await startScheduler('sched-b');
    await eventually(
      `a scheduler holds the lease (${schedulers.map((s) => s.daemon.output.slice(-1000)).join('\n')})`,
      async () => (await holder()) !== '',
      30_000,
    );
  });

  afterAll(async () => {
    for (const s of schedulers) await s.daemon.stop();
    client?.close();
    if (apis) await apis.destroy();
    if (store) await store.destroy();
  });

  afterEach(() => {
    for (const s of schedulers) if (!s.daemon.running() && s.daemon.output.includes('Error')) process.stdout.write(`--- ${s.identity}\n${s.daemon.output.slice(-3000)}\n`);
  });

  it('one scheduler holds the lease; mkctl get leases -n kube-system shows it; /leader agrees', async () => {
    const h = await holder();
    expect(['sched-a', 'sched-b']).toContain(h);
    const res = await apis.mkctl(['get', 'leases', '-n', 'kube-system']);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^NAME\s+HOLDER\s+AGE\n/);
    expect(res.stdout).toMatch(new RegExp(`^mk-scheduler\\s+${h}\\s`, 'm'));
    const views = await Promise.all(schedulers.map(async (s) => (await fetch(`http://127.0.0.1:${s.httpPort}/leader`)).json() as Promise<{ identity: string; isLeader: boolean }>));
    expect(views.filter((v) => v.isLeader).map((v) => v.identity)).toEqual([h]);
  });

  it('binds pods respecting resources, nodeSelector and taints', async () => {
    await client.create('pods', pod('ssd-1', { cpu: '500m', nodeSelector: { disk: 'ssd' } }));
    await client.create('pods', pod('big-1', { cpu: '1500m' }));
    await client.create('pods', pod('big-2', { cpu: '1500m' }));
    await client.create('pods', pod('cp-ok', { cpu: '4', tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }));
    for (const n of ['ssd-1', 'big-1', 'big-2', 'cp-ok']) await bound(n);
    expect(await nodeOf('ssd-1')).toBe('node1');
    // Each 2-cpu worker has room for one 1500m pod; cp1 is tainted.
    expect([await nodeOf('big-1'), await nodeOf('big-2')].sort()).toEqual(['node1', 'node2']);
    expect(await nodeOf('cp-ok')).toBe('cp1');
    const p = await client.get<Pod>('pods', 'default', 'big-1');
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    await eventually('the Scheduled event', async () =>
      (await eventsOf('big-1')).some((e) => e.reason === 'Scheduled' && e.message === `Successfully assigned default/big-1 to ${p.spec.nodeName}` && e.source?.component === 'default-scheduler'),
    );
  });

  it('an unschedulable pod gets FailedScheduling with the reasons, and is bound once a suitable node appears', async () => {
    await client.create('pods', pod('huge', { cpu: '3' }));
    const message = '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.';
    await eventually('FailedScheduling', async () => (await eventsOf('huge')).some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && e.message === message), 30_000);
    const cond = (await client.get<Pod>('pods', 'default', 'huge')).status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    const desc = await apis.mkctl(['describe', 'pod', 'huge']);
    expect(desc.stdout).toContain(message);
    await client.create('nodes', node('node3', { cpu: '4' }));
    await bound('huge');
    expect(await nodeOf('huge')).toBe('node3');
  });

  it('kill -9 of the active scheduler: the standby takes over and binds new pods', async () => {
    const active = await holder();
    const victim = schedulers.find((s) => s.identity === active)!;
    const standby = schedulers.find((s) => s.identity !== active)!;
    const killedAt = Date.now();
    victim.daemon.child.kill('SIGKILL');
    await victim.daemon.waitExit();
    // Created right after the kill: nobody can bind it until the standby leads.
    await client.create('pods', pod('after-kill-1', { cpu: '100m' }));
    await eventually('the standby holds the lease', async () => (await holder()) === standby.identity, 30_000);
    const leaseAt = Date.now();
    await bound('after-kill-1');
    const boundAt = Date.now();
    await client.create('pods', pod('after-kill-2', { cpu: '100m' }));
    await bound('after-kill-2');
    process.stdout.write(
      `[scheduler e2e] kill -9 ${victim.identity} → lease held by ${standby.identity} after ${leaseAt - killedAt} ms, ` +
        `a pod created after the kill bound after ${boundAt - killedAt} ms (observed by polling every 100 ms)\n`,
    );
    const lease = await client.get<Lease>('leases', 'kube-system', 'mk-scheduler');
    expect(lease.spec?.holderIdentity).toBe(standby.identity);
    expect(lease.spec?.leaseTransitions ?? 0).toBeGreaterThanOrEqual(1);
    const res = await apis.mkctl(['get', 'leases', '-n', 'kube-system']);
    expect(res.stdout).toMatch(new RegExp(`^mk-scheduler\\s+${standby.identity}\\s`, 'm'));
  });
});
