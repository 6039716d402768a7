/**
 * The vocabulary of a history: operations on a key-value store seen as one register per key,
 * their outcomes, and how to print them for a human.
 */

/** Who issued an operation: a client, a worker, a connection. Ops of one process are sequential. */
export type ProcessId = string | number;

/** Returns the current value (null: the key is missing). */
export interface ReadOp {
  f: 'read';
  key: string;
}

/** Sets the value unconditionally. */
export interface WriteOp {
  f: 'write';
  key: string;
  value: string;
}

/**
 * Compare-and-set: if the current value equals `expected` (null: the key is missing, i.e. a
 * create-if-absent), sets `value`. Its result says whether it did.
 */
export interface CasOp {
  f: 'cas';
  key: string;
  expected: string | null;
  value: string;
}

/** Removes the key. Its result, when the client knows it, says whether the key existed. */
export interface DeleteOp {
  f: 'delete';
  key: string;
}

export type Op = ReadOp | WriteOp | CasOp | DeleteOp;

/**
 * What an acknowledged operation returned: a read its value (null: missing), a cas whether it
 * applied, a delete whether the key existed (null: not reported), a write nothing (null).
 */
export type ResultOf<O extends Op> = O extends ReadOp
  ? string | null
  : O extends CasOp
    ? boolean
    : O extends DeleteOp
      ? boolean | null
      : null;

export type OpResult = string | boolean | null;

/**
 * - `ok`: acknowledged; took effect exactly once between invocation and completion.
 * - `fail`: definitely did not take effect (a validation error, a refused request, a failed read).
 * - `unknown`: may have taken effect at any time after invocation, or never (a timeout, a lost
 *   connection during a write, or no response at all when the history was taken).
 */
export type Outcome = 'ok' | 'fail' | 'unknown';

/** One operation, from invocation to completion. */
export interface HistoryEvent {
  /** Position in invocation order within its recorder, from 0. */
  id: number;
  process: ProcessId;
  op: Op;
  /** Milliseconds from the recorder's clock, never decreasing within one recorder. */
  invokeMs: number;
  /** When the outcome was recorded; null when it never was (the outcome is then `unknown`). */
  completeMs: number | null;
  outcome: Outcome;
  /** Only for `ok`: see ResultOf. */
  result?: OpResult;
  /** Only for `fail` / `unknown`: what the client saw. */
  error?: string;
  /** Only for `ok`, when known: the response header's revision. */
  revision?: number;
}

export type History = readonly HistoryEvent[];

/** True for operations that may change the register (everything but a read). */
export function isMutation(op: Op): boolean {
  return op.f !== 'read';
}

export function formatValue(v: string | null | undefined): string {
  if (v === undefined) return '?';
  if (v === null) return 'null';
  const s = JSON.stringify(v);
  return s.length > 42 ? `${s.slice(0, 38)}…"` : s;
}

/** `write "v"`, `read → "v"`, `cas "a"→"b" → true`, `delete → existed` (the key is not repeated). */
export function formatOp(e: Pick<HistoryEvent, 'op' | 'outcome' | 'result'>): string {
  const { op } = e;
  const ok = e.outcome === 'ok';
  switch (op.f) {
    case 'read':
      return ok ? `read → ${formatValue(e.result as string | null)}` : 'read';
    case 'write':
      return `write ${formatValue(op.value)}`;
    case 'cas': {
      const base = `cas ${formatValue(op.expected)}→${formatValue(op.value)}`;
      return ok ? `${base} → ${String(e.result)}` : base;
    }
    case 'delete': {
      if (!ok || e.result === null || e.result === undefined) return 'delete';
      return `delete → ${e.result ? 'existed' : 'was absent'}`;
    }
  }
}

function ms(t: number, origin: number): string {
  return `${(t - origin).toFixed(1)}`;
}

/**
 * One line per operation, times in ms relative to `originMs` (the history's first invocation):
 * `#12 p3 read → "v"  ok  [40.0 → 42.5 ms]`.
 */
export function formatEvent(e: HistoryEvent, originMs = 0): string {
  const end = e.completeMs === null ? '∞' : ms(e.completeMs, originMs);
  const outcome = e.outcome === 'ok' ? 'ok' : e.error ? `${e.outcome} (${e.error})` : e.outcome;
  const rev = e.revision !== undefined ? ` rev=${e.revision}` : '';
  return `#${e.id} p${String(e.process)} ${formatOp(e)}  ${outcome}${rev}  [${ms(e.invokeMs, originMs)} → ${end} ms]`;
}

/** The earliest invocation time of a history (0 when empty): the origin for formatEvent. */
export function historyOrigin(history: History): number {
  let origin = Infinity;
  for (const e of history) if (e.invokeMs < origin) origin = e.invokeMs;
  return origin === Infinity ? 0 : origin;
}
