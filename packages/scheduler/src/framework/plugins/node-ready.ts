/**
 * NodeReady (mk's): a node whose Ready condition is not True takes no new pods, unless the pod
 * tolerates the NoSchedule taint Kubernetes' node lifecycle controller puts on such a node:
 * `node.kubernetes.io/not-ready` (Ready False, or no Ready condition yet, as a node registers with)
 * or `node.kubernetes.io/unreachable` (Ready Unknown). The reason is the one TaintToleration gives
 * once the controller has added the taint, so the message does not depend on whether it has yet.
 */
import type { NodeInfo } from '../../node-info';
import type { PodInfo } from '../../pod-info';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, tolerationsTolerateTaint, untoleratedTaintReason } from '../../taints';
import { type CycleContext, type FilterPlugin, type Status, unresolvable } from '../types';

export class NodeReady implements FilterPlugin {
  readonly name = 'NodeReady';
  readonly events = ['NodeAdd', 'NodeConditionChange'] as const;

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.ready === 'True') return undefined;
    const taint = { key: node.ready === 'Unknown' ? TAINT_NODE_UNREACHABLE : TAINT_NODE_NOT_READY, effect: 'NoSchedule' as const };
    if (tolerationsTolerateTaint(pod.pod.spec.tolerations, taint)) return undefined;
    return unresolvable(this.name, untoleratedTaintReason(taint));
  }
}
