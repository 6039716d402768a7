/**
 * EtcdStore's failover rules against fake members: in-process gRPC servers speaking etcd's KV,
 * Watch and Maintenance services, each told how to misbehave. (The same code against real mk-store
 * and etcd clusters: test/e2e/apiserver-storage.test.ts.)
 */
import * as grpc from '@grpc/grpc-js';
import { addService, type etcdserverpb, services } from '@mk/proto';
import { CompactedError, InvalidStoreRequestError, RequestTooLargeError, StoreUnavailableError } from './errors';
import { EtcdStore, certainlyNotSent, parseEndpoints } from './etcd-store';
import { type WatchEvent, toBytes } from './store';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => void;
type WatchStream = grpc.ServerDuplexStream<etcdserverpb.WatchRequest, etcdserverpb.WatchResponse.$Properties>;

interface Behaviour {
  Range?: Unary<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse.$Properties>;
  Txn?: Unary<etcdserverpb.TxnRequest, etcdserverpb.TxnResponse.$Properties>;
  Status?: Unary<etcdserverpb.StatusRequest, etcdserverpb.StatusResponse.$Properties>;
  /** Called with each create request of a Watch stream. */
  watch?: (stream: WatchStream, create: etcdserverpb.WatchCreateRequest.$Properties) => void;
}

/** A fake etcd member on a loopback port. */
class FakeMember {
  readonly calls: string[] = [];
  readonly watchCreates: etcdserverpb.WatchCreateRequest.$Properties[] = [];
  private constructor(
    readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(b: Behaviour): Promise<FakeMember> {
    const server = new grpc.Server();
    let me!: FakeMember;
    const record =
      <Req, Res>(name: string, f: Unary<Req, Res> | undefined): Unary<Req, Res> =>
      (call, cb) => {
        me.calls.push(name);
        if (f) f(call, cb);
        else cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} not scripted` });
      };
    addService(server, services.etcdserverpb.KV, { Range: record('Range', b.Range), Txn: record('Txn', b.Txn) });
    addService(server, services.etcdserverpb.Maintenance, { Status: record('Status', b.Status ?? ((_c, cb) => cb(null, { leader: 1, header: { revision: 1 } }))) });
    addService(server, services.etcdserverpb.Watch, {
      Watch: (stream) => {
        me.calls.push('Watch');
        stream.on('data', (req: etcdserverpb.WatchRequest) => {
          if (!req.createRequest) return;
          me.watchCreates.push(req.createRequest);
          b.watch?.(stream as WatchStream, req.createRequest);
        });
        stream.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    me = new FakeMember(server, `127.0.0.1:${port}`);
    return me;
  }

  count(name: string): number {
    return this.calls.filter((c) => c === name).length;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

/** A loopback address nothing listens on. */
async function deadAddress(): Promise<string> {
  const s = new grpc.Server();
  const port = await new Promise<number>((resolve, reject) =>
    s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  s.forceShutdown();
  return `127.0.0.1:${port}`;
}

const txnOk: Unary<etcdserverpb.TxnRequest, etcdserverpb.TxnResponse.$Properties> = (_c, cb) => cb(null, { succeeded: true, header: { revision: 42 }, responses: [] });
const rangeOk: Unary<etcdserverpb.RangeRequest, etcdserverpb.RangeResponse.$Properties> = (_c, cb) =>
  cb(null, { header: { revision: 42 }, kvs: [{ key: toBytes('/k'), value: toBytes('v'), modRevision: 40, createRevision: 39, version: 2 }], count: 1 });
/** Answers every call with this status (fits any unary method). */
const fail =
  (code: grpc.status, details: string) =>
  (_call: unknown, cb: (err: Partial<grpc.StatusObject>) => void): void =>
    cb({ code, details });
/** Never answers. */
const never = (): void => {};

const members: FakeMember[] = [];
const stores: EtcdStore[] = [];
async function fake(b: Behaviour): Promise<FakeMember> {
  const m = await FakeMember.start(b);
  members.push(m);
  return m;
}
function client(endpoints: string[], opts: Partial<ConstructorParameters<typeof EtcdStore>[0]> = {}): EtcdStore {
  const s = new EtcdStore({ endpoints, requestTimeoutMs: 2000, connectTimeoutMs: 300, ...opts });
  stores.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const m of members.splice(0)) m.stop();
});

async function until(what: string, pred: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('parseEndpoints', () => {
  it.each([
    ['127.0.0.1:2379', ['127.0.0.1:2379']],
    ['127.0.0.1:2379,http://127.0.0.1:3379, 127.0.0.1:4379 ', ['127.0.0.1:2379', '127.0.0.1:3379', '127.0.0.1:4379']],
    ['http://etcd-1:2379/,etcd-1:2379', ['etcd-1:2379']],
    ['[::1]:2379', ['[::1]:2379']],
  ])('%s', (spec, want) => {
    expect(parseEndpoints(spec)).toEqual(want);
  });
  it.each(['', ' , ', 'https://127.0.0.1:2379', 'unix:///run/etcd.sock', '127.0.0.1', 'http://127.0.0.1', 'host:port'])('refuses %j', (spec) => {
    expect(() => parseEndpoints(spec)).toThrow(InvalidStoreRequestError);
  });
});

describe('certainlyNotSent: a write may be re-sent elsewhere only when it never left', () => {
  const e = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
  it.each([
    [grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1', true],
    [grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 1.001s,Waiting for LB pick', true],
    [grpc.status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests', true],
    [grpc.status.UNAVAILABLE, 'Stream refused by server', true],
    [grpc.status.UNAVAILABLE, 'Connection dropped', false],
    [grpc.status.UNAVAILABLE, 'read ECONNRESET', false],
    [grpc.status.UNAVAILABLE, 'etcdserver: request timed out', false],
    [grpc.status.UNAVAILABLE, 'etcdserver: no leader', false],
    [grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 5.002s,LB pick: 0.001s,remote_addr=127.0.0.1:2379', false],
    [grpc.status.CANCELLED, 'Cancelled on client', false],
  ])('%s %s → %s', (code, details, want) => {
    expect(certainlyNotSent(e(code, details))).toBe(want);
  });
});

describe('EtcdStore requests', () => {
  it('a write to a dead endpoint goes to the next one, exactly once', async () => {
    const b = await fake({ Txn: txnOk });
    const s = client([await deadAddress(), b.address]);
    expect(await s.create('/k', toBytes('v'))).toBe(42);
    expect(b.count('Txn')).toBe(1);
    expect(s.currentEndpoint).toBe(b.address);
  });

  it.each<[string, Behaviour['Txn']]>([
    ['the member answers "request timed out"', fail(grpc.status.UNAVAILABLE, 'etcdserver: request timed out')],
    ['the member answers "no leader" (mk-store says so after its proposal timed out)', fail(grpc.status.UNAVAILABLE, 'etcdserver: no leader')],
    ['the member never answers (deadline)', never],
  ])('a write that reached a member is never re-sent when %s: unknown outcome', async (_what, txn) => {
    const a = await fake({ Txn: txn });
    const b = await fake({ Txn: txnOk });
    const s = client([a.address, b.address], { requestTimeoutMs: 500 });
    const err = await s.create('/k', toBytes('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).mayHaveSucceeded).toBe(true);
    expect((err as Error).message).toContain(a.address);
    expect(a.count('Txn')).toBe(1);
    expect(b.count('Txn')).toBe(0);
    // The next request starts on the other member.
    expect(await s.create('/k2', toBytes('v'))).toBe(42);
    expect(b.count('Txn')).toBe(1);
  });

  it('a write whose connection drops after it reached the member: unknown outcome, not re-sent', async () => {
    let a!: FakeMember;
    a = await fake({ Txn: () => a.stop() });
    const b = await fake({ Txn: txnOk });
    const s = client([a.address, b.address]);
    const err = await s.create('/k', toBytes('v')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).mayHaveSucceeded).toBe(true);
    expect(b.count('Txn')).toBe(0);
  });

  it('"too many requests" (not applied) is tried on the next member', async () => {
    const a = await fake({ Txn: fail(grpc.status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests') });
    const b = await fake({ Txn: txnOk });
    const s = client([a.address, b.address]);
    expect(await s.create('/k', toBytes('v'))).toBe(42);
    expect([a.count('Txn'), b.count('Txn')]).toEqual([1, 1]);
  });

  it.each<[string, Behaviour['Range']]>([
    ['no leader', fail(grpc.status.UNAVAILABLE, 'etcdserver: no leader')],
    ['request timed out', fail(grpc.status.UNAVAILABLE, 'etcdserver: request timed out')],
    ['a hang (the attempt times out)', never],
  ])('a read fails over on %s', async (_what, range) => {
    const a = await fake({ Range: range });
    const b = await fake({ Range: rangeOk });
    const s = client([a.address, b.address], { readAttemptTimeoutMs: 300 });
    expect(await s.get('/k')).toMatchObject({ modRevision: 40, createRevision: 39, version: 2 });
    expect(s.currentEndpoint).toBe(b.address);
  });

  it('every endpoint failing: StoreUnavailableError when the deadline ends, naming each endpoint and its error', async () => {
    const a = await fake({ Range: fail(grpc.status.UNAVAILABLE, 'etcdserver: no leader') });
    const dead = await deadAddress();
    // A deadline long enough for the failing member's answer to arrive on a loaded machine.
    const s = client([a.address, dead], { requestTimeoutMs: 3000 });
    const err = (await s.get('/k').catch((e: unknown) => e)) as StoreUnavailableError;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.mayHaveSucceeded).toBe(false);
    expect(err.message).toContain(`${a.address} (UNAVAILABLE: etcdserver: no leader)`);
    expect(err.message).toContain(`${dead} (no connection`);
    expect(a.count('Range')).toBeGreaterThan(1); // tried again in later rounds
  });

  it.each<[string, Behaviour['Range'], new (...a: never[]) => Error]>([
    ['compacted', fail(grpc.status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'), CompactedError],
    ['request too large', fail(grpc.status.INVALID_ARGUMENT, 'etcdserver: request is too large'), RequestTooLargeError],
    ['gRPC message over the server limit', fail(grpc.status.RESOURCE_EXHAUSTED, 'Received message larger than max (4194400 vs. 3670016)'), RequestTooLargeError],
  ])('an answer is not retried: %s', async (_what, range, type) => {
    const a = await fake({ Range: range });
    const b = await fake({ Range: rangeOk });
    const s = client([a.address, b.address]);
    await expect(s.list('/', { revision: 3 })).rejects.toBeInstanceOf(type);
    expect(b.count('Range')).toBe(0);
  });
});

/** A Watch script: responses to send for a create request. */
function put(rev: number, key = '/w/k'): { type: number; kv: { key: Uint8Array; value: Uint8Array; modRevision: number; createRevision: number; version: number } } {
  return { type: 0, kv: { key: toBytes(key), value: toBytes(`v${rev}`), modRevision: rev, createRevision: rev, version: 1 } };
}

function recorder() {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  return { events, errors, onEvents: (e: WatchEvent[]) => events.push(...e), onError: (e: Error) => errors.push(e) };
}

const revs = (events: WatchEvent[]) => events.map((e) => (e.type === 'bookmark' ? `b${e.revision}` : e.modRevision));

describe('EtcdStore watch', () => {
  it('a broken stream resumes on the next endpoint from the last revision + 1; nothing lost or repeated', async () => {
    let a!: FakeMember;
    a = await fake({
      watch: (stream, create) => {
        stream.write({ header: { revision: 6 }, created: true, watchId: 0 });
        stream.write({ header: { revision: 5 }, watchId: 0, events: [put(create.startRevision ?? 0)] });
        stream.write({ header: { revision: 6 }, watchId: 0, events: [put(6), put(6, '/w/other')] });
        setTimeout(() => a.stop(), 20); // the member dies
      },
    });
    const b = await fake({
      watch: (stream) => {
        stream.write({ header: { revision: 8 }, created: true, watchId: 0 });
        // A misbehaving server repeating revision 6 would not make the client repeat it.
        stream.write({ header: { revision: 8 }, watchId: 0, events: [put(6), put(7)] });
        stream.write({ header: { revision: 8 }, watchId: 0, events: [put(8)] });
      },
    });
    const s = client([a.address, b.address]);
    const r = recorder();
    const h = s.watch('/w/', 5, r.onEvents, r.onError);
    await until('revision 8', () => h.lastRevision === 8);
    expect(revs(r.events)).toEqual([5, 6, 6, 7, 8]);
    expect(r.errors).toEqual([]);
    expect(a.watchCreates.map((c) => c.startRevision)).toEqual([5]);
    expect(b.watchCreates.map((c) => c.startRevision)).toEqual([7]);
    expect(b.watchCreates[0]).toMatchObject({ prevKv: true, progressNotify: true });
    h.cancel();
  });

  it('a compacted start is a terminal CompactedError with the compact revision; no other endpoint is tried', async () => {
    const a = await fake({
      watch: (stream) => {
        stream.write({ header: { revision: 20 }, created: true, watchId: 0 });
        stream.write({ header: { revision: 20 }, watchId: 0, canceled: true, compactRevision: 15 });
      },
    });
    const b = await fake({ watch: () => {} });
    const s = client([a.address, b.address]);
    const r = recorder();
    s.watch('/w/', 3, r.onEvents, r.onError);
    await until('an error', () => r.errors.length > 0);
    expect(r.errors[0]).toBeInstanceOf(CompactedError);
    expect((r.errors[0] as CompactedError).compactRevision).toBe(15);
    await new Promise((res) => setTimeout(res, 100));
    expect(b.count('Watch')).toBe(0);
    expect(r.errors).toHaveLength(1);
  });

  it('progress notifications become bookmarks (only ones that move forward)', async () => {
    const a = await fake({
      watch: (stream) => {
        stream.write({ header: { revision: 10 }, created: true, watchId: 0 });
        stream.write({ header: { revision: 10 }, watchId: 0, events: [put(10)] });
        stream.write({ header: { revision: 9 }, watchId: 0 }); // from a lagging member: ignored
        stream.write({ header: { revision: 12 }, watchId: 0 });
      },
    });
    const s = client([a.address]);
    const r = recorder();
    const h = s.watch('/w/', 10, r.onEvents, r.onError);
    await until('bookmark', () => h.lastRevision === 12);
    expect(revs(r.events)).toEqual([10, 'b12']);
  });

  it('from revision 0, "now" is pinned with a read first, so a resume cannot skip anything', async () => {
    const a = await fake({ Range: (_c, cb) => cb(null, { header: { revision: 77 }, count: 0 }), watch: (stream) => stream.write({ created: true, watchId: 0, header: { revision: 77 } }) });
    const s = client([a.address]);
    const h = s.watch('/w/', 0, () => {}, () => {});
    await until('created', () => a.watchCreates.length === 1);
    expect(a.watchCreates[0]?.startRevision).toBe(78);
    expect(h.lastRevision).toBe(77);
  });

  it('a stream left on a member without a leader moves on after two leader checks', async () => {
    const a = await fake({
      Status: (_c, cb) => cb(null, { leader: 0, header: { revision: 5 } }),
      watch: (stream) => stream.write({ header: { revision: 5 }, created: true, watchId: 0 }),
    });
    const b = await fake({
      watch: (stream) => {
        stream.write({ header: { revision: 6 }, created: true, watchId: 0 });
        stream.write({ header: { revision: 6 }, watchId: 0, events: [put(6)] });
      },
    });
    const s = client([a.address, b.address], { watchLeaderCheckMs: 50 });
    const r = recorder();
    s.watch('/w/', 6, r.onEvents, r.onError);
    await until('the event from b', () => r.events.length === 1);
    expect(a.count('Status')).toBeGreaterThanOrEqual(2);
    expect(b.watchCreates.map((c) => c.startRevision)).toEqual([6]);
  });

  it('a canceled watch closes its stream and delivers nothing more', async () => {
    let serverStream: WatchStream | undefined;
    const a = await fake({
      watch: (stream) => {
        serverStream = stream;
        stream.write({ header: { revision: 5 }, created: true, watchId: 0 });
      },
    });
    const s = client([a.address]);
    const r = recorder();
    const h = s.watch('/w/', 5, r.onEvents, r.onError);
    await until('created', () => serverStream !== undefined);
    h.cancel();
    await until('the server sees the stream end', () => serverStream!.cancelled || serverStream!.destroyed);
    expect(r.events).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it('a watch that cannot be re-established for watchRetryLimitMs fails with StoreUnavailableError', async () => {
    const s = client([await deadAddress()], { watchRetryLimitMs: 300 });
    const r = recorder();
    s.watch('/w/', 5, r.onEvents, r.onError);
    await until('an error', () => r.errors.length > 0, 5000);
    expect(r.errors[0]).toBeInstanceOf(StoreUnavailableError);
  });
});
