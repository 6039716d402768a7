/**
 * A one-line-per-operation notation for hand-written histories (tests, examples, bug reports):
 *
 *   '1 write a 0-10'              process 1 writes "a" to key x, invoked at 0, acknowledged at 10
 *   '2 read a 12-14'              a read that returned "a" ('-' for a missing key)
 *   '3 cas a>b true 0-5'          compare-and-set "a" → "b" that applied ('-' expects missing)
 *   '4 delete existed 0-5'        a delete that reported the key existed (or 'absent', or neither)
 *   '1 write a 0-10 unknown'      outcome unknown (10: when the client gave up); or 'fail'
 *   '1 write a 0-10 @y'           on key y instead of x
 *   '1 write a 0-10 rev=7'        with the response's revision
 *
 * Ids are the line numbers, from 0.
 */
import type { HistoryEvent, Op, OpResult, Outcome } from './types';

export function parseHistoryLines(lines: readonly string[]): HistoryEvent[] {
  return lines.map((line, id) => parseLine(line, id));
}

function parseLine(line: string, id: number): HistoryEvent {
  const fail = (why: string): never => {
    throw new SyntaxError(`history line ${id} (${JSON.stringify(line)}): ${why}`);
  };
  const tokens = line.trim().split(/\s+/);
  let key = 'x';
  let outcome: Outcome = 'ok';
  let revision: number | undefined;
  const rest: string[] = [];
  for (const t of tokens) {
    if (t.startsWith('@')) key = t.slice(1);
    else if (t === 'unknown' || t === 'fail') outcome = t;
    else if (t.startsWith('rev=')) revision = Number(t.slice(4));
    else rest.push(t);
  }
  const [proc, f, ...args] = rest;
  if (proc === undefined || f === undefined) return fail('expected "<process> <op> ..."');
  const times = args.pop();
  const m = times && /^(-?[\d.]+)-(-?[\d.]+)$/.exec(times);
  if (!m) return fail('expected the times last, as <invoke>-<complete>');
  const invokeMs = Number(m[1]);
  const completeMs = Number(m[2]);
  const value = (s: string | undefined): string | null => (s === '-' ? null : s === undefined ? fail('missing a value') : s);
  let op: Op;
  let result: OpResult | undefined;
  switch (f) {
    case 'read':
      op = { f, key };
      result = value(args[0]);
      break;
    case 'write':
      op = { f, key, value: value(args[0]) ?? fail('a write needs a value') };
      break;
    case 'cas': {
      const [from, to] = (args[0] ?? fail('cas needs <expected>><value>')).split('>');
      op = { f, key, expected: value(from), value: value(to) ?? fail('a cas sets a value') };
      if (args[1] !== 'true' && args[1] !== 'false') return fail('a cas needs true or false');
      result = args[1] === 'true';
      break;
    }
    case 'delete':
      op = { f, key };
      result = args[0] === 'existed' ? true : args[0] === 'absent' ? false : null;
      break;
    default:
      return fail(`unknown op ${f}`);
  }
  const e: HistoryEvent = { id, process: proc, op, invokeMs, completeMs, outcome };
  if (outcome === 'ok' && result !== undefined) e.result = result;
  if (outcome !== 'ok') e.error = outcome === 'fail' ? 'refused' : 'timed out';
  if (revision !== undefined) e.revision = revision;
  return e;
}
