/**
 * Small helpers over metadata that every component needs: keys, owner references, conditions,
 * pod readiness. Pure: time comes in as a parameter.
 */
import { labelSelectorMatches } from './labels';
import { resourceForKind } from './registry';
import type { Condition, KubeObject, LabelSelector, ObjectReference, OwnerReference, Time } from './types/meta';
import type { Pod } from './types/pod';

/** `namespace/name`, or `name` for cluster-scoped objects (the informer/workqueue key). */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The key of an object: objectKey(metadata.namespace, metadata.name). */
export function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

/** The inverse of objectKey. */
export function splitObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The namespace for a namespaced kind when absent (`default`); cluster-scoped kinds get none. */
export function withDefaultNamespace<T extends KubeObject>(obj: T, namespace = 'default'): T {
  const namespaced = resourceForKind(obj.kind)?.namespaced ?? true;
  if (!namespaced || obj.metadata.namespace) return obj;
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

/** The owner reference marked `controller: true`, if any. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** True when `owner` (by uid) is the controller of `obj`. */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  const ref = controllerRef(obj);
  return ref !== undefined && owner.metadata.uid !== undefined && ref.uid === owner.metadata.uid;
}

/** An owner reference to `owner`; `controller` marks it as the managing controller. */
export function newOwnerRef(owner: KubeObject, controller = true): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    ...(controller ? { controller: true, blockOwnerDeletion: true } : {}),
  };
}

/** An ObjectReference to an object (Event.involvedObject, Endpoints' targetRef). */
export function objectReference(obj: KubeObject, fieldPath?: string): ObjectReference {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata.name ?? '',
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
    ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    ...(fieldPath ? { fieldPath } : {}),
  };
}

/** True when the labels of `obj` match a spec's selector (nil selector: false). */
export function labelsMatch(selector: LabelSelector | undefined, obj: KubeObject): boolean {
  return labelSelectorMatches(selector, obj.metadata.labels);
}

/** True once deletion has been requested (deletionTimestamp set). */
export function isBeingDeleted(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

// ---- conditions ----

export function getCondition<C extends Condition>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * The conditions with `cond` set (added or replaced), as a new array. lastTransitionTime moves to
 * `now` only when the status changes, as Kubernetes does; a caller-supplied one is kept.
 */
export function setCondition<C extends Condition>(conditions: readonly C[] | undefined, cond: C, now: Time): C[] {
  const list = conditions ? [...conditions] : [];
  const i = list.findIndex((c) => c.type === cond.type);
  const old = i >= 0 ? list[i] : undefined;
  const transition =
    cond.lastTransitionTime ?? (old && old.status === cond.status && old.lastTransitionTime ? old.lastTransitionTime : now);
  const next = { ...cond, lastTransitionTime: transition };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** The conditions without `type`, as a new array. */
export function removeCondition<C extends Condition>(conditions: readonly C[] | undefined, type: string): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

// ---- pods ----

/** True when the pod's Ready condition is True. */
export function podIsReady(pod: Pod): boolean {
  return getCondition(pod.status?.conditions, 'Ready')?.status === 'True';
}

/**
 * True when the pod has been Ready for at least `minReadySeconds` at `now` (ms since epoch), the
 * "available" of Deployments and ReplicaSets.
 */
export function podIsAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const ready = getCondition(pod.status?.conditions, 'Ready');
  if (ready?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = ready.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Succeeded or Failed: the pod will not run again. */
export function podIsTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Not terminal and not being deleted: counts towards a ReplicaSet's replicas. */
export function podIsActive(pod: Pod): boolean {
  return !podIsTerminal(pod) && !isBeingDeleted(pod);
}
