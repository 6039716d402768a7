/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes no new pods, unless the pod
 * tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 */
import type { PodInfo } from '../../pod-info';
import type { NodeInfo } from '../../node-info';
import { TAINT_NODE_UNSCHEDULABLE, tolerationsTolerateTaint } from '../../taints';
import { type CycleContext, type FilterPlugin, type Status, unresolvable } from '../types';

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

export class NodeUnschedulable implements FilterPlugin {
  readonly name = 'NodeUnschedulable';
  readonly events = ['NodeAdd', 'NodeSpecUnschedulableChange'] as const;

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (!node.unschedulable) return undefined;
    if (tolerationsTolerateTaint(pod.pod.spec.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' })) return undefined;
    return unresolvable(this.name, ERR_REASON_UNSCHEDULABLE);
  }
}
