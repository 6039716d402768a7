/**
 * JSON merge patch (RFC 7386): apply one, or compute one between two documents. `mkctl apply`
 * uses createMergePatch to tell "configured" from "unchanged", and createThreeWayMergePatch to
 * remove only the fields the user removed from their manifest (kubectl's last-applied logic).
 * Arrays are replaced whole, as RFC 7386 says. Inputs are never mutated.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** out[k] = v, even for k = "__proto__" (JSON keys are data, never a prototype). */
function setOwn(out: JsonObject, k: string, v: Json): void {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** RFC 7386 §2 MergePatch(Target, Patch). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, applyMergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v) as Json);
  }
  return out;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch that turns `original` into `modified`: changed and added fields, `null` for
 * removed ones. `{}` when they are equal. Non-object documents patch to `modified` itself.
 */
export function createMergePatch(original: unknown, modified: unknown): unknown {
  if (!isObject(original) || !isObject(modified)) return clone(modified);
  const patch: JsonObject = {};
  for (const [k, v] of Object.entries(original)) {
    if (v !== undefined && !(Object.hasOwn(modified, k) && modified[k] !== undefined)) setOwn(patch, k, null);
  }
  for (const [k, v] of Object.entries(modified)) {
    if (v === undefined) continue;
    const o = Object.hasOwn(original, k) ? original[k] : undefined;
    if (jsonEqual(o, v)) continue;
    if (isObject(o) && isObject(v)) {
      // A nested null value cannot be expressed by a merge patch; it deletes, which is the best reading.
      setOwn(patch, k, createMergePatch(o, v) as Json);
    } else {
      setOwn(patch, k, clone(v));
    }
  }
  return patch;
}

/** True when a patch changes nothing (`{}`). */
export function isEmptyPatch(patch: unknown): boolean {
  return isObject(patch) && Object.keys(patch).length === 0;
}

/** Keeps only the deletions (`null`s) of a patch, recursively. */
function deletionsOnly(patch: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) setOwn(out, k, null);
    else if (isObject(v)) {
      const inner = deletionsOnly(v);
      if (Object.keys(inner).length) setOwn(out, k, inner);
    }
  }
  return out;
}

/** Drops the deletions of a patch, recursively (empty objects that remain are dropped too). */
function withoutDeletions(patch: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) continue;
    if (isObject(v)) {
      const inner = withoutDeletions(v);
      // `{}` from the diff means "nested fields changed but all were deletions": nothing left.
      if (Object.keys(inner).length || Object.keys(v).length === 0) setOwn(out, k, inner);
    } else setOwn(out, k, v);
  }
  return out;
}

function mergeObjects(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = clone(a);
  for (const [k, v] of Object.entries(b)) {
    const cur = Object.hasOwn(out, k) ? out[k] : undefined;
    setOwn(out, k, isObject(cur) && isObject(v) ? mergeObjects(cur, v) : v);
  }
  return out;
}

/**
 * kubectl apply's three-way merge patch: fields the user removed from their configuration
 * (`original` = last applied) are deleted, fields they set (`modified`) overwrite the live object
 * (`current`), and fields only the live object has (set by controllers) are kept.
 */
export function createThreeWayMergePatch(original: unknown, modified: unknown, current: unknown): unknown {
  if (!isObject(modified)) return clone(modified);
  const additions = withoutDeletions(createMergePatch(isObject(current) ? current : {}, modified) as JsonObject);
  const deletions = deletionsOnly(createMergePatch(isObject(original) ? original : {}, modified) as JsonObject);
  return mergeObjects(deletions, additions);
}
