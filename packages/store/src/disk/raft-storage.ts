import { DataLossError } from '@mk/shared';
import { ConfState, Entry, HardState, MemoryStorage, Snapshot, Storage } from '@mk/raft';
import { decodeEntry, decodeHardState, decodeSnapshot, encodeEntry, encodeHardState, encodeSnapshot } from '../codec/raft';
import { DataDir } from './data-dir';
import { DiskOp, ENTRY_RANGE, KEY_HARD_STATE, KEY_SNAPSHOT, entryIndexOf, entryKey } from './keys';

/** What the driver persists from one Ready. */
export interface RaftWrite {
  hardState?: HardState;
  entries: Entry[];
  snapshot?: Snapshot;
  mustSync: boolean;
}

/**
 * Raft's Storage on LevelDB. Raft reads synchronously, so the log is served from an in-memory
 * MemoryStorage that mirrors the disk; every change is written to LevelDB first (one batch,
 * fsynced when Raft says so) and only then applied to the mirror.
 */
export class DiskRaftStorage implements Storage {
  private constructor(
    private readonly dataDir: DataDir,
    private readonly mem: MemoryStorage,
  ) {}

  /** Loads the Raft state of a data dir (an empty one gives an empty storage). */
  static async load(dataDir: DataDir): Promise<DiskRaftStorage> {
    const db = dataDir.db;
    const mem = new MemoryStorage();
    const where = `data dir ${dataDir.dir}`;
    const snapBytes = await db.get(KEY_SNAPSHOT);
    let snapIndex = 0;
    if (snapBytes !== undefined) {
      const snap = guard(where, 'raft snapshot', () => decodeSnapshot(snapBytes));
      if (snap.metadata.index > 0) mem.applySnapshot(snap);
      snapIndex = snap.metadata.index;
    }
    const hsBytes = await db.get(KEY_HARD_STATE);
    if (hsBytes !== undefined) mem.setHardState(guard(where, 'raft hard state', () => decodeHardState(hsBytes)));

    let expected = snapIndex + 1;
    const batch: Entry[] = [];
    for await (const [key, value] of db.iterator(ENTRY_RANGE)) {
      const index = guard(where, 'raft entry key', () => entryIndexOf(key));
      // Entries the snapshot covers may outlive a compaction that was cut short: they are obsolete.
      if (index <= snapIndex) continue;
      if (index !== expected) {
        throw new DataLossError(`${where}: the raft log has a gap (expected entry ${expected}, found ${index}); refusing to start`);
      }
      const e = guard(where, `raft entry ${index}`, () => decodeEntry(value, `raft entry ${index}`));
      if (e.index !== index) throw new DataLossError(`${where}: raft entry stored under index ${index} says it is ${e.index}`);
      batch.push(e);
      expected++;
    }
    mem.append(batch);
    const { hardState } = mem.initialState();
    if (hardState.commit > mem.lastIndex()) {
      throw new DataLossError(`${where}: committed index ${hardState.commit} is beyond the last stored entry ${mem.lastIndex()}; refusing to start`);
    }
    return new DiskRaftStorage(dataDir, mem);
  }

  /** A founding member's first state: a genesis snapshot holding the initial voters and application state. */
  static async bootstrap(dataDir: DataDir, voters: number[], appState: Uint8Array, extra: DiskOp[] = []): Promise<DiskRaftStorage> {
    const genesis = MemoryStorage.bootstrap(voters, appState);
    const snap = genesis.snapshot();
    const hs = genesis.initialState().hardState;
    await dataDir.write(
      [{ type: 'put', key: KEY_SNAPSHOT, value: encodeSnapshot(snap) }, { type: 'put', key: KEY_HARD_STATE, value: encodeHardState(hs) }, ...extra],
      true,
    );
    return new DiskRaftStorage(dataDir, genesis);
  }

  // ---- Storage (reads, served from memory) ----
  initialState(): { hardState: HardState; confState: ConfState } {
    return this.mem.initialState();
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.mem.entries(lo, hi, maxBytes);
  }
  term(i: number): number {
    return this.mem.term(i);
  }
  lastIndex(): number {
    return this.mem.lastIndex();
  }
  firstIndex(): number {
    return this.mem.firstIndex();
  }
  snapshot(): Snapshot {
    return this.mem.snapshot();
  }

  /**
   * Persists a Ready's snapshot, entries and hard state — plus `extra` writes of the application —
   * in one LevelDB batch, fsynced when `w.mustSync`, then updates the in-memory mirror.
   */
  async save(w: RaftWrite, extra: DiskOp[] = []): Promise<void> {
    const ops: DiskOp[] = [];
    let last = this.mem.lastIndex();
    if (w.snapshot) {
      ops.push({ type: 'put', key: KEY_SNAPSHOT, value: encodeSnapshot(w.snapshot) });
      // The snapshot replaces the whole log: no old entry may survive to be read back at restart.
      for (let i = this.mem.firstIndex(); i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
      last = w.snapshot.metadata.index;
    }
    if (w.entries.length > 0) {
      for (const e of w.entries) ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
      // A follower's conflicting suffix beyond the new entries is gone too.
      const newLast = w.entries[w.entries.length - 1]!.index;
      for (let i = newLast + 1; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) });
    }
    if (w.hardState) ops.push({ type: 'put', key: KEY_HARD_STATE, value: encodeHardState(w.hardState) });
    ops.push(...extra);
    await this.dataDir.write(ops, w.mustSync || w.snapshot !== undefined);
    if (w.snapshot) this.mem.applySnapshot(w.snapshot);
    this.mem.append(w.entries);
    if (w.hardState) this.mem.setHardState(w.hardState);
  }

  /**
   * Records a snapshot of the application at applied index `index` and drops the log before
   * `compactTo` (kept entries let slow followers catch up without a snapshot).
   */
  async snapshotAndCompact(index: number, confState: ConfState, data: Uint8Array, compactTo: number): Promise<Snapshot> {
    const snap = this.mem.createSnapshot(index, confState, data);
    await this.dataDir.write([{ type: 'put', key: KEY_SNAPSHOT, value: encodeSnapshot(snap) }], true);
    const first = this.mem.firstIndex();
    if (compactTo >= first) {
      this.mem.compact(compactTo);
      const dels: DiskOp[] = [];
      for (let i = first; i <= compactTo; i++) dels.push({ type: 'del', key: entryKey(i) });
      await this.dataDir.write(dels, false);
    }
    return snap;
  }
}

function guard<T>(where: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new DataLossError(`${where}: the ${what} is damaged (${(e as Error).message}); refusing to start`);
  }
}
