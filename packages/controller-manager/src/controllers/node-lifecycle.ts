/**
 * The node lifecycle controller (Kubernetes' pkg/controller/nodelifecycle with its taint-based
 * eviction manager), with mk's shorter defaults aiming at replacement pods within 15 s of a
 * node's death:
 *  - Health: a node is alive while its Lease (kube-node-lease/<node>) is renewed or its Ready
 *    condition's heartbeat moves. Both are judged by this process's clock — when it *saw* a change,
 *    not the timestamps' values — so clocks of other machines do not matter (client-go's
 *    observed-time rule). No change for the grace period (8 s; Kubernetes 40 s) → every
 *    condition Unknown, reason NodeStatusUnknown, "Kubelet stopped posting node status.", and its
 *    pods marked not Ready (Endpoints drop them at once).
 *  - Taints: Ready=Unknown → node.kubernetes.io/unreachable, Ready=False → node.kubernetes.io/
 *    not-ready, each NoExecute and NoSchedule; removed when Ready is True again.
 *  - Eviction: a pod on a node with a NoExecute taint it does not tolerate is deleted — for the
 *    two taints above after the pod eviction timeout (5 s; Kubernetes adds a 300 s toleration to
 *    every pod), for any other taint at once; a toleration with tolerationSeconds delays it that
 *    long. Nothing is evicted while no node at all is Ready (Kubernetes' "full disruption": the
 *    fault is more likely ours than every node's).
 *  - Pods stuck terminating on an unreachable node (no kubelet to finish them) are force-deleted
 *    (grace 0) after 5 s, so whatever waits for them to be gone — a Recreate rollout, a
 *    foreground deletion — is not blocked for ever (a common complaint about Kubernetes). Pods
 *    bound to a node that no longer exists are force-deleted too (Kubernetes' pod GC).
 */
import { type Node, type NodeCondition, type Pod, type Taint, type Toleration, type Lease, getCondition, keyOf } from '@mk/api';
import { deletedObject, isConflict, isNotFound } from '@mk/client';
import { Controller } from '../controller';
import type { ControllerContext, InformerLike } from '../types';
import { NODE_NAME_INDEX, byNodeName, ensureIndexes } from '../util/indexes';
import { parseTime, rfc3339 } from '../util/time';

export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const CONDITION_TYPES = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeLifecycleOptions {
  /** No heartbeat (Lease or Ready condition) for this long → Ready=Unknown (mk 8 s; Kubernetes 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Every node is looked at this often (Kubernetes' --node-monitor-period: 5 s). */
  nodeMonitorPeriodMs?: number;
  /** A node that never posted status gets this long (Kubernetes' --node-startup-grace-period: 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** How long pods stay on a not-ready/unreachable node they do not tolerate (mk 2 s: with the 8 s grace, a dead node's pods are replaced within 15 s). */
  podEvictionTimeoutMs?: number;
  /** Pods terminating on an unreachable node are force-deleted after this (mk 5 s). */
  terminatingPodForceDeleteAfterMs?: number;
}

export const NODE_LIFECYCLE_DEFAULTS = {
  nodeMonitorGracePeriodMs: 8000,
  nodeMonitorPeriodMs: 1000,
  nodeStartupGracePeriodMs: 30_000,
  podEvictionTimeoutMs: 2000,
  terminatingPodForceDeleteAfterMs: 5000,
} as const;

interface Health {
  /** When this process last saw the node's heartbeat move (its clock). */
  probeAt: number;
  heartbeat: string | undefined;
  leaseRenew: string | undefined;
}

export class NodeLifecycleController extends Controller {
  private readonly nodes: InformerLike<Node>;
  private readonly leases: InformerLike<Lease>;
  private readonly pods: InformerLike<Pod>;
  private readonly health = new Map<string, Health>();
  private readonly o: Required<NodeLifecycleOptions>;
  private cancelTick: () => void = () => {};

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    super('nodelifecycle', ctx);
    this.o = { ...NODE_LIFECYCLE_DEFAULTS, ...opts };
    this.nodes = ctx.informers.informer<Node>('nodes');
    this.leases = ctx.informers.informer<Lease>('leases');
    this.pods = ctx.informers.informer<Pod>('pods');
    ensureIndexes(this.pods, { [NODE_NAME_INDEX]: byNodeName });
    this.nodes.addEventHandler({
      onAdd: (n) => this.enqueue(keyOf(n)),
      onUpdate: (_o, n) => this.enqueue(keyOf(n)),
      onDelete: (n) => this.enqueue(keyOf(deletedObject(n))),
    });
    this.leases.addEventHandler({
      onAdd: (l) => this.leaseChanged(l),
      onUpdate: (_o, l) => this.leaseChanged(l),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(p),
      onUpdate: (_o, p) => this.podChanged(p),
    });
  }

  informerResources(): readonly string[] {
    return ['nodes', 'leases', 'pods'];
  }

  private leaseChanged(l: Lease): void {
    if (l.metadata.namespace === NODE_LEASE_NAMESPACE && l.metadata.name) this.enqueue(l.metadata.name);
  }

  /** A pod on a tainted or unhealthy node may need evicting or force-deleting. */
  private podChanged(p: Pod): void {
    const name = p.spec.nodeName;
    if (!name) return;
    const node = this.nodes.store.get(name);
    if (!node || (node.spec?.taints ?? []).some((t) => t.effect === 'NoExecute') || getCondition(node.status?.conditions, 'Ready')?.status !== 'True') {
      this.enqueue(name);
    }
  }

  protected override start(): void {
    const tick = () => {
      for (const name of this.nodes.store.listKeys()) this.enqueue(name);
      this.cancelTick = this.clock.setTimer(this.o.nodeMonitorPeriodMs, tick);
    };
    this.cancelTick = this.clock.setTimer(this.o.nodeMonitorPeriodMs, tick);
  }

  protected override halt(): void {
    this.cancelTick();
  }

  async sync(name: string): Promise<void> {
    const cached = this.nodes.store.get(name);
    if (!cached) {
      this.health.delete(name);
      await this.deleteOrphanedPods(name);
      return;
    }
    const now = this.clock.now();
    const node = structuredClone(cached) as Node;
    const ready = getCondition(node.status?.conditions, 'Ready');
    const lease = this.leases.store.getByName(NODE_LEASE_NAMESPACE, name);
    const heartbeat = ready?.lastHeartbeatTime;
    const renew = lease?.spec?.renewTime;
    let h = this.health.get(name);
    if (!h) {
      // First sight (a new node, or a new leader): the grace period starts now.
      h = { probeAt: now, heartbeat, leaseRenew: renew };
      this.health.set(name, h);
    } else {
      if (heartbeat !== h.heartbeat) (h.heartbeat = heartbeat), (h.probeAt = now);
      if (renew !== h.leaseRenew) (h.leaseRenew = renew), (h.probeAt = now);
    }
    const grace = ready ? this.o.nodeMonitorGracePeriodMs : this.o.nodeStartupGracePeriodMs;
    const silentFor = now - h.probeAt;
    let current = node;
    if (silentFor >= grace) {
      if (ready?.status !== 'Unknown') current = await this.markUnknown(node, now);
    } else {
      // Look again exactly when the grace period would run out.
      this.enqueueAfter(name, grace - silentFor + 1);
    }
    const readyStatus = getCondition(current.status?.conditions, 'Ready')?.status;
    current = await this.reconcileTaints(current, readyStatus, now);
    if (readyStatus !== undefined && readyStatus !== 'True') await this.markPodsNotReady(name);
    await this.evictAndForceDelete(current, now);
  }

  /** Ready and the other conditions → Unknown (the kubelet stopped posting). */
  private async markUnknown(node: Node, now: number): Promise<Node> {
    const t = rfc3339(now);
    const conds: NodeCondition[] = [...(node.status?.conditions ?? [])];
    for (const type of CONDITION_TYPES) {
      const i = conds.findIndex((c) => c.type === type);
      const old = i >= 0 ? conds[i] : undefined;
      const next: NodeCondition = old
        ? { ...old, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: old.status === 'Unknown' ? (old.lastTransitionTime ?? t) : t }
        : { type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: t, lastTransitionTime: t };
      if (i >= 0) conds[i] = next;
      else conds.push(next);
    }
    this.log.warn('node stopped posting status; marking it Unknown', { node: node.metadata.name, graceMs: this.o.nodeMonitorGracePeriodMs });
    this.ctx.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name ?? ''} status is now: NodeNotReady`);
    return this.ctx.client.updateStatus<Node>('nodes', { ...node, status: { ...(node.status ?? {}), conditions: conds } });
  }

  /** unreachable / not-ready taints (NoSchedule and NoExecute) following the Ready condition. */
  private async reconcileTaints(node: Node, ready: string | undefined, now: number): Promise<Node> {
    const want = ready === 'Unknown' ? TAINT_UNREACHABLE : ready === 'False' ? TAINT_NOT_READY : undefined;
    const taints = node.spec?.taints ?? [];
    const ours = (t: Taint) => (t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY) && (t.effect === 'NoExecute' || t.effect === 'NoSchedule');
    const kept = taints.filter((t) => !ours(t) || t.key === want);
    const next = [...kept];
    for (const effect of ['NoSchedule', 'NoExecute'] as const) {
      if (want && !kept.some((t) => t.key === want && t.effect === effect)) next.push({ key: want, effect, timeAdded: rfc3339(now) });
    }
    if (next.length === taints.length && next.every((t, i) => t === taints[i])) return node;
    this.log.info('node taints', { node: node.metadata.name, ready, taints: next.map((t) => `${t.key}:${t.effect}`) });
    const spec = { ...(node.spec ?? {}) };
    if (next.length > 0) spec.taints = next;
    else delete spec.taints;
    return this.ctx.client.update<Node>('nodes', { ...node, spec });
  }

  /** Pods on a node that is not Ready are not Ready either (Kubernetes' MarkPodsNotReady). */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    const t = rfc3339(this.clock.now());
    for (const pod of this.pods.store.byIndex(NODE_NAME_INDEX, nodeName)) {
      const ready = getCondition(pod.status?.conditions, 'Ready');
      if (ready?.status !== 'True' || pod.metadata.deletionTimestamp) continue;
      const conditions = (pod.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, reason: 'NodeNotReady', lastTransitionTime: t } : c));
      try {
        await this.ctx.client.updateStatus<Pod>('pods', { ...pod, status: { ...(pod.status ?? {}), conditions } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
  }

  private fullDisruption(): boolean {
    const all = this.nodes.store.list();
    return all.length > 0 && all.every((n) => getCondition(n.status?.conditions, 'Ready')?.status !== 'True');
  }

  /** Taint-based eviction and the force-deletion of pods stuck on an unreachable node. */
  private async evictAndForceDelete(node: Node, now: number): Promise<void> {
    const name = node.metadata.name ?? '';
    const noExecute = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    const unreachable = getCondition(node.status?.conditions, 'Ready');
    const dead = unreachable?.status === 'Unknown';
    if ((noExecute.length === 0 && !dead) || this.nodes.store.list().length === 0) return;
    if (this.fullDisruption() && (noExecute.length > 0 || dead)) {
      this.log.warn('no node is Ready: evictions suspended (full disruption)', { node: name });
      return;
    }
    let next = Infinity;
    for (const pod of this.pods.store.byIndex(NODE_NAME_INDEX, name)) {
      const podKey = keyOf(pod);
      if (pod.metadata.deletionTimestamp) {
        if (!dead) continue;
        const grace = pod.metadata.deletionGracePeriodSeconds ?? 0;
        const deletionStart = (parseTime(pod.metadata.deletionTimestamp) ?? now) - grace * 1000;
        const deadSince = parseTime(unreachable?.lastTransitionTime) ?? now;
        const at = Math.max(deletionStart, deadSince) + this.o.terminatingPodForceDeleteAfterMs;
        if (now >= at) {
          this.log.warn('force-deleting a pod stuck terminating on an unreachable node', { pod: podKey, node: name });
          this.ctx.recorder.event(pod, 'Warning', 'ForceDeleted', `Node ${name} is unreachable; force-deleting the terminating pod`);
          await this.deletePod(pod, 0);
        } else {
          next = Math.min(next, at);
        }
        continue;
      }
      const at = this.evictionTime(pod, noExecute, now);
      if (at === undefined) continue;
      if (now >= at) {
        this.log.info('evicting a pod from a tainted node', { pod: podKey, node: name, taints: noExecute.map((t) => t.key) });
        this.ctx.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${podKey}`);
        await this.deletePod(pod, undefined);
      } else {
        next = Math.min(next, at);
      }
    }
    if (next !== Infinity) this.enqueueAfter(name, Math.max(1, next - now));
  }

  /** When the pod must go because of the node's NoExecute taints (undefined: never). */
  evictionTime(pod: Pod, taints: readonly Taint[], now: number): number | undefined {
    let at: number | undefined;
    const earliest = (t: number) => (at = at === undefined ? t : Math.min(at, t));
    for (const taint of taints) {
      const added = parseTime(taint.timeAdded) ?? now;
      const tol = (pod.spec.tolerations ?? []).find((x) => tolerates(x, taint));
      if (!tol) {
        const managed = taint.key === TAINT_UNREACHABLE || taint.key === TAINT_NOT_READY;
        earliest(managed ? added + this.o.podEvictionTimeoutMs : now);
      } else if (tol.tolerationSeconds !== undefined && tol.tolerationSeconds !== null) {
        earliest(added + Math.max(0, tol.tolerationSeconds) * 1000);
      }
    }
    return at;
  }

  private async deletePod(pod: Pod, gracePeriodSeconds: number | undefined): Promise<void> {
    try {
      await this.ctx.client.delete('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
        preconditions: { uid: pod.metadata.uid ?? '' },
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /** Pods bound to a node that is gone (confirmed by a live read) are force-deleted. */
  private async deleteOrphanedPods(name: string): Promise<void> {
    const pods = this.pods.store.byIndex(NODE_NAME_INDEX, name);
    if (pods.length === 0) return;
    try {
      await this.ctx.client.get('nodes', '', name);
      return; // it exists; our cache is behind
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    for (const pod of pods) {
      this.log.warn('force-deleting a pod bound to a node that does not exist', { pod: keyOf(pod), node: name });
      await this.deletePod(pod, 0);
    }
  }
}

/** Kubernetes' Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}
