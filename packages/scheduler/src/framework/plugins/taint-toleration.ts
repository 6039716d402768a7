/**
 * TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does not
 * tolerate them (Filter); PreferNoSchedule taints the pod does not tolerate lower the node's score
 * (Score: their count, normalized in reverse, so the node with the fewest scores 100).
 */
import type { Toleration } from '@mk/api';
import type { NodeInfo } from '../../node-info';
import type { PodInfo } from '../../pod-info';
import { findUntoleratedTaint, tolerationsTolerateTaint, untoleratedTaintReason } from '../../taints';
import {
  type CycleContext,
  type FilterPlugin,
  MAX_NODE_SCORE,
  type PreResult,
  type ScorePlugin,
  type Status,
  defaultNormalizeScore,
  unresolvable,
} from '../types';

const HARD_EFFECTS = ['NoSchedule', 'NoExecute'] as const;
const STATE_KEY = 'TaintToleration/preScore';

export class TaintToleration implements FilterPlugin, ScorePlugin {
  readonly name = 'TaintToleration';
  readonly events = ['NodeAdd', 'NodeTaintChange'] as const;

  constructor(readonly weight = 3) {}

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.hardTaints.length === 0) return undefined;
    const taint = findUntoleratedTaint(node.hardTaints, pod.pod.spec.tolerations, HARD_EFFECTS);
    return taint ? unresolvable(this.name, untoleratedTaintReason(taint)) : undefined;
  }

  preScore(ctx: CycleContext, pod: PodInfo, nodes: readonly NodeInfo[]): PreResult {
    if (!nodes.some((n) => n.preferNoScheduleTaints.length > 0)) return 'skip';
    const tolerations = (pod.pod.spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    ctx.state.write(STATE_KEY, tolerations);
    return undefined;
  }

  score(ctx: CycleContext, _pod: PodInfo, node: NodeInfo): number {
    const tolerations = ctx.state.read<Toleration[]>(STATE_KEY) ?? [];
    let n = 0;
    for (const taint of node.preferNoScheduleTaints) if (!tolerationsTolerateTaint(tolerations, taint)) n++;
    return n;
  }

  normalizeScore(_ctx: CycleContext, _pod: PodInfo, scores: number[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
  }
}
