/**
 * NodeAffinity: the pod's `nodeSelector` and required node affinity must both match the node
 * (Filter); each preferred term that matches adds its weight (Score, normalized so the best node
 * scores 100).
 */
import type { NodeSelector, PreferredSchedulingTerm } from '@mk/api';
import type { NodeInfo } from '../../node-info';
import { nodeSelectorMapMatches, nodeSelectorMatches, nodeSelectorTermMatches } from '../../node-selector';
import type { PodInfo } from '../../pod-info';
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

export const ERR_REASON_POD_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

export class NodeAffinity implements FilterPlugin, ScorePlugin {
  readonly name = 'NodeAffinity';
  readonly events = ['NodeAdd', 'NodeLabelChange'] as const;

  constructor(readonly weight = 2) {}

  preFilter(_ctx: CycleContext, pod: PodInfo): PreResult {
    const spec = pod.pod.spec;
    const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && (!spec.nodeSelector || Object.keys(spec.nodeSelector).length === 0)) return 'skip';
    return undefined;
  }

  filter(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    const spec = pod.pod.spec;
    if (!nodeSelectorMapMatches(spec.nodeSelector, node.labels)) return unresolvable(this.name, ERR_REASON_POD_NODE_AFFINITY);
    const required: NodeSelector | undefined = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required && !nodeSelectorMatches(required, node.name, node.labels)) return unresolvable(this.name, ERR_REASON_POD_NODE_AFFINITY);
    return undefined;
  }

  preScore(_ctx: CycleContext, pod: PodInfo): PreResult {
    return this.preferred(pod).length === 0 ? 'skip' : undefined;
  }

  score(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): number {
    let sum = 0;
    for (const t of this.preferred(pod)) {
      if (t.weight !== 0 && nodeSelectorTermMatches(t.preference, node.name, node.labels)) sum += t.weight;
    }
    return sum;
  }

  normalizeScore(_ctx: CycleContext, _pod: PodInfo, scores: number[]): void {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
  }

  private preferred(pod: PodInfo): readonly PreferredSchedulingTerm[] {
    return pod.pod.spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  }
}
