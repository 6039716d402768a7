/**
 * The cluster chaos scenarios of issue 7, on a real 3-node cluster in node containers
 * (`scripts/cluster`): each injects one fault under client load, records what happened, and returns
 * its figures and the outcome checks. `cluster-chaos.test.ts` asserts the checks (one run of each
 * in CI); `scripts/chaos` runs them several times and prints a table of the figures.
 *
 * Every scenario starts from, and leaves behind, a settled cluster: three Ready nodes, one store
 * leader all members agree on, and the `chaos-web` Deployment's 3 pods Running and Ready, answering
 * through its NodePort on every node. Times are wall-clock milliseconds from the fault, observed by polling every 100 ms
 * (so a figure can be late by that much, never early).
 */
import type { Deployment, Lease, Node, Pod } from '@mk/api';
import type { ApiClient } from '@mk/client';
import { EtcdTestClient } from '../../e2e/support/etcd-client';
import { NODE_NAMES, NodeContainers, NodeName } from '../../e2e/support/node-containers';
import { ServiceProbe, WriteLoad, probeOnce } from './cluster-load';

export const NAMESPACE = 'chaos';
export const APP = 'chaos-web';
export const NODE_PORT = 30180;
const REPLICAS = 3;

export type Figures = Record<string, number | string | boolean | null>;
export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}
export interface ScenarioResult {
  scenario: string;
  figures: Figures;
  checks: Check[];
}

export interface Scenario {
  name: string;
  /** What the issue's target says this scenario must show. */
  title: string;
  /** The figures `scripts/chaos` tabulates, with the issue's target where it sets one (≤, in ms). */
  headline: Array<{ figure: string; target?: number }>;
  run(c: ChaosCluster): Promise<ScenarioResult>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 100 ms; resolves with the milliseconds since `from` when it first holds. */
async function until(what: string, probe: () => Promise<boolean>, from: number, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - from;
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await sleep(100);
  }
}

const live = (p: Pod) => p.metadata.deletionTimestamp === undefined || p.metadata.deletionTimestamp === null;
const ready = (p: Pod) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const nodeReady = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

/** The cluster under test, with what the scenarios ask of it. */
export class ChaosCluster {
  private readonly clients = new Map<string, ApiClient>();
  private writeSeq = 0;
  private readonly loads: Array<{ stop(): Promise<void> }> = [];

  constructor(
    readonly nodes: NodeContainers,
    readonly log: (line: string) => void = () => {},
  ) {}

  /** A client of these nodes' API servers (cached per set). */
  api(of: readonly NodeName[] = NODE_NAMES): ApiClient {
    const key = [...of].sort().join(',');
    let c = this.clients.get(key);
    if (!c) this.clients.set(key, (c = this.nodes.client(of, 3000)));
    return c;
  }

  others(...not: NodeName[]): NodeName[] {
    return NODE_NAMES.filter((n) => !not.includes(n));
  }

  /**
   * `scripts/cluster kill NODE`; answers when the node died, as Docker recorded it (the command's
   * own start-up and return would shift the figures by a few hundred milliseconds).
   */
  async kill(node: NodeName): Promise<number> {
    await this.cluster(['kill', node]);
    const finished = await this.nodes.inspect(node, '{{.State.FinishedAt}}');
    const at = Date.parse(finished.replace(/(\.\d{3})\d*Z$/, '$1Z'));
    return Number.isFinite(at) && at > 0 ? at : Date.now();
  }

  async cluster(args: string[], timeoutMs = 60_000): Promise<void> {
    const r = await this.nodes.cluster(args, timeoutMs);
    if (r.code !== 0) throw new Error(`scripts/cluster ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  }

  /** The Deployment and NodePort Service every scenario watches, and the load namespace. */
  async deployApp(): Promise<void> {
    const api = this.api();
    await api.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    await api.create('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP, namespace: NAMESPACE },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: APP } },
        template: {
          metadata: { labels: { app: APP } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: 'web',
                image: 'mk.local/web:1',
                imagePullPolicy: 'IfNotPresent',
                ports: [{ containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    });
    await api.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: APP, namespace: NAMESPACE },
      spec: { type: 'NodePort', selector: { app: APP }, ports: [{ port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
    });
  }

  async pods(of: readonly NodeName[] = NODE_NAMES): Promise<Pod[]> {
    return (await this.api(of).list<Pod>('pods', { namespace: NAMESPACE, labelSelector: { app: APP } })).items;
  }

  async nodesReady(of: readonly NodeName[] = NODE_NAMES): Promise<Set<string>> {
    const items = (await this.api(of).list<Node>('nodes')).items;
    return new Set(items.filter(nodeReady).map((n) => n.metadata.name ?? ''));
  }

  /**
   * One member's status, on a connection of its own, closed after: a kept channel to a node that
   * was dead for a while would sit out gRPC's reconnect back-off after the node is back.
   */
  private async memberStatus(node: NodeName): Promise<Awaited<ReturnType<EtcdTestClient['status']>> | undefined> {
    const c = new EtcdTestClient(`${this.nodes.nodeIp(node)}:2379`);
    try {
      return await c.status(1000);
    } catch {
      return undefined;
    } finally {
      c.close();
    }
  }

  /** The store leader's node, asking every member of `of` (undefined: they do not agree on one). */
  async storeLeader(of: readonly NodeName[] = NODE_NAMES): Promise<NodeName | undefined> {
    const statuses = await Promise.all(of.map(async (n) => ({ n, s: await this.memberStatus(n) })));
    const byId = new Map<string, NodeName>();
    for (const { n, s } of statuses) if (s?.header?.memberId !== undefined) byId.set(String(s.header.memberId), n);
    const leaders = new Set(statuses.map(({ s }) => (s && String(s.leader) !== '0' ? String(s.leader) : '')));
    if (leaders.size !== 1 || leaders.has('')) return undefined;
    return byId.get([...leaders][0]!);
  }

  /** The node whose process holds `kube-system/<lease>` (identities start with the hostname). */
  async leaseHolder(lease: 'mk-scheduler' | 'mk-controller-manager', of: readonly NodeName[] = NODE_NAMES): Promise<{ identity: string; node: NodeName | undefined }> {
    const l = await this.api(of).get<Lease>('leases', 'kube-system', lease);
    const identity = l.spec?.holderIdentity ?? '';
    const node = NODE_NAMES.find((n) => identity === n || identity.startsWith(`${n}_`));
    return { identity, node };
  }

  /** Pod uids of the containers running in a node's own dockerd. */
  async runningPodUids(node: NodeName): Promise<Set<string>> {
    const r = await this.nodes.exec(node, ['docker', 'ps', '--format', '{{.Label "io.mk.pod.uid"}}']);
    if (r.code !== 0) throw new Error(`docker ps in ${node}: ${r.stderr}`);
    return new Set(r.stdout.split('\n').filter((l) => l.trim() !== ''));
  }

  /** A writer of ConfigMaps through these nodes' API servers. */
  writeLoad(of: readonly NodeName[] = NODE_NAMES): WriteLoad {
    const load = new WriteLoad(this.api(of), NAMESPACE, `w${++this.writeSeq}`);
    this.loads.push(load);
    return load;
  }

  /** Requests to the app's NodePort on these nodes until stopped. */
  serviceProbe(of: readonly NodeName[]): ServiceProbe {
    const probe = new ServiceProbe(this.serviceTargets(of));
    this.loads.push(probe);
    return probe;
  }

  /** Stops every load still running (a scenario that failed half-way leaves its own). */
  async stopLoads(): Promise<void> {
    await Promise.all(this.loads.splice(0).map((l) => l.stop()));
  }

  /** Names of the ConfigMaps in the load namespace now. */
  async configMapNames(of: readonly NodeName[] = NODE_NAMES): Promise<Set<string>> {
    const items = (await this.api(of).listAll<{ apiVersion: string; kind: string; metadata: { name: string } }>('configmaps', { namespace: NAMESPACE })).items;
    return new Set(items.map((i) => i.metadata.name));
  }

  serviceTargets(of: readonly NodeName[]): string[] {
    return of.map((n) => `${this.nodes.nodeIp(n)}:${NODE_PORT}`);
  }

  /**
   * Waits for the settled state (see the file's comment): containers running, three Ready nodes
   * whose kubelets answer, one agreed store leader, and exactly REPLICAS app pods, all Ready.
   */
  async settle(limitMs = 120_000): Promise<number> {
    const from = Date.now();
    let last = '';
    try {
      return await until(
        'the cluster settles',
        async () => {
          const not = (why: string) => ((last = why), false);
          const readyNodes = await this.nodesReady();
          if (readyNodes.size !== 3) return not(`Ready nodes: ${[...readyNodes].join(',')}`);
          for (const n of NODE_NAMES) {
            const ok = await fetch(`http://${this.nodes.nodeIp(n)}:10248/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
            if (!ok) return not(`${n}'s kubelet is not ready`);
          }
          if (!(await this.storeLeader())) return not('store members do not agree on a leader');
          const pods = await this.pods();
          const good = pods.filter(live).filter(ready);
          if (pods.length !== REPLICAS || good.length !== REPLICAS) return not(`app pods: ${pods.length}, live and Ready: ${good.length}`);
          for (const t of this.serviceTargets(NODE_NAMES)) {
            const r = await probeOnce(t, 1000);
            if (!r.ok) return not(`the app's NodePort on ${t}: ${r.detail}`);
          }
          return true;
        },
        from,
        limitMs,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message} (last: ${last})`);
    }
  }

  /** Starts a killed node again and waits for the whole cluster to settle. */
  async restart(node: NodeName): Promise<number> {
    const from = Date.now();
    await this.cluster(['start', node]);
    await this.settle();
    return Date.now() - from;
  }

  /**
   * After `node` died or was cut off at `t0`: when its Node turned NotReady and when REPLICAS app
   * pods elsewhere were Running (and Ready), seen through `survivors`' API servers.
   */
  async replacementsAfter(node: NodeName, t0: number, survivors: readonly NodeName[]): Promise<{ notReadyMs: number; runningMs: number; readyMs: number }> {
    let notReadyMs: number | undefined;
    let runningMs: number | undefined;
    const readyMs = await until(
      `${REPLICAS} app pods Ready off ${node}`,
      async () => {
        if (notReadyMs === undefined && !(await this.nodesReady(survivors)).has(node)) notReadyMs = Date.now() - t0;
        const elsewhere = (await this.pods(survivors)).filter((p) => live(p) && p.spec.nodeName !== node);
        if (runningMs === undefined && elsewhere.length >= REPLICAS && elsewhere.every((p) => p.status?.phase === 'Running')) runningMs = Date.now() - t0;
        return elsewhere.length >= REPLICAS && elsewhere.every(ready);
      },
      t0,
      90_000,
    );
    return { notReadyMs: notReadyMs ?? readyMs, runningMs: runningMs ?? readyMs, readyMs };
  }

  /** No pod twice, nothing left over: the app's live pods are exactly REPLICAS, and every node runs containers only of pods bound to it. */
  async noDuplicates(): Promise<Check[]> {
    const pods = await this.pods();
    const livePods = pods.filter(live);
    const checks: Check[] = [{ name: `exactly ${REPLICAS} app pods`, ok: livePods.length === REPLICAS && pods.length === REPLICAS, detail: pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}${live(p) ? '' : ' (terminating)'}`).join(', ') }];
    const all = (await this.api().list<Pod>('pods', {})).items;
    let stray: string[] = [];
    // The kubelet removes containers of pods that are gone within a few relists: wait for that.
    await until(
      'no node runs a container of a pod not bound to it',
      async () => {
        stray = [];
        for (const n of NODE_NAMES) {
          const bound = new Set(all.filter((p) => p.spec.nodeName === n).map((p) => p.metadata.uid ?? ''));
          for (const uid of await this.runningPodUids(n)) if (!bound.has(uid)) stray.push(`${n}: pod uid ${uid}`);
        }
        return stray.length === 0;
      },
      Date.now(),
      30_000,
    ).catch(() => undefined);
    checks.push({ name: 'no stale pod containers on any node', ok: stray.length === 0, detail: stray.join(', ') });
    return checks;
  }

  close(): void {
    this.clients.clear();
    this.nodes.closeClients();
  }
}

/** Checks that every acknowledged write of `load` is still there. */
async function nothingLost(c: ChaosCluster, load: WriteLoad, of: readonly NodeName[] = NODE_NAMES): Promise<Check> {
  const lost = load.lost(await c.configMapNames(of));
  return { name: 'no acknowledged write lost', ok: lost.length === 0 && load.acked().length > 0, detail: `${load.acked().length} acked, lost: ${lost.slice(0, 10).join(' ') || 'none'}` };
}

/** A node to fail that holds neither the store leadership nor, if possible, a control-plane lease. */
async function pickVictim(c: ChaosCluster): Promise<{ node: NodeName; holds: string[] }> {
  const leader = await c.storeLeader();
  const sched = (await c.leaseHolder('mk-scheduler')).node;
  const cm = (await c.leaseHolder('mk-controller-manager')).node;
  const podsOn = new Set((await c.pods()).map((p) => p.spec.nodeName));
  const candidates = NODE_NAMES.filter((n) => n !== leader && podsOn.has(n));
  const score = (n: NodeName) => (n === sched ? 1 : 0) + (n === cm ? 1 : 0);
  const node = [...candidates].sort((a, b) => score(a) - score(b))[0] ?? NODE_NAMES.find((n) => n !== leader)!;
  return { node, holds: [...(node === sched ? ['scheduler lease'] : []), ...(node === cm ? ['controller-manager lease'] : [])] };
}

const storeLeaderKill: Scenario = {
  name: 'store-leader-kill',
  headline: [{ figure: 'failoverMs', target: 1500 }, { figure: 'writesResumeMs' }, { figure: 'unknown' }],
  title: 'kill the node holding the store leader: a new leader, writes resume, nothing acked lost',
  async run(c) {
    const old = await c.storeLeader();
    if (!old) throw new Error('no store leader');
    const survivors = c.others(old);
    const load = c.writeLoad(survivors);
    await sleep(2000);
    const t0 = await c.kill(old);
    c.log(`killed ${old} (store leader)`);
    let newLeader: NodeName | undefined;
    const failoverMs = await until('a new store leader among the survivors', async () => (newLeader = await c.storeLeader(survivors)) !== undefined && newLeader !== old, t0, 30_000);
    await until('a write acknowledged after the kill', async () => load.firstAckSentAfter(t0) !== undefined, t0, 30_000);
    await sleep(2000);
    await load.stop();
    const restartMs = await c.restart(old);
    const counts = load.counts();
    return {
      scenario: this.name,
      figures: { killed: old, newLeader: newLeader ?? null, failoverMs, writesResumeMs: load.firstAckSentAfter(t0) ?? null, ...counts, restartToSettledMs: restartMs },
      checks: [
        { name: 'a new leader among the survivors', ok: newLeader !== undefined && newLeader !== old },
        { name: 'writes resume after the kill', ok: load.firstAckSentAfter(t0) !== undefined },
        await nothingLost(c, load),
      ],
    };
  },
};

const controlPlaneLeaderKill: Scenario = {
  name: 'scheduler-cm-kill',
  headline: [{ figure: 'schedulerFailoverMs', target: 5000 }, { figure: 'cmFailoverMs', target: 5000 }, { figure: 'deploymentAvailableMs' }],
  title: 'kill the active scheduler and controller manager: standbys take over; a Deployment created meanwhile reaches its replicas',
  async run(c) {
    const sched = await c.leaseHolder('mk-scheduler');
    const cm = await c.leaseHolder('mk-controller-manager');
    if (!sched.node || !cm.node) throw new Error(`lease holders not on a node: ${sched.identity} / ${cm.identity}`);
    await Promise.all([c.cluster(['daemon', sched.node, 'kill', 'scheduler']), c.cluster(['daemon', cm.node, 'kill', 'controller-manager'])]);
    const t0 = Date.now();
    c.log(`killed the scheduler on ${sched.node} and the controller manager on ${cm.node}`);
    const name = `takeover-${t0.toString(36)}`;
    await c.api().create('deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NAMESPACE },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'mk.local/web:1', imagePullPolicy: 'IfNotPresent' }] } },
      },
    });
    const [schedMs, cmMs, availableMs] = await Promise.all([
      until('another scheduler holds the lease', async () => (await c.leaseHolder('mk-scheduler')).identity !== sched.identity, t0, 30_000),
      until('another controller manager holds the lease', async () => (await c.leaseHolder('mk-controller-manager')).identity !== cm.identity, t0, 30_000),
      until(`Deployment ${name} has 2 available replicas`, async () => ((await c.api().get<Deployment>('deployments', NAMESPACE, name)).status?.availableReplicas ?? 0) === 2, t0, 60_000),
    ]);
    const newSched = await c.leaseHolder('mk-scheduler');
    const newCm = await c.leaseHolder('mk-controller-manager');
    await c.api().delete('deployments', NAMESPACE, name);
    await until(`the pods of ${name} are gone`, async () => (await c.api().list<Pod>('pods', { namespace: NAMESPACE, labelSelector: { app: name } })).items.length === 0, Date.now(), 60_000);
    return {
      scenario: this.name,
      figures: { schedulerFrom: sched.node, schedulerTo: newSched.node ?? newSched.identity, schedulerFailoverMs: schedMs, cmFrom: cm.node, cmTo: newCm.node ?? newCm.identity, cmFailoverMs: cmMs, deploymentAvailableMs: availableMs },
      checks: [
        { name: 'a new scheduler leads', ok: newSched.identity !== sched.identity && newSched.identity !== '' },
        { name: 'a new controller manager leads', ok: newCm.identity !== cm.identity && newCm.identity !== '' },
        { name: 'the Deployment created during the takeover reached 2 available replicas', ok: availableMs > 0 },
      ],
    };
  },
};

const workerNodeKill: Scenario = {
  name: 'worker-node-kill',
  headline: [{ figure: 'notReadyMs' }, { figure: 'replacementsRunningMs', target: 15_000 }, { figure: 'replacementsReadyMs' }, { figure: 'serviceFailedDuring' }],
  title: 'kill a worker node: NotReady, its pods replaced elsewhere, the Service keeps answering',
  async run(c) {
    const { node, holds } = await pickVictim(c);
    const survivors = c.others(node);
    const onVictim = (await c.pods()).filter((p) => p.spec.nodeName === node).length;
    const probe = c.serviceProbe(survivors);
    const load = c.writeLoad(survivors);
    await sleep(1000);
    const t0 = await c.kill(node);
    c.log(`killed ${node} (${onVictim} app pods; holds: ${holds.join(', ') || 'nothing'})`);
    const r = await c.replacementsAfter(node, t0, survivors);
    // The Service keeps answering: after the replacements, every request to a survivor succeeds.
    await sleep(3000);
    await probe.stop();
    await load.stop();
    const during = probe.between(t0, t0 + r.readyMs);
    const after = probe.between(t0 + r.readyMs + 1000);
    const restartMs = await c.restart(node);
    return {
      scenario: this.name,
      figures: {
        killed: node,
        heldLeases: holds.join(',') || 'none',
        podsOnNode: onVictim,
        notReadyMs: r.notReadyMs,
        replacementsRunningMs: r.runningMs,
        replacementsReadyMs: r.readyMs,
        serviceOkDuring: during.filter((x) => x.ok).length,
        serviceFailedDuring: during.filter((x) => !x.ok).length,
        serviceFailedAfter: after.filter((x) => !x.ok).length,
        restartToSettledMs: restartMs,
      },
      checks: [
        { name: 'the dead node turned NotReady', ok: r.notReadyMs > 0 },
        { name: 'the Service answered from survivors while the node was dead', ok: during.some((x) => x.ok) },
        { name: 'every request after the replacements succeeded', ok: after.length > 0 && after.every((x) => x.ok), detail: after.filter((x) => !x.ok).map((x) => `${x.target}: ${x.detail}`).slice(0, 5).join('; ') },
        await nothingLost(c, load),
        ...(await c.noDuplicates()),
      ],
    };
  },
};

const nodePartition: Scenario = {
  name: 'node-partition',
  headline: [{ figure: 'newLeaderMs', target: 1500 }, { figure: 'replacementsReadyMs' }, { figure: 'rejoinMs' }, { figure: 'healToSettledMs' }],
  title: 'partition the store leader’s node: the majority works, the minority refuses writes; after healing no duplicates remain',
  async run(c) {
    const node = (await c.storeLeader()) ?? 'node1';
    const majority = c.others(node);
    const load = c.writeLoad(majority);
    await sleep(1000);
    await c.cluster(['partition', node]);
    const t0 = Date.now();
    c.log(`partitioned ${node} (the store leader)`);
    const newLeader = until('a store leader on the majority side', async () => {
      const l = await c.storeLeader(majority);
      return l !== undefined && l !== node;
    }, t0, 30_000);
    // The minority: its own API server and store member, reached on the node's loopback.
    const minority = await c.nodes.exec(node, ['mkctl', 'create', 'namespace', `minority-${t0}`, '--request-timeout', '5s'], 60_000);
    const minorityRead = await c.nodes.exec(node, ['mkctl', 'get', 'configmaps', '-n', NAMESPACE, '--request-timeout', '5s'], 60_000);
    const newLeaderMs = await newLeader;
    // The minority's store member gives up a request after 5 s + 2 election timeouts; the
    // partition outlasts that.
    const holdUntil = Date.now() + 10_000;
    const r = await c.replacementsAfter(node, t0, majority);
    await sleep(Math.max(0, holdUntil - Date.now()));
    const acksDuring = load.acked().filter((o) => o.startedAt > t0 && o.endedAt < Date.now()).length;
    const tHeal = Date.now();
    await c.cluster(['heal']);
    c.log(`healed ${node}`);
    const rejoinMs = await until(`${node}'s store member follows the leader again`, async () => (await c.storeLeader()) !== undefined, tHeal, 60_000);
    const settledMs = await c.settle();
    await load.stop();
    const namespaces = new Set((await c.api().list('namespaces')).items.map((n) => n.metadata.name));
    return {
      scenario: this.name,
      figures: {
        partitioned: node,
        newLeaderMs,
        minorityWriteExit: minority.code,
        minorityWriteError: (minority.stderr.trim().split('\n').pop() ?? '').slice(0, 120),
        minorityReadExit: minorityRead.code,
        // The minority answered "may or may not have been applied"; whether it was in the end (it
        // must never be before the heal) is recorded, not asserted (see test/chaos/README.md).
        minorityWriteLandedAfterHeal: namespaces.has(`minority-${t0}`),
        notReadyMs: r.notReadyMs,
        replacementsReadyMs: r.readyMs,
        majorityAcksDuringPartition: acksDuring,
        rejoinMs,
        healToSettledMs: settledMs,
      },
      checks: [
        { name: 'the minority refused a write', ok: minority.code !== 0, detail: minority.stdout + minority.stderr },
        { name: 'the minority could not serve a (linearizable) read', ok: minorityRead.code !== 0, detail: minorityRead.stdout.slice(0, 200) },
        { name: 'the majority kept taking writes', ok: acksDuring > 0 },
        { name: 'the majority elected a new store leader', ok: newLeaderMs > 0 },
        await nothingLost(c, load),
        ...(await c.noDuplicates()),
      ],
    };
  },
};

const CONTROL_PLANE = ['store', 'apiserver', 'scheduler', 'controller-manager'];

const controlPlaneStop: Scenario = {
  name: 'control-plane-stop',
  headline: [{ figure: 'serviceFailedWhileDown' }, { figure: 'startToApiMs' }, { figure: 'startToSettledMs' }],
  title: 'stop the whole control plane: running pods keep serving; after the restart the state is whole',
  async run(c) {
    const before = (await c.pods()).map((p) => `${p.metadata.uid}:${p.status?.containerStatuses?.[0]?.restartCount ?? 0}`).sort();
    const cmsBefore = await c.configMapNames();
    const probe = c.serviceProbe(NODE_NAMES);
    const t0 = Date.now();
    await Promise.all(NODE_NAMES.map((n) => c.cluster(['daemon', n, 'stop', ...CONTROL_PLANE])));
    c.log('stopped store, apiserver, scheduler and controller-manager on every node');
    await sleep(15_000);
    const tStart = Date.now();
    await Promise.all(NODE_NAMES.map((n) => c.cluster(['daemon', n, 'start', ...CONTROL_PLANE])));
    c.log('started the control plane again');
    const apiMs = await until('the API answers', async () => (await c.api().list('namespaces')).items.length > 0, tStart, 60_000);
    const settledMs = await c.settle();
    await probe.stop();
    const down = probe.between(t0, tStart);
    const after = (await c.pods()).map((p) => `${p.metadata.uid}:${p.status?.containerStatuses?.[0]?.restartCount ?? 0}`).sort();
    const cmsAfter = await c.configMapNames();
    const name = `after-restart-${t0}`;
    const write = await c.api().create('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE } }).then(() => true, () => false);
    return {
      scenario: this.name,
      figures: {
        stoppedMs: tStart - t0,
        serviceOkWhileDown: down.filter((x) => x.ok).length,
        serviceFailedWhileDown: down.filter((x) => !x.ok).length,
        startToApiMs: apiMs,
        startToSettledMs: settledMs,
        configMaps: cmsAfter.size,
      },
      checks: [
        { name: 'every request while the control plane was down succeeded', ok: down.length > 0 && down.every((x) => x.ok), detail: down.filter((x) => !x.ok).map((x) => `${x.target}: ${x.detail}`).slice(0, 5).join('; ') },
        { name: 'the same pods, not restarted', ok: JSON.stringify(before) === JSON.stringify(after), detail: `${before.join(' ')} → ${after.join(' ')}` },
        { name: 'every object is still there', ok: [...cmsBefore].every((n) => cmsAfter.has(n)), detail: `${cmsBefore.size} before, ${cmsAfter.size} after` },
        { name: 'a write after the restart succeeds', ok: write },
      ],
    };
  },
};

const rollingUpdateNodeDown: Scenario = {
  name: 'rolling-update-node-kill',
  headline: [{ figure: 'rolloutCompleteMs' }],
  title: 'a rolling update while a node is dead completes',
  async run(c) {
    const { node } = await pickVictim(c);
    const survivors = c.others(node);
    const t0 = await c.kill(node);
    const revision = String(t0);
    const d = await c.api(survivors).patch<Deployment>('deployments', NAMESPACE, APP, { spec: { template: { metadata: { annotations: { 'chaos.mk.io/revision': revision } } } } });
    c.log(`killed ${node}, then updated ${APP} (generation ${d.metadata.generation})`);
    let last = '';
    let lastLogged = 0;
    const doneMs = await until(
      'the rollout completes',
      async () => {
        const s = await c.api(survivors).get<Deployment>('deployments', NAMESPACE, APP);
        const st = s.status ?? {};
        const pods = (await c.pods(survivors)).filter(live);
        if (process.env.MK_CHAOS_TRACE && Date.now() - lastLogged > 3000) {
          lastLogged = Date.now();
          const nodes = (await c.api(survivors).list<Node>('nodes')).items.map((n) => `${n.metadata.name}:${n.status?.conditions?.find((x) => x.type === 'Ready')?.status}${(n.spec?.taints ?? []).map((t) => `/${t.key}`).join('')}`);
          c.log(`+${Date.now() - t0} ms: ${last} | nodes ${nodes.join(' ')}`);
        }
        last = `generation ${s.metadata.generation}, status ${JSON.stringify({ ...st, conditions: undefined })}; pods ${pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}${ready(p) ? '/ready' : ''}${p.metadata.annotations?.['chaos.mk.io/revision'] === revision ? '/new' : '/old'}`).join(' ')}`;
        if ((st.observedGeneration ?? 0) < (s.metadata.generation ?? 0)) return false;
        if (st.updatedReplicas !== REPLICAS || st.replicas !== REPLICAS || st.availableReplicas !== REPLICAS) return false;
        return pods.length === REPLICAS && pods.every((p) => p.metadata.annotations?.['chaos.mk.io/revision'] === revision && ready(p) && p.spec.nodeName !== node);
      },
      t0,
      120_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (last: ${last})`);
    });
    const restartMs = await c.restart(node);
    const pods = (await c.pods()).filter(live);
    return {
      scenario: this.name,
      figures: { killed: node, rolloutCompleteMs: doneMs, restartToSettledMs: restartMs },
      checks: [
        { name: 'the rollout completed with the node dead', ok: doneMs > 0 },
        { name: 'every pod runs the new template', ok: pods.every((p) => p.metadata.annotations?.['chaos.mk.io/revision'] === revision) },
        ...(await c.noDuplicates()),
      ],
    };
  },
};

export const SCENARIOS: Scenario[] = [storeLeaderKill, controlPlaneLeaderKill, workerNodeKill, nodePartition, controlPlaneStop, rollingUpdateNodeDown];

/** Brings up a cluster for the scenarios (own network and names) with the app deployed and settled. */
export async function chaosCluster(label: string, log: (line: string) => void): Promise<ChaosCluster> {
  const nodes = await NodeContainers.up(label);
  const c = new ChaosCluster(nodes, log);
  try {
    await c.deployApp();
    await c.settle(180_000);
  } catch (e) {
    await nodes.down().catch(() => undefined);
    throw e;
  }
  return c;
}
