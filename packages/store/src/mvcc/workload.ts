/**
 * A seeded random workload for the MVCC tests, and a deliberately simple reference model of
 * etcd's semantics (current state only) to check the store against. Not part of the package API.
 */
import type { SeededRng } from '@mk/shared';
import { keyString } from './codec';
import { validateTxn } from './validate';
import {
  CompareResult,
  CompareTarget,
  type Compare,
  type MvccRequest,
  type RequestOp,
  type TxnRequest,
} from './types';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

const KEYS: string[] = [
  ...Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`),
  ...Array.from({ length: 12 }, (_, i) => `p/${String.fromCharCode(97 + i)}`),
  'p/\xff',
  'p\xff',
  '\x00zero',
  'z',
  'bin\x00\x01\xfe',
];

interface ModelKv {
  value: string;
  create: number;
  mod: number;
  version: number;
  lease: number;
}

/** etcd semantics on the current state only; `apply` returns false where the store must refuse. */
export class Model {
  readonly kv = new Map<string, ModelKv>();
  readonly leases = new Map<number, number>();
  rev = 1;
  compact = 0;

  sortedKeys(): string[] {
    return [...this.kv.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private keysIn(key: Uint8Array, rangeEnd: Uint8Array | undefined): string[] {
    const low = keyString(key);
    if (rangeEnd === undefined || rangeEnd.length === 0) return this.kv.has(low) ? [low] : [];
    const fromKey = rangeEnd.length === 1 && rangeEnd[0] === 0;
    const high = keyString(rangeEnd);
    return this.sortedKeys().filter((k) => k >= low && (fromKey || k < high));
  }

  private holds(c: Compare): boolean {
    const keys = this.keysIn(c.key, c.rangeEnd);
    const cmpOne = (kv: ModelKv | undefined): boolean => {
      let r = 0;
      const num = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
      if (c.target === CompareTarget.VALUE) {
        const want = keyString(c.value ?? new Uint8Array(0));
        const have = kv ? kv.value : '';
        r = have < want ? -1 : have > want ? 1 : 0;
      } else if (c.target === CompareTarget.VERSION) r = num(kv?.version ?? 0, c.version ?? 0);
      else if (c.target === CompareTarget.CREATE) r = num(kv?.create ?? 0, c.createRevision ?? 0);
      else if (c.target === CompareTarget.MOD) r = num(kv?.mod ?? 0, c.modRevision ?? 0);
      else r = num(kv?.lease ?? 0, c.lease ?? 0);
      if (c.result === CompareResult.EQUAL) return r === 0;
      if (c.result === CompareResult.NOT_EQUAL) return r !== 0;
      if (c.result === CompareResult.GREATER) return r > 0;
      return r < 0;
    };
    if (keys.length === 0) return c.target === CompareTarget.VALUE ? false : cmpOne(undefined);
    return keys.every((k) => cmpOne(this.kv.get(k)));
  }

  private branch(t: TxnRequest, path: boolean[]): RequestOp[] {
    const ok = (t.compare ?? []).every((c) => this.holds(c));
    path.push(ok);
    const ops = (ok ? t.success : t.failure) ?? [];
    for (const op of ops) if ('txn' in op) this.branch(op.txn, path);
    return ops;
  }

  private checkOps(t: TxnRequest, path: boolean[], i: { n: number }): boolean {
    const ok = path[i.n++] as boolean;
    for (const op of (ok ? t.success : t.failure) ?? []) {
      if ('txn' in op) {
        if (!this.checkOps(op.txn, path, i)) return false;
      } else if ('put' in op) {
        const p = op.put;
        if ((p.ignoreValue || p.ignoreLease) && !this.kv.has(keyString(p.key))) return false;
        if ((p.lease ?? 0) !== 0 && !this.leases.has(p.lease as number)) return false;
      } else if ('range' in op) {
        const r = op.range.revision ?? 0;
        if (r !== 0 && (r > this.rev || r < this.compact)) return false;
      }
    }
    return true;
  }

  private exec(t: TxnRequest, path: boolean[], i: { n: number }, main: number, st: { changed: boolean }): void {
    const ok = path[i.n++] as boolean;
    for (const op of (ok ? t.success : t.failure) ?? []) {
      if ('txn' in op) this.exec(op.txn, path, i, main, st);
      else if ('put' in op) {
        this.put(op.put.key, op.put.value, op.put.lease ?? 0, main, !!op.put.ignoreValue, !!op.put.ignoreLease);
        st.changed = true;
      } else if ('deleteRange' in op) {
        for (const k of this.keysIn(op.deleteRange.key, op.deleteRange.rangeEnd)) {
          this.kv.delete(k);
          st.changed = true;
        }
      }
    }
  }

  private put(key: Uint8Array, value: Uint8Array | undefined, lease: number, main: number, ignoreValue: boolean, ignoreLease: boolean): void {
    const k = keyString(key);
    const prev = this.kv.get(k);
    this.kv.set(k, {
      value: ignoreValue && prev ? prev.value : keyString(value ?? new Uint8Array(0)),
      create: prev ? prev.create : main,
      mod: main,
      version: prev ? prev.version + 1 : 1,
      lease: ignoreLease && prev ? prev.lease : lease,
    });
  }

  apply(req: MvccRequest): boolean {
    if ('put' in req) {
      const p = req.put;
      if ((p.lease ?? 0) !== 0 && !this.leases.has(p.lease as number)) return false;
      if ((p.ignoreValue || p.ignoreLease) && !this.kv.has(keyString(p.key))) return false;
      this.put(p.key, p.value, p.lease ?? 0, ++this.rev, !!p.ignoreValue, !!p.ignoreLease);
      return true;
    }
    if ('deleteRange' in req) {
      const keys = this.keysIn(req.deleteRange.key, req.deleteRange.rangeEnd);
      if (keys.length > 0) this.rev++;
      for (const k of keys) this.kv.delete(k);
      return true;
    }
    if ('txn' in req) {
      try {
        validateTxn(req.txn, Number.POSITIVE_INFINITY);
      } catch {
        return false;
      }
      const path: boolean[] = [];
      this.branch(req.txn, path);
      if (!this.checkOps(req.txn, path, { n: 0 })) return false;
      const st = { changed: false };
      this.exec(req.txn, path, { n: 0 }, this.rev + 1, st);
      if (st.changed) this.rev++;
      return true;
    }
    if ('range' in req) {
      const r = req.range.revision ?? 0;
      return !(r > this.rev || (r > 0 && r < this.compact));
    }
    if ('compaction' in req) {
      const r = req.compaction.revision;
      if (r <= this.compact || r > this.rev) return false;
      this.compact = r;
      return true;
    }
    if ('leaseGrant' in req) {
      if (this.leases.has(req.leaseGrant.id)) return false;
      this.leases.set(req.leaseGrant.id, req.leaseGrant.ttl);
      return true;
    }
    if ('leaseRevoke' in req) {
      const id = req.leaseRevoke.id;
      if (!this.leases.has(id)) return false;
      const keys = this.sortedKeys().filter((k) => this.kv.get(k)?.lease === id);
      if (keys.length > 0) this.rev++;
      for (const k of keys) this.kv.delete(k);
      this.leases.delete(id);
      return true;
    }
    return true; // leaseCheckpoint
  }

  /** [key, value, create, mod, version, lease] rows, bytewise by key. */
  rows(): [string, string, number, number, number, number][] {
    return this.sortedKeys().map((k) => {
      const v = this.kv.get(k) as ModelKv;
      return [k, v.value, v.create, v.mod, v.version, v.lease];
    });
  }
}

/** Generates the next request from the model's state (the model is not changed). */
export function nextRequest(rng: SeededRng, m: Model, nextLeaseId: { n: number }): MvccRequest {
  const key = () => KEYS[rng.int(KEYS.length)] as string;
  const existing = () => {
    const ks = m.sortedKeys();
    return ks.length > 0 && rng.next() < 0.7 ? (ks[rng.int(ks.length)] as string) : key();
  };
  const value = () => 'v' + rng.int(1000).toString(36).repeat(rng.int(4));
  const leases = [...m.leases.keys()];
  const lease = () => (leases.length > 0 && rng.next() < 0.3 ? (leases[rng.int(leases.length)] as number) : rng.next() < 0.03 ? 999_999 : 0);
  const rangeOf = (): { key: Uint8Array; rangeEnd?: Uint8Array } => {
    const x = rng.next();
    if (x < 0.5) return { key: enc(existing()) };
    if (x < 0.7) return { key: enc('p/'), rangeEnd: enc('p0') };
    if (x < 0.8) return { key: enc(key()), rangeEnd: new Uint8Array([0]) };
    const [a, b] = [key(), key()].sort();
    return { key: enc(a as string), rangeEnd: enc(b as string) };
  };
  const revision = () => (rng.next() < 0.5 ? 0 : Math.max(1, m.rev - rng.int(40) + 1));
  const op = (depth: number, used: Set<string>): RequestOp => {
    const x = rng.next();
    if (x < 0.45) {
      let k = existing();
      if (used.has(k) && rng.next() < 0.9) k = `${k}#${used.size}`;
      used.add(k);
      return { put: { key: enc(k), value: enc(value()), lease: lease(), prevKv: rng.next() < 0.2 } };
    }
    if (x < 0.6) {
      let k = existing();
      if (used.has(k) && rng.next() < 0.9) k = `${k}#d${used.size}`;
      used.add(k);
      return { deleteRange: { key: enc(k), prevKv: rng.next() < 0.3 } };
    }
    if (x < 0.85 || depth >= 2) return { range: { ...rangeOf(), revision: revision(), limit: rng.int(3) } };
    return { txn: txn(depth + 1, used) };
  };
  const compare = (): Compare => {
    const k = existing();
    const target = rng.int(5) as CompareTarget;
    const result = rng.int(4) as CompareResult;
    const cur = m.kv.get(k);
    const c: Compare = { key: enc(k), target, result };
    if (rng.next() < 0.15) c.rangeEnd = enc(k + '\xff');
    const near = (v: number) => Math.max(0, v + rng.int(3) - 1);
    if (target === CompareTarget.VALUE) c.value = enc(cur && rng.next() < 0.6 ? cur.value : value());
    else if (target === CompareTarget.VERSION) c.version = near(cur?.version ?? 0);
    else if (target === CompareTarget.CREATE) c.createRevision = near(cur?.create ?? 0);
    else if (target === CompareTarget.MOD) c.modRevision = near(cur?.mod ?? 0);
    else c.lease = cur?.lease ?? 0;
    return c;
  };
  const txn = (depth: number, used: Set<string>): TxnRequest => ({
    compare: Array.from({ length: rng.int(3) }, compare),
    success: Array.from({ length: rng.int(4) }, () => op(depth, used)),
    failure: Array.from({ length: rng.int(3) }, () => op(depth, new Set(used))),
  });

  const x = rng.next();
  if (x < 0.4) {
    const k = existing();
    const ignoreValue = rng.next() < 0.04;
    return { put: { key: enc(k), value: ignoreValue ? undefined : enc(value()), lease: lease(), prevKv: rng.next() < 0.1, ignoreValue } };
  }
  if (x < 0.5) return { deleteRange: { key: enc(existing()), prevKv: rng.next() < 0.5 } };
  if (x < 0.54) return { deleteRange: { ...rangeOf(), prevKv: rng.next() < 0.5 } };
  if (x < 0.72) return { txn: txn(0, new Set()) };
  if (x < 0.77) return { leaseGrant: { id: rng.next() < 0.1 && leases.length > 0 ? (leases[0] as number) : nextLeaseId.n++, ttl: 1 + rng.int(100) } };
  if (x < 0.81) return { leaseRevoke: { id: leases.length > 0 && rng.next() < 0.9 ? (leases[rng.int(leases.length)] as number) : 424242 } };
  if (x < 0.83) return { compaction: { revision: m.compact + rng.int(Math.max(1, m.rev - m.compact + 3)) - 1 } };
  if (x < 0.85) return { leaseCheckpoint: { checkpoints: leases.slice(0, 2).map((id) => ({ id, remainingTtl: rng.int(50) })) } };
  return { range: { ...rangeOf(), revision: revision(), limit: rng.int(4), keysOnly: rng.next() < 0.2 } };
}
