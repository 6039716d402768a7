/**
 * Test harness for the watch tests (not part of the package API): a real MvccStore, a WatchHub,
 * a grpc-js server with the etcd Watch service on 127.0.0.1:0, and clients that record every
 * response in arrival order.
 */
import * as grpc from '@grpc/grpc-js';
import { type ServiceClient, addService, etcdserverpb, makeClientConstructor, services } from '@mk/proto';
import { FakeClock, nullLogger } from '@mk/shared';
import { type DeleteRangeRequest, type MvccEvent, MvccStore, type TxnRequest } from '../mvcc';
import { WatchHub, type WatchHubDeps } from './watch-hub';
import { FROM_KEY, prefixEnd as prefixEndBytes } from '../mvcc/key-range';

export const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
export const str = (u: Uint8Array | null | undefined): string =>
  u == null ? '' : Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1');

export { FROM_KEY };

/** The range end of a prefix given as a string. */
export const prefixEnd = (prefix: string): Uint8Array => prefixEndBytes(b(prefix));
export const CLUSTER_ID = 1234;
export const MEMBER_ID = 5678;
export const RAFT_TERM = 9;

type WatchResponse = etcdserverpb.WatchResponse;
type WatchClient = ServiceClient<typeof services.etcdserverpb.Watch>;
const WatchClientCtor = makeClientConstructor(services.etcdserverpb.Watch);

/** [type, key, modRevision, value, prevValue (null: no prev_kv)] */
export type EventRow = [string, string, number, string, string | null];

export function eventRow(e: etcdserverpb.WatchResponse['events'][number]): EventRow {
  const kv = e.kv;
  return [
    e.type === 1 ? 'DELETE' : 'PUT',
    str(kv?.key),
    Number(kv?.modRevision ?? 0),
    str(kv?.value),
    e.prevKv == null ? null : str(e.prevKv.value),
  ];
}

/** Waits for `cond`, re-checking every 5 ms; fails after 15 s (a safety net, not a timing assertion). */
export async function eventually(what: string, cond: () => boolean): Promise<void> {
  const until = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One client Watch stream; `received` holds every response in arrival order. */
export class WatchConn {
  readonly call: grpc.ClientDuplexStream<etcdserverpb.WatchRequest.$Properties, WatchResponse>;
  readonly received: WatchResponse[] = [];
  error: grpc.ServiceError | undefined;
  ended = false;
  private waiters: Array<() => void> = [];

  constructor(client: WatchClient) {
    this.call = client.Watch();
    this.call.on('data', (r: WatchResponse) => {
      this.received.push(r);
      this.wake();
    });
    this.call.on('error', (e: grpc.ServiceError) => {
      this.error = e;
      this.wake();
    });
    this.call.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `cond` holds (checked after each response); fails after 15 s. */
  async until(what: string, cond: () => boolean): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!cond()) {
      if (this.error !== undefined && !cond()) throw new Error(`${what}: stream failed: ${this.error.message}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`never happened: ${what} (received ${this.received.length} responses)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  create(req: etcdserverpb.WatchCreateRequest.$Properties): void {
    this.call.write({ createRequest: req });
  }

  cancel(watchId: number): void {
    this.call.write({ cancelRequest: { watchId } });
  }

  progress(): void {
    this.call.write({ progressRequest: {} });
  }

  /** Creates a watcher and waits for its `created` response; returns its id. */
  async watch(req: etcdserverpb.WatchCreateRequest.$Properties): Promise<number> {
    const before = this.received.filter((r) => r.created).length;
    this.create(req);
    await this.until('created', () => this.received.filter((r) => r.created).length > before);
    const created = this.received.filter((r) => r.created)[before] as WatchResponse;
    return Number(created.watchId);
  }

  /** Responses of one watcher that carry events, in order. */
  eventResponses(watchId: number): WatchResponse[] {
    return this.received.filter((r) => Number(r.watchId) === watchId && r.events.length > 0);
  }

  events(watchId: number): EventRow[] {
    return this.eventResponses(watchId).flatMap((r) => r.events.map(eventRow));
  }

  async waitEvents(watchId: number, count: number): Promise<EventRow[]> {
    await this.until(`${count} events for watcher ${watchId}`, () => this.events(watchId).length >= count);
    return this.events(watchId);
  }

  /** Sends a progress request and waits for its answer: everything queued before it has arrived. */
  async barrier(): Promise<WatchResponse> {
    const count = () => this.received.filter((r) => Number(r.watchId) === -1 && !r.created).length;
    const before = count();
    this.progress();
    await this.until('progress response', () => count() > before);
    return this.received.filter((r) => Number(r.watchId) === -1 && !r.created)[before] as WatchResponse;
  }
}

export interface Harness {
  store: MvccStore;
  readonly hub: WatchHub;
  readonly clock: FakeClock;
  readonly server: grpc.Server;
  readonly address: string;
  connect(): WatchConn;
  newClient(): WatchClient;
  put(key: string, value: string): number;
  del(key: string, rangeEnd?: Uint8Array): number;
  txn(req: TxnRequest): number;
  compact(revision: number): void;
  publish(events: MvccEvent[]): void;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<Omit<WatchHubDeps, 'mvcc' | 'header' | 'clock'>> = {}): Promise<Harness> {
  const clock = new FakeClock(1_000_000);
  const h = {} as Harness & { store: MvccStore };
  h.store = new MvccStore();
  const hub = new WatchHub({
    mvcc: () => h.store,
    header: () => ({ clusterId: CLUSTER_ID, memberId: MEMBER_ID, revision: h.store.currentRevision, raftTerm: RAFT_TERM }),
    logger: nullLogger,
    clock,
    progressNotifyMs: 60_000,
    ...opts,
  });
  const server = new grpc.Server();
  addService(server, services.etcdserverpb.Watch, { Watch: (call) => hub.serve(call) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const address = `127.0.0.1:${port}`;
  const clients: WatchClient[] = [];
  const conns: WatchConn[] = [];
  const newClient = (): WatchClient => {
    const c = new WatchClientCtor(address, grpc.credentials.createInsecure());
    clients.push(c);
    return c;
  };
  let shared: WatchClient | undefined;
  Object.assign(h, {
    hub,
    clock,
    server,
    address,
    newClient,
    connect() {
      shared ??= newClient();
      const conn = new WatchConn(shared);
      conns.push(conn);
      return conn;
    },
    put(key: string, value: string) {
      const r = h.store.put({ key: b(key), value: b(value) });
      hub.publish(r.events);
      return r.response.revision;
    },
    del(key: string, rangeEnd?: Uint8Array) {
      const req: DeleteRangeRequest = rangeEnd === undefined ? { key: b(key) } : { key: b(key), rangeEnd };
      const r = h.store.deleteRange(req);
      hub.publish(r.events);
      return r.response.revision;
    },
    txn(req: TxnRequest) {
      const r = h.store.txn(req);
      hub.publish(r.events);
      return r.response.revision;
    },
    compact(revision: number) {
      h.store.compact(revision);
    },
    publish(events: MvccEvent[]) {
      hub.publish(events);
    },
    async close() {
      for (const c of conns) c.call.cancel();
      hub.close();
      for (const c of clients) c.close();
      server.forceShutdown();
    },
  });
  return h;
}
