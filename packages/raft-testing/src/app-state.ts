import { Entry, EntryType } from '@mk/raft';

/**
 * The replicated application of the simulation: a hash chain over every applied entry. Two nodes
 * agree on the chain value at index i exactly when they applied the same entries at 1..i (up to hash
 * collisions of a 53-bit value), so comparing one number per index checks state-machine safety.
 *
 * The chain covers every entry (leader no-ops and conf changes too, with their term and type): that
 * is stricter than "normal entries only" and costs nothing.
 */

const FNV_PRIME = 0x01000193;
const LANE_A_BASIS = 0x811c9dc5; // the FNV-1a offset basis
const LANE_B_BASIS = 0x050c5d1f; // a second basis, so the two lanes hash independently
const TWO_POW_21 = 0x200000;
// A module-level binding: global lookups are slow inside jest's sandbox, and this runs per byte.
const imul = Math.imul;

/** The chain value before any entry (index 0). */
export const GENESIS_CHAIN = 0;

function mixByte(h: number, byte: number): number {
  return imul(h ^ byte, FNV_PRIME) >>> 0;
}

function mixUint32(h: number, v: number): number {
  h = mixByte(h, v & 0xff);
  h = mixByte(h, (v >>> 8) & 0xff);
  h = mixByte(h, (v >>> 16) & 0xff);
  return mixByte(h, (v >>> 24) & 0xff);
}

/** Mixes a non-negative integer below 2^53 (indexes, terms, chain values). */
function mixSafeInt(h: number, v: number): number {
  return mixUint32(mixUint32(h, v >>> 0), Math.floor(v / 0x100000000) >>> 0);
}

/** h_i = H(h_{i-1}, index, term, type, data), as a 53-bit integer (two 32-bit FNV-1a lanes). */
export function chainNext(prev: number, e: Entry): number {
  let a = mixSafeInt(mixSafeInt(mixSafeInt(mixSafeInt(LANE_A_BASIS, prev), e.index), e.term), e.type);
  let b = mixSafeInt(mixSafeInt(mixSafeInt(mixSafeInt(LANE_B_BASIS, prev), e.index), e.term), e.type);
  const data = e.data;
  for (let i = 0; i < data.length; i++) {
    a = mixByte(a, data[i]!);
    b = mixByte(b, data[i]!);
  }
  return a * TWO_POW_21 + (b >>> 11);
}

/** Client payloads are `[id: uint32 BE][filler]`; the id makes every proposal unique. */
export function encodePayload(id: number, fillerLength: number): Uint8Array {
  const data = new Uint8Array(4 + fillerLength);
  new DataView(data.buffer).setUint32(0, id);
  for (let i = 4; i < data.length; i++) data[i] = (id * 31 + i) & 0xff;
  return data;
}

export function decodePayloadId(data: Uint8Array): number {
  if (data.length < 4) throw new RangeError(`a payload has at least 4 bytes, got ${data.length}`);
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
}

/** What a snapshot of the application holds. */
export interface AppSnapshot {
  index: number;
  chain: number;
  /** Normal entries with a payload applied so far (leader no-ops and conf changes excluded). */
  payloads: number;
}

const SNAPSHOT_BYTES = 24;

export function encodeAppSnapshot(s: AppSnapshot): Uint8Array {
  const data = new Uint8Array(SNAPSHOT_BYTES);
  const view = new DataView(data.buffer);
  view.setFloat64(0, s.index);
  view.setFloat64(8, s.chain);
  view.setFloat64(16, s.payloads);
  return data;
}

export function decodeAppSnapshot(data: Uint8Array): AppSnapshot {
  // A member added later starts from an empty storage: its "snapshot" is the empty state at 0.
  if (data.length === 0) return { index: 0, chain: GENESIS_CHAIN, payloads: 0 };
  if (data.length !== SNAPSHOT_BYTES) throw new RangeError(`an app snapshot has ${SNAPSHOT_BYTES} bytes, got ${data.length}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { index: view.getFloat64(0), chain: view.getFloat64(8), payloads: view.getFloat64(16) };
}

/** The state machine one node runs. */
export class AppState {
  index: number;
  chain: number;
  payloads: number;

  constructor(from: AppSnapshot) {
    this.index = from.index;
    this.chain = from.chain;
    this.payloads = from.payloads;
  }

  /** Applies the next committed entry; the caller checks it is the next index. */
  apply(e: Entry): void {
    this.chain = chainNext(this.chain, e);
    this.index = e.index;
    if (e.type === EntryType.Normal && e.data.length > 0) this.payloads++;
  }

  snapshot(): AppSnapshot {
    return { index: this.index, chain: this.chain, payloads: this.payloads };
  }
}
