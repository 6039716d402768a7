/** Building blocks shared by the per-kind validators: numbers, names, labels, selectors, metadata. */
import { FieldPath } from '../field-path';
import { type FieldError, fieldErrors as E, goLabelSelector } from '../errors';
import type { LabelSelector, ObjectMeta } from '../types/meta';
import { jsonEqual } from '../merge-patch';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names';

export type Errs = FieldError[];
export { E, FieldPath };

/** A name checker: returns the problems with a name (empty when fine). */
export type NameFn = (name: string) => string[];

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

export function nonNegative(v: number | undefined, path: FieldPath): Errs {
  return v !== undefined && v < 0 ? [E.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

export function positive(v: number | undefined, path: FieldPath): Errs {
  return v !== undefined && v <= 0 ? [E.invalid(path, v, 'must be greater than 0')] : [];
}

export function validateName(value: string | undefined, path: FieldPath, fn: NameFn): Errs {
  if (value === undefined || value === '') return [];
  return fn(value).map((msg) => E.invalid(path, value, msg));
}

export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): Errs {
  const errs: Errs = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(E.invalid(path, k, msg));
    for (const msg of isValidLabelValue(v)) errs.push(E.invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): Errs {
  const errs: Errs = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(E.invalid(path, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(E.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** A spec's LabelSelector: keys, values, operators and their value counts. */
export function validateLabelSelector(ls: LabelSelector | undefined, path: FieldPath): Errs {
  if (!ls) return [];
  const errs: Errs = validateLabels(ls.matchLabels, path.child('matchLabels'));
  (ls.matchExpressions ?? []).forEach((e, i) => {
    const p = path.child('matchExpressions').index(i);
    const values = e.values ?? [];
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) {
      errs.push(E.required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) {
      errs.push(E.forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    }
    if (e.key) for (const msg of isQualifiedName(e.key)) errs.push(E.invalid(p.child('key'), e.key, msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(v)) errs.push(E.invalid(p.child('values').index(j), v, msg));
    });
  });
  return errs;
}

/** An apps/v1 selector must select something. */
export function validateNonEmptySelector(ls: LabelSelector | undefined, path: FieldPath, what: string): Errs {
  if (!ls) return [];
  const empty = Object.keys(ls.matchLabels ?? {}).length === 0 && (ls.matchExpressions ?? []).length === 0;
  return empty ? [E.invalid(path, goLabelSelector(ls), `empty selector is invalid for ${what}`)] : [];
}

export function immutable(oldValue: unknown, newValue: unknown, path: FieldPath, repr: unknown = newValue): Errs {
  return jsonEqual(oldValue, newValue) ? [] : [E.invalid(path, repr ?? null, 'field is immutable')];
}

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export interface MetaOptions {
  namespaced: boolean;
  nameFn: NameFn;
}

/** ObjectMeta on create (Kubernetes' ValidateObjectMeta). */
export function validateObjectMeta(meta: ObjectMeta, opts: MetaOptions, path = FieldPath.of('metadata')): Errs {
  const errs: Errs = [];
  if (!meta.name && !meta.generateName) {
    errs.push(E.required(path.child('name'), 'name or generateName is required'));
  }
  if (meta.generateName) {
    // A prefix: a trailing '-' is fine (the server appends random characters).
    const prefix = meta.generateName.replace(/-$/, 'a');
    for (const msg of opts.nameFn(prefix)) errs.push(E.invalid(path.child('generateName'), meta.generateName, msg));
  }
  errs.push(...validateName(meta.name, path.child('name'), opts.nameFn));
  if (opts.namespaced) {
    if (!meta.namespace) errs.push(E.required(path.child('namespace')));
    else errs.push(...validateName(meta.namespace, path.child('namespace'), isDNS1123Label));
  } else if (meta.namespace) {
    errs.push(E.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(meta.generation, path.child('generation')));
  errs.push(...nonNegative(meta.deletionGracePeriodSeconds, path.child('deletionGracePeriodSeconds')));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  const refs = meta.ownerReferences ?? [];
  const controllers = refs.filter((r) => r.controller === true);
  if (controllers.length > 1) {
    errs.push(
      E.invalid(
        path.child('ownerReferences'),
        refs.map((r) => `${r.kind}/${r.name}`),
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers
          .map((r) => `${r.kind}/${r.name}`)
          .join(' and ')}`,
      ),
    );
  }
  (meta.finalizers ?? []).forEach((f, i) => {
    const p = path.child('finalizers').index(i);
    const problems = isQualifiedName(f);
    for (const msg of problems) errs.push(E.invalid(p, f, msg));
    if (problems.length === 0 && !f.includes('/') && !standardFinalizers.has(f)) {
      errs.push(E.invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

/** ObjectMeta on update (Kubernetes' ValidateObjectMetaUpdate): identity fields do not change. */
export function validateObjectMetaUpdate(oldMeta: ObjectMeta, newMeta: ObjectMeta, path = FieldPath.of('metadata')): Errs {
  const errs: Errs = [];
  errs.push(...immutable(oldMeta.name, newMeta.name, path.child('name')));
  errs.push(...immutable(oldMeta.namespace, newMeta.namespace, path.child('namespace')));
  if (oldMeta.uid) errs.push(...immutable(oldMeta.uid, newMeta.uid, path.child('uid')));
  if (oldMeta.creationTimestamp) errs.push(...immutable(oldMeta.creationTimestamp, newMeta.creationTimestamp, path.child('creationTimestamp')));
  if (oldMeta.deletionTimestamp && !jsonEqual(oldMeta.deletionTimestamp, newMeta.deletionTimestamp)) {
    errs.push(E.invalid(path.child('deletionTimestamp'), newMeta.deletionTimestamp ?? null, 'field is immutable; may only be changed via deletion'));
  }
  if (oldMeta.deletionGracePeriodSeconds !== undefined && oldMeta.deletionGracePeriodSeconds !== newMeta.deletionGracePeriodSeconds) {
    errs.push(E.invalid(path.child('deletionGracePeriodSeconds'), newMeta.deletionGracePeriodSeconds ?? null, 'field is immutable; may only be changed via deletion'));
  }
  return errs;
}

export const dnsSubdomain: NameFn = isDNS1123Subdomain;
