/**
 * A path to a field inside an object, rendered the way Kubernetes renders it:
 * `spec.template.spec.containers[0].image`, `metadata.labels[app.kubernetes.io/name]`.
 */
export type PathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'key'; readonly key: string };

export class FieldPath {
  private constructor(readonly segments: readonly PathSegment[]) {}

  /** The empty path (the object itself). */
  static readonly root = new FieldPath([]);

  /** A path of dotted field names: `FieldPath.of('spec', 'template')`. */
  static of(...names: string[]): FieldPath {
    return new FieldPath(names.map((name) => ({ kind: 'field', name })));
  }

  child(...names: string[]): FieldPath {
    return new FieldPath([...this.segments, ...names.map((name) => ({ kind: 'field' as const, name }))]);
  }

  index(index: number): FieldPath {
    return new FieldPath([...this.segments, { kind: 'index', index }]);
  }

  key(key: string): FieldPath {
    return new FieldPath([...this.segments, { kind: 'key', key }]);
  }

  get isRoot(): boolean {
    return this.segments.length === 0;
  }

  toString(): string {
    let out = '';
    for (const s of this.segments) {
      if (s.kind === 'field') out += out === '' ? s.name : `.${s.name}`;
      else if (s.kind === 'index') out += `[${s.index}]`;
      else out += `[${s.key}]`;
    }
    return out;
  }
}
