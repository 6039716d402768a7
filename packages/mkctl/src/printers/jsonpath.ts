/**
 * kubectl's JSONPath templates (`-o jsonpath=...`, k8s.io/client-go/util/jsonpath), the commonly
 * used part: `{.a.b}`, `{.items[*].metadata.name}`, `[n]`, `[-1]`, `[a:b]`, `[*]`, `['key.with.dots']`,
 * `..key` (recursive), `.*`, unions `[a,b]`, filters `[?(@.type=="Ready")]`, `{range …}…{end}`,
 * string literals `{"\n"}`. Missing keys print nothing (--allow-missing-template-keys).
 */
import { sortedJson } from '../apply-patch';
import { CliError } from '../errors';

type Step =
  | { kind: 'field'; names: string[] }
  | { kind: 'recursive'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; indexes: number[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'filter'; left: Step[]; op?: string; right?: Operand };

type Operand = { kind: 'literal'; value: unknown } | { kind: 'path'; steps: Step[] };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; steps: Step[] }
  | { kind: 'literal'; text: string }
  | { kind: 'range'; steps: Step[]; body: Node[] };

function fail(template: string, why: string): never {
  throw new CliError(`error parsing jsonpath ${template}, ${why}`);
}

/** Splits `a,b` at top-level commas (outside quotes). */
function splitUnion(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (const c of s) {
    if (quote) {
      cur += c;
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function unquote(s: string): string | undefined {
  if (s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0]) {
    if (s[0] === '"') {
      try {
        return JSON.parse(s) as string;
      } catch {
        return s.slice(1, -1);
      }
    }
    return s.slice(1, -1);
  }
  return undefined;
}

function parseLiteral(s: string): unknown {
  const q = unquote(s);
  if (q !== undefined) return q;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

function parsePath(template: string, src: string): Step[] {
  let s = src.trim();
  if (s.startsWith('$') || s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const ident = (): string => {
    const m = /^[^.[\]\s]*/.exec(s.slice(i));
    const name = m?.[0] ?? '';
    i += name.length;
    return name;
  };
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      if (s[i + 1] === '.') {
        i += 2;
        const name = ident();
        steps.push({ kind: 'recursive', name });
        continue;
      }
      i++;
      if (s[i] === '*') {
        i++;
        steps.push({ kind: 'wildcard' });
        continue;
      }
      const name = ident();
      if (name !== '') steps.push({ kind: 'field', names: [name] });
      continue;
    }
    if (c === '[') {
      // Find the matching bracket, minding quotes and nested parentheses.
      let depth = 0;
      let quote = '';
      let j = i + 1;
      for (; j < s.length; j++) {
        const d = s[j];
        if (quote) {
          if (d === quote) quote = '';
        } else if (d === "'" || d === '"') quote = d;
        else if (d === '(' || d === '[') depth++;
        else if (d === ')') depth--;
        else if (d === ']') {
          if (depth === 0) break;
          depth--;
        }
      }
      if (j >= s.length) fail(template, 'unclosed [');
      const inner = s.slice(i + 1, j).trim();
      i = j + 1;
      if (inner === '*') steps.push({ kind: 'wildcard' });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(template, inner.slice(2, -1)));
      else if (inner.includes(':') && !unquote(inner)) {
        const [a, b, c2] = inner.split(':').map((x) => x.trim());
        const num = (x: string | undefined): number | undefined => (x === undefined || x === '' ? undefined : Number(x));
        steps.push({ kind: 'slice', start: num(a), end: num(b), step: num(c2) });
      } else {
        const parts = splitUnion(inner);
        if (parts.every((p) => /^-?\d+$/.test(p))) steps.push({ kind: 'index', indexes: parts.map(Number) });
        else steps.push({ kind: 'field', names: parts.map((p) => unquote(p) ?? p) });
      }
      continue;
    }
    // A bare name at the start (`{metadata.name}` is read as `{.metadata.name}`).
    const name = ident();
    if (name === '') fail(template, `unrecognized character in action: ${JSON.stringify(c)}`);
    steps.push({ kind: 'field', names: [name] });
  }
  return steps;
}

function parseFilter(template: string, expr: string): Step {
  const m = /^(.*?)\s*(==|!=|<=|>=|<|>|=~)\s*(.*)$/.exec(expr.trim());
  if (!m) return { kind: 'filter', left: parsePath(template, expr) };
  const right = m[3] ?? '';
  const operand: Operand = right.startsWith('@') || right.startsWith('$') ? { kind: 'path', steps: parsePath(template, right) } : { kind: 'literal', value: parseLiteral(right) };
  return { kind: 'filter', left: parsePath(template, m[1] ?? ''), op: m[2] ?? '==', right: operand };
}

/** Parses a template into nodes; `range` bodies nest until `end`. */
function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const current = stack[stack.length - 1] as Node[];
    if (open < 0) {
      current.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) current.push({ kind: 'text', text: template.slice(i, open) });
    // The closing brace, outside string literals.
    let j = open + 1;
    let quote = '';
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= template.length) fail(template, 'unclosed action');
    const action = template.slice(open + 1, j).trim();
    i = j + 1;
    if (action === 'end') {
      if (stack.length === 1) fail(template, 'not in range, nothing to end');
      stack.pop();
      continue;
    }
    if (action.startsWith('range ')) {
      const node: Node = { kind: 'range', steps: parsePath(template, action.slice(6)), body: [] };
      current.push(node);
      stack.push(node.body);
      continue;
    }
    const lit = unquote(action);
    if (lit !== undefined) {
      current.push({ kind: 'literal', text: lit });
      continue;
    }
    current.push({ kind: 'path', steps: parsePath(template, action) });
  }
  if (stack.length > 1) fail(template, 'range without end');
  return root;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b || (typeof a === 'number' && typeof b === 'string' && String(a) === b) || (typeof b === 'number' && typeof a === 'string' && String(b) === a);
    case '!=':
      return !compare(a, '==', b);
    case '<':
      return (a as number) < (b as number);
    case '>':
      return (a as number) > (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '>=':
      return (a as number) >= (b as number);
    case '=~':
      return typeof a === 'string' && typeof b === 'string' && new RegExp(b).test(a);
    default:
      return false;
  }
}

function recurse(v: unknown, name: string, out: unknown[]): void {
  if (Array.isArray(v)) {
    for (const x of v) recurse(x, name, out);
  } else if (isRecord(v)) {
    if (name === '' || name === '*') out.push(...Object.values(v));
    else if (Object.hasOwn(v, name)) out.push(v[name]);
    for (const x of Object.values(v)) recurse(x, name, out);
  }
}

function evaluate(steps: readonly Step[], input: unknown): unknown[] {
  let values: unknown[] = [input];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of values) {
      switch (step.kind) {
        case 'field':
          if (isRecord(v)) for (const n of step.names) if (Object.hasOwn(v, n)) next.push(v[n]);
          break;
        case 'recursive':
          recurse(v, step.name, next);
          break;
        case 'wildcard':
          if (Array.isArray(v)) next.push(...v);
          else if (isRecord(v)) next.push(...Object.values(v));
          break;
        case 'index':
          if (Array.isArray(v)) {
            for (const i of step.indexes) {
              const x = v[i < 0 ? v.length + i : i];
              if (x !== undefined) next.push(x);
            }
          }
          break;
        case 'slice':
          if (Array.isArray(v)) {
            const len = v.length;
            const norm = (x: number | undefined, d: number): number => (x === undefined ? d : x < 0 ? Math.max(0, len + x) : Math.min(x, len));
            const st = step.step ?? 1;
            for (let i = norm(step.start, 0); i < norm(step.end, len); i += st > 0 ? st : 1) next.push(v[i]);
          }
          break;
        case 'filter': {
          const items = Array.isArray(v) ? v : [v];
          for (const item of items) {
            const left = evaluate(step.left, item);
            if (step.op === undefined) {
              if (left.length > 0 && left[0] !== false && left[0] !== null) next.push(item);
              continue;
            }
            const right = step.right?.kind === 'path' ? evaluate(step.right.steps, item)[0] : step.right?.value;
            if (left.length > 0 && compare(left[0], step.op, right)) next.push(item);
          }
          break;
        }
      }
    }
    values = next;
  }
  return values;
}

/** How kubectl prints one result: strings raw, everything else as JSON (Go sorts map keys). */
function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  return sortedJson(v);
}

function run(nodes: readonly Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
        out += n.text;
        break;
      case 'literal':
        out += n.text;
        break;
      case 'path':
        out += evaluate(n.steps, data).map(show).join(' ');
        break;
      case 'range':
        for (const item of evaluate(n.steps, data)) {
          const items = Array.isArray(item) && n.steps.length > 0 && n.steps[n.steps.length - 1]?.kind === 'field' ? item : [item];
          for (const x of items) out += run(n.body, x);
        }
        break;
    }
  }
  return out;
}

/** A compiled template. */
export class JsonPath {
  private readonly nodes: Node[];

  constructor(readonly template: string) {
    // kubectl accepts a bare path too: `-o jsonpath=.metadata.name`.
    this.nodes = parseTemplate(template.includes('{') ? template : `{${template}}`);
  }

  execute(data: unknown): string {
    return run(this.nodes, data);
  }
}
