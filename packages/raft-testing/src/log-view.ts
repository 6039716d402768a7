import type { Entry, MemoryStorage } from '@mk/raft';

/**
 * A read-only view of one node's persisted log, as the checker needs it. The log holds entries
 * (snapshotIndex, lastIndex]; everything up to snapshotIndex is folded into the snapshot.
 */
export interface LogView {
  snapshotIndex(): number;
  lastIndex(): number;
  /** Term at `i` for snapshotIndex <= i <= lastIndex (the snapshot's term at snapshotIndex); else undefined. */
  termAt(i: number): number | undefined;
  /** The entry at `i` for snapshotIndex < i <= lastIndex; else undefined. */
  entryAt(i: number): Entry | undefined;
}

/** A MemoryStorage as a LogView (bounds are checked here, so MemoryStorage never throws). */
export function storageLog(s: MemoryStorage): LogView {
  return {
    snapshotIndex: () => s.firstIndex() - 1,
    lastIndex: () => s.lastIndex(),
    termAt: (i) => (i >= s.firstIndex() - 1 && i <= s.lastIndex() ? s.term(i) : undefined),
    entryAt: (i) => (i >= s.firstIndex() && i <= s.lastIndex() ? s.entries(i, i + 1, Number.MAX_SAFE_INTEGER)[0] : undefined),
  };
}

/** A log held in an array, for tests that fabricate histories. `entries[k]` has index snapshotIndex+1+k. */
export class ArrayLog implements LogView {
  constructor(
    public entries: Entry[] = [],
    public snapIndex = 0,
    public snapTerm = 0,
  ) {}

  snapshotIndex(): number {
    return this.snapIndex;
  }
  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }
  termAt(i: number): number | undefined {
    if (i === this.snapIndex) return this.snapTerm;
    return this.entryAt(i)?.term;
  }
  entryAt(i: number): Entry | undefined {
    return i > this.snapIndex ? this.entries[i - this.snapIndex - 1] : undefined;
  }
  /** Appends like MemoryStorage.append: entries overlapping the log replace its suffix. */
  append(ents: Entry[]): void {
    const first = ents[0];
    if (!first) return;
    this.entries = this.entries.slice(0, first.index - this.snapIndex - 1).concat(ents);
  }
}
