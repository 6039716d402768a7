/**
 * Helpers shared by the MVCC unit tests (not part of the package API).
 */
import type { KeyValue, MvccEvent, PersistOp, PersistRecord } from './types';
import { EventType } from './types';
import type { MvccStore } from './store';
import { FROM_KEY, prefixEnd as prefixEndBytes } from './key-range';

export const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const str = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('latin1');

export { FROM_KEY };

/** The range end of a prefix given as a string. */
export const prefixEnd = (prefix: string): Uint8Array => prefixEndBytes(b(prefix));

/** [key, value, createRevision, modRevision, version, lease] */
export type KvRow = [string, string, number, number, number, number];

export function rows(kvs: readonly KeyValue[]): KvRow[] {
  return kvs.map((kv) => [str(kv.key), str(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease]);
}

export function row(kv: KeyValue | undefined): KvRow | undefined {
  return kv === undefined ? undefined : (rows([kv])[0] as KvRow);
}

/** [type, key, modRevision, value, prevValue] */
export type EventRow = [string, string, number, string, string | null];

export function eventRows(evs: readonly MvccEvent[]): EventRow[] {
  return evs.map((e) => [
    e.type === EventType.PUT ? 'PUT' : 'DELETE',
    str(e.kv.key),
    e.kv.modRevision,
    str(e.kv.value),
    e.prevKv === undefined ? null : str(e.prevKv.value),
  ]);
}

/** A LevelDB stand-in: applies persist ops in order, lists records in key order. */
export class FakeDb {
  private readonly m = new Map<string, Uint8Array>();

  write(ops: readonly PersistOp[]): void {
    for (const op of ops) {
      const k = Buffer.from(op.key).toString('hex');
      if (op.type === 'put') this.m.set(k, op.value.slice());
      else this.m.delete(k);
    }
  }

  records(): PersistRecord[] {
    return [...this.m.keys()].sort().map((k) => ({ key: new Uint8Array(Buffer.from(k, 'hex')), value: this.m.get(k) as Uint8Array }));
  }

  get size(): number {
    return this.m.size;
  }
}

/** Everything observable about a store, for equality checks between stores. */
export function fingerprint(s: MvccStore): unknown {
  const all = s.range({ key: FROM_KEY, rangeEnd: FROM_KEY });
  const history: unknown[] = [];
  for (let r = Math.max(1, s.compactRevision); r <= s.currentRevision; r += Math.max(1, Math.floor((s.currentRevision - r) / 7))) {
    history.push([r, rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: r }).kvs)]);
  }
  return {
    revision: s.currentRevision,
    compactRevision: s.compactRevision,
    hash: s.hashKV(),
    size: s.sizeBytes,
    kvs: rows(all.kvs),
    history,
    leases: s.leaseList().map((l) => ({ ...l, keys: (s.leaseLookup(l.id)?.keys ?? []).map(str) })),
    events: eventRows(s.eventsSince(s.compactRevision, FROM_KEY, FROM_KEY)),
  };
}
