/**
 * Resource plugins (Kubernetes' noderesources):
 *  - NodeResourcesFit (Filter): the pod's requests must fit in the node's allocatable minus what
 *    the pods already there (bound or assumed) request, and the node must have room for one more
 *    pod. Reasons: "Too many pods", "Insufficient cpu", "Insufficient memory", "Insufficient <name>".
 *  - NodeResourcesLeastAllocated (Score): favours nodes with more of cpu and memory left, with the
 *    scoring defaults for containers that request nothing (100m, 200Mi).
 *  - NodeResourcesBalancedAllocation (Score): favours nodes whose cpu and memory fractions would be
 *    close to each other: 100 × (1 − standard deviation of the fractions).
 */
import type { NodeInfo } from '../../node-info';
import type { PodInfo } from '../../pod-info';
import { type CycleContext, type FilterPlugin, MAX_NODE_SCORE, type PreResult, type ScorePlugin, type Status, unschedulable } from '../types';

export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';

const NO_REASONS: string[] = [];

/** The common case without allocating: cpu, memory and pod count, when nothing else is requested. */
function fits(pod: PodInfo, node: NodeInfo): boolean {
  const alloc = node.allocatable;
  const used = node.requested;
  const req = pod.requests;
  if (req.ephemeralStorage > 0 || req.scalar.size > 0) return false; // the full check decides
  return node.pods.size + 1 <= alloc.allowedPodNumber && req.milliCPU <= alloc.milliCPU - used.milliCPU && req.memory <= alloc.memory - used.memory;
}

/** The reasons `pod` does not fit on `node` by resources (empty: it fits). */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  if (fits(pod, node)) return NO_REASONS;
  const reasons: string[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  const req = pod.requests;
  if (node.pods.size + 1 > alloc.allowedPodNumber) reasons.push(ERR_REASON_TOO_MANY_PODS);
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0) return reasons;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) reasons.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
  for (const [name, v] of req.scalar) {
    if (v > 0 && v > (alloc.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

export class NodeResourcesFit implements FilterPlugin {
  readonly name = 'NodeResourcesFit';
  readonly events = ['NodeAdd', 'NodeAllocatableChange', 'AssignedPodDelete'] as const;

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    const reasons = insufficientResources(pod, node);
    return reasons.length === 0 ? undefined : unschedulable(this.name, ...reasons);
  }
}

/** Kubernetes' leastRequestedScore: (capacity − requested) × 100 / capacity, integer; 0 when over. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export class NodeResourcesLeastAllocated implements ScorePlugin {
  readonly name = 'NodeResourcesLeastAllocated';
  readonly events = [] as const;

  constructor(readonly weight = 1) {}

  score(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): number {
    // cpu and memory, weight 1 each; a resource the node has none of is left out.
    let sum = 0;
    let weights = 0;
    const cpu = node.allocatable.milliCPU;
    if (cpu > 0) {
      sum += leastRequestedScore(node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, cpu);
      weights++;
    }
    const mem = node.allocatable.memory;
    if (mem > 0) {
      sum += leastRequestedScore(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, mem);
      weights++;
    }
    return weights === 0 ? 0 : Math.trunc(sum / weights);
  }
}

export class NodeResourcesBalancedAllocation implements ScorePlugin {
  readonly name = 'NodeResourcesBalancedAllocation';
  readonly events = [] as const;

  constructor(readonly weight = 1) {}

  preScore(_ctx: CycleContext, pod: PodInfo): PreResult {
    // Best-effort pods are not scored (Kubernetes 1.33: otherwise they pile onto one node).
    return pod.requests.milliCPU === 0 && pod.requests.memory === 0 ? 'skip' : undefined;
  }

  score(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): number {
    const fractions: number[] = [];
    const cpu = node.allocatable.milliCPU;
    if (cpu > 0) fractions.push(Math.min(1, (node.requested.milliCPU + pod.requests.milliCPU) / cpu));
    const mem = node.allocatable.memory;
    if (mem > 0) fractions.push(Math.min(1, (node.requested.memory + pod.requests.memory) / mem));
    let std = 0;
    if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  }
}
