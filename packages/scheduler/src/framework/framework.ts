/**
 * One scheduling cycle for one pod (Kubernetes' schedulePod): PreFilter → Filter over the nodes
 * (stopping once enough feasible nodes are found) → PreScore/Score/NormalizeScore → weighted sum →
 * the best node, ties broken by the injected Rng. Synchronous and pure apart from the Rng and the
 * round-robin start index, so a seeded run replays exactly.
 */
import type { Rng } from '@mk/shared';
import type { NodeInfo } from '../node-info';
import type { PodInfo } from '../pod-info';
import { type PluginSet, defaultPlugins } from './plugins';
import { CycleState, type CycleContext, type FilterPlugin, type ScorePlugin, type Snapshot, type Status } from './types';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Why no node fits (Kubernetes' FitError), with Kubernetes' message. */
export interface FitFailure {
  ok: false;
  kind: 'unschedulable';
  /** "0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {…}." */
  message: string;
  numAllNodes: number;
  /** The rejection of each node that was evaluated. */
  nodeStatuses: ReadonlyMap<string, Status>;
  /** Set when a PreFilter rejected the pod for every node at once. */
  preFilterMessage?: string;
  /** The plugins that rejected it somewhere: only events they care about requeue it. */
  unschedulablePlugins: ReadonlySet<string>;
}

/** A plugin failed (threw or returned Error): the pod is retried with back-off. */
export interface ScheduleError {
  ok: false;
  kind: 'error';
  message: string;
}

export interface NodeScore {
  node: string;
  total: number;
  /** Normalized score of each plugin that ran (before its weight). */
  plugins: Record<string, number>;
}

export interface ScheduleSuccess {
  ok: true;
  nodeName: string;
  evaluatedNodes: number;
  feasibleNodes: number;
  /** Only with `explain`: every feasible node's scores. */
  scores?: NodeScore[];
}

export type ScheduleResult = ScheduleSuccess | FitFailure | ScheduleError;

export interface FrameworkOptions {
  rng: Rng;
  plugins?: PluginSet;
  /**
   * Stop filtering once this percentage of the nodes is found feasible (at least 100 nodes);
   * 0: Kubernetes' adaptive default, 50% minus 1% per 125 nodes, at least 5%.
   */
  percentageOfNodesToScore?: number;
}

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** Kubernetes' numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * pct) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

/**
 * Kubernetes' FitError.Error() without the preemption sentence: the reasons of all nodes counted,
 * each "N reason", sorted as strings (sort.Strings: "10 x" before "2 y").
 */
export function fitErrorMessage(numAllNodes: number, nodeStatuses: Iterable<Status>, preFilterMessage?: string): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMessage) return `${msg} ${preFilterMessage}.`;
  const counts = new Map<string, number>();
  for (const s of nodeStatuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort(byteOrder);
  if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  return msg;
}

/** Go's string order (bytes of UTF-8); for the ASCII of reasons it is code-unit order. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Framework {
  readonly filters: readonly FilterPlugin[];
  readonly scorers: readonly ScorePlugin[];
  private readonly rng: Rng;
  private readonly percentage: number;
  private nextStartNodeIndex = 0;

  constructor(o: FrameworkOptions) {
    const plugins = o.plugins ?? defaultPlugins();
    this.filters = plugins.filters;
    this.scorers = plugins.scorers;
    this.rng = o.rng;
    this.percentage = o.percentageOfNodesToScore ?? 0;
  }

  /** Every plugin by name, for mapping events to the plugins that care. */
  plugins(): Array<FilterPlugin | ScorePlugin> {
    const seen = new Set<string>();
    const out: Array<FilterPlugin | ScorePlugin> = [];
    for (const p of [...this.filters, ...this.scorers]) {
      if (seen.has(p.name)) continue;
      seen.add(p.name);
      out.push(p);
    }
    return out;
  }

  schedule(pod: PodInfo, snapshot: Snapshot, opts: { explain?: boolean } = {}): ScheduleResult {
    try {
      return this.run(pod, snapshot, opts.explain ?? false);
    } catch (e) {
      return { ok: false, kind: 'error', message: `scheduling ${pod.key}: ${(e as Error).message}` };
    }
  }

  private run(pod: PodInfo, snapshot: Snapshot, explain: boolean): ScheduleResult {
    const all = snapshot.nodes;
    if (all.length === 0) {
      return { ok: false, kind: 'unschedulable', message: NO_NODES_AVAILABLE, numAllNodes: 0, nodeStatuses: new Map(), unschedulablePlugins: new Set() };
    }
    const ctx: CycleContext = { state: new CycleState(), snapshot };

    // PreFilter: skip what has nothing to check; a rejection here covers every node.
    const active: FilterPlugin[] = [];
    for (const p of this.filters) {
      const r = p.preFilter?.(ctx, pod);
      if (r === 'skip') continue;
      if (r !== undefined) {
        if (r.code === 'Error') return { ok: false, kind: 'error', message: `${p.name}: ${r.reasons.join(', ')}` };
        const statuses = new Map<string, Status>(all.map((n) => [n.name, r]));
        const preFilterMessage = r.reasons.join(', ');
        return {
          ok: false,
          kind: 'unschedulable',
          message: fitErrorMessage(all.length, [], preFilterMessage),
          numAllNodes: all.length,
          nodeStatuses: statuses,
          preFilterMessage,
          unschedulablePlugins: new Set([p.name]),
        };
      }
      active.push(p);
    }

    // Filter, round-robin from where the last cycle stopped, until enough nodes fit.
    const want = numFeasibleNodesToFind(all.length, this.percentage);
    const feasible: NodeInfo[] = [];
    const statuses = new Map<string, Status>();
    const start = this.nextStartNodeIndex % all.length;
    let processed = 0;
    for (let i = 0; i < all.length && feasible.length < want; i++) {
      const node = all[(start + i) % all.length]!;
      processed++;
      let rejected: Status | undefined;
      for (const p of active) {
        rejected = p.filter(ctx, pod, node);
        if (rejected) break;
      }
      if (!rejected) feasible.push(node);
      else if (rejected.code === 'Error') return { ok: false, kind: 'error', message: `${rejected.plugin}: ${rejected.reasons.join(', ')}` };
      else statuses.set(node.name, rejected);
    }
    this.nextStartNodeIndex = (start + processed) % all.length;

    if (feasible.length === 0) {
      const plugins = new Set<string>();
      for (const s of statuses.values()) plugins.add(s.plugin);
      return {
        ok: false,
        kind: 'unschedulable',
        message: fitErrorMessage(all.length, statuses.values()),
        numAllNodes: all.length,
        nodeStatuses: statuses,
        unschedulablePlugins: plugins,
      };
    }
    if (feasible.length === 1 && !explain) return { ok: true, nodeName: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: 1 };

    // Score: each plugin's scores normalized to 0..100, weighted, summed.
    const totals = new Array<number>(feasible.length).fill(0);
    const perPlugin: Record<string, number[]> = {};
    for (const p of this.scorers) {
      const r = p.preScore?.(ctx, pod, feasible);
      if (r === 'skip') continue;
      if (r !== undefined) return { ok: false, kind: 'error', message: `${p.name}: ${r.reasons.join(', ')}` };
      const scores = new Array<number>(feasible.length);
      for (let i = 0; i < feasible.length; i++) scores[i] = p.score(ctx, pod, feasible[i]!);
      p.normalizeScore?.(ctx, pod, scores);
      for (let i = 0; i < feasible.length; i++) totals[i]! += scores[i]! * p.weight;
      if (explain) perPlugin[p.name] = scores;
    }

    const chosen = this.selectHost(totals);
    const result: ScheduleSuccess = { ok: true, nodeName: feasible[chosen]!.name, evaluatedNodes: processed, feasibleNodes: feasible.length };
    if (explain) {
      result.scores = feasible.map((n, i) => ({
        node: n.name,
        total: totals[i]!,
        plugins: Object.fromEntries(Object.entries(perPlugin).map(([name, s]) => [name, s[i]!])),
      }));
    }
    return result;
  }

  /** The index of the highest total; among equal ones each is equally likely (reservoir sampling). */
  private selectHost(totals: readonly number[]): number {
    let best = 0;
    let max = totals[0]!;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      const t = totals[i]!;
      if (t > max) {
        max = t;
        best = i;
        ties = 1;
      } else if (t === max) {
        ties++;
        if (this.rng.int(ties) === 0) best = i;
      }
    }
    return best;
  }
}
