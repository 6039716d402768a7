/**
 * The patch `mkctl apply` sends: kubectl's three-way merge of the last-applied configuration
 * (`original`), the file (`modified`) and the live object (`current`), as an RFC 7386 merge patch.
 *
 *  - a field set in the file that differs from the live object is sent;
 *  - a field the file no longer has, but the last-applied configuration had, is deleted (null);
 *  - fields only the live object has (defaults, controller-set fields) are kept.
 *
 * Merge patches replace lists whole. Kubernetes' strategic merge patch would merge them by key;
 * without it, comparing a list as is would see the server's defaults inside list items (a
 * container's imagePullPolicy, terminationMessagePath, ...) and report "configured" on every
 * apply. So a list is left alone when every field the file sets in it is what the live object
 * has (item by item, same length) and the file did not change it since the last apply; otherwise
 * the file's list replaces the live one (the server then defaults it again).
 */
import { jsonEqual } from '@mk/api';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** True when every field set in `m` has the same value in `c` (lists item by item, same length). */
export function contained(m: unknown, c: unknown): boolean {
  if (Array.isArray(m)) return Array.isArray(c) && m.length === c.length && m.every((x, i) => contained(x, c[i]));
  if (isObject(m)) return isObject(c) && Object.entries(m).every(([k, v]) => v === undefined || contained(v, c[k]));
  return jsonEqual(m, c);
}

function diff(original: JsonObject | undefined, modified: JsonObject, current: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const [k, m] of Object.entries(modified)) {
    if (m === undefined) continue;
    const c = current[k];
    const o = original?.[k];
    if (isObject(m) && isObject(c)) {
      const sub = diff(isObject(o) ? o : undefined, m, c);
      if (Object.keys(sub).length > 0) patch[k] = sub;
    } else if (Array.isArray(m)) {
      if (!contained(m, c) || (o !== undefined && !jsonEqual(o, m))) patch[k] = structuredClone(m);
    } else if (!jsonEqual(m, c)) {
      patch[k] = structuredClone(m);
    }
  }
  if (original) {
    for (const [k, o] of Object.entries(original)) {
      if (o === undefined || Object.hasOwn(modified, k)) continue;
      if (Object.hasOwn(current, k) && current[k] !== undefined) patch[k] = null;
    }
  }
  return patch;
}

/** The merge patch that applies `modified` over `current`; `{}` when nothing changes. */
export function threeWayPatch(original: unknown, modified: unknown, current: unknown): JsonObject {
  return diff(isObject(original) ? original : undefined, isObject(modified) ? modified : {}, isObject(current) ? current : {});
}

/** JSON with object keys sorted (Go's encoding of unstructured objects). */
export function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (isObject(x)) {
      const out: JsonObject = {};
      for (const k of Object.keys(x).sort()) if (x[k] !== undefined) out[k] = sort(x[k]);
      return out;
    }
    return x;
  };
  return JSON.stringify(sort(v));
}
