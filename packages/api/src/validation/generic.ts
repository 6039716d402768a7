/**
 * The schema-driven part of validation: every field marked required is present, every enumerated
 * string is one of its values. Quantity syntax is checked by decoding.
 */
import type { SchemaNode } from '../schema';
import { type Errs, E, FieldPath } from './common';

function missing(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

export function validateWithSchema(value: unknown, schema: SchemaNode, path: FieldPath, errs: Errs = []): Errs {
  if (value === undefined || value === null) return errs;
  switch (schema.type) {
    case 'string':
      if (schema.enum && typeof value === 'string' && !schema.enum.includes(value)) {
        errs.push(E.notSupported(path, value, schema.enum));
      }
      break;
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => validateWithSchema(v, schema.items, path.index(i), errs));
      break;
    case 'map':
      if (typeof value === 'object') {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) validateWithSchema(v, schema.values, path.key(k), errs);
      }
      break;
    case 'object':
      if (typeof value === 'object' && !Array.isArray(value)) {
        const o = value as Record<string, unknown>;
        for (const [k, field] of Object.entries(schema.fields)) {
          if (missing(o[k])) {
            if (field.required) errs.push(E.required(path.child(k)));
          } else validateWithSchema(o[k], field, path.child(k), errs);
        }
      }
      break;
    default:
      break;
  }
  return errs;
}
