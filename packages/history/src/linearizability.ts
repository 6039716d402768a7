/**
 * Linearizability of a key-value history, one register per key.
 *
 * Operations on different keys are independent (linearizability is compositional: Herlihy &
 * Wing 1990), so the history is partitioned by key and each key is checked alone:
 *
 * 1. Without search, the common failures: an acknowledged read (or applied cas) of a value that
 *    nothing could have set — never written, written only later, or definitely overwritten
 *    before the read began (a stale read, a lost write). O(n log n).
 * 2. The search of Wing & Gong (1993) with Lowe's (2017) memoization, as porcupine implements
 *    it: every op becomes a call entry and (if it must take effect) a return entry, in one list
 *    ordered by time (a call before a return at the same instant: ops that touch are
 *    concurrent); an op may be placed next if its call precedes the first remaining return, and
 *    is legal in the model state; a configuration (placed set, state) seen before is not
 *    expanded again. On top of it, reductions that keep a linearization whenever there is one
 *    (see `search`): observers placed at once, needs that can no longer be met cut off early,
 *    blind writes placed just in time or retroactively, interchangeable unknown-outcome ops
 *    tried once. They are what makes thousands of ops per key at high concurrency cheap.
 * 3. If the whole key is not settled quickly, windows: a few dozen ops, from an unknown state
 *    at the window's start. A refuted window refutes the history; a violation is nearly always
 *    local, and a window refutes it with a small search where the whole key must rule out every
 *    order of everything before it. Then the rest of the budget on the whole key.
 *
 * Outcomes: `ok` ops must take effect once within their interval; `fail` ops are dropped;
 * `unknown` mutations have no return entry (their completion is +∞), so they may take effect at
 * any point after their invocation, or never; reads that did not succeed constrain nothing.
 *
 * Configurations are remembered by a 96-bit Zobrist hash (three independent 32-bit hashes of the
 * placed set, each updated in O(1) per placement, mixed with the state), not by storing the set:
 * a false "seen before" needs all 96 bits of two different configurations to agree.
 *
 * A failure is explained by its smallest window: the culprit (the earliest-completing op that
 * cannot be placed), the latest start from which, whatever the register held, it still cannot,
 * and what the register could hold at the culprit.
 */
import { assertValidEvent } from './recorder';
import { formatEvent, formatValue, historyOrigin, type History, type HistoryEvent } from './types';

export interface LinearizabilityOptions {
  /**
   * Per key: how many distinct configurations the search may visit before it answers `unknown`
   * (each costs ~100 bytes while its search runs). Default 1,000,000. Explaining a failure may
   * visit as many again.
   */
  maxStates?: number;
  /** What every key holds before the history starts. Default: missing (null). */
  initialValue?: (key: string) => string | null;
  /** Narrow a failure down to a window and explain it. Default true. */
  explain?: boolean;
}

export interface LinearizabilityOk {
  ok: true;
  /** How many keys were checked. */
  keys: number;
  statesExplored: number;
}

export interface LinearizabilityViolation {
  ok: false;
  /** The first key (in order of first appearance) that has no linearization. */
  key: string;
  /** For a human: the culprit, what the register could hold, the window of operations. */
  explanation: string;
  /** The earliest-completing operation that cannot be placed given everything before it. */
  culprit: HistoryEvent;
  /** The operations around the culprit that make it impossible, in invocation order. */
  window: HistoryEvent[];
  /**
   * What the register could hold at the culprit's linearization point, over every valid order
   * of the operations that complete before it; null when not computed (budget, explain: false).
   */
  possibleValues: (string | null)[] | null;
  /** Every key found not linearizable (the first is `key`). */
  failingKeys: string[];
  /** Keys whose search ran out of budget. */
  unknownKeys: string[];
  statesExplored: number;
}

export interface LinearizabilityUnknown {
  ok: 'unknown';
  /** The first key whose search ran out of budget (no key was found not linearizable). */
  key: string;
  explanation: string;
  unknownKeys: string[];
  statesExplored: number;
}

export type LinearizabilityResult = LinearizabilityOk | LinearizabilityViolation | LinearizabilityUnknown;

export const DEFAULT_MAX_STATES = 1_000_000;

/** Checks that the history is linearizable for a register per key. Never hangs: see maxStates. */
export function checkLinearizability(history: History, options: LinearizabilityOptions = {}): LinearizabilityResult {
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  if (!(Number.isInteger(maxStates) && maxStates > 0)) throw new RangeError(`maxStates must be a positive integer, got ${maxStates}`);
  const initialValue = options.initialValue ?? (() => null);
  const explain = options.explain ?? true;

  const byKey = new Map<string, HistoryEvent[]>();
  history.forEach((e, i) => {
    assertValidEvent(e, `history[${i}]`);
    let list = byKey.get(e.op.key);
    if (!list) byKey.set(e.op.key, (list = []));
    list.push(e);
  });

  const origin = historyOrigin(history);
  let statesExplored = 0;
  const failingKeys: string[] = [];
  const unknownKeys: string[] = [];
  let firstFailure: { key: string; events: HistoryEvent[]; initial: string | null; verdict: KeyFailure } | undefined;
  let firstUnknown: { key: string; ops: number } | undefined;

  for (const [key, events] of byKey) {
    const initial = initialValue(key);
    const r = checkKey(events, initial, maxStates, explain);
    statesExplored += r.states;
    if (r.verdict === 'fail') {
      failingKeys.push(key);
      firstFailure ??= { key, events, initial, verdict: r };
    } else if (r.verdict === 'budget') {
      unknownKeys.push(key);
      firstUnknown ??= { key, ops: r.ops };
    }
  }

  if (firstFailure) {
    const { key, events, initial, verdict } = firstFailure;
    const x = explain
      ? explainKey(key, events, initial, maxStates, origin, verdict)
      : { culprit: verdict.precheck?.reader ?? lastOk(events), window: [], possibleValues: null, text: `key ${JSON.stringify(key)} is not linearizable (explain: false)`, states: 0 };
    return {
      ok: false,
      key,
      explanation: x.text,
      culprit: x.culprit,
      window: x.window,
      possibleValues: x.possibleValues,
      failingKeys,
      unknownKeys,
      statesExplored: statesExplored + x.states,
    };
  }
  if (firstUnknown) {
    return {
      ok: 'unknown',
      key: firstUnknown.key,
      explanation:
        `the search for key ${JSON.stringify(firstUnknown.key)} (${firstUnknown.ops} operations after dropping failed ones and reads without a result) ` +
        `visited ${maxStates} configurations without deciding, and no window of it is non-linearizable on its own; ` +
        `raise maxStates, or lower the concurrency, the operations or the unknown-outcome writes per key`,
      unknownKeys,
      statesExplored,
    };
  }
  return { ok: true, keys: byKey.size, statesExplored };
}

/** How one key's check failed: found without search, or in a window (null: only as a whole). */
interface KeyFailure {
  verdict: 'fail';
  states: number;
  precheck: Impossible | null;
  window: Spec | null;
}

type KeyVerdict = { verdict: 'ok'; states: number } | KeyFailure | { verdict: 'budget'; states: number; ops: number };

/** Ops to check in a window: this many (by invocation), then more; half overlapping. */
const WINDOW_OPS = [8, 32, 256];
/** The most configurations one window's search may visit. */
const WINDOW_BUDGET = 20_000;
/** The most configurations the explanation spends on what the register could hold, over the whole history. */
const PROBE_BUDGET = 20_000;

/**
 * One key: the common failures without search; then the whole key with a budget ample for a
 * linearizable history; then, if that did not succeed, windows (a violation is nearly always
 * local, and a window refutes it with a small search where the whole key must rule out every
 * order of everything before it); then the whole key with the rest of the budget.
 */
function checkKey(events: HistoryEvent[], initial: string | null, maxStates: number, explain: boolean): KeyVerdict {
  const values = new Values();
  const initialId = values.id(initial);
  const impossible = impossibleObservation(events, values, initialId);
  if (impossible) return { verdict: 'fail', states: 0, precheck: impossible, window: null };
  const whole = buildProblem(events, values, WHOLE);
  const quick = search(whole, initialId, Math.min(maxStates, Math.max(50_000, 20 * whole.n)), false);
  let states = quick.states;
  if (quick.verdict === 'ok') return { verdict: 'ok', states };
  if (quick.verdict === 'fail' && !explain) return { verdict: 'fail', states, precheck: null, window: null };
  const w = failingWindow(events, values, initialId, Math.floor((maxStates - states) / 2));
  states += w.states;
  if (w.window || quick.verdict === 'fail') return { verdict: 'fail', states, precheck: null, window: w.window };
  const full = search(whole, initialId, maxStates - states, false);
  states += full.states;
  if (full.verdict === 'ok') return { verdict: 'ok', states };
  if (full.verdict === 'fail') return { verdict: 'fail', states, precheck: null, window: null };
  return { verdict: 'budget', states, ops: whole.n };
}

/** Which events a window requires: the acknowledged ones inside it. */
function requiredIn(events: HistoryEvent[], start: number, cutoff: number): Uint8Array {
  const required = new Uint8Array(events.length);
  events.forEach((e, i) => {
    if (e.outcome === 'ok' && e.invokeMs >= start && (e.completeMs as number) <= cutoff) required[i] = 1;
  });
  return required;
}

/** The earliest window (of WINDOW_OPS ops) that has no linearization from any start state. */
function failingWindow(events: HistoryEvent[], values: Values, initialId: number, budget: number): { window: Spec | null; states: number } {
  const order = events.filter((e) => e.outcome !== 'fail').sort((x, y) => x.invokeMs - y.invokeMs || x.id - y.id);
  let states = 0;
  for (const size of WINDOW_OPS) {
    for (let i = 0; i < order.length; i += size / 2) {
      const slice = order.slice(i, i + size);
      let cutoff = -Infinity;
      for (const e of slice) cutoff = Math.max(cutoff, e.outcome === 'ok' ? (e.completeMs as number) : e.invokeMs);
      const start = i === 0 ? -Infinity : slice[0]!.invokeMs;
      const spec: Spec = { start, cutoff, required: requiredIn(events, start, cutoff), probe: -1 };
      const p = buildProblem(events, values, spec);
      if (p.requiredCount > 0) {
        const r = searchFrom(p, initialsFor(p, spec, initialId), Math.min(WINDOW_BUDGET, budget - states), false);
        states += r.states;
        if (r.verdict === 'fail') return { window: spec, states };
        if (states >= budget) return { window: null, states };
      }
      if (i + size >= order.length) break;
    }
    if (size >= order.length) break;
  }
  return { window: null, states };
}

/**
 * @internal For tests: whether the window [start, cutoff] of one key's events is refuted on its
 * own (from any state at its start; -Infinity: from the initial value): what the checker
 * relies on to call a history non-linearizable from a window.
 */
export function windowRefutes(events: HistoryEvent[], start: number, cutoff: number, initial: string | null = null, budget = DEFAULT_MAX_STATES): boolean | null {
  const values = new Values();
  const initialId = values.id(initial);
  const spec: Spec = { start, cutoff, required: requiredIn(events, start, cutoff), probe: -1 };
  const p = buildProblem(events, values, spec);
  if (p.requiredCount === 0) return false;
  const r = searchFrom(p, initialsFor(p, spec, initialId), budget, false);
  return r.verdict === 'budget' ? null : r.verdict === 'fail';
}

function lastOk(events: HistoryEvent[]): HistoryEvent {
  const e = events[events.length - 1];
  if (!e) throw new Error('internal: an empty key cannot fail');
  return e;
}

/** Values as small integers: 0 is null (missing). */
class Values {
  private readonly ids = new Map<string, number>();
  readonly list: (string | null)[] = [null];
  id(v: string | null): number {
    if (v === null) return 0;
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(v, id);
      this.list.push(v);
    }
    return id;
  }
  value(id: number): string | null {
    const v = this.list[id];
    if (v === undefined) throw new Error(`internal: no value #${id}`);
    return v;
  }
}

/**
 * How possibleValues shows "whatever the register held when the window began": a window that
 * starts mid-history starts from an unknown state (see search).
 */
export const ANY_VALUE = '«whatever it held at the window start»';

// Operation kinds of the register model.
const K_READ = 0; // legal iff state == a
const K_WRITE = 1; // state := a
const K_CAS_OK = 2; // legal iff state == a; state := b
const K_CAS_FALSE = 3; // legal iff state != a
const K_CAS_MAYBE = 4; // an unknown cas, placed only where it applies: legal iff state == a; state := b
const K_DEL = 5; // state := missing
const K_DEL_EXISTED = 6; // legal iff state != missing; state := missing
const K_DEL_ABSENT = 7; // legal iff state == missing
const K_PROBE = 8; // always legal, no effect: records the state (for explanations)

/**
 * The state after the op, or -1 when it is illegal. `any` is the unknown state a window starts
 * from: an op that looks at it fixes it (a read of v: it was v), a failed cas leaves it unknown
 * (forgetting "not e": the model then allows more, so a window it refutes is refuted for every
 * start state).
 */
function step(kind: number, s: number, a: number, b: number, any: number): number {
  if (s === any) {
    switch (kind) {
      case K_READ:
      case K_WRITE:
        return a;
      case K_CAS_OK:
      case K_CAS_MAYBE:
        return b;
      case K_CAS_FALSE:
      case K_PROBE:
        return s;
      default:
        return 0;
    }
  }
  switch (kind) {
    case K_READ:
      return s === a ? s : -1;
    case K_WRITE:
      return a;
    case K_CAS_OK:
    case K_CAS_MAYBE:
      return s === a ? b : -1;
    case K_CAS_FALSE:
      return s !== a ? s : -1;
    case K_DEL:
      return 0;
    case K_DEL_EXISTED:
      return s !== 0 ? 0 : -1;
    case K_DEL_ABSENT:
      return s === 0 ? 0 : -1;
    case K_PROBE:
      return s;
    default:
      throw new Error(`internal: op kind ${kind}`);
  }
}

/** One key's search problem, in flat arrays. Entry 0 is the list head. */
interface Problem {
  n: number;
  /** The history event of each op. */
  ev: HistoryEvent[];
  kind: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  requiredCount: number;
  callEntry: Int32Array;
  retEntry: Int32Array;
  entryOp: Int32Array;
  entryIsCall: Uint8Array;
  entries: number;
  /** Value ids are below this. */
  valueCount: number;
  /** Unknown-outcome ops left out because no operation could observe their effect. */
  pruned: HistoryEvent[];
}

interface RawOp {
  ev: HistoryEvent;
  kind: number;
  a: number;
  b: number;
  required: boolean;
}

/** Which part of a key's history a problem covers (see buildProblem). */
interface Spec {
  /**
   * The window's start: ops that completed before it are left out; ops invoked before it that
   * were still running (or of unknown outcome) may or may not take effect inside the window,
   * with no result; the register may hold anything there (the search tries several states).
   * -Infinity: the whole history, from the initial value.
   */
  start: number;
  /** The window's end: ops invoked after it are left out. */
  cutoff: number;
  /** Which events must take effect (indexes into events); null: the acknowledged ones. */
  required: Uint8Array | null;
  /** An index into events whose op becomes a probe of the state, or -1. */
  probe: number;
}

const WHOLE: Spec = { start: -Infinity, cutoff: Infinity, required: null, probe: -1 };

/**
 * Builds the problem for one key, or a window of it (see Spec): ops that are not required
 * (they complete after the window, their outcome is unknown, or they began before it) may take
 * effect or not, with no result.
 */
function buildProblem(events: HistoryEvent[], values: Values, spec: Spec): Problem {
  const raw: RawOp[] = [];
  events.forEach((ev, i) => {
    if (ev.outcome === 'fail') return;
    if (ev.invokeMs > spec.cutoff) return;
    const early = ev.invokeMs < spec.start;
    if (early && ev.outcome === 'ok' && (ev.completeMs as number) < spec.start) return;
    const required = !early && (spec.required ? spec.required[i] === 1 : ev.outcome === 'ok');
    const op = ev.op;
    if (i === spec.probe) {
      raw.push({ ev, kind: K_PROBE, a: 0, b: 0, required: true });
      return;
    }
    if (!required) {
      // Acknowledged, but outside the part checked: its effect is known, its timing is not.
      if (ev.outcome === 'ok' && ((op.f === 'cas' && ev.result === false) || (op.f === 'delete' && ev.result === false))) return;
      switch (op.f) {
        case 'read':
          return;
        case 'write':
          raw.push({ ev, kind: K_WRITE, a: values.id(op.value), b: 0, required: false });
          return;
        case 'cas':
          raw.push({ ev, kind: K_CAS_MAYBE, a: values.id(op.expected), b: values.id(op.value), required: false });
          return;
        case 'delete':
          raw.push({ ev, kind: K_DEL, a: 0, b: 0, required: false });
          return;
      }
    }
    switch (op.f) {
      case 'read':
        raw.push({ ev, kind: K_READ, a: values.id(ev.result as string | null), b: 0, required: true });
        return;
      case 'write':
        raw.push({ ev, kind: K_WRITE, a: values.id(op.value), b: 0, required: true });
        return;
      case 'cas':
        raw.push({ ev, kind: ev.result === true ? K_CAS_OK : K_CAS_FALSE, a: values.id(op.expected), b: values.id(op.value), required: true });
        return;
      case 'delete':
        raw.push({ ev, kind: ev.result === true ? K_DEL_EXISTED : ev.result === false ? K_DEL_ABSENT : K_DEL, a: 0, b: 0, required: true });
        return;
    }
  });

  // Unknown-outcome ops whose resulting value no op looks at (reads it, expects it in a cas,
  // applied or failed) can mostly be left out. Placed anywhere, the op right after one either
  // does not care (a write or blind delete overwrites it unseen; anything legal before it too
  // stays legal) or is an observer of inequality it enables (a failed cas, now seeing "not e";
  // after a write, a delete that reports the key existed). So a linearization needs at most one
  // per such observer; and those writes (deletes) are interchangeable, each placeable anywhere
  // after its invocation. Keep the earliest-invoked, as many as there are such observers.
  const looked = new Set<number>();
  let casFalse = 0;
  let delExisted = 0;
  for (const o of raw) {
    if (o.kind === K_READ || o.kind === K_CAS_OK || o.kind === K_CAS_MAYBE || o.kind === K_CAS_FALSE) looked.add(o.a);
    if (o.kind === K_DEL_ABSENT) looked.add(0);
    if (o.kind === K_CAS_FALSE) casFalse++;
    if (o.kind === K_DEL_EXISTED) delExisted++;
  }
  const pruned: HistoryEvent[] = [];
  let keepWrites = casFalse + delExisted;
  let keepDeletes = casFalse;
  const ops = raw
    .slice()
    .sort((x, y) => x.ev.invokeMs - y.ev.invokeMs || x.ev.id - y.ev.id)
    .filter((o) => {
      if (o.required) return true;
      const effect = o.kind === K_WRITE ? o.a : o.kind === K_CAS_MAYBE ? o.b : 0;
      if (looked.has(effect)) return true;
      if (o.kind === K_WRITE && keepWrites > 0) return keepWrites--, true;
      if (o.kind === K_DEL && keepDeletes > 0) return keepDeletes--, true;
      if (o.kind === K_CAS_MAYBE && casFalse + delExisted > 0) return true;
      pruned.push(o.ev);
      return false;
    });

  const n = ops.length;
  const kind = new Uint8Array(n);
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  let requiredCount = 0;
  const entryList: number[] = []; // op * 2 + (0: call, 1: return)
  ops.forEach((o, i) => {
    kind[i] = o.kind;
    a[i] = o.a;
    b[i] = o.b;
    entryList.push(i * 2);
    if (o.required) {
      requiredCount++;
      entryList.push(i * 2 + 1);
    }
  });
  const timeOf = (x: number): number => {
    const o = ops[x >> 1]!;
    return x & 1 ? (o.ev.completeMs as number) : o.ev.invokeMs;
  };
  entryList.sort((x, y) => timeOf(x) - timeOf(y) || (x & 1) - (y & 1) || (x >> 1) - (y >> 1));

  const entries = entryList.length;
  const entryOp = new Int32Array(entries + 1);
  const entryIsCall = new Uint8Array(entries + 1);
  const callEntry = new Int32Array(n);
  const retEntry = new Int32Array(n).fill(-1);
  entryList.forEach((x, i) => {
    const e = i + 1;
    const op = x >> 1;
    entryOp[e] = op;
    if (x & 1) retEntry[op] = e;
    else {
      entryIsCall[e] = 1;
      callEntry[op] = e;
    }
  });
  return { n, ev: ops.map((o) => o.ev), kind, a, b, requiredCount, callEntry, retEntry, entryOp, entryIsCall, entries, valueCount: values.list.length, pruned };
}

function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Deterministic pseudo-random 32-bit keys for the Zobrist hash (splitmix32). */
function zobrist(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) | 0;
    out[i] = fmix32(s) | 0;
  }
  return out;
}

interface SearchOutcome {
  verdict: 'ok' | 'fail' | 'budget';
  states: number;
  /** Enumerate mode: every state a probe saw in some complete linearization. */
  probeStates: Set<number>;
}

/** The value an op needs the state to hold, or -1. */
function needOf(kind: number, a: number): number {
  return kind === K_READ || kind === K_CAS_OK ? a : -1;
}

/** The value an op may set the state to (when it changes it), or -1. */
function productOf(kind: number, a: number, b: number): number {
  switch (kind) {
    case K_WRITE:
      return a;
    case K_CAS_OK:
    case K_CAS_MAYBE:
      return b;
    case K_DEL:
    case K_DEL_EXISTED:
      return 0;
    default:
      return -1;
  }
}

/** Ops that never change the state: placing one where it is legal loses nothing (see search). */
function isObserver(kind: number): boolean {
  return kind === K_READ || kind === K_CAS_FALSE || kind === K_DEL_ABSENT;
}

/** Mutations whose effect does not depend on the state: writes, deletes that report nothing. */
function isBlind(kind: number): boolean {
  return kind === K_WRITE || kind === K_DEL;
}

/**
 * The WGL search over one problem, as a depth-first search over configurations (the set of
 * placed ops, the state) with explicit frames. At each configuration the candidates are the ops
 * whose call entry precedes the first remaining return entry (any op invoked before the
 * earliest pending completion). Plain WGL tries them all, in list order; this search prunes
 * orders that cannot matter, each rule keeping at least one linearization whenever there is one
 * (the tests hold it to a brute-force checker on thousands of random histories):
 *
 * 1. Observers first. An observer (a read, a failed cas, a delete of a missing key) legal now
 *    is placed now and nothing else is tried: in any completion it can be moved to the front (no
 *    unplaced op must precede it, as no return entry does; it changes no state). This prunes the
 *    2^k orders of k concurrent reads.
 * 2. Needs. A mutation may not move the state off a value v while some unplaced op still needs v
 *    (a read of v, a cas expecting v) and no unplaced op can set v again; nor may the last op
 *    that could set v be placed without setting it (rule 4). A write placed too early is then
 *    refuted at once, not when the read it starves returns, possibly much later.
 * 3. Blind mutations just in time. A write or a delete that reports nothing (blind: its effect
 *    does not depend on the state) is a candidate only when its completion is due, when it
 *    changes nothing (it writes the current value), or when it makes a blocked candidate legal
 *    (a read of its value, a cas expecting it, a failed cas or a delete that reports existence
 *    it unblocks; any probe). Otherwise, in a linearization that places it now, the op right
 *    after it is a candidate that was legal before it too, so: an observer (rule 1 moves that
 *    first), or a mutation that overwrites it unseen — a write, a delete (and, after a write, a
 *    delete that reports existence). Then the order "that mutation, and this op placed just
 *    before it, retroactively" has the same states everywhere; so
 * 4. Retroactive placement. When a write's completion comes due and one of those overwriting
 *    mutations was placed since it was invoked, it may be placed just before that one, keeping
 *    the state; tried first. (Several may go before the same one: writes and blind deletes are
 *    legal anywhere.) When, in addition, nothing observes its value at all (no op needs it, and
 *    no failed cas, probe or, for a write, delete that reports existence could come right after
 *    it in real time), that is forced. Which ops may go back depends on the path, so the memo
 *    remembers it with the configuration. (Deletes that report existence are not treated so:
 *    two of them cannot go before the same mutation.)
 * 5. Unknown outcomes. An op that need not take effect at all is a candidate only when it makes
 *    a blocked candidate legal (otherwise the op after it overwrites it unseen or does not care,
 *    and leaving it out changes nothing), or when it is blind, changes nothing, and a pending
 *    write may go back before it (rule 4). Interchangeable ones (deletes; writes of values
 *    nothing looks at any more) are tried once; the memo counts them instead of naming them.
 * 6. Order. Candidates are tried earliest completion first (unknown-outcome ops last), the
 *    order a real system most likely applied them in, so a linearizable history is usually
 *    found with little backtracking.
 *
 * A window starts from an unknown state (see step): there, rules 1, 3 and 4 are off (their
 * arguments need a known state), and unknown-outcome ops are not placed first (starting from
 * their value does as well).
 *
 * Unread writes and writes whose readers come much later otherwise multiply the configurations
 * by the ways of interleaving them, which is what makes refuting a history expensive.
 *
 * In `enumerate` mode the search does not stop at the first linearization but visits every
 * configuration, collecting the states the probe op saw in linearizations that complete
 * (verdict 'ok' when there was at least one). The probe is never forced, is tried at every
 * position, and enables every blind mutation (rule 3); the rules keep the set of probe states.
 */
function search(p: Problem, initial: number, budget: number, enumerate: boolean): SearchOutcome {
  const { n, kind, a, b, callEntry, retEntry, entryOp, entryIsCall, entries } = p;
  const ANY = p.valueCount; // the unknown start state of a window
  const values = p.valueCount + 1;
  const probeStates = new Set<number>();
  let remaining = p.requiredCount;
  if (remaining === 0) {
    if (enumerate) throw new Error('internal: enumerate without a probe');
    return { verdict: 'ok', states: 0, probeStates };
  }

  // The entry list (dancing links: an unlinked entry keeps its neighbours, to be relinked).
  const next = new Int32Array(entries + 1);
  const prev = new Int32Array(entries + 1);
  for (let i = 0; i <= entries; i++) {
    next[i] = i < entries ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const unlink = (e: number): void => {
    const nx = next[e]!;
    const pv = prev[e]!;
    next[pv] = nx;
    if (nx >= 0) prev[nx] = pv;
  };
  const relink = (e: number): void => {
    const nx = next[e]!;
    next[prev[e]!] = e;
    if (nx >= 0) prev[nx] = e;
  };

  // Rule 2: unplaced required ops needing each value; unplaced ops able to set it.
  const need = new Int32Array(values);
  const produce = new Int32Array(values);
  const needs = new Int32Array(n);
  const produces = new Int32Array(n);
  for (let op = 0; op < n; op++) {
    needs[op] = needOf(kind[op]!, a[op]!);
    produces[op] = productOf(kind[op]!, a[op]!, b[op]!);
    if (needs[op]! >= 0 && retEntry[op]! >= 0) need[needs[op]!]!++;
    else needs[op] = -1; // an op that need not be placed does not hold the value up
    if (produces[op]! >= 0) produce[produces[op]!]!++;
  }

  // Rule 4: which required blind mutations nothing observes (forced retroactive placement).
  const unobserved = new Uint8Array(n);
  {
    const observed = new Int32Array(values);
    // Observers of inequality, as prefix counts over the entry positions of calls and returns:
    // failed cas and probes (any state), deletes that report existence (a write's state).
    const anyCall = new Int32Array(entries + 2);
    const anyRet = new Int32Array(entries + 2);
    const setCall = new Int32Array(entries + 2);
    const setRet = new Int32Array(entries + 2);
    for (let op = 0; op < n; op++) {
      const k = kind[op]!;
      if (needs[op]! >= 0) observed[needs[op]!]!++;
      if (k === K_CAS_MAYBE) observed[a[op]!]!++;
      if (k === K_DEL_ABSENT) observed[0]!++;
      const end = (retEntry[op]! >= 0 ? retEntry[op]! : entries) + 1;
      if (k === K_CAS_FALSE || k === K_PROBE) {
        anyCall[callEntry[op]! + 1]!++;
        anyRet[end]!++;
      }
      if (k === K_DEL_EXISTED) {
        setCall[callEntry[op]! + 1]!++;
        setRet[end]!++;
      }
    }
    for (let i = 1; i <= entries + 1; i++) {
      anyCall[i]! += anyCall[i - 1]!;
      anyRet[i]! += anyRet[i - 1]!;
      setCall[i]! += setCall[i - 1]!;
      setRet[i]! += setRet[i - 1]!;
    }
    // The op right after W in a linearization can be any op X not forced before W (X returns
    // after W's call) and not forced after some op Y that is itself forced after W (invoked
    // after W returned): X is invoked before the earliest return of such a Y. firstRetAfter[i]:
    // the earliest return entry of a required op whose call entry is at position i or later.
    const firstRetAfter = new Int32Array(entries + 2).fill(entries + 1);
    for (let op = 0; op < n; op++) if (retEntry[op]! >= 0) firstRetAfter[callEntry[op]!] = retEntry[op]!;
    for (let i = entries; i >= 0; i--) firstRetAfter[i] = Math.min(firstRetAfter[i]!, firstRetAfter[i + 1]!);
    for (let op = 0; op < n; op++) {
      const k = kind[op]!;
      const r = retEntry[op]!;
      if (r < 0 || !isBlind(k)) continue;
      if (observed[k === K_WRITE ? a[op]! : 0]! > 0) continue;
      const until = firstRetAfter[r + 1]!;
      const c = callEntry[op]! + 1;
      if (anyCall[until]! - anyRet[c]! > 0) continue;
      if (k === K_WRITE && setCall[until]! - setRet[c]! > 0) continue;
      unobserved[op] = 1;
    }
  }

  // Rule 3, symmetry: unknown-outcome deletes are interchangeable (once invoked, each can be
  // placed anywhere after, to the same effect), and so are unknown-outcome writes of values
  // nothing looks at any more (no unplaced op needs the value or expects it in a cas; no probe):
  // "anonymous". The memo does not tell them apart either: the placed set's hash leaves them
  // out, and counts how many are left, invoked and unplaced, up to the number of unplaced ops
  // that could still use one (a used one enables such an op; beyond that many, how many are
  // left makes no difference).
  const z1 = zobrist(n, 0x243f6a88);
  const z2 = zobrist(n, 0x13198a2e);
  const z3 = zobrist(n, 0x03707344);
  const anonymous = new Uint8Array(n); // 1: a delete (always), 2: a write (while its value is dead)
  const placed = new Uint8Array(n);
  const looksAt = new Int32Array(n).fill(-1);
  const lookers = new Int32Array(values);
  const writersOfValue = new Map<number, number[]>(); // unknown-outcome writes, by value
  const anonDBefore = new Int32Array(entries + 2);
  const fenAnon = new Int32Array(entries + 2);
  const consumesW = new Uint8Array(n);
  const consumesD = new Uint8Array(n);
  let usedAnonW = 0;
  let usedAnonD = 0;
  let consumersW = 0;
  let consumersD = 0;
  let probes = false;
  for (let op = 0; op < n; op++) {
    const k = kind[op]!;
    if (k === K_PROBE) probes = true;
    if (needs[op]! >= 0) looksAt[op] = needs[op]!;
    else if (k === K_CAS_MAYBE || k === K_CAS_FALSE) looksAt[op] = a[op]!;
    if (looksAt[op]! >= 0) lookers[looksAt[op]!]!++;
    if (retEntry[op]! < 0 && k === K_DEL) {
      anonymous[op] = 1;
      anonDBefore[callEntry[op]! + 1]!++;
    }
    if (retEntry[op]! < 0 && k === K_WRITE) {
      let list = writersOfValue.get(a[op]!);
      if (!list) writersOfValue.set(a[op]!, (list = []));
      list.push(op);
    }
    consumesW[op] = k === K_CAS_FALSE || k === K_DEL_EXISTED ? 1 : 0;
    consumesD[op] = k === K_CAS_FALSE || k === K_DEL_ABSENT || ((k === K_READ || k === K_CAS_OK || k === K_CAS_MAYBE) && a[op] === 0) ? 1 : 0;
    consumersW += consumesW[op]!;
    consumersD += consumesD[op]!;
  }
  for (let i = 1; i <= entries + 1; i++) anonDBefore[i]! += anonDBefore[i - 1]!;
  /** Value v is dead (or alive again, on undo): its unknown-outcome writers turn anonymous (or back). */
  const setDead = (v: number, dead: boolean): void => {
    const list = writersOfValue.get(v);
    if (!list || probes) return;
    for (const w of list) {
      anonymous[w] = dead ? 2 : 0;
      fenAdd(fenAnon, callEntry[w]!, dead ? 1 : -1);
      if (placed[w] === 1) {
        h1 ^= z1[w]!;
        h2 ^= z2[w]!;
        h3 ^= z3[w]!;
        usedAnonW += dead ? 1 : -1;
      }
    }
  };

  // Rule 5: earliest completion first; unknown-outcome ops (no return entry) last.
  const priority = new Int32Array(n);
  for (let op = 0; op < n; op++) priority[op] = retEntry[op]! >= 0 ? retEntry[op]! : entries + callEntry[op]!;

  const seen = new Map<number, number | number[]>();
  /** Records the configuration; false when it was seen before. */
  const visit = (h1: number, h2: number, h3: number, s: number, pv: number, backW: number, backD: number, spare: number): boolean => {
    const x = Math.imul(pv + 2, 0x9e3779b1) ^ Math.imul(backW + 3, 0x85ebca77) ^ Math.imul(backD + 5, 0xc2b2ae3d) ^ fmix32(spare ^ 0x2545f491);
    const y = Math.imul(backW + 7, 0x27d4eb2f) ^ Math.imul(backD + 11, 0x165667b1) ^ Math.imul(pv + 13, 0xd3a2646c) ^ fmix32(spare ^ 0x7a1c9e35);
    const k1 = (h1 ^ fmix32(s ^ 0x7f4a7c15) ^ fmix32(x ^ 0x5be0cd19) ^ fmix32(y ^ 0x9b05688c)) >>> 0;
    const k2 = (h2 ^ fmix32(s ^ 0x1f83d9ab) ^ fmix32(x ^ 0x510e527f) ^ fmix32(y ^ 0x3c6ef372)) >>> 0;
    const check = (h3 ^ fmix32(s ^ 0x6a09e667) ^ fmix32(x ^ 0xa54ff53a) ^ fmix32(y ^ 0xbb67ae85)) >>> 0;
    const key = k1 * 2097152 + (k2 >>> 11); // 32 + 21 bits: an exact integer
    const got = seen.get(key);
    if (got === undefined) {
      seen.set(key, check);
      return true;
    }
    if (typeof got === 'number') {
      if (got === check) return false;
      seen.set(key, [got, check]);
      return true;
    }
    if (got.includes(check)) return false;
    got.push(check);
    return true;
  };

  // Frames: frame d is the configuration after d placements; frameOp[d] is the op placed to
  // reach it (-1 at the root), with the state before it. Its candidates are pool[start, end),
  // the next to try at cursor (a negative entry -1 - op: op placed retroactively).
  const frameOp = new Int32Array(n + 1);
  const frameState = new Int32Array(n + 1);
  const frameProbe = new Int32Array(n + 1);
  const frameStart = new Int32Array(n + 1);
  const frameEnd = new Int32Array(n + 1);
  const frameCursor = new Int32Array(n + 1);
  // Per frame: the first remaining return entry (never decreasing with depth); and that of the
  // frame from which the path last placed a mutation that overwrites unseen a write (W: a
  // write or any delete) or a blind delete (D: a write or a blind delete); -1 if none. A
  // required write (blind delete) invoked before it may be placed retroactively.
  const frameFirstRet = new Int32Array(n + 1);
  const frameBackW = new Int32Array(n + 1);
  const frameBackD = new Int32Array(n + 1);
  // The memo's view of that: how many unplaced required writes (deletes) were invoked before it.
  const fenW = new Int32Array(entries + 2);
  const fenD = new Int32Array(entries + 2);
  const fenAdd = (fen: Int32Array, pos: number, d: number): void => {
    for (let i = pos + 1; i < fen.length; i += i & -i) fen[i]! += d;
  };
  const fenBefore = (fen: Int32Array, pos: number): number => {
    let sum = 0;
    for (let i = Math.min(pos, fen.length - 1); i > 0; i -= i & -i) sum += fen[i]!;
    return sum;
  };
  const fenOf = (op: number): Int32Array | null => (retEntry[op]! < 0 ? null : kind[op] === K_WRITE ? fenW : kind[op] === K_DEL ? fenD : null);
  for (let op = 0; op < n; op++) fenOf(op) && fenAdd(fenOf(op)!, callEntry[op]!, 1);

  let pool = new Int32Array(1024);
  const ensurePool = (size: number): void => {
    if (size < pool.length) return;
    const bigger = new Int32Array(Math.max(size + 1, pool.length * 2));
    bigger.set(pool);
    pool = bigger;
  };
  const enabling = new Int32Array(values); // stamp per value (rule 3)
  let stamp = 0;
  let depth = 0;
  let state = initial;
  let probe = -1;
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  let states = 0;

  /** Fills the candidates of frame `depth`, from pool offset `start`. */
  const expand = (start: number): void => {
    let end = start;
    let e = next[0]!;
    let forced = false;
    for (; e >= 0 && entryIsCall[e] === 1; e = next[e]!) {
      const op = entryOp[e]!;
      const k = kind[op]!;
      if (state !== ANY && isObserver(k) && step(k, state, a[op]!, b[op]!, ANY) >= 0) {
        ensurePool(start + 1);
        pool[start] = op; // rule 1: forced
        end = start + 1;
        forced = true;
        break;
      }
      ensurePool(end + 1);
      let i = end++; // insertion by priority: candidate lists are as long as the concurrency
      const pr = priority[op]!;
      while (i > start && priority[pool[i - 1]!]! > pr) {
        pool[i] = pool[i - 1]!;
        i--;
      }
      pool[i] = op;
    }
    while (e >= 0 && entryIsCall[e] === 1) e = next[e]!;
    frameFirstRet[depth] = e; // there is one while ops must still be placed
    if (!forced && state !== ANY) {
      // (At the unknown start state, rules 1, 3 and 4 are off: their arguments need a known one.)
      const due = entryOp[e]!;
      const dk = kind[due]!;
      const back = (dk === K_WRITE && frameBackW[depth]! > callEntry[due]!) || (dk === K_DEL && frameBackD[depth]! > callEntry[due]!);
      if (back && unobserved[due] === 1) {
        pool[start] = -1 - due; // rule 4: forced
        end = start + 1;
      } else {
        // Rule 3: what the blocked candidates need (observers are blocked, or rule 1 forced one).
        stamp++;
        let anyValue = false;
        let anyNonNull = false;
        let anyOther = false;
        let blindPending = false; // a required write or blind delete among the candidates
        for (let i = start; i < end; i++) {
          const op = pool[i]!;
          const k = kind[op]!;
          if (isBlind(k) && retEntry[op]! >= 0) blindPending = true;
          if (k === K_READ || ((k === K_CAS_OK || k === K_CAS_MAYBE) && state !== a[op])) enabling[a[op]!] = stamp;
          else if (k === K_DEL_ABSENT) enabling[0] = stamp;
          else if (k === K_CAS_FALSE) anyOther = true;
          else if (k === K_DEL_EXISTED && state === 0) anyNonNull = true;
          else if (k === K_PROBE) anyValue = true;
        }
        let j = start;
        let anonymousDelete = false;
        let anonymousWrite = false;
        for (let i = start; i < end; i++) {
          const op = pool[i]!;
          const k = kind[op]!;
          if (retEntry[op]! < 0) {
            // Rule 3 for ops that need not take effect: only to enable a blocked candidate.
            if (k === K_CAS_MAYBE && state !== a[op]) continue;
            const v = k === K_WRITE ? a[op]! : k === K_CAS_MAYBE ? b[op]! : 0;
            // (A blind one that changes nothing may still be what a pending write goes back
            // before, retroactively: rule 4.)
            if (v === state ? !(isBlind(k) && blindPending) : !(anyValue || enabling[v] === stamp || anyOther || (anyNonNull && v !== 0))) continue;
            // One of each kind of interchangeable ones is enough.
            if (anonymous[op] === 1) {
              if (anonymousDelete) continue;
              anonymousDelete = true;
            } else if (anonymous[op] === 2) {
              if (anonymousWrite) continue;
              anonymousWrite = true;
            }
          } else if (isBlind(k) && op !== due) {
            const v = k === K_WRITE ? a[op]! : 0;
            if (!(v === state || anyValue || enabling[v] === stamp || (anyOther && v !== state) || (anyNonNull && v !== 0))) continue;
          }
          pool[j++] = op;
        }
        end = j;
        if (back) {
          // Rule 4: the retroactive placement first, as it keeps the state.
          ensurePool(end + 1);
          for (let i = end; i > start; i--) pool[i] = pool[i - 1]!;
          pool[start] = -1 - due;
          end++;
        }
      }
    } else if (state === ANY) {
      // An op that need not take effect is not placed first: starting from its value instead
      // (which the unknown state allows) and leaving it out does as well.
      let j = start;
      for (let i = start; i < end; i++) if (retEntry[pool[i]!]! >= 0) pool[j++] = pool[i]!;
      end = j;
    }
    ensurePool(end + 1);
    frameStart[depth] = start;
    frameEnd[depth] = end;
    frameCursor[depth] = start;
  };

  /** Undoes the placement that reached frame `depth`. */
  const pop = (): void => {
    const op = frameOp[depth]!;
    state = frameState[depth]!;
    probe = frameProbe[depth]!;
    depth--;
    const lv = looksAt[op]!;
    if (lv >= 0) {
      if (lookers[lv] === 0) setDead(lv, false);
      lookers[lv]!++;
    }
    placed[op] = 0;
    if (anonymous[op] === 0) {
      h1 ^= z1[op]!;
      h2 ^= z2[op]!;
      h3 ^= z3[op]!;
    }
    const r = retEntry[op]!;
    if (r >= 0) {
      relink(r);
      remaining++;
    }
    relink(callEntry[op]!);
    if (needs[op]! >= 0) need[needs[op]!]!++;
    if (produces[op]! >= 0) produce[produces[op]!]!++;
    const fen = fenOf(op);
    if (fen) fenAdd(fen, callEntry[op]!, 1);
    if (anonymous[op] === 1) usedAnonD--;
    else if (anonymous[op] === 2) usedAnonW--;
    consumersW += consumesW[op]!;
    consumersD += consumesD[op]!;
  };

  for (const v of writersOfValue.keys()) if (lookers[v] === 0) setDead(v, true);
  frameOp[0] = -1;
  frameBackW[0] = -1;
  frameBackD[0] = -1;
  expand(0);
  for (;;) {
    const cursor = frameCursor[depth]!;
    if (cursor >= frameEnd[depth]!) {
      // Every candidate of this configuration leads nowhere: undo the placement that reached it.
      if (depth === 0) return { verdict: enumerate && probeStates.size > 0 ? 'ok' : 'fail', states, probeStates };
      pop();
      continue;
    }
    frameCursor[depth] = cursor + 1;
    const v = pool[cursor]!;
    const retro = v < 0;
    const op = retro ? -1 - v : v;
    const k = kind[op]!;
    const ns = retro ? state : step(k, state, a[op]!, b[op]!, ANY);
    if (ns < 0) continue;
    // Rule 2: leaving a value nothing can set again, or placing (retroactively) the last op
    // that could set a value, while something still needs it.
    const own = needs[op]!;
    if (ns !== state && produce[state] === 0 && need[state]! - (own === state ? 1 : 0) > 0) continue;
    const made = produces[op]!;
    if (made >= 0 && made !== ns && produce[made] === 1 && need[made]! - (own === made ? 1 : 0) > 0) continue;
    const np = k === K_PROBE ? state : probe;
    const r = retEntry[op]!;
    if (r >= 0 && remaining === 1) {
      // The last op that had to be placed: a linearization.
      if (++states > budget) return { verdict: 'budget', states: states - 1, probeStates };
      if (!enumerate) return { verdict: 'ok', states, probeStates };
      probeStates.add(np);
      continue;
    }
    // Place it, then look the configuration up (its candidates first: the memo's view of the
    // interchangeable ops depends on which are invoked by then).
    const c = callEntry[op]!;
    const end = frameEnd[depth]!;
    const backW = !retro && (k === K_WRITE || k === K_DEL || k === K_DEL_EXISTED) ? frameFirstRet[depth]! : frameBackW[depth]!;
    const backD = !retro && (k === K_WRITE || k === K_DEL) ? frameFirstRet[depth]! : frameBackD[depth]!;
    depth++;
    frameOp[depth] = op;
    frameState[depth] = state;
    frameProbe[depth] = probe;
    frameBackW[depth] = backW;
    frameBackD[depth] = backD;
    placed[op] = 1;
    if (anonymous[op] === 0) {
      h1 ^= z1[op]!;
      h2 ^= z2[op]!;
      h3 ^= z3[op]!;
    }
    state = ns;
    probe = np;
    unlink(c);
    if (r >= 0) {
      unlink(r);
      remaining--;
    }
    if (own >= 0) need[own]!--;
    if (made >= 0) produce[made]!--;
    const fen = fenOf(op);
    if (fen) fenAdd(fen, c, -1);
    if (anonymous[op] === 1) usedAnonD++;
    else if (anonymous[op] === 2) usedAnonW++;
    consumersW -= consumesW[op]!;
    consumersD -= consumesD[op]!;
    const lv = looksAt[op]!;
    if (lv >= 0 && --lookers[lv]! === 0) setDead(lv, true);
    expand(end);
    const frontier = frameFirstRet[depth]!;
    const countW = backW < 0 ? 0 : fenBefore(fenW, backW);
    const countD = backD < 0 ? 0 : fenBefore(fenD, backD);
    const spareW = Math.min(fenBefore(fenAnon, frontier) - usedAnonW, consumersW);
    const spareD = Math.min(anonDBefore[frontier]! - usedAnonD, consumersD);
    if (!visit(h1, h2, h3, state, probe, countW, countD, spareW * 65536 + spareD)) {
      pop();
      continue;
    }
    if (++states > budget) return { verdict: 'budget', states: states - 1, probeStates };
  }
}

/**
 * The search from each of several initial states (a window's start may hold anything): 'ok'
 * when one succeeds (enumerating: the union of what the probe saw), 'fail' when all fail,
 * 'budget' when none succeeded and one ran out. The budget is shared.
 */
function searchFrom(p: Problem, initials: readonly number[], budget: number, enumerate: boolean): SearchOutcome {
  const probeStates = new Set<number>();
  let states = 0;
  let outOfBudget = false;
  for (const initial of initials) {
    const r = search(p, initial, budget - states, enumerate);
    states += r.states;
    if (r.verdict === 'budget') {
      outOfBudget = true;
      break;
    }
    if (r.verdict === 'ok') {
      if (!enumerate) return { verdict: 'ok', states, probeStates };
      for (const x of r.probeStates) probeStates.add(x);
    }
  }
  if (probeStates.size > 0) return { verdict: outOfBudget ? 'budget' : 'ok', states, probeStates };
  return { verdict: outOfBudget ? 'budget' : 'fail', states, probeStates };
}

/** The state to search from: the initial value for the whole history, else unknown (see step). */
function initialsFor(p: Problem, spec: Spec, initialId: number): number[] {
  return spec.start === -Infinity ? [initialId] : [p.valueCount];
}

/** A definite violation found without search (see impossibleObservation). */
interface Impossible {
  /** The acknowledged op that observed the value. */
  reader: HistoryEvent;
  value: string | null;
  /** Every op that could set the value, with why it cannot be what the reader saw. */
  writers: { writer: HistoryEvent | 'initial'; overwrittenBy: HistoryEvent | null }[];
}

/**
 * The common failures, found in O(n log n) without search: an acknowledged op observed a value
 * (a read its result, an applied cas its expected value, a delete that reports the key was
 * absent: missing) although every op that could have set it was either invoked only after the
 * observer completed, or definitely overwritten before the observer was invoked: a
 * acknowledged mutation to another value was invoked after it completed and completed before
 * the observer was invoked. (An unknown-outcome writer may take effect at any time: never
 * overwritten.) Returns the earliest-completing such observer.
 */
function impossibleObservation(events: HistoryEvent[], values: Values, initialId: number): Impossible | null {
  interface Span {
    e: HistoryEvent | null; // null: the initial value
    call: number;
    ret: number;
    value: number;
  }
  const writers = new Map<number, Span[]>();
  const overwriters: Span[] = [];
  const add = (e: HistoryEvent, value: number): void => {
    const span: Span = { e, call: e.invokeMs, ret: e.outcome === 'ok' ? (e.completeMs as number) : Infinity, value };
    let list = writers.get(value);
    if (!list) writers.set(value, (list = []));
    list.push(span);
    if (e.outcome === 'ok') overwriters.push(span);
  };
  writers.set(initialId, [{ e: null, call: -Infinity, ret: -Infinity, value: initialId }]);
  for (const e of events) {
    if (e.outcome === 'fail') continue;
    const op = e.op;
    const unknown = e.outcome === 'unknown';
    if (op.f === 'write') add(e, values.id(op.value));
    else if (op.f === 'cas' && (unknown || e.result === true)) add(e, values.id(op.value));
    else if (op.f === 'delete' && (unknown || e.result !== false)) add(e, 0);
  }
  // Latest possible writers first: they are the likeliest to be what the observer saw.
  for (const list of writers.values()) list.sort((x, y) => y.ret - x.ret);
  // For "is there an overwriter to another value invoked after t and completed before u":
  // overwriters by invocation, with suffix minima of completion (the least, and the least among
  // those of a different value than the least).
  overwriters.sort((x, y) => x.call - y.call);
  const m = overwriters.length;
  const min1 = new Float64Array(m + 1).fill(Infinity);
  const val1 = new Int32Array(m + 1).fill(-1);
  const min2 = new Float64Array(m + 1).fill(Infinity);
  const at1: (Span | null)[] = new Array(m + 1).fill(null);
  const at2: (Span | null)[] = new Array(m + 1).fill(null);
  for (let i = m - 1; i >= 0; i--) {
    const o = overwriters[i]!;
    min1[i] = min1[i + 1]!;
    val1[i] = val1[i + 1]!;
    at1[i] = at1[i + 1]!;
    min2[i] = min2[i + 1]!;
    at2[i] = at2[i + 1]!;
    if (o.ret < min1[i]!) {
      if (o.value !== val1[i]) {
        min2[i] = min1[i]!;
        at2[i] = at1[i]!;
      }
      min1[i] = o.ret;
      val1[i] = o.value;
      at1[i] = o;
    } else if (o.value !== val1[i] && o.ret < min2[i]!) {
      min2[i] = o.ret;
      at2[i] = o;
    }
  }
  /** The earliest-completing overwriter to a value other than v invoked after t, or null. */
  const overwriterAfter = (t: number, v: number): Span | null => {
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (overwriters[mid]!.call > t) hi = mid;
      else lo = mid + 1;
    }
    return val1[lo] !== v ? at1[lo]! : at2[lo]!;
  };

  let worst: Impossible | null = null;
  for (const e of events) {
    if (e.outcome !== 'ok') continue;
    let v: string | null;
    if (e.op.f === 'read') v = e.result as string | null;
    else if (e.op.f === 'cas' && e.result === true) v = e.op.expected;
    else if (e.op.f === 'delete' && e.result === false) v = null;
    else continue;
    const done = e.completeMs as number;
    if (worst && done >= (worst.reader.completeMs as number)) continue;
    const id = values.id(v);
    const list = writers.get(id) ?? [];
    let possible = false;
    for (const w of list) {
      if (w.call > done) continue; // invoked after the observer completed
      const over = overwriterAfter(w.ret, id);
      if (!over || over.ret >= e.invokeMs) {
        possible = true;
        break;
      }
    }
    if (possible) continue;
    worst = {
      reader: e,
      value: v,
      writers: list.map((w) => {
        const over = w.call > done ? null : overwriterAfter(w.ret, id);
        return { writer: w.e ?? 'initial', overwrittenBy: over?.e ?? null };
      }),
    };
  }
  return worst;
}

interface Explained {
  culprit: HistoryEvent;
  window: HistoryEvent[];
  possibleValues: (string | null)[] | null;
  text: string;
  states: number;
}

function needsValue(e: HistoryEvent): string | null | undefined {
  if (e.outcome !== 'ok') return undefined;
  if (e.op.f === 'read') return e.result as string | null;
  if (e.op.f === 'cas' && e.result === true) return e.op.expected;
  return undefined;
}

function writersOf(events: HistoryEvent[], v: string | null): HistoryEvent[] {
  return events.filter((e) => {
    const op = e.op;
    if (v === null) return op.f === 'delete';
    return (op.f === 'write' || op.f === 'cas') && op.value === v;
  });
}

function listEvents(title: string, list: HistoryEvent[], origin: number, max = 40): string[] {
  const out = [title];
  const shown = list.length > max ? [...list.slice(0, max / 2), ...list.slice(list.length - max / 2)] : list;
  shown.forEach((e, i) => {
    if (list.length > max && i === max / 2) out.push(`    … ${list.length - max} more …`);
    out.push(`    ${formatEvent(e, origin)}`);
  });
  return out;
}

/**
 * Explains a failing key. Without search (precheck): the observer and the writers it could not
 * have seen. Otherwise, narrowed down to the smallest window: its end is the culprit, the
 * earliest-completing acknowledged op such that the history (or the failing window) up to its
 * completion has no linearization (binary search: a failing prefix stays failing when
 * extended); its start is the latest point from which, whatever the register held there, the
 * ops up to the culprit still have none (binary search again: a failing window stays failing
 * when it starts earlier). Then a probe in the culprit's place collects what the register
 * could hold there.
 */
function explainKey(key: string, events: HistoryEvent[], initial: string | null, budget: number, origin: number, failure: KeyFailure): Explained {
  const values = new Values();
  const initialId = values.id(initial);
  const k = JSON.stringify(key);
  const lines: string[] = [];
  let states = 0;
  const at = (t: number): string => `${(t - origin).toFixed(1)} ms`;

  const precheck = failure.precheck;
  if (precheck) {
    const { reader, value } = precheck;
    const v = formatValue(value);
    lines.push(`key ${k} is not linearizable.`);
    lines.push(`This operation observed ${v}${value === null ? ' (the key missing)' : ''}:`);
    lines.push(`    ${formatEvent(reader, origin)}`);
    const window = new Set<HistoryEvent>([reader]);
    const failed = writersOf(events, value).filter((e) => e.outcome === 'fail');
    if (precheck.writers.length === 0) {
      lines.push(`but no operation in the history ${value === null ? 'deletes the key, and it did not start missing' : `writes ${v}`}${failed.length > 0 ? ' and did not fail' : ''}.`);
    } else {
      lines.push(`but nothing could have set it: every operation that ${value === null ? 'deletes the key' : `writes ${v}`} was invoked after it completed, or was overwritten before it was invoked:`);
      const shown = precheck.writers.slice(0, 10);
      for (const { writer, overwrittenBy } of shown) {
        const what = writer === 'initial' ? `    the initial value ${v}` : `    ${formatEvent(writer, origin)}`;
        if (writer !== 'initial') window.add(writer);
        if (overwrittenBy) {
          window.add(overwrittenBy);
          lines.push(`${what}\n        overwritten by ${formatEvent(overwrittenBy, origin)}`);
        } else lines.push(`${what}\n        invoked after the observer completed`);
      }
      if (precheck.writers.length > shown.length) lines.push(`    … and ${precheck.writers.length - shown.length} more, all the same`);
    }
    if (failed.length > 0) {
      lines.push(...listEvents(`Failed (so never took effect):`, failed, origin, 10));
      for (const e of failed.slice(0, 10)) window.add(e);
    }
    lines.push(`(An overwrite counts when it was invoked after the writer completed and completed before the observer was invoked.)`);
    lines.push(`The register starts as ${formatValue(initial)}; times are ms since the history's first invocation.`);
    const list = [...window].sort((x, y) => x.invokeMs - y.invokeMs || x.id - y.id);
    return { culprit: reader, window: list, possibleValues: null, text: lines.join('\n'), states };
  }

  /** Whether the part of the history `spec` covers has no linearization; null: out of budget. */
  const fails = (spec: Spec): boolean | null => {
    if (states >= budget) return null;
    const p = buildProblem(events, values, spec);
    const r = searchFrom(p, initialsFor(p, spec, initialId), budget - states, false);
    states += r.states;
    return r.verdict === 'budget' ? null : r.verdict === 'fail';
  };

  // The culprit: the acknowledged ops of the window in completion order; prefix i requires the
  // first i + 1 of them (those invoked before a later start turn optional by themselves).
  const win = failure.window ?? WHOLE;
  const indexOf = new Map<HistoryEvent, number>();
  events.forEach((e, i) => indexOf.set(e, i));
  const acked = events
    .filter((e) => e.outcome === 'ok' && e.invokeMs >= win.start && (e.completeMs as number) <= win.cutoff)
    .sort((x, y) => (x.completeMs as number) - (y.completeMs as number) || x.id - y.id);
  const prefix = (i: number, start: number, probe = -1): Spec => {
    const required = new Uint8Array(events.length);
    for (let j = 0; j <= i; j++) required[indexOf.get(acked[j]!)!] = 1;
    return { start, cutoff: acked[i]!.completeMs as number, required, probe };
  };
  let approximate = false;
  let lo = 0;
  let hi = acked.length - 1; // the window fails: so does its prefix up to its last acknowledgement
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = fails(prefix(mid, win.start));
    if (r === true) hi = mid;
    else {
      if (r === null) approximate = true;
      lo = mid + 1;
    }
  }
  const culprit = acked[hi]!;
  const T = culprit.completeMs as number;

  // The start: the latest invocation time (up to the culprit's) from which it still fails.
  const starts = [win.start, ...new Set(events.filter((e) => e.invokeMs > win.start && e.invokeMs <= culprit.invokeMs).map((e) => e.invokeMs))].sort((x, y) => x - y);
  let slo = 0; // starts[slo] fails
  let shi = starts.length - 1;
  while (slo < shi) {
    const mid = (slo + shi + 1) >> 1;
    if (fails(prefix(hi, starts[mid]!)) === true) slo = mid;
    else shi = mid - 1;
  }
  const start = starts[slo]!;
  const spec = prefix(hi, start);

  const problem = buildProblem(events, values, spec);
  // What the register could hold at the culprit: over the whole history up to it if the search
  // affords it, else over the window (where it may also hold whatever it held at the start).
  let possibleValues: (string | null)[] | null = null;
  /** The whole history up to the culprit (every acknowledged op completing no later), the culprit probed. */
  const wholePrefix = (): Spec => {
    const required = new Uint8Array(events.length);
    events.forEach((e, i) => {
      const done = e.completeMs as number;
      if (e.outcome === 'ok' && (done < T || (done === T && e.id <= culprit.id))) required[i] = 1;
    });
    return { start: -Infinity, cutoff: T, required, probe: indexOf.get(culprit)! };
  };
  for (const from of start === -Infinity ? [start] : [-Infinity, start]) {
    const probeProblem = buildProblem(events, values, from === start ? prefix(hi, from, indexOf.get(culprit)!) : wholePrefix());
    const left = Math.max(1, budget - states);
    const probeRun = searchFrom(probeProblem, initialsFor(probeProblem, { ...spec, start: from }, initialId), from === start ? left : Math.min(left, PROBE_BUDGET), true);
    states += probeRun.states;
    if (probeRun.verdict !== 'ok') continue;
    possibleValues = [...probeRun.probeStates].sort((x, y) => x - y).map((id) => (id === probeProblem.valueCount ? ANY_VALUE : values.value(id)));
    break;
  }

  // The window's ops: those that must take effect in it, those that may (unknown outcome, or
  // completing after the culprit), and, apart, those already running at its start.
  const inProblem = new Set(problem.ev);
  const window: HistoryEvent[] = [];
  const running: HistoryEvent[] = [];
  for (const e of events) {
    if (!inProblem.has(e)) continue;
    if (e.invokeMs < start) running.push(e);
    else window.push(e);
  }
  window.sort((x, y) => x.invokeMs - y.invokeMs || x.id - y.id);
  running.sort((x, y) => x.invokeMs - y.invokeMs || x.id - y.id);

  lines.push(`key ${k} is not linearizable.`);
  if (start === -Infinity) {
    lines.push(
      `Every operation that completed before the one below fits some linearization${approximate ? ' (as far as the search budget could tell)' : ''}; with it, none does:`,
    );
  } else {
    lines.push(
      `Whatever the register held at ${at(start)}, the operations from then until the one below completed (at ${at(T)}) have no linearization` +
        `${approximate ? ' (found within the search budget; an earlier end may exist)' : ', and none ending earlier fails'}:`,
    );
  }
  lines.push(`    ${formatEvent(culprit, origin)}`);
  const needed = needsValue(culprit);
  const possible = possibleValues ? possibleValues.map((v) => (v === ANY_VALUE ? v : formatValue(v))).join(', ') : null;
  if (possible !== null) {
    const where = 'at any point within its interval, in any valid order of the operations up to its completion';
    const extra = problem.pruned.length > 0 ? ` (leaving out ${problem.pruned.length} unknown-outcome operation(s) whose value nothing looks at)` : '';
    if (needed !== undefined && possibleValues?.includes(needed)) {
      lines.push(
        `The register could hold ${possible} ${where}, so it could see ${formatValue(needed)}; but then its effect contradicts operations that must be placed after it${extra}.`,
      );
    } else if (needed !== undefined) {
      lines.push(`It observed ${formatValue(needed)}, but the register could only hold ${possible} ${where}${extra}.`);
    } else if (culprit.op.f === 'cas' && culprit.result === false) {
      lines.push(`It failed, so the register did not hold ${formatValue(culprit.op.expected)}; but the register could only hold ${possible} ${where}${extra}.`);
    } else if (culprit.op.f === 'delete' && culprit.result !== null && culprit.result !== undefined) {
      lines.push(`It reported the key ${culprit.result ? 'existed' : 'was absent'}, but the register could only hold ${possible} ${where}${extra}.`);
    } else {
      lines.push(`The register could hold ${possible} when it takes effect, but its effect contradicts operations that must be placed after it${extra}.`);
    }
  } else {
    lines.push(`(What the register could hold there was not computed: the search budget ran out.)`);
  }
  if (needed !== undefined) {
    const writers = writersOf(events, needed);
    if (writers.length === 0) lines.push(`No operation in the history writes ${formatValue(needed)}.`);
    else {
      lines.push(...listEvents(`Operations that write ${formatValue(needed)}:`, writers, origin, 10));
      if (start !== -Infinity && writers.every((w) => w.outcome === 'ok' && (w.completeMs as number) < start)) {
        lines.push(`(All completed before the window began: inside it, the register holds ${formatValue(needed)} only if it did at the start.)`);
      }
    }
  }
  const from = start === -Infinity ? 'the start of the history' : at(start);
  lines.push(...listEvents(`The window, from ${from} to ${at(T)}:`, window, origin));
  if (running.length > 0) lines.push(...listEvents(`Already running at ${at(start)}, and so possibly taking effect before the window or inside it:`, running, origin, 10));
  if (start === -Infinity) lines.push(`The register starts as ${formatValue(initial)}; times are ms since the history's first invocation.`);
  else lines.push(`Times are ms since the history's first invocation.`);
  return { culprit, window: [...running, ...window], possibleValues, text: lines.join('\n'), states };
}
