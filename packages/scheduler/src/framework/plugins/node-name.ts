/** NodeName: a pod that names its node (spec.nodeName) fits only there. */
import type { NodeInfo } from '../../node-info';
import type { PodInfo } from '../../pod-info';
import { type CycleContext, type FilterPlugin, type PreResult, type Status, unresolvable } from '../types';

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin {
  readonly name = 'NodeName';
  readonly events = ['NodeAdd'] as const;

  preFilter(_ctx: CycleContext, pod: PodInfo): PreResult {
    return pod.nodeName === '' ? 'skip' : undefined;
  }

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    return pod.nodeName === node.name ? undefined : unresolvable(this.name, ERR_REASON_NODE_NAME);
  }
}
