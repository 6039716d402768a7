/**
 * A small schema language describing each kind's fields and their JSON types. One table drives
 * strict decoding (unknown fields, wrong types) and the generic part of validation (required
 * fields, enumerations, quantity syntax).
 *
 * `Schema<T>` ties a schema to its TypeScript type: `obj<PodSpec>('PodSpec', {...})` must list
 * every field of PodSpec, each with a schema of the matching JSON type, and nothing else — so the
 * interfaces in types/ and the tables here cannot drift apart silently.
 */

export interface Base {
  /** Validation reports `Required value` when the field is absent (or an empty string/array). */
  readonly required?: boolean;
}

export interface BoolSchema extends Base {
  readonly type: 'boolean';
}

export interface NumberSchema extends Base {
  readonly type: 'integer' | 'number';
}

export type StringFormat = 'quantity' | 'time' | 'base64';

export interface StringSchema<T extends string = string> extends Base {
  readonly type: 'string';
  readonly format?: StringFormat;
  /** Validation reports `Unsupported value` for anything else. */
  readonly enum?: readonly T[];
}

export interface IntOrStringSchema extends Base {
  readonly type: 'int-or-string';
}

export interface ArraySchema<E> extends Base {
  readonly type: 'array';
  readonly items: FieldSchema<E>;
}

export interface MapSchema<V> extends Base {
  readonly type: 'map';
  readonly values: FieldSchema<V>;
}

/** The schema of an optional member: `undefined` does not count, `unknown` stays free-form. */
export type FieldSchema<T> = unknown extends T ? AnySchema : Schema<NonNullable<T>>;

export type Fields<T> = { readonly [K in keyof T]-?: FieldSchema<T[K]> };

export interface ObjectSchema<T> extends Base {
  readonly type: 'object';
  /** The Go type name Kubernetes uses (PodSpec, Container, ...), for messages and docs. */
  readonly name: string;
  readonly fields: Fields<T>;
}

/** Free-form JSON, kept as is (managedFields). */
export interface AnySchema extends Base {
  readonly type: 'any';
}

/** The schema for values of TypeScript type T. */
export type Schema<T> = unknown extends T
  ? AnySchema
  : [T] extends [boolean]
    ? BoolSchema
    : [T] extends [number]
      ? NumberSchema
      : [T] extends [string]
        ? StringSchema<T>
        : [T] extends [number | string]
          ? IntOrStringSchema
          : [T] extends [readonly (infer E)[]]
            ? ArraySchema<E>
            : string extends keyof T
              ? MapSchema<T[string & keyof T]>
              : ObjectSchema<T>;

/** The untyped view of a schema that decode and validate walk at run time. */
export type SchemaNode =
  | BoolSchema
  | NumberSchema
  | StringSchema<string>
  | IntOrStringSchema
  | AnySchema
  | (Base & { readonly type: 'array'; readonly items: SchemaNode })
  | (Base & { readonly type: 'map'; readonly values: SchemaNode })
  | (Base & { readonly type: 'object'; readonly name: string; readonly fields: Readonly<Record<string, SchemaNode>> });

/** The run-time view of a typed schema: the same data, without the type-level tie to T. */
export function node<T>(schema: Schema<T>): SchemaNode {
  return schema as unknown as SchemaNode; // the typed and untyped forms are the same objects
}

// ---- builders ----

export const bool = (): BoolSchema => ({ type: 'boolean' });
export const int = (): NumberSchema => ({ type: 'integer' });
export const num = (): NumberSchema => ({ type: 'number' });
export const str = (): StringSchema<never> => ({ type: 'string' });
/** A string restricted to these values (checked by validation, not by decoding). */
export const oneOf = <T extends string>(...values: T[]): StringSchema<T> => ({ type: 'string', enum: values });
/** A resource.Quantity; decoding also accepts a JSON number and turns it into a string. */
export const quantity = (): StringSchema<never> => ({ type: 'string', format: 'quantity' });
/** An RFC 3339 timestamp. */
export const time = (): StringSchema<never> => ({ type: 'string', format: 'time' });
/** Base64 data ([]byte in Go). */
export const bytes = (): StringSchema<never> => ({ type: 'string', format: 'base64' });
export const intOrString = (): IntOrStringSchema => ({ type: 'int-or-string' });
export const any = (): AnySchema => ({ type: 'any' });
export const arr = <S>(items: S): { readonly type: 'array'; readonly items: S } => ({ type: 'array', items });
export const map = <S>(values: S): { readonly type: 'map'; readonly values: S } => ({ type: 'map', values });
export const obj = <T>(name: string, fields: Fields<T>): ObjectSchema<T> => ({ type: 'object', name, fields });
/** Marks a field as required (see Base.required). */
export const req = <S extends object>(schema: S): S & Base => ({ ...schema, required: true });

export const stringMap = () => map(str());
export const stringList = () => arr(str());
