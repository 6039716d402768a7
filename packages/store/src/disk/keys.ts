/**
 * The layout of an mk-store data dir's LevelDB (`<data-dir>/db`). Every key starts with a short
 * ASCII prefix naming what it holds; indexes are fixed-width hex so LevelDB's byte order is the
 * numeric order.
 *
 *   meta/format                  the format marker: refuses foreign or future databases
 *   meta/member                  who this data dir belongs to (JSON: name, member id, cluster id)
 *   raft/hardstate               raftpb.HardState
 *   raft/snapshot                raftpb.Snapshot (metadata + application state)
 *   raft/entry/<index, 16 hex>   raftpb.Entry
 *   app/...                      the applied state (MVCC records, members, applied index)
 */
export const FORMAT = 'mk-store/1';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const text = (s: string): Uint8Array => enc.encode(s);
export const untext = (b: Uint8Array): string => dec.decode(b);

export const KEY_FORMAT = text('meta/format');
export const KEY_MEMBER = text('meta/member');
export const KEY_HARD_STATE = text('raft/hardstate');
export const KEY_SNAPSHOT = text('raft/snapshot');

const ENTRY_PREFIX = 'raft/entry/';

export function entryKey(index: number): Uint8Array {
  return text(ENTRY_PREFIX + index.toString(16).padStart(16, '0'));
}

/** Bounds that enclose every entry key. */
export const ENTRY_RANGE = { gte: entryKey(0), lte: text(ENTRY_PREFIX + 'g') };

export function entryIndexOf(key: Uint8Array): number {
  const s = untext(key);
  if (!s.startsWith(ENTRY_PREFIX)) throw new RangeError(`not a raft entry key: ${s}`);
  const n = parseInt(s.slice(ENTRY_PREFIX.length), 16);
  if (!Number.isSafeInteger(n)) throw new RangeError(`damaged raft entry key: ${s}`);
  return n;
}

/** One write in a LevelDB batch. */
export type DiskOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };
