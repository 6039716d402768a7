/** NodePorts: a pod's host ports must be free on the node (same protocol and port, overlapping IP). */
import type { NodeInfo } from '../../node-info';
import type { PodInfo } from '../../pod-info';
import { type CycleContext, type FilterPlugin, type PreResult, type Status, unschedulable } from '../types';

export const ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

export class NodePorts implements FilterPlugin {
  readonly name = 'NodePorts';
  readonly events = ['NodeAdd', 'AssignedPodDelete'] as const;

  preFilter(_ctx: CycleContext, pod: PodInfo): PreResult {
    return pod.hostPorts.length === 0 ? 'skip' : undefined;
  }

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.usedPorts.size === 0) return undefined;
    for (const p of pod.hostPorts) if (node.usedPorts.conflicts(p)) return unschedulable(this.name, ERR_REASON_NODE_PORTS);
    return undefined;
  }
}
