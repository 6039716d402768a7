import { Logger } from '@mk/shared';
import { CompactedError, UnavailableIndexError } from './errors';
import { Storage, limitSize } from './storage';
import { Entry, Snapshot } from './types';

/**
 * Entries (and possibly a snapshot) Raft has accepted but the driver has not yet persisted. The
 * unstable entries start at `offset`; a pending snapshot, if any, precedes them.
 */
class Unstable {
  snapshot: Snapshot | undefined;
  entries: Entry[] = [];

  constructor(public offset: number) {}

  /** First index, if it is known from a pending snapshot. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      return this.snapshot && this.snapshot.metadata.index === i ? this.snapshot.metadata.term : undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** The driver persisted entries up to (index, term): drop them, unless they were replaced since. */
  stableTo(index: number, term: number): void {
    const t = this.maybeTerm(index);
    if (t === undefined || index < this.offset) return;
    if (t === term) {
      this.entries = this.entries.slice(index + 1 - this.offset);
      this.offset = index + 1;
    }
  }

  stableSnapTo(index: number): void {
    if (this.snapshot && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (after <= this.offset) {
      // Replaces every unstable entry; the storage's conflicting tail is overwritten on persist.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

/**
 * A node's view of its log: the stable part in Storage plus the unstable tail, with the commit and
 * apply positions. Invariant: applied <= committed <= lastIndex().
 */
export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;

  constructor(
    readonly storage: Storage,
    private readonly logger: Logger,
    readonly maxNextEntsSize = Number.MAX_SAFE_INTEGER,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /**
   * Term of entry `i`. Throws CompactedError below the first index - 1 and UnavailableIndexError
   * beyond the last index.
   */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new CompactedError(i, dummy + 1);
    if (i > this.lastIndex()) throw new UnavailableIndexError(i, this.lastIndex());
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** Term of entry `i`, or 0 when it is not in the log (compacted or beyond the end). */
  zeroTermOnOutOfBounds(i: number): number {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return 0;
    return this.term(i);
  }

  matchTerm(i: number, term: number): boolean {
    const t = this.zeroTermOnOutOfBounds(i);
    return t !== 0 && t === term;
  }

  /** §5.4.1: a log is at least as up to date if its last term is higher, or equal with an index as long. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const myTerm = this.lastTerm();
    return term > myTerm || (term === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Appends `ents` following (index, logTerm) if that entry matches (§5.3 consistency check).
   * Returns the index of the last new entry and the index from which entries were actually written
   * (0 when all were already present), or undefined when the check fails. Existing entries that
   * conflict are truncated; the commit index moves to min(committed, last new index).
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): { lastNewIndex: number; writtenFrom: number } | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        this.logger.error('raft: entry conflicts with a committed entry', { conflict: ci, committed: this.committed });
        throw new Error(`raft: entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return { lastNewIndex: lastNew, writtenFrom: ci };
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new Error(`raft: append after ${after} is out of range (committed ${this.committed})`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in `ents` that is new or disagrees with the log (0 when every
   * entry is already present).
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term` (or the first index - 1 when the log is
   * compacted below that). Used to skip a whole term of mismatching entries at once.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= 0; i--) {
      let t: number;
      try {
        t = this.term(i);
      } catch {
        return { index: i, term: 0 };
      }
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** Entries from `i` to the end, at most `maxBytes` of them (always at least one). */
  entries(i: number, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxBytes);
  }

  /** Entries in [lo, hi). Throws CompactedError when lo was compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo === hi) return [];
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first);
    if (hi > this.lastIndex() + 1) throw new UnavailableIndexError(hi - 1, this.lastIndex());
    let ents: Entry[] = [];
    if (lo < this.unstable.offset) {
      const stored = this.storage.entries(lo, Math.min(hi, this.unstable.offset), maxBytes);
      // Storage stopped early because of the size limit: return what it gave.
      if (stored.length < Math.min(hi, this.unstable.offset) - lo) return stored;
      ents = stored;
    }
    if (hi > this.unstable.offset) {
      const tail = this.unstable.slice(Math.max(lo, this.unstable.offset), hi);
      ents = ents.length > 0 ? ents.concat(tail) : tail;
    }
    return limitSize(ents, maxBytes);
  }

  commitTo(c: number): void {
    if (c <= this.committed) return;
    if (c > this.lastIndex()) {
      throw new Error(`raft: commit ${c} is beyond the last index ${this.lastIndex()}; was the log lost?`);
    }
    this.committed = c;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) {
      throw new Error(`raft: applied ${i} is out of range [prevApplied ${this.applied}, committed ${this.committed}]`);
    }
    this.applied = i;
  }

  hasNextCommittedEntries(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  /** Committed entries not yet applied; they may include unstable ones (persisted first by contract). */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 <= lo) return [];
    return this.slice(lo, this.committed + 1, this.maxNextEntsSize);
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined && this.unstable.snapshot.metadata.index !== 0;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the whole log with a snapshot (a follower that was too far behind). */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }
}
