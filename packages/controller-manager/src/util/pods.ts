/** Pod helpers shared by the workload controllers (Kubernetes' pkg/controller/controller_utils.go). */
import { type KubeObject, type Pod, type PodTemplateSpec, getCondition, keyOf, newOwnerRef, podIsActive, podIsReady } from '@mk/api';
import { ApiError } from '@mk/client';
import { parseTime } from './time';

/** The annotation that lets users say which pods of a ReplicaSet go first (lower cost first). */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * The API server refusing a create because the namespace is being deleted (Kubernetes'
 * NamespaceTerminatingCause): controllers treat it as nothing to do rather than a failure.
 */
export function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof ApiError && e.reason === 'Forbidden' && /because it is being terminated/.test(e.message);
}

/** Pods that count towards replicas: not terminal, not being deleted. */
export function filterActivePods(pods: readonly Pod[]): Pod[] {
  return pods.filter(podIsActive);
}

export function podKey(pod: Pod): string {
  return keyOf(pod);
}

/** A new pod from a controller's template, owned by it (generateName `<owner>-`). */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject): Pod {
  const t = structuredClone(template);
  const name = owner.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${name}-`,
      namespace: owner.metadata.namespace ?? 'default',
      ...(t.metadata?.labels ? { labels: t.metadata.labels } : {}),
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ...(t.metadata?.finalizers ? { finalizers: t.metadata.finalizers } : {}),
      ownerReferences: [newOwnerRef(owner)],
    },
    spec: t.spec,
  };
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: Pod): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0;
}

function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^-?[0-9]+$/.test(v)) return 0;
  return Number(v);
}

function readySince(pod: Pod): number | undefined {
  const c = getCondition(pod.status?.conditions, 'Ready');
  return c?.status === 'True' ? parseTime(c.lastTransitionTime) : undefined;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
}

/** "Empty or later": an unknown time counts as the newest. */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/**
 * Kubernetes' ActivePodsWithRanks.Less: true when `a` should be deleted before `b`.
 * 1. unscheduled < scheduled; 2. Pending < Unknown < Running; 3. not ready < ready;
 * 4. lower pod-deletion-cost first; 5. more siblings on the same node (rank) first;
 * 6. ready for less time first; 7. more container restarts first; 8. newer first.
 */
export function deleteBefore(a: Pod, b: Pod, rankA = 0, rankB = 0): boolean {
  const na = a.spec.nodeName ?? '';
  const nb = b.spec.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  if (phaseOrdinal(a) !== phaseOrdinal(b)) return phaseOrdinal(a) < phaseOrdinal(b);
  if (podIsReady(a) !== podIsReady(b)) return !podIsReady(a);
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) < deletionCost(b);
  if (rankA !== rankB) return rankA > rankB;
  if (podIsReady(a) && podIsReady(b)) {
    const ra = readySince(a);
    const rb = readySince(b);
    if (ra !== rb) return afterOrZero(ra, rb);
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(a) > maxRestarts(b);
  const ca = parseTime(a.metadata.creationTimestamp);
  const cb = parseTime(b.metadata.creationTimestamp);
  if (ca !== cb) return afterOrZero(ca, cb);
  return false;
}

/**
 * The `n` pods to delete first (Kubernetes' getPodsToDelete): ranked by how many pods of the same
 * family (`related`, e.g. every ReplicaSet of one Deployment) share their node, then by deleteBefore.
 */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], n: number): Pod[] {
  if (n >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!podIsActive(p) || !p.spec.nodeName) continue;
    onNode.set(p.spec.nodeName, (onNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  const rank = (p: Pod) => (p.spec.nodeName ? (onNode.get(p.spec.nodeName) ?? 0) : 0);
  const ranked = pods.map((p, i) => ({ p, r: rank(p), i }));
  ranked.sort((x, y) => (deleteBefore(x.p, y.p, x.r, y.r) ? -1 : deleteBefore(y.p, x.p, y.r, x.r) ? 1 : x.i - y.i));
  return ranked.slice(0, n).map((x) => x.p);
}
