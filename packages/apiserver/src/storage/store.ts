/**
 * The API server's view of the store (DESIGN.md, "The API server"): an etcd v3 data model reduced to
 * what a Kubernetes-shaped API server needs. Two implementations share these semantics and one
 * contract test suite (./contract.ts):
 *
 *   - EtcdStore (./etcd-store.ts): mk-store or real etcd 3.4 over gRPC, with failover between
 *     endpoints;
 *   - MemoryStore (./memory-store.ts): in-process, deterministic, for the API server's unit tests.
 *
 * Keys are strings (compared and sent as UTF-8 bytes, etcd's order); values are bytes (the API
 * server stores JSON). Revisions are etcd's: one global counter, bumped by every write that
 * changes something; each key remembers the revision that created it and the one that last
 * modified it. `modRevision` is what Kubernetes calls resourceVersion.
 *
 * Errors are the typed ones of ./errors.ts.
 */

/** A key's value and revisions. */
export interface StoredItem {
  value: Uint8Array;
  /** The revision of the write that last changed the key (Kubernetes' resourceVersion). */
  modRevision: number;
  /** The revision of the write that created the key (since its last deletion). */
  createRevision: number;
  /** Number of writes to the key since it was created (1 after create). */
  version: number;
}

export interface ListedItem extends StoredItem {
  key: string;
}

export interface ListOptions {
  /** At most this many items (0 or absent: all). */
  limit?: number;
  /** Continue after this key (exclusive); it must be under the prefix. */
  startAfterKey?: string;
  /**
   * Read the store as it was at this revision (it must not be compacted): the way to page through
   * one consistent snapshot. Absent or 0: the current revision, which the result reports.
   */
  revision?: number;
}

export interface ListResult {
  /** Keys in byte order. */
  items: ListedItem[];
  /** The revision the list reflects: pass it back with the next page's startAfterKey. */
  revision: number;
  /** There are more keys under the prefix after the last item. */
  more: boolean;
  /** How many keys the range held (from startAfterKey on), regardless of limit. */
  count: number;
}

export interface DeleteResult extends StoredItem {
  /** The revision of the delete itself (a watch sees the deletion at this revision). */
  revision: number;
}

/** One condition of a txn, on one key. */
export type TxnCompare =
  /** the key does not exist */
  | { key: string; absent: true }
  /** the key exists with exactly this mod revision */
  | { key: string; modRevision: number };

export interface TxnRequest {
  /** All must hold for the writes to happen. */
  compares: TxnCompare[];
  puts?: Array<{ key: string; value: Uint8Array }>;
  /**
   * Keys to delete (absent keys are ignored). A key may not be both put and deleted. A watch sees
   * the txn's events at one revision, the puts in order, then the deletes.
   */
  deletes?: string[];
}

export interface TxnCompareFailure {
  /** Index in `compares`. */
  index: number;
  compare: TxnCompare;
  /** What the key held when the txn was evaluated (undefined: absent). */
  current: StoredItem | undefined;
}

export type TxnResult =
  /** Everything was written, at `revision` (unchanged if nothing was to be written). */
  | { succeeded: true; revision: number }
  /** Nothing was written; every compare that did not hold. */
  | { succeeded: false; revision: number; failures: TxnCompareFailure[] };

export type WatchEvent =
  | {
      type: 'put';
      key: string;
      value: Uint8Array;
      /**
       * The value before this write; absent when the put created the key, or when the previous
       * version is compacted away (etcd reads it at revision - 1: an event at the compact revision).
       */
      prevValue?: Uint8Array;
      modRevision: number;
      createRevision: number;
      version: number;
    }
  | {
      type: 'delete';
      key: string;
      /** The deleted value (absent only when compacted away, as for a put). */
      prevValue?: Uint8Array;
      /** The revision of the delete. */
      modRevision: number;
    }
  | {
      /**
       * Progress notification: every event up to `revision` under the prefix has been delivered.
       * A later resume may start at revision + 1.
       */
      type: 'bookmark';
      revision: number;
    };

/** A put or a delete (a watch event that is not a bookmark). */
export type ChangeEvent = Exclude<WatchEvent, { type: 'bookmark' }>;

export interface WatchOptions {
  /** Ask the store for periodic progress notifications (bookmarks); default true. */
  progressNotify?: boolean;
}

/**
 * A running watch. Events arrive in revision order, a revision's events together in one batch,
 * each revision exactly once, until `cancel()` or a terminal `onError`.
 */
export interface WatchHandle {
  cancel(): void;
  /** The last revision delivered (events or bookmark); a resume would start after it. */
  readonly lastRevision: number;
}

export interface StoreHealth {
  healthy: boolean;
  /** Per endpoint, for real stores (one entry, "memory", for the memory store). */
  endpoints: Array<{ endpoint: string; healthy: boolean; error?: string; leader?: number; revision?: number; version?: string }>;
}

export interface Store {
  /** A linearizable read of one key. */
  get(key: string): Promise<StoredItem | undefined>;

  /** Keys under `prefix` in byte order: a page of them, at one revision (see ListOptions). */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;

  /** Creates the key; resolves with its new mod revision. KeyExistsError if it exists. */
  create(key: string, value: Uint8Array): Promise<number>;

  /**
   * Replaces the value of a key whose mod revision is `expectedModRevision` (> 0); resolves with
   * the new mod revision. RevisionMismatchError (with the current state, or notFound) otherwise.
   */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number>;

  /**
   * Deletes the key, only if its mod revision is `expectedModRevision` when given; resolves with
   * what was deleted. KeyNotFoundError (unconditional) or RevisionMismatchError (conditional).
   */
  delete(key: string, expectedModRevision?: number): Promise<DeleteResult>;

  /** Atomic multi-key write: every compare holds and every put/delete happens, or nothing does. */
  txn(req: TxnRequest): Promise<TxnResult>;

  /**
   * Watches every key under `prefix` from `fromRevision` on (inclusive, etcd's start_revision; 0:
   * from the next write). `onEvents` gets batches in revision order; `onError` a terminal error
   * (CompactedError when `fromRevision` or a later resume point is compacted away), after which
   * nothing more arrives. A real store's broken stream is re-established transparently.
   */
  watch(prefix: string, fromRevision: number, onEvents: (events: WatchEvent[]) => void, onError: (err: Error) => void, opts?: WatchOptions): WatchHandle;

  /** The store's current revision (linearizable). */
  currentRevision(): Promise<number>;

  /**
   * Discards history before `revision` (CompactedError if it already is, FutureRevisionError if
   * the store has not reached it).
   */
  compact(revision: number): Promise<void>;

  health(): Promise<StoreHealth>;

  /** Cancels every watch and releases connections; later calls fail with StoreUnavailableError. */
  close(): Promise<void>;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** A key or value as bytes (UTF-8). */
export function toBytes(s: string): Uint8Array {
  return utf8.encode(s);
}

export function fromBytes(b: Uint8Array | null | undefined): string {
  return b ? utf8Decoder.decode(b) : '';
}

/**
 * The end of the range of every key starting with `prefix` (etcd's GetPrefixRangeEnd): the prefix
 * with its last byte below 0xff incremented and what follows dropped; `[0]` ("every key") when
 * there is no such byte (e.g. the empty prefix).
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.slice(0, i + 1);
    }
  }
  return Uint8Array.of(0);
}

/** Compares keys as etcd does: by their UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Checks the arguments every implementation checks the same way (InvalidStoreRequestError). */
export function checkTxnShape(req: TxnRequest, maxOps: number, fail: (message: string) => Error): void {
  const puts = req.puts ?? [];
  const deletes = req.deletes ?? [];
  if (req.compares.length > maxOps || puts.length + deletes.length > maxOps) {
    throw fail(`too many operations in txn request (at most ${maxOps} compares and ${maxOps} writes)`);
  }
  const written = new Set<string>();
  for (const k of [...puts.map((p) => p.key), ...deletes]) {
    if (k === '') throw fail('key is not provided');
    if (written.has(k)) throw fail(`duplicate key given in txn request: ${k}`);
    written.add(k);
  }
  for (const c of req.compares) {
    if (c.key === '') throw fail('key is not provided');
    if ('modRevision' in c && !(Number.isInteger(c.modRevision) && c.modRevision > 0)) {
      throw fail(`compare on ${c.key}: mod revision must be a positive integer, got ${c.modRevision}`);
    }
  }
}

/** Which compares fail against the keys' current state (`lookup`). */
export function failedCompares(compares: TxnCompare[], lookup: (key: string) => StoredItem | undefined): TxnCompareFailure[] {
  const out: TxnCompareFailure[] = [];
  compares.forEach((compare, index) => {
    const current = lookup(compare.key);
    const holds = 'absent' in compare ? current === undefined : current !== undefined && current.modRevision === compare.modRevision;
    if (!holds) out.push({ index, compare, current });
  });
  return out;
}
