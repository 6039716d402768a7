/**
 * The scheduler's cache (Kubernetes' internal/cache): nodes and the pods bound or assumed on them.
 *
 * A pod is *assumed* on a node the moment the scheduler picks it, before the binding is written,
 * so the next pod already sees the resources taken. Then either the informer reports the pod bound
 * (addPod confirms the assumption, with the node the API says), or the binding failed and
 * forgetPod takes the assumption back. Pods of nodes the cache does not know keep a NodeInfo
 * without a node, which is never offered to the plugins.
 *
 * Everything is synchronous and single-threaded: a scheduling cycle reads the NodeInfos directly
 * (they are the snapshot) and nothing can change them until the cycle returns.
 */
import type { Node } from '@mk/api';
import { NodeInfo } from './node-info';
import { type PodInfo, hasAffinityTerms, withNodeName } from './pod-info';

interface PodState {
  pi: PodInfo;
  assumed: boolean;
  /** The binding call returned (successfully); the informer's confirmation has not arrived yet. */
  bindingFinished: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly podStates = new Map<string, PodState>();
  /** Nodes with a Node object, sorted by name; rebuilt lazily after a node is added or removed. */
  private list: NodeInfo[] | undefined;
  /** Pods (bound or assumed) with any pod (anti-)affinity term, and with required anti-affinity. */
  private withAffinity = 0;
  private withRequiredAntiAffinity = 0;

  // ---- nodes ----

  addNode(node: Node): NodeInfo {
    const name = node.metadata.name ?? '';
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo(name, node);
      this.nodes.set(name, ni);
    } else {
      ni.setNode(node);
    }
    this.list = undefined;
    return ni;
  }

  updateNode(node: Node): NodeInfo {
    const ni = this.nodes.get(node.metadata.name ?? '');
    if (!ni || !ni.node) return this.addNode(node);
    ni.setNode(node);
    return ni;
  }

  removeNode(name: string): void {
    const ni = this.nodes.get(name);
    if (!ni) return;
    // Pods still on it keep their NodeInfo (without a node) until they are removed too.
    if (ni.pods.size === 0) this.nodes.delete(name);
    else ni.setNode(undefined);
    this.list = undefined;
  }

  getNode(name: string): NodeInfo | undefined {
    const ni = this.nodes.get(name);
    return ni?.node ? ni : undefined;
  }

  /** Every node with a Node object, sorted by name (a stable order, for reproducible runs). */
  nodeList(): readonly NodeInfo[] {
    if (!this.list) {
      this.list = [...this.nodes.values()].filter((n) => n.node !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return this.list;
  }

  nodeCount(): number {
    return this.nodeList().length;
  }

  // ---- pods ----

  /** Puts `pi` on `nodeName` in the cache ahead of its binding; returns the assumed PodInfo. */
  assumePod(pi: PodInfo, nodeName: string): PodInfo {
    if (this.podStates.has(pi.key)) throw new Error(`pod ${pi.key} is already in the scheduler cache`);
    const assumed = withNodeName(pi, nodeName);
    this.placeOnNode(assumed);
    this.podStates.set(pi.key, { pi: assumed, assumed: true, bindingFinished: false });
    return assumed;
  }

  /** The binding of an assumed pod was written. */
  finishBinding(key: string): void {
    const s = this.podStates.get(key);
    if (s?.assumed) s.bindingFinished = true;
  }

  /** Takes back an assumption (the binding failed). Confirmed pods are left alone. */
  forgetPod(key: string): void {
    const s = this.podStates.get(key);
    if (!s || !s.assumed) return;
    this.removeFromNode(s.pi);
    this.podStates.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed === true;
  }

  /** Any pod the cache holds (assumed or bound) by key. */
  getPod(key: string): PodInfo | undefined {
    return this.podStates.get(key)?.pi;
  }

  /** A bound pod seen by the informer: confirms an assumption or adds it. */
  addPod(pi: PodInfo): void {
    const s = this.podStates.get(pi.key);
    if (s) {
      // Confirmation of an assumption (or a repeated add): the API's version wins, on the API's node.
      this.removeFromNode(s.pi);
    }
    this.placeOnNode(pi);
    this.podStates.set(pi.key, { pi, assumed: false, bindingFinished: false });
  }

  updatePod(pi: PodInfo): void {
    this.addPod(pi);
  }

  removePod(key: string): void {
    const s = this.podStates.get(key);
    if (!s) return;
    this.removeFromNode(s.pi);
    this.podStates.delete(key);
  }

  podCount(): number {
    return this.podStates.size;
  }

  assumedCount(): number {
    let n = 0;
    for (const s of this.podStates.values()) if (s.assumed) n++;
    return n;
  }

  private nodeFor(name: string): NodeInfo {
    let ni = this.nodes.get(name);
    if (!ni) {
      ni = new NodeInfo(name);
      this.nodes.set(name, ni);
    }
    return ni;
  }

  /** How many pods in the cache have pod (anti-)affinity terms (the InterPodAffinity plugin skips work when none). */
  podsWithAffinity(): number {
    return this.withAffinity;
  }

  podsWithRequiredAntiAffinity(): number {
    return this.withRequiredAntiAffinity;
  }

  private count(pi: PodInfo, by: 1 | -1): void {
    if (hasAffinityTerms(pi)) this.withAffinity += by;
    if (pi.requiredAntiAffinity.length > 0) this.withRequiredAntiAffinity += by;
  }

  private placeOnNode(pi: PodInfo): void {
    this.nodeFor(pi.nodeName).addPod(pi);
    this.count(pi, 1);
  }

  private removeFromNode(pi: PodInfo): void {
    const ni = this.nodes.get(pi.nodeName);
    if (!ni) return;
    if (ni.removePod(pi.key)) this.count(pi, -1);
    if (!ni.node && ni.pods.size === 0) this.nodes.delete(pi.nodeName);
  }
}
