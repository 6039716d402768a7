/**
 * History checks beside linearizability: acknowledged writes survive, revisions increase,
 * watches deliver every event once, in order. Each returns `ok` and the violations, each with a
 * message a human can act on.
 */
import { assertValidEvent } from './recorder';
import { formatEvent, formatValue, historyOrigin, type History, type HistoryEvent, type ProcessId } from './types';

// ---------------------------------------------------------------------------------------------
// Acknowledged writes survive
// ---------------------------------------------------------------------------------------------

export interface LostWrite {
  key: string;
  /** The acknowledged write (or applied cas, or delete) whose effect is gone. */
  event: HistoryEvent;
  /** What the key held at the end (null: missing). */
  finalValue: string | null;
  message: string;
}

export interface AckedWritesResult {
  ok: boolean;
  lost: LostWrite[];
  /** Keys written in the history but absent from finalReads: not checked. */
  unchecked: string[];
}

/** The value an op leaves behind if it takes effect; undefined for ops that change nothing. */
function effect(e: HistoryEvent): { value: string | null } | undefined {
  const op = e.op;
  if (e.outcome === 'fail') return undefined;
  const unknown = e.outcome === 'unknown';
  switch (op.f) {
    case 'read':
      return undefined;
    case 'write':
      return { value: op.value };
    case 'cas':
      return unknown || e.result === true ? { value: op.value } : undefined;
    case 'delete':
      return unknown || e.result !== false ? { value: null } : undefined;
  }
}

/**
 * Every acknowledged mutation (write, applied cas, delete) must be visible in the final state
 * unless something may have overwritten it: an acknowledged mutation that did not complete
 * before it was invoked, or an unknown-outcome mutation (which may take effect any time after
 * its invocation). Precisely, W survives when the final value is W's, or when some other
 * mutation that may be ordered after W left the final value. `finalReads` maps each key to its
 * value read after the run (null: missing); keys it lacks are reported as unchecked.
 */
export function ackedWritesSurvive(
  history: History,
  finalReads: ReadonlyMap<string, string | null> | Readonly<Record<string, string | null>>,
): AckedWritesResult {
  const finals: ReadonlyMap<string, string | null> = finalReads instanceof Map ? finalReads : new Map(Object.entries(finalReads));
  const origin = historyOrigin(history);
  const byKey = new Map<string, HistoryEvent[]>();
  history.forEach((e, i) => {
    assertValidEvent(e, `history[${i}]`);
    if (!effect(e)) return;
    let list = byKey.get(e.op.key);
    if (!list) byKey.set(e.op.key, (list = []));
    list.push(e);
  });
  const lost: LostWrite[] = [];
  const unchecked: string[] = [];
  for (const [key, mutations] of byKey) {
    if (!finals.has(key)) {
      if (mutations.some((e) => e.outcome === 'ok')) unchecked.push(key);
      continue;
    }
    const final = finals.get(key) ?? null;
    // The latest completion among the mutations that leave the final value (+∞: unknown outcome).
    let lastFinalWriter = -Infinity;
    for (const e of mutations) {
      if (effect(e)!.value !== final) continue;
      lastFinalWriter = Math.max(lastFinalWriter, e.outcome === 'unknown' ? Infinity : (e.completeMs as number));
    }
    for (const w of mutations) {
      if (w.outcome !== 'ok') continue;
      const value = effect(w)!.value;
      if (value === final) continue;
      // Some mutation leaving the final value may be ordered after w: w was overwritten.
      if (lastFinalWriter >= w.invokeMs) continue;
      const why =
        lastFinalWriter === -Infinity
          ? `no operation in the history leaves ${formatValue(final)}`
          : `every operation leaving ${formatValue(final)} completed before it was invoked`;
      lost.push({
        key,
        event: w,
        finalValue: final,
        message: `key ${JSON.stringify(key)}: acknowledged ${formatEvent(w, origin)} is lost: the final value is ${formatValue(final)}, and ${why}`,
      });
    }
  }
  return { ok: lost.length === 0, lost, unchecked };
}

// ---------------------------------------------------------------------------------------------
// Revisions increase
// ---------------------------------------------------------------------------------------------

export interface RevisionObservation {
  process: ProcessId;
  /**
   * `write`: the operation created a revision (a put, an applied txn, a delete that deleted
   * something), and `revision` is it. `read`: anything else; `revision` is the header's.
   */
  kind: 'read' | 'write';
  revision: number;
  invokeMs: number;
  completeMs: number;
  /** For messages: the key, the history event id. */
  key?: string;
  eventId?: number;
}

export interface RevisionViolation {
  kind: 'client-went-back' | 'duplicate-write-revision' | 'write-not-after-earlier-write';
  /** The later observation, which contradicts `earlier`. */
  observation: RevisionObservation;
  earlier: RevisionObservation;
  message: string;
}

export interface RevisionsResult {
  ok: boolean;
  violations: RevisionViolation[];
}

/**
 * The revision observations a history carries (ok events recorded with a revision): a write,
 * an applied cas and a delete that reported the key existed created their revision; anything
 * else (reads, failed cas, deletes that did not report) only observed the header's.
 */
export function revisionObservations(history: History): RevisionObservation[] {
  const out: RevisionObservation[] = [];
  for (const e of history) {
    if (e.outcome !== 'ok' || e.revision === undefined) continue;
    const created = e.op.f === 'write' || (e.op.f === 'cas' && e.result === true) || (e.op.f === 'delete' && e.result === true);
    out.push({
      process: e.process,
      kind: created ? 'write' : 'read',
      revision: e.revision,
      invokeMs: e.invokeMs,
      completeMs: e.completeMs as number,
      key: e.op.key,
      eventId: e.id,
    });
  }
  return out;
}

function describeObservation(o: RevisionObservation): string {
  const what = o.eventId !== undefined ? `#${o.eventId} ` : '';
  const key = o.key !== undefined ? ` ${JSON.stringify(o.key)}` : '';
  return `${what}p${String(o.process)} ${o.kind}${key} rev=${o.revision} [${o.invokeMs} → ${o.completeMs} ms]`;
}

/**
 * For each observation b, the one with the highest revision among those that completed before b
 * was invoked: strictly before, or (`sameInstant`, for one process's own sequence) also at the
 * same instant when it comes first in invocation order. O(n log n).
 */
function maxCompletedBefore(list: RevisionObservation[], sameInstant: boolean): (RevisionObservation | undefined)[] {
  const n = list.length;
  const order = list.map((_, i) => i).sort((x, y) => list[x]!.invokeMs - list[y]!.invokeMs || x - y);
  const pos = new Int32Array(n);
  order.forEach((i, p) => (pos[i] = p));
  const byComplete = list.map((_, i) => i).sort((x, y) => list[x]!.completeMs - list[y]!.completeMs || pos[x]! - pos[y]!);
  const out: (RevisionObservation | undefined)[] = new Array(n);
  let j = 0;
  let best: RevisionObservation | undefined;
  for (const i of order) {
    const b = list[i]!;
    while (j < n) {
      const ci = byComplete[j]!;
      const c = list[ci]!;
      if (c.completeMs > b.invokeMs) break;
      if (c.completeMs === b.invokeMs && (!sameInstant || pos[ci]! >= pos[i]!)) break;
      if (!best || c.revision > best.revision) best = c;
      j++;
    }
    out[i] = best;
  }
  return out;
}

/**
 * - Each client's revisions never go back: an observation after another of the same process
 *   (invoked no earlier than it completed) has a revision at least as high.
 * - Each write's revision is unique, and strictly greater than that of every write that
 *   completed before it was invoked (real-time order, across all clients).
 */
export function revisionsIncrease(observations: readonly RevisionObservation[]): RevisionsResult {
  const violations: RevisionViolation[] = [];
  observations.forEach((o, i) => {
    if (!Number.isSafeInteger(o.revision) || o.revision < 0) throw new TypeError(`observations[${i}].revision must be a non-negative integer, got ${o.revision}`);
    if (!(o.completeMs >= o.invokeMs)) throw new TypeError(`observations[${i}] completes (${o.completeMs}) before it is invoked (${o.invokeMs})`);
  });

  const byProcess = new Map<ProcessId, RevisionObservation[]>();
  for (const o of observations) {
    let list = byProcess.get(o.process);
    if (!list) byProcess.set(o.process, (list = []));
    list.push(o);
  }
  for (const list of byProcess.values()) {
    const prior = maxCompletedBefore(list, true);
    list.forEach((o, i) => {
      const e = prior[i];
      if (e && o.revision < e.revision) {
        violations.push({
          kind: 'client-went-back',
          observation: o,
          earlier: e,
          message: `process ${String(o.process)} saw revision ${o.revision} after already seeing ${e.revision}: ${describeObservation(o)} follows ${describeObservation(e)}`,
        });
      }
    });
  }

  const writes = observations.filter((o) => o.kind === 'write');
  const byRevision = new Map<number, RevisionObservation>();
  for (const w of writes) {
    const other = byRevision.get(w.revision);
    if (other) {
      violations.push({
        kind: 'duplicate-write-revision',
        observation: w,
        earlier: other,
        message: `two writes created revision ${w.revision}: ${describeObservation(other)} and ${describeObservation(w)}`,
      });
    } else byRevision.set(w.revision, w);
  }
  const prior = maxCompletedBefore(writes, false);
  writes.forEach((w, i) => {
    const e = prior[i];
    if (e && w.revision <= e.revision) {
      violations.push({
        kind: 'write-not-after-earlier-write',
        observation: w,
        earlier: e,
        message: `write revision ${w.revision} is not above ${e.revision}, created by a write that completed before it was invoked: ${describeObservation(w)} follows ${describeObservation(e)}`,
      });
    }
  });
  return { ok: violations.length === 0, violations };
}

// ---------------------------------------------------------------------------------------------
// Watches complete
// ---------------------------------------------------------------------------------------------

/** A write known to be committed: from an acknowledged response, or from the final state. */
export interface CommittedWrite {
  key: string;
  /** The revision that changed the key (a response's header revision, or a key's mod_revision). */
  revision: number;
  /** When known: compared with the watcher's event. */
  type?: 'put' | 'delete';
  value?: string | null;
}

export interface WatchEvent {
  key: string;
  /** The key's mod_revision in the event. */
  revision: number;
  type: 'put' | 'delete';
  value?: string | null;
}

export interface WatchOptions {
  /** The watched key prefix ('' for everything). */
  prefix: string;
  /** The watch's start revision (inclusive); default 1. */
  fromRevision?: number;
  /** Check for gaps up to this revision (inclusive); default the highest committed write's. */
  toRevision?: number;
}

export interface WatchViolation {
  kind: 'duplicate' | 'gap' | 'reorder' | 'mismatch' | 'out-of-range';
  /** The position in watchedEvents (-1 for a gap, which is a write never delivered). */
  index: number;
  key: string;
  revision: number;
  message: string;
}

export interface WatchResult {
  ok: boolean;
  violations: WatchViolation[];
  /**
   * Events that match no known committed write: not a violation by themselves (a write whose
   * response was lost may have committed), but worth a look.
   */
  unexplained: WatchEvent[];
}

/** The committed writes a history carries: ok mutations recorded with the revision they created. */
export function committedWritesFromHistory(history: History): CommittedWrite[] {
  const out: CommittedWrite[] = [];
  for (const e of history) {
    if (e.outcome !== 'ok' || e.revision === undefined) continue;
    const op = e.op;
    if (op.f === 'write' || (op.f === 'cas' && e.result === true)) out.push({ key: op.key, revision: e.revision, type: 'put', value: op.value });
    else if (op.f === 'delete' && e.result === true) out.push({ key: op.key, revision: e.revision, type: 'delete', value: null });
  }
  return out;
}

/**
 * One watcher over a key prefix: every committed write to a watched key with a revision in
 * [fromRevision, toRevision] appears exactly once, in revision order, with no gap. Events
 * sharing a revision must be on different keys (one transaction changing several keys).
 */
export function watchComplete(writes: readonly CommittedWrite[], watchedEvents: readonly WatchEvent[], options: WatchOptions): WatchResult {
  const { prefix } = options;
  const from = options.fromRevision ?? 1;
  const violations: WatchViolation[] = [];
  const id = (key: string, revision: number): string => `${revision}\u0000${key}`;

  const known = new Map<string, CommittedWrite>();
  let maxRevision = -Infinity;
  for (const w of writes) {
    if (!w.key.startsWith(prefix) || w.revision < from) continue;
    const k = id(w.key, w.revision);
    const other = known.get(k);
    if (other) {
      const otherType = other.type ?? w.type;
      const otherValue = other.value !== undefined ? other.value : w.value;
      if ((w.type !== undefined && otherType !== undefined && w.type !== otherType) || (w.value !== undefined && otherValue !== undefined && w.value !== otherValue)) {
        violations.push({
          kind: 'mismatch',
          index: -1,
          key: w.key,
          revision: w.revision,
          message: `two committed writes disagree about key ${JSON.stringify(w.key)} at revision ${w.revision}: ${formatValue(otherValue)} and ${formatValue(w.value)}`,
        });
      }
      known.set(k, { ...other, type: otherType, value: otherValue });
      continue;
    }
    known.set(k, w);
    maxRevision = Math.max(maxRevision, w.revision);
  }
  const to = options.toRevision ?? maxRevision;

  const seen = new Map<string, number>();
  const unexplained: WatchEvent[] = [];
  let last: WatchEvent | undefined;
  watchedEvents.forEach((ev, index) => {
    const where = `event #${index} (${ev.type} ${JSON.stringify(ev.key)} at revision ${ev.revision})`;
    if (!ev.key.startsWith(prefix)) {
      violations.push({ kind: 'out-of-range', index, key: ev.key, revision: ev.revision, message: `${where} is outside the watched prefix ${JSON.stringify(prefix)}` });
      return;
    }
    if (ev.revision < from) {
      violations.push({ kind: 'out-of-range', index, key: ev.key, revision: ev.revision, message: `${where} is before the watch's start revision ${from}` });
      return;
    }
    const k = id(ev.key, ev.revision);
    const firstAt = seen.get(k);
    if (firstAt !== undefined) {
      violations.push({ kind: 'duplicate', index, key: ev.key, revision: ev.revision, message: `${where} was already delivered as event #${firstAt}` });
      return;
    }
    seen.set(k, index);
    if (last && ev.revision < last.revision) {
      violations.push({
        kind: 'reorder',
        index,
        key: ev.key,
        revision: ev.revision,
        message: `${where} comes after an event at revision ${last.revision} (${JSON.stringify(last.key)}): out of revision order`,
      });
    } else last = ev;
    const w = known.get(k);
    if (!w) {
      unexplained.push(ev);
      return;
    }
    const expectedType = w.type ?? (w.value === null ? 'delete' : w.value !== undefined ? 'put' : undefined);
    if (expectedType !== undefined && expectedType !== ev.type) {
      violations.push({ kind: 'mismatch', index, key: ev.key, revision: ev.revision, message: `${where}: the committed write at that revision was a ${expectedType}` });
    } else if (ev.type === 'put' && w.value !== undefined && ev.value !== undefined && w.value !== ev.value) {
      violations.push({
        kind: 'mismatch',
        index,
        key: ev.key,
        revision: ev.revision,
        message: `${where} carries ${formatValue(ev.value)}, but the committed write at that revision wrote ${formatValue(w.value)}`,
      });
    }
  });

  const sortedSeen = [...seen.keys()].map((k) => Number(k.slice(0, k.indexOf('\u0000')))).sort((x, y) => x - y);
  const missing = [...known.values()].filter((w) => w.revision <= to && !seen.has(id(w.key, w.revision))).sort((x, y) => x.revision - y.revision);
  for (const w of missing) {
    // The neighbours the watcher did deliver, for context.
    let lo = 0;
    let hi = sortedSeen.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedSeen[mid]! < w.revision) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? `after revision ${sortedSeen[lo - 1]}` : 'before any delivered event';
    const after = lo < sortedSeen.length ? `, before revision ${sortedSeen[lo]}` : ', after the last delivered event';
    violations.push({
      kind: 'gap',
      index: -1,
      key: w.key,
      revision: w.revision,
      message: `the watcher never delivered the committed ${w.type ?? 'write'} of ${JSON.stringify(w.key)} at revision ${w.revision} (${before}${after})`,
    });
  }
  return { ok: violations.length === 0, violations, unexplained };
}
