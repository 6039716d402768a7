/**
 * The ReplicaSet controller (Kubernetes' pkg/controller/replicaset): keeps `spec.replicas` active
 * pods matching the selector. It adopts matching orphans and releases pods whose labels stopped
 * matching; creates missing pods from the template in slow-start batches (1, 2, 4, …) and deletes
 * surplus ones in Kubernetes' preference order; expectations keep a sync that runs before the
 * cache has caught up from creating or deleting twice. Status: replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas (Ready for minReadySeconds), observedGeneration, and a
 * ReplicaFailure condition while creates or deletes fail.
 */
import {
  type Pod,
  type ReplicaSet,
  type ReplicaSetStatus,
  controllerRef,
  getCondition,
  jsonEqual,
  keyOf,
  labelSelectorMatches,
  podIsAvailable,
  podIsReady,
  removeCondition,
  selectorFromLabelSelector,
  selectorFromSet,
  setCondition,
} from '@mk/api';
import { type DeletedFinalStateUnknown, deletedObject, isConflict, isNotFound, splitMetaNamespaceKey } from '@mk/client';
import { Controller } from '../controller';
import { ControllerExpectations } from '../expectations';
import type { ControllerContext, InformerLike } from '../types';
import { slowStartBatch } from '../util/batch';
import { claimObjects, recheckOwner } from '../util/claims';
import { CONTROLLER_UID_INDEX, byControllerUid, ensureIndexes } from '../util/indexes';
import { filterActivePods, isNamespaceTerminating, podFromTemplate, podKey, podsToDelete } from '../util/pods';
import { rfc3339 } from '../util/time';

export interface ReplicaSetControllerOptions {
  /** At most this many creates or deletes per sync (Kubernetes: 500). */
  burstReplicas?: number;
  /** The first slow-start batch (Kubernetes: 1). */
  slowStartInitialBatchSize?: number;
}

export class ReplicaSetController extends Controller {
  readonly expectations: ControllerExpectations;
  private readonly rsInformer: InformerLike<ReplicaSet>;
  private readonly podInformer: InformerLike<Pod>;
  private readonly burst: number;
  private readonly initialBatch: number;

  constructor(ctx: ControllerContext, opts: ReplicaSetControllerOptions = {}) {
    super('replicaset', ctx);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.burst = opts.burstReplicas ?? 500;
    this.initialBatch = opts.slowStartInitialBatchSize ?? 1;
    this.rsInformer = ctx.informers.informer<ReplicaSet>('replicasets');
    this.podInformer = ctx.informers.informer<Pod>('pods');
    ensureIndexes(this.rsInformer, { [CONTROLLER_UID_INDEX]: byControllerUid });
    ensureIndexes(this.podInformer, { [CONTROLLER_UID_INDEX]: byControllerUid });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.enqueue(keyOf(rs)),
      onUpdate: (_old, rs) => this.enqueue(keyOf(rs)),
      onDelete: (obj) => {
        const key = keyOf(deletedObject(obj));
        this.expectations.delete(key);
        this.enqueue(key);
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, cur) => this.updatePod(old, cur),
      onDelete: (obj) => this.deletePod(obj),
    });
  }

  informerResources(): readonly string[] {
    return ['replicasets', 'pods'];
  }

  // ---- event handlers ----

  /** The ReplicaSet a controller reference points at, if the cache has it (same uid). */
  private resolve(namespace: string | undefined, ref: { kind: string; name: string; uid: string } | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsInformer.store.getByName(namespace ?? '', ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (candidates to adopt an orphan). */
  private replicaSetsFor(pod: Pod): ReplicaSet[] {
    if (!pod.metadata.labels) return [];
    return this.rsInformer.store.byIndex('namespace', pod.metadata.namespace ?? '').filter((rs) => {
      try {
        return labelSelectorMatches(rs.spec.selector, pod.metadata.labels);
      } catch {
        return false;
      }
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      this.deletePod(pod);
      return;
    }
    const ref = controllerRef(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(keyOf(rs));
      return;
    }
    for (const rs of this.replicaSetsFor(pod)) this.enqueue(keyOf(rs));
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = !jsonEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerRef(cur);
    const oldRef = controllerRef(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata.namespace, oldRef);
      if (rs) this.enqueue(keyOf(rs));
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata.namespace, curRef);
      if (!rs) return;
      this.enqueue(keyOf(rs));
      const minReady = rs.spec.minReadySeconds ?? 0;
      if (minReady > 0 && !podIsReady(old) && podIsReady(cur)) this.enqueueAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.replicaSetsFor(cur)) this.enqueue(keyOf(rs));
  }

  private deletePod(obj: Pod | DeletedFinalStateUnknown<Pod>): void {
    const pod = deletedObject(obj);
    const rs = this.resolve(pod.metadata.namespace, controllerRef(pod));
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), podKey(pod));
    this.enqueue(keyOf(rs));
  }

  // ---- sync ----

  async sync(key: string): Promise<void> {
    const rs = this.rsInformer.store.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    let selector;
    try {
      selector = selectorFromLabelSelector(rs.spec.selector);
    } catch (e) {
      this.log.warn('invalid selector; ignoring the ReplicaSet', { key, error: (e as Error).message });
      return;
    }
    const { namespace } = splitMetaNamespaceKey(key);
    const active = filterActivePods(this.podInformer.store.byIndex('namespace', namespace));
    const pods = await claimObjects({
      owner: rs,
      objects: active,
      matches: (p) => selector.matches(p.metadata.labels),
      resource: 'pods',
      client: this.ctx.client,
      canAdopt: recheckOwner(this.ctx.client, 'replicasets', rs),
    });
    let manageError: unknown;
    let deleted = new Set<string>();
    if (needsSync && !rs.metadata.deletionTimestamp) {
      const r = await this.manageReplicas(pods, rs);
      manageError = r.error;
      deleted = r.deleted;
    }
    // Status counts the pods left: those just deleted are no longer replicas (their deletion is
    // visible to everyone before this status is), so nobody reads this status as more available
    // than it is.
    const remaining = pods.filter((p) => !deleted.has(podKey(p)));
    const status = this.calculateStatus(rs, remaining, manageError, pods.length);
    const updated = await this.updateStatus(rs, status);
    const minReady = rs.spec.minReadySeconds ?? 0;
    const replicas = rs.spec.replicas ?? 1;
    if (manageError === undefined && minReady > 0 && updated.status?.readyReplicas === replicas && updated.status?.availableReplicas !== replicas) {
      this.enqueueAfter(key, minReady * 1000);
    }
    if (manageError !== undefined) throw manageError;
  }

  /** Creates or deletes pods; returns the keys of pods it deleted and the first error. */
  private async manageReplicas(pods: Pod[], rs: ReplicaSet): Promise<{ deleted: Set<string>; error?: unknown }> {
    const key = keyOf(rs);
    const replicas = rs.spec.replicas ?? 1;
    let diff = pods.length - replicas;
    const deleted = new Set<string>();
    if (diff < 0) {
      diff = Math.min(-diff, this.burst);
      this.expectations.expectCreations(key, diff);
      this.log.debug('too few replicas', { key, need: replicas, creating: diff });
      let refused = 0;
      const { successes, error } = await slowStartBatch(diff, this.initialBatch, async () => {
        const pod = podFromTemplate(rs.spec.template, rs);
        try {
          const created = await this.ctx.client.create<Pod>('pods', pod);
          this.ctx.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
        } catch (e) {
          // The namespace is being deleted: every create will be refused, and that is fine.
          if (isNamespaceTerminating(e)) {
            refused++;
            return;
          }
          this.ctx.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
          throw e;
        }
      });
      // Pods never created will never be observed.
      for (let i = successes - refused; i < diff; i++) this.expectations.creationObserved(key);
      return error === undefined ? { deleted } : { deleted, error };
    }
    if (diff > 0) {
      diff = Math.min(diff, this.burst);
      const victims = podsToDelete(pods, this.relatedPods(rs), diff);
      this.log.debug('too many replicas', { key, need: replicas, deleting: diff });
      this.expectations.expectDeletions(key, victims.map(podKey));
      let error: unknown;
      await Promise.all(
        victims.map(async (p) => {
          try {
            await this.ctx.client.delete('pods', p.metadata.namespace ?? '', p.metadata.name ?? '', { preconditions: { uid: p.metadata.uid ?? '' } });
            deleted.add(podKey(p));
            this.ctx.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name ?? ''}`);
          } catch (e) {
            // No event will come for a pod we failed to delete.
            this.expectations.deletionObserved(key, podKey(p));
            if (isNotFound(e)) {
              deleted.add(podKey(p));
              return;
            }
            this.ctx.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
            error ??= e;
          }
        }),
      );
      return error === undefined ? { deleted } : { deleted, error };
    }
    return { deleted };
  }

  /** Pods of every ReplicaSet sharing this one's controller (a Deployment's family), for ranking. */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const owner = controllerRef(rs);
    const family = owner ? this.rsInformer.store.byIndex(CONTROLLER_UID_INDEX, owner.uid) : [rs];
    return family.flatMap((r) => this.podInformer.store.byIndex(CONTROLLER_UID_INDEX, r.metadata.uid ?? ''));
  }

  private calculateStatus(rs: ReplicaSet, pods: Pod[], manageError: unknown, podsBefore: number): ReplicaSetStatus {
    const now = this.clock.now();
    const minReady = rs.spec.minReadySeconds ?? 0;
    const templateLabels = selectorFromSet(rs.spec.template.metadata?.labels);
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const p of pods) {
      if (templateLabels.matches(p.metadata.labels)) fullyLabeled++;
      if (podIsReady(p)) {
        ready++;
        if (podIsAvailable(p, minReady, now)) available++;
      }
    }
    let conditions = rs.status?.conditions;
    const failure = getCondition(conditions, 'ReplicaFailure');
    if (manageError !== undefined && !failure) {
      const diff = podsBefore - (rs.spec.replicas ?? 1);
      const reason = diff < 0 ? 'FailedCreate' : 'FailedDelete';
      conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason, message: (manageError as Error).message ?? String(manageError) }, rfc3339(now));
    } else if (manageError === undefined && failure) {
      conditions = removeCondition(conditions, 'ReplicaFailure');
    }
    return {
      replicas: pods.length,
      fullyLabeledReplicas: fullyLabeled,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: rs.metadata.generation ?? 1,
      ...(conditions && conditions.length > 0 ? { conditions } : {}),
    };
  }

  /** Writes the status when it changed; on a Conflict reads the object again and retries once. */
  private async updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    if (jsonEqual(rs.status ?? {}, status)) return rs;
    const write = (base: ReplicaSet) => this.ctx.client.updateStatus<ReplicaSet>('replicasets', { ...base, status });
    try {
      return await write(rs);
    } catch (e) {
      if (isNotFound(e)) return rs;
      if (!isConflict(e)) throw e;
      const fresh = await this.ctx.client.get<ReplicaSet>('replicasets', rs.metadata.namespace ?? '', rs.metadata.name ?? '');
      if (fresh.metadata.uid !== rs.metadata.uid) return rs;
      return write({ ...fresh, status: { ...status, observedGeneration: Math.min(status.observedGeneration ?? 0, fresh.metadata.generation ?? 1) } });
    }
  }
}
