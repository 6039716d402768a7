import { checkLinearizability } from './linearizability';
import { isLinearizableBruteForce } from './reference';
import { parseHistoryLines } from './testing-dsl';

/** Notation: see testing-dsl.ts ('<process> <op> <args> <invoke>-<complete> [unknown|fail] [@key]'). */
const LINEARIZABLE: [string, string[]][] = [
  ['an empty history', []],
  ['a write, then a read of it', ['1 write a 0-10', '2 read a 20-30']],
  ['a read concurrent with a write sees the old value', ['1 write a 0-10', '2 write b 20-40', '3 read a 25-30']],
  ['a read concurrent with a write sees the new value', ['1 write a 0-10', '2 write b 20-40', '3 read b 25-30']],
  ['a read of a missing key, before any write', ['1 read - 0-5', '2 write a 10-20']],
  [
    'two readers see concurrent writes in the same order',
    ['1 write a 0-100', '2 write b 0-100', '3 read a 10-20', '3 read b 30-40', '4 read a 12-18', '4 read b 32-38'],
  ],
  ['concurrent writes, the later-invoked one lost the race', ['1 write a 0-30', '2 write b 5-20', '3 read a 40-50']],
  ['a cas chain', ['1 write a 0-10', '2 cas a>b true 20-30', '3 cas b>c true 40-50', '4 read c 60-70']],
  ['a cas that failed because the value had changed', ['1 write a 0-10', '2 cas z>b false 20-30', '3 read a 40-50']],
  ['two concurrent cas from the same value: one wins', ['1 write a 0-10', '2 cas a>b true 20-30', '3 cas a>c false 20-30', '4 read b 40-50']],
  ['a create-if-absent cas', ['1 cas ->a true 0-10', '2 cas ->b false 20-30', '3 read a 40-50']],
  ['deletes that report existence', ['1 delete absent 0-5', '2 write a 10-20', '3 delete existed 30-40', '4 read - 50-60']],
  ['an unknown write that took effect long after its timeout', ['1 write a 0-10', '2 write b 20-30 unknown', '3 read a 40-50', '4 read b 60-70']],
  ['an unknown write that never took effect', ['1 write a 0-10', '2 write b 20-30 unknown', '3 read a 40-50', '4 read a 60-70']],
  ['an unknown cas that took effect', ['1 write a 0-10', '2 cas a>b true 20-30 unknown', '3 read b 40-50']],
  ['an unknown delete that took effect', ['1 write a 0-10', '2 delete 20-30 unknown', '3 read - 40-50']],
  ['a failed write never shows', ['1 write a 0-10', '2 write b 20-30 fail', '3 read a 40-50']],
  ['failed and unknown reads constrain nothing', ['1 write a 0-10', '2 read a 20-30 fail', '3 read b 20-30 unknown', '4 read a 40-50']],
  ['ops that touch at the same instant are concurrent', ['1 write a 0-10', '2 read - 10-20']],
  ['keys are independent', ['1 write a 0-10 @x', '2 write b 0-10 @y', '3 read a 20-30 @x', '3 read b 40-50 @y', '4 read - 0-5 @y']],
  ['a write of the value already there, read across it', ['1 write a 0-10', '2 write a 20-30', '3 read a 25-27']],
];

interface Broken {
  name: string;
  lines: string[];
  /** The id (line number) the checker must name as the culprit. */
  culprit: number;
  key?: string;
  /** What the register could hold at the culprit, when the checker works it out by search. */
  possible?: (string | null)[];
  /** Fragments the explanation must contain. */
  says: string[];
}

const NOT_LINEARIZABLE: Broken[] = [
  {
    name: 'a stale read after a completed write',
    lines: ['1 write old 0-10', '1 write new 20-30', '2 read old 40-50'],
    culprit: 2,
    says: ['observed "old"', 'overwritten by #1 p1 write "new"'],
  },
  {
    name: 'a read of a value never written',
    lines: ['1 write a 0-10', '2 read ghost 20-30'],
    culprit: 1,
    says: ['observed "ghost"', 'no operation in the history writes "ghost"'],
  },
  {
    name: 'a read of a value written only after it completed',
    lines: ['1 read a 0-10', '2 write a 20-30'],
    culprit: 0,
    says: ['invoked after the observer completed'],
  },
  {
    name: 'a lost acknowledged write (a later read sees the key missing)',
    lines: ['1 write a 0-10', '2 read - 20-30'],
    culprit: 1,
    says: ['observed null', 'the initial value null', 'overwritten by #0 p1 write "a"'],
  },
  {
    name: 'a read of a write that failed',
    lines: ['1 write a 0-10 fail', '2 read a 20-30'],
    culprit: 1,
    says: ['observed "a"', 'Failed (so never took effect):\n    #0 p1 write "a"  fail'],
  },
  {
    name: 'two sequential reads of one process observing concurrent writes in opposite orders (the classic)',
    // a, then b, then a again: each write takes effect once.
    lines: ['1 write a 0-100', '2 write b 0-100', '3 read a 10-20', '3 read b 30-40', '3 read a 50-60'],
    culprit: 4,
    possible: ['b'],
    says: ['It observed "a", but the register could only hold "b"', 'Every operation that completed before the one below fits some linearization'],
  },
  {
    name: 'two readers observing concurrent writes in opposite orders',
    lines: ['1 write a 0-100', '2 write b 0-100', '3 read a 10-20', '3 read b 30-40', '4 read b 10-20', '4 read a 30-40'],
    culprit: 5,
    possible: ['b'],
    says: ['#5 p4 read → "a"'],
  },
  {
    name: 'a cas that succeeded against a value that could not be current',
    lines: ['1 write a 0-10', '2 write b 20-30', '3 cas a>c true 40-50'],
    culprit: 2,
    says: ['observed "a"', 'overwritten by #1 p2 write "b"'],
  },
  {
    name: 'two cas that both succeeded from the same value',
    lines: ['1 write a 0-10', '2 cas a>b true 20-30', '3 cas a>c true 20-30'],
    culprit: 2,
    possible: ['a', 'b'],
    says: ['so it could see "a"; but then its effect contradicts operations that must be placed after it'],
  },
  {
    name: 'a cas that failed although its expected value was current',
    lines: ['1 write a 0-10', '2 cas a>b false 20-30'],
    culprit: 1,
    possible: ['a'],
    says: ['It failed, so the register did not hold "a"; but the register could only hold "a"'],
  },
  {
    name: 'a delete that reports existence on a key that was never written',
    lines: ['1 delete existed 0-10'],
    culprit: 0,
    possible: [null],
    says: ['reported the key existed, but the register could only hold null'],
  },
  {
    name: 'a value coming back after an unknown write was seen',
    lines: ['1 write a 0-5', '2 write b 10-20 unknown', '3 read b 30-35', '4 read a 40-45'],
    culprit: 3,
    possible: ['b'],
    says: ['It observed "a", but the register could only hold "b"'],
  },
  {
    name: 'a violation on one key among several',
    lines: ['1 write a 0-10 @x', '2 write b 0-10 @y', '3 read a 20-30 @x', '3 read b 40-50 @y', '4 read - 60-70 @y'],
    culprit: 4,
    key: 'y',
    says: ['key "y" is not linearizable'],
  },
];

describe('checkLinearizability on hand-made histories', () => {
  it.each(LINEARIZABLE)('accepts %s', (_name, lines) => {
    const history = parseHistoryLines(lines);
    expect(isLinearizableBruteForce(history)).toBe(true); // the table itself is right
    expect(checkLinearizability(history)).toMatchObject({ ok: true });
  });

  it.each(NOT_LINEARIZABLE.map((c) => [c.name, c] as const))('catches %s', (_name, c) => {
    const history = parseHistoryLines(c.lines);
    expect(isLinearizableBruteForce(history)).toBe(false); // the table itself is right
    const r = checkLinearizability(history);
    if (r.ok !== false) throw new Error(`expected a violation, got ${JSON.stringify(r)}`);
    expect(r.key).toBe(c.key ?? 'x');
    expect(r.failingKeys).toEqual([c.key ?? 'x']);
    expect(r.culprit.id).toBe(c.culprit);
    expect(r.window).toContain(r.culprit);
    if (c.possible) expect(r.possibleValues).toEqual(c.possible);
    for (const s of c.says) expect(r.explanation).toContain(s);
  });

  it('explains a search-refuted violation with its window and what the register could hold', () => {
    const r = checkLinearizability(parseHistoryLines(['1 write a 0-100', '2 write b 0-100', '3 read a 10-20', '3 read b 30-40', '3 read a 50-60']));
    expect(r.ok).toBe(false);
    if (r.ok !== false) return;
    expect(r.explanation).toMatchInlineSnapshot(`
"key "x" is not linearizable.
Every operation that completed before the one below fits some linearization; with it, none does:
    #4 p3 read → "a"  ok  [50.0 → 60.0 ms]
It observed "a", but the register could only hold "b" at any point within its interval, in any valid order of the operations up to its completion.
Operations that write "a":
    #0 p1 write "a"  ok  [0.0 → 100.0 ms]
The window, from the start of the history to 60.0 ms:
    #0 p1 write "a"  ok  [0.0 → 100.0 ms]
    #1 p2 write "b"  ok  [0.0 → 100.0 ms]
    #2 p3 read → "a"  ok  [10.0 → 20.0 ms]
    #3 p3 read → "b"  ok  [30.0 → 40.0 ms]
    #4 p3 read → "a"  ok  [50.0 → 60.0 ms]
The register starts as null; times are ms since the history's first invocation."
`);
  });

  it('narrows the window to where the violation is, whatever the register held before', () => {
    // A long correct prefix, then a stale-looking pair that only the search can refute.
    const prefix = Array.from({ length: 30 }, (_, i) => `${i % 3} write v${i} ${i * 10}-${i * 10 + 5}`);
    const lines = [...prefix, '7 write a 400-500', '8 write b 400-500', '9 read a 410-420', '9 read b 430-440', '9 read a 450-460'];
    const r = checkLinearizability(parseHistoryLines(lines));
    expect(r.ok).toBe(false);
    if (r.ok !== false) return;
    expect(r.culprit.id).toBe(34);
    // From any state at 400 ms it would be fine (the register may have held "a" already); the
    // write of "v29" at 290 ms is what rules that out.
    expect(r.explanation).toContain('Whatever the register held at 290.0 ms');
    expect(r.window.map((e) => e.id)).toEqual([29, 30, 31, 32, 33, 34]);
    expect(r.possibleValues).toEqual(['b']);
  });

  it('takes the initial value of each key', () => {
    const history = parseHistoryLines(['1 read seed 0-10', '2 cas seed>b true 20-30']);
    expect(checkLinearizability(history).ok).toBe(false);
    expect(checkLinearizability(history, { initialValue: (k) => (k === 'x' ? 'seed' : null) }).ok).toBe(true);
  });

  it('reports every failing key, and explains the first', () => {
    const r = checkLinearizability(parseHistoryLines(['1 read a 0-10 @p', '1 read b 0-10 @q', '1 read - 0-10 @r']));
    expect(r).toMatchObject({ ok: false, key: 'p', failingKeys: ['p', 'q'] });
  });
});
