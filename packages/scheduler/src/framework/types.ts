/**
 * The plugin framework's vocabulary (Kubernetes' scheduler framework, the parts mk uses): statuses,
 * the per-cycle state, the snapshot plugins read, cluster events, and the plugin interfaces.
 * Plugins are pure: what they decide depends only on the pod, the snapshot and the cycle state.
 */
import type { NodeInfo } from '../node-info';
import type { NamespaceLabels, PodInfo } from '../pod-info';

/** Kubernetes' framework.MaxNodeScore: every plugin's normalized scores are in 0..100. */
export const MAX_NODE_SCORE = 100;

/**
 * Unschedulable: this node may fit later (e.g. when pods leave); UnschedulableAndUnresolvable:
 * it will not without a change to the node or the pod (Kubernetes distinguishes them for
 * preemption, which mk does not do; both are reported the same way).
 */
export type StatusCode = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: StatusCode;
  /** Reasons as they appear in "0/N nodes are available: …" (one node may give several). */
  reasons: readonly string[];
  /** The plugin that said so. */
  plugin: string;
}

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** What plugins read: the nodes (with their pods, bound and assumed) and namespace labels. */
export interface Snapshot {
  /** Every node, in a stable order. */
  readonly nodes: readonly NodeInfo[];
  getNode(name: string): NodeInfo | undefined;
  readonly namespaceLabels: NamespaceLabels;
  /** Pods on any node with pod (anti-)affinity terms, and with required anti-affinity terms. */
  podsWithAffinity(): number;
  podsWithRequiredAntiAffinity(): number;
}

/** Data one plugin computes in PreFilter/PreScore for its Filter/Score of the same cycle. */
export class CycleState {
  private readonly data = new Map<string, unknown>();

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  /** The value a plugin wrote under `key`; its type is the writer's promise (keys are per plugin). */
  read<T>(key: string): T | undefined {
    // unknown → T: the key names the one plugin that writes it, and it always writes a T.
    return this.data.get(key) as T | undefined;
  }
}

export interface CycleContext {
  readonly state: CycleState;
  readonly snapshot: Snapshot;
}

/** What happened in the cluster that may make a rejected pod schedulable (Kubernetes' ClusterEvent). */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeAllocatableChange'
  | 'NodeLabelChange'
  | 'NodeTaintChange'
  | 'NodeConditionChange'
  | 'NodeSpecUnschedulableChange'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'NamespaceChange';

export const ALL_CLUSTER_EVENTS: readonly ClusterEvent[] = [
  'NodeAdd',
  'NodeAllocatableChange',
  'NodeLabelChange',
  'NodeTaintChange',
  'NodeConditionChange',
  'NodeSpecUnschedulableChange',
  'AssignedPodAdd',
  'AssignedPodUpdate',
  'AssignedPodDelete',
  'NamespaceChange',
];

export interface Plugin {
  readonly name: string;
  /** The events after which a pod this plugin rejected is worth trying again. */
  readonly events: readonly ClusterEvent[];
}

/** 'skip': this plugin has nothing to check for this pod (its Filter/Score is not called). */
export type PreResult = Status | 'skip' | undefined;

export interface FilterPlugin extends Plugin {
  /** Once per cycle: computes state, or rejects the pod for every node at once. */
  preFilter?(ctx: CycleContext, pod: PodInfo): PreResult;
  /** undefined: the node fits as far as this plugin is concerned. */
  filter(ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined;
}

export interface ScorePlugin extends Plugin {
  readonly weight: number;
  /** Once per cycle, with the nodes that passed the filters. A Status is an error. */
  preScore?(ctx: CycleContext, pod: PodInfo, nodes: readonly NodeInfo[]): PreResult;
  /** The raw score of one node. */
  score(ctx: CycleContext, pod: PodInfo, node: NodeInfo): number;
  /** Brings the raw scores into 0..MAX_NODE_SCORE, in place (absent: they already are). */
  normalizeScore?(ctx: CycleContext, pod: PodInfo, scores: number[]): void;
}

/**
 * Kubernetes' DefaultNormalizeScore: scales scores so the highest becomes `max` (integer
 * arithmetic, as Kubernetes' int64); `reverse` turns high counts into low scores. All zero:
 * everything 0 (or `max` when reversed).
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: number[]): void {
  let maxCount = 0;
  for (const s of scores) if (s > maxCount) maxCount = s;
  if (maxCount === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((max * scores[i]!) / maxCount);
    if (reverse) s = max - s;
    scores[i] = s;
  }
}
