import type { KubeObject, ResourceInfo } from '@mk/api';
import { jsonEqual } from '@mk/api';

/**
 * Per-kind rules the registry applies around every write — Kubernetes' "REST strategies" — as
 * pure functions of the objects and the time, so they are tested without a store.
 */

type Obj = KubeObject & { spec?: unknown; status?: unknown };

/** Kinds whose status a client may set on create (the kubelet registers a Node with its status). */
const STATUS_KEPT_ON_CREATE = new Set(['Node', 'Event']);

/** The status a fresh object starts with, when the server decides it. */
function initialStatus(kind: string): unknown {
  switch (kind) {
    case 'Pod':
      return { phase: 'Pending' };
    case 'Namespace':
      return { phase: 'Active' };
    case 'PersistentVolumeClaim':
      return { phase: 'Pending' };
    case 'PersistentVolume':
      return { phase: 'Pending' };
    default:
      return undefined;
  }
}

/** The desired state: everything but metadata and status (what `generation` counts changes of). */
export function desiredState(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o as Obj & Record<string, unknown>;
  return rest;
}

export interface CreateContext {
  now: string;
  uid: string;
  /** Random suffix for generateName (5 chars, Kubernetes' alphabet). */
  suffix: string;
}

/** Server-set fields on create: uid, timestamps, generation, the server's initial status. */
export function prepareForCreate(r: ResourceInfo, o: KubeObject, ctx: CreateContext): KubeObject {
  const metadata = { ...o.metadata };
  if (!metadata.name && metadata.generateName) metadata.name = `${metadata.generateName}${ctx.suffix}`;
  metadata.uid = ctx.uid;
  metadata.creationTimestamp = ctx.now;
  metadata.generation = 1;
  delete metadata.resourceVersion;
  delete metadata.deletionTimestamp;
  delete metadata.deletionGracePeriodSeconds;
  delete metadata.selfLink;
  delete metadata.managedFields;
  if (!r.namespaced) delete metadata.namespace;
  const out: Obj = { ...(o as Obj), metadata };
  if (r.hasStatus && !STATUS_KEPT_ON_CREATE.has(r.kind)) {
    const status = initialStatus(r.kind);
    if (status === undefined) delete out.status;
    else out.status = status;
  }
  return out;
}

/**
 * Merges a client's update onto the stored object. The main resource cannot change status (when
 * the kind has a status subresource); the status subresource changes only status. Identity and
 * server-owned metadata are kept; generation is bumped when the desired state changed.
 */
export function prepareForUpdate(r: ResourceInfo, old: KubeObject, incoming: KubeObject, subresource: '' | 'status'): KubeObject {
  let next: Obj;
  if (subresource === 'status') {
    next = { ...(old as Obj), status: (incoming as Obj).status };
    if ((incoming as Obj).status === undefined) delete next.status;
  } else {
    next = { ...(incoming as Obj) };
    if (r.hasStatus) {
      if ((old as Obj).status === undefined) delete next.status;
      else next.status = (old as Obj).status;
    }
    next.metadata = {
      ...incoming.metadata,
      name: old.metadata.name,
      uid: old.metadata.uid,
      creationTimestamp: old.metadata.creationTimestamp,
      generation: old.metadata.generation ?? 1,
    };
    if (old.metadata.namespace !== undefined) next.metadata.namespace = old.metadata.namespace;
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (old.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = old.metadata[k] as never;
    }
    delete next.metadata.resourceVersion;
    delete next.metadata.managedFields;
    delete next.metadata.selfLink;
    if (!jsonEqual(desiredState(old), desiredState(next))) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
  }
  return next;
}

/** True when `a` and `b` are the same stored state (an update that changes nothing writes nothing). */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return jsonEqual(strip(a), strip(b));
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';
/** The namespace finalizer: contents are being removed (spec.finalizers of a Namespace). */
export const NAMESPACE_FINALIZER = 'kubernetes';

export interface DeleteContext {
  now: Date;
  propagationPolicy: PropagationPolicy;
  /** -1: the object's own; 0: now. */
  gracePeriodSeconds: number;
}

export type DeleteDecision = { action: 'delete' } | { action: 'update'; object: KubeObject } | { action: 'none' };

/**
 * What a delete does to `o`: remove it now, or mark it (deletionTimestamp) and leave the rest to
 * whoever holds a finalizer — the garbage collector (foreground/orphan), the kubelet (a running
 * pod's graceful termination), the namespace finalizer.
 */
export function decideDelete(r: ResourceInfo, o: KubeObject, ctx: DeleteContext): DeleteDecision {
  const finalizers = [...(o.metadata.finalizers ?? [])];
  const addFinalizer = (f: string) => {
    if (!finalizers.includes(f)) finalizers.push(f);
  };
  if (ctx.propagationPolicy === 'Foreground') addFinalizer(FOREGROUND_FINALIZER);
  if (ctx.propagationPolicy === 'Orphan') addFinalizer(ORPHAN_FINALIZER);

  let grace = 0;
  if (r.kind === 'Pod') grace = podGracePeriod(o, ctx.gracePeriodSeconds);
  const namespaceTerminating = r.kind === 'Namespace';

  if (finalizers.length === 0 && grace === 0 && !namespaceTerminating) return { action: 'delete' };

  const meta: KubeObject['metadata'] = { ...o.metadata };
  if (finalizers.length > 0) meta.finalizers = finalizers;
  else delete meta.finalizers;
  const already = o.metadata.deletionTimestamp !== undefined;
  if (!already || (r.kind === 'Pod' && grace < (o.metadata.deletionGracePeriodSeconds ?? Infinity))) {
    // A shorter grace period moves the deadline closer; a longer one never extends it.
    meta.deletionTimestamp = rfc3339(new Date(ctx.now.getTime() + grace * 1000));
    meta.deletionGracePeriodSeconds = grace;
  }
  const out: Obj = { ...(o as Obj), metadata: meta };
  if (namespaceTerminating) {
    out.spec = { ...((o as Obj).spec as object), finalizers: [NAMESPACE_FINALIZER] };
    out.status = { ...((o as Obj).status as object), phase: 'Terminating' };
  }
  if (already && jsonEqual(out, o)) return { action: 'none' };
  return { action: 'update', object: out };
}

/**
 * A pod on a node gets its grace period (its own terminationGracePeriodSeconds, or the one asked
 * for) so the kubelet can stop it; a pod on no node, or already finished, goes at once.
 */
function podGracePeriod(o: KubeObject, requested: number): number {
  const pod = o as Obj & { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
  if (!pod.spec?.nodeName) return 0;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  if (requested >= 0) return requested;
  return pod.spec.terminationGracePeriodSeconds ?? 30;
}

/**
 * After an update of an object being deleted: it goes once nothing holds it any more (no
 * finalizers, no namespace finalizer, and for a pod, a zero grace period left).
 */
export function readyToRemove(r: ResourceInfo, o: KubeObject): boolean {
  if (o.metadata.deletionTimestamp === undefined) return false;
  if ((o.metadata.finalizers ?? []).length > 0) return false;
  if (r.kind === 'Namespace' && ((((o as Obj).spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length ?? 0) > 0) return false;
  if (r.kind === 'Pod' && (o.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
  return true;
}

/** Kubernetes' timestamps: RFC 3339, UTC, whole seconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
