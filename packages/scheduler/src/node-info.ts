/**
 * NodeInfo: a node and the pods on it, with the sums the plugins read (Kubernetes'
 * framework.NodeInfo): requested resources (real and with the scoring defaults), host ports in
 * use, pods per controller, pods that carry affinity terms. Updated incrementally by the cache as
 * pods are added, assumed, forgotten and removed.
 */
import type { Node, Taint } from '@mk/api';
import { DEFAULT_BIND_ALL_HOST_IP, type HostPort, type PodInfo, hasAffinityTerms } from './pod-info';
import { type Resources, addResources, emptyResources, nodeAllocatable } from './resources';

/** Host ports in use: ip → "protocol/port" → how many pods use it. */
export class HostPortInfo {
  private readonly byIp = new Map<string, Map<string, number>>();

  get size(): number {
    return this.byIp.size;
  }

  add(p: HostPort): void {
    let m = this.byIp.get(p.ip);
    if (!m) this.byIp.set(p.ip, (m = new Map()));
    const k = `${p.protocol}/${p.port}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  remove(p: HostPort): void {
    const m = this.byIp.get(p.ip);
    if (!m) return;
    const k = `${p.protocol}/${p.port}`;
    const n = (m.get(k) ?? 0) - 1;
    if (n > 0) m.set(k, n);
    else m.delete(k);
    if (m.size === 0) this.byIp.delete(p.ip);
  }

  /** Kubernetes' CheckConflict: 0.0.0.0 conflicts with the same port on any IP, and any IP with 0.0.0.0. */
  conflicts(p: HostPort): boolean {
    if (p.port <= 0) return false;
    const k = `${p.protocol}/${p.port}`;
    if (p.ip === DEFAULT_BIND_ALL_HOST_IP) {
      for (const m of this.byIp.values()) if (m.has(k)) return true;
      return false;
    }
    return (this.byIp.get(DEFAULT_BIND_ALL_HOST_IP)?.has(k) ?? false) || (this.byIp.get(p.ip)?.has(k) ?? false);
  }
}

/** Pods being deleted do not count as replicas to spread from (as Kubernetes' SelectorSpread). */
function countsForSpread(pi: PodInfo): boolean {
  return pi.controllerUid !== undefined && pi.pod.metadata.deletionTimestamp === undefined;
}

export type ReadyStatus = 'True' | 'False' | 'Unknown';

export class NodeInfo {
  /** Undefined while pods name a node the cache has not seen (or no longer has). */
  node: Node | undefined;
  labels: Readonly<Record<string, string>> | undefined;
  allocatable: Resources = emptyResources();
  /** Taints with effect NoSchedule or NoExecute, and with PreferNoSchedule. */
  hardTaints: readonly Taint[] = [];
  preferNoScheduleTaints: readonly Taint[] = [];
  unschedulable = false;
  /** The Ready condition's status; a node without one counts as not ready ('False'). */
  ready: ReadyStatus = 'False';
  readonly pods = new Map<string, PodInfo>();
  readonly requested: Resources = emptyResources();
  readonly nonZeroRequested = { milliCPU: 0, memory: 0 };
  readonly usedPorts = new HostPortInfo();
  /** Controller uid → pods of it on this node (SelectorSpread). */
  readonly controllerCounts = new Map<string, number>();
  /** Pods with any pod (anti-)affinity term, and those with required anti-affinity. */
  readonly podsWithAffinity = new Set<PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  /** Bumped on every change, for callers that cache derived data. */
  generation = 0;

  constructor(
    readonly name: string,
    node?: Node,
  ) {
    if (node) this.setNode(node);
  }

  setNode(node: Node | undefined): void {
    this.generation++;
    this.node = node;
    if (!node) return;
    this.labels = node.metadata.labels;
    this.allocatable = nodeAllocatable(node);
    const taints = node.spec?.taints ?? [];
    this.hardTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    this.preferNoScheduleTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    this.unschedulable = node.spec?.unschedulable === true;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    this.ready = ready === 'True' || ready === 'Unknown' ? ready : 'False';
  }

  addPod(pi: PodInfo): void {
    const old = this.pods.get(pi.key);
    if (old) this.removePod(pi.key);
    this.generation++;
    this.pods.set(pi.key, pi);
    addResources(this.requested, pi.requests);
    this.nonZeroRequested.milliCPU += pi.nonZeroRequests.milliCPU;
    this.nonZeroRequested.memory += pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) this.usedPorts.add(p);
    if (countsForSpread(pi)) this.controllerCounts.set(pi.controllerUid!, (this.controllerCounts.get(pi.controllerUid!) ?? 0) + 1);
    if (hasAffinityTerms(pi)) this.podsWithAffinity.add(pi);
    if (pi.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity.add(pi);
  }

  /** Removes the pod with this key; false when it was not here. */
  removePod(key: string): boolean {
    const pi = this.pods.get(key);
    if (!pi) return false;
    this.generation++;
    this.pods.delete(key);
    addResources(this.requested, pi.requests, -1);
    this.nonZeroRequested.milliCPU -= pi.nonZeroRequests.milliCPU;
    this.nonZeroRequested.memory -= pi.nonZeroRequests.memory;
    for (const p of pi.hostPorts) this.usedPorts.remove(p);
    if (countsForSpread(pi)) {
      const n = (this.controllerCounts.get(pi.controllerUid!) ?? 0) - 1;
      if (n > 0) this.controllerCounts.set(pi.controllerUid!, n);
      else this.controllerCounts.delete(pi.controllerUid!);
    }
    this.podsWithAffinity.delete(pi);
    this.podsWithRequiredAntiAffinity.delete(pi);
    return true;
  }
}
