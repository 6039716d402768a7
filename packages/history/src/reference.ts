/**
 * The obviously correct, exponential linearizability checker: tries every order that respects
 * real time. Only for tiny histories (a few ops per key); the tests hold the fast checker to it.
 */
import type { History, HistoryEvent } from './types';

interface RefOp {
  e: HistoryEvent;
  required: boolean;
  start: number;
  end: number; // +∞ when not required
}

/** True when the history has a linearization (register per key, same semantics as checkLinearizability). */
export function isLinearizableBruteForce(history: History, initialValue: (key: string) => string | null = () => null): boolean {
  const byKey = new Map<string, HistoryEvent[]>();
  for (const e of history) {
    let list = byKey.get(e.op.key);
    if (!list) byKey.set(e.op.key, (list = []));
    list.push(e);
  }
  for (const [key, events] of byKey) {
    const ops: RefOp[] = [];
    for (const e of events) {
      if (e.outcome === 'fail') continue;
      if (e.outcome === 'unknown' && e.op.f === 'read') continue;
      const required = e.outcome === 'ok';
      ops.push({ e, required, start: e.invokeMs, end: required ? (e.completeMs as number) : Infinity });
    }
    if (ops.length > 20) throw new RangeError(`the brute-force checker takes at most 20 ops per key, got ${ops.length}`);
    const seen = new Set<string>();
    const go = (placed: number, state: string | null): boolean => {
      if (ops.every((o, i) => !o.required || placed & (1 << i))) return true;
      const memo = `${placed}|${state === null ? '\u0000' : `=${state}`}`;
      if (seen.has(memo)) return false;
      seen.add(memo);
      for (let i = 0; i < ops.length; i++) {
        if (placed & (1 << i)) continue;
        const o = ops[i]!;
        // Every op that completed before o was invoked must already be placed.
        if (ops.some((p, j) => j !== i && !(placed & (1 << j)) && p.end < o.start)) continue;
        const next = apply(o, state);
        if (next === undefined) continue;
        if (go(placed | (1 << i), next)) return true;
      }
      return false;
    };
    if (!go(0, initialValue(key))) return false;
  }
  return true;
}

/** The state after the op, or undefined when it cannot take effect in `state`. */
function apply(o: RefOp, state: string | null): string | null | undefined {
  const { e } = o;
  const op = e.op;
  switch (op.f) {
    case 'read':
      return e.result === state ? state : undefined;
    case 'write':
      return op.value;
    case 'cas':
      if (!o.required) return state === op.expected ? op.value : undefined; // if it did nothing, it is simply not placed
      if (e.result === true) return state === op.expected ? op.value : undefined;
      return state !== op.expected ? state : undefined;
    case 'delete':
      if (o.required && e.result === true) return state !== null ? null : undefined;
      if (o.required && e.result === false) return state === null ? null : undefined;
      return null;
  }
}
