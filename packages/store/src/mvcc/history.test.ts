import { MvccStore } from './store';
import { CompactedError, EtcdMessages, FutureRevisionError } from './errors';
import { decodeRevisionKey } from './codec';
import { FROM_KEY, FakeDb, b, eventRows, prefixEnd, rows } from './test-helpers';

/**
 * a@2 'a1', a@3 'a2', b@4 'b1', a@5 'a3', b deleted @6, c@7 'c1', c deleted @8, d@9 'd1'.
 */
function history(db?: FakeDb): MvccStore {
  const s = new MvccStore();
  const w = <T extends { persist: Parameters<FakeDb['write']>[0] }>(r: T) => db?.write(r.persist);
  w(s.put({ key: b('a'), value: b('a1') }));
  w(s.put({ key: b('a'), value: b('a2') }));
  w(s.put({ key: b('b'), value: b('b1') }));
  w(s.put({ key: b('a'), value: b('a3') }));
  w(s.deleteRange({ key: b('b') }));
  w(s.put({ key: b('c'), value: b('c1') }));
  w(s.deleteRange({ key: b('c') }));
  w(s.put({ key: b('d'), value: b('d1') }));
  return s;
}

const revisionsOf = (db: FakeDb) =>
  db
    .records()
    .filter((r) => r.key[0] === 'k'.charCodeAt(0))
    .map((r) => decodeRevisionKey(r.key).main);

describe('compaction', () => {
  it('keeps the newest revision <= the compact revision, drops older ones, and reads below fail', () => {
    const db = new FakeDb();
    const s = history(db);
    expect(s.currentRevision).toBe(9);
    const c = s.compact(5);
    expect(c.response).toEqual({ revision: 9 });
    expect(c.events).toEqual([]);
    db.write(c.persist);
    expect(s.compactRevision).toBe(5);
    // a@2 and a@3 are gone; a@5 (newest <= 5) and b@4 (b's newest <= 5, a put) survive.
    expect(revisionsOf(db)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(c.persist.filter((p) => p.type === 'del').map((p) => decodeRevisionKey(p.key).main)).toEqual([2, 3]);

    expect(() => s.range({ key: b('a'), revision: 4 })).toThrow(CompactedError);
    expect(() => s.range({ key: b('a'), revision: 4 })).toThrow(EtcdMessages.compacted);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: 5 }).kvs)).toEqual([
      ['a', 'a3', 2, 5, 3, 0],
      ['b', 'b1', 4, 4, 1, 0],
    ]);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: 7 }).kvs)).toEqual([
      ['a', 'a3', 2, 5, 3, 0],
      ['c', 'c1', 7, 7, 1, 0],
    ]);
    // Current state is unchanged by compaction.
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).kvs)).toEqual([
      ['a', 'a3', 2, 5, 3, 0],
      ['d', 'd1', 9, 9, 1, 0],
    ]);
  });

  it('tombstones vanish once compacted past; one exactly at the compact revision lives until the next compaction', () => {
    const db = new FakeDb();
    const s = history(db);
    db.write(s.compact(6).persist);
    expect(revisionsOf(db)).toEqual([5, 6, 7, 8, 9]); // b@4 superseded by the tombstone @6, which stays
    expect(s.range({ key: b('b'), revision: 6 }).count).toBe(0);
    db.write(s.compact(8).persist);
    expect(revisionsOf(db)).toEqual([5, 8, 9]); // b is gone entirely; c's tombstone @8 stays
    db.write(s.compact(9).persist);
    expect(revisionsOf(db)).toEqual([5, 9]);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: 9 }).kvs).map((r) => r[0])).toEqual(['a', 'd']);
    expect(MvccStore.load(db.records()).hashKV()).toEqual(s.hashKV());
  });

  it.each<[string, (s: MvccStore) => unknown, new (...a: never[]) => Error, string]>([
    ['compact at the compact revision', (s) => s.compact(5), CompactedError, EtcdMessages.compacted],
    ['compact below it', (s) => s.compact(3), CompactedError, EtcdMessages.compacted],
    ['compact in the future', (s) => s.compact(10), FutureRevisionError, EtcdMessages.futureRev],
  ])('%s is refused', (_name, f, cls, message) => {
    const s = history();
    s.compact(5);
    expect(() => f(s)).toThrow(cls);
    expect(() => f(s)).toThrow(message);
    expect(s.compactRevision).toBe(5);
  });

  it('a fresh store refuses compaction at 0 and accepts it at its revision 1', () => {
    const s = new MvccStore();
    expect(() => s.compact(0)).toThrow(CompactedError);
    expect(s.compact(1).response.revision).toBe(1);
    expect(s.compactRevision).toBe(1);
  });

  it('compacting at the current revision keeps the current state readable there', () => {
    const s = history();
    s.compact(9);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: 9 }).kvs).map((r) => r[0])).toEqual(['a', 'd']);
    s.put({ key: b('e'), value: b('1') });
    expect(s.currentRevision).toBe(10);
  });

  it('CompactedError carries the compact revision', () => {
    const s = history();
    s.compact(5);
    try {
      s.range({ key: b('a'), revision: 2 });
      throw new Error('expected a CompactedError');
    } catch (e) {
      expect(e).toBeInstanceOf(CompactedError);
      expect((e as CompactedError).compactRevision).toBe(5);
    }
  });

  it('the size estimate shrinks with compaction', () => {
    const s = history();
    const before = s.sizeBytes;
    s.compact(9);
    expect(s.sizeBytes).toBeLessThan(before);
    expect(s.sizeBytes).toBeGreaterThan(0);
  });
});

describe('hashKV', () => {
  it('is identical for stores with the same history, and equals the hash of a store stopped at that revision', () => {
    const full = history();
    const a = new MvccStore();
    a.put({ key: b('a'), value: b('a1') });
    a.put({ key: b('a'), value: b('a2') });
    a.put({ key: b('b'), value: b('b1') });
    expect(full.hashKV(4).hash).toBe(a.hashKV().hash);
    expect(full.hashKV(4).revision).toBe(9);
    expect(history().hashKV()).toEqual(full.hashKV());
    expect(full.hashKV(0)).toEqual(full.hashKV(9));
    expect(full.hashKV(5).hash).not.toBe(full.hashKV(4).hash);
  });

  it('changes with compaction, identically on members that compact at the same revision', () => {
    const m1 = history();
    const m2 = history();
    const before = m1.hashKV();
    m1.compact(6);
    expect(m1.hashKV().hash).not.toBe(before.hash);
    expect(m1.hashKV().compactRevision).toBe(6);
    m2.compact(6);
    expect(m2.hashKV()).toEqual(m1.hashKV());
  });

  it('refuses revisions at or below the compact revision, and future ones', () => {
    const s = history();
    s.compact(5);
    expect(() => s.hashKV(5)).toThrow(CompactedError);
    expect(() => s.hashKV(10)).toThrow(FutureRevisionError);
    expect(() => s.hashKV(6)).not.toThrow();
  });

  it('is a CRC-32C in uint32 range and not trivially constant', () => {
    const h = history().hashKV().hash;
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    expect(new MvccStore().hashKV().hash).toBe(0);
  });
});

describe('eventsSince', () => {
  it('returns history in revision order with prevKv, for a key, a range, a prefix, and everything', () => {
    const s = history();
    s.txn({
      success: [
        { put: { key: b('x1'), value: b('p') } },
        { put: { key: b('a'), value: b('a4') } },
        { put: { key: b('x2'), value: b('q') } },
      ],
    }); // @10, subs 0..2
    expect(eventRows(s.eventsSince(1, FROM_KEY, FROM_KEY))).toEqual([
      ['PUT', 'a', 2, 'a1', null],
      ['PUT', 'a', 3, 'a2', 'a1'],
      ['PUT', 'b', 4, 'b1', null],
      ['PUT', 'a', 5, 'a3', 'a2'],
      ['DELETE', 'b', 6, '', 'b1'],
      ['PUT', 'c', 7, 'c1', null],
      ['DELETE', 'c', 8, '', 'c1'],
      ['PUT', 'd', 9, 'd1', null],
      ['PUT', 'x1', 10, 'p', null],
      ['PUT', 'a', 10, 'a4', 'a3'],
      ['PUT', 'x2', 10, 'q', null],
    ]);
    expect(eventRows(s.eventsSince(3, b('a')))).toEqual([
      ['PUT', 'a', 3, 'a2', 'a1'],
      ['PUT', 'a', 5, 'a3', 'a2'],
      ['PUT', 'a', 10, 'a4', 'a3'],
    ]);
    expect(eventRows(s.eventsSince(5, b('b'), b('d')))).toEqual([
      ['DELETE', 'b', 6, '', 'b1'],
      ['PUT', 'c', 7, 'c1', null],
      ['DELETE', 'c', 8, '', 'c1'],
    ]);
    expect(eventRows(s.eventsSince(1, b('x'), prefixEnd('x')))).toEqual([
      ['PUT', 'x1', 10, 'p', null],
      ['PUT', 'x2', 10, 'q', null],
    ]);
    expect(eventRows(s.eventsSince(4, b('a'), FROM_KEY, 6)).map((e) => e[2])).toEqual([4, 5, 6]);
    expect(s.eventsSince(11, FROM_KEY, FROM_KEY)).toEqual([]);
    expect(s.eventsSince(1, b('nope'))).toEqual([]);
  });

  it('matches the events the writes returned', () => {
    const s = new MvccStore();
    const seen = [
      ...s.put({ key: b('k'), value: b('1') }).events,
      ...s.txn({ success: [{ put: { key: b('j'), value: b('2') } }, { deleteRange: { key: b('k') } }] }).events,
      ...s.put({ key: b('k'), value: b('3') }).events,
      ...s.deleteRange({ key: b('a'), rangeEnd: FROM_KEY }).events,
    ];
    expect(s.eventsSince(1, FROM_KEY, FROM_KEY)).toEqual(seen);
  });

  it('across compaction: older starts fail with the compact revision, starting at it is complete', () => {
    const s = history();
    s.compact(6);
    expect(() => s.eventsSince(5, FROM_KEY, FROM_KEY)).toThrow(CompactedError);
    expect(() => s.eventsSince(5, b('a'))).toThrow(EtcdMessages.compacted);
    // The delete of b at 6 is still delivered (its prevKv was compacted away).
    expect(eventRows(s.eventsSince(6, FROM_KEY, FROM_KEY))).toEqual([
      ['DELETE', 'b', 6, '', null],
      ['PUT', 'c', 7, 'c1', null],
      ['DELETE', 'c', 8, '', 'c1'],
      ['PUT', 'd', 9, 'd1', null],
    ]);
    // prevKv survives when the previous revision is the one compaction kept.
    s.put({ key: b('a'), value: b('a4') });
    expect(eventRows(s.eventsSince(7, b('a')))).toEqual([['PUT', 'a', 10, 'a4', 'a3']]);
  });
});
