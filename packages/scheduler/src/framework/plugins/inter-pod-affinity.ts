/**
 * InterPodAffinity (Kubernetes' interpodaffinity), for any topology key (kubernetes.io/hostname
 * makes the topology domain a single node):
 *  - Filter: the pod's required anti-affinity (no matching pod in the node's domain), the required
 *    anti-affinity of pods already placed (the pod must not match theirs: symmetry), and the pod's
 *    required affinity (a matching pod in the domain; the first pod of a group that matches its own
 *    terms may go anywhere that has the topology labels).
 *  - Score: preferred terms of the pod (+weight per matching pod in the domain, −weight for
 *    anti-affinity), and of pods already placed towards this pod (their required affinity counts 1),
 *    normalized min–max to 0..100.
 */
import type { NodeInfo } from '../../node-info';
import { type AffinityTerm, type NamespaceLabels, type PodInfo, type WeightedAffinityTerm, termMatchesPod } from '../../pod-info';
import {
  type CycleContext,
  type FilterPlugin,
  MAX_NODE_SCORE,
  type PreResult,
  type ScorePlugin,
  type Status,
  unresolvable,
  unschedulable,
} from '../types';

export const ERR_REASON_AFFINITY_RULES = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES = "node(s) didn't satisfy existing pods anti-affinity rules";

const FILTER_KEY = 'InterPodAffinity/preFilter';
const SCORE_KEY = 'InterPodAffinity/preScore';

/** "key\0value" → count. */
type TopologyCounts = Map<string, number>;

const pair = (key: string, value: string): string => `${key}\u0000${value}`;

function bump(counts: TopologyCounts, node: NodeInfo, topologyKey: string, by: number): void {
  const v = node.labels?.[topologyKey];
  if (v === undefined) return;
  const k = pair(topologyKey, v);
  const n = (counts.get(k) ?? 0) + by;
  if (n === 0) counts.delete(k);
  else counts.set(k, n);
}

function matchesAll(terms: readonly AffinityTerm[], pod: PodInfo, ns: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, pod, ns)) return false;
  return true;
}

interface FilterState {
  /** Domains where a placed pod's required anti-affinity matches the incoming pod. */
  existingAntiAffinity: TopologyCounts;
  /** Domains with pods matching all of the incoming pod's required affinity terms. */
  affinity: TopologyCounts;
  /** Domains with pods matching one of the incoming pod's required anti-affinity terms. */
  antiAffinity: TopologyCounts;
}

export class InterPodAffinity implements FilterPlugin, ScorePlugin {
  readonly name = 'InterPodAffinity';
  readonly events = ['NodeAdd', 'NodeLabelChange', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NamespaceChange'] as const;

  /** hardPodAffinityWeight: how much a placed pod's required affinity to this pod counts when scoring. */
  constructor(
    readonly weight = 2,
    private readonly hardPodAffinityWeight = 1,
  ) {}

  preFilter(ctx: CycleContext, pod: PodInfo): PreResult {
    if (pod.parseError) return unresolvable(this.name, pod.parseError);
    const nodes = ctx.snapshot.nodes;
    const ns = ctx.snapshot.namespaceLabels;
    const hasOwn = pod.requiredAffinity.length > 0 || pod.requiredAntiAffinity.length > 0;
    if (!hasOwn && ctx.snapshot.podsWithRequiredAntiAffinity() === 0) return 'skip';
    const s: FilterState = { existingAntiAffinity: new Map(), affinity: new Map(), antiAffinity: new Map() };
    for (const node of nodes) {
      for (const existing of node.podsWithRequiredAntiAffinity) {
        for (const t of existing.requiredAntiAffinity) if (termMatchesPod(t, pod, ns)) bump(s.existingAntiAffinity, node, t.topologyKey, 1);
      }
      if (!hasOwn) continue;
      for (const existing of node.pods.values()) {
        if (pod.requiredAffinity.length > 0 && matchesAll(pod.requiredAffinity, existing, ns)) {
          for (const t of pod.requiredAffinity) bump(s.affinity, node, t.topologyKey, 1);
        }
        for (const t of pod.requiredAntiAffinity) if (termMatchesPod(t, existing, ns)) bump(s.antiAffinity, node, t.topologyKey, 1);
      }
    }
    ctx.state.write(FILTER_KEY, s);
    return undefined;
  }

  filter(ctx: CycleContext, pod: PodInfo, node: NodeInfo): Status | undefined {
    const s = ctx.state.read<FilterState>(FILTER_KEY);
    if (!s) return undefined;
    const labels = node.labels ?? {};
    // The pod's required affinity.
    if (pod.requiredAffinity.length > 0) {
      let podsExist = true;
      for (const t of pod.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v === undefined) return unresolvable(this.name, ERR_REASON_AFFINITY_RULES);
        if ((s.affinity.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
      }
      // The first pod of a group with affinity to itself may start anywhere.
      if (!podsExist && !(s.affinity.size === 0 && matchesAll(pod.requiredAffinity, pod, ctx.snapshot.namespaceLabels))) {
        return unresolvable(this.name, ERR_REASON_AFFINITY_RULES);
      }
    }
    // The pod's required anti-affinity.
    if (s.antiAffinity.size > 0) {
      for (const t of pod.requiredAntiAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined && (s.antiAffinity.get(pair(t.topologyKey, v)) ?? 0) > 0) return unschedulable(this.name, ERR_REASON_ANTI_AFFINITY_RULES);
      }
    }
    // Placed pods' required anti-affinity towards this pod.
    if (s.existingAntiAffinity.size > 0) {
      for (const [k, v] of Object.entries(labels)) {
        if ((s.existingAntiAffinity.get(pair(k, v)) ?? 0) > 0) return unschedulable(this.name, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES);
      }
    }
    return undefined;
  }

  preScore(ctx: CycleContext, pod: PodInfo): PreResult {
    const hasConstraints = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
    // Unless the pod has preferences, only placed pods with affinity terms can score anything.
    if (!hasConstraints && ctx.snapshot.podsWithAffinity() === 0) return 'skip';
    const ns = ctx.snapshot.namespaceLabels;
    // topologyKey → value → score
    const scores = new Map<string, Map<string, number>>();
    const add = (term: AffinityTerm, weight: number, target: PodInfo, node: NodeInfo, sign: 1 | -1): void => {
      if (!termMatchesPod(term, target, ns)) return;
      const v = node.labels?.[term.topologyKey];
      if (v === undefined) return;
      let m = scores.get(term.topologyKey);
      if (!m) scores.set(term.topologyKey, (m = new Map()));
      m.set(v, (m.get(v) ?? 0) + weight * sign);
    };
    const addAll = (terms: readonly WeightedAffinityTerm[], target: PodInfo, node: NodeInfo, sign: 1 | -1): void => {
      for (const t of terms) add(t, t.weight, target, node, sign);
    };
    for (const node of ctx.snapshot.nodes) {
      if (!node.labels) continue;
      if (!hasConstraints && node.podsWithAffinity.size === 0) continue;
      const pods = hasConstraints ? node.pods.values() : node.podsWithAffinity.values();
      for (const existing of pods) {
        addAll(pod.preferredAffinity, existing, node, 1);
        addAll(pod.preferredAntiAffinity, existing, node, -1);
        if (this.hardPodAffinityWeight > 0) for (const t of existing.requiredAffinity) add(t, this.hardPodAffinityWeight, pod, node, 1);
        addAll(existing.preferredAffinity, pod, node, 1);
        addAll(existing.preferredAntiAffinity, pod, node, -1);
      }
    }
    if (scores.size === 0) return 'skip';
    ctx.state.write(SCORE_KEY, scores);
    return undefined;
  }

  score(ctx: CycleContext, _pod: PodInfo, node: NodeInfo): number {
    const scores = ctx.state.read<Map<string, Map<string, number>>>(SCORE_KEY);
    if (!scores || !node.labels) return 0;
    let sum = 0;
    for (const [key, values] of scores) {
      const v = node.labels[key];
      if (v !== undefined) sum += values.get(v) ?? 0;
    }
    return sum;
  }

  normalizeScore(_ctx: CycleContext, _pod: PodInfo, scores: number[]): void {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      if (s > max) max = s;
      if (s < min) min = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
  }
}
