/**
 * The Deployment controller (Kubernetes' pkg/controller/deployment): one ReplicaSet per pod
 * template (named `<deployment>-<pod-template-hash>`, the hash also a label of its selector and
 * pods), moved between them by the strategy:
 *  - RollingUpdate: scale the new ReplicaSet up while the pods stay within replicas + maxSurge,
 *    scale old ones down while the available pods stay at least replicas − maxUnavailable;
 *  - Recreate: scale the old ones to zero, wait until their pods are gone, then scale up the new.
 * Scaling a Deployment in the middle of a rollout scales every ReplicaSet proportionally.
 * Revisions are annotations; a template equal to an old ReplicaSet's (a rollback, the
 * `kubectl rollout undo` way) re-uses that ReplicaSet with a new revision. Old ReplicaSets beyond
 * revisionHistoryLimit are deleted once scaled down. A paused Deployment only scales. Status:
 * replicas, updated, ready, available, unavailable, observedGeneration, and the conditions
 * Progressing (with progressDeadlineSeconds) and Available.
 */
import {
  type Deployment,
  type DeploymentStatus,
  type Pod,
  type ReplicaSet,
  controllerRef,
  jsonEqual,
  keyOf,
  labelSelectorMatches,
  selectorFromLabelSelector,
} from '@mk/api';
import { type DeletedFinalStateUnknown, deletedObject, isAlreadyExists, isNotFound, splitMetaNamespaceKey } from '@mk/client';
import { Controller } from '../../controller';
import type { ControllerContext, InformerLike } from '../../types';
import { claimObjects, recheckOwner } from '../../util/claims';
import { CONTROLLER_UID_INDEX, byControllerUid, ensureIndexes } from '../../util/indexes';
import { isNamespaceTerminating } from '../../util/pods';
import { parseTime } from '../../util/time';
import {
  POD_TEMPLATE_HASH_LABEL,
  REASONS,
  REVISION_ANNOTATION,
  actualReplicas,
  availableBound,
  availableReplicas,
  byCreation,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  filterActive,
  findActiveOrLatest,
  findNewReplicaSet,
  findOldReplicaSets,
  getDeploymentCondition,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  newRSNewReplicas,
  proportion,
  readyReplicas,
  removeDeploymentCondition,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  revisionOf,
  setDeploymentCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  templateHash,
} from './util';

export class DeploymentController extends Controller {
  private readonly dInformer: InformerLike<Deployment>;
  private readonly rsInformer: InformerLike<ReplicaSet>;
  private readonly podInformer: InformerLike<Pod>;

  constructor(ctx: ControllerContext) {
    super('deployment', ctx);
    this.dInformer = ctx.informers.informer<Deployment>('deployments');
    this.rsInformer = ctx.informers.informer<ReplicaSet>('replicasets');
    this.podInformer = ctx.informers.informer<Pod>('pods');
    ensureIndexes(this.rsInformer, { [CONTROLLER_UID_INDEX]: byControllerUid });
    ensureIndexes(this.podInformer, { [CONTROLLER_UID_INDEX]: byControllerUid });
    this.dInformer.addEventHandler({
      onAdd: (d) => this.enqueue(keyOf(d)),
      onUpdate: (_o, d) => this.enqueue(keyOf(d)),
      onDelete: (d) => this.enqueue(keyOf(deletedObject(d))),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.addReplicaSet(rs),
      onUpdate: (old, cur) => this.updateReplicaSet(old, cur),
      onDelete: (rs) => this.deleteReplicaSet(rs),
    });
    this.podInformer.addEventHandler({ onDelete: (p) => this.deletePod(p) });
  }

  informerResources(): readonly string[] {
    return ['deployments', 'replicasets', 'pods'];
  }

  // ---- event handlers ----

  private resolve(namespace: string | undefined, ref: { kind: string; name: string; uid: string } | undefined): Deployment | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dInformer.store.getByName(namespace ?? '', ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  private deploymentsFor(rs: ReplicaSet): Deployment[] {
    if (!rs.metadata.labels) return [];
    return this.dInformer.store.byIndex('namespace', rs.metadata.namespace ?? '').filter((d) => {
      try {
        return labelSelectorMatches(d.spec.selector, rs.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) return this.deleteReplicaSet(rs);
    const ref = controllerRef(rs);
    if (ref) {
      const d = this.resolve(rs.metadata.namespace, ref);
      if (d) this.enqueue(keyOf(d));
      return;
    }
    for (const d of this.deploymentsFor(rs)) this.enqueue(keyOf(d));
  }

  private updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = controllerRef(cur);
    const oldRef = controllerRef(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const d = this.resolve(old.metadata.namespace, oldRef);
      if (d) this.enqueue(keyOf(d));
    }
    if (curRef) {
      const d = this.resolve(cur.metadata.namespace, curRef);
      if (d) this.enqueue(keyOf(d));
      return;
    }
    const labelsChanged = !jsonEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.deploymentsFor(cur)) this.enqueue(keyOf(d));
  }

  private deleteReplicaSet(obj: ReplicaSet | DeletedFinalStateUnknown<ReplicaSet>): void {
    const rs = deletedObject(obj);
    const d = this.resolve(rs.metadata.namespace, controllerRef(rs));
    if (d) this.enqueue(keyOf(d));
  }

  /** A Recreate rollout waits for the old pods to be gone: their deletions move it on. */
  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = deletedObject(obj);
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.store.getByName(pod.metadata.namespace ?? '', ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.resolve(rs.metadata.namespace, controllerRef(rs));
    if (d && d.spec.strategy?.type === 'Recreate') this.enqueue(keyOf(d));
  }

  // ---- sync ----

  async sync(key: string): Promise<void> {
    const cached = this.dInformer.store.get(key);
    if (!cached) return;
    // A private, mutable copy: the cached object stays untouched.
    const d = structuredClone(cached) as Deployment;
    const sel = d.spec.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.ctx.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 1)) {
        await this.writeStatus(d, { ...(d.status ?? {}), observedGeneration: d.metadata.generation ?? 1 });
      }
      return;
    }
    const rsList = await this.replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(d, rsList, false);
      await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
      return;
    }
    await this.checkPausedConditions(d);
    if (d.spec.paused) return this.syncScale(d, rsList);
    if (await this.isScalingEvent(d, rsList)) return this.syncScale(d, rsList);
    if (d.spec.strategy?.type === 'Recreate') return this.rolloutRecreate(d, rsList);
    return this.rolloutRolling(d, rsList);
  }

  /** The Deployment's ReplicaSets: claimed (adopted/released) by its selector. */
  private async replicaSetsFor(d: Deployment): Promise<ReplicaSet[]> {
    const selector = selectorFromLabelSelector(d.spec.selector);
    const { namespace } = splitMetaNamespaceKey(keyOf(d));
    return claimObjects({
      owner: d,
      objects: this.rsInformer.store.byIndex('namespace', namespace),
      matches: (rs) => selector.matches(rs.metadata.labels),
      resource: 'replicasets',
      client: this.ctx.client,
      canAdopt: recheckOwner(this.ctx.client, 'deployments', d),
    });
  }

  private async allReplicaSetsAndSyncRevision(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.newReplicaSet(d, rsList, oldRSs, create);
    return { newRS, oldRSs };
  }

  /**
   * The ReplicaSet of the current template: found (its revision raised above every old one, its
   * annotations synced) or, when `create`, created; the Deployment's revision annotation follows.
   */
  private async newReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const now = this.clock.now();
    if (existing) {
      const copy = structuredClone(existing) as ReplicaSet;
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        const updated = await this.ctx.client.update<ReplicaSet>('replicasets', copy);
        // Later steps of this sync see what we wrote, not the cached version.
        const i = rsList.findIndex((rs) => rs.metadata.uid === updated.metadata.uid);
        if (i >= 0) rsList[i] = updated;
        return updated;
      }
      let statusChanged = false;
      const status: DeploymentStatus = structuredClone(d.status ?? {});
      if (hasProgressDeadline(d) && !getDeploymentCondition(d.status, 'Progressing')) {
        setDeploymentCondition(status, newCondition('Progressing', 'True', REASONS.foundNewRS, `Found new replica set "${copy.metadata.name ?? ''}"`, now));
        statusChanged = true;
      }
      await this.setRevision(d, copy.metadata.annotations?.[REVISION_ANNOTATION] ?? '');
      if (statusChanged) await this.writeStatus(d, status);
      return copy;
    }
    if (!create) return undefined;

    const hash = templateHash(d);
    const template = structuredClone(d.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name ?? ''}-${hash}`,
        namespace: d.metadata.namespace ?? 'default',
        labels: template.metadata.labels ?? {},
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.ctx.client.create<ReplicaSet>('replicasets', rs);
    } catch (e) {
      if (isAlreadyExists(e)) {
        // A slow cache (ours) or a hash collision (another template with the same hash).
        const found = this.rsInformer.store.getByName(rs.metadata.namespace ?? '', rs.metadata.name ?? '');
        // Not in the cache yet: look again when it is.
        if (!found) throw e;
        if (controllerRef(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, found.spec.template)) {
          created = found;
          alreadyExisted = true;
        } else {
          const status: DeploymentStatus = { ...structuredClone(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
          await this.writeStatus(d, status).catch(() => undefined);
          throw e;
        }
      } else if (isNamespaceTerminating(e)) {
        throw e; // nothing to report: the namespace and this Deployment are going away
      } else {
        const msg = `Failed to create new replica set "${rs.metadata.name ?? ''}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          const status: DeploymentStatus = structuredClone(d.status ?? {});
          setDeploymentCondition(status, newCondition('Progressing', 'False', REASONS.failedRSCreate, msg, now));
          await this.writeStatus(d, status).catch(() => undefined);
        }
        this.ctx.recorder.event(d, 'Warning', REASONS.failedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExisted && replicasOf(rs) > 0) {
      this.ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name ?? ''} from 0 to ${replicasOf(rs)}`);
    }
    await this.setRevision(d, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const status: DeploymentStatus = structuredClone(d.status ?? {});
      setDeploymentCondition(status, newCondition('Progressing', 'True', REASONS.newRSCreated, `Created new replica set "${created.metadata.name ?? ''}"`, now));
      await this.writeStatus(d, status);
    }
    return created;
  }

  /** The Deployment's revision annotation (a metadata write, conditional on the version we hold). */
  private async setRevision(d: Deployment, revision: string): Promise<void> {
    if (!revision || d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    const updated = await this.ctx.client.patch<Deployment>('deployments', d.metadata.namespace ?? '', d.metadata.name ?? '', {
      metadata: { resourceVersion: d.metadata.resourceVersion, annotations: { [REVISION_ANNOTATION]: revision } },
    });
    d.metadata = structuredClone(updated.metadata);
  }

  /** Writes `status` (with the version we hold); `d` then holds what the server answered. */
  private async writeStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    const updated = await this.ctx.client.updateStatus<Deployment>('deployments', { ...d, status });
    d.metadata = structuredClone(updated.metadata);
    d.status = structuredClone(updated.status ?? {});
  }

  private async checkPausedConditions(d: Deployment): Promise<void> {
    if (!hasProgressDeadline(d)) return;
    const cond = getDeploymentCondition(d.status, 'Progressing');
    if (cond?.reason === REASONS.timedOut) return;
    const pausedCond = cond?.reason === REASONS.paused;
    const status: DeploymentStatus = structuredClone(d.status ?? {});
    const now = this.clock.now();
    if (d.spec.paused && !pausedCond) {
      setDeploymentCondition(status, newCondition('Progressing', 'Unknown', REASONS.paused, 'Deployment is paused', now));
    } else if (!d.spec.paused && pausedCond) {
      setDeploymentCondition(status, newCondition('Progressing', 'Unknown', REASONS.resumed, 'Deployment is resumed', now));
    } else {
      return;
    }
    await this.writeStatus(d, status);
  }

  /** A change of spec.replicas only (the desired-replicas annotation of an active ReplicaSet differs). */
  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== replicasOf(d)) return true;
    }
    return false;
  }

  // ---- scaling (paused, or replicas changed) ----

  private async syncScale(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(d, rsList, false);
    await this.scale(d, newRS, oldRSs);
    if (d.spec.paused) await this.cleanup(d, oldRSs);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS, d);
  }

  /** Kubernetes' scale(): one active ReplicaSet takes all; otherwise proportionally, leftovers to the largest. */
  private async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const one = findActiveOrLatest(newRS, oldRSs);
    if (one) {
      if (replicasOf(one) !== replicasOf(d)) await this.scaleReplicaSetAndRecordEvent(one, replicasOf(d), d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await this.scaleReplicaSetAndRecordEvent(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = filterActive([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    const newer = (a: ReplicaSet, b: ReplicaSet) => byCreation(b, a);
    if (toAdd > 0) all.sort((a, b) => replicasOf(b) - replicasOf(a) || newer(a, b));
    else if (toAdd < 0) all.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(a, b));
    const sizes = new Map<string, number>();
    let added = 0;
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = proportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.name ?? '', replicasOf(rs) + p);
        added += p;
      } else {
        sizes.set(rs.metadata.name ?? '', replicasOf(rs));
      }
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i]!;
      const name = rs.metadata.name ?? '';
      if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, (sizes.get(name) ?? 0) + toAdd - added));
      await this.scaleReplicaSet(rs, sizes.get(name) ?? 0, d, toAdd > 0 ? 'up' : 'down');
    }
  }

  private async scaleReplicaSetAndRecordEvent(rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, d, newScale > replicasOf(rs) ? 'up' : 'down');
  }

  /** Sets spec.replicas and the replica annotations (an update guarded by the cached version). */
  private async scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment, op: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const sizeChanged = replicasOf(rs) !== newScale;
    const desired = replicasOf(d);
    const max = desired + maxSurge(d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const copy = structuredClone(rs) as ReplicaSet;
    copy.spec.replicas = newScale;
    setReplicasAnnotations(copy, desired, max);
    const updated = await this.ctx.client.update<ReplicaSet>('replicasets', copy);
    if (sizeChanged) this.ctx.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name ?? ''} from ${replicasOf(rs)} to ${newScale}`);
    return { scaled: sizeChanged, rs: updated };
  }

  // ---- RollingUpdate ----

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(d, rsList, true);
    if (!newRS) throw new Error('rolling update: no new ReplicaSet');
    const all = [...oldRSs, newRS];
    if (await this.reconcileNewReplicaSet(all, newRS, d)) return this.syncRolloutStatus(all, newRS, d);
    const { scaled, oldRSs: olds } = await this.reconcileOldReplicaSets(all, filterActive(oldRSs), newRS, d);
    if (scaled) return this.syncRolloutStatus([...olds, newRS], newRS, d);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(all, newRS, d);
  }

  private async reconcileNewReplicaSet(all: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
    if (replicasOf(newRS) === replicasOf(d)) return false;
    if (replicasOf(newRS) > replicasOf(d)) return (await this.scaleReplicaSetAndRecordEvent(newRS, replicasOf(d), d)).scaled;
    return (await this.scaleReplicaSetAndRecordEvent(newRS, newRSNewReplicas(d, all, newRS), d)).scaled;
  }

  private async reconcileOldReplicaSets(all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<{ scaled: boolean; oldRSs: ReplicaSet[] }> {
    if (specReplicas(oldRSs) === 0) return { scaled: false, oldRSs };
    const allPods = specReplicas(all);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = replicasOf(newRS) - Math.min(replicasOf(newRS), newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return { scaled: false, oldRSs };
    // Unhealthy old replicas go first: they are not available anyway, and would block the rollout.
    const cleaned = await this.cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown);
    const scaledDown = await this.scaleDownOldReplicaSetsForRollingUpdate([...cleaned.oldRSs, newRS], cleaned.oldRSs, d);
    return { scaled: cleaned.count + scaledDown > 0, oldRSs: cleaned.oldRSs };
  }

  private async cleanupUnhealthyReplicas(oldRSs: ReplicaSet[], d: Deployment, maxCleanup: number): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
    const sorted = [...oldRSs].sort(byCreation);
    let total = 0;
    for (let i = 0; i < sorted.length; i++) {
      const rs = sorted[i]!;
      if (total >= maxCleanup) break;
      const replicas = replicasOf(rs);
      const available = Math.min(replicas, rs.status?.availableReplicas ?? 0);
      if (replicas === 0 || replicas === available) continue;
      const down = Math.min(maxCleanup - total, replicas - available);
      const { rs: updated } = await this.scaleReplicaSetAndRecordEvent(rs, replicas - down, d);
      total += down;
      sorted[i] = updated;
    }
    return { oldRSs: sorted, count: total };
  }

  private async scaleDownOldReplicaSetsForRollingUpdate(all: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): Promise<number> {
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const available = availableBound(all);
    if (available <= minAvailable) return 0;
    const toScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= toScaleDown) break;
      if (replicasOf(rs) === 0) continue;
      const down = Math.min(replicasOf(rs), toScaleDown - total);
      await this.scaleReplicaSetAndRecordEvent(rs, replicasOf(rs) - down, d);
      total += down;
    }
    return total;
  }

  // ---- Recreate ----

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<void> {
    let { newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(d, rsList, false);
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      if ((await this.scaleReplicaSetAndRecordEvent(rs, 0, d)).scaled) scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus([...oldRSs, newRS], newRS, d);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus([...oldRSs, newRS], newRS, d);
    if (!newRS) ({ newRS, oldRSs } = await this.allReplicaSetsAndSyncRevision(d, rsList, true));
    if (newRS && replicasOf(newRS) !== replicasOf(d)) {
      const r = await this.scaleReplicaSetAndRecordEvent(newRS, replicasOf(d), d);
      newRS = r.rs;
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus([...oldRSs, newRS], newRS, d);
  }

  /** Any pod of an old ReplicaSet still there, terminating ones included (Recreate waits for them). */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    for (const rs of oldRSs) {
      if (rs.metadata.uid === newRS?.metadata.uid) continue;
      for (const p of this.podInformer.store.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid ?? '')) {
        const phase = p.status?.phase;
        if (phase !== 'Failed' && phase !== 'Succeeded') return true;
      }
    }
    return false;
  }

  // ---- history ----

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    const limit = d.spec.revisionHistoryLimit;
    if (limit === undefined) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 1) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.ctx.client.delete('replicasets', rs.metadata.namespace ?? '', rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid ?? '' } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- status ----

  private calculateStatus(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): DeploymentStatus {
    const available = availableReplicas(all);
    const total = specReplicas(all);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: actualReplicas(all),
      updatedReplicas: actualReplicas([newRS]),
      readyReplicas: readyReplicas(all),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
      ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
      conditions: [...(d.status?.conditions ?? [])],
    };
    const now = this.clock.now();
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setDeploymentCondition(status, newCondition('Available', 'True', REASONS.minAvailable, 'Deployment has minimum availability.', now));
    } else {
      setDeploymentCondition(status, newCondition('Available', 'False', REASONS.minUnavailable, 'Deployment does not have minimum availability.', now));
    }
    return status;
  }

  private async syncDeploymentStatus(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const status = this.calculateStatus(all, newRS, d);
    if (jsonEqual(d.status ?? {}, status)) return;
    await this.writeStatus(d, status);
  }

  /** Status plus the Progressing condition: progress, completion, or the deadline passed. */
  private async syncRolloutStatus(all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
    const status = this.calculateStatus(all, newRS, d);
    const now = this.clock.now();
    if (!hasProgressDeadline(d)) removeDeploymentCondition(status, 'Progressing');
    const current = getDeploymentCondition(d.status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === REASONS.newRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const rsName = newRS?.metadata.name;
      if (deploymentComplete(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata.name ?? ''}" has successfully progressed.`;
        setDeploymentCondition(status, newCondition('Progressing', 'True', REASONS.newRSAvailable, msg, now));
      } else if (deploymentProgressing(d, status)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name ?? ''}" is progressing.`;
        const cond = newCondition('Progressing', 'True', REASONS.rsUpdated, msg, now);
        if (current) {
          if (current.status === 'True' && current.lastTransitionTime) cond.lastTransitionTime = current.lastTransitionTime;
          removeDeploymentCondition(status, 'Progressing');
        }
        setDeploymentCondition(status, cond);
      } else if (deploymentTimedOut(d, status, now)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name ?? ''}" has timed out progressing.`;
        setDeploymentCondition(status, newCondition('Progressing', 'False', REASONS.timedOut, msg, now));
        this.ctx.recorder.event(d, 'Warning', REASONS.timedOut, msg);
      }
    }
    const failure = all.map((rs) => rs?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True')).find((c) => c !== undefined);
    if (failure) {
      setDeploymentCondition(status, { type: 'ReplicaFailure', status: 'True', reason: failure.reason ?? '', message: failure.message ?? '', lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime });
    } else {
      removeDeploymentCondition(status, 'ReplicaFailure');
    }
    if (jsonEqual(d.status ?? {}, status)) {
      this.requeueStuck(d, status);
      return;
    }
    await this.writeStatus(d, status);
  }

  /** A rollout without progress is looked at again when its deadline passes (no periodic resync needed). */
  private requeueStuck(d: Deployment, status: DeploymentStatus): void {
    const cond = getDeploymentCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, status) || cond.reason === REASONS.timedOut) return;
    const from = parseTime(cond.lastUpdateTime);
    if (from === undefined) return;
    const after = from + (d.spec.progressDeadlineSeconds ?? 600) * 1000 - this.clock.now();
    if (after < 1000) this.queue.addRateLimited(keyOf(d));
    else this.enqueueAfter(keyOf(d), after + 1000);
  }
}
