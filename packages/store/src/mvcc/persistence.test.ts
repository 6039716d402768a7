import { DataLossError, SeededRng } from '@mk/shared';
import { MvccStore } from './store';
import { MvccCorruptDataError, MvccError } from './errors';
import { encodeRecord, encodeSnapshot, leaseKey, revisionKey } from './codec';
import { EventType, type MvccEvent, type MvccRequest } from './types';
import { FROM_KEY, FakeDb, b, fingerprint, rows, str } from './test-helpers';
import { Model, nextRequest } from './workload';

/** Generates `n` requests, driving a reference model to pick sensible ones; returns model checkpoints too. */
function workload(seed: number, n: number) {
  const rng = new SeededRng(seed);
  const model = new Model();
  const leaseIds = { n: 1 };
  const reqs: MvccRequest[] = [];
  const verdicts: boolean[] = [];
  const checkpoints = new Map<number, ReturnType<Model['rows']>>(); // op index -> model rows after it
  const historical = new Map<number, ReturnType<Model['rows']>>(); // revision -> model rows
  for (let i = 0; i < n; i++) {
    const req = nextRequest(rng, model, leaseIds);
    reqs.push(req);
    verdicts.push(model.apply(req));
    if (i % 250 === 249) {
      checkpoints.set(i, model.rows());
      historical.set(model.rev, model.rows());
    }
  }
  return { reqs, verdicts, checkpoints, historical, model };
}

interface Run {
  store: MvccStore;
  db: FakeDb;
  events: MvccEvent[];
  refused: number;
}

function run(reqs: readonly MvccRequest[], from = 0, to = reqs.length, prior?: Run, onStep?: (i: number, r: Run) => void): Run {
  const r: Run = prior ?? { store: new MvccStore(), db: new FakeDb(), events: [], refused: 0 };
  for (let i = from; i < to; i++) {
    try {
      const res = r.store.apply(reqs[i] as MvccRequest);
      r.db.write(res.persist);
      r.events.push(...res.events);
    } catch (e) {
      if (!(e instanceof MvccError)) throw e;
      r.refused++;
    }
    onStep?.(i, r);
  }
  return r;
}

const SEED = 20240611;
const N = 10_000;

describe('seeded random workload (10k requests)', () => {
  const w = workload(SEED, N);
  let a: Run;

  it('agrees with the reference model on every verdict, and on the state at checkpoints', () => {
    const verdictMismatches: number[] = [];
    let hashChecks = 0;
    a = run(w.reqs, 0, N, undefined, (i, r) => {
      const cp = w.checkpoints.get(i);
      if (cp !== undefined) expect(rows(r.store.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).kvs)).toEqual(cp);
    });
    // Re-run, checking each verdict and that a refused request changed nothing.
    const again: Run = { store: new MvccStore(), db: new FakeDb(), events: [], refused: 0 };
    for (let i = 0; i < N; i++) {
      const before = again.store.currentRevision;
      let ok = true;
      const hash = i % 7 === 0 ? again.store.hashKV().hash : undefined;
      try {
        again.store.apply(w.reqs[i] as MvccRequest);
      } catch (e) {
        if (!(e instanceof MvccError)) throw e;
        ok = false;
        expect(again.store.currentRevision).toBe(before);
        if (hash !== undefined) {
          expect(again.store.hashKV().hash).toBe(hash);
          hashChecks++;
        }
      }
      if (ok !== w.verdicts[i]) verdictMismatches.push(i);
    }
    expect(verdictMismatches).toEqual([]);
    expect(hashChecks).toBeGreaterThan(10);
    // The workload exercises both paths.
    expect(a.refused).toBeGreaterThan(100);
    expect(N - a.refused).toBeGreaterThan(5000);
    expect(a.store.currentRevision).toBe(w.model.rev);
    expect(a.store.compactRevision).toBe(w.model.compact);
    expect(a.store.compactRevision).toBeGreaterThan(1);
  });

  it('reads the model’s state at historical revisions still kept', () => {
    let checked = 0;
    for (const [rev, expected] of w.historical) {
      if (rev < a.store.compactRevision) continue;
      expect(rows(a.store.range({ key: FROM_KEY, rangeEnd: FROM_KEY, revision: rev }).kvs)).toEqual(expected);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('keeps lease attachments consistent with the keys’ lease fields', () => {
    const all = a.store.range({ key: FROM_KEY, rangeEnd: FROM_KEY }).kvs;
    for (const l of a.store.leaseList()) {
      const attached = (a.store.leaseLookup(l.id)?.keys ?? []).map(str);
      expect(attached).toEqual(all.filter((kv) => kv.lease === l.id).map((kv) => str(kv.key)));
    }
    expect([...w.model.leases.keys()].sort((x, y) => x - y)).toEqual(a.store.leaseList().map((l) => l.id));
  });

  it('history since the compact revision equals the events the writes returned', () => {
    const c = a.store.compactRevision;
    const strip = (e: MvccEvent) => [e.type, str(e.kv.key), e.kv.modRevision, e.kv.version, str(e.kv.value)];
    const fromHistory = a.store.eventsSince(c, FROM_KEY, FROM_KEY);
    expect(fromHistory.map(strip)).toEqual(a.events.filter((e) => e.kv.modRevision >= c).map(strip));
    expect(fromHistory.filter((e) => e.type === EventType.DELETE).length).toBeGreaterThan(0);
    // Single-key history agrees with the range scan.
    const k = str(fromHistory[fromHistory.length - 1]?.kv.key ?? b('k00'));
    expect(a.store.eventsSince(c, b(k)).map(strip)).toEqual(fromHistory.filter((e) => str(e.kv.key) === k).map(strip));
  });

  it('load(the persisted records) reproduces the identical state', () => {
    const loaded = MvccStore.load(a.db.records());
    expect(fingerprint(loaded)).toEqual(fingerprint(a.store));
    // What was written incrementally is exactly the full dump.
    const hex = (rs: { key: Uint8Array; value: Uint8Array }[]) =>
      rs.map((r) => Buffer.from(r.key).toString('hex') + '=' + Buffer.from(r.value).toString('hex')).sort();
    expect(hex(a.db.records())).toEqual(hex(a.store.persistRecords()));
  });

  it('fromSnapshot(snapshot()) reproduces the identical state, byte for byte', () => {
    const snap = a.store.snapshot();
    const restored = MvccStore.fromSnapshot(snap);
    expect(fingerprint(restored)).toEqual(fingerprint(a.store));
    expect(Buffer.from(restored.snapshot()).equals(Buffer.from(snap))).toBe(true);
    expect(Buffer.from(MvccStore.load(a.db.records()).snapshot()).equals(Buffer.from(snap))).toBe(true);
  });

  it('members restarted mid-way (from a snapshot, or from their records) end identical', () => {
    const half = 5_000;
    const first = run(w.reqs, 0, half);
    const fromSnap: Run = { ...first, store: MvccStore.fromSnapshot(first.store.snapshot()), events: [] };
    const fromDb: Run = { ...first, store: MvccStore.load(first.db.records()), db: new FakeDb(), events: [] };
    fromDb.db.write(first.db.records().map((r) => ({ type: 'put' as const, ...r })));
    const other = run(w.reqs, 0, half);
    const hashes: Record<string, number[]> = { snap: [], db: [], other: [], a: [] };
    const step = (name: string) => (i: number, r: Run) => {
      if (i % 1000 === 999) (hashes[name] as number[]).push(r.store.hashKV().hash);
    };
    run(w.reqs, half, N, fromSnap, step('snap'));
    run(w.reqs, half, N, fromDb, step('db'));
    run(w.reqs, half, N, other, step('other'));
    expect(hashes.snap).toEqual(hashes.other);
    expect(hashes.db).toEqual(hashes.other);
    expect(fingerprint(fromSnap.store)).toEqual(fingerprint(a.store));
    expect(fingerprint(fromDb.store)).toEqual(fingerprint(a.store));
    expect(MvccStore.load(fromDb.db.records()).hashKV()).toEqual(a.store.hashKV());
  });

  it('a different workload gives a different hash', () => {
    const other = run(workload(SEED + 1, 500).reqs);
    expect(other.store.hashKV().hash).not.toBe(run(w.reqs, 0, 500).store.hashKV().hash);
  });
});

describe('refusing damaged data', () => {
  const good = () => {
    const s = new MvccStore();
    s.leaseGrant({ id: 1, ttl: 10 });
    s.put({ key: b('a'), value: b('1'), lease: 1 });
    s.put({ key: b('b'), value: b('2') });
    return s.snapshot();
  };

  it.each<[string, () => Uint8Array, string]>([
    ['empty bytes', () => new Uint8Array(0), 'too short to be an mk-store MVCC snapshot'],
    ['random bytes', () => new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff)), 'bad magic'],
    ['JSON', () => b('{"revision": 3, "kvs": []}'), 'bad magic'],
    [
      'an unknown format version',
      () => {
        const s = good();
        s[6] = 9;
        return s;
      },
      'format version 9 is not supported',
    ],
    [
      'a flipped bit',
      () => {
        const s = good();
        s[20] = (s[20] as number) ^ 0x10;
        return s;
      },
      'checksum mismatch',
    ],
    ['a truncated snapshot', () => good().subarray(0, 30), 'checksum mismatch'],
    ['trailing garbage', () => Buffer.concat([good(), Buffer.from([1, 2, 3])]), 'checksum mismatch'],
  ])('fromSnapshot refuses %s with a clear error', (_name, bytes, message) => {
    expect(() => MvccStore.fromSnapshot(bytes())).toThrow(MvccCorruptDataError);
    expect(() => MvccStore.fromSnapshot(bytes())).toThrow(DataLossError);
    expect(() => MvccStore.fromSnapshot(bytes())).toThrow(message);
  });

  it('fromSnapshot refuses well-framed snapshots holding bad records', () => {
    const framed = (records: { key: Uint8Array; value: Uint8Array }[]) => encodeSnapshot(records, records.length);
    expect(() => MvccStore.fromSnapshot(framed([{ key: b('x'), value: b('y') }]))).toThrow('unknown key');
    expect(() => MvccStore.fromSnapshot(framed([{ key: revisionKey(2, 0), value: new Uint8Array([7]) }]))).toThrow('unknown flags');
  });

  it.each<[string, { key: Uint8Array; value: Uint8Array }[], string]>([
    ['an unknown record kind', [{ key: b('zzz'), value: b('') }], 'not an mk-store MVCC record'],
    ['a short revision key', [{ key: b('k123'), value: b('') }], 'malformed revision key'],
    ['a truncated record', [{ key: revisionKey(2, 0), value: encodeRecord(b('a'), false, 2, 1, 0, b('v')).subarray(0, 3) }], 'unexpected end of data'],
    ['a key attached to a missing lease', [{ key: revisionKey(2, 0), value: encodeRecord(b('a'), false, 2, 1, 77, b('v')) }], 'attached to lease 77, which does not exist'],
    ['a createRevision in the future', [{ key: revisionKey(2, 0), value: encodeRecord(b('a'), false, 5, 1, 0, b('v')) }], 'is in its future'],
    [
      'a lease twice',
      [
        { key: leaseKey(3), value: new Uint8Array([0, 5]) },
        { key: leaseKey(3), value: new Uint8Array([0, 5]) },
      ],
      'lease 3 appears twice',
    ],
  ])('load refuses %s', (_name, records, message) => {
    expect(() => MvccStore.load(records)).toThrow(MvccCorruptDataError);
    expect(() => MvccStore.load(records)).toThrow(message);
  });

  it('load of nothing is a fresh store', () => {
    const s = MvccStore.load([]);
    expect([s.currentRevision, s.compactRevision, s.sizeBytes]).toEqual([1, 0, 0]);
    expect(s.put({ key: b('k'), value: b('v') }).response.revision).toBe(2);
  });
});
