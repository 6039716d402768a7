import { MvccStore } from './store';
import { SortOrder, SortTarget, type RangeRequest } from './types';
import {
  CompactedError,
  EmptyKeyError,
  EtcdMessages,
  FutureRevisionError,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  MvccApplyError,
  MvccValidationError,
  ValueProvidedError,
} from './errors';
import { validatePut, validateRange, validateDeleteRange } from './validate';
import { FROM_KEY, b, eventRows, prefixEnd, row, rows, str } from './test-helpers';

function put(s: MvccStore, key: string, value: string, lease = 0) {
  return s.put({ key: b(key), value: b(value), lease });
}

describe('revisions, versions and createRevision', () => {
  it('follow etcd over put, put, delete, put', () => {
    const s = new MvccStore();
    expect(s.currentRevision).toBe(1); // a fresh etcd is at revision 1

    expect(put(s, 'foo', 'a').response.revision).toBe(2);
    expect(row(s.range({ key: b('foo') }).kvs[0])).toEqual(['foo', 'a', 2, 2, 1, 0]);

    expect(put(s, 'foo', 'b').response.revision).toBe(3);
    expect(row(s.range({ key: b('foo') }).kvs[0])).toEqual(['foo', 'b', 2, 3, 2, 0]);

    const del = s.deleteRange({ key: b('foo') });
    expect(del.response).toEqual({ revision: 4, deleted: 1, prevKvs: [] });
    expect(s.range({ key: b('foo') })).toEqual({ revision: 4, kvs: [], more: false, count: 0 });

    expect(put(s, 'foo', 'c').response.revision).toBe(5);
    expect(row(s.range({ key: b('foo') }).kvs[0])).toEqual(['foo', 'c', 5, 5, 1, 0]); // a new generation
    expect(s.currentRevision).toBe(5);
  });

  it('reads every historical revision as it was', () => {
    const s = new MvccStore();
    put(s, 'foo', 'a'); // 2
    put(s, 'bar', 'x'); // 3
    put(s, 'foo', 'b'); // 4
    s.deleteRange({ key: b('bar') }); // 5
    put(s, 'bar', 'y'); // 6
    const at = (rev: number) => rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: rev }).kvs);
    expect(at(1)).toEqual([]);
    expect(at(2)).toEqual([['foo', 'a', 2, 2, 1, 0]]);
    expect(at(3)).toEqual([
      ['bar', 'x', 3, 3, 1, 0],
      ['foo', 'a', 2, 2, 1, 0],
    ]);
    expect(at(4)).toEqual([
      ['bar', 'x', 3, 3, 1, 0],
      ['foo', 'b', 2, 4, 2, 0],
    ]);
    expect(at(5)).toEqual([['foo', 'b', 2, 4, 2, 0]]);
    expect(at(6)).toEqual([
      ['bar', 'y', 6, 6, 1, 0],
      ['foo', 'b', 2, 4, 2, 0],
    ]);
    // The header revision is the store's, not the requested one.
    expect(s.range({ key: b('foo'), revision: 2 }).revision).toBe(6);
  });

  it('a delete matching nothing does not bump the revision; a put always does', () => {
    const s = new MvccStore();
    put(s, 'a', '1');
    const r = s.deleteRange({ key: b('zzz') });
    expect(r.response).toEqual({ revision: 2, deleted: 0, prevKvs: [] });
    expect(r.events).toEqual([]);
    expect(r.persist).toEqual([]);
    expect(s.currentRevision).toBe(2);
    expect(put(s, 'a', '1').response.revision).toBe(3); // same value: still a new revision
  });

  it('rejects a future revision and a compacted one with etcd messages; the compact revision itself is readable', () => {
    const s = new MvccStore();
    for (let i = 0; i < 5; i++) put(s, 'k', `v${i}`); // revisions 2..6
    expect(() => s.range({ key: b('k'), revision: 7 })).toThrow(FutureRevisionError);
    expect(() => s.range({ key: b('k'), revision: 7 })).toThrow(EtcdMessages.futureRev);
    s.compact(4);
    expect(() => s.range({ key: b('k'), revision: 3 })).toThrow(CompactedError);
    expect(() => s.range({ key: b('k'), revision: 3 })).toThrow('etcdserver: mvcc: required revision has been compacted');
    expect(rows(s.range({ key: b('k'), revision: 4 }).kvs)).toEqual([['k', 'v2', 2, 4, 3, 0]]);
    expect(rows(s.range({ key: b('k'), revision: 0 }).kvs)).toEqual([['k', 'v4', 2, 6, 5, 0]]);
    expect(rows(s.range({ key: b('k'), revision: -3 }).kvs)).toEqual([['k', 'v4', 2, 6, 5, 0]]);
  });
});

describe('range shapes', () => {
  const s = new MvccStore();
  for (const k of ['a', 'ab', 'abc', 'abd', 'b', 'b\xff', 'b\xff\xff', 'c', '\x01']) put(s, k, `v-${k}`);
  const keys = (req: Partial<RangeRequest> & { key: Uint8Array }) => s.range(req).kvs.map((kv) => str(kv.key));

  it.each<[string, Partial<RangeRequest> & { key: Uint8Array }, string[]]>([
    ['single key', { key: b('ab') }, ['ab']],
    ['missing single key', { key: b('zz') }, []],
    ['half-open range', { key: b('ab'), rangeEnd: b('b') }, ['ab', 'abc', 'abd']],
    ['prefix', { key: b('ab'), rangeEnd: prefixEnd('ab') }, ['ab', 'abc', 'abd']],
    ['prefix ending in 0xff', { key: b('b\xff'), rangeEnd: prefixEnd('b\xff') }, ['b\xff', 'b\xff\xff']],
    ['from key', { key: b('b'), rangeEnd: FROM_KEY }, ['b', 'b\xff', 'b\xff\xff', 'c']],
    ['all keys', { key: FROM_KEY, rangeEnd: FROM_KEY }, ['\x01', 'a', 'ab', 'abc', 'abd', 'b', 'b\xff', 'b\xff\xff', 'c']],
    ['inverted range', { key: b('c'), rangeEnd: b('a') }, []],
    ['empty range', { key: b('a'), rangeEnd: b('a') }, []],
  ])('%s', (_name, req, expected) => {
    expect(keys(req)).toEqual(expected);
  });

  it('keysOnly drops values, countOnly returns only the count', () => {
    const r = s.range({ key: b('a'), rangeEnd: b('b'), keysOnly: true });
    expect(r.kvs.map((kv) => [str(kv.key), kv.value.length, kv.version])).toEqual([
      ['a', 0, 1],
      ['ab', 0, 1],
      ['abc', 0, 1],
      ['abd', 0, 1],
    ]);
    expect(s.range({ key: b('a'), rangeEnd: b('b'), countOnly: true, limit: 1 })).toEqual({
      revision: s.currentRevision,
      kvs: [],
      more: false,
      count: 4,
    });
  });
});

describe('sort, limit, more and count', () => {
  // Keys and their (version, createRevision, modRevision, value) after the setup below.
  const s = new MvccStore();
  put(s, 'k1', 'c'); // 2
  put(s, 'k2', 'a'); // 3
  put(s, 'k3', 'b'); // 4
  put(s, 'k1', 'c'); // 5: k1 version 2
  put(s, 'k4', 'a'); // 6
  put(s, 'k1', 'c'); // 7: k1 version 3
  put(s, 'k3', 'd'); // 8: k3 version 2
  // k1: v3 c2 m7 'c'; k2: v1 c3 m3 'a'; k3: v2 c4 m8 'd'; k4: v1 c6 m6 'a'
  const all = { key: b('k'), rangeEnd: b('l') };
  const q = (extra: Partial<RangeRequest>) => {
    const r = s.range({ ...all, ...extra });
    return { keys: r.kvs.map((kv) => str(kv.key)).join(','), more: r.more, count: r.count };
  };

  it.each<[string, Partial<RangeRequest>, string, boolean, number]>([
    ['no sort', {}, 'k1,k2,k3,k4', false, 4],
    ['limit 2', { limit: 2 }, 'k1,k2', true, 4],
    ['limit = count', { limit: 4 }, 'k1,k2,k3,k4', false, 4],
    ['limit > count', { limit: 10 }, 'k1,k2,k3,k4', false, 4],
    ['key descend', { sortOrder: SortOrder.DESCEND }, 'k4,k3,k2,k1', false, 4],
    ['key descend limit 1', { sortOrder: SortOrder.DESCEND, limit: 1 }, 'k4', true, 4],
    ['key ascend limit 3', { sortOrder: SortOrder.ASCEND, limit: 3 }, 'k1,k2,k3', true, 4],
    ['version ascend (ties in key order)', { sortOrder: SortOrder.ASCEND, sortTarget: SortTarget.VERSION }, 'k2,k4,k3,k1', false, 4],
    ['version descend', { sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.VERSION }, 'k1,k3,k2,k4', false, 4],
    ['create ascend', { sortOrder: SortOrder.ASCEND, sortTarget: SortTarget.CREATE }, 'k1,k2,k3,k4', false, 4],
    ['create descend limit 2', { sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.CREATE, limit: 2 }, 'k4,k3', true, 4],
    ['mod ascend', { sortOrder: SortOrder.ASCEND, sortTarget: SortTarget.MOD }, 'k2,k4,k1,k3', false, 4],
    ['mod descend limit 1', { sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.MOD, limit: 1 }, 'k3', true, 4],
    ['value ascend', { sortOrder: SortOrder.ASCEND, sortTarget: SortTarget.VALUE }, 'k2,k4,k1,k3', false, 4],
    ['value descend', { sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.VALUE }, 'k3,k1,k2,k4', false, 4],
    ['value ascend with keysOnly (sorts before dropping values)', { sortOrder: SortOrder.ASCEND, sortTarget: SortTarget.VALUE, keysOnly: true }, 'k2,k4,k1,k3', false, 4],
    // etcd: target other than KEY with order NONE sorts ascending, but only after fetching
    // limit+1 keys in key order (order NONE keeps the limit on the fetch).
    ['mod, order NONE', { sortTarget: SortTarget.MOD }, 'k2,k4,k1,k3', false, 4],
    ['mod, order NONE, limit 2: sorts only the first 3 keys', { sortTarget: SortTarget.MOD, limit: 2 }, 'k2,k1', true, 4],
    ['mod, ASCEND, limit 2: sorts everything', { sortTarget: SortTarget.MOD, sortOrder: SortOrder.ASCEND, limit: 2 }, 'k2,k4', true, 4],
    // min/max filters prune after counting: count stays 4.
    ['maxModRevision', { maxModRevision: 6 }, 'k2,k4', false, 4],
    ['minModRevision', { minModRevision: 7 }, 'k1,k3', false, 4],
    ['minCreateRevision', { minCreateRevision: 4 }, 'k3,k4', false, 4],
    ['maxCreateRevision', { maxCreateRevision: 3 }, 'k1,k2', false, 4],
    ['min+max mod with limit 1', { minModRevision: 4, maxModRevision: 8, limit: 1 }, 'k1', true, 4],
    ['filter leaving exactly limit', { minModRevision: 7, limit: 2 }, 'k1,k3', false, 4],
    ['negative limit = no limit', { limit: -1 }, 'k1,k2,k3,k4', false, 4],
  ])('%s', (_name, extra, keys, more, count) => {
    expect(q(extra)).toEqual({ keys, more, count });
  });

  it('sort and limit work at a historical revision', () => {
    const r = s.range({ ...all, revision: 5, sortOrder: SortOrder.DESCEND, sortTarget: SortTarget.VERSION, limit: 1 });
    expect(rows(r.kvs)).toEqual([['k1', 'c', 2, 5, 2, 0]]);
    expect([r.more, r.count]).toEqual([true, 3]);
  });
});

describe('put options', () => {
  it('prevKv returns the previous value, absent for a new key', () => {
    const s = new MvccStore();
    expect(s.put({ key: b('k'), value: b('1'), prevKv: true }).response).toEqual({ revision: 2 });
    const r = s.put({ key: b('k'), value: b('2'), prevKv: true });
    expect(r.response.revision).toBe(3);
    expect(row(r.response.prevKv)).toEqual(['k', '1', 2, 2, 1, 0]);
    expect(s.put({ key: b('k'), value: b('3') }).response.prevKv).toBeUndefined();
  });

  it('ignoreValue keeps the value, ignoreLease keeps the lease', () => {
    const s = new MvccStore();
    s.leaseGrant({ id: 7, ttl: 60 });
    s.put({ key: b('k'), value: b('v'), lease: 7 });
    s.put({ key: b('k'), ignoreValue: true, lease: 0 });
    expect(row(s.range({ key: b('k') }).kvs[0])).toEqual(['k', 'v', 2, 3, 2, 0]);
    expect(s.leaseLookup(7)?.keys).toEqual([]);
    s.put({ key: b('k'), value: b('w'), lease: 7 });
    s.put({ key: b('k'), value: b('x'), ignoreLease: true });
    expect(row(s.range({ key: b('k') }).kvs[0])).toEqual(['k', 'x', 2, 5, 4, 7]);
    expect(s.leaseLookup(7)?.keys.map(str)).toEqual(['k']);
  });

  it.each<[string, () => void, new (...a: never[]) => Error, string]>([
    ['ignoreValue on a missing key', () => new MvccStore().put({ key: b('k'), ignoreValue: true }), KeyNotFoundError, EtcdMessages.keyNotFound],
    ['ignoreLease on a missing key', () => new MvccStore().put({ key: b('k'), value: b('v'), ignoreLease: true }), KeyNotFoundError, 'etcdserver: key not found'],
    ['lease not found', () => new MvccStore().put({ key: b('k'), value: b('v'), lease: 42 }), LeaseNotFoundError, 'etcdserver: requested lease not found'],
    ['ignoreValue with a value', () => new MvccStore().put({ key: b('k'), value: b('v'), ignoreValue: true }), ValueProvidedError, 'etcdserver: value is provided'],
    ['ignoreLease with a lease', () => new MvccStore().put({ key: b('k'), lease: 5, ignoreLease: true }), LeaseProvidedError, 'etcdserver: lease is provided'],
    ['empty key', () => new MvccStore().put({ key: b(''), value: b('v') }), EmptyKeyError, 'etcdserver: key is not provided'],
  ])('%s is refused and changes nothing', (_name, f, cls, message) => {
    expect(f).toThrow(cls);
    expect(f).toThrow(message);
  });

  it('a refused put leaves the state untouched', () => {
    const s = new MvccStore();
    put(s, 'k', 'v');
    const before = s.hashKV();
    expect(() => s.put({ key: b('k'), value: b('w'), lease: 9 })).toThrow(LeaseNotFoundError);
    expect(() => s.put({ key: b('other'), ignoreValue: true })).toThrow(KeyNotFoundError);
    expect(s.hashKV()).toEqual(before);
    expect(s.currentRevision).toBe(2);
  });

  it('copies request bytes, so a caller reusing its buffers cannot change stored data', () => {
    const s = new MvccStore();
    const key = b('k');
    const value = b('v1');
    s.put({ key, value });
    key[0] = 'x'.charCodeAt(0);
    value[1] = '9'.charCodeAt(0);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).kvs)).toEqual([['k', 'v1', 2, 2, 1, 0]]);
  });

  it('does not keep Node Buffer views into a larger message', () => {
    const s = new MvccStore();
    const message = Buffer.from('..key=value..');
    s.put({ key: message.subarray(2, 5), value: message.subarray(6, 11) });
    message.fill(0);
    const kv = s.range({ key: b('key') }).kvs[0];
    expect(row(kv)).toEqual(['key', 'value', 2, 2, 1, 0]);
    expect(kv?.value.buffer.byteLength).toBe(5);
  });
});

describe('delete range', () => {
  it('deletes every live key in the range at one revision, with prevKvs and events', () => {
    const s = new MvccStore();
    put(s, 'a', '1'); // 2
    put(s, 'b', '2'); // 3
    put(s, 'c', '3'); // 4
    s.deleteRange({ key: b('b') }); // 5
    const r = s.deleteRange({ key: b('a'), rangeEnd: FROM_KEY, prevKv: true });
    expect(r.response.revision).toBe(6);
    expect(r.response.deleted).toBe(2);
    expect(rows(r.response.prevKvs)).toEqual([
      ['a', '1', 2, 2, 1, 0],
      ['c', '3', 4, 4, 1, 0],
    ]);
    expect(eventRows(r.events)).toEqual([
      ['DELETE', 'a', 6, '', '1'],
      ['DELETE', 'c', 6, '', '3'],
    ]);
    // A delete event's kv carries only the key and the delete revision.
    expect(r.events[0]?.kv).toEqual({ key: b('a'), createRevision: 0, modRevision: 6, version: 0, value: new Uint8Array(0), lease: 0 });
    expect(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).count).toBe(0);
  });

  it('returns put events with prevKv and persist ops for every change', () => {
    const s = new MvccStore();
    const r1 = put(s, 'a', '1');
    expect(eventRows(r1.events)).toEqual([['PUT', 'a', 2, '1', null]]);
    expect(r1.persist.map((p) => p.type)).toEqual(['put']);
    const r2 = put(s, 'a', '2');
    expect(eventRows(r2.events)).toEqual([['PUT', 'a', 3, '2', '1']]);
    expect(row(r2.events[0]?.kv)).toEqual(['a', '2', 2, 3, 2, 0]);
  });
});

describe('apply', () => {
  it('dispatches every request kind and wraps the response under the same name', () => {
    const s = new MvccStore();
    expect(s.apply({ leaseGrant: { id: 1, ttl: 5 } }).response).toEqual({ leaseGrant: { revision: 1, id: 1, ttl: 5 } });
    expect(s.apply({ put: { key: b('k'), value: b('v'), lease: 1 } }).response).toEqual({ put: { revision: 2 } });
    expect(s.apply({ range: { key: b('k'), countOnly: true } }).response).toEqual({ range: { revision: 2, kvs: [], more: false, count: 1 } });
    expect(s.apply({ txn: {} }).response).toEqual({ txn: { revision: 2, succeeded: true, responses: [] } });
    expect(s.apply({ leaseCheckpoint: { checkpoints: [{ id: 1, remainingTtl: 3 }] } }).response).toEqual({ leaseCheckpoint: { revision: 2 } });
    expect(s.apply({ leaseRevoke: { id: 1 } }).response).toEqual({ leaseRevoke: { revision: 3 } });
    expect(s.apply({ deleteRange: { key: b('k') } }).response).toEqual({ deleteRange: { revision: 3, deleted: 0, prevKvs: [] } });
    expect(s.apply({ compaction: { revision: 3 } }).response).toEqual({ compaction: { revision: 3 } });
    expect(() => s.apply({} as never)).toThrow(MvccValidationError);
  });
});

describe('validation (the gRPC layer runs these before proposing)', () => {
  it.each<[string, () => void, string]>([
    ['range with empty key', () => validateRange({ key: b('') }), EtcdMessages.emptyKey],
    ['delete with empty key', () => validateDeleteRange({ key: b('') }), EtcdMessages.emptyKey],
    ['put with ignore_value and a value', () => validatePut({ key: b('k'), value: b('v'), ignoreValue: true }), EtcdMessages.valueProvided],
    ['put with ignore_lease and a lease', () => validatePut({ key: b('k'), lease: 3, ignoreLease: true }), EtcdMessages.leaseProvided],
  ])('%s', (_name, f, message) => {
    expect(f).toThrow(MvccValidationError);
    expect(f).toThrow(message);
  });

  it('validation and apply errors are distinct families', () => {
    const s = new MvccStore();
    const apply = (() => {
      try {
        s.range({ key: b('k'), revision: 99 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(apply).toBeInstanceOf(MvccApplyError);
    expect(apply).not.toBeInstanceOf(MvccValidationError);
    expect((apply as MvccApplyError).phase).toBe('apply');
    expect(() => validatePut({ key: b('') })).toThrow(expect.objectContaining({ phase: 'validation' }));
  });

  it('accepts well-formed requests', () => {
    expect(() => validatePut({ key: b('k'), ignoreValue: true, ignoreLease: true })).not.toThrow();
    expect(() => validateRange({ key: FROM_KEY, rangeEnd: FROM_KEY })).not.toThrow();
  });
});
