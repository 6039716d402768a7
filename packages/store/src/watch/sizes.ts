/**
 * Conversion of MVCC events to their protobuf form, and the encoded size of that form, computed
 * by arithmetic (no encoding). The sizes decide fragmenting, catch-up batch cuts and the per-stream
 * buffer bound; they follow protobufjs' encoder, which leaves out zero and empty fields.
 */
import type { mvccpb } from '@mk/proto';
import type { KeyValue, MvccEvent } from '../mvcc';
import { EventType } from '../mvcc';

/** Bytes of a protobuf varint holding `n` (negative int64 values take 10). */
export function varintSize(n: number): number {
  if (n < 0) return 10;
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** One length-delimited field (tag of one byte: every field number here is < 16). */
function bytesField(len: number): number {
  return 1 + varintSize(len) + len;
}

function intField(n: number): number {
  return n === 0 ? 0 : 1 + varintSize(n);
}

/** A KeyValue as protobufjs encodes it: zero and empty fields are left out. */
export function kvToPb(kv: KeyValue): { pb: mvccpb.KeyValue.$Properties; size: number } {
  const pb: mvccpb.KeyValue.$Properties = {};
  let size = 0;
  if (kv.key.length > 0) {
    pb.key = kv.key;
    size += bytesField(kv.key.length);
  }
  if (kv.createRevision !== 0) {
    pb.createRevision = kv.createRevision;
    size += intField(kv.createRevision);
  }
  if (kv.modRevision !== 0) {
    pb.modRevision = kv.modRevision;
    size += intField(kv.modRevision);
  }
  if (kv.version !== 0) {
    pb.version = kv.version;
    size += intField(kv.version);
  }
  if (kv.value.length > 0) {
    pb.value = kv.value;
    size += bytesField(kv.value.length);
  }
  if (kv.lease !== 0) {
    pb.lease = kv.lease;
    size += intField(kv.lease);
  }
  return { pb, size };
}

/** An event ready to send: its protobuf form and the bytes it adds to a WatchResponse. */
export interface WireEvent {
  readonly revision: number;
  readonly type: EventType;
  readonly pb: mvccpb.Event.$Properties;
  /** Bytes of the `events` field entry (tag, length, message). */
  readonly size: number;
}

/** Converts one event, with or without its prevKv. A DELETE's kv carries only key and mod_revision. */
export function toWire(ev: MvccEvent, withPrevKv: boolean): WireEvent {
  const kv = kvToPb(ev.kv);
  const pb: mvccpb.Event.$Properties = { kv: kv.pb };
  let inner = bytesField(kv.size);
  if (ev.type !== EventType.PUT) {
    pb.type = ev.type as number as mvccpb.Event.EventType;
    inner += intField(ev.type);
  }
  if (withPrevKv && ev.prevKv !== undefined) {
    const prev = kvToPb(ev.prevKv);
    pb.prevKv = prev.pb;
    inner += bytesField(prev.size);
  }
  return { revision: ev.kv.modRevision, type: ev.type, pb, size: bytesField(inner) };
}

/**
 * Upper bound of everything in a WatchResponse except its events: the header (4 varints up to
 * 2^64), watch_id (10 bytes when negative), the flags, compact_revision and framing.
 */
export const RESPONSE_OVERHEAD = 96;
