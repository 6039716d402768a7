import { SeededRng } from '@mk/shared';
import {
  ackedWritesSurvive,
  committedWritesFromHistory,
  revisionObservations,
  revisionsIncrease,
  watchComplete,
  type CommittedWrite,
  type RevisionObservation,
  type WatchEvent,
} from './checks';
import { simulateRegisterHistory } from './simulate';
import { parseHistoryLines } from './testing-dsl';

describe('ackedWritesSurvive', () => {
  // Notation: see testing-dsl.ts. Final values: key → value (null: missing).
  it.each<[string, string[], Record<string, string | null>, number[]]>([
    ['the last write is there', ['1 write a 0-10', '2 write b 20-30'], { x: 'b' }, []],
    ['the last write is gone', ['1 write a 0-10', '2 write b 20-30'], { x: 'a' }, [1]],
    ['every write is gone', ['1 write a 0-10', '2 write b 20-30'], { x: null }, [0, 1]],
    ['either of two concurrent writes may be last', ['1 write a 0-10', '2 write b 5-15'], { x: 'a' }, []],
    ['the other one', ['1 write a 0-10', '2 write b 5-15'], { x: 'b' }, []],
    ['neither of two concurrent writes', ['1 write a 0-10', '2 write b 5-15', '3 write c 20-25 fail'], { x: 'c' }, [0, 1]],
    ['an unknown-outcome write may have overwritten them', ['1 write a 0-10', '2 write b 20-30 unknown'], { x: 'b' }, []],
    ['a failed write overwrote nothing', ['1 write a 0-10', '2 write b 20-30 fail'], { x: 'b' }, [0]],
    ['an acknowledged delete', ['1 write a 0-10', '2 delete existed 20-30'], { x: null }, []],
    ['an acknowledged delete undone', ['1 write a 0-10', '2 delete 20-30'], { x: 'a' }, [1]],
    ['a delete of a missing key changes nothing', ['1 write a 0-10', '2 delete absent 20-30'], { x: 'a' }, []],
    ['an applied cas', ['1 write a 0-10', '2 cas a>b true 20-30'], { x: 'b' }, []],
    ['an applied cas lost', ['1 write a 0-10', '2 cas a>b true 20-30'], { x: 'a' }, [1]],
    ['a cas that did not apply changes nothing', ['1 write a 0-10', '2 cas z>b false 20-30'], { x: 'a' }, []],
    ['keys apart', ['1 write a 0-10 @x', '1 write b 0-10 @y'], { x: 'a', y: null }, [1]],
  ])('%s', (_name, lines, final, lostIds) => {
    const r = ackedWritesSurvive(parseHistoryLines(lines), final);
    expect(r.lost.map((l) => l.event.id)).toEqual(lostIds);
    expect(r.ok).toBe(lostIds.length === 0);
    expect(r.unchecked).toEqual([]);
  });

  it('says what was lost, and which keys it could not check', () => {
    const r = ackedWritesSurvive(parseHistoryLines(['1 write a 0-10', '2 write b 20-30', '3 write c 0-10 @other']), new Map([['x', 'a']]));
    expect(r.lost).toHaveLength(1);
    expect(r.lost[0]?.message).toBe(
      'key "x": acknowledged #1 p2 write "b"  ok  [20.0 → 30.0 ms] is lost: the final value is "a", and every operation leaving "a" completed before it was invoked',
    );
    expect(r.unchecked).toEqual(['other']);
  });

  it('holds on simulated correct runs', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { history, final } = simulateRegisterHistory({ seed, processes: 8, ops: 400, keys: 3, unknownRate: 0.1 });
      expect(ackedWritesSurvive(history, final)).toMatchObject({ ok: true, unchecked: [] });
    }
  });
});

describe('revisionsIncrease', () => {
  const obs = (process: string, kind: 'read' | 'write', revision: number, invokeMs: number, completeMs: number): RevisionObservation => ({ process, kind, revision, invokeMs, completeMs });

  it.each<[string, RevisionObservation[], string[]]>([
    ['one client, increasing', [obs('a', 'write', 2, 0, 1), obs('a', 'read', 2, 2, 3), obs('a', 'write', 3, 4, 5)], []],
    ['one client going back', [obs('a', 'read', 5, 0, 1), obs('a', 'read', 4, 2, 3)], ['client-went-back']],
    ['two clients may see different revisions', [obs('a', 'read', 5, 0, 1), obs('b', 'read', 4, 2, 3)], []],
    ['concurrent writes, any order', [obs('a', 'write', 3, 0, 10), obs('b', 'write', 2, 1, 9)], []],
    ['a write below one that completed before it began', [obs('a', 'write', 7, 0, 5), obs('b', 'write', 6, 6, 9)], ['write-not-after-earlier-write']],
    ['two writes with one revision', [obs('a', 'write', 7, 0, 5), obs('b', 'write', 7, 2, 9)], ['duplicate-write-revision']],
    ['the same revision, one after the other', [obs('a', 'write', 7, 0, 5), obs('a', 'write', 7, 6, 9)], ['duplicate-write-revision', 'write-not-after-earlier-write']],
    ['one client, ops touching at the same instant, in invocation order', [obs('a', 'read', 5, 0, 2), obs('a', 'read', 6, 2, 2), obs('a', 'read', 6, 2, 3)], []],
  ])('%s', (_name, observations, kinds) => {
    const r = revisionsIncrease(observations);
    expect(r.violations.map((v) => v.kind).sort()).toEqual([...kinds].sort());
    expect(r.ok).toBe(kinds.length === 0);
  });

  it('names both observations', () => {
    const r = revisionsIncrease([obs('a', 'read', 5, 0, 1), obs('a', 'read', 4, 2, 3)]);
    expect(r.violations[0]?.message).toBe('process a saw revision 4 after already seeing 5: pa read rev=4 [2 → 3 ms] follows pa read rev=5 [0 → 1 ms]');
  });

  it('takes the observations a history carries, and holds on simulated correct runs', () => {
    const h = parseHistoryLines(['1 write a 0-10 rev=2', '1 read a 20-30 rev=2', '2 cas a>b false 20-30 rev=2', '2 delete existed 40-50 rev=3', '3 read - 60-70']);
    expect(revisionObservations(h).map((o) => [o.kind, o.revision])).toEqual([
      ['write', 2],
      ['read', 2],
      ['read', 2],
      ['write', 3],
    ]);
    for (let seed = 1; seed <= 5; seed++) {
      const { history } = simulateRegisterHistory({ seed, processes: 8, ops: 400, keys: 3, unknownRate: 0.1 });
      expect(revisionsIncrease(revisionObservations(history))).toEqual({ ok: true, violations: [] });
    }
  });
});

describe('watchComplete', () => {
  const put = (key: string, revision: number, value: string): WatchEvent => ({ key, revision, type: 'put', value });
  const del = (key: string, revision: number): WatchEvent => ({ key, revision, type: 'delete', value: null });
  const writes: CommittedWrite[] = [
    { key: 'k/a', revision: 2, type: 'put', value: '1' },
    { key: 'k/b', revision: 3, type: 'put', value: '2' },
    { key: 'other', revision: 4, type: 'put', value: 'x' },
    { key: 'k/a', revision: 5, type: 'delete', value: null },
    { key: 'k/b', revision: 6 }, // from the final state: revision only
  ];
  const all = [put('k/a', 2, '1'), put('k/b', 3, '2'), del('k/a', 5), put('k/b', 6, '3')];

  it.each<[string, WatchEvent[], { fromRevision?: number; toRevision?: number }, string[]]>([
    ['every event once, in order', all, {}, []],
    ['a gap', [all[0]!, all[1]!, all[3]!], {}, ['gap']],
    ['a gap at the end', all.slice(0, 3), {}, ['gap']],
    ['a duplicate', [all[0]!, all[1]!, all[1]!, all[2]!, all[3]!], {}, ['duplicate']],
    ['a reorder', [all[1]!, all[0]!, all[2]!, all[3]!], {}, ['reorder']],
    ['a wrong value', [all[0]!, put('k/b', 3, 'zzz'), all[2]!, all[3]!], {}, ['mismatch']],
    ['a put for a delete', [all[0]!, all[1]!, put('k/a', 5, '1'), all[3]!], {}, ['mismatch']],
    ['an event outside the prefix', [...all.slice(0, 2), put('other', 4, 'x'), ...all.slice(2)], {}, ['out-of-range']],
    ['from a revision', all.slice(2), { fromRevision: 5 }, []],
    ['an event before the start revision', all, { fromRevision: 5 }, ['out-of-range', 'out-of-range']],
    ['up to a revision', all.slice(0, 2), { toRevision: 4 }, []],
  ])('%s', (_name, events, opts, kinds) => {
    const r = watchComplete(writes, events, { prefix: 'k/', ...opts });
    expect(r.violations.map((v) => v.kind)).toEqual(kinds);
    expect(r.ok).toBe(kinds.length === 0);
  });

  it('allows one revision for several keys (a transaction), and flags what it cannot explain', () => {
    const txn: CommittedWrite[] = [
      { key: 'k/a', revision: 2, value: '1' },
      { key: 'k/b', revision: 2, value: '1' },
    ];
    const r = watchComplete(txn, [put('k/a', 2, '1'), put('k/b', 2, '1'), put('k/c', 3, 'from a lost response')], { prefix: 'k/' });
    expect(r.ok).toBe(true);
    expect(r.unexplained).toEqual([put('k/c', 3, 'from a lost response')]);
  });

  it('describes a gap by the events around it', () => {
    const r = watchComplete(writes, [all[0]!, all[2]!, all[3]!], { prefix: 'k/' });
    expect(r.violations[0]?.message).toBe('the watcher never delivered the committed put of "k/b" at revision 3 (after revision 2, before revision 5)');
  });

  it('holds on simulated runs, and catches a dropped, a repeated and a swapped event', () => {
    const { history, changes } = simulateRegisterHistory({ seed: 3, processes: 6, ops: 500, keys: 4, unknownRate: 0.1 });
    // A watcher on k1 saw every change to it; the checker knows the acknowledged ones (in a real
    // test, also the final state's): unknown-outcome writes that applied are "unexplained".
    const watched: WatchEvent[] = changes.filter((c) => c.key === 'k1').map((c) => ({ key: c.key, revision: c.revision, type: c.type!, value: c.value ?? null }));
    const known = committedWritesFromHistory(history);
    const check = (events: WatchEvent[]) => watchComplete(known, events, { prefix: 'k1' });
    const ok = check(watched);
    expect(ok.ok).toBe(true);
    expect(ok.unexplained.length).toBeLessThan(watched.length / 5);

    const rng = new SeededRng(3);
    const knownRevisions = new Set(known.map((w) => w.revision));
    const i = 1 + rng.int(watched.length - 2);
    const dropped = watched.filter((_, j) => j !== i);
    const repeated = [...watched.slice(0, i + 1), watched[i]!, ...watched.slice(i + 1)];
    const swapped = [...watched.slice(0, i - 1), watched[i]!, watched[i - 1]!, ...watched.slice(i + 1)];
    expect(check(dropped).violations.map((v) => v.kind)).toEqual(knownRevisions.has(watched[i]!.revision) ? ['gap'] : []);
    expect(check(repeated).violations.map((v) => v.kind)).toEqual(['duplicate']);
    expect(check(swapped).violations.map((v) => v.kind)).toEqual(['reorder']);
  });
});
