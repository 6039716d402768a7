/**
 * Label selectors: the kubectl string form (`app=web,tier!=db,env in (prod,staging),!canary`) and
 * the structured LabelSelector of specs ({matchLabels, matchExpressions}) become one Selector type
 * that matches label sets. Semantics are Kubernetes': `!=` and `notin` match objects without the
 * key; a nil LabelSelector selects nothing and an empty one selects everything.
 */
import { InvalidArgumentError } from '@mk/shared';
import type { LabelSelector } from './types/meta';
import { isQualifiedName, isValidLabelValue } from './validation/names';

export type SelectorOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** One value for =, ==, !=, gt, lt; one or more for in/notin; none for exists and !. */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

function matchesRequirement(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? (labels as Record<string, string>)[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value as string);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?[0-9]+$/.test(value as string)) return false;
      const n = Number(value);
      const bound = Number(r.values[0]);
      return r.operator === 'gt' ? n > bound : n < bound;
    }
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'lt':
      return `${r.key}<${r.values[0] ?? ''}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

export class Selector {
  private constructor(
    readonly requirements: readonly Requirement[],
    private readonly selectsNothing: boolean,
  ) {}

  /** Matches every label set (the empty selector). */
  static everything(): Selector {
    return new Selector([], false);
  }

  /** Matches no label set (a nil LabelSelector). */
  static nothing(): Selector {
    return new Selector([], true);
  }

  /** A selector of these requirements, checked and sorted by key as Kubernetes sorts them. */
  static of(requirements: readonly Requirement[]): Selector {
    for (const r of requirements) checkRequirement(r);
    const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new Selector(sorted, false);
  }

  matches(labels: Labels): boolean {
    if (this.selectsNothing) return false;
    return this.requirements.every((r) => matchesRequirement(r, labels));
  }

  /** True for the selector that matches everything. */
  isEverything(): boolean {
    return !this.selectsNothing && this.requirements.length === 0;
  }

  isNothing(): boolean {
    return this.selectsNothing;
  }

  /** The value `key` must equal, when the selector pins it (`app=web`), for index lookups. */
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key && (x.operator === '=' || x.operator === '==' || (x.operator === 'in' && x.values.length === 1)));
    return r?.values[0];
  }

  /** This selector with more requirements. */
  add(...requirements: Requirement[]): Selector {
    if (this.selectsNothing) return this;
    return Selector.of([...this.requirements, ...requirements]);
  }

  /** The kubectl string form; parseSelector(s.toString()) gives back the same selector. */
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

function selectorError(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message);
}

function checkRequirement(r: Requirement): void {
  const keyErrs = isQualifiedName(r.key);
  if (keyErrs.length) throw selectorError(`invalid label key ${JSON.stringify(r.key)}: ${keyErrs.join('; ')}`);
  switch (r.operator) {
    case 'in':
    case 'notin':
      if (r.values.length === 0) throw selectorError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (r.values.length !== 1) throw selectorError("exact-match compatibility requires one single value");
      break;
    case 'exists':
    case '!':
      if (r.values.length !== 0) throw selectorError("values set must be empty for exists and does not exist");
      break;
    case 'gt':
    case 'lt':
      if (r.values.length !== 1 || !/^-?[0-9]+$/.test(r.values[0] ?? '')) {
        throw selectorError(`for 'Gt', 'Lt' operators, exactly one integer value is required`);
      }
      return;
  }
  for (const v of r.values) {
    const errs = isValidLabelValue(v);
    if (errs.length) throw selectorError(`invalid label value: ${JSON.stringify(v)}: at key: ${JSON.stringify(r.key)}: ${errs.join('; ')}`);
  }
}

// ---- the string form ----

type Token =
  | { kind: 'id'; text: string; pos: number }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<'; pos: number }
  | { kind: 'end'; text: ''; pos: number };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        tokens.push({ kind: 'op', text: two, pos: i });
        i += 2;
      } else {
        tokens.push({ kind: 'op', text: c as '=' | '!' | '(' | ')' | ',' | '>' | '<', pos: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < input.length && !SPECIAL.has(input[i] as string) && !/\s/.test(input[i] as string)) i++;
    tokens.push({ kind: 'id', text: input.slice(start, i), pos: start });
  }
  tokens.push({ kind: 'end', text: '', pos: input.length });
  return tokens;
}

/**
 * Parses kubectl's selector syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k`, `!k`,
 * `k>1`, `k<1`, joined by commas. Throws InvalidArgumentError naming what was found and expected:
 * `unable to parse label selector "app in prod": found 'prod', expected: '('`.
 */
export function parseSelector(input: string): Selector {
  const tokens = lex(input);
  let p = 0;
  const peek = (): Token => tokens[p] as Token;
  const next = (): Token => tokens[p++] as Token;
  const fail = (found: Token, expected: string): never => {
    const what = found.kind === 'end' ? 'end of string' : `'${found.text}'`;
    throw selectorError(`unable to parse label selector ${JSON.stringify(input)}: found ${what}, expected: ${expected}`);
  };
  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return Selector.everything();

  for (;;) {
    let t = next();
    if (t.kind === 'op' && t.text === '!') {
      const key = next();
      if (key.kind !== 'id') fail(key, 'a label key');
      requirements.push({ key: key.text, operator: '!', values: [] });
    } else {
      if (t.kind !== 'id') fail(t, "a label key or '!'");
      const key = t.text;
      t = peek();
      if (t.kind === 'end' || (t.kind === 'op' && t.text === ',')) {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (t.kind === 'op' && (t.text === '=' || t.text === '==' || t.text === '!=' || t.text === '>' || t.text === '<')) {
        next();
        const v = peek();
        let value = '';
        if (v.kind === 'id') value = next().text;
        else if (t.text === '>' || t.text === '<') fail(v, 'an integer');
        else if (!(v.kind === 'end' || (v.kind === 'op' && v.text === ','))) fail(v, 'a label value');
        const operator: SelectorOperator = t.text === '>' ? 'gt' : t.text === '<' ? 'lt' : t.text;
        requirements.push({ key, operator, values: [value] });
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        next();
        const open = next();
        if (!(open.kind === 'op' && open.text === '(')) fail(open, "'('");
        const values: string[] = [];
        const first = peek();
        if (first.kind === 'op' && first.text === ')') next(); // "k in ()": empty, refused below
        else
          for (;;) {
            const v = peek();
            if (v.kind === 'id') values.push(next().text);
            else if (v.kind === 'op' && (v.text === ',' || v.text === ')')) values.push(''); // "k in (a,)"
            else fail(v, "a label value, ',' or ')'");
            const sep = next();
            if (sep.kind === 'op' && sep.text === ')') break;
            if (!(sep.kind === 'op' && sep.text === ',')) fail(sep, "',' or ')'");
          }
        requirements.push({ key, operator: t.text, values: [...new Set(values)] });
      } else {
        fail(t, "'=', '==', '!=', 'in', 'notin', ',' or end of string");
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (!(sep.kind === 'op' && sep.text === ',')) fail(sep, "',' or end of string");
  }
  try {
    return Selector.of(requirements);
  } catch (e) {
    throw selectorError(`unable to parse label selector ${JSON.stringify(input)}: ${(e as Error).message}`);
  }
}

/** A selector requiring every label in `set` (`app=web,tier=fe`); empty set → everything. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): Selector {
  return Selector.of(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}

const structuredOperators: Record<string, SelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * A spec's LabelSelector as a Selector (Kubernetes' LabelSelectorAsSelector): undefined/null
 * selects nothing, `{}` selects everything. Throws for an unknown operator or bad key/value.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === undefined || ls === null) return Selector.nothing();
  const reqs: Requirement[] = Object.entries(ls.matchLabels ?? {}).map(([key, v]) => ({ key, operator: '=', values: [v] }));
  for (const e of ls.matchExpressions ?? []) {
    const operator = Object.hasOwn(structuredOperators, e.operator) ? structuredOperators[e.operator] : undefined;
    if (!operator) throw selectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push({ key: e.key, operator, values: operator === 'exists' || operator === '!' ? [] : [...(e.values ?? [])] });
  }
  return Selector.of(reqs);
}

/** True when `labels` match `ls` (nil selector: false; empty selector: true). */
export function labelSelectorMatches(ls: LabelSelector | null | undefined, labels: Labels): boolean {
  return selectorFromLabelSelector(ls).matches(labels);
}

/** The selector as kubectl prints it in the SELECTOR column: `app=web`, `<none>` when empty. */
export function formatLabelSelector(ls: LabelSelector | null | undefined): string {
  let s: string;
  try {
    s = selectorFromLabelSelector(ls).toString();
  } catch {
    return '<error>';
  }
  return s === '' ? '<none>' : s;
}

/** Labels as kubectl prints them (`--show-labels`): `app=web,tier=fe`, `<none>` when empty. */
export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
