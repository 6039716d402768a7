import { MvccStore } from './store';
import {
  EtcdMessages,
  InvalidFieldError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseTTLTooLargeError,
  MvccValidationError,
} from './errors';
import { MAX_LEASE_TTL } from './validate';
import { FROM_KEY, FakeDb, b, eventRows, rows, str } from './test-helpers';

const keysOf = (s: MvccStore, id: number) => s.leaseLookup(id)?.keys.map(str);

describe('lease grant', () => {
  it('creates a lease without bumping the revision, and persists it', () => {
    const s = new MvccStore();
    const r = s.leaseGrant({ id: 10, ttl: 30 });
    expect(r.response).toEqual({ revision: 1, id: 10, ttl: 30 });
    expect(r.events).toEqual([]);
    expect(r.persist.length).toBe(1);
    expect(s.leaseLookup(10)).toEqual({ id: 10, ttl: 30, keys: [] });
    expect(s.leaseLookup(11)).toBeUndefined();
  });

  it.each<[string, (s: MvccStore) => unknown, new (...a: never[]) => Error, string]>([
    ['an existing id', (s) => s.leaseGrant({ id: 1, ttl: 5 }), LeaseExistsError, EtcdMessages.leaseExist],
    ['a TTL above etcd’s maximum', (s) => s.leaseGrant({ id: 2, ttl: MAX_LEASE_TTL + 1 }), LeaseTTLTooLargeError, EtcdMessages.leaseTTLTooLarge],
    ['id 0', (s) => s.leaseGrant({ id: 0, ttl: 5 }), InvalidFieldError, 'invalid lease id'],
    ['a negative id', (s) => s.leaseGrant({ id: -3, ttl: 5 }), InvalidFieldError, 'invalid lease id'],
    ['an id beyond 2^53', (s) => s.leaseGrant({ id: 2 ** 53, ttl: 5 }), InvalidFieldError, 'invalid lease id'],
    ['a fractional TTL', (s) => s.leaseGrant({ id: 2, ttl: 1.5 }), InvalidFieldError, 'invalid lease TTL'],
    ['a negative TTL', (s) => s.leaseGrant({ id: 2, ttl: -1 }), InvalidFieldError, 'invalid lease TTL'],
  ])('refuses %s', (_name, f, cls, message) => {
    const s = new MvccStore();
    s.leaseGrant({ id: 1, ttl: 5 });
    expect(() => f(s)).toThrow(cls);
    expect(() => f(s)).toThrow(message);
    expect(s.leaseList()).toEqual([{ id: 1, ttl: 5 }]);
  });

  it('bad ids are validation errors', () => {
    expect(() => new MvccStore().leaseGrant({ id: 0, ttl: 5 })).toThrow(MvccValidationError);
  });
});

describe('attached keys', () => {
  it('a put attaches, a put with another or no lease detaches, a delete detaches', () => {
    const s = new MvccStore();
    s.leaseGrant({ id: 1, ttl: 60 });
    s.leaseGrant({ id: 2, ttl: 60 });
    s.put({ key: b('x'), value: b('1'), lease: 1 });
    s.put({ key: b('y'), value: b('1'), lease: 1 });
    s.put({ key: b('z'), value: b('1'), lease: 2 });
    expect([keysOf(s, 1), keysOf(s, 2)]).toEqual([['x', 'y'], ['z']]);

    s.put({ key: b('x'), value: b('2'), lease: 2 }); // moves to lease 2
    expect([keysOf(s, 1), keysOf(s, 2)]).toEqual([['y'], ['x', 'z']]);
    s.put({ key: b('y'), value: b('2') }); // no lease
    expect(keysOf(s, 1)).toEqual([]);
    s.deleteRange({ key: b('z') });
    expect(keysOf(s, 2)).toEqual(['x']);
    expect(rows(s.range({ key: b('x') }).kvs)).toEqual([['x', '2', 2, 5, 2, 2]]);
  });

  it('revoke deletes every attached key at one revision, in key order, with delete events', () => {
    const db = new FakeDb();
    const s = new MvccStore();
    db.write(s.leaseGrant({ id: 7, ttl: 60 }).persist);
    for (const k of ['m', 'c', 'x', 'a']) db.write(s.put({ key: b(k), value: b(`v${k}`), lease: 7 }).persist);
    db.write(s.put({ key: b('keep'), value: b('k') }).persist);
    const r = s.leaseRevoke({ id: 7 });
    db.write(r.persist);
    expect(r.response).toEqual({ revision: 7 });
    expect(eventRows(r.events)).toEqual([
      ['DELETE', 'a', 7, '', 'va'],
      ['DELETE', 'c', 7, '', 'vc'],
      ['DELETE', 'm', 7, '', 'vm'],
      ['DELETE', 'x', 7, '', 'vx'],
    ]);
    expect(rows(s.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).kvs).map((x) => x[0])).toEqual(['keep']);
    expect(s.leaseLookup(7)).toBeUndefined();
    expect(s.leaseList()).toEqual([]);
    expect(MvccStore.load(db.records()).hashKV()).toEqual(s.hashKV());
    expect(MvccStore.load(db.records()).leaseList()).toEqual([]);
  });

  it('revoking a lease without keys does not bump the revision', () => {
    const s = new MvccStore();
    s.leaseGrant({ id: 3, ttl: 60 });
    s.put({ key: b('k'), value: b('v') });
    const r = s.leaseRevoke({ id: 3 });
    expect(r.response.revision).toBe(2);
    expect(r.events).toEqual([]);
    expect(s.currentRevision).toBe(2);
  });

  it('revoking an unknown lease fails with etcd’s message and changes nothing', () => {
    const s = new MvccStore();
    expect(() => s.leaseRevoke({ id: 9 })).toThrow(LeaseNotFoundError);
    expect(() => s.leaseRevoke({ id: 9 })).toThrow('etcdserver: requested lease not found');
  });

  it('a key put again with ignoreLease keeps its lease through a revoke', () => {
    const s = new MvccStore();
    s.leaseGrant({ id: 4, ttl: 60 });
    s.put({ key: b('k'), value: b('1'), lease: 4 });
    s.put({ key: b('k'), value: b('2'), ignoreLease: true });
    s.leaseRevoke({ id: 4 });
    expect(s.range({ key: b('k') }).count).toBe(0);
  });
});

describe('lease list, lookup and checkpoints', () => {
  it('lists by id and keeps checkpointed remaining TTLs across load', () => {
    const db = new FakeDb();
    const s = new MvccStore();
    for (const id of [30, 10, 20]) db.write(s.leaseGrant({ id, ttl: id * 2 }).persist);
    const c = s.leaseCheckpoint({
      checkpoints: [
        { id: 20, remainingTtl: 15 },
        { id: 99, remainingTtl: 1 }, // unknown: ignored
      ],
    });
    db.write(c.persist);
    expect(c.persist.length).toBe(1);
    expect(s.leaseList()).toEqual([
      { id: 10, ttl: 20 },
      { id: 20, ttl: 40, remainingTtl: 15 },
      { id: 30, ttl: 60 },
    ]);
    expect(s.leaseLookup(20)).toEqual({ id: 20, ttl: 40, remainingTtl: 15, keys: [] });
    const loaded = MvccStore.load(db.records());
    expect(loaded.leaseList()).toEqual(s.leaseList());
    expect(() => s.leaseCheckpoint({ checkpoints: [{ id: 10, remainingTtl: -1 }] })).toThrow(InvalidFieldError);
  });

  it('lookup lists attached keys bytewise', () => {
    const s = new MvccStore();
    s.leaseGrant({ id: 1, ttl: 5 });
    for (const k of ['b', 'a\xff', 'a', '\x01']) s.put({ key: b(k), value: b(''), lease: 1 });
    expect(keysOf(s, 1)).toEqual(['\x01', 'a', 'a\xff', 'b']);
  });
});
