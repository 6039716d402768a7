/**
 * The MVCC state machine: etcd v3's data model, in memory, pure and deterministic.
 *
 * State:
 * - per key, its revision history (`KeyEntry.revs`, ascending by (main, sub)); a record with
 *   createRevision 0 is a tombstone;
 * - an ordered index of keys (a B+ tree over latin1 key strings, so string order is byte
 *   order) plus a hash map for point lookups;
 * - `log`: every record whose main revision is >= the compact revision, in revision order
 *   (the event history for watches and the work list for the next compaction);
 * - leases with their attached keys.
 *
 * Every write request runs in a `WriteBatch` at main revision current+1; its changes take
 * sub-revisions 0, 1, 2...; the revision is bumped only if something changed. All checks
 * happen before the first change, so a request that throws leaves the state untouched.
 */
import BTree from 'sorted-btree';
import {
  EMPTY,
  KEY_INFINITY,
  KIND_LEASE,
  KIND_META,
  KIND_REVISION,
  META_COMPACT_KEY,
  compareBytes,
  copyBytes,
  crc32c,
  decodeLease,
  decodeLeaseKey,
  decodeRecord,
  decodeRevisionKey,
  decodeSnapshot,
  decodeUvarint,
  encodeLease,
  encodeRecord,
  encodeSnapshot,
  encodeUvarint,
  keyString,
  leaseKey,
  revisionKey,
  showKey,
} from './codec';
import {
  CompactedError,
  FutureRevisionError,
  InvalidFieldError,
  KeyNotFoundError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseTTLTooLargeError,
  MvccCorruptDataError,
} from './errors';
import {
  type ApplyResult,
  type Compare,
  CompareResult,
  CompareTarget,
  type CompactionResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  EventType,
  type HashKVResult,
  type KeyValue,
  type LeaseCheckpointRequest,
  type LeaseCheckpointResponse,
  type LeaseDetails,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  type LeaseInfo,
  type LeaseRevokeRequest,
  type LeaseRevokeResponse,
  type MvccEvent,
  type MvccRequest,
  type MvccResponse,
  type PersistOp,
  type PersistRecord,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseOp,
  SortOrder,
  SortTarget,
  type TxnRequest,
  type TxnResponse,
} from './types';
import {
  MAX_LEASE_TTL,
  checkTxnInvariants,
  validateDeleteRange,
  validateLeaseGrant,
  validatePut,
  validateRange,
} from './validate';

/** Approximate per-record bytes beyond key and value (revision key, framing, index). */
const RECORD_OVERHEAD = 64;
const LEASE_OVERHEAD = 32;

/** etcd starts a fresh store at revision 1: the first write is revision 2. */
const INITIAL_REVISION = 1;

interface KeyEntry {
  readonly skey: string;
  readonly key: Uint8Array;
  /** Ascending by (modRevision, sub). Never empty while the entry is indexed. */
  revs: Rec[];
}

/** One revision of one key. createRevision 0 marks a tombstone. */
interface Rec {
  readonly e: KeyEntry;
  readonly modRevision: number;
  readonly sub: number;
  readonly createRevision: number;
  readonly version: number;
  readonly lease: number;
  readonly value: Uint8Array;
}

interface LeaseState {
  readonly id: number;
  readonly ttl: number;
  remainingTtl: number | undefined;
  readonly keys: Set<KeyEntry>;
}

/** The changes of one write request, all at main revision `main`. */
class WriteBatch {
  sub = 0;
  readonly events: MvccEvent[] = [];
  readonly persist: PersistOp[] = [];
  constructor(readonly main: number) {}
}

/** For each txn on the chosen path: whether its compares held, and the same for its nested txns. */
interface TxnPath {
  ok: boolean;
  nested: TxnPath[];
}

const STOP = { break: true };

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isFromKey(rangeEnd: Uint8Array): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

function isTombstone(r: Rec): boolean {
  return r.createRevision === 0;
}

function lastRec(e: KeyEntry): Rec {
  return e.revs[e.revs.length - 1] as Rec;
}

/** The key's current record if it is live. */
function liveLatest(e: KeyEntry): Rec | undefined {
  const r = e.revs[e.revs.length - 1];
  return r !== undefined && r.createRevision !== 0 ? r : undefined;
}

/** Index of the first record with modRevision >= rev (revs.length if none). */
function lowerBound(revs: readonly Rec[], rev: number): number {
  let lo = 0;
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((revs[mid] as Rec).modRevision < rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The key's record as of revision `rev` (possibly a tombstone), or undefined. */
function recAt(e: KeyEntry, rev: number): Rec | undefined {
  const revs = e.revs;
  const last = revs[revs.length - 1];
  if (last === undefined) return undefined;
  if (last.modRevision <= rev) return last;
  const i = lowerBound(revs, rev + 1) - 1;
  return i >= 0 ? revs[i] : undefined;
}

function toKv(r: Rec, keysOnly = false): KeyValue {
  return {
    key: r.e.key,
    createRevision: r.createRevision,
    modRevision: r.modRevision,
    version: r.version,
    value: keysOnly ? EMPTY : r.value,
    lease: r.lease,
  };
}

function recSize(r: Rec): number {
  return r.e.key.length + r.value.length + RECORD_OVERHEAD;
}

function compareRevs(a: Rec, b: Rec): number {
  return a.modRevision - b.modRevision || a.sub - b.sub;
}

function cmpNum(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** etcd's compareKV on the fields of a record (or of the zero KeyValue for a missing key). */
function compareHolds(c: Compare, createRevision: number, modRevision: number, version: number, lease: number, value: Uint8Array): boolean {
  let result = 0;
  switch (c.target) {
    case CompareTarget.VALUE:
      result = compareBytes(value, c.value ?? EMPTY);
      break;
    case CompareTarget.CREATE:
      result = cmpNum(createRevision, c.createRevision ?? 0);
      break;
    case CompareTarget.MOD:
      result = cmpNum(modRevision, c.modRevision ?? 0);
      break;
    case CompareTarget.VERSION:
      result = cmpNum(version, c.version ?? 0);
      break;
    case CompareTarget.LEASE:
      result = cmpNum(lease, c.lease ?? 0);
      break;
  }
  switch (c.result) {
    case CompareResult.EQUAL:
      return result === 0;
    case CompareResult.NOT_EQUAL:
      return result !== 0;
    case CompareResult.GREATER:
      return result > 0;
    case CompareResult.LESS:
      return result < 0;
    default:
      return true;
  }
}

function sorterFor(target: SortTarget, descend: boolean): (a: Rec, b: Rec) => number {
  let cmp: (a: Rec, b: Rec) => number;
  switch (target) {
    case SortTarget.VERSION:
      cmp = (a, b) => a.version - b.version;
      break;
    case SortTarget.CREATE:
      cmp = (a, b) => a.createRevision - b.createRevision;
      break;
    case SortTarget.MOD:
      cmp = (a, b) => a.modRevision - b.modRevision;
      break;
    case SortTarget.VALUE:
      cmp = (a, b) => compareBytes(a.value, b.value);
      break;
    default:
      cmp = (a, b) => compareStrings(a.e.skey, b.e.skey);
  }
  return descend ? (a, b) => cmp(b, a) : cmp;
}

function requireRevisionInteger(field: string, v: number): void {
  if (!Number.isSafeInteger(v)) throw new InvalidFieldError(field, v, 'an integer');
}

export class MvccStore {
  private index = new BTree<string, KeyEntry>(undefined, compareStrings);
  private byKey = new Map<string, KeyEntry>();
  private log: Rec[] = [];
  private leases = new Map<number, LeaseState>();
  private rev = INITIAL_REVISION;
  private compactRev = 0;
  private bytes = 0;

  /** The revision of the last change (1 for a fresh store, as in etcd). */
  get currentRevision(): number {
    return this.rev;
  }

  /** The last compaction's revision; 0 if never compacted. */
  get compactRevision(): number {
    return this.compactRev;
  }

  /** Approximate bytes held (keys, values, per-record overhead, leases): Status dbSize. */
  get sizeBytes(): number {
    return this.bytes;
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch

  /** Applies one committed request. Throws an MvccError (state unchanged) when refused. */
  apply(req: MvccRequest): ApplyResult<MvccResponse> {
    if ('put' in req) {
      const r = this.put(req.put);
      return { response: { put: r.response }, events: r.events, persist: r.persist };
    }
    if ('txn' in req) {
      const r = this.txn(req.txn);
      return { response: { txn: r.response }, events: r.events, persist: r.persist };
    }
    if ('deleteRange' in req) {
      const r = this.deleteRange(req.deleteRange);
      return { response: { deleteRange: r.response }, events: r.events, persist: r.persist };
    }
    if ('range' in req) return { response: { range: this.range(req.range) }, events: [], persist: [] };
    if ('compaction' in req) {
      const r = this.compact(req.compaction.revision);
      return { response: { compaction: r.response }, events: r.events, persist: r.persist };
    }
    if ('leaseGrant' in req) {
      const r = this.leaseGrant(req.leaseGrant);
      return { response: { leaseGrant: r.response }, events: r.events, persist: r.persist };
    }
    if ('leaseRevoke' in req) {
      const r = this.leaseRevoke(req.leaseRevoke);
      return { response: { leaseRevoke: r.response }, events: r.events, persist: r.persist };
    }
    if ('leaseCheckpoint' in req) {
      const r = this.leaseCheckpoint(req.leaseCheckpoint);
      return { response: { leaseCheckpoint: r.response }, events: r.events, persist: r.persist };
    }
    throw new InvalidFieldError('request', JSON.stringify(Object.keys(req as object)), 'one of the MvccRequest fields');
  }

  // -------------------------------------------------------------------------------------------
  // KV

  range(req: RangeRequest): RangeResponse {
    validateRange(req);
    return this.rangeAt(req, this.rev);
  }

  put(req: PutRequest): ApplyResult<PutResponse> {
    validatePut(req);
    const lease = req.lease ?? 0;
    if (lease !== 0 && !this.leases.has(lease)) throw new LeaseNotFoundError(lease);
    const skey = keyString(req.key);
    if (req.ignoreValue || req.ignoreLease) {
      const e = this.byKey.get(skey);
      if (e === undefined || liveLatest(e) === undefined) throw new KeyNotFoundError(showKey(req.key));
    }
    const w = new WriteBatch(this.rev + 1);
    const response = this.putOp(w, req, skey);
    this.rev = w.main;
    return { response, events: w.events, persist: w.persist };
  }

  deleteRange(req: DeleteRangeRequest): ApplyResult<DeleteRangeResponse> {
    validateDeleteRange(req);
    const w = new WriteBatch(this.rev + 1);
    const response = this.deleteOp(w, req);
    if (w.sub > 0) this.rev = w.main;
    return { response, events: w.events, persist: w.persist };
  }

  txn(req: TxnRequest): ApplyResult<TxnResponse> {
    checkTxnInvariants(req);
    // As etcd: every compare on the chosen path (nested ones included) is evaluated against the
    // state before the txn; then the chosen puts and ranges are checked; then the ops run.
    const path = this.comparePath(req);
    this.checkPath(req, path, 'put');
    this.checkPath(req, path, 'range');
    const w = new WriteBatch(this.rev + 1);
    const response = this.execTxn(req, path, w);
    if (w.sub > 0) this.rev = w.main;
    setTxnRevision(response, this.rev);
    return { response, events: w.events, persist: w.persist };
  }

  /**
   * Drops every revision <= `revision` that is superseded by a newer revision <= `revision`,
   * and tombstones below `revision`. (A tombstone exactly at `revision` is kept until the next
   * compaction, so that events from `revision` on stay complete; reads are unaffected.)
   */
  compact(revision: number): ApplyResult<CompactionResponse> {
    requireRevisionInteger('compaction revision', revision);
    if (revision <= this.compactRev) throw new CompactedError(this.compactRev, revision);
    if (revision > this.rev) throw new FutureRevisionError(this.rev, revision);
    const persist: PersistOp[] = [];
    const log = this.log;
    const end = lowerBound(log, revision + 1);
    const seen = new Set<KeyEntry>();
    for (let i = 0; i < end; i++) {
      const e = (log[i] as Rec).e;
      if (seen.has(e)) continue;
      seen.add(e);
      this.compactKey(e, revision, persist);
    }
    this.log = log.slice(lowerBound(log, revision));
    this.compactRev = revision;
    persist.push({ type: 'put', key: META_COMPACT_KEY, value: encodeUvarint(revision) });
    return { response: { revision: this.rev }, events: [], persist };
  }

  private compactKey(e: KeyEntry, revision: number, persist: PersistOp[]): void {
    const revs = e.revs;
    let keep = lowerBound(revs, revision + 1) - 1; // newest record <= revision
    if (keep < 0) return;
    const newest = revs[keep] as Rec;
    if (isTombstone(newest) && newest.modRevision < revision) keep++;
    if (keep === 0) return;
    for (let i = 0; i < keep; i++) {
      const r = revs[i] as Rec;
      persist.push({ type: 'del', key: revisionKey(r.modRevision, r.sub) });
      this.bytes -= recSize(r);
    }
    e.revs = revs.slice(keep);
    if (e.revs.length === 0) {
      this.byKey.delete(e.skey);
      this.index.delete(e.skey);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Leases

  leaseGrant(req: LeaseGrantRequest): ApplyResult<LeaseGrantResponse> {
    validateLeaseGrant(req);
    if (req.ttl > MAX_LEASE_TTL) throw new LeaseTTLTooLargeError(req.ttl);
    if (this.leases.has(req.id)) throw new LeaseExistsError(req.id);
    this.leases.set(req.id, { id: req.id, ttl: req.ttl, remainingTtl: undefined, keys: new Set() });
    this.bytes += LEASE_OVERHEAD;
    return {
      response: { revision: this.rev, id: req.id, ttl: req.ttl },
      events: [],
      persist: [{ type: 'put', key: leaseKey(req.id), value: encodeLease(req.ttl, undefined) }],
    };
  }

  /** Deletes every attached key (in key order, one revision if any) and forgets the lease. */
  leaseRevoke(req: LeaseRevokeRequest): ApplyResult<LeaseRevokeResponse> {
    const l = this.leases.get(req.id);
    if (l === undefined) throw new LeaseNotFoundError(req.id);
    const entries = [...l.keys].sort((a, b) => compareStrings(a.skey, b.skey));
    const w = new WriteBatch(this.rev + 1);
    for (const e of entries) {
      const prev = liveLatest(e);
      if (prev !== undefined) this.writeDelete(w, e, prev);
    }
    this.leases.delete(req.id);
    this.bytes -= LEASE_OVERHEAD;
    w.persist.push({ type: 'del', key: leaseKey(req.id) });
    if (w.sub > 0) this.rev = w.main;
    return { response: { revision: this.rev }, events: w.events, persist: w.persist };
  }

  /** Records remaining TTLs (unknown leases are ignored, as etcd does). */
  leaseCheckpoint(req: LeaseCheckpointRequest): ApplyResult<LeaseCheckpointResponse> {
    for (const c of req.checkpoints) {
      if (!Number.isSafeInteger(c.remainingTtl) || c.remainingTtl < 0) {
        throw new InvalidFieldError('remaining TTL', c.remainingTtl, 'a non-negative integer');
      }
    }
    const persist: PersistOp[] = [];
    for (const c of req.checkpoints) {
      const l = this.leases.get(c.id);
      if (l === undefined) continue;
      l.remainingTtl = c.remainingTtl;
      persist.push({ type: 'put', key: leaseKey(l.id), value: encodeLease(l.ttl, l.remainingTtl) });
    }
    return { response: { revision: this.rev }, events: [], persist };
  }

  leaseLookup(id: number): LeaseDetails | undefined {
    const l = this.leases.get(id);
    if (l === undefined) return undefined;
    const keys = [...l.keys].sort((a, b) => compareStrings(a.skey, b.skey)).map((e) => e.key);
    return l.remainingTtl === undefined ? { id, ttl: l.ttl, keys } : { id, ttl: l.ttl, remainingTtl: l.remainingTtl, keys };
  }

  /** All leases, ascending by id. */
  leaseList(): LeaseInfo[] {
    return [...this.leases.values()]
      .sort((a, b) => a.id - b.id)
      .map((l) => (l.remainingTtl === undefined ? { id: l.id, ttl: l.ttl } : { id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl }));
  }

  // -------------------------------------------------------------------------------------------
  // History

  /**
   * Every change with startRevision <= revision <= endRevision (default: current) to a key in
   * [key, rangeEnd) (same conventions as Range), in revision order. Throws CompactedError
   * when startRevision < compactRevision (as etcd's watch: starting at it is fine).
   */
  eventsSince(startRevision: number, key: Uint8Array, rangeEnd?: Uint8Array, endRevision?: number): MvccEvent[] {
    if (startRevision < this.compactRev) throw new CompactedError(this.compactRev, startRevision);
    const start = Math.max(1, startRevision);
    const end = endRevision ?? this.rev;
    const out: MvccEvent[] = [];
    if (rangeEnd === undefined || rangeEnd.length === 0) {
      const e = this.byKey.get(keyString(key));
      if (e === undefined) return out;
      const revs = e.revs;
      for (let i = lowerBound(revs, start); i < revs.length; i++) {
        const r = revs[i] as Rec;
        if (r.modRevision > end) break;
        out.push(eventOf(r, revs[i - 1]));
      }
      return out;
    }
    const low = keyString(key);
    const high = isFromKey(rangeEnd) ? KEY_INFINITY : keyString(rangeEnd);
    const log = this.log;
    for (let i = lowerBound(log, start); i < log.length; i++) {
      const r = log[i] as Rec;
      if (r.modRevision > end) break;
      const k = r.e.skey;
      if (k >= low && k < high) out.push(eventOf(r, previousRec(r)));
    }
    return out;
  }

  /**
   * CRC-32C over the persisted form (revision key, then record) of every kept revision record
   * <= `revision` (0: current), keys in byte order, each key's records in revision order.
   * Members with the same history agree; etcdctl's endpoint hashkv compares these.
   */
  hashKV(revision = 0): HashKVResult {
    if (revision > 0 && revision <= this.compactRev) throw new CompactedError(this.compactRev, revision);
    if (revision > this.rev) throw new FutureRevisionError(this.rev, revision);
    const upTo = revision > 0 ? revision : this.rev;
    let crc = 0;
    this.index.forEachPair((_k, e) => {
      for (const r of e.revs) {
        if (r.modRevision > upTo) break;
        crc = crc32c(revisionKey(r.modRevision, r.sub), crc);
        crc = crc32c(encodeRecordOf(r), crc);
      }
    });
    return { hash: crc, compactRevision: this.compactRev, revision: this.rev };
  }

  // -------------------------------------------------------------------------------------------
  // Persistence

  /** Every record `load` needs to rebuild this state (what LevelDB holds after all batches). */
  persistRecords(): PersistRecord[] {
    const out: PersistRecord[] = [];
    if (this.compactRev > 0) out.push({ key: META_COMPACT_KEY, value: encodeUvarint(this.compactRev) });
    for (const l of [...this.leases.values()].sort((a, b) => a.id - b.id)) {
      out.push({ key: leaseKey(l.id), value: encodeLease(l.ttl, l.remainingTtl) });
    }
    this.index.forEachPair((_k, e) => {
      for (const r of e.revs) out.push({ key: revisionKey(r.modRevision, r.sub), value: encodeRecordOf(r) });
    });
    return out;
  }

  /** The whole state (records, leases, compact revision) as versioned, checksummed bytes. */
  snapshot(): Uint8Array {
    const records = this.persistRecords();
    return encodeSnapshot(records, records.length);
  }

  static fromSnapshot(bytes: Uint8Array): MvccStore {
    return MvccStore.load(decodeSnapshot(bytes));
  }

  /** Rebuilds a store from its persisted records, in any order. Throws MvccCorruptDataError. */
  static load(records: Iterable<PersistRecord>): MvccStore {
    const s = new MvccStore();
    const all: Rec[] = [];
    let compact = 0;
    let sawCompact = false;
    for (const { key, value } of records) {
      const kind = key[0];
      if (kind === KIND_REVISION) {
        const { main, sub } = decodeRevisionKey(key);
        const f = decodeRecord(value);
        if (!f.tombstone && f.createRevision > main) {
          throw new MvccCorruptDataError(`mvcc record at revision ${main}: createRevision ${f.createRevision} is in its future`);
        }
        const skey = keyString(f.key);
        let e = s.byKey.get(skey);
        if (e === undefined) {
          e = { skey, key: copyBytes(f.key), revs: [] };
          s.byKey.set(skey, e);
        }
        const r: Rec = {
          e,
          modRevision: main,
          sub,
          createRevision: f.createRevision,
          version: f.version,
          lease: f.lease,
          value: copyBytes(f.value),
        };
        e.revs.push(r);
        all.push(r);
      } else if (kind === KIND_LEASE) {
        const id = decodeLeaseKey(key);
        const { ttl, remainingTtl } = decodeLease(value);
        if (s.leases.has(id)) throw new MvccCorruptDataError(`mvcc lease ${id} appears twice`);
        s.leases.set(id, { id, ttl, remainingTtl, keys: new Set() });
        s.bytes += LEASE_OVERHEAD;
      } else if (kind === KIND_META && compareBytes(key, META_COMPACT_KEY) === 0) {
        if (sawCompact) throw new MvccCorruptDataError('mvcc compact revision appears twice');
        sawCompact = true;
        compact = decodeUvarint(value, 'mvcc compact revision');
      } else {
        throw new MvccCorruptDataError(`mvcc record: unknown key ${Buffer.from(key).toString('hex').slice(0, 40)} (not an mk-store MVCC record)`);
      }
    }
    let maxMain = 0;
    const entries: [string, KeyEntry][] = [];
    for (const e of s.byKey.values()) {
      e.revs.sort(compareRevs);
      for (let i = 1; i < e.revs.length; i++) {
        if (compareRevs(e.revs[i - 1] as Rec, e.revs[i] as Rec) === 0) {
          throw new MvccCorruptDataError(`mvcc key ${showKey(e.key)}: revision ${(e.revs[i] as Rec).modRevision} appears twice`);
        }
      }
      const last = lastRec(e);
      if (last.modRevision > maxMain) maxMain = last.modRevision;
      if (!isTombstone(last) && last.lease !== 0) {
        const l = s.leases.get(last.lease);
        if (l === undefined) {
          throw new MvccCorruptDataError(`mvcc key ${showKey(e.key)} is attached to lease ${last.lease}, which does not exist`);
        }
        l.keys.add(e);
      }
      for (const r of e.revs) s.bytes += recSize(r);
      entries.push([e.skey, e]);
    }
    entries.sort((a, b) => compareStrings(a[0], b[0]));
    s.index = new BTree<string, KeyEntry>(entries, compareStrings);
    s.log = all.filter((r) => r.modRevision >= compact).sort(compareRevs);
    for (let i = 1; i < s.log.length; i++) {
      if (compareRevs(s.log[i - 1] as Rec, s.log[i] as Rec) === 0) {
        const r = s.log[i] as Rec;
        throw new MvccCorruptDataError(`mvcc revision ${r.modRevision}.${r.sub} appears twice`);
      }
    }
    s.compactRev = compact;
    s.rev = Math.max(INITIAL_REVISION, maxMain, compact);
    return s;
  }

  // -------------------------------------------------------------------------------------------
  // Internals: reading

  /** Calls fn for each indexed key in [key, rangeEnd) (Range's conventions); fn returns true to stop. */
  private forEachEntry(key: Uint8Array, rangeEnd: Uint8Array | undefined, fn: (e: KeyEntry) => boolean | void): void {
    if (rangeEnd === undefined || rangeEnd.length === 0) {
      const e = this.byKey.get(keyString(key));
      if (e !== undefined) fn(e);
      return;
    }
    const low = keyString(key);
    const high = isFromKey(rangeEnd) ? KEY_INFINITY : keyString(rangeEnd);
    if (!(low < high)) return;
    this.index.forRange(low, high, false, (_k, e) => (fn(e) === true ? STOP : undefined));
  }

  /** etcd's applierV3backend.Range over mvcc rangeKeys, with `curRev` as the read view's revision. */
  private rangeAt(req: RangeRequest, curRev: number): RangeResponse {
    let rev = req.revision ?? 0;
    if (rev > curRev) throw new FutureRevisionError(curRev, rev);
    if (rev <= 0) rev = curRev;
    if (rev < this.compactRev) throw new CompactedError(this.compactRev, rev);

    const sortOrder = req.sortOrder ?? SortOrder.NONE;
    const sortTarget = req.sortTarget ?? SortTarget.KEY;
    const limit = req.limit !== undefined && req.limit > 0 ? req.limit : 0;
    const minMod = req.minModRevision ?? 0;
    const maxMod = req.maxModRevision ?? 0;
    const minCreate = req.minCreateRevision ?? 0;
    const maxCreate = req.maxCreateRevision ?? 0;
    const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
    // etcd fetches limit+1 (for `more`) unless it must sort or filter everything first.
    const fetch = sortOrder !== SortOrder.NONE || filtered ? 0 : limit > 0 ? limit + 1 : 0;
    const countOnly = req.countOnly === true;

    let count = 0;
    let recs: Rec[] = [];
    this.forEachEntry(req.key, req.rangeEnd, (e) => {
      const r = recAt(e, rev);
      if (r === undefined || r.createRevision === 0) return;
      count++;
      if (!countOnly && (fetch === 0 || recs.length < fetch)) recs.push(r);
    });
    if (countOnly) return { revision: curRev, kvs: [], more: false, count };

    if (maxMod !== 0) recs = recs.filter((r) => r.modRevision <= maxMod);
    if (minMod !== 0) recs = recs.filter((r) => r.modRevision >= minMod);
    if (maxCreate !== 0) recs = recs.filter((r) => r.createRevision <= maxCreate);
    if (minCreate !== 0) recs = recs.filter((r) => r.createRevision >= minCreate);

    let order = sortOrder;
    if (sortTarget !== SortTarget.KEY && order === SortOrder.NONE) order = SortOrder.ASCEND;
    const alreadySorted = sortTarget === SortTarget.KEY && order === SortOrder.ASCEND;
    if (order !== SortOrder.NONE && !alreadySorted) {
      // Stable: ties keep key order (etcd's sort.Sort leaves ties unspecified).
      recs.sort(sorterFor(sortTarget, order === SortOrder.DESCEND));
    }
    let more = false;
    if (limit > 0 && recs.length > limit) {
      recs.length = limit;
      more = true;
    }
    const keysOnly = req.keysOnly === true;
    const kvs = new Array<KeyValue>(recs.length);
    for (let i = 0; i < recs.length; i++) kvs[i] = toKv(recs[i] as Rec, keysOnly);
    return { revision: curRev, kvs, more, count };
  }

  /** etcd's applyCompare: every live key in the range must satisfy it; none → the zero KeyValue. */
  private compareHolds(c: Compare): boolean {
    let any = false;
    let ok = true;
    this.forEachEntry(c.key, c.rangeEnd, (e) => {
      const r = liveLatest(e);
      if (r === undefined) return false;
      any = true;
      if (!compareHolds(c, r.createRevision, r.modRevision, r.version, r.lease, r.value)) {
        ok = false;
        return true;
      }
      return false;
    });
    if (any) return ok;
    // A missing key has no value: a VALUE compare on it always fails.
    if (c.target === CompareTarget.VALUE) return false;
    return compareHolds(c, 0, 0, 0, 0, EMPTY);
  }

  private comparePath(t: TxnRequest): TxnPath {
    let ok = true;
    for (const c of t.compare ?? []) {
      if (!this.compareHolds(c)) {
        ok = false;
        break;
      }
    }
    const nested: TxnPath[] = [];
    for (const op of (ok ? t.success : t.failure) ?? []) if ('txn' in op) nested.push(this.comparePath(op.txn));
    return { ok, nested };
  }

  /** etcd's checkRequests(checkPut / checkRange) along the chosen path, against the pre-txn state. */
  private checkPath(t: TxnRequest, path: TxnPath, what: 'put' | 'range'): void {
    let n = 0;
    for (const op of (path.ok ? t.success : t.failure) ?? []) {
      if ('txn' in op) {
        this.checkPath(op.txn, path.nested[n++] as TxnPath, what);
      } else if (what === 'put' && 'put' in op) {
        const p = op.put;
        if (p.ignoreValue || p.ignoreLease) {
          const e = this.byKey.get(keyString(p.key));
          if (e === undefined || liveLatest(e) === undefined) throw new KeyNotFoundError(showKey(p.key));
        }
        const lease = p.lease ?? 0;
        if (lease !== 0 && !this.leases.has(lease)) throw new LeaseNotFoundError(lease);
      } else if (what === 'range' && 'range' in op) {
        const rev = op.range.revision ?? 0;
        if (rev === 0) continue;
        if (rev > this.rev) throw new FutureRevisionError(this.rev, rev);
        if (rev < this.compactRev) throw new CompactedError(this.compactRev, rev);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Internals: writing (callers have done every check; nothing here throws)

  private execTxn(t: TxnRequest, path: TxnPath, w: WriteBatch): TxnResponse {
    const responses: ResponseOp[] = [];
    let n = 0;
    for (const op of (path.ok ? t.success : t.failure) ?? []) {
      if ('range' in op) {
        // Reads inside a txn see its earlier writes.
        responses.push({ range: this.rangeAt(op.range, w.sub > 0 ? w.main : this.rev) });
      } else if ('put' in op) {
        responses.push({ put: this.putOp(w, op.put, keyString(op.put.key)) });
      } else if ('deleteRange' in op) {
        responses.push({ deleteRange: this.deleteOp(w, op.deleteRange) });
      } else if ('txn' in op) {
        responses.push({ txn: this.execTxn(op.txn, path.nested[n++] as TxnPath, w) });
      }
    }
    return { revision: 0, succeeded: path.ok, responses };
  }

  private putOp(w: WriteBatch, p: PutRequest, skey: string): PutResponse {
    let e = this.byKey.get(skey);
    const prev = e === undefined ? undefined : liveLatest(e);
    const value = p.ignoreValue && prev !== undefined ? prev.value : copyBytes(p.value);
    const lease = p.ignoreLease && prev !== undefined ? prev.lease : (p.lease ?? 0);
    if (e === undefined) {
      e = { skey, key: copyBytes(p.key), revs: [] };
      this.byKey.set(skey, e);
      this.index.set(skey, e);
    }
    const main = w.main;
    const sub = w.sub++;
    const createRevision = prev === undefined ? main : prev.createRevision;
    const version = prev === undefined ? 1 : prev.version + 1;
    const r: Rec = { e, modRevision: main, sub, createRevision, version, lease, value };
    e.revs.push(r);
    this.log.push(r);
    this.bytes += recSize(r);
    const oldLease = prev === undefined ? 0 : prev.lease;
    if (oldLease !== lease) {
      if (oldLease !== 0) this.leases.get(oldLease)?.keys.delete(e);
      if (lease !== 0) this.leases.get(lease)?.keys.add(e);
    }
    const prevKv = prev === undefined ? undefined : toKv(prev);
    w.events.push({ type: EventType.PUT, kv: toKv(r), prevKv });
    w.persist.push({
      type: 'put',
      key: revisionKey(main, sub),
      value: encodeRecord(e.key, false, createRevision, version, lease, value),
    });
    return p.prevKv && prevKv !== undefined ? { revision: main, prevKv } : { revision: main };
  }

  private deleteOp(w: WriteBatch, d: DeleteRangeRequest): DeleteRangeResponse {
    const targets: Rec[] = [];
    this.forEachEntry(d.key, d.rangeEnd, (e) => {
      const r = liveLatest(e);
      if (r !== undefined) targets.push(r);
    });
    const prevKvs = d.prevKv ? targets.map((r) => toKv(r)) : [];
    for (const r of targets) this.writeDelete(w, r.e, r);
    return { revision: w.sub > 0 ? w.main : this.rev, deleted: targets.length, prevKvs };
  }

  private writeDelete(w: WriteBatch, e: KeyEntry, prev: Rec): void {
    const main = w.main;
    const sub = w.sub++;
    const r: Rec = { e, modRevision: main, sub, createRevision: 0, version: 0, lease: 0, value: EMPTY };
    e.revs.push(r);
    this.log.push(r);
    this.bytes += recSize(r);
    if (prev.lease !== 0) this.leases.get(prev.lease)?.keys.delete(e);
    w.events.push({ type: EventType.DELETE, kv: toKv(r), prevKv: toKv(prev) });
    w.persist.push({ type: 'put', key: revisionKey(main, sub), value: encodeRecord(e.key, true, 0, 0, 0, EMPTY) });
  }
}

function encodeRecordOf(r: Rec): Uint8Array {
  return encodeRecord(r.e.key, isTombstone(r), r.createRevision, r.version, r.lease, r.value);
}

/** The record before `r` in its key's history, if any. */
function previousRec(r: Rec): Rec | undefined {
  const revs = r.e.revs;
  let i = lowerBound(revs, r.modRevision);
  while (i < revs.length && revs[i] !== r) i++;
  return i > 0 ? revs[i - 1] : undefined;
}

function eventOf(r: Rec, prev: Rec | undefined): MvccEvent {
  const prevKv = prev !== undefined && !isTombstone(prev) ? toKv(prev) : undefined;
  return { type: isTombstone(r) ? EventType.DELETE : EventType.PUT, kv: toKv(r), prevKv };
}

function setTxnRevision(t: TxnResponse, revision: number): void {
  t.revision = revision;
  for (const r of t.responses) if ('txn' in r) setTxnRevision(r.txn, revision);
}

