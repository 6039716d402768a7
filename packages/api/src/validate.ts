/**
 * validateObject / validateUpdate / validateStatusUpdate: every field error of an object, in
 * Kubernetes' message shapes. Run on decoded and defaulted objects (the API server's order:
 * decode → default → validate). The schema supplies required fields and enumerations; the
 * per-kind validators in validation/ the rest.
 */
import { MkError, ErrorCode } from '@mk/shared';
import { type FieldError, ValidationError } from './errors';
import { FieldPath } from './field-path';
import { resourceForKind } from './registry';
import { schemaForKind } from './schema';
import type { AnyObject, KindMap, KindName } from './types';
import { type Errs, dnsSubdomain, type NameFn, validateObjectMeta, validateObjectMetaUpdate } from './validation/common';
import * as core from './validation/core';
import { validateWithSchema } from './validation/generic';
import { isDNS1035Label, isDNS1123Label } from './validation/names';
import { validatePod, validatePodUpdate } from './validation/pod';
import * as workloads from './validation/workloads';

type CreateValidators = { readonly [K in KindName]?: (obj: KindMap[K]) => Errs };
type UpdateValidators = { readonly [K in KindName]?: (oldObj: KindMap[K], newObj: KindMap[K]) => Errs };

const nameFns: { readonly [K in KindName]?: NameFn } = {
  Namespace: isDNS1123Label,
  Service: isDNS1035Label,
};

const createValidators: CreateValidators = {
  Pod: validatePod,
  Service: core.validateService,
  Endpoints: core.validateEndpoints,
  ConfigMap: core.validateConfigMap,
  Secret: core.validateSecret,
  Node: core.validateNode,
  Event: core.validateEvent,
  PersistentVolume: core.validatePersistentVolume,
  PersistentVolumeClaim: core.validatePersistentVolumeClaim,
  Deployment: workloads.validateDeployment,
  ReplicaSet: workloads.validateReplicaSet,
  DaemonSet: workloads.validateDaemonSet,
  StatefulSet: workloads.validateStatefulSet,
  Job: workloads.validateJob,
  CronJob: workloads.validateCronJob,
  HorizontalPodAutoscaler: workloads.validateHorizontalPodAutoscaler,
  Lease: workloads.validateLease,
};

const updateValidators: UpdateValidators = {
  Pod: validatePodUpdate,
  Service: core.validateServiceUpdate,
  ConfigMap: core.validateConfigMapUpdate,
  Secret: core.validateSecretUpdate,
  Node: core.validateNodeUpdate,
  PersistentVolume: core.validatePersistentVolumeUpdate,
  PersistentVolumeClaim: core.validatePersistentVolumeClaimUpdate,
  Deployment: workloads.validateDeploymentUpdate,
  ReplicaSet: workloads.validateReplicaSetUpdate,
  DaemonSet: workloads.validateDaemonSetUpdate,
  StatefulSet: workloads.validateStatefulSetUpdate,
  Job: workloads.validateJobUpdate,
};

/** Every field error of an object about to be created (empty when valid). */
export function validateObject(obj: AnyObject): FieldError[] {
  const r = resourceForKind(obj.kind, obj.apiVersion);
  const schema = schemaForKind(obj.kind);
  if (!r || !schema) {
    return [{ path: 'kind', type: 'NotSupported', message: `Unsupported value: ${JSON.stringify(obj.kind)}` }];
  }
  const errs: Errs = [];
  validateWithSchema(obj, schema, FieldPath.root, errs);
  errs.push(...validateObjectMeta(obj.metadata ?? {}, { namespaced: r.namespaced, nameFn: nameFns[obj.kind] ?? dnsSubdomain }));
  const kindValidator = createValidators[obj.kind] as ((o: AnyObject) => Errs) | undefined; // indexed by obj.kind
  if (kindValidator) errs.push(...kindValidator(obj));
  return errs;
}

/** Every field error of an update from `oldObj` to `newObj`: the new object's own, plus what may not change. */
export function validateUpdate(oldObj: AnyObject, newObj: AnyObject): FieldError[] {
  const errs = validateObject(newObj);
  if (oldObj.kind !== newObj.kind) {
    errs.push({ path: 'kind', type: 'Invalid', message: `Invalid value: ${JSON.stringify(newObj.kind)}: field is immutable` });
    return errs;
  }
  errs.push(...validateObjectMetaUpdate(oldObj.metadata ?? {}, newObj.metadata ?? {}));
  const kindValidator = updateValidators[newObj.kind] as ((o: AnyObject, n: AnyObject) => Errs) | undefined; // indexed by kind
  if (kindValidator) errs.push(...kindValidator(oldObj, newObj));
  return errs;
}

/** A status write: metadata identity unchanged and the status well-formed (required fields, enums). */
export function validateStatusUpdate(oldObj: AnyObject, newObj: AnyObject): FieldError[] {
  const errs = validateObjectMetaUpdate(oldObj.metadata ?? {}, newObj.metadata ?? {});
  const schema = schemaForKind(newObj.kind);
  const statusSchema = schema?.type === 'object' ? schema.fields.status : undefined;
  const status = (newObj as { status?: unknown }).status;
  if (statusSchema && status !== undefined) validateWithSchema(status, statusSchema, FieldPath.of('status'), errs);
  return errs;
}

/** Throws the Kubernetes-shaped ValidationError (`Deployment.apps "web" is invalid: ...`) when there are errors. */
export function assertValid(obj: AnyObject, errors: readonly FieldError[]): void {
  if (errors.length === 0) return;
  const r = resourceForKind(obj.kind);
  throw ValidationError.invalid({ kind: obj.kind, group: r?.group ?? '', ...(obj.metadata?.name ? { name: obj.metadata.name } : {}) }, errors);
}

/** etcd's default request limit, which bounds a Kubernetes object: 1.5 MiB. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** The size of an object as stored (compact JSON, UTF-8). */
export function objectSizeBytes(obj: unknown): number {
  return Buffer.byteLength(JSON.stringify(obj) ?? '', 'utf8');
}

/** Throws a ResourceExhausted MkError when an object is larger than the store accepts. */
export function checkObjectSize(obj: unknown, limit = MAX_OBJECT_BYTES): void {
  const size = objectSizeBytes(obj);
  if (size > limit) {
    throw new MkError(ErrorCode.ResourceExhausted, `request is too large: object is ${size} bytes, limit is ${limit}`, { size, limit });
  }
}
