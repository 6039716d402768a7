/**
 * An in-memory Store with etcd's semantics, for the API server's unit tests: one global revision,
 * per-key create/mod revisions and versions, every key's history (reads at an old revision, watches
 * from an old revision), compaction with CompactedError, etcd's size and txn limits.
 *
 * Deterministic: no clock and no randomness. Watch events are delivered asynchronously (a
 * setImmediate after the write), in revision order, through the same path whether they are history or
 * live. Progress notifications (bookmarks) come from `notifyProgress()`, or from a timer when
 * `progressNotifyMs` is given.
 */
import {
  CompactedError,
  FutureRevisionError,
  InvalidStoreRequestError,
  KeyExistsError,
  KeyNotFoundError,
  RequestTooLargeError,
  RevisionMismatchError,
  StoreUnavailableError,
} from './errors';
import {
  type DeleteResult,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreHealth,
  type StoredItem,
  type TxnRequest,
  type TxnResult,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
  checkTxnShape,
  compareKeys,
  failedCompares,
} from './store';

export interface MemoryStoreOptions {
  /** etcd's --max-request-bytes (default 1.5 MiB, etcd's): a write whose keys and values exceed it fails. */
  maxRequestBytes?: number;
  /** etcd's --max-txn-ops (default 128). */
  maxTxnOps?: number;
  /** Send a bookmark to every caught-up, quiet watcher this often (default: only on notifyProgress()). */
  progressNotifyMs?: number;
}

/** One version of a key: a value, or a tombstone (the key deleted at `modRevision`). */
interface Version {
  modRevision: number;
  createRevision: number;
  version: number;
  /** undefined: tombstone */
  value: Uint8Array | undefined;
}

/** What a write did to one key, kept for watches. */
interface Change {
  key: string;
  revision: number;
  after: Version;
  before: Version | undefined;
}

class MemoryWatch implements WatchHandle {
  lastRevision: number;
  /** Next revision to deliver. */
  next: number;
  active = true;
  quiet = true;
  constructor(
    readonly prefix: string,
    from: number,
    readonly onEvents: (events: WatchEvent[]) => void,
    readonly onError: (err: Error) => void,
    readonly progressNotify: boolean,
    private readonly remove: (w: MemoryWatch) => void,
  ) {
    this.next = from;
    this.lastRevision = from - 1;
  }
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.remove(this);
  }
}

const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** Bytes of a request beyond its keys and values (etcd's limit counts the whole encoded request). */
const REQUEST_OVERHEAD_BYTES = 64;

export class MemoryStore implements Store {
  private rev = 1; // etcd starts at revision 1 with an empty store
  private compactRev = 0;
  /** Every key that has a version kept, with its versions in revision order. */
  private readonly keys = new Map<string, Version[]>();
  /** Keys of `keys`, sorted by bytes, rebuilt lazily. */
  private sorted: string[] | undefined;
  /** Every change since the compact revision, in revision order. */
  private changes: Change[] = [];
  private readonly watches = new Set<MemoryWatch>();
  private flushScheduled = false;
  private closed = false;
  private readonly ticker: ReturnType<typeof setInterval> | undefined;
  private readonly maxRequestBytes: number;
  private readonly maxTxnOps: number;

  constructor(opts: MemoryStoreOptions = {}) {
    this.maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.maxTxnOps = opts.maxTxnOps ?? 128;
    if (opts.progressNotifyMs !== undefined) {
      this.ticker = setInterval(() => this.progressTick(), opts.progressNotifyMs);
      this.ticker.unref?.();
    }
  }

  // ---- reads ------------------------------------------------------------------------------------

  async get(key: string): Promise<StoredItem | undefined> {
    this.checkOpen();
    return this.at(key, this.rev);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    if (opts.startAfterKey !== undefined && !opts.startAfterKey.startsWith(prefix)) {
      throw new InvalidStoreRequestError(`list ${prefix}: startAfterKey ${opts.startAfterKey} is not under the prefix`);
    }
    const revision = opts.revision && opts.revision > 0 ? opts.revision : this.rev;
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    if (revision < this.compactRev) throw new CompactedError(this.compactRev, revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const after = opts.startAfterKey;
    const items: ListResult['items'] = [];
    let count = 0;
    for (const key of this.sortedKeys()) {
      if (!key.startsWith(prefix)) continue;
      if (after !== undefined && compareKeys(key, after) <= 0) continue;
      const item = this.at(key, revision);
      if (!item) continue;
      count++;
      if (items.length < limit) items.push({ key, ...item });
    }
    return { items, revision, more: count > items.length, count };
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  async health(): Promise<StoreHealth> {
    return { healthy: !this.closed, endpoints: [{ endpoint: 'memory', healthy: !this.closed, revision: this.rev }] };
  }

  // ---- writes -----------------------------------------------------------------------------------

  async create(key: string, value: Uint8Array): Promise<number> {
    this.checkOpen();
    this.checkKey(key);
    this.checkSize(key.length + value.length);
    const cur = this.at(key, this.rev);
    if (cur) throw new KeyExistsError(key, cur.modRevision);
    return this.write([{ key, value }], []);
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number> {
    this.checkOpen();
    this.checkKey(key);
    checkExpected(key, expectedModRevision);
    this.checkSize(key.length + value.length);
    const cur = this.at(key, this.rev);
    if (!cur || cur.modRevision !== expectedModRevision) throw new RevisionMismatchError(key, expectedModRevision, cur);
    return this.write([{ key, value }], []);
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    this.checkOpen();
    this.checkKey(key);
    if (expectedModRevision !== undefined) checkExpected(key, expectedModRevision);
    const cur = this.at(key, this.rev);
    if (expectedModRevision === undefined) {
      if (!cur) throw new KeyNotFoundError(key);
    } else if (!cur || cur.modRevision !== expectedModRevision) {
      throw new RevisionMismatchError(key, expectedModRevision, cur);
    }
    const revision = this.write([], [key]);
    return { ...cur, revision };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    this.checkOpen();
    checkTxnShape(req, this.maxTxnOps, (m) => new InvalidStoreRequestError(m));
    const puts = req.puts ?? [];
    const deletes = req.deletes ?? [];
    let size = 0;
    for (const c of req.compares) size += c.key.length;
    for (const p of puts) size += p.key.length + p.value.length;
    for (const d of deletes) size += d.length;
    this.checkSize(size);
    const failures = failedCompares(req.compares, (k) => this.at(k, this.rev));
    if (failures.length > 0) return { succeeded: false, revision: this.rev, failures };
    const revision = this.write(
      puts,
      deletes.filter((k) => this.at(k, this.rev) !== undefined),
    );
    return { succeeded: true, revision };
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision <= this.compactRev) throw new CompactedError(this.compactRev, revision);
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    this.compactRev = revision;
    // Keep, per key, every version from `revision` on plus the one in force at `revision`
    // (unless that one is a tombstone: the key did not exist then).
    for (const [key, versions] of this.keys) {
      let i = versions.length - 1;
      while (i >= 0 && versions[i]!.modRevision > revision) i--;
      const kept = i >= 0 && versions[i]!.value !== undefined ? versions.slice(i) : versions.slice(i + 1);
      if (kept.length === 0) {
        this.keys.delete(key);
        this.sorted = undefined;
      } else {
        this.keys.set(key, kept);
      }
    }
    this.changes = this.changes.filter((c) => c.revision >= revision);
    // A watcher that has not got there yet can no longer be served (etcd cancels it too).
    this.scheduleFlush();
  }

  // ---- watch ------------------------------------------------------------------------------------

  watch(prefix: string, fromRevision: number, onEvents: (events: WatchEvent[]) => void, onError: (err: Error) => void, opts: WatchOptions = {}): WatchHandle {
    const from = fromRevision > 0 ? fromRevision : this.rev + 1;
    const w = new MemoryWatch(prefix, from, onEvents, onError, opts.progressNotify ?? true, (x) => this.watches.delete(x));
    if (this.closed) {
      w.active = false;
      setImmediate(() => onError(new StoreUnavailableError('store is closed', false)));
      return w;
    }
    this.watches.add(w);
    this.scheduleFlush();
    return w;
  }

  /**
   * Sends a bookmark (at the current revision) to every watcher that asked for progress
   * notifications, is caught up and got no events since the last notification: what etcd's
   * periodic progress_notify does.
   */
  notifyProgress(): void {
    this.flush();
    for (const w of [...this.watches]) {
      if (!w.active || !w.progressNotify) continue;
      if (w.quiet && w.next > this.rev && this.rev > w.lastRevision) {
        w.lastRevision = this.rev;
        this.deliver(w, [{ type: 'bookmark', revision: this.rev }]);
      }
      w.quiet = true;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const w of [...this.watches]) w.cancel();
  }

  // ---- internals --------------------------------------------------------------------------------

  private progressTick(): void {
    if (!this.closed) this.notifyProgress();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreUnavailableError('store is closed', false);
  }

  private checkKey(key: string): void {
    if (key === '') throw new InvalidStoreRequestError('key is not provided');
  }

  private checkSize(bytes: number): void {
    if (bytes + REQUEST_OVERHEAD_BYTES > this.maxRequestBytes) {
      throw new RequestTooLargeError(`${bytes} bytes, the store accepts at most ${this.maxRequestBytes}`, { bytes, limit: this.maxRequestBytes });
    }
  }

  private sortedKeys(): string[] {
    this.sorted ??= [...this.keys.keys()].sort(compareKeys);
    return this.sorted;
  }

  /** The key's state at `revision`, if it existed then. */
  private at(key: string, revision: number): StoredItem | undefined {
    const versions = this.keys.get(key);
    if (!versions) return undefined;
    for (let i = versions.length - 1; i >= 0; i--) {
      const v = versions[i]!;
      if (v.modRevision > revision) continue;
      if (v.value === undefined) return undefined;
      return { value: v.value, modRevision: v.modRevision, createRevision: v.createRevision, version: v.version };
    }
    return undefined;
  }

  /** Applies puts and deletes (of existing keys) as one revision; returns the revision after it. */
  private write(puts: Array<{ key: string; value: Uint8Array }>, deletes: string[]): number {
    if (puts.length === 0 && deletes.length === 0) return this.rev;
    const revision = ++this.rev;
    const record = (key: string, value: Uint8Array | undefined) => {
      const before = this.at(key, revision - 1);
      const after: Version =
        value === undefined
          ? { modRevision: revision, createRevision: 0, version: 0, value: undefined }
          : { modRevision: revision, createRevision: before?.createRevision ?? revision, version: (before?.version ?? 0) + 1, value: Uint8Array.from(value) };
      const versions = this.keys.get(key);
      if (versions) versions.push(after);
      else {
        this.keys.set(key, [after]);
        this.sorted = undefined;
      }
      this.changes.push({ key, revision, after, before });
    };
    // In etcd's order for the txn we send: the puts, then the deletes (a watch sees them so).
    for (const p of puts) record(p.key, p.value);
    for (const k of deletes) record(k, undefined);
    this.scheduleFlush();
    return revision;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Hands every watcher the changes it has not had yet, whole revisions in order. */
  private flush(): void {
    for (const w of [...this.watches]) {
      if (!w.active || w.next > this.rev) continue;
      if (w.next < this.compactRev) {
        w.cancel();
        w.onError(new CompactedError(this.compactRev, w.next));
        continue;
      }
      const events: WatchEvent[] = [];
      for (let i = this.firstChangeAt(w.next); i < this.changes.length; i++) {
        const c = this.changes[i]!;
        // etcd reads an event's previous value at revision - 1: gone for an event at the compact revision.
        if (c.key.startsWith(w.prefix)) events.push(toEvent(c, c.revision > this.compactRev));
      }
      w.next = this.rev + 1;
      if (events.length === 0) continue;
      w.lastRevision = lastRevisionOf(events);
      w.quiet = false;
      this.deliver(w, events);
    }
  }

  /** Index of the first change at or after `revision` (changes are in revision order). */
  private firstChangeAt(revision: number): number {
    let lo = 0;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.changes[mid]!.revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private deliver(w: MemoryWatch, events: WatchEvent[]): void {
    try {
      w.onEvents(events);
    } catch (e) {
      // A consumer that throws loses its watch, like any other terminal error.
      w.cancel();
      w.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

function lastRevisionOf(events: WatchEvent[]): number {
  const last = events[events.length - 1]!;
  return last.type === 'bookmark' ? last.revision : last.modRevision;
}

function toEvent(c: Change, withPrev: boolean): WatchEvent {
  const before = withPrev ? c.before : undefined;
  if (c.after.value === undefined) {
    return before?.value !== undefined
      ? { type: 'delete', key: c.key, prevValue: before.value, modRevision: c.revision }
      : { type: 'delete', key: c.key, modRevision: c.revision };
  }
  const e: WatchEvent = {
    type: 'put',
    key: c.key,
    value: c.after.value,
    modRevision: c.revision,
    createRevision: c.after.createRevision,
    version: c.after.version,
  };
  if (before?.value !== undefined) e.prevValue = before.value;
  return e;
}

function checkExpected(key: string, expected: number): void {
  if (!(Number.isInteger(expected) && expected > 0)) {
    throw new InvalidStoreRequestError(`key ${key}: expected mod revision must be a positive integer, got ${expected}`);
  }
}
