/**
 * mk-controller-manager end to end: a 3-member mk-store, two API servers, TWO controller managers
 * (one leads, one waits) and three simulated nodes (test/e2e/support/simulated-nodes.ts plays the
 * scheduler and the kubelets through the client library). Everything is checked through the API.
 *
 * Figures printed (not asserted: timings are not tests): the standby's takeover after kill -9 of
 * the leader, and the time from a node's death to its pods running again elsewhere.
 */
import path from 'node:path';
import type { Deployment, Endpoints, KubeObject, Lease, Node, Pod, ReplicaSet, Service } from '@mk/api';
import { ApiClient, type WatchHandle, isNotFound } from '@mk/client';
import { ApiServers } from './support/api-servers';
import { Daemon, ROOT, eventually, freePort } from './support/processes';
import { SimulatedNodes } from './support/simulated-nodes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(180_000);

const MK_CM = path.join(ROOT, 'packages/controller-manager/dist/bin/mk-controller-manager.js');
const NS = 'default';

interface Manager {
  name: string;
  httpPort: number;
  daemon: Daemon;
}

let store: StoreCluster;
let apis: ApiServers;
let client: ApiClient;
let sim: SimulatedNodes;
const managers: Manager[] = [];

async function startManager(name: string): Promise<Manager> {
  const httpPort = await freePort();
  const daemon = Daemon.start(name, MK_CM, ['--server', apis.addresses().join(','), '--http-listen', `127.0.0.1:${httpPort}`, '--log-level', 'info']);
  const m = { name, httpPort, daemon };
  await eventually(`${name} serves /healthz`, async () => {
    if (!daemon.running()) throw new Error(`${name} exited:\n${daemon.output.slice(-3000)}`);
    return fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false);
  });
  managers.push(m);
  return m;
}

async function leaderInfo(m: Manager): Promise<{ identity: string; leading: boolean } | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${m.httpPort}/leader`);
    return (await r.json()) as { identity: string; leading: boolean };
  } catch {
    return undefined;
  }
}

async function leaseHolder(): Promise<string> {
  const l = await client.get<Lease>('leases', 'kube-system', 'mk-controller-manager');
  return l.spec?.holderIdentity ?? '';
}

async function currentLeader(): Promise<Manager> {
  let found: Manager | undefined;
  await eventually('one controller manager leads', async () => {
    const holder = await leaseHolder().catch(() => '');
    for (const m of managers) {
      if (!m.daemon.running()) continue;
      const info = await leaderInfo(m);
      if (info?.leading && info.identity === holder) found = m;
    }
    return found !== undefined;
  });
  return found!;
}

function deployment(name: string, replicas: number, image: string, extra: Partial<Deployment['spec']> = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'kubia', image, ports: [{ name: 'http', containerPort: 8080 }] }] } },
      ...extra,
    },
  };
}

const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const isActive = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded';
const imageOf = (p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0]?.image;

async function podsOf(app: string): Promise<Pod[]> {
  return (await client.list<Pod>('pods', { namespace: NS, labelSelector: { app } })).items;
}

async function replicaSetsOf(app: string): Promise<ReplicaSet[]> {
  return (await client.list<ReplicaSet>('replicasets', { namespace: NS, labelSelector: { app } })).items;
}

/** Until the Deployment's rollout is complete: every pod of `image`, `replicas` of them ready, status caught up. */
async function rolledOut(name: string, replicas: number, image: string, limitMs = 60_000): Promise<void> {
  await eventually(
    `${name}: ${replicas} ready pods of ${image}`,
    async () => {
      const d = await client.get<Deployment>('deployments', NS, name);
      const pods = (await podsOf(name)).filter(isActive);
      const s = d.status ?? {};
      return (
        s.observedGeneration === d.metadata.generation &&
        s.updatedReplicas === replicas &&
        s.availableReplicas === replicas &&
        s.replicas === replicas &&
        pods.length === replicas &&
        pods.every((p) => isReady(p) && imageOf(p) === image)
      );
    },
    limitMs,
  );
}

/**
 * Watches the pods of `app` and checks, at every event, the rolling-update bounds: pods (not
 * terminating) ≤ replicas + maxSurge, ready ones ≥ replicas − maxUnavailable.
 */
class RolloutObserver {
  readonly violations: string[] = [];
  events = 0;
  private readonly pods = new Map<string, Pod>();
  private handle?: WatchHandle;

  constructor(
    readonly app: string,
    readonly replicas: number,
    readonly maxSurge: number,
    readonly maxUnavailable: number,
  ) {}

  async start(): Promise<void> {
    const list = await client.list<Pod>('pods', { namespace: NS, labelSelector: { app: this.app } });
    for (const p of list.items) this.pods.set(p.metadata.name!, p);
    this.handle = client.watch<Pod>('pods', { namespace: NS, labelSelector: { app: this.app }, resourceVersion: list.resourceVersion }, (ev) => {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
      if (ev.type === 'DELETED') this.pods.delete(ev.object.metadata.name!);
      else this.pods.set(ev.object.metadata.name!, ev.object);
      this.events++;
      this.check();
    });
  }

  private check(): void {
    const active = [...this.pods.values()].filter(isActive);
    const ready = active.filter(isReady).length;
    if (active.length > this.replicas + this.maxSurge) this.violations.push(`event ${this.events}: ${active.length} pods > ${this.replicas} + ${this.maxSurge}`);
    if (ready < this.replicas - this.maxUnavailable) this.violations.push(`event ${this.events}: ${ready} ready < ${this.replicas} - ${this.maxUnavailable}`);
  }

  stop(): void {
    this.handle?.stop();
  }
}

beforeAll(async () => {
  store = await StoreCluster.create(3);
  apis = await ApiServers.start(2, store.endpoints());
  client = new ApiClient({ servers: apis.addresses() });
  await eventually('system namespaces exist', async () => {
    const ns = await client.list<KubeObject>('namespaces').catch(() => ({ items: [] as KubeObject[] }));
    return ['default', 'kube-system', 'kube-node-lease'].every((n) => ns.items.some((i) => i.metadata.name === n));
  });
  sim = await SimulatedNodes.start({ servers: apis.addresses(), names: ['n1', 'n2', 'n3'] });
  await startManager('cm1');
  await startManager('cm2');
});

afterAll(async () => {
  if (process.env.MK_E2E_LOGS) for (const m of managers) process.stderr.write(`--- ${m.name}\n${m.daemon.output}\n`);
  await sim?.stop();
  for (const m of managers) await m.daemon.stop();
  client?.close();
  if (apis) await apis.destroy();
  if (store) await store.destroy();
});

afterEach(() => {
  const s = expect.getState();
  if (s.assertionCalls !== s.numPassingAsserts) {
    for (const m of managers) process.stderr.write(`--- ${m.name}\n${m.daemon.output.slice(-6000)}\n`);
  }
});

describe('mk-controller-manager', () => {
  it('elects one leader; the other waits', async () => {
    const leader = await currentLeader();
    const other = managers.find((m) => m !== leader)!;
    expect((await leaderInfo(other))?.leading).toBe(false);
    const lease = await client.get<Lease>('leases', 'kube-system', 'mk-controller-manager');
    expect(lease.spec).toMatchObject({ leaseDurationSeconds: 3 });
    // What a user sees.
    const out = await apis.mkctl(['get', 'leases', '-n', 'kube-system']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(new RegExp(`mk-controller-manager\\s+${(await leaderInfo(leader))!.identity}`));
  });

  it('gives every node a distinct pod CIDR', async () => {
    await eventually('3 nodes with pod CIDRs', async () => {
      const nodes = (await client.list<Node>('nodes')).items.filter((n) => n.spec?.podCIDR);
      return nodes.length === 3;
    });
    const nodes = (await client.list<Node>('nodes')).items;
    const cidrs = nodes.map((n) => n.spec!.podCIDR!);
    expect(new Set(cidrs).size).toBe(3);
    for (const n of nodes) {
      expect(n.spec!.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
      expect(n.spec!.podCIDRs).toEqual([n.spec!.podCIDR]);
    }
  });

  it('a Deployment of 5 reaches 5 ready pods, and a Service gets their endpoints', async () => {
    await client.create('deployments', deployment('web', 5, 'kubia:v1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } } }));
    await client.create<Service>('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    await rolledOut('web', 5, 'kubia:v1');
    const d = await client.get<Deployment>('deployments', NS, 'web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status?.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    const pods = (await podsOf('web')).filter(isActive);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', controller: true, blockOwnerDeletion: true });
    }
    await eventually('endpoints list the 5 pods', async () => {
      const ep = await client.get<Endpoints>('endpoints', NS, 'web').catch(() => undefined);
      const addrs = ep?.subsets?.flatMap((s) => s.addresses ?? []) ?? [];
      return addrs.length === 5 && ep!.subsets![0]!.ports?.[0]?.port === 8080;
    });
  });

  it('scales up and down', async () => {
    await client.patch('deployments', NS, 'web', { spec: { replicas: 8 } });
    await rolledOut('web', 8, 'kubia:v1');
    await client.patch('deployments', NS, 'web', { spec: { replicas: 5 } });
    await rolledOut('web', 5, 'kubia:v1');
    expect(await replicaSetsOf('web')).toHaveLength(1);
  });

  it('does nothing while nothing changes (no sync feeds itself)', async () => {
    const leader = await currentLeader();
    const adds = async () => {
      const text = await (await fetch(`http://127.0.0.1:${leader.httpPort}/metrics`)).text();
      const out: Record<string, number> = {};
      for (const m of text.matchAll(/^workqueue_adds_total\{name="([a-z]+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
      return out;
    };
    await new Promise((r) => setTimeout(r, 1000));
    const before = await adds();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await adds();
    for (const name of ['replicaset', 'deployment', 'endpoint', 'garbagecollector', 'nodeipam']) expect([name, after[name]]).toEqual([name, before[name]]);
    expect(after.nodelifecycle).toBeGreaterThan(before.nodelifecycle!); // it looks at every node each second
  });

  it('a rollout replaces every pod within maxSurge and maxUnavailable at every observed moment', async () => {
    const watch = new RolloutObserver('web', 5, 2, 1);
    await watch.start();
    try {
      await client.patch('deployments', NS, 'web', { spec: { template: { spec: { containers: [{ name: 'kubia', image: 'kubia:v2', ports: [{ name: 'http', containerPort: 8080 }] }] } } } });
      await rolledOut('web', 5, 'kubia:v2');
    } finally {
      watch.stop();
    }
    expect(watch.violations).toEqual([]);
    expect(watch.events).toBeGreaterThan(10);
    const rss = await replicaSetsOf('web');
    expect(rss).toHaveLength(2);
    expect((await client.get<Deployment>('deployments', NS, 'web')).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('rollback (the rollout-undo way) restores the previous template on its old ReplicaSet', async () => {
    const rss = await replicaSetsOf('web');
    const v1 = rss.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!;
    expect(imageOf(v1.spec.template)).toBe('kubia:v1');
    const template = structuredClone(v1.spec.template);
    delete template.metadata!.labels!['pod-template-hash'];
    const d = await client.get<Deployment>('deployments', NS, 'web');
    await client.update('deployments', { ...d, spec: { ...d.spec, template } });
    await rolledOut('web', 5, 'kubia:v1');
    const after = await replicaSetsOf('web');
    expect(after).toHaveLength(2);
    const back = after.find((rs) => rs.metadata.uid === v1.metadata.uid)!;
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    expect(back.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect((await podsOf('web')).filter(isActive).every((p) => p.metadata.labels?.['pod-template-hash'] === back.metadata.labels?.['pod-template-hash'])).toBe(true);
  });

  it('kill -9 of the leader mid-rollout: the standby takes over and completes it', async () => {
    const leader = await currentLeader();
    const standby = managers.find((m) => m !== leader && m.daemon.running())!;
    const watch = new RolloutObserver('web', 5, 2, 1);
    await watch.start();
    let takeoverMs = 0;
    try {
      await client.patch('deployments', NS, 'web', { spec: { template: { spec: { containers: [{ name: 'kubia', image: 'kubia:v3', ports: [{ name: 'http', containerPort: 8080 }] }] } } } });
      await eventually('the rollout has started', async () => (await podsOf('web')).some((p) => imageOf(p) === 'kubia:v3'), 30_000);
      const killedAt = Date.now();
      await leader.daemon.stop('SIGKILL');
      const standbyInfo = await leaderInfo(standby);
      await eventually('the standby holds the lease', async () => (await leaseHolder()) === standbyInfo?.identity, 30_000);
      await eventually('the standby is acting', async () => (await leaderInfo(standby))?.leading === true, 30_000);
      takeoverMs = Date.now() - killedAt;
      await rolledOut('web', 5, 'kubia:v3');
    } finally {
      watch.stop();
    }
    process.stdout.write(`FIGURE controller-manager failover: standby leading ${takeoverMs} ms after kill -9 of the leader (lease 3 s, renew 2 s, retry 0.5 s)\n`);
    expect(watch.violations).toEqual([]);
    // A new standby, so that two run again.
    managers.splice(managers.indexOf(leader), 1);
    await startManager('cm3');
  });

  it('a leader frozen (SIGSTOP) past its lease is replaced; resumed, it stands down without acting', async () => {
    const leader = await currentLeader();
    const standby = managers.find((m) => m !== leader && m.daemon.running())!;
    const standbyId = (await leaderInfo(standby))!.identity;
    const watch = new RolloutObserver('web', 5, 2, 1);
    await watch.start();
    try {
      await client.patch('deployments', NS, 'web', { spec: { template: { spec: { containers: [{ name: 'kubia', image: 'kubia:v4', ports: [{ name: 'http', containerPort: 8080 }] }] } } } });
      await eventually('the rollout has started', async () => (await podsOf('web')).some((p) => imageOf(p) === 'kubia:v4'), 30_000);
      process.kill(leader.daemon.pid, 'SIGSTOP');
      try {
        await eventually('the standby holds the lease', async () => (await leaseHolder()) === standbyId, 30_000);
      } finally {
        process.kill(leader.daemon.pid, 'SIGCONT');
      }
      await eventually('the resumed one is not leading', async () => (await leaderInfo(leader))?.leading === false, 30_000);
      await rolledOut('web', 5, 'kubia:v4');
    } finally {
      watch.stop();
    }
    expect(watch.violations).toEqual([]);
    expect(await leaseHolder()).toBe(standbyId);
    expect((await leaderInfo(leader))?.leading).toBe(false);
  });

  it('deleting a Deployment cascades (background)', async () => {
    await client.delete('deployments', NS, 'web', { propagationPolicy: 'Background' });
    await eventually('ReplicaSets and pods gone', async () => (await replicaSetsOf('web')).length === 0 && (await podsOf('web')).length === 0, 60_000);
  });

  it('deleting a Deployment in the foreground removes it only after its pods are gone', async () => {
    await client.create('deployments', deployment('fg', 3, 'kubia:v1'));
    await rolledOut('fg', 3, 'kubia:v1');
    const marked = await client.delete<Deployment>('deployments', NS, 'fg', { propagationPolicy: 'Foreground' });
    expect(marked.metadata.finalizers).toContain('foregroundDeletion');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    let podsWhenGone = -1;
    await eventually(
      'the Deployment is gone',
      async () => {
        try {
          await client.get('deployments', NS, 'fg');
          return false;
        } catch (e) {
          if (!isNotFound(e)) throw e;
          podsWhenGone = (await podsOf('fg')).length;
          return true;
        }
      },
      60_000,
    );
    expect(podsWhenGone).toBe(0);
    expect(await replicaSetsOf('fg')).toHaveLength(0);
  });

  it('deleting with propagationPolicy Orphan leaves the ReplicaSet and its pods, without the owner reference', async () => {
    await client.create('deployments', deployment('orph', 2, 'kubia:v1'));
    await rolledOut('orph', 2, 'kubia:v1');
    await client.delete('deployments', NS, 'orph', { propagationPolicy: 'Orphan' });
    await eventually('the Deployment is gone', () => client.get('deployments', NS, 'orph').then(() => false, (e) => isNotFound(e)), 30_000);
    const rss = await replicaSetsOf('orph');
    expect(rss).toHaveLength(1);
    expect(rss[0]!.metadata.ownerReferences ?? []).toEqual([]);
    expect((await podsOf('orph')).filter(isActive)).toHaveLength(2);
    // Deleting the orphaned ReplicaSet (background) takes its pods with it.
    await client.delete('replicasets', NS, rss[0]!.metadata.name!);
    await eventually('orphaned pods gone with their ReplicaSet', async () => (await podsOf('orph')).length === 0, 30_000);
  });

  it('deleting a namespace with a Deployment in it: the controllers do not fight the API server emptying it', async () => {
    await client.create<KubeObject>('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    await client.create('deployments', { ...deployment('app', 3, 'kubia:v1'), metadata: { name: 'app', namespace: 'doomed' } });
    await eventually('3 ready pods in doomed', async () => (await client.list<Pod>('pods', { namespace: 'doomed' })).items.filter((p) => isActive(p) && isReady(p)).length === 3, 30_000);
    await client.delete('namespaces', '', 'doomed');
    await eventually('the namespace is gone', () => client.get('namespaces', '', 'doomed').then(() => false, (e) => isNotFound(e)), 60_000);
    expect((await client.list<Pod>('pods', { namespace: 'doomed' })).items).toEqual([]);
  });

  it('a node that stops renewing turns Unknown and its pods are replaced elsewhere', async () => {
    await client.create('deployments', deployment('survivor', 6, 'kubia:v1'));
    await rolledOut('survivor', 6, 'kubia:v1');
    const onN3 = (await podsOf('survivor')).filter((p) => p.spec.nodeName === 'n3');
    expect(onN3.length).toBeGreaterThan(0);
    const diedAt = Date.now();
    sim.kill('n3');
    let unknownMs = 0;
    await eventually(
      'n3 Ready=Unknown with the unreachable taint',
      async () => {
        const n = await client.get<Node>('nodes', '', 'n3');
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        const ok = ready?.status === 'Unknown' && ready.reason === 'NodeStatusUnknown' && (n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
        if (ok && !unknownMs) unknownMs = Date.now() - diedAt;
        return ok;
      },
      60_000,
    );
    let replacedMs = 0;
    await eventually(
      '6 ready pods on the other nodes',
      async () => {
        const pods = (await podsOf('survivor')).filter(isActive);
        const ok = pods.length === 6 && pods.every((p) => p.spec.nodeName !== 'n3' && isReady(p));
        if (ok && !replacedMs) replacedMs = Date.now() - diedAt;
        return ok;
      },
      60_000,
    );
    // The evicted pods could never finish on the dead node: they are force-deleted.
    await eventually('no pod left on n3', async () => (await podsOf('survivor')).every((p) => p.spec.nodeName !== 'n3'), 60_000);
    const stuckGoneMs = Date.now() - diedAt;
    process.stdout.write(
      `FIGURE node death (grace 8 s, eviction 2 s, force-delete 5 s): Unknown after ${unknownMs} ms, replacements ready after ${replacedMs} ms, stuck pods force-deleted after ${stuckGoneMs} ms\n`,
    );
    sim.revive('n3');
    await eventually(
      'n3 Ready again, taints gone',
      async () => {
        const n = await client.get<Node>('nodes', '', 'n3');
        return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && (n.spec?.taints ?? []).length === 0;
      },
      30_000,
    );
  });
});
