import { MvccStore } from './store';
import { CompareResult, CompareTarget, type Compare, type RequestOp, type TxnRequest } from './types';
import {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  EmptyRequestOpError,
  EtcdMessages,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  TooManyOpsError,
} from './errors';
import { DEFAULT_MAX_TXN_OPS, validateTxn } from './validate';
import { FROM_KEY, b, eventRows, rows, str } from './test-helpers';

const { EQUAL, NOT_EQUAL, GREATER, LESS } = CompareResult;
const { VERSION, CREATE, MOD, VALUE, LEASE } = CompareTarget;

const putOp = (key: string, value: string, lease = 0): RequestOp => ({ put: { key: b(key), value: b(value), lease } });
const delOp = (key: string, rangeEnd?: Uint8Array): RequestOp => ({ deleteRange: { key: b(key), rangeEnd } });
const getOp = (key: string, rangeEnd?: Uint8Array): RequestOp => ({ range: { key: b(key), rangeEnd } });

/**
 * Fixture: a@2 'x' (version 1), b@3 'y' lease 5, b@4 'z' (version 2, lease 5), c@5 'w' then
 * deleted @6. So a: create 2 mod 2 ver 1; b: create 3 mod 4 ver 2 lease 5; c: missing.
 */
function fixture(): MvccStore {
  const s = new MvccStore();
  s.leaseGrant({ id: 5, ttl: 100 });
  s.put({ key: b('a'), value: b('x') });
  s.put({ key: b('b'), value: b('y'), lease: 5 });
  s.put({ key: b('b'), value: b('z'), lease: 5 });
  s.put({ key: b('c'), value: b('w') });
  s.deleteRange({ key: b('c') });
  return s;
}

describe('txn compare', () => {
  const cmp = (
    key: string,
    target: CompareTarget,
    result: CompareResult,
    operand: number | string,
    rangeEnd?: Uint8Array,
  ): Compare => {
    const c: Compare = { key: b(key), target, result, rangeEnd };
    if (target === VALUE) c.value = b(String(operand));
    else if (target === VERSION) c.version = Number(operand);
    else if (target === CREATE) c.createRevision = Number(operand);
    else if (target === MOD) c.modRevision = Number(operand);
    else c.lease = Number(operand);
    return c;
  };

  it.each<[string, Compare, boolean]>([
    ['version equal', cmp('a', VERSION, EQUAL, 1), true],
    ['version greater', cmp('b', VERSION, GREATER, 1), true],
    ['version less (false)', cmp('b', VERSION, LESS, 2), false],
    ['version not equal', cmp('a', VERSION, NOT_EQUAL, 3), true],
    ['create equal', cmp('b', CREATE, EQUAL, 3), true],
    ['create less', cmp('a', CREATE, LESS, 3), true],
    ['mod equal', cmp('b', MOD, EQUAL, 4), true],
    ['mod greater (false)', cmp('b', MOD, GREATER, 4), false],
    ['value equal', cmp('a', VALUE, EQUAL, 'x'), true],
    ['value greater', cmp('b', VALUE, GREATER, 'y'), true],
    ['value less (false)', cmp('b', VALUE, LESS, 'z'), false],
    ['value not equal', cmp('a', VALUE, NOT_EQUAL, 'q'), true],
    ['lease equal', cmp('b', LEASE, EQUAL, 5), true],
    ['lease equal 0 on a key without lease', cmp('a', LEASE, EQUAL, 0), true],
    // A missing key compares as the zero KeyValue: version/create/mod/lease 0...
    ['missing key: version = 0', cmp('c', VERSION, EQUAL, 0), true],
    ['missing key: create = 0', cmp('nope', CREATE, EQUAL, 0), true],
    ['missing key: mod < 1', cmp('c', MOD, LESS, 1), true],
    ['missing key: lease = 0', cmp('c', LEASE, EQUAL, 0), true],
    ['missing key: version > 0 (false)', cmp('c', VERSION, GREATER, 0), false],
    // ...but a VALUE compare on a missing key is always false, even against the empty value.
    ['missing key: value = "" (false)', cmp('c', VALUE, EQUAL, ''), false],
    ['missing key: value != "x" (false)', cmp('c', VALUE, NOT_EQUAL, 'x'), false],
    // Ranges: every live key in the range must satisfy the compare.
    ['range: all versions > 0', cmp('a', VERSION, GREATER, 0, b('z')), true],
    ['range: all versions = 1 (b has 2)', cmp('a', VERSION, EQUAL, 1, b('z')), false],
    ['range: mod < 5 for a..c', cmp('a', MOD, LESS, 5, b('c')), true],
    ['range from key', cmp('b', LEASE, EQUAL, 5, FROM_KEY), true],
    ['range with no live keys: version = 0', cmp('c', VERSION, EQUAL, 0, b('d')), true],
    ['range with no live keys: value (false)', cmp('c', VALUE, EQUAL, '', b('d')), false],
  ])('%s', (_name, c, expected) => {
    const s = fixture();
    const r = s.txn({ compare: [c], success: [getOp('a')], failure: [] });
    expect(r.response.succeeded).toBe(expected);
    expect(r.response.responses.length).toBe(expected ? 1 : 0);
  });

  it('all compares must hold; the failure branch runs otherwise', () => {
    const s = fixture();
    const r = s.txn({
      compare: [cmp('a', VERSION, EQUAL, 1), cmp('b', VALUE, EQUAL, 'nope')],
      success: [putOp('s', '1')],
      failure: [putOp('f', '1')],
    });
    expect(r.response.succeeded).toBe(false);
    expect(s.range({ key: b('s') }).count).toBe(0);
    expect(s.range({ key: b('f') }).count).toBe(1);
  });
});

describe('txn execution', () => {
  it('runs all ops at one revision with increasing sub-revisions; reads see earlier writes', () => {
    const s = fixture(); // at revision 6
    const r = s.txn({
      compare: [],
      success: [getOp('a'), putOp('a', 'x2'), getOp('a'), delOp('b'), getOp('b'), putOp('n', 'new'), getOp('a', b('z'))],
    });
    expect(r.response.revision).toBe(7);
    expect(s.currentRevision).toBe(7);
    const [r0, r1, r2, r3, r4, r5, r6] = r.response.responses;
    expect(r0 && 'range' in r0 && [r0.range.revision, rows(r0.range.kvs)]).toEqual([6, [['a', 'x', 2, 2, 1, 0]]]);
    expect(r1 && 'put' in r1 && r1.put).toEqual({ revision: 7 });
    expect(r2 && 'range' in r2 && [r2.range.revision, rows(r2.range.kvs)]).toEqual([7, [['a', 'x2', 2, 7, 2, 0]]]);
    expect(r3 && 'deleteRange' in r3 && r3.deleteRange).toEqual({ revision: 7, deleted: 1, prevKvs: [] });
    expect(r4 && 'range' in r4 && r4.range.count).toBe(0);
    expect(r5 && 'put' in r5 && r5.put.revision).toBe(7);
    expect(r6 && 'range' in r6 && rows(r6.range.kvs).map((x) => x[0])).toEqual(['a', 'n']);
    expect(eventRows(r.events)).toEqual([
      ['PUT', 'a', 7, 'x2', 'x'],
      ['DELETE', 'b', 7, '', 'z'],
      ['PUT', 'n', 7, 'new', null],
    ]);
    // Sub-revisions 0, 1, 2 in the persisted revision keys.
    expect(r.persist.map((p) => Buffer.from(p.key).readUInt32BE(13))).toEqual([0, 1, 2]);
    // The lease lost its key through the delete.
    expect(s.leaseLookup(5)?.keys).toEqual([]);
  });

  it('a read-only txn, or one whose writes change nothing, keeps the revision', () => {
    const s = fixture();
    expect(s.txn({ success: [getOp('a')] }).response.revision).toBe(6);
    const r = s.txn({ success: [delOp('missing'), getOp('a')] });
    expect(r.response.revision).toBe(6);
    expect(r.persist).toEqual([]);
    expect(s.currentRevision).toBe(6);
    expect(s.txn({}).response).toEqual({ revision: 6, succeeded: true, responses: [] });
  });

  it('nested txns: compares are evaluated against the state before the outer txn (as etcd)', () => {
    const s = fixture();
    const r = s.txn({
      compare: [{ key: b('a'), target: VERSION, result: EQUAL, version: 1 }],
      success: [
        putOp('a', 'changed'),
        {
          txn: {
            // Sees a's version as 1 although the outer txn already wrote it.
            compare: [{ key: b('a'), target: VERSION, result: EQUAL, version: 1 }],
            success: [putOp('inner', 'then'), getOp('a')],
            failure: [putOp('inner', 'else')],
          },
        },
        { txn: { compare: [{ key: b('zz'), target: VERSION, result: GREATER, version: 0 }], success: [], failure: [putOp('other', 'else')] } },
      ],
      failure: [],
    });
    expect(r.response.succeeded).toBe(true);
    const nested = r.response.responses[1];
    expect(nested && 'txn' in nested && nested.txn.succeeded).toBe(true);
    const inner = nested && 'txn' in nested ? nested.txn.responses[1] : undefined;
    // ...but its ranges see the outer txn's earlier writes.
    expect(inner && 'range' in inner && rows(inner.range.kvs)).toEqual([['a', 'changed', 2, 7, 2, 0]]);
    const other = r.response.responses[2];
    expect(other && 'txn' in other && [other.txn.succeeded, other.txn.revision]).toEqual([false, 7]);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).kvs).map((x) => [x[0], x[1], x[3]])).toEqual([
      ['a', 'changed', 7],
      ['b', 'z', 4],
      ['inner', 'then', 7],
      ['other', 'else', 7],
    ]);
  });

  it.each<[string, TxnRequest, new (...a: never[]) => Error, string]>([
    ['a put with a missing lease', { success: [putOp('p', '1'), putOp('q', '1', 99)] }, LeaseNotFoundError, EtcdMessages.leaseNotFound],
    ['ignore_value on a missing key', { success: [putOp('p', '1'), { put: { key: b('c'), ignoreValue: true } }] }, KeyNotFoundError, EtcdMessages.keyNotFound],
    [
      'a missing lease in a nested txn',
      { success: [putOp('p', '1'), { txn: { success: [putOp('q', '1', 99)] } }] },
      LeaseNotFoundError,
      EtcdMessages.leaseNotFound,
    ],
    ['a range at a future revision', { success: [putOp('p', '1'), { range: { key: b('a'), revision: 7 } }] }, FutureRevisionError, EtcdMessages.futureRev],
  ])('%s aborts the whole txn with no change', (_name, req, cls, message) => {
    const s = fixture();
    const before = s.hashKV();
    expect(() => s.txn(req)).toThrow(cls);
    expect(() => s.txn(req)).toThrow(message);
    expect(s.hashKV()).toEqual(before);
    expect(s.currentRevision).toBe(6);
    expect(s.range({ key: b('p') }).count).toBe(0);
  });

  it('a range at a compacted revision aborts the txn; an op on the branch not taken does not', () => {
    const s = fixture();
    s.compact(5);
    expect(() => s.txn({ success: [putOp('p', '1'), { range: { key: b('a'), revision: 3 } }] })).toThrow(CompactedError);
    const r = s.txn({
      compare: [{ key: b('a'), target: VERSION, result: EQUAL, version: 1 }],
      success: [putOp('p', '1')],
      failure: [putOp('q', '1', 99)],
    });
    expect(r.response.succeeded).toBe(true);
  });

  it('a delete range inside a txn returns prevKvs and detaches leases', () => {
    const s = fixture();
    const r = s.txn({ success: [{ deleteRange: { key: b('a'), rangeEnd: FROM_KEY, prevKv: true } }] });
    const d = r.response.responses[0];
    expect(d && 'deleteRange' in d && [d.deleteRange.deleted, d.deleteRange.prevKvs.map((kv) => str(kv.key))]).toEqual([2, ['a', 'b']]);
    expect(s.leaseLookup(5)?.keys).toEqual([]);
  });
});

describe('txn validation', () => {
  const ops = (n: number, prefix = 'k'): RequestOp[] => Array.from({ length: n }, (_, i) => putOp(`${prefix}${i}`, 'v'));

  it.each<[string, TxnRequest, (new (...a: never[]) => Error) | null]>([
    ['128 ops is fine', { success: ops(DEFAULT_MAX_TXN_OPS) }, null],
    ['129 success ops', { success: ops(129) }, TooManyOpsError],
    ['129 failure ops', { failure: ops(129) }, TooManyOpsError],
    [
      '129 compares',
      { compare: Array.from({ length: 129 }, () => ({ key: b('a'), target: VERSION, result: EQUAL })) as Compare[] },
      TooManyOpsError,
    ],
    ['nested txn gets what its parent leaves (128 - 101)', { success: [...ops(100), { txn: { success: ops(28, 'n') } }] }, TooManyOpsError],
    ['nested txn within budget', { success: [...ops(100), { txn: { success: ops(27, 'n') } }] }, null],
    ['two puts on one key', { success: [putOp('a', '1'), putOp('a', '2')] }, DuplicateKeyError],
    ['put and delete of one key', { success: [putOp('a', '1'), delOp('a')] }, DuplicateKeyError],
    ['delete then put of one key', { success: [delOp('a'), putOp('a', '1')] }, DuplicateKeyError],
    ['put inside a deleted range', { success: [delOp('a', b('c')), putOp('b', '1')] }, DuplicateKeyError],
    ['put inside a from-key delete', { success: [delOp('a', FROM_KEY), putOp('zz', '1')] }, DuplicateKeyError],
    ['put just outside a deleted range', { success: [delOp('a', b('c')), putOp('c', '1')] }, null],
    ['overlapping deletes are fine', { success: [delOp('a', b('c')), delOp('b', b('d')), delOp('b')] }, null],
    ['same key in success and failure is fine', { success: [putOp('a', '1')], failure: [putOp('a', '2')] }, null],
    ['nested then/else may share keys', { success: [{ txn: { success: [putOp('a', '1')], failure: [putOp('a', '2')] } }] }, null],
    ['nested put vs outer put', { success: [putOp('a', '1'), { txn: { success: [putOp('a', '2')] } }] }, DuplicateKeyError],
    ['nested else put vs outer delete', { success: [delOp('a', b('b')), { txn: { failure: [putOp('a1', '2')] } }] }, DuplicateKeyError],
    [
      'put in one nested txn, delete in a later one',
      { success: [{ txn: { success: [putOp('a', '1')] } }, { txn: { success: [delOp('a')] } }] },
      DuplicateKeyError,
    ],
    ['duplicate inside a nested branch', { success: [{ txn: { failure: [putOp('a', '1'), putOp('a', '1')] } }] }, DuplicateKeyError],
    ['empty key in a compare', { compare: [{ key: b(''), target: VERSION, result: EQUAL }] }, EmptyKeyError],
    ['empty key in a put', { success: [putOp('', '1')] }, EmptyKeyError],
    ['empty RequestOp', { success: [{} as RequestOp] }, EmptyRequestOpError],
  ])('%s', (_name, req, cls) => {
    if (cls === null) {
      expect(() => validateTxn(req)).not.toThrow();
    } else {
      expect(() => validateTxn(req)).toThrow(cls);
    }
  });

  it('uses etcd messages', () => {
    expect(() => validateTxn({ success: ops(129) })).toThrow('etcdserver: too many operations in txn request');
    expect(() => validateTxn({ success: [putOp('a', '1'), putOp('a', '2')] })).toThrow('etcdserver: duplicate key given in txn request');
  });

  it('the state machine re-checks duplicates (but not the op count, a server flag) when applying', () => {
    const s = new MvccStore();
    expect(() => s.txn({ success: [putOp('a', '1'), putOp('a', '2')] })).toThrow(DuplicateKeyError);
    expect(s.currentRevision).toBe(1);
    expect(s.txn({ success: ops(300) }).response.revision).toBe(2);
  });
});
