/**
 * Request validation, as etcd does it in its gRPC layer before proposing (v3rpc/key.go,
 * lease.go). The shell calls these and answers malformed requests without touching Raft. The
 * state machine re-runs the checks that do not depend on configuration (everything except the
 * op-count limit), so an entry that slipped through can never break its invariants.
 */
import { compareBytes, keyString } from './codec';
import {
  DuplicateKeyError,
  EmptyKeyError,
  EmptyRequestOpError,
  InvalidFieldError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
} from './errors';
import type { DeleteRangeRequest, LeaseGrantRequest, MvccRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types';

/** etcd's default --max-txn-ops. */
export const DEFAULT_MAX_TXN_OPS = 128;

/** etcd's lease.MaxLeaseTTL (seconds). */
export const MAX_LEASE_TTL = 9_000_000_000;

export function validateRange(r: RangeRequest): void {
  if (!r.key || r.key.length === 0) throw new EmptyKeyError();
}

export function validatePut(r: PutRequest): void {
  if (!r.key || r.key.length === 0) throw new EmptyKeyError();
  if (r.ignoreValue && r.value !== undefined && r.value.length !== 0) throw new ValueProvidedError();
  if (r.ignoreLease && r.lease !== undefined && r.lease !== 0) throw new LeaseProvidedError();
}

export function validateDeleteRange(r: DeleteRangeRequest): void {
  if (!r.key || r.key.length === 0) throw new EmptyKeyError();
}

/**
 * etcd's checkTxnRequest + checkIntervals. `maxTxnOps` bounds max(compares, success, failure)
 * of each txn; a nested txn gets what its parent left (etcd passes maxTxnOps - opc down).
 */
export function validateTxn(r: TxnRequest, maxTxnOps: number = DEFAULT_MAX_TXN_OPS): void {
  checkTxnShape(r, maxTxnOps);
  checkDisjoint(r.success ?? []);
  checkDisjoint(r.failure ?? []);
}

export function validateLeaseGrant(r: LeaseGrantRequest): void {
  if (!isLeaseId(r.id)) throw new InvalidFieldError('lease id', r.id, 'a positive integer below 2^53');
  if (!Number.isSafeInteger(r.ttl) || r.ttl < 0) {
    throw new InvalidFieldError('lease TTL', r.ttl, 'a non-negative integer number of seconds');
  }
}

/** Validates whichever request is set; for the shell before proposing. */
export function validateRequest(req: MvccRequest, maxTxnOps: number = DEFAULT_MAX_TXN_OPS): void {
  if ('range' in req) validateRange(req.range);
  else if ('put' in req) validatePut(req.put);
  else if ('deleteRange' in req) validateDeleteRange(req.deleteRange);
  else if ('txn' in req) validateTxn(req.txn, maxTxnOps);
  else if ('leaseGrant' in req) validateLeaseGrant(req.leaseGrant);
}

export function isLeaseId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

function checkTxnShape(r: TxnRequest, maxTxnOps: number): void {
  const compare = r.compare ?? [];
  const success = r.success ?? [];
  const failure = r.failure ?? [];
  const opc = Math.max(compare.length, success.length, failure.length);
  if (opc > maxTxnOps) throw new TooManyOpsError(opc, maxTxnOps);
  for (const c of compare) if (!c.key || c.key.length === 0) throw new EmptyKeyError({ in: 'compare' });
  for (const op of success) checkOp(op, maxTxnOps - opc);
  for (const op of failure) checkOp(op, maxTxnOps - opc);
}

function checkOp(op: RequestOp, maxTxnOps: number): void {
  if ('range' in op && op.range) validateRange(op.range);
  else if ('put' in op && op.put) validatePut(op.put);
  else if ('deleteRange' in op && op.deleteRange) validateDeleteRange(op.deleteRange);
  else if ('txn' in op && op.txn) checkTxnShape(op.txn, maxTxnOps);
  else throw new EmptyRequestOpError();
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys: within one branch, no key may be written twice (two puts, or a put inside a
// deleted range), counting nested txns' possible writes; a nested txn's then and else branches
// exclude each other, so they may write the same keys. Deletes may overlap other deletes.

/** [low, high) over latin1 key strings; high null = unbounded. */
type Interval = [string, string | null];

interface Writes {
  puts: Set<string>;
  dels: Interval[];
}

function inInterval(iv: Interval, k: string): boolean {
  return iv[0] <= k && (iv[1] === null || k < iv[1]);
}

function deleteInterval(key: Uint8Array, rangeEnd: Uint8Array | undefined): Interval {
  const low = keyString(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return [low, low + '\x00'];
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return [low, null];
  // An empty or inverted range deletes nothing.
  if (compareBytes(rangeEnd, key) <= 0) return [low, low];
  return [low, keyString(rangeEnd)];
}

function checkDisjoint(ops: RequestOp[]): Writes {
  const acc: Writes = { puts: new Set(), dels: [] };
  for (const op of ops) {
    let unit: Writes;
    if ('put' in op && op.put) {
      unit = { puts: new Set([keyString(op.put.key)]), dels: [] };
    } else if ('deleteRange' in op && op.deleteRange) {
      unit = { puts: new Set(), dels: [deleteInterval(op.deleteRange.key, op.deleteRange.rangeEnd)] };
    } else if ('txn' in op && op.txn) {
      const then = checkDisjoint(op.txn.success ?? []);
      const otherwise = checkDisjoint(op.txn.failure ?? []);
      for (const k of otherwise.puts) then.puts.add(k);
      unit = { puts: then.puts, dels: then.dels.concat(otherwise.dels) };
    } else {
      continue;
    }
    for (const k of unit.puts) {
      if (acc.puts.has(k)) throw new DuplicateKeyError(k);
      for (const iv of acc.dels) if (inInterval(iv, k)) throw new DuplicateKeyError(k);
    }
    if (unit.dels.length > 0 && acc.puts.size > 0) {
      for (const iv of unit.dels) for (const k of acc.puts) if (inInterval(iv, k)) throw new DuplicateKeyError(k);
    }
    for (const k of unit.puts) acc.puts.add(k);
    for (const iv of unit.dels) acc.dels.push(iv);
  }
  return acc;
}

/**
 * The config-independent part of validateTxn, run by the state machine at apply time: empty
 * keys, empty ops and duplicate keys (never the op-count limit, which is a server flag).
 */
export function checkTxnInvariants(r: TxnRequest): void {
  validateTxn(r, Number.POSITIVE_INFINITY);
}
