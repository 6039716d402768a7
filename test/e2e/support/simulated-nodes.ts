/**
 * Simulated nodes for end-to-end tests of the control plane: in-process stand-ins for the
 * scheduler and the kubelets, speaking to real API servers through the client library.
 *  - Each node is a Node object (Ready, with a heartbeat posted every `statusEveryMs`) and a Lease
 *    in kube-node-lease renewed every `leaseRenewMs`, like a kubelet's.
 *  - Pending pods are bound to the live, untainted nodes round-robin (a toy scheduler: no
 *    resources, no affinity), unless `bindPods: false` leaves that to a real mk-scheduler.
 *  - A pod bound to a live node becomes Running and Ready with an IP from the node's pod CIDR
 *    after `readyDelayMs`; a pod being deleted on a live node is finished (deleted with grace 0)
 *    after `finishDeletionMs`, as a kubelet does once its containers stopped.
 *  - `kill(node)` is a dead kubelet: no more heartbeats, nothing done for its pods; `revive` brings
 *    it back.
 * Everything runs on timers in the test process; `stop()` ends it all.
 */
import type { Lease, Node, Pod, PodCondition } from '@mk/api';
import { ApiClient, Informer, isConflict, isNotFound, microTime } from '@mk/client';
import { systemClock } from '@mk/shared';

export interface SimulatedNodesOptions {
  servers: string[];
  names: string[];
  readyDelayMs?: number;
  finishDeletionMs?: number;
  leaseRenewMs?: number;
  statusEveryMs?: number;
  /** Bind pending pods here (a toy scheduler); false when a real mk-scheduler runs. Default true. */
  bindPods?: boolean;
}

interface SimNode {
  name: string;
  alive: boolean;
  lease?: Lease;
  nextIp: number;
  index: number;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class SimulatedNodes {
  readonly client: ApiClient;
  readonly pods: Informer<Pod>;
  readonly nodeInformer: Informer<Node>;
  readonly nodes = new Map<string, SimNode>();
  /** Bindings made, by node: the test can see where pods went. */
  readonly bindings: Array<{ pod: string; node: string; at: number }> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<string>();
  private readonly due = new Map<string, number>();
  private rr = 0;
  private stopped = false;
  private readonly o: Required<Omit<SimulatedNodesOptions, 'servers' | 'names'>>;

  private constructor(opts: SimulatedNodesOptions) {
    this.o = { readyDelayMs: 300, finishDeletionMs: 100, leaseRenewMs: 1000, statusEveryMs: 2000, bindPods: true, ...opts };
    this.client = new ApiClient({ servers: opts.servers, timeoutMs: 5000 });
    this.pods = new Informer<Pod>(this.client.resource<Pod>('pods'), { clock: systemClock, name: 'sim-pods' });
    this.nodeInformer = new Informer<Node>(this.client.resource<Node>('nodes'), { clock: systemClock, name: 'sim-nodes' });
    opts.names.forEach((name, index) => this.nodes.set(name, { name, alive: true, nextIp: 2, index }));
  }

  static async start(opts: SimulatedNodesOptions): Promise<SimulatedNodes> {
    const s = new SimulatedNodes(opts);
    for (const n of s.nodes.values()) await s.register(n);
    s.pods.addEventHandler({ onAdd: () => s.kick(), onUpdate: () => s.kick() });
    s.pods.start();
    s.nodeInformer.start();
    await Promise.all([s.pods.waitForSync(), s.nodeInformer.waitForSync()]);
    s.every(s.o.leaseRenewMs, () => s.renewLeases());
    s.every(s.o.statusEveryMs, () => s.postStatuses());
    s.every(200, () => s.sweep());
    return s;
  }

  kill(name: string): void {
    this.node(name).alive = false;
  }

  revive(name: string): void {
    this.node(name).alive = true;
    void this.renewLeases();
    void this.postStatuses();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.pods.stop();
    this.nodeInformer.stop();
    this.client.close();
  }

  private node(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no simulated node ${name}`);
    return n;
  }

  private every(ms: number, fn: () => Promise<void> | void): void {
    this.timers.push(
      setInterval(() => {
        if (!this.stopped) void Promise.resolve(fn()).catch(() => undefined);
      }, ms),
    );
  }

  private async register(n: SimNode): Promise<void> {
    const now = Date.now();
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux' } },
      spec: {},
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        addresses: [
          { type: 'InternalIP', address: `192.168.77.${n.index + 10}` },
          { type: 'Hostname', address: n.name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated kubelet is posting ready status', lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(now) }],
      },
    };
    try {
      await this.client.create<Node>('nodes', node);
    } catch (e) {
      if (!(e instanceof Error && /already exists/.test(e.message))) throw e;
    }
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: n.name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: n.name, leaseDurationSeconds: 40, renewTime: microTime(now) },
    };
    try {
      n.lease = await this.client.create<Lease>('leases', lease);
    } catch {
      n.lease = await this.client.get<Lease>('leases', 'kube-node-lease', n.name);
    }
  }

  private async renewLeases(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()]
        .filter((n) => n.alive)
        .map(async (n) => {
          try {
            const base = n.lease ?? (await this.client.get<Lease>('leases', 'kube-node-lease', n.name));
            n.lease = await this.client.update<Lease>('leases', { ...base, spec: { ...base.spec, renewTime: microTime(Date.now()) } });
          } catch (e) {
            if (isConflict(e) || isNotFound(e)) n.lease = undefined;
          }
        }),
    );
  }

  private async postStatuses(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()]
        .filter((n) => n.alive)
        .map(async (n) => {
          const cur = this.nodeInformer.store.get(n.name) ?? (await this.client.get<Node>('nodes', '', n.name));
          const now = rfc3339(Date.now());
          const old = cur.status?.conditions?.find((c) => c.type === 'Ready');
          const ready = { type: 'Ready', status: 'True' as const, reason: 'KubeletReady', message: 'simulated kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: old?.status === 'True' ? (old.lastTransitionTime ?? now) : now };
          const pressure = (type: string, reason: string) => ({ type, status: 'False' as const, reason, lastHeartbeatTime: now, lastTransitionTime: cur.status?.conditions?.find((c) => c.type === type && c.status === 'False')?.lastTransitionTime ?? now });
          const conditions = [pressure('MemoryPressure', 'KubeletHasSufficientMemory'), pressure('DiskPressure', 'KubeletHasNoDiskPressure'), pressure('PIDPressure', 'KubeletHasSufficientPID'), ready];
          await this.client.updateStatus<Node>('nodes', { ...cur, status: { ...(cur.status ?? {}), conditions } }).catch(() => undefined);
        }),
    );
  }

  private kick(): void {
    setImmediate(() => void this.sweep());
  }

  /** One pass over the pod cache: bind, start, finish deletions. */
  private sweep(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const pod of this.pods.store.list()) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (this.inFlight.has(key)) continue;
      const nodeName = pod.spec.nodeName;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      if (!nodeName) {
        if (pod.metadata.deletionTimestamp || !this.o.bindPods) continue;
        const target = this.pickNode();
        if (target) this.act(key, () => this.bind(pod, target));
        continue;
      }
      const n = this.nodes.get(nodeName);
      if (!n || !n.alive) continue;
      if (pod.metadata.deletionTimestamp) {
        if (this.wait(key, now, this.o.finishDeletionMs)) continue;
        this.act(key, () => this.client.delete('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } }));
        continue;
      }
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (phase === 'Running' && ready && pod.status?.podIP) continue;
      if (this.wait(key, now, this.o.readyDelayMs)) continue;
      this.act(key, () => this.start(pod, n));
    }
  }

  /** True while `key` must still wait; starts its clock on first sight. */
  private wait(key: string, now: number, ms: number): boolean {
    const at = this.due.get(key);
    if (at === undefined) {
      this.due.set(key, now + ms);
      return ms > 0;
    }
    return now < at;
  }

  private act(key: string, fn: () => Promise<unknown>): void {
    this.inFlight.add(key);
    void fn()
      .catch(() => undefined)
      .finally(() => {
        this.inFlight.delete(key);
        this.due.delete(key);
      });
  }

  private pickNode(): string | undefined {
    const live = [...this.nodes.values()].filter((n) => {
      if (!n.alive) return false;
      const taints = this.nodeInformer.store.get(n.name)?.spec?.taints ?? [];
      return !taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    });
    if (live.length === 0) return undefined;
    return live[this.rr++ % live.length]!.name;
  }

  private async bind(pod: Pod, node: string): Promise<void> {
    await this.client.bind(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', node, pod.metadata.uid);
    this.bindings.push({ pod: pod.metadata.name ?? '', node, at: Date.now() });
  }

  private podIp(n: SimNode): string {
    const cidr = this.nodeInformer.store.get(n.name)?.spec?.podCIDR;
    const host = n.nextIp++;
    if (cidr) {
      const [a, b, c] = cidr.split('/')[0]!.split('.');
      return `${a}.${b}.${c}.${(host % 250) + 2}`;
    }
    return `10.${200 + n.index}.${Math.floor(host / 250) % 250}.${(host % 250) + 2}`;
  }

  private async start(pod: Pod, n: SimNode): Promise<void> {
    const now = rfc3339(Date.now());
    const cur = this.pods.store.get(`${pod.metadata.namespace}/${pod.metadata.name}`) ?? pod;
    const keep = (cur.status?.conditions ?? []).filter((c) => !['Initialized', 'ContainersReady', 'Ready', 'PodScheduled'].includes(c.type));
    const conditions: PodCondition[] = [
      ...keep,
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastTransitionTime: now },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'True', lastTransitionTime: now },
    ];
    await this.client.updateStatus<Pod>('pods', {
      ...cur,
      status: {
        ...(cur.status ?? {}),
        phase: 'Running',
        hostIP: `192.168.77.${n.index + 10}`,
        podIP: cur.status?.podIP ?? this.podIp(n),
        startTime: cur.status?.startTime ?? now,
        conditions,
        containerStatuses: cur.spec.containers.map((c) => ({ name: c.name, ready: true, started: true, restartCount: 0, image: c.image, imageID: `sim://${c.image}`, state: { running: { startedAt: now } } })),
      },
    });
  }
}
