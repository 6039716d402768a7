import { CompactedError, SnapshotOutOfDateError, UnavailableIndexError } from './errors';
import { MemoryStorage, limitSize } from './storage';
import { Entry, EntryType } from './types';

const ent = (index: number, term: number, size = 0): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(size) });

/** A storage whose dummy entry is (3, 3) followed by entries 4..5: the layout of etcd's storage tests. */
function storage345(): MemoryStorage {
  const s = new MemoryStorage();
  s.applySnapshot({ metadata: { index: 3, term: 3, confState: { voters: [1] } }, data: new Uint8Array(0) });
  s.append([ent(4, 4), ent(5, 5)]);
  return s;
}

describe('MemoryStorage', () => {
  it('bootstrap makes a genesis snapshot at index 1, term 1 with the voters, sorted', () => {
    const s = MemoryStorage.bootstrap([3, 1, 2]);
    expect(s.firstIndex()).toBe(2);
    expect(s.lastIndex()).toBe(1);
    expect(s.term(1)).toBe(1);
    expect(s.initialState()).toEqual({ hardState: { term: 1, vote: 0, commit: 1 }, confState: { voters: [1, 2, 3] } });
  });

  it.each([
    [[], 'at least one voter'],
    [[1, 1], 'distinct positive integers'],
    [[0, 2], 'distinct positive integers'],
    [[1.5], 'distinct positive integers'],
  ])('bootstrap(%j) is refused with a message', (voters, message) => {
    expect(() => MemoryStorage.bootstrap(voters)).toThrow(message);
  });

  it.each([
    [2, CompactedError],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, UnavailableIndexError],
  ] as const)('term(%d)', (i, want) => {
    const s = storage345();
    if (typeof want === 'number') expect(s.term(i)).toBe(want);
    else expect(() => s.term(i)).toThrow(want);
  });

  it('entries(lo, hi) returns [lo, hi), refuses compacted or missing ranges, and honours the size limit', () => {
    const s = storage345();
    s.append([ent(6, 6, 100)]);
    expect(s.entries(4, 6, Infinity).map((e) => e.index)).toEqual([4, 5]);
    expect(() => s.entries(3, 5, Infinity)).toThrow(CompactedError);
    expect(() => s.entries(4, 8, Infinity)).toThrow(UnavailableIndexError);
    // Each entry weighs data + 16: the first is always returned, even past the limit.
    expect(s.entries(4, 7, 1).map((e) => e.index)).toEqual([4]);
    expect(s.entries(4, 7, 32).map((e) => e.index)).toEqual([4, 5]);
  });

  it('append truncates a conflicting suffix and ignores entries already compacted', () => {
    const s = storage345();
    s.append([ent(5, 6), ent(6, 6)]);
    expect([s.term(4), s.term(5), s.term(6)]).toEqual([4, 6, 6]);
    s.append([ent(2, 2), ent(3, 3), ent(4, 7)]);
    expect(s.lastIndex()).toBe(4);
    expect(s.term(4)).toBe(7);
    expect(() => s.append([ent(9, 9)])).toThrow('missing log entry');
  });

  it('compact keeps the term of the compacted index as the new dummy entry', () => {
    const s = storage345();
    s.compact(4);
    expect(s.firstIndex()).toBe(5);
    expect(s.term(4)).toBe(4);
    expect(() => s.term(3)).toThrow(CompactedError);
    expect(() => s.compact(4)).toThrow(CompactedError);
    expect(() => s.compact(9)).toThrow(UnavailableIndexError);
  });

  it('createSnapshot records the term at the index; an older snapshot is refused', () => {
    const s = storage345();
    const snap = s.createSnapshot(5, { voters: [1, 2] }, Uint8Array.from([7]));
    expect(snap.metadata).toEqual({ index: 5, term: 5, confState: { voters: [1, 2] } });
    expect(s.snapshot()).toBe(snap);
    expect(() => s.createSnapshot(4, { voters: [1] }, new Uint8Array(0))).toThrow(SnapshotOutOfDateError);
    expect(() => s.applySnapshot({ metadata: { index: 2, term: 2, confState: { voters: [] } }, data: new Uint8Array(0) })).toThrow(
      SnapshotOutOfDateError,
    );
  });
});

describe('limitSize', () => {
  it('keeps the longest prefix under the limit but never returns nothing', () => {
    const ents = [ent(1, 1, 10), ent(2, 1, 10), ent(3, 1, 10)];
    expect(limitSize(ents, 0)).toHaveLength(1);
    expect(limitSize(ents, 52)).toHaveLength(2);
    expect(limitSize(ents, 78)).toHaveLength(3);
    expect(limitSize([], 10)).toHaveLength(0);
  });
});
