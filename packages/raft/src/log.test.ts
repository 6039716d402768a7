import { nullLogger } from '@mk/shared';
import { CompactedError } from './errors';
import { RaftLog } from './log';
import { MemoryStorage } from './storage';
import { Entry, EntryType } from './types';

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(0) });
const terms = (es: Entry[]) => es.map((e) => [e.index, e.term]);

/** A log with stable entries 1..3 (terms 1,2,3) after an empty snapshot at 0. */
function log123(): { log: RaftLog; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  storage.append([ent(1, 1), ent(2, 2), ent(3, 3)]);
  return { log: new RaftLog(storage, nullLogger), storage };
}

describe('RaftLog', () => {
  it('§5.3 maybeAppend: the consistency check on (index, logTerm) decides acceptance', () => {
    const { log } = log123();
    expect(log.maybeAppend(3, 2, 0, [ent(4, 3)])).toBeUndefined(); // wrong term at 3
    expect(log.maybeAppend(4, 3, 0, [ent(5, 3)])).toBeUndefined(); // beyond the end
    expect(log.maybeAppend(3, 3, 0, [ent(4, 3)])).toEqual({ lastNewIndex: 4, writtenFrom: 4 });
    expect(log.lastIndex()).toBe(4);
  });

  it('§5.3 maybeAppend truncates a conflicting suffix and leaves matching entries alone', () => {
    const { log } = log123();
    log.append([ent(4, 3), ent(5, 3)]);
    // Entry 4 matches, 5 conflicts: written from 5, the old 5 is gone.
    expect(log.maybeAppend(3, 3, 0, [ent(4, 3), ent(5, 4)])).toEqual({ lastNewIndex: 5, writtenFrom: 5 });
    expect(terms(log.entries(1, Infinity))).toEqual([[1, 1], [2, 2], [3, 3], [4, 3], [5, 4]]);
    // Everything already present: nothing written, last new index still reported.
    expect(log.maybeAppend(2, 2, 0, [ent(3, 3)])).toEqual({ lastNewIndex: 3, writtenFrom: 0 });
    expect(log.lastIndex()).toBe(5);
  });

  it('§5.3 the follower commit index is min(leaderCommit, last new entry)', () => {
    const { log } = log123();
    log.maybeAppend(1, 1, 100, [ent(2, 2)]);
    expect(log.committed).toBe(2);
    log.maybeAppend(3, 3, 3, []);
    expect(log.committed).toBe(3);
  });

  it('refuses to overwrite a committed entry', () => {
    const { log } = log123();
    log.commitTo(3);
    expect(() => log.maybeAppend(1, 1, 3, [ent(2, 5)])).toThrow('conflicts with committed entry');
  });

  it('§5.4.1 isUpToDate compares last term first, then last index', () => {
    const { log } = log123(); // last (3, 3)
    expect(log.isUpToDate(3, 3)).toBe(true);
    expect(log.isUpToDate(2, 3)).toBe(false);
    expect(log.isUpToDate(1, 4)).toBe(true);
    expect(log.isUpToDate(10, 2)).toBe(false);
  });

  it('findConflictByTerm skips back to the last index whose term is <= the given term', () => {
    const { log } = log123();
    log.append([ent(4, 5), ent(5, 5), ent(6, 5)]);
    expect(log.findConflictByTerm(6, 4)).toEqual({ index: 3, term: 3 });
    expect(log.findConflictByTerm(6, 5)).toEqual({ index: 6, term: 5 });
    expect(log.findConflictByTerm(6, 0)).toEqual({ index: 0, term: 0 });
  });

  it('serves entries across the stable/unstable boundary and stabilises them by (index, term)', () => {
    const { log } = log123();
    log.append([ent(4, 4), ent(5, 4)]);
    expect(terms(log.slice(2, 6, Infinity))).toEqual([[2, 2], [3, 3], [4, 4], [5, 4]]);
    log.stableTo(4, 99); // a stale term: nothing is dropped from the unstable tail
    expect(log.unstable.entries).toHaveLength(2);
    log.stableTo(4, 4);
    expect(terms(log.unstable.entries)).toEqual([[5, 4]]);
  });

  it('nextCommittedEntries hands out committed, unapplied entries once applied moves', () => {
    const { log } = log123();
    log.commitTo(2);
    expect(terms(log.nextCommittedEntries())).toEqual([[1, 1], [2, 2]]);
    log.appliedTo(2);
    expect(log.hasNextCommittedEntries()).toBe(false);
    expect(() => log.appliedTo(3)).toThrow('out of range');
    expect(() => log.commitTo(9)).toThrow('beyond the last index');
  });

  it('restore replaces the log with a snapshot; compacted indexes are refused', () => {
    const { log } = log123();
    log.restore({ metadata: { index: 10, term: 7, confState: { voters: [1] } }, data: new Uint8Array(0) });
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.committed]).toEqual([11, 10, 7, 10]);
    expect(log.hasPendingSnapshot()).toBe(true);
    expect(() => log.slice(5, 6, Infinity)).toThrow(CompactedError);
    log.stableSnapTo(10);
    expect(log.hasPendingSnapshot()).toBe(false);
  });
});
