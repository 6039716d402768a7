/**
 * Hand-made histories with a known verdict: the checkers must accept the linearizable ones and
 * catch the broken ones (stale read, a value never written, reads seeing writes in opposite orders,
 * an impossible cas, a lost acknowledged write, watch gaps and duplicates).
 */
import { FakeClock } from '@mk/shared';
import { ackedWritesSurvive, checkLinearizability, committedWritesFromHistory, HistoryRecorder, watchComplete } from './index';

/** A recorder on a fake clock: `at(t)` moves time, so each op's interval is exact. */
function script() {
  const clock = new FakeClock(0);
  const rec = new HistoryRecorder(clock);
  const at = (t: number) => clock.advance(t - clock.now());
  return { rec, at };
}

describe('linearizability (per key, WGL)', () => {
  it('accepts concurrent writes read in either order, and an unknown write that took effect', () => {
    const { rec, at } = script();
    const w1 = rec.invoke(1, { f: 'write', key: 'x', value: 'a' });
    const w2 = rec.invoke(2, { f: 'write', key: 'x', value: 'b' });
    at(10);
    w1.ok(null);
    w2.ok(null);
    at(20);
    const r1 = rec.invoke(3, { f: 'read', key: 'x' });
    at(30);
    r1.ok('b');
    const w3 = rec.invoke(1, { f: 'write', key: 'x', value: 'c' });
    at(40);
    w3.unknown('timeout');
    at(50);
    const r2 = rec.invoke(2, { f: 'read', key: 'x' });
    at(60);
    r2.ok('c');
    expect(checkLinearizability(rec.history()).ok).toBe(true);
  });

  it('catches a stale read after a completed write', () => {
    const { rec, at } = script();
    const w1 = rec.invoke(1, { f: 'write', key: 'x', value: 'old' });
    at(10);
    w1.ok(null);
    // Intervals that merely touch count as concurrent (real clocks): leave real gaps.
    at(15);
    const w2 = rec.invoke(1, { f: 'write', key: 'x', value: 'new' });
    at(20);
    w2.ok(null);
    at(30);
    const r = rec.invoke(2, { f: 'read', key: 'x' });
    at(40);
    r.ok('old');
    const res = checkLinearizability(rec.history());
    expect(res.ok).toBe(false);
    if (res.ok === false) {
      expect(res.key).toBe('x');
      expect(res.explanation).toContain('old');
    }
  });

  it('catches a read of a value nobody wrote', () => {
    const { rec, at } = script();
    const r = rec.invoke(1, { f: 'read', key: 'y' });
    at(5);
    r.ok('ghost');
    expect(checkLinearizability(rec.history()).ok).toBe(false);
  });

  it('catches two sequential readers that see two concurrent writes in opposite orders', () => {
    const { rec, at } = script();
    const wa = rec.invoke(1, { f: 'write', key: 'x', value: 'a' });
    const wb = rec.invoke(2, { f: 'write', key: 'x', value: 'b' });
    at(10);
    const r1 = rec.invoke(3, { f: 'read', key: 'x' });
    at(20);
    r1.ok('a');
    at(25);
    const r2 = rec.invoke(3, { f: 'read', key: 'x' });
    at(30);
    r2.ok('b');
    at(35);
    const r3 = rec.invoke(3, { f: 'read', key: 'x' });
    at(40);
    r3.ok('a'); // a then b then a again: impossible with each write taking effect once
    at(50);
    wa.ok(null);
    wb.ok(null);
    expect(checkLinearizability(rec.history()).ok).toBe(false);
  });

  it('catches a cas that succeeded against a value that could not be current', () => {
    const { rec, at } = script();
    const w = rec.invoke(1, { f: 'write', key: 'x', value: 'one' });
    at(10);
    w.ok(null);
    const c = rec.invoke(2, { f: 'cas', key: 'x', expected: 'zero', value: 'two' });
    at(20);
    c.ok(true);
    expect(checkLinearizability(rec.history()).ok).toBe(false);
  });

  it('a failed write never takes effect', () => {
    const { rec, at } = script();
    const w = rec.invoke(1, { f: 'write', key: 'x', value: 'nope' });
    at(10);
    w.fail('etcdserver: requested lease not found');
    const r = rec.invoke(2, { f: 'read', key: 'x' });
    at(20);
    r.ok('nope');
    expect(checkLinearizability(rec.history()).ok).toBe(false);
  });
});

describe('acknowledged writes survive', () => {
  it('reports an acknowledged write missing from the final state', () => {
    const { rec, at } = script();
    const w = rec.invoke(1, { f: 'write', key: 'x', value: 'kept?' });
    at(10);
    w.ok(null);
    expect(ackedWritesSurvive(rec.history(), new Map([['x', 'kept?']])).ok).toBe(true);
    const lost = ackedWritesSurvive(rec.history(), new Map([['x', null]]));
    expect(lost.ok).toBe(false);
    expect(lost.lost[0]?.key).toBe('x');
  });
});

describe('watch completeness', () => {
  const writes = (() => {
    const { rec, at } = script();
    for (const [i, v] of ['a', 'b', 'c'].entries()) {
      const w = rec.invoke(1, { f: 'write', key: 'k/1', value: v });
      at(10 * (i + 1));
      w.ok(null, { revision: 2 + i });
    }
    return committedWritesFromHistory(rec.history());
  })();
  const ev = (revision: number, value: string) => ({ key: 'k/1', revision, type: 'put' as const, value });

  it('accepts every write exactly once, in order', () => {
    expect(watchComplete(writes, [ev(2, 'a'), ev(3, 'b'), ev(4, 'c')], { prefix: 'k/', fromRevision: 2 }).ok).toBe(true);
  });

  it.each([
    ['a gap', [ev(2, 'a'), ev(4, 'c')], 'gap'],
    ['a duplicate', [ev(2, 'a'), ev(3, 'b'), ev(3, 'b'), ev(4, 'c')], 'duplicate'],
    ['a reorder', [ev(3, 'b'), ev(2, 'a'), ev(4, 'c')], 'reorder'],
  ] as const)('catches %s', (_name, events, kind) => {
    const res = watchComplete(writes, events, { prefix: 'k/', fromRevision: 2 });
    expect(res.ok).toBe(false);
    expect(res.violations.map((v) => v.kind)).toContain(kind);
  });
});
