/**
 * Byte-level encodings of the MVCC state: the persisted record keys and values (what the driver
 * writes to LevelDB), the snapshot framing, CRC-32C, and bytewise key helpers.
 *
 * Persisted keys (first byte is the record kind):
 *   'k' main:u64be sub:u64be  -> a revision record (sorted by revision in LevelDB)
 *   'l' id:u64be              -> a lease
 *   'm' name                  -> store metadata ('m' + "compact" -> compact revision)
 * Revision record value:
 *   flags:u8 (bit0 = tombstone) keyLen:uvarint key
 *   [if not tombstone] createRevision:uvarint version:uvarint lease:uvarint value(rest)
 * Lease value: flags:u8 (bit0 = has remaining) ttl:uvarint [remainingTtl:uvarint]
 * Meta compact value: revision:uvarint
 * uvarint: LEB128 of a non-negative integer < 2^53.
 *
 * Snapshot: "MKMVCC" version:u8(=1) count:uvarint (keyLen:uvarint key valueLen:uvarint value)*
 *           crc32c:u32be (of every byte before it)
 */
import { MvccCorruptDataError } from './errors';

export const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Keys as latin1 strings: one char per byte, so JS string order is bytewise order.

/** A string above every latin1 string: the open upper bound of a from-key range. */
export const KEY_INFINITY = '\u0100';

export function keyString(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n === 0) return '';
  if (n <= 4096) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  return Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1');
}

export function stringKey(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** Bytewise comparison, like Go's bytes.Compare. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * An owned, plain Uint8Array copy. Requests' bytes may be views into larger gRPC messages (and
 * Node's Buffer#slice does not copy), so the store never keeps a caller's buffer.
 */
export function copyBytes(b: Uint8Array | undefined): Uint8Array {
  if (b === undefined || b.length === 0) return EMPTY;
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** Printable form of a key for error details. */
export function showKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// CRC-32C (Castagnoli), as etcd uses for its hashes.

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** Continue a CRC-32C: pass the previous result (0 to start). Returns an unsigned 32-bit value. */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

// ---------------------------------------------------------------------------------------------
// A growable writer and a bounds-checked reader.

const TWO32 = 0x100000000;

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  uvarint(v: number): void {
    this.ensure(8);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.length++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.length++] = x;
  }

  u32be(v: number): void {
    this.ensure(4);
    const b = this.buf;
    b[this.length++] = v >>> 24;
    b[this.length++] = (v >>> 16) & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
    b[this.length++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** The written bytes (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export class ByteReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  fail(msg: string): never {
    throw new MvccCorruptDataError(`${this.what}: ${msg} at byte ${this.pos}`);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end of data');
    return this.buf[this.pos++] as number;
  }

  uvarint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) this.fail('integer out of range');
        return result;
      }
      mul *= 0x80;
    }
    return this.fail('varint too long');
  }

  u32be(): number {
    if (this.remaining < 4) this.fail('unexpected end of data');
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (((b[p] as number) << 24) | ((b[p + 1] as number) << 16) | ((b[p + 2] as number) << 8) | (b[p + 3] as number)) >>> 0;
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) this.fail(`length ${n} runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Persisted keys.

export const KIND_REVISION = 0x6b; // 'k'
export const KIND_LEASE = 0x6c; // 'l'
export const KIND_META = 0x6d; // 'm'

export const META_COMPACT_KEY = new Uint8Array([KIND_META, ...Buffer.from('compact', 'latin1')]);

function putU64(b: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  const lo = v >>> 0;
  b[off] = hi >>> 24;
  b[off + 1] = (hi >>> 16) & 0xff;
  b[off + 2] = (hi >>> 8) & 0xff;
  b[off + 3] = hi & 0xff;
  b[off + 4] = lo >>> 24;
  b[off + 5] = (lo >>> 16) & 0xff;
  b[off + 6] = (lo >>> 8) & 0xff;
  b[off + 7] = lo & 0xff;
}

function getU64(b: Uint8Array, off: number): number {
  const hi = (((b[off] as number) << 24) | ((b[off + 1] as number) << 16) | ((b[off + 2] as number) << 8) | (b[off + 3] as number)) >>> 0;
  const lo =
    (((b[off + 4] as number) << 24) | ((b[off + 5] as number) << 16) | ((b[off + 6] as number) << 8) | (b[off + 7] as number)) >>> 0;
  return hi * TWO32 + lo;
}

export function revisionKey(main: number, sub: number): Uint8Array {
  const k = new Uint8Array(17);
  k[0] = KIND_REVISION;
  putU64(k, 1, main);
  putU64(k, 9, sub);
  return k;
}

export function decodeRevisionKey(k: Uint8Array): { main: number; sub: number } {
  if (k.length !== 17 || k[0] !== KIND_REVISION) {
    throw new MvccCorruptDataError(`mvcc record: malformed revision key (${k.length} bytes)`);
  }
  const main = getU64(k, 1);
  const sub = getU64(k, 9);
  if (!Number.isSafeInteger(main) || !Number.isSafeInteger(sub) || main < 1) {
    throw new MvccCorruptDataError(`mvcc record: revision key out of range (main ${main}, sub ${sub})`);
  }
  return { main, sub };
}

export function leaseKey(id: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = KIND_LEASE;
  putU64(k, 1, id);
  return k;
}

export function decodeLeaseKey(k: Uint8Array): number {
  if (k.length !== 9 || k[0] !== KIND_LEASE) {
    throw new MvccCorruptDataError(`mvcc record: malformed lease key (${k.length} bytes)`);
  }
  const id = getU64(k, 1);
  if (!Number.isSafeInteger(id) || id < 1) throw new MvccCorruptDataError(`mvcc record: lease id ${id} out of range`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Persisted values.

export interface RecordFields {
  key: Uint8Array;
  tombstone: boolean;
  createRevision: number;
  version: number;
  lease: number;
  value: Uint8Array;
}

export function encodeRecord(
  key: Uint8Array,
  tombstone: boolean,
  createRevision: number,
  version: number,
  lease: number,
  value: Uint8Array,
): Uint8Array {
  const w = new ByteWriter(key.length + value.length + 32);
  w.u8(tombstone ? 1 : 0);
  w.uvarint(key.length);
  w.bytes(key);
  if (!tombstone) {
    w.uvarint(createRevision);
    w.uvarint(version);
    w.uvarint(lease);
    w.bytes(value);
  }
  return w.finish();
}

export function decodeRecord(v: Uint8Array): RecordFields {
  const r = new ByteReader(v, 'mvcc revision record');
  const flags = r.u8();
  if ((flags & ~1) !== 0) r.fail(`unknown flags 0x${flags.toString(16)}`);
  const tombstone = (flags & 1) === 1;
  const key = r.bytes(r.uvarint());
  if (key.length === 0) r.fail('empty key');
  if (tombstone) {
    if (r.remaining !== 0) r.fail('trailing bytes after a tombstone');
    return { key, tombstone, createRevision: 0, version: 0, lease: 0, value: EMPTY };
  }
  const createRevision = r.uvarint();
  const version = r.uvarint();
  const lease = r.uvarint();
  if (createRevision < 1 || version < 1) r.fail(`invalid createRevision ${createRevision} / version ${version}`);
  const value = r.bytes(r.remaining);
  return { key, tombstone, createRevision, version, lease, value };
}

export function encodeLease(ttl: number, remainingTtl: number | undefined): Uint8Array {
  const w = new ByteWriter(16);
  w.u8(remainingTtl === undefined ? 0 : 1);
  w.uvarint(ttl);
  if (remainingTtl !== undefined) w.uvarint(remainingTtl);
  return w.finish();
}

export function decodeLease(v: Uint8Array): { ttl: number; remainingTtl: number | undefined } {
  const r = new ByteReader(v, 'mvcc lease record');
  const flags = r.u8();
  if ((flags & ~1) !== 0) r.fail(`unknown flags 0x${flags.toString(16)}`);
  const ttl = r.uvarint();
  const remainingTtl = flags & 1 ? r.uvarint() : undefined;
  if (r.remaining !== 0) r.fail('trailing bytes');
  return { ttl, remainingTtl };
}

export function encodeUvarint(v: number): Uint8Array {
  const w = new ByteWriter(10);
  w.uvarint(v);
  return w.finish();
}

export function decodeUvarint(v: Uint8Array, what: string): number {
  const r = new ByteReader(v, what);
  const n = r.uvarint();
  if (r.remaining !== 0) r.fail('trailing bytes');
  return n;
}

// ---------------------------------------------------------------------------------------------
// Snapshot framing.

const SNAPSHOT_MAGIC = Buffer.from('MKMVCC', 'latin1');
export const SNAPSHOT_VERSION = 1;

export function encodeSnapshot(records: Iterable<{ key: Uint8Array; value: Uint8Array }>, count: number): Uint8Array {
  const w = new ByteWriter(1 << 16);
  w.bytes(SNAPSHOT_MAGIC);
  w.u8(SNAPSHOT_VERSION);
  w.uvarint(count);
  let n = 0;
  for (const r of records) {
    w.uvarint(r.key.length);
    w.bytes(r.key);
    w.uvarint(r.value.length);
    w.bytes(r.value);
    n++;
  }
  if (n !== count) throw new Error(`encodeSnapshot: announced ${count} records, got ${n}`);
  const body = w.finish();
  const crc = crc32c(body);
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  out[body.length] = crc >>> 24;
  out[body.length + 1] = (crc >>> 16) & 0xff;
  out[body.length + 2] = (crc >>> 8) & 0xff;
  out[body.length + 3] = crc & 0xff;
  return out;
}

export function decodeSnapshot(bytes: Uint8Array): PersistRecordList {
  const what = 'mvcc snapshot';
  if (!(bytes instanceof Uint8Array)) throw new MvccCorruptDataError(`${what}: expected bytes, got ${typeof bytes}`);
  const minLen = SNAPSHOT_MAGIC.length + 1 + 1 + 4;
  if (bytes.length < minLen) {
    throw new MvccCorruptDataError(`${what}: ${bytes.length} bytes is too short to be an mk-store MVCC snapshot`);
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) {
      throw new MvccCorruptDataError(`${what}: bad magic; these bytes are not an mk-store MVCC snapshot`);
    }
  }
  const version = bytes[SNAPSHOT_MAGIC.length] as number;
  if (version !== SNAPSHOT_VERSION) {
    throw new MvccCorruptDataError(`${what}: format version ${version} is not supported (this build reads version ${SNAPSHOT_VERSION})`);
  }
  const body = bytes.subarray(0, bytes.length - 4);
  const stored = new ByteReader(bytes.subarray(bytes.length - 4), what).u32be();
  const computed = crc32c(body);
  if (stored !== computed) {
    throw new MvccCorruptDataError(
      `${what}: checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)}); the snapshot is corrupt or truncated`,
    );
  }
  const r = new ByteReader(body, what);
  r.bytes(SNAPSHOT_MAGIC.length + 1);
  const count = r.uvarint();
  const records: PersistRecordList = [];
  for (let i = 0; i < count; i++) {
    const key = r.bytes(r.uvarint());
    const value = r.bytes(r.uvarint());
    records.push({ key, value });
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes after ${count} records`);
  return records;
}

type PersistRecordList = { key: Uint8Array; value: Uint8Array }[];
