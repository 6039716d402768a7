/**
 * Field errors with Kubernetes' message shapes (k8s.io/apimachinery/pkg/util/validation/field),
 * and the error class that carries a list of them.
 *
 *   spec.replicas: Invalid value: -1: must be greater than or equal to 0
 *   spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"
 *   spec.template.spec.containers[0].imagee: unknown field
 */
import { InvalidArgumentError } from '@mk/shared';
import { FieldPath, type PathSegment } from './field-path';

export type FieldErrorType =
  | 'Required'
  | 'Invalid'
  | 'NotSupported'
  | 'Duplicate'
  | 'NotFound'
  | 'Forbidden'
  | 'TooLong'
  | 'TooMany'
  | 'Internal'
  /** Decoding: a field the kind does not have. */
  | 'UnknownField'
  /** Decoding: a value of the wrong JSON type. */
  | 'TypeMismatch';

export interface FieldError {
  /** Rendered path, e.g. `spec.containers[0].image`; empty for the object itself. */
  readonly path: string;
  readonly type: FieldErrorType;
  /** Everything after `path: `, e.g. `Invalid value: -1: must be greater than or equal to 0`. */
  readonly message: string;
  /** The structured path, when known (manifests use it to find the YAML line). */
  readonly segments?: readonly PathSegment[];
}

/** `path: message`, or just the message for the root path. */
export function formatFieldError(e: FieldError): string {
  return e.path === '' ? e.message : `${e.path}: ${e.message}`;
}

/** One error alone, several as Kubernetes' aggregate `[a, b]`. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  if (errors.length === 1) return formatFieldError(errors[0] as FieldError);
  return `[${errors.map(formatFieldError).join(', ')}]`;
}

function make(path: FieldPath, type: FieldErrorType, message: string): FieldError {
  return { path: path.toString(), type, message, segments: path.segments };
}

function withDetail(head: string, detail?: string): string {
  return detail ? `${head}: ${detail}` : head;
}

/**
 * A value printed as Go's %v / %q / %#v would print it in Kubernetes' messages: strings quoted,
 * numbers plain, string maps as `map[string]string{"a":"b"}`, string slices as `[]string{"a", "b"}`.
 */
export function goRepr(value: unknown): string {
  if (value instanceof GoLiteral) return value.text;
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
    return JSON.stringify(value);
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.every(([, v]) => typeof v === 'string')) {
      const body = entries
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(', ');
      return `map[string]string{${body}}`;
    }
    return JSON.stringify(value);
  }
  return String(value);
}

/** A value already written the way Go would print it (e.g. a struct), used as is by goRepr. */
export class GoLiteral {
  constructor(readonly text: string) {}
}

/** A LabelSelector as Kubernetes prints it in messages: `v1.LabelSelector{MatchLabels:...}`. */
export function goLabelSelector(ls: { matchLabels?: Record<string, string>; matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[] } | undefined): GoLiteral {
  if (!ls) return new GoLiteral('(*v1.LabelSelector)(nil)');
  const labels = ls.matchLabels ? goRepr(ls.matchLabels) : 'map[string]string(nil)';
  const exprs = ls.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${ls.matchExpressions
        .map((e) => `v1.LabelSelectorRequirement{Key:${JSON.stringify(e.key)}, Operator:${JSON.stringify(e.operator)}, Values:${e.values ? goRepr([...e.values]) : '[]string(nil)'}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return new GoLiteral(`v1.LabelSelector{MatchLabels:${labels}, MatchExpressions:${exprs}}`);
}

/** Constructors, one per Kubernetes error type. */
export const fieldErrors = {
  required: (path: FieldPath, detail?: string): FieldError => make(path, 'Required', withDetail('Required value', detail)),
  invalid: (path: FieldPath, value: unknown, detail: string): FieldError =>
    make(path, 'Invalid', withDetail(`Invalid value: ${goRepr(value)}`, detail)),
  notSupported: (path: FieldPath, value: unknown, supported: readonly string[]): FieldError =>
    make(
      path,
      'NotSupported',
      withDetail(
        `Unsupported value: ${goRepr(value)}`,
        supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined,
      ),
    ),
  duplicate: (path: FieldPath, value: unknown): FieldError => make(path, 'Duplicate', `Duplicate value: ${goRepr(value)}`),
  notFound: (path: FieldPath, value: unknown): FieldError => make(path, 'NotFound', `Not found: ${goRepr(value)}`),
  forbidden: (path: FieldPath, detail: string): FieldError => make(path, 'Forbidden', withDetail('Forbidden', detail)),
  tooLong: (path: FieldPath, max: number): FieldError => make(path, 'TooLong', `Too long: must have at most ${max} bytes`),
  tooMany: (path: FieldPath, actual: number, max: number): FieldError =>
    make(path, 'TooMany', `Too many: ${actual}: must have at most ${max} items`),
  internal: (path: FieldPath, detail: string): FieldError => make(path, 'Internal', `Internal error: ${detail}`),
  unknownField: (path: FieldPath): FieldError => make(path, 'UnknownField', 'unknown field'),
  typeMismatch: (path: FieldPath, expected: string, got: string): FieldError =>
    make(path, 'TypeMismatch', `expected ${expected}, got ${got}`),
};

/** The JSON type name of a value, for `expected integer, got string`. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Who an error is about, for messages like `Deployment.apps "web" is invalid: ...`. */
export interface ErrorSubject {
  kind: string;
  /** API group, '' for core. */
  group?: string;
  name?: string;
}

export function describeSubject(s: ErrorSubject): string {
  const kind = s.group ? `${s.kind}.${s.group}` : s.kind;
  return s.name ? `${kind} ${JSON.stringify(s.name)}` : kind;
}

/**
 * Bad input described as field errors. Decoding, validation and manifests throw it; the API server
 * sends `details.causes` over the wire, so a client can rebuild the list.
 */
export class ValidationError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly errors: readonly FieldError[],
    readonly subject?: ErrorSubject,
  ) {
    super(message, {
      causes: errors.map((e) => ({ field: e.path, type: e.type, message: e.message })),
      ...(subject ? { kind: subject.kind, group: subject.group ?? '', name: subject.name ?? '' } : {}),
    });
  }

  /** `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: ...` (Kubernetes' 422). */
  static invalid(subject: ErrorSubject, errors: readonly FieldError[]): ValidationError {
    return new ValidationError(`${describeSubject(subject)} is invalid: ${formatFieldErrors(errors)}`, errors, subject);
  }
}
