/**
 * Recording a history: a chaos test wraps every client call in `invoke` … `ok | fail | unknown`,
 * and saves the history as JSON when a check fails.
 */
import type { Clock } from '@mk/shared';
import type { HistoryEvent, History, Op, OpResult, ProcessId, ResultOf } from './types';

/** Extra facts an acknowledged response carries. */
export interface OkMeta {
  /** The response header's revision (for `revisionsIncrease` and `watchComplete`). */
  revision?: number;
}

/** The pending half of an operation: exactly one of ok / fail / unknown completes it. */
export interface OpHandle<O extends Op = Op> {
  readonly id: number;
  /** Acknowledged. A read must pass its value (null: missing), a cas whether it applied. */
  ok(result?: ResultOf<O>, meta?: OkMeta): void;
  /** Definitely did not take effect. */
  fail(error?: unknown): void;
  /** May or may not have taken effect (timeout, connection lost during a write). */
  unknown(error?: unknown): void;
}

/** What a pending operation reads as in a snapshot: it may still take effect. */
export const PENDING_ERROR = 'no response when the history was taken';

function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/**
 * Records operations with timestamps from an injected Clock (real runs pass `systemClock`). The
 * recorder makes its timestamps monotonic: a clock that steps back (NTP) reads as standing still,
 * so a completion is never before its invocation and real-time order is never invented.
 */
export class HistoryRecorder {
  private readonly events: HistoryEvent[] = [];
  private readonly open = new Set<number>();
  private last = -Infinity;

  constructor(private readonly clock: Clock) {}

  private now(): number {
    const t = this.clock.now();
    if (!Number.isFinite(t)) throw new RangeError(`clock returned ${t}`);
    if (t > this.last) this.last = t;
    return this.last;
  }

  invoke<O extends Op>(process: ProcessId, op: O): OpHandle<O> {
    checkProcess(process, 'process');
    checkOp(op, 'op');
    const id = this.events.length;
    const event: HistoryEvent = { id, process, op: { ...op }, invokeMs: this.now(), completeMs: null, outcome: 'unknown' };
    this.events.push(event);
    this.open.add(id);
    const complete = (what: string): void => {
      if (!this.open.delete(id)) {
        throw new Error(`operation #${id} (${op.f} ${JSON.stringify(op.key)}) was already completed; cannot complete it again with ${what}`);
      }
      event.completeMs = this.now();
    };
    return {
      id,
      ok: (result?: ResultOf<O>, meta?: OkMeta) => {
        const r = normaliseResult(op, result, `#${id} ok()`);
        if (meta?.revision !== undefined) checkRevision(meta.revision, `#${id} ok() revision`);
        complete('ok');
        event.outcome = 'ok';
        if (r !== undefined) event.result = r;
        if (meta?.revision !== undefined) event.revision = meta.revision;
      },
      fail: (error?: unknown) => {
        complete('fail');
        event.outcome = 'fail';
        const text = errorText(error);
        if (text !== undefined) event.error = text;
      },
      unknown: (error?: unknown) => {
        complete('unknown');
        event.outcome = 'unknown';
        const text = errorText(error);
        if (text !== undefined) event.error = text;
      },
    };
  }

  /** Operations invoked and not yet completed. */
  pendingCount(): number {
    return this.open.size;
  }

  /**
   * A snapshot, in invocation order. Operations still pending read as `unknown` with
   * `completeMs: null`: whatever happens to them later, they may have taken effect.
   */
  history(): HistoryEvent[] {
    return this.events.map((e) => {
      const copy: HistoryEvent = { ...e, op: { ...e.op } };
      if (this.open.has(e.id)) copy.error = PENDING_ERROR;
      return copy;
    });
  }
}

function normaliseResult(op: Op, result: unknown, where: string): OpResult | undefined {
  switch (op.f) {
    case 'read':
      if (result === null || typeof result === 'string') return result;
      throw new TypeError(`${where}: a read's result must be its value (a string) or null for a missing key, got ${JSON.stringify(result)}`);
    case 'cas':
      if (typeof result === 'boolean') return result;
      throw new TypeError(`${where}: a cas's result must be true (applied) or false (did not), got ${JSON.stringify(result)}`);
    case 'delete':
      if (result === undefined || result === null) return null;
      if (typeof result === 'boolean') return result;
      throw new TypeError(`${where}: a delete's result must be whether the key existed (boolean) or null, got ${JSON.stringify(result)}`);
    case 'write':
      if (result === undefined || result === null) return undefined;
      throw new TypeError(`${where}: a write has no result, got ${JSON.stringify(result)}`);
  }
}

function checkProcess(p: unknown, where: string): void {
  if (!(typeof p === 'string' || (typeof p === 'number' && Number.isFinite(p)))) {
    throw new TypeError(`${where}: a process id is a string or a finite number, got ${JSON.stringify(p)}`);
  }
}

function checkRevision(r: unknown, where: string): void {
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 0) {
    throw new TypeError(`${where}: a revision is a non-negative integer, got ${JSON.stringify(r)}`);
  }
}

function checkOp(op: unknown, where: string): asserts op is Op {
  if (typeof op !== 'object' || op === null) throw new TypeError(`${where}: not an operation: ${JSON.stringify(op)}`);
  const o = op as Record<string, unknown>;
  if (typeof o.key !== 'string') throw new TypeError(`${where}.key must be a string, got ${JSON.stringify(o.key)}`);
  switch (o.f) {
    case 'read':
    case 'delete':
      return;
    case 'write':
      if (typeof o.value !== 'string') throw new TypeError(`${where}.value of a write must be a string, got ${JSON.stringify(o.value)}`);
      return;
    case 'cas':
      if (typeof o.value !== 'string') throw new TypeError(`${where}.value of a cas must be a string, got ${JSON.stringify(o.value)}`);
      if (!(o.expected === null || typeof o.expected === 'string')) {
        throw new TypeError(`${where}.expected of a cas must be a string or null, got ${JSON.stringify(o.expected)}`);
      }
      return;
    default:
      throw new TypeError(`${where}.f must be read, write, cas or delete, got ${JSON.stringify(o.f)}`);
  }
}

/**
 * Throws a TypeError naming the field when `e` is not a well-formed event: the right result type
 * for its outcome, a completion time (null only for `unknown`) not before its invocation.
 */
export function assertValidEvent(e: unknown, where = 'event'): asserts e is HistoryEvent {
  if (typeof e !== 'object' || e === null) throw new TypeError(`${where}: not an object`);
  const ev = e as Record<string, unknown>;
  if (typeof ev.id !== 'number' || !Number.isSafeInteger(ev.id) || ev.id < 0) {
    throw new TypeError(`${where}.id must be a non-negative integer, got ${JSON.stringify(ev.id)}`);
  }
  checkProcess(ev.process, `${where}.process`);
  checkOp(ev.op, `${where}.op`);
  if (typeof ev.invokeMs !== 'number' || !Number.isFinite(ev.invokeMs)) {
    throw new TypeError(`${where}.invokeMs must be a finite number, got ${JSON.stringify(ev.invokeMs)}`);
  }
  if (ev.outcome !== 'ok' && ev.outcome !== 'fail' && ev.outcome !== 'unknown') {
    throw new TypeError(`${where}.outcome must be ok, fail or unknown, got ${JSON.stringify(ev.outcome)}`);
  }
  if (ev.completeMs === null || ev.completeMs === undefined) {
    if (ev.outcome !== 'unknown') throw new TypeError(`${where}: an ${ev.outcome} operation needs completeMs`);
  } else if (typeof ev.completeMs !== 'number' || !Number.isFinite(ev.completeMs) || ev.completeMs < ev.invokeMs) {
    throw new TypeError(`${where}.completeMs must be a finite number not before invokeMs (${ev.invokeMs}), got ${JSON.stringify(ev.completeMs)}`);
  }
  if (ev.outcome === 'ok') {
    normaliseResult(ev.op, ev.result, where);
    if (ev.revision !== undefined) checkRevision(ev.revision, `${where}.revision`);
  } else if (ev.result !== undefined) {
    throw new TypeError(`${where}: a ${ev.outcome} operation has no result`);
  }
  if (ev.error !== undefined && typeof ev.error !== 'string') throw new TypeError(`${where}.error must be a string`);
}

export const HISTORY_FORMAT = 'mk-history/1';

/**
 * JSON for saving a history (with free-form `meta`: the seed, the fault schedule, the cluster),
 * one operation per line so a diff or a grep reads it.
 */
export function serializeHistory(history: History, meta: Record<string, unknown> = {}): string {
  history.forEach((e, i) => assertValidEvent(e, `history[${i}]`));
  const lines = history.map((e) => `  ${JSON.stringify(e)}`);
  return `{"format":${JSON.stringify(HISTORY_FORMAT)},"meta":${JSON.stringify(meta)},"events":[\n${lines.join(',\n')}\n]}\n`;
}

/** The inverse of serializeHistory; throws a TypeError naming the first malformed event. */
export function parseHistory(json: string): { events: HistoryEvent[]; meta: Record<string, unknown> } {
  const doc: unknown = JSON.parse(json);
  if (typeof doc !== 'object' || doc === null) throw new TypeError('a history is a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.format !== HISTORY_FORMAT) throw new TypeError(`unknown history format ${JSON.stringify(d.format)}; expected ${HISTORY_FORMAT}`);
  if (!Array.isArray(d.events)) throw new TypeError('history.events must be an array');
  const meta = typeof d.meta === 'object' && d.meta !== null && !Array.isArray(d.meta) ? (d.meta as Record<string, unknown>) : {};
  const events: HistoryEvent[] = d.events.map((e: unknown, i: number) => {
    assertValidEvent(e, `events[${i}]`);
    const copy: HistoryEvent = { ...e, op: { ...e.op } };
    if (copy.completeMs === undefined) copy.completeMs = null;
    return copy;
  });
  return { events, meta };
}
