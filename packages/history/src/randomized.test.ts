/**
 * Seeded, randomized: histories of a correct register under concurrency must pass; the same
 * histories with one result made certainly impossible must fail, naming it; and the fast
 * checker must agree with the brute-force one on thousands of small histories, correct or not.
 */
import { SeededRng } from '@mk/shared';
import { checkLinearizability, windowRefutes } from './linearizability';
import { isLinearizableBruteForce } from './reference';
import { corruptRead, injectInvertedReads, simulateRegisterHistory, type Corruption } from './simulate';
import type { HistoryEvent, Op } from './types';

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
/** The refutations that need the search cost more: fewer seeds. */
const SEARCH_SEEDS = SEEDS.slice(0, 6);

/** A correct run with the seed's shape: 2–21 processes, 1–3 keys, up to 15% unknown outcomes. */
function run(seed: number, ops = 600) {
  const rng = new SeededRng(seed * 7919);
  return simulateRegisterHistory({
    seed,
    processes: 2 + rng.int(20),
    ops,
    keys: 1 + rng.int(3),
    unknownRate: rng.next() * 0.15,
    failRate: 0.03,
    deleteReportsExistence: rng.next() < 0.7,
  });
}

describe('simulated correct histories', () => {
  it.each(SEEDS)('seed %i: linearizable', (seed) => {
    expect(checkLinearizability(run(seed).history)).toMatchObject({ ok: true });
  });

  it('a large one: 3000 ops on one key, 30 concurrent clients, 5% unknown outcomes', () => {
    const { history } = simulateRegisterHistory({ seed: 99, processes: 30, ops: 3000, keys: 1, unknownRate: 0.05 });
    expect(checkLinearizability(history)).toMatchObject({ ok: true });
  });
});

describe('simulated histories with one certainly impossible result', () => {
  const cases: [number, Corruption][] = SEEDS.flatMap((seed) => (['stale', 'future', 'never-written'] as const).map((k) => [seed, k] as [number, Corruption]));

  it.each(cases)('seed %i, a %s read: caught, and named', (seed, kind) => {
    const bad = corruptRead(run(seed).history, kind, new SeededRng(seed));
    if (!bad) return; // (no read fits this corruption in this history)
    const r = checkLinearizability(bad.history);
    expect(r.ok).toBe(false);
    if (r.ok === false) {
      expect(r.culprit.id).toBe(bad.event.id);
      expect(r.key).toBe(bad.event.op.key);
    }
  });

  it.each(SEARCH_SEEDS)('seed %i, reads of two concurrent writes in opposite orders at the end: refuted by search, and named', (seed) => {
    const { history } = run(seed);
    const end = Math.max(...history.map((e) => e.completeMs ?? e.invokeMs)) + 1;
    const bad = injectInvertedReads(history, 'k0', end);
    const r = checkLinearizability(bad.history);
    expect(r.ok).toBe(false);
    if (r.ok === false) expect(r.culprit.id).toBe(bad.secondRead.id);
  });

  it.each(SEARCH_SEEDS)('seed %i, the same in the middle of the history: refuted', (seed) => {
    const { history } = run(seed);
    const times = history.map((e) => e.invokeMs).sort((x, y) => x - y);
    const bad = injectInvertedReads(history, 'k0', times[Math.floor(times.length / 2)]!);
    // (The two injected writes may also contradict reads around them: any culprit will do.)
    expect(checkLinearizability(bad.history).ok).toBe(false);
  });
});

describe('the search budget', () => {
  it('answers unknown, never more than its budget, rather than run on', () => {
    const { history } = simulateRegisterHistory({ seed: 5, processes: 20, ops: 2000, keys: 1, unknownRate: 0.05 });
    const times = history.map((e) => e.invokeMs).sort((x, y) => x - y);
    const bad = injectInvertedReads(history, 'k0', times[1000]!).history;
    for (const maxStates of [1, 50, 500]) {
      const r = checkLinearizability(bad, { maxStates });
      expect(r.ok).toBe('unknown');
      expect(r.statesExplored).toBeLessThanOrEqual(maxStates);
      if (r.ok === 'unknown') expect(r.explanation).toContain('raise maxStates');
    }
    expect(checkLinearizability(bad).ok).toBe(false);
  });
});

/** Small random histories on one key, correct or not: the brute-force checker can take them. */
function smallHistory(rng: SeededRng): HistoryEvent[] {
  const n = 1 + rng.int(10);
  const values = ['a', 'b', 'c'].slice(0, 1 + rng.int(3));
  const pick = (): string => values[rng.int(values.length)]!;
  const span = 5 + rng.int(25);
  const unknownRate = rng.next() * 0.3;
  return Array.from({ length: n }, (_, id) => {
    const t0 = rng.int(span);
    const r = rng.next();
    const outcome = r < unknownRate ? 'unknown' : r < unknownRate + 0.05 ? 'fail' : 'ok';
    const f = (['read', 'read', 'write', 'write', 'cas', 'delete'] as const)[rng.int(6)]!;
    const op: Op =
      f === 'read' ? { f, key: 'x' } : f === 'write' ? { f, key: 'x', value: pick() } : f === 'cas' ? { f, key: 'x', expected: rng.next() < 0.2 ? null : pick(), value: pick() } : { f, key: 'x' };
    const e: HistoryEvent = { id, process: id, op, invokeMs: t0, completeMs: t0 + rng.int(8), outcome };
    if (outcome === 'ok' && f === 'read') e.result = rng.next() < 0.2 ? null : pick();
    if (outcome === 'ok' && f === 'cas') e.result = rng.next() < 0.5;
    if (outcome === 'ok' && f === 'delete') e.result = ([true, false, null] as const)[rng.int(3)]!;
    return e;
  });
}

describe('against the brute-force checker', () => {
  it('agrees on 4000 small random histories (about half of them not linearizable)', () => {
    const rng = new SeededRng(2024);
    const verdicts = { agree: 0, linearizable: 0 };
    const disagreements: HistoryEvent[][] = [];
    for (let i = 0; i < 4000; i++) {
      const h = smallHistory(rng);
      const expected = isLinearizableBruteForce(h);
      const got = checkLinearizability(h, { explain: i % 10 === 0 }).ok;
      if (got === expected) verdicts.agree++;
      else disagreements.push(h);
      if (expected) verdicts.linearizable++;
    }
    expect(disagreements.slice(0, 1)).toEqual([]);
    expect(verdicts.linearizable).toBeGreaterThan(1000);
    expect(verdicts.linearizable).toBeLessThan(3000);
  });

  it('never refutes a window of a linearizable history (2000 histories, 3 windows each)', () => {
    const rng = new SeededRng(7);
    let refuted = 0;
    for (let i = 0; i < 2000; i++) {
      const h = smallHistory(rng);
      const linearizable = isLinearizableBruteForce(h);
      const starts = h.map((e) => e.invokeMs);
      const ends = h.map((e) => e.completeMs ?? e.invokeMs);
      for (let w = 0; w < 3; w++) {
        const start = rng.next() < 0.2 ? -Infinity : starts[rng.int(starts.length)]!;
        const cutoff = rng.next() < 0.3 ? Infinity : Math.max(start, ends[rng.int(ends.length)]!);
        const r = windowRefutes(h, start, cutoff);
        if (r) refuted++;
        if (r && linearizable) throw new Error(`window [${start}, ${cutoff}] refuted a linearizable history: ${JSON.stringify(h)}`);
      }
    }
    expect(refuted).toBeGreaterThan(500); // the property is not vacuous
  });
});
