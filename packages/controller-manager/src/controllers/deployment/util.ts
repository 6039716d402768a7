/**
 * Kubernetes' pkg/controller/deployment/util: revisions, replica arithmetic of rolling updates,
 * conditions, the pod-template hash. Pure functions over Deployments and their ReplicaSets.
 */
import { type Deployment, type DeploymentCondition, type DeploymentStatus, type PodTemplateSpec, type ReplicaSet, resolveFenceposts } from '@mk/api';
import { computeHash } from '../../util/hash';
import { semanticEqual } from '../../util/semantic';
import { parseTime, rfc3339 } from '../../util/time';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Longest revision-history annotation kept (Kubernetes' default). */
export const MAX_REV_HISTORY_CHARS = 2000;

// Progressing reasons and the Available ones, as Kubernetes names them.
export const REASONS = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
} as const;

const ANNOTATIONS_NOT_COPIED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

export function replicasOf(o: { spec: { replicas?: number } }): number {
  return o.spec.replicas ?? 1;
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicasOf(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return Math.min(replicas, resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', replicas).unavailable);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== 2147483647;
}

export function revisionOf(rs: { metadata: { annotations?: Record<string, string> } }): number {
  const v = rs.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || !/^[0-9]+$/.test(v)) return 0;
  return Number(v);
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

function withoutHash(t: PodTemplateSpec): PodTemplateSpec {
  const c = structuredClone(t);
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return c;
}

/** Two templates equal but for the pod-template-hash label (Kubernetes' EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return semanticEqual(withoutHash(a), withoutHash(b));
}

export function templateHash(d: Deployment): string {
  return computeHash(d.spec.template, d.status?.collisionCount);
}

export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = parseTime(a.metadata.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/** The oldest ReplicaSet whose template is the Deployment's (there should be one at most). */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet[] {
  const n = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs.metadata.uid !== n?.metadata.uid);
}

export function filterActive(rss: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => rs !== undefined && replicasOf(rs) > 0);
}

/** Σ spec.replicas (GetReplicaCountForReplicaSets). */
export function specReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
}

/** Σ status.replicas (GetActualReplicaCountForReplicaSets). */
export function actualReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

export function readyReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

export function availableReplicas(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/**
 * Pods a ReplicaSet has or is about to have: the larger of what it wants and what it last
 * reported. Used where Kubernetes uses spec.replicas alone to bound the surge: a ReplicaSet just
 * scaled down still has its pods until its controller has deleted them, and counting them keeps
 * the pods that exist at any moment within replicas + maxSurge.
 */
export function podsBound(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? Math.max(replicasOf(rs), rs.status?.replicas ?? 0) : 0), 0);
}

/**
 * Pods a ReplicaSet can be counted on for: at most what it reported available, and at most what
 * it will keep (a ReplicaSet scaled down reports its doomed pods as available until its
 * controller has caught up). Used where Kubernetes uses status.availableReplicas to allow a
 * scale-down, so the available pods never drop below replicas − maxUnavailable.
 */
export function availableBound(rss: readonly (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? Math.min(replicasOf(rs), rs.status?.availableReplicas ?? 0) : 0), 0);
}

/** How many replicas the new ReplicaSet may have now (NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: readonly (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = podsBound(allRSs);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + Math.max(0, up);
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const v = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  const v = rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

/** Sets desired-replicas and max-replicas on a (mutable) ReplicaSet; true when they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  const changed = a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
  a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
  a[MAX_REPLICAS_ANNOTATION] = String(max);
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/**
 * The new ReplicaSet's annotations (SetNewReplicaSetAnnotations): the Deployment's own (but
 * kubectl's and the controller's), the revision raised to `newRevision` when lower — keeping the
 * revision it had in revision-history, which is how a rollback shows — and, for a ReplicaSet
 * about to be created, the replica annotations. Mutates `rs`; true when anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = false;
  const a = (rs.metadata.annotations ??= {});
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const old = a[REVISION_ANNOTATION];
  let oldRevision = 0;
  if (old !== undefined && old !== '') {
    if (!/^[0-9]+$/.test(old)) return changed;
    oldRevision = Number(old);
  }
  if (oldRevision < newRevision) {
    a[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    if (old !== undefined && old !== '') {
      const history = a[REVISION_HISTORY_ANNOTATION] ?? '';
      let list = history === '' ? [] : history.split(',');
      list.push(old);
      while (list.join(',').length > MAX_REV_HISTORY_CHARS && list.length > 1) list = list.slice(1);
      a[REVISION_HISTORY_ANNOTATION] = list.join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** True when the new ReplicaSet has all the replicas and they are available (IsSaturated). */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  return replicasOf(rs) === replicasOf(d) && desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}

/** The one active ReplicaSet, or the newest when none is active (FindActiveOrLatest). */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort(byCreation).reverse();
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The change a proportional scale gives `rs` (GetProportion). */
export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const maxNow = replicasOf(d) + maxSurge(d);
  let before = maxReplicasAnnotation(rs);
  if (!before) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  return Math.round((replicasOf(rs) * maxNow) / before) - replicasOf(rs);
}

// ---- conditions ----

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getDeploymentCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** SetDeploymentCondition: no change for the same status and reason; the transition time kept for the same status. */
export function setDeploymentCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getDeploymentCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = { ...cond };
  if (cur && cur.status === cond.status && cur.lastTransitionTime) next.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeDeploymentCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

/** The rollout is done: every replica updated and available, and this generation observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const r = replicasOf(d);
  return s.updatedReplicas === r && s.replicas === r && s.availableReplicas === r && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1);
}

/** Some progress since the status last written: more updated, fewer old, more ready or available. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** No progress for progressDeadlineSeconds since the Progressing condition last moved. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getDeploymentCondition(s, 'Progressing');
  if (!cond) return false;
  if (cond.reason === REASONS.newRSAvailable) return false;
  if (cond.reason === REASONS.timedOut) return true;
  const from = parseTime(cond.lastUpdateTime);
  if (from === undefined) return false;
  return from + (d.spec.progressDeadlineSeconds ?? 600) * 1000 < now;
}
