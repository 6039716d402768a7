/**
 * Field selectors (`--field-selector`): `metadata.name=web,status.phase!=Running,spec.nodeName=`.
 * Only the fields Kubernetes indexes per kind may be used; the rest is an error, as in Kubernetes:
 * `field label not supported: spec.foo`.
 */
import { InvalidArgumentError } from '@mk/shared';
import { resourceForKind } from './registry';
import type { AnyObject, KindMap, KindName } from './types';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '==' | '!=';
  readonly value: string;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  static everything(): FieldSelector {
    return new FieldSelector([]);
  }

  isEverything(): boolean {
    return this.requirements.length === 0;
  }

  /** Matches a field set (see objectFields); a field absent from the set counts as "". */
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => {
      const v = Object.hasOwn(fields, r.field) ? (fields[r.field] ?? '') : '';
      return r.operator === '!=' ? v !== r.value : v === r.value;
    });
  }

  /** The value a field must equal (`spec.nodeName=n1`), for index lookups. */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

/** Splits on commas not escaped with a backslash. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  terms.push(cur);
  return terms;
}

function unescapeValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw new InvalidArgumentError(`invalid field selector: invalid escape sequence in ${JSON.stringify(v)}`);
    }
    if (c === ',' || c === '=') throw new InvalidArgumentError(`invalid field selector: unescaped ${JSON.stringify(c)} in ${JSON.stringify(v)}`);
    out += c;
  }
  return out;
}

/** Parses `a=b,c!=d,e==f`; throws `invalid selector: 'x'; can't understand 'x'`. */
export function parseFieldSelector(input: string): FieldSelector {
  const trimmed = input.trim();
  if (trimmed === '') return FieldSelector.everything();
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(trimmed)) {
    if (term.trim() === '') continue;
    const m = /^([^=!]*?)\s*(!=|==|=)(.*)$/.exec(term.trim());
    const field = m?.[1]?.trim();
    if (!m || !field) throw new InvalidArgumentError(`invalid selector: '${input}'; can't understand '${term}'`);
    reqs.push({ field, operator: m[2] as FieldRequirement['operator'], value: unescapeValue(m[3] ?? '') });
  }
  return new FieldSelector(reqs);
}

// ---- the selectable fields of each kind ----

type KindFields = { readonly [K in KindName]?: Readonly<Record<string, (obj: KindMap[K]) => string | undefined>> };

const kindFields: KindFields = {
  Pod: {
    'spec.nodeName': (p) => p.spec.nodeName,
    'spec.restartPolicy': (p) => p.spec.restartPolicy,
    'spec.schedulerName': (p) => p.spec.schedulerName,
    'spec.serviceAccountName': (p) => p.spec.serviceAccountName,
    'spec.hostNetwork': (p) => String(p.spec.hostNetwork ?? false),
    'status.phase': (p) => p.status?.phase,
    'status.podIP': (p) => p.status?.podIP,
    'status.nominatedNodeName': (p) => p.status?.nominatedNodeName,
  },
  Event: {
    'involvedObject.kind': (e) => e.involvedObject?.kind,
    'involvedObject.namespace': (e) => e.involvedObject?.namespace,
    'involvedObject.name': (e) => e.involvedObject?.name,
    'involvedObject.uid': (e) => e.involvedObject?.uid,
    'involvedObject.apiVersion': (e) => e.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': (e) => e.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': (e) => e.involvedObject?.fieldPath,
    reason: (e) => e.reason,
    reportingComponent: (e) => e.reportingComponent,
    source: (e) => e.source?.component,
    type: (e) => e.type,
  },
  Secret: { type: (s) => s.type },
  Node: { 'spec.unschedulable': (n) => String(n.spec?.unschedulable ?? false) },
  Namespace: { 'status.phase': (n) => n.status?.phase },
  ReplicaSet: { 'status.replicas': (r) => String(r.status?.replicas ?? 0) },
  Job: { 'status.successful': (j) => String(j.status?.succeeded ?? 0) },
  Service: {
    'spec.clusterIP': (s) => s.spec.clusterIP,
    'spec.type': (s) => s.spec.type,
  },
};

/** The field labels a kind supports in field selectors. */
export function supportedFieldLabels(kind: string): string[] {
  const r = resourceForKind(kind);
  const common = r && !r.namespaced ? ['metadata.name'] : ['metadata.name', 'metadata.namespace'];
  return [...common, ...Object.keys((Object.hasOwn(kindFields, kind) && kindFields[kind as KindName]) || {})];
}

/** The selectable fields of an object, e.g. {"metadata.name": "web", "status.phase": "Running"}. */
export function objectFields(obj: AnyObject): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (resourceForKind(obj.kind)?.namespaced !== false) out['metadata.namespace'] = obj.metadata.namespace ?? '';
  const getters = (kindFields[obj.kind] ?? {}) as Readonly<Record<string, (o: AnyObject) => string | undefined>>; // listed under obj.kind
  for (const [field, get] of Object.entries(getters)) out[field] = get(obj) ?? '';
  return out;
}

/** Throws `field label not supported: spec.foo` when the selector uses a field the kind lacks. */
export function checkFieldSelector(kind: string, selector: FieldSelector): void {
  const supported = new Set(supportedFieldLabels(kind));
  for (const r of selector.requirements) {
    if (!supported.has(r.field)) {
      throw new InvalidArgumentError(`field label not supported: ${r.field}`, { field: r.field, kind });
    }
  }
}

/** True when the object's fields satisfy the selector. */
export function fieldSelectorMatches(obj: AnyObject, selector: FieldSelector): boolean {
  return selector.matches(objectFields(obj));
}
