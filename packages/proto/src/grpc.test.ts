// Real gRPC over loopback with @grpc/grpc-js: servers built with addService, clients with
// makeClientConstructor, for a unary, a server-streaming and a bidi-streaming etcd method.
import * as grpc from '@grpc/grpc-js';
import {
  type ServiceClient,
  type ServiceDescriptor,
  type ServiceImplementation,
  addService,
  etcdserverpb,
  makeClientConstructor,
  mvccpb,
  serviceDefinition,
  services,
  unaryCall,
} from './index';

const { KV, Maintenance, Watch } = services.etcdserverpb;
const header = { clusterId: 1, memberId: 2, revision: 42, raftTerm: 3 };
const b = (s: string): Buffer => Buffer.from(s);
const text = (u8: Uint8Array | null | undefined): string => Buffer.from(u8 ?? []).toString();

// A tiny in-memory KV, enough to show typed requests and responses on the server side.
const data = new Map<string, string>([
  ['a', '1'],
  ['b', '2'],
  ['c', '3'],
]);

const kv: Partial<ServiceImplementation<typeof KV>> = {
  Range(call, callback) {
    const req = call.request; // etcdserverpb.RangeRequest: every field present
    const key: Uint8Array = req.key;
    const end = text(req.rangeEnd);
    const keys = [...data.keys()].filter((k) => (end === '' ? k === text(key) : k >= text(key) && k < end)).sort();
    const limited = req.limit > 0 ? keys.slice(0, req.limit) : keys;
    callback(null, {
      header,
      kvs: req.countOnly ? [] : limited.map((k) => ({ key: b(k), value: req.keysOnly ? undefined : b(data.get(k) ?? ''), modRevision: 7 })),
      more: limited.length < keys.length,
      count: keys.length,
    });
  },
  // Put is left out: grpc-js answers UNIMPLEMENTED.
};

const maintenance: Partial<ServiceImplementation<typeof Maintenance>> = {
  Snapshot(call) {
    const blob = Buffer.alloc(10_000, 7);
    const chunk = 4096;
    for (let off = 0; off < blob.length; off += chunk) {
      const part = blob.subarray(off, off + chunk);
      call.write({ header: off === 0 ? header : null, remainingBytes: blob.length - off - part.length, blob: part });
    }
    call.end();
  },
};

// A watch server: creates watchers on request, sends one event per created watcher, confirms
// cancels, and answers progress requests; ends the stream when the client does.
const watch: ServiceImplementation<typeof Watch> = {
  Watch(call) {
    let nextId = 100;
    call.on('data', (req: etcdserverpb.WatchRequest) => {
      switch (req.requestUnion) {
        case 'createRequest': {
          const create = req.createRequest;
          const id = create?.watchId || nextId++;
          call.write({ header, watchId: id, created: true });
          call.write({
            header,
            watchId: id,
            events: [{ type: mvccpb.Event.EventType.PUT, kv: { key: create?.key, value: b('v'), modRevision: 43, version: 1 } }],
          });
          break;
        }
        case 'cancelRequest':
          call.write({ header, watchId: req.cancelRequest?.watchId ?? 0, canceled: true, cancelReason: 'canceled by client' });
          break;
        case 'progressRequest':
          call.write({ header, watchId: -1 });
          break;
        default:
          break;
      }
    });
    call.on('end', () => call.end());
  },
};

describe('gRPC over loopback with the generated etcd services', () => {
  let server: grpc.Server;
  let address: string;
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    server = new grpc.Server();
    addService(server, KV, kv);
    addService(server, Maintenance, maintenance);
    addService(server, Watch, watch);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  function client<S extends ServiceDescriptor>(service: S): ServiceClient<S> {
    const Ctor = makeClientConstructor(service);
    const c = new Ctor(address, grpc.credentials.createInsecure());
    clients.push(c);
    return c;
  }

  it('KV.Range: unary, typed on both sides', async () => {
    const c = client(KV);
    const res = await unaryCall(c.Range.bind(c), { key: b('a'), rangeEnd: b('c') });
    expect(res).toBeInstanceOf(etcdserverpb.RangeResponse);
    expect(res.header).toMatchObject(header);
    expect(res.kvs.map((x) => [text(x.key), text(x.value), x.modRevision])).toEqual([
      ['a', '1', 7],
      ['b', '2', 7],
    ]);
    expect(res.count).toBe(2);
    expect(res.more).toBe(false);

    const limited = await unaryCall(c.Range.bind(c), { key: b('a'), rangeEnd: b('z'), limit: 1, keysOnly: true });
    expect(limited.kvs.map((x) => text(x.key))).toEqual(['a']);
    expect(limited.kvs[0]?.value).toHaveLength(0);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(3);

    // The callback form works as well.
    const single = await new Promise<etcdserverpb.RangeResponse>((resolve, reject) =>
      c.Range({ key: b('b') }, (err, r) => (err || !r ? reject(err) : resolve(r))),
    );
    expect(single.kvs.map((x) => text(x.value))).toEqual(['2']);
  });

  it('a method the server left out answers UNIMPLEMENTED', async () => {
    const c = client(KV);
    await expect(unaryCall(c.Put.bind(c), { key: b('x'), value: b('y') })).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it('the wire carries etcd bytes under etcd paths: a raw client (as etcdctl would send) talks to KV.Range', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    clients.push(raw);
    // RangeRequest{key: "c"}: field 1, length-delimited.
    const request = Buffer.from([0x0a, 0x01, 0x63]);
    const response = await new Promise<Buffer>((resolve, reject) =>
      raw.makeUnaryRequest(
        '/etcdserverpb.KV/Range',
        (x: Buffer) => x,
        (x: Buffer) => x,
        request,
        (err, r) => (err || !r ? reject(err) : resolve(r)),
      ),
    );
    // RangeResponse: header = field 1, kvs = field 2, count = field 4.
    expect(response[0]).toBe(0x0a);
    const decoded = etcdserverpb.RangeResponse.decode(response);
    expect(text(decoded.kvs[0]?.key)).toBe('c');
    expect(decoded.count).toBe(1);
  });

  it('Maintenance.Snapshot: server streaming, chunks in order with remaining_bytes counting down', async () => {
    const c = client(Maintenance);
    const chunks: etcdserverpb.SnapshotResponse[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = c.Snapshot({});
      stream.on('data', (m: etcdserverpb.SnapshotResponse) => chunks.push(m));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    expect(chunks.map((m) => [m.blob.length, m.remainingBytes])).toEqual([
      [4096, 5904],
      [4096, 1808],
      [1808, 0],
    ]);
    expect(chunks[0]?.header?.revision).toBe(42);
    expect(Buffer.concat(chunks.map((m) => m.blob)).equals(Buffer.alloc(10_000, 7))).toBe(true);
  });

  it('Watch.Watch: bidi streaming, create / event / progress / cancel on one stream', async () => {
    const c = client(Watch);
    const stream = c.Watch();
    const received: etcdserverpb.WatchResponse[] = [];
    const waiters: Array<{ n: number; resolve: () => void }> = [];
    stream.on('data', (m: etcdserverpb.WatchResponse) => {
      received.push(m);
      for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
    });
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    const upTo = (n: number): Promise<void> =>
      received.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }));

    stream.write({ createRequest: { key: b('foo'), rangeEnd: b('fop'), startRevision: 10, prevKv: true, filters: [1] } });
    await upTo(2);
    stream.write({ createRequest: { key: b('bar'), watchId: 7 } });
    await upTo(4);
    stream.write({ progressRequest: {} });
    await upTo(5);
    stream.write({ cancelRequest: { watchId: 100 } });
    await upTo(6);
    stream.end();
    await ended;

    expect(received.map((m) => [m.watchId, m.created, m.canceled, m.events.length])).toEqual([
      [100, true, false, 0],
      [100, false, false, 1],
      [7, true, false, 0],
      [7, false, false, 1],
      [-1, false, false, 0],
      [100, false, true, 0],
    ]);
    const event = received[1]?.events[0];
    expect(event?.type).toBe(mvccpb.Event.EventType.PUT);
    expect(text(event?.kv?.key)).toBe('foo');
    expect(event?.kv?.modRevision).toBe(43);
    expect(received[5]?.cancelReason).toBe('canceled by client');
    expect(received.every((m) => m.header?.revision === 42)).toBe(true);
  });

  it('serviceDefinition gives grpc-js the etcd paths and streaming kinds', () => {
    const def = serviceDefinition(services.etcdserverpb.Lease);
    expect(def.LeaseKeepAlive).toMatchObject({ path: '/etcdserverpb.Lease/LeaseKeepAlive', requestStream: true, responseStream: true });
    expect(def.LeaseGrant).toMatchObject({ path: '/etcdserverpb.Lease/LeaseGrant', requestStream: false, responseStream: false });
    const bytes = def.LeaseGrant.requestSerialize({ TTL: 5, ID: 9 });
    expect(Array.from(bytes)).toEqual([0x08, 5, 0x10, 9]);
    expect(def.LeaseGrant.requestDeserialize(bytes)).toMatchObject({ TTL: 5, ID: 9 });
  });
});

// Compile-time checks (tsc -b type-checks this file): handlers and clients are typed per method.
export const typeChecks: Partial<ServiceImplementation<typeof KV>> = {
  Range(call, callback) {
    // @ts-expect-error RangeRequest has no field `value`
    void call.request.value;
    // @ts-expect-error a RangeResponse's count is a number
    callback(null, { count: 'three' });
  },
  // @ts-expect-error a unary handler gets (call, callback), and Put's call carries a PutRequest
  Put(call: grpc.ServerUnaryCall<etcdserverpb.RangeRequest, etcdserverpb.PutResponse>, callback: grpc.sendUnaryData<etcdserverpb.PutResponse>) {
    callback(null, {});
  },
};
export function clientTypeChecks(c: ServiceClient<typeof KV>, w: ServiceClient<typeof Watch>): void {
  // @ts-expect-error PutRequest has no field `limit`
  c.Put({ limit: 1 }, () => undefined);
  const stream = w.Watch();
  // @ts-expect-error a WatchRequest, not a WatchResponse, is written
  stream.write({ created: true });
}
