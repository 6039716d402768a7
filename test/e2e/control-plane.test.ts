/**
 * The whole control plane of step 4 as real processes: a 3-member mk-store, two API servers, two
 * mk-schedulers and two mk-controller-managers (each pair leader-elected), and three simulated
 * nodes that only play the kubelet (the real scheduler binds). Driven with mkctl as a user types
 * it: a Deployment reaches its replicas, a rollout replaces every pod, a rollback restores the
 * template, and killing both active leaders mid-rollout still completes it.
 */
import path from 'node:path';
import type { Deployment, Lease, Pod, ReplicaSet } from '@mk/api';
import { ApiClient } from '@mk/client';
import { ApiServers } from './support/api-servers';
import { Daemon, ROOT, eventually, freePort } from './support/processes';
import { SimulatedNodes } from './support/simulated-nodes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(240_000);

const MK_SCHEDULER = path.join(ROOT, 'packages/scheduler/dist/bin/mk-scheduler.js');
const MK_CM = path.join(ROOT, 'packages/controller-manager/dist/bin/mk-controller-manager.js');

const DEPLOYMENT = (image: string, replicas = 5) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`;

describe('control plane: scheduler + controller manager + API servers + mk-store', () => {
  let store: StoreCluster;
  let apis: ApiServers;
  let client: ApiClient;
  let sim: SimulatedNodes;
  const daemons: Daemon[] = [];

  const start = async (name: string, script: string) => {
    const d = Daemon.start(name, script, ['--mkconfig', apis.configFile, '--http-listen', `127.0.0.1:${await freePort()}`, '--log-level', 'warn', ...(script === MK_SCHEDULER ? ['--identity', name] : [])]);
    daemons.push(d);
    return d;
  };
  const holder = async (lease: string) => (await client.get<Lease>('leases', 'kube-system', lease).catch(() => undefined))?.spec?.holderIdentity ?? '';
  const webPods = async () => (await client.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
  const images = (pods: Pod[]) => [...new Set(pods.map((p) => p.spec.containers[0]!.image))].sort();
  const rolledOut = async (image: string, replicas = 5) => {
    const d = await client.get<Deployment>('deployments', 'default', 'web');
    const pods = await webPods();
    const readyOnNodes = pods.filter((p) => p.spec.nodeName && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return (
      d.status?.observedGeneration === d.metadata.generation &&
      d.status?.updatedReplicas === replicas &&
      d.status?.availableReplicas === replicas &&
      pods.length === replicas &&
      readyOnNodes.length === replicas &&
      images(pods).join() === image
    );
  };

  beforeAll(async () => {
    store = await StoreCluster.create(3);
    apis = await ApiServers.start(2, store.endpoints());
    client = new ApiClient({ servers: apis.addresses() });
    await eventually('kube-node-lease exists', async () => Boolean(await client.get('namespaces', '', 'kube-node-lease').catch(() => undefined)));
    sim = await SimulatedNodes.start({ servers: apis.addresses(), names: ['node1', 'node2', 'node3'], bindPods: false });
    for (const n of ['sched-a', 'sched-b']) await start(n, MK_SCHEDULER);
    for (const n of ['cm-a', 'cm-b']) await start(n, MK_CM);
    await eventually('both leases are held', async () => (await holder('mk-scheduler')) !== '' && (await holder('mk-controller-manager')) !== '', 30_000);
  });

  afterAll(async () => {
    await sim?.stop();
    for (const d of daemons) await d.stop('SIGKILL');
    client?.close();
    await apis?.destroy();
    await store?.destroy();
  });

  it('a Deployment of 5 applied with mkctl reaches 5 ready pods, each bound by the scheduler', async () => {
    const applied = await apis.mkctl(['apply', '-f', '-'], { input: DEPLOYMENT('web:1') });
    expect(applied.stdout).toBe('deployment.apps/web created\n');
    await eventually('5 ready pods of web:1', () => rolledOut('web:1'), 60_000);
    const pods = await webPods();
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBeGreaterThan(1); // spread over nodes
    const events = (await client.list<{ reason: string; source?: { component?: string } } & Pod>('events', { namespace: 'default' })).items;
    expect(events.filter((e) => e.reason === 'Scheduled' && e.source?.component === 'default-scheduler').length).toBeGreaterThanOrEqual(5);
    const status = await apis.mkctl(['rollout', 'status', 'deployment/web', '--timeout', '30s']);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    expect((await apis.mkctl(['get', 'deploy', 'web'])).stdout).toMatch(/\nweb\s+5\/5\s+5\s+5\s+/);
  });

  it('a rollout replaces every pod; with both active leaders killed mid-rollout the standbys finish it', async () => {
    const schedLeader = await holder('mk-scheduler');
    const cmLeader = await holder('mk-controller-manager');
    const set = await apis.mkctl(['set', 'image', 'deployment/web', 'web=web:2']);
    expect(set.stdout).toBe('deployment.apps/web image updated\n');
    await eventually('the rollout started (a new ReplicaSet)', async () => (await client.list<ReplicaSet>('replicasets', { namespace: 'default' })).items.length === 2, 30_000);
    // kill -9 the processes holding the leases right now: the scheduler by its identity, the
    // controller manager by the pid in its (hostname_pid_random) identity.
    const victims = daemons.filter((d) => d.name === schedLeader || cmLeader.split('_')[1] === String(d.pid));
    expect(victims.map((d) => d.name).sort()).toEqual([expect.stringMatching(/^cm-/), expect.stringMatching(/^sched-/)]);
    for (const d of victims) await d.stop('SIGKILL');
    await eventually('the rollout to web:2 completed after the leaders died', () => rolledOut('web:2'), 90_000);
    expect(await holder('mk-scheduler')).not.toBe(schedLeader);
    const rs = (await client.list<ReplicaSet>('replicasets', { namespace: 'default' })).items;
    expect(rs.map((r) => [r.spec.template.spec.containers[0]!.image, r.spec.replicas]).sort()).toEqual([
      ['web:1', 0],
      ['web:2', 5],
    ]);
  });

  it('a rollback restores the previous template on all pods', async () => {
    const history = await apis.mkctl(['rollout', 'history', 'deployment/web']);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    const undo = await apis.mkctl(['rollout', 'undo', 'deployment/web']);
    expect(undo.stdout).toBe('deployment.apps/web rolled back\n');
    await eventually('all pods back on web:1', () => rolledOut('web:1'), 90_000);
    const rs = (await client.list<ReplicaSet>('replicasets', { namespace: 'default' })).items;
    expect(rs).toHaveLength(2); // the old ReplicaSet was reused, not a third made
  });
});
