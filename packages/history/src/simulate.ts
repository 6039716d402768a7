/**
 * A correct, linearizable key-value store under concurrent clients, simulated: for testing the
 * checkers (and for measuring them). Each process issues operations one after another; each
 * operation takes effect atomically at a random point inside its interval, in the order of those
 * points, and revisions count the changes as etcd's do.
 */
import { SeededRng } from '@mk/shared';
import type { CommittedWrite } from './checks';
import type { HistoryEvent, Op, Outcome } from './types';

export interface SimulateOptions {
  seed: number;
  /** Concurrent clients. */
  processes: number;
  /** Operations in all. */
  ops: number;
  /** Keys, named k0, k1, …; default 1. */
  keys?: number;
  /** Probability an operation's outcome is unknown (it took effect or not, at random); default 0.05. */
  unknownRate?: number;
  /** Probability an operation fails (did not take effect); default 0.02. */
  failRate?: number;
  /** Longest operation, ms; default 10. Unknown ones "time out" after up to 5× that. */
  maxLatencyMs?: number;
  /** Longest pause between one process's operations, ms; default 2. */
  maxThinkMs?: number;
  /** Relative weights of the operation kinds; default read 45, write 30, cas 15, delete 10. */
  mix?: { read?: number; write?: number; cas?: number; delete?: number };
  /** Whether acknowledged deletes report if the key existed (etcd's `deleted`); default true. */
  deleteReportsExistence?: boolean;
}

export interface SimulatedRun {
  /** In invocation order; ids are positions. Ok events carry the revision, as etcd's responses do. */
  history: HistoryEvent[];
  /** What each key held at the end (null: missing). */
  final: Map<string, string | null>;
  /** Every change, in revision order (what a watcher from revision 1 should see). */
  changes: CommittedWrite[];
}

interface Planned {
  process: number;
  op: Op;
  invokeMs: number;
  completeMs: number;
  /** Where it takes effect, if it does. */
  atMs: number;
  outcome: Outcome;
  applies: boolean;
  result?: string | boolean | null;
  revision?: number;
}

export function simulateRegisterHistory(options: SimulateOptions): SimulatedRun {
  const rng = new SeededRng(options.seed);
  const keys = options.keys ?? 1;
  const unknownRate = options.unknownRate ?? 0.05;
  const failRate = options.failRate ?? 0.02;
  const maxLatency = options.maxLatencyMs ?? 10;
  const maxThink = options.maxThinkMs ?? 2;
  const mix = { read: 45, write: 30, cas: 15, delete: 10, ...options.mix };
  const total = mix.read + mix.write + mix.cas + mix.delete;
  const reportDeletes = options.deleteReportsExistence ?? true;

  // Plan the operations: who, what, when. Values are unique, so a value names its writer.
  const cursor: number[] = Array.from({ length: options.processes }, () => rng.next() * maxThink);
  const recent = new Map<string, string[]>(); // values planned per key, for plausible cas
  const planned: Planned[] = [];
  for (let i = 0; i < options.ops; i++) {
    const process = rng.int(options.processes);
    const key = `k${rng.int(keys)}`;
    const dice = rng.next() * total;
    let op: Op;
    const value = `v${i}`;
    const vals = recent.get(key) ?? [];
    if (dice < mix.read) op = { f: 'read', key };
    else if (dice < mix.read + mix.write) op = { f: 'write', key, value };
    else if (dice < mix.read + mix.write + mix.cas) {
      const back = vals.length > 0 ? rng.int(Math.min(3, vals.length)) : 0;
      const expected = vals.length > 0 && rng.next() < 0.9 ? vals[vals.length - 1 - back]! : null;
      op = { f: 'cas', key, expected, value };
    } else op = { f: 'delete', key };
    if (op.f === 'write' || op.f === 'cas') recent.set(key, [...vals.slice(-5), value]);

    const invokeMs = cursor[process]! + rng.next() * maxThink;
    const r = rng.next();
    const outcome: Outcome = r < unknownRate ? 'unknown' : r < unknownRate + failRate ? 'fail' : 'ok';
    const latency = rng.next() * maxLatency;
    const completeMs = invokeMs + (outcome === 'unknown' ? latency * 5 : latency);
    // An unknown op that applies does so while it is outstanding (possibly "after the timeout",
    // as a stuck proposal would: up to twice its recorded duration).
    const applies = outcome === 'ok' || (outcome === 'unknown' && rng.next() < 0.5);
    const span = outcome === 'unknown' ? (completeMs - invokeMs) * 2 : completeMs - invokeMs;
    const atMs = invokeMs + rng.next() * span;
    cursor[process] = completeMs;
    planned.push({ process, op, invokeMs, completeMs, atMs, outcome, applies });
  }

  // Apply them in the order they take effect.
  const state = new Map<string, string | null>();
  const changes: CommittedWrite[] = [];
  let revision = 1; // etcd starts at 1 with an empty store
  const byPoint = planned.filter((p) => p.applies).sort((x, y) => x.atMs - y.atMs);
  for (const p of byPoint) {
    const op = p.op;
    const cur = state.get(op.key) ?? null;
    switch (op.f) {
      case 'read':
        p.result = cur;
        p.revision = revision;
        break;
      case 'write':
        state.set(op.key, op.value);
        p.revision = ++revision;
        changes.push({ key: op.key, revision, type: 'put', value: op.value });
        break;
      case 'cas':
        p.result = cur === op.expected;
        if (p.result) {
          state.set(op.key, op.value);
          p.revision = ++revision;
          changes.push({ key: op.key, revision, type: 'put', value: op.value });
        } else p.revision = revision;
        break;
      case 'delete':
        p.result = cur !== null;
        if (cur !== null) {
          state.set(op.key, null);
          p.revision = ++revision;
          changes.push({ key: op.key, revision, type: 'delete', value: null });
        } else p.revision = revision;
        break;
    }
  }

  const history: HistoryEvent[] = planned
    .sort((x, y) => x.invokeMs - y.invokeMs)
    .map((p, id) => {
      const e: HistoryEvent = { id, process: p.process, op: p.op, invokeMs: p.invokeMs, completeMs: p.completeMs, outcome: p.outcome };
      if (p.outcome === 'ok') {
        if (p.op.f === 'delete' && !reportDeletes) e.result = null;
        else if (p.op.f !== 'write') e.result = p.result ?? null;
        if (p.revision !== undefined) e.revision = p.revision;
      } else e.error = p.outcome === 'fail' ? 'simulated failure' : 'simulated timeout';
      return e;
    });
  const final = new Map<string, string | null>();
  for (let k = 0; k < keys; k++) final.set(`k${k}`, state.get(`k${k}`) ?? null);
  return { history, final, changes };
}

export type Corruption = 'stale' | 'future' | 'never-written';

/**
 * A copy of a simulated history with one acknowledged read changed so that the history is
 * certainly not linearizable (values are unique, so a value names its one writer):
 * - `stale`: the read returns the value of a write W1 that a later write W2 overwrote, where W1
 *   completed before W2 was invoked and W2 completed before the read was invoked;
 * - `future`: the read returns the value of a write invoked only after the read completed;
 * - `never-written`: the read returns a value nobody wrote.
 * Returns undefined when the history has no read that fits.
 */
export function corruptRead(history: readonly HistoryEvent[], kind: Corruption, rng: SeededRng): { history: HistoryEvent[]; event: HistoryEvent } | undefined {
  const writes = history.filter((e) => e.outcome === 'ok' && (e.op.f === 'write' || (e.op.f === 'cas' && e.result === true)));
  const valueOf = (e: HistoryEvent): string => (e.op.f === 'write' || e.op.f === 'cas' ? e.op.value : '');
  const options: { read: HistoryEvent; value: string }[] = [];
  for (const r of history) {
    if (r.outcome !== 'ok' || r.op.f !== 'read') continue;
    const key = r.op.key;
    const done = r.completeMs as number;
    if (kind === 'never-written') options.push({ read: r, value: `never-written-${r.id}` });
    else if (kind === 'future') {
      const w = writes.find((w) => w.op.key === key && w.invokeMs > done);
      if (w) options.push({ read: r, value: valueOf(w) });
    } else {
      // W2: the last write on the key completed before the read was invoked; W1 before it.
      const before = writes.filter((w) => w.op.key === key && (w.completeMs as number) < r.invokeMs);
      const w2 = before.sort((x, y) => (y.completeMs as number) - (x.completeMs as number))[0];
      const w1 = w2 && before.find((w) => (w.completeMs as number) < w2.invokeMs);
      if (w1 && valueOf(w1) !== r.result) options.push({ read: r, value: valueOf(w1) });
    }
  }
  if (options.length === 0) return undefined;
  const pick = options[rng.int(options.length)]!;
  const copy = history.map((e) => (e === pick.read ? { ...e, result: pick.value } : e));
  return { history: copy, event: copy[history.indexOf(pick.read)]! };
}

/**
 * A copy of a history with the classic violation added at time `atMs` (on `key`): two
 * concurrent writes of fresh values x and y, then one process reads y and, after that, x. Any
 * linearization puts the writes before the first read (they completed before it began), so the
 * second read needs x written after the first read: impossible, whatever else the history does.
 * No single read is impossible on its own, so only the search can refute it. Ids continue
 * after the history's; times are a few microseconds apart so no other op fits in between.
 */
export function injectInvertedReads(history: readonly HistoryEvent[], key: string, atMs: number): { history: HistoryEvent[]; secondRead: HistoryEvent } {
  let id = history.reduce((m, e) => Math.max(m, e.id), -1) + 1;
  const us = 0.001;
  const ev = (process: string, op: Op, t0: number, t1: number, result?: string): HistoryEvent => {
    const e: HistoryEvent = { id: id++, process, op, invokeMs: atMs + t0 * us, completeMs: atMs + t1 * us, outcome: 'ok' };
    if (result !== undefined) e.result = result;
    return e;
  };
  const x = `inverted-x@${atMs}`;
  const y = `inverted-y@${atMs}`;
  const added = [
    ev('inverted-w1', { f: 'write', key, value: x }, 0, 1),
    ev('inverted-w2', { f: 'write', key, value: y }, 0, 1),
    ev('inverted-r', { f: 'read', key }, 2, 3, y),
    ev('inverted-r', { f: 'read', key }, 4, 5, x),
  ];
  const all = [...history, ...added].sort((p, q) => p.invokeMs - q.invokeMs || p.id - q.id);
  return { history: all, secondRead: added[3]! };
}
