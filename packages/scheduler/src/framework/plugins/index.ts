/** The default plugins, in Kubernetes' order, with Kubernetes' default score weights. */
import type { FilterPlugin, ScorePlugin } from '../types';
import { InterPodAffinity } from './inter-pod-affinity';
import { NodeAffinity } from './node-affinity';
import { NodeName } from './node-name';
import { NodePorts } from './node-ports';
import { NodeReady } from './node-ready';
import { NodeResourcesBalancedAllocation, NodeResourcesFit, NodeResourcesLeastAllocated } from './node-resources';
import { NodeUnschedulable } from './node-unschedulable';
import { SelectorSpread } from './selector-spread';
import { TaintToleration } from './taint-toleration';

export * from './inter-pod-affinity';
export * from './node-affinity';
export * from './node-name';
export * from './node-ports';
export * from './node-ready';
export * from './node-resources';
export * from './node-unschedulable';
export * from './selector-spread';
export * from './taint-toleration';

export interface PluginSet {
  filters: FilterPlugin[];
  scorers: ScorePlugin[];
}

/**
 * Filters run in this order and a node's first rejection is its reason; scores are summed with
 * these weights: TaintToleration 3, NodeAffinity 2, InterPodAffinity 2, SelectorSpread 2 (the
 * weight of PodTopologySpread, which took over default spreading in Kubernetes),
 * NodeResourcesLeastAllocated 1, NodeResourcesBalancedAllocation 1.
 */
export function defaultPlugins(): PluginSet {
  const taints = new TaintToleration(3);
  const nodeAffinity = new NodeAffinity(2);
  const interPod = new InterPodAffinity(2);
  return {
    filters: [new NodeUnschedulable(), new NodeName(), taints, new NodeReady(), nodeAffinity, new NodePorts(), new NodeResourcesFit(), interPod],
    scorers: [taints, nodeAffinity, new NodeResourcesLeastAllocated(1), new NodeResourcesBalancedAllocation(1), interPod, new SelectorSpread(2)],
  };
}
