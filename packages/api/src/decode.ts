/**
 * Strict decoding: an unknown JSON value (parsed from YAML, a request body, the store) becomes a
 * typed object, or a ValidationError listing every unknown field and wrong JSON type with its path:
 *
 *   spec.template.spec.containers[0].imagee: unknown field
 *   spec.replicas: expected integer, got string
 *
 * Decoding is driven by the schema table (schema/), so every kind gets the same treatment. It does
 * not default or validate: `null` and absent fields stay absent, required fields may be missing.
 * It returns a fresh object and never mutates its input.
 */
import { FieldPath } from './field-path';
import { type FieldError, ValidationError, fieldErrors, jsonTypeOf } from './errors';
import { quantityError } from './quantity';
import { resources, resourceForKind } from './registry';
import { schemaForKind, type SchemaNode } from './schema';
import type { AnyObject, KindMap, KindName } from './types';

const RFC3339 = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's zero value for a null inside an array or map (`labels: {a: }` is `a: ""` in Kubernetes). */
function zeroValue(schema: SchemaNode): unknown {
  switch (schema.type) {
    case 'string':
      return schema.format === 'quantity' ? undefined : '';
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return 0;
    case 'object':
    case 'map':
      return {};
    case 'array':
      return [];
    default:
      return undefined;
  }
}

function decodeValue(value: unknown, schema: SchemaNode, path: FieldPath, errors: FieldError[]): unknown {
  const mismatch = (expected: string): undefined => {
    errors.push(fieldErrors.typeMismatch(path, expected, jsonTypeOf(value)));
    return undefined;
  };
  switch (schema.type) {
    case 'any':
      return structuredClone(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : mismatch('boolean');
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : mismatch('integer');
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : mismatch('number');
    case 'int-or-string':
      if (typeof value === 'string') return value;
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : mismatch('integer or string');
    case 'string':
      if (schema.format === 'quantity') {
        if (typeof value === 'number' && Number.isFinite(value)) {
          value = String(value).replace('e+', 'e');
        }
        if (typeof value !== 'string') return mismatch('quantity (string or number)');
        const problem = quantityError(value);
        if (problem) {
          errors.push(fieldErrors.invalid(path, value, problem));
          return undefined;
        }
        return value;
      }
      if (typeof value !== 'string') return mismatch('string');
      if (schema.format === 'time' && value === '') return undefined;
      if (schema.format === 'time' && !RFC3339.test(value)) {
        errors.push(fieldErrors.typeMismatch(path, 'RFC 3339 time', JSON.stringify(value)));
        return undefined;
      }
      if (schema.format === 'base64' && !BASE64.test(value)) {
        errors.push(fieldErrors.typeMismatch(path, 'base64 data', JSON.stringify(truncate(value))));
        return undefined;
      }
      return value;
    case 'array': {
      if (!Array.isArray(value)) return mismatch('array');
      const out: unknown[] = [];
      value.forEach((item, i) => {
        const v = item === null || item === undefined ? zeroValue(schema.items) : item;
        const decoded = v === undefined ? undefined : decodeValue(v, schema.items, path.index(i), errors);
        if (decoded !== undefined) out.push(decoded);
      });
      return out;
    }
    case 'map': {
      if (!isPlainObject(value)) return mismatch('object');
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(value)) {
        const v = item === null || item === undefined ? zeroValue(schema.values) : item;
        const decoded = v === undefined ? undefined : decodeValue(v, schema.values, path.key(k), errors);
        if (decoded !== undefined) setOwn(out, k, decoded);
      }
      return out;
    }
    case 'object': {
      if (!isPlainObject(value)) return mismatch('object');
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(value)) {
        const field = Object.hasOwn(schema.fields, k) ? schema.fields[k] : undefined;
        if (!field) {
          errors.push(fieldErrors.unknownField(path.child(k)));
          continue;
        }
        if (item === null || item === undefined) continue;
        const decoded = decodeValue(item, field, path.child(k), errors);
        if (decoded !== undefined) out[k] = decoded;
      }
      return out;
    }
  }
}

/** out[k] = v, even for k = "__proto__" (a map key is data, never the object's prototype). */
function setOwn(out: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Field errors for a value against a schema node (for embedded values, e.g. a pod template). */
export function decodeWithSchema(value: unknown, schema: SchemaNode, path: FieldPath = FieldPath.root): { value: unknown; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const decoded = decodeValue(value, schema, path, errors);
  return { value: decoded, errors };
}

/** The `apiVersion` and `kind` of an object-ish value, checked against the resource table. */
export function checkTypeMeta(value: unknown): { errors: FieldError[]; kind?: KindName } {
  if (!isPlainObject(value)) {
    return { errors: [fieldErrors.typeMismatch(FieldPath.root, 'object', jsonTypeOf(value))] };
  }
  const errors: FieldError[] = [];
  const { apiVersion, kind } = value;
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') errors.push(fieldErrors.required(FieldPath.of('apiVersion')));
  else if (typeof apiVersion !== 'string') errors.push(fieldErrors.typeMismatch(FieldPath.of('apiVersion'), 'string', jsonTypeOf(apiVersion)));
  if (kind === undefined || kind === null || kind === '') errors.push(fieldErrors.required(FieldPath.of('kind')));
  else if (typeof kind !== 'string') errors.push(fieldErrors.typeMismatch(FieldPath.of('kind'), 'string', jsonTypeOf(kind)));
  if (errors.length > 0 || typeof apiVersion !== 'string' || typeof kind !== 'string') return { errors };
  const r = resourceForKind(kind, apiVersion);
  if (!r) return { errors: [{ path: '', type: 'Invalid', message: unknownKindMessage(kind, apiVersion) }] };
  return { errors, kind: r.kind };
}

function unknownKindMessage(kind: string, apiVersion: string): string {
  const sameKind = resources.find((r) => r.kind === kind);
  let msg = `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)}`;
  if (sameKind) msg += ` (mk serves ${kind} as ${JSON.stringify(sameKind.apiVersion)})`;
  else {
    const similar = resources.find((r) => r.kind.toLowerCase() === kind.toLowerCase());
    if (similar) msg += ` (did you mean ${JSON.stringify(similar.kind)}?)`;
  }
  return msg;
}

export interface DecodeResult<T extends AnyObject = AnyObject> {
  object?: T;
  errors: FieldError[];
}

/**
 * Decodes without throwing: the object when there are no errors, else the field errors. The
 * object always has `metadata` (empty when absent).
 */
export function tryDecodeObject(value: unknown): DecodeResult {
  const meta = checkTypeMeta(value);
  if (!meta.kind) return { errors: meta.errors };
  const schema = schemaForKind(meta.kind);
  if (!schema) return { errors: [fieldErrors.internal(FieldPath.root, `no schema for kind ${meta.kind}`)] };
  const { value: decoded, errors } = decodeWithSchema(value, schema);
  if (errors.length > 0) return { errors };
  const obj = decoded as AnyObject; // the schema walk produced exactly the kind's fields
  if (!obj.metadata) obj.metadata = {};
  return { object: obj, errors: [] };
}

/**
 * Decodes strictly or throws a ValidationError whose message names the object and every problem:
 * `error decoding Deployment "web": spec.replicas: expected integer, got string`.
 */
export function decodeObject(value: unknown): AnyObject {
  const result = tryDecodeObject(value);
  if (result.object) return result.object;
  throw decodeError(value, result.errors);
}

/** Decodes and checks the kind: `decodeAs(value, 'Pod')` returns a Pod or throws. */
export function decodeAs<K extends KindName>(value: unknown, kind: K): KindMap[K] {
  const obj = decodeObject(value);
  if (obj.kind !== kind) {
    const err = { path: 'kind', type: 'Invalid' as const, message: `Invalid value: ${JSON.stringify(obj.kind)}: expected ${JSON.stringify(kind)}` };
    throw decodeError(value, [err]);
  }
  return obj as KindMap[K];
}

/** The error decodeObject throws, for callers that decode with tryDecodeObject. */
export function decodeError(value: unknown, errors: readonly FieldError[]): ValidationError {
  const kind = isPlainObject(value) && typeof value.kind === 'string' ? value.kind : undefined;
  const meta = isPlainObject(value) && isPlainObject(value.metadata) ? value.metadata : undefined;
  const name = meta && typeof meta.name === 'string' ? meta.name : undefined;
  const r = kind ? resources.find((x) => x.kind === kind) : undefined;
  const subject = kind ? { kind, group: r?.group ?? '', ...(name ? { name } : {}) } : undefined;
  const only = errors.length === 1 ? errors[0] : undefined;
  if (only && only.path === '') return new ValidationError(only.message, errors, subject); // "no kind ... is registered"
  const what = kind ? ` ${kind}${name ? ` ${JSON.stringify(name)}` : ''}` : '';
  const body = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
  return new ValidationError(`error decoding${what}: ${body.length === 1 ? body[0] : `[${body.join(', ')}]`}`, errors, subject);
}
