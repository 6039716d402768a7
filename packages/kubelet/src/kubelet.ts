/**
 * mk-kubelet's daemon: the node agent (DESIGN.md, "Controllers, scheduler, node agents").
 *  - Registers its Node, posts its status and renews its Lease in kube-node-lease.
 *  - Watches the pods bound to it (field selector spec.nodeName) and syncs each one in a workqueue:
 *    one sync of a pod at a time, many pods at once (pod-sync.ts does the work).
 *  - Relists the runtime every second (Kubernetes' PLEG): a container that exited or changed wakes
 *    its pod. State always comes from the runtime's labels, so a restarted kubelet adopts what it
 *    finds, never duplicates it, and removes what belongs to pods that no longer exist.
 *  - Writes a pod's status only when it changed; deletes a pod being deleted once all of its
 *    containers stopped (after their grace period), as the kubelet's final word on it.
 *  - Keeps running pods running while the API server is away; resyncs when it returns.
 */
import type { ConfigMap, Lease, Node, Pod, Secret } from '@mk/api';
import {
  type ApiClient,
  DeletedFinalStateUnknown,
  Informer,
  isConflict,
  isNotFound,
  ItemExponentialFailureRateLimiter,
  metaNamespaceKey,
  microTime,
  RateLimitingQueue,
  runWorkers,
} from '@mk/client';
import type { Clock, Logger } from '@mk/shared';
import { CrashLoopBackOff, type BackOffOptions } from './backoff';
import { referencedObjects, type PodReferences } from './container-config';
import { nodeForRegistration, nodeStatus, type HostFacts } from './node-status';
import type { NodeNetwork } from './network';
import { PodSyncer, type EventType, type PodProbes } from './pod-sync';
import type { ContainerRuntime, RuntimeSandbox, SandboxDns } from './runtime';
import type { PodVolumes } from './volumes';

export interface KubeletEventSink {
  event(obj: Pod | Node, type: EventType, reason: string, message: string): void;
}

export interface KubeletOptions {
  nodeName: string;
  client: ApiClient;
  runtime: ContainerRuntime;
  /** The pod network; absent = pods may only use hostNetwork (no pod CIDR set-up). */
  network?: NodeNetwork;
  volumes: PodVolumes;
  /** Builds the prober with the kubelet's callbacks. */
  probes: (hooks: ProbeHooks) => PodProbes & { stop(): void };
  events: KubeletEventSink;
  clock: Clock;
  logger: Logger;
  facts: HostFacts;
  clusterDomain: string;
  /** Nameservers for ClusterFirst pods; default: this node's pod gateway (mk-proxy answers there). */
  clusterDNS?: string[];
  leaseDurationSeconds: number;
  leaseRenewIntervalMs: number;
  statusUpdateIntervalMs: number;
  relistIntervalMs: number;
  workers: number;
  backoff?: BackOffOptions;
  /** Grace for containers of pods that no longer exist in the API. */
  orphanGraceSeconds?: number;
}

export interface ProbeHooks {
  onChange(podUid: string): void;
  onUnhealthy(pod: Pod, containerName: string, kind: string, message: string): void;
  onLivenessFailure(pod: Pod, containerName: string, containerId: string, message: string): void;
}

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** A pod sync slower than this is logged with where its time went. */
const SLOW_SYNC_MS = 1000;

export class Kubelet {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  private readonly queue: RateLimitingQueue<string>;
  private readonly syncer: PodSyncer;
  private readonly probes: PodProbes & { stop(): void };
  private readonly log: Logger;
  private readonly timers: Array<() => void> = [];
  /** Pod key ↔ uid for every pod we synced: a key that disappears from the cache still names its uid. */
  private readonly uidOf = new Map<string, string>();
  private readonly keyOf = new Map<string, string>();
  /** The runtime's last relist, per pod uid: what changed since wakes that pod. */
  private fingerprints = new Map<string, string>();
  private lease: Lease | undefined;
  private runtimeReady = false;
  private runtimeProblem = 'the container runtime has not answered yet';
  private stopped = false;
  private workersDone: Promise<void> | undefined;
  private readonly cleaning = new Set<string>();

  constructor(private readonly o: KubeletOptions) {
    this.log = o.logger.child({ component: 'kubelet', node: o.nodeName });
    this.pods = new Informer<Pod>(o.client.resource<Pod>('pods'), {
      clock: o.clock,
      logger: o.logger,
      name: 'pods',
      fieldSelector: `spec.nodeName=${o.nodeName}`,
      resyncPeriodMs: 30_000,
    });
    this.nodes = new Informer<Node>(o.client.resource<Node>('nodes'), { clock: o.clock, logger: o.logger, name: 'nodes' });
    // A failed sync (e.g. the API server is away) is retried from 100 ms doubling to 10 s: never
    // the controllers' 1000 s, so a pod is synced again soon after the API returns.
    this.queue = new RateLimitingQueue<string>({ clock: o.clock, name: 'pods', rateLimiter: new ItemExponentialFailureRateLimiter<string>(100, 10_000) });
    this.probes = o.probes({
      onChange: (uid) => this.wakeUid(uid),
      onUnhealthy: (pod, name, kind, message) => o.events.event(pod, 'Warning', 'Unhealthy', message || `${kind} probe of ${name} failed`),
      onLivenessFailure: (pod, _name, id, message) => {
        this.syncer.killUnhealthy(id, message);
        this.wakeUid(pod.metadata.uid ?? '');
      },
    });
    this.syncer = new PodSyncer({
      runtime: o.runtime,
      clock: o.clock,
      logger: this.log,
      backoff: new CrashLoopBackOff(o.clock, o.backoff),
      probes: this.probes,
      event: (pod, type, reason, message) => o.events.event(pod, type, reason, message),
      references: (pod) => this.references(pod),
      prepareVolumes: (pod, refs) => o.volumes.prepare(pod, refs),
      sandboxNetwork: (pod) => this.sandboxNetwork(pod),
      sandboxStarted: (s) => this.sandboxStarted(s),
      hostIP: () => o.facts.internalIP,
    });
  }

  /** Registers the node and starts every loop; resolves once the loops run (not when pods run). */
  async start(): Promise<void> {
    const o = this.o;
    await this.checkRuntime();
    await this.register();
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueue(p),
      onUpdate: (_old, p) => this.enqueue(p),
      onDelete: (p) => this.enqueue(p instanceof DeletedFinalStateUnknown ? p.obj : p),
    });
    this.nodes.addEventHandler({
      onAdd: () => void this.syncNetwork(),
      onUpdate: () => void this.syncNetwork(),
      onDelete: () => void this.syncNetwork(),
    });
    this.pods.start();
    this.nodes.start();
    this.every(o.leaseRenewIntervalMs, () => this.renewLease());
    this.every(o.statusUpdateIntervalMs, () => this.postStatus());
    this.every(o.relistIntervalMs, () => this.relist());
    this.every(5000, () => this.checkRuntime().then(() => undefined));
    this.workersDone = runWorkers(this.queue, o.workers, (key) => this.syncKey(key), this.log);
    void this.renewLease();
    void this.postStatus();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.timers) cancel();
    this.queue.shutDown();
    this.probes.stop();
    this.pods.stop();
    this.nodes.stop();
    await this.workersDone?.catch(() => undefined);
  }

  /** The pod with this namespace/name as this kubelet knows it (for logs and exec). */
  getPod(namespace: string, name: string): Pod | undefined {
    return this.pods.store.get(`${namespace}/${name}`);
  }

  synced(): boolean {
    return this.pods.hasSynced() && this.nodes.hasSynced();
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const tick = (): void => {
      if (this.stopped) return;
      void fn()
        .catch((e: unknown) => this.log.warn('periodic task failed', { error: (e as Error).message }))
        .finally(() => {
          if (!this.stopped) this.timers.push(this.o.clock.setTimer(ms, tick));
        });
    };
    this.timers.push(this.o.clock.setTimer(ms, tick));
  }

  private enqueue(pod: Pod): void {
    const key = metaNamespaceKey(pod);
    const uid = pod.metadata.uid ?? '';
    this.uidOf.set(key, uid);
    this.keyOf.set(uid, key);
    this.queue.add(key);
  }

  private wakeUid(uid: string): void {
    const key = this.keyOf.get(uid);
    if (key !== undefined) this.queue.add(key);
  }

  private async checkRuntime(): Promise<boolean> {
    try {
      await this.o.runtime.listSandboxes({ podUid: '-' });
      this.runtimeReady = true;
    } catch (e) {
      this.runtimeReady = false;
      this.runtimeProblem = `container runtime is down: ${(e as Error).message}`;
    }
    return this.runtimeReady;
  }

  // ---- the node: registration, status, lease, network ----

  private async register(): Promise<void> {
    const o = this.o;
    for (let attempt = 0; ; attempt++) {
      try {
        await o.client.create<Node>('nodes', nodeForRegistration(o.facts));
        this.log.info('node registered');
        return;
      } catch (e) {
        if (e instanceof Error && /already exists/.test(e.message)) return;
        if (this.stopped) return;
        // The API server may be down: running pods stay; keep trying.
        if (attempt % 10 === 0) this.log.warn('cannot register the node yet', { error: (e as Error).message });
        await new Promise<void>((resolve) => this.o.clock.setTimer(Math.min(5000, 500 * (attempt + 1)), resolve));
      }
    }
  }

  private health(): { runtimeReady: boolean; networkReady: boolean; problems: string[] } {
    const problems: string[] = [];
    if (!this.runtimeReady) problems.push(this.runtimeProblem);
    const networkReady = this.o.network === undefined || this.o.network.ready();
    if (!networkReady) problems.push('network plugin is not ready: the pod network is not set up (waiting for the node\'s pod CIDR)');
    return { runtimeReady: this.runtimeReady, networkReady, problems };
  }

  private async postStatus(): Promise<void> {
    const o = this.o;
    const cur = this.nodes.store.get(o.nodeName) ?? (await o.client.get<Node>('nodes', '', o.nodeName).catch(() => undefined));
    if (cur === undefined) {
      await this.register();
      return;
    }
    const status = nodeStatus(cur, o.facts, this.health(), o.clock.now());
    try {
      await o.client.updateStatus<Node>('nodes', { ...cur, status });
    } catch (e) {
      if (isConflict(e)) {
        const fresh = await o.client.get<Node>('nodes', '', o.nodeName);
        await o.client.updateStatus<Node>('nodes', { ...fresh, status: nodeStatus(fresh, o.facts, this.health(), o.clock.now()) });
      } else throw e;
    }
  }

  private async renewLease(): Promise<void> {
    const o = this.o;
    const now = microTime(o.clock.now());
    const spec = { holderIdentity: o.nodeName, leaseDurationSeconds: o.leaseDurationSeconds, renewTime: now };
    try {
      const base = this.lease ?? (await o.client.get<Lease>('leases', NODE_LEASE_NAMESPACE, o.nodeName));
      this.lease = await o.client.update<Lease>('leases', { ...base, spec: { ...base.spec, ...spec } });
    } catch (e) {
      this.lease = undefined;
      if (!isNotFound(e)) {
        if (!isConflict(e)) throw e;
        return;
      }
      this.lease = await o.client.create<Lease>('leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: o.nodeName, namespace: NODE_LEASE_NAMESPACE },
        spec,
      });
    }
  }

  private networkSync: Promise<void> | undefined;
  private networkDirty = false;

  /** Sets the pod network up once the node has its pod CIDR, and keeps the routes to the others. */
  private syncNetwork(): Promise<void> {
    if (this.networkSync !== undefined) {
      this.networkDirty = true;
      return this.networkSync;
    }
    this.networkSync = (async () => {
      do {
        this.networkDirty = false;
        const net = this.o.network;
        if (net === undefined) return;
        const self = this.nodes.store.get(this.o.nodeName);
        const cidr = self?.spec?.podCIDR;
        try {
          if (cidr !== undefined && net.cidr() !== cidr) {
            await net.setUp(cidr);
            void this.postStatus().catch(() => undefined);
            for (const p of this.pods.store.list()) this.enqueue(p);
          }
          if (net.ready()) await net.syncRoutes(this.nodes.store.list(), this.o.nodeName);
        } catch (e) {
          this.log.warn('pod network sync failed', { error: (e as Error).message });
          this.o.clock.setTimer(2000, () => void this.syncNetwork());
        }
      } while (this.networkDirty);
    })().finally(() => {
      this.networkSync = undefined;
    });
    return this.networkSync;
  }

  private sandboxNetwork(pod: Pod): { network?: string; dns?: SandboxDns; hostNetwork?: boolean } {
    if (pod.spec.hostNetwork === true) return { hostNetwork: true };
    const net = this.o.network;
    if (net === undefined) return {};
    if (!net.ready()) throw new Error('network is not ready: the node has no pod CIDR set up yet');
    const ns = pod.metadata.namespace ?? 'default';
    const domain = this.o.clusterDomain;
    const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
    const dns: SandboxDns | undefined =
      policy === 'ClusterFirst'
        ? {
            servers: this.o.clusterDNS ?? [net.gateway()!],
            searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain],
            options: ['ndots:5'],
          }
        : undefined;
    return { network: net.networkName(), ...(dns !== undefined ? { dns } : {}) };
  }

  private async sandboxStarted(_s: RuntimeSandbox): Promise<void> {
    await this.o.network?.hairpin();
  }

  // ---- pods ----

  private async references(pod: Pod): Promise<PodReferences> {
    const ns = pod.metadata.namespace ?? 'default';
    const wanted = referencedObjects(pod);
    const get = async <T extends ConfigMap | Secret>(resource: string, name: string): Promise<T | undefined> => {
      try {
        return await this.o.client.get<T>(resource, ns, name);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    const configMaps = new Map<string, ConfigMap | undefined>();
    const secrets = new Map<string, Secret | undefined>();
    for (const name of wanted.configMaps) configMaps.set(name, await get<ConfigMap>('configmaps', name));
    for (const name of wanted.secrets) secrets.set(name, await get<Secret>('secrets', name));
    return { configMaps, secrets };
  }

  private async syncKey(key: string): Promise<void> {
    const pod = this.pods.store.get(key);
    if (pod === undefined || pod.spec.nodeName !== this.o.nodeName) {
      // Gone from the API (deleted at once, or moved): whatever the runtime still holds goes.
      const uid = this.uidOf.get(key);
      this.uidOf.delete(key);
      if (uid !== undefined) {
        this.keyOf.delete(uid);
        await this.removePodLocally(uid, this.o.orphanGraceSeconds ?? 2);
      }
      return;
    }
    const uid = pod.metadata.uid ?? '';
    const prior = this.uidOf.get(key);
    if (prior !== undefined && prior !== uid) {
      // Same name, new pod: the old one's containers go first.
      this.keyOf.delete(prior);
      await this.removePodLocally(prior, this.o.orphanGraceSeconds ?? 2);
    }
    this.uidOf.set(key, uid);
    this.keyOf.set(uid, key);

    const started = this.o.clock.now();
    const result = await this.syncer.sync(pod);
    if (pod.metadata.deletionTimestamp !== undefined) {
      if (!result.allStopped) {
        this.queue.addAfter(key, 500);
        return;
      }
      // Everything stopped: the kubelet's final word, then the runtime's leftovers go.
      try {
        await this.o.client.delete('pods', pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      await this.removePodLocally(uid, 0);
      return;
    }
    const statusAt = this.o.clock.now();
    await this.writeStatus(pod, result.status);
    const total = this.o.clock.now() - started;
    if (total >= SLOW_SYNC_MS) {
      this.log.warn('slow pod sync', { pod: key, totalMs: total, ...result.timings, statusWriteMs: this.o.clock.now() - statusAt });
    }
    if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
  }

  private async removePodLocally(uid: string, graceSeconds: number): Promise<void> {
    if (this.cleaning.has(uid)) return;
    this.cleaning.add(uid);
    try {
      await this.syncer.removeAll(uid, graceSeconds);
      await this.o.volumes.cleanup(uid);
      this.fingerprints.delete(uid);
    } finally {
      this.cleaning.delete(uid);
    }
  }

  private async writeStatus(pod: Pod, status: Pod['status']): Promise<void> {
    if (JSON.stringify(pod.status ?? {}) === JSON.stringify(status)) return;
    try {
      await this.o.client.updateStatus<Pod>('pods', { ...pod, status });
    } catch (e) {
      if (isNotFound(e)) return;
      if (isConflict(e)) {
        // A newer pod is on its way through the watch; its update event syncs again.
        this.queue.addAfter(metaNamespaceKey(pod), 200);
        return;
      }
      throw e;
    }
  }

  /**
   * One relist of the runtime (PLEG): pods whose containers changed are synced; what belongs to no
   * pod of this node is removed (only once the pod cache is synced, so nothing is removed because
   * the API server is unreachable).
   */
  private async relist(): Promise<void> {
    if (!this.runtimeReady) return;
    const [sandboxes, containers] = await Promise.all([this.o.runtime.listSandboxes(), this.o.runtime.listContainers()]);
    const parts = new Map<string, string[]>();
    const add = (uid: string, part: string): void => {
      const list = parts.get(uid);
      if (list === undefined) parts.set(uid, [part]);
      else list.push(part);
    };
    for (const s of sandboxes) add(s.pod.uid, `s:${s.id}:${s.state}`);
    for (const c of containers) add(c.podUid, `c:${c.id}:${c.state}`);
    const next = new Map<string, string>();
    for (const [uid, list] of parts) next.set(uid, list.sort().join(','));
    for (const [uid, print] of next) {
      if (this.fingerprints.get(uid) !== print) this.wakeUid(uid);
    }
    this.fingerprints = next;

    if (!this.pods.hasSynced()) return;
    const live = new Set(this.pods.store.list().map((p) => p.metadata.uid ?? ''));
    for (const uid of next.keys()) {
      if (live.has(uid) || this.keyOf.has(uid) || this.cleaning.has(uid)) continue;
      this.log.info('removing containers of a pod that no longer exists', { uid });
      void this.removePodLocally(uid, this.o.orphanGraceSeconds ?? 2).catch((e: unknown) =>
        this.log.warn('orphan cleanup failed', { uid, error: (e as Error).message }),
      );
    }
    for (const uid of await this.o.volumes.podUids()) {
      if (!live.has(uid) && !next.has(uid) && !this.cleaning.has(uid)) await this.o.volumes.cleanup(uid);
    }
  }
}
