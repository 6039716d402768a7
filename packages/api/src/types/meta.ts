/**
 * The metadata every object carries (Kubernetes' meta/v1): TypeMeta, ObjectMeta, ListMeta, owner
 * references, label selectors. Field names and meanings are Kubernetes'.
 */

/** An RFC 3339 timestamp with second precision, e.g. "2024-05-01T12:00:00Z". */
export type Time = string;
/** An RFC 3339 timestamp with microsecond precision, e.g. "2024-05-01T12:00:00.000000Z". */
export type MicroTime = string;
/** A resource.Quantity in its string form ("100m", "128Mi"); decoding turns JSON numbers into strings. */
export type QuantityString = string;
/** An int-or-string value such as a port (8080 or "http") or a percentage ("25%"). */
export type IntOrString = number | string;
/** Resource name (cpu, memory, ephemeral-storage, storage, pods, ...) → quantity. */
export type ResourceList = Record<string, QuantityString>;
/** "True", "False" or "Unknown". */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface TypeMeta {
  apiVersion?: string;
  kind?: string;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** True for the one owner that manages this object (its controller). */
  controller?: boolean;
  /** Foreground deletion of the owner waits for this object to be gone. */
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  /** Prefix for a server-generated name, used when `name` is empty. */
  generateName?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  /** Opaque to clients; mk uses the store's mod_revision. */
  resourceVersion?: string;
  /** Incremented by the server on every change of the desired state (spec). */
  generation?: number;
  creationTimestamp?: Time;
  deletionTimestamp?: Time;
  deletionGracePeriodSeconds?: number;
  /** Accepted (manifests exported from Kubernetes carry it) but not maintained by mk. */
  managedFields?: unknown[];
  /** Deprecated in Kubernetes; accepted and ignored. */
  selfLink?: string;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  selfLink?: string;
}

/** The common shape of every stored object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: LabelSelectorOperator;
  values?: string[];
}

/** A structured label selector as written in specs; see labels.ts for matching. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** A reference to an object, as in Event.involvedObject and Endpoints' targetRef. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface LocalObjectReference {
  name?: string;
}

/** A kind-agnostic condition, the common part of every kind's condition type. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}
