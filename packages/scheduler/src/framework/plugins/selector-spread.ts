/**
 * SelectorSpread (mk's form of Kubernetes' SelectorSpread): replicas of one controller (pods
 * with the same controller ownerReference: a ReplicaSet's, a StatefulSet's, a Job's) are spread
 * across nodes. Score: the node's count of the pod's siblings, normalized so the emptiest node
 * scores 100 and the fullest 0. Pods without a controller are not scored.
 */
import type { NodeInfo } from '../../node-info';
import type { PodInfo } from '../../pod-info';
import { type CycleContext, MAX_NODE_SCORE, type PreResult, type ScorePlugin } from '../types';

export class SelectorSpread implements ScorePlugin {
  readonly name = 'SelectorSpread';
  readonly events = [] as const;

  constructor(readonly weight = 2) {}

  preScore(_ctx: CycleContext, pod: PodInfo): PreResult {
    return pod.controllerUid ? undefined : 'skip';
  }

  score(_ctx: CycleContext, pod: PodInfo, node: NodeInfo): number {
    return pod.controllerUid ? (node.controllerCounts.get(pod.controllerUid) ?? 0) : 0;
  }

  normalizeScore(_ctx: CycleContext, _pod: PodInfo, scores: number[]): void {
    let max = 0;
    for (const s of scores) if (s > max) max = s;
    for (let i = 0; i < scores.length; i++) scores[i] = max > 0 ? Math.trunc((MAX_NODE_SCORE * (max - scores[i]!)) / max) : MAX_NODE_SCORE;
  }
}
