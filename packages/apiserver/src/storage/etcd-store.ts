/**
 * The Store over etcd's v3 gRPC API: mk-store or real etcd 3.4, the same code for both.
 *
 * One gRPC channel (one HTTP/2 connection) per endpoint. Requests go to a current endpoint; when it
 * fails they move on to the next, and the next request starts where the last success was.
 *
 * - Reads fail over on anything that is not an answer (unreachable, timeouts, no leader, ...), each
 *   attempt with a part of the call's deadline, until the deadline.
 * - Writes are sent to an endpoint only once its connection is up. They move to another endpoint
 *   only when the request certainly never left this process (no connection, the pick failed). Once
 *   a write may have reached a member, a lost answer is never re-sent: it surfaces as
 *   StoreUnavailableError with `mayHaveSucceeded: true` (an unknown outcome).
 * - Every call has a deadline (`requestTimeoutMs`, 5 s by default).
 * - Store errors become the typed errors of ./errors.ts.
 *
 * Watches: one Watch stream per watch, with prev_kv and progress_notify. A stream that breaks (its
 * member died, hangs, or lost its leader: see watchLeaderCheckMs) is opened again on the next
 * endpoint from the last revision delivered + 1, so no event is lost or repeated; responses never
 * split a revision (no `fragment`), so "last revision delivered" is always a whole revision.
 */
import * as grpc from '@grpc/grpc-js';
import { type ServiceClient, type UnaryMethod, etcdserverpb, makeClientConstructor, type mvccpb, services, unaryCall } from '@mk/proto';
import { type Logger, nullLogger } from '@mk/shared';
import {
  CompactedError,
  FutureRevisionError,
  InvalidStoreRequestError,
  KeyExistsError,
  KeyNotFoundError,
  RequestTooLargeError,
  RevisionMismatchError,
  StoreError,
  StoreUnavailableError,
} from './errors';
import {
  type ChangeEvent,
  type DeleteResult,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreHealth,
  type StoredItem,
  type TxnCompare,
  type TxnRequest,
  type TxnResult,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
  checkTxnShape,
  failedCompares,
  fromBytes,
  prefixEnd,
  toBytes,
} from './store';

const KVClient = makeClientConstructor(services.etcdserverpb.KV);
const WatchClient = makeClientConstructor(services.etcdserverpb.Watch);
const MaintenanceClient = makeClientConstructor(services.etcdserverpb.Maintenance);

type KV = ServiceClient<typeof services.etcdserverpb.KV>;
type WatchService = ServiceClient<typeof services.etcdserverpb.Watch>;
type Maintenance = ServiceClient<typeof services.etcdserverpb.Maintenance>;
type WatchCall = grpc.ClientDuplexStream<etcdserverpb.WatchRequest.$Properties, etcdserverpb.WatchResponse>;

const { CompareResult, CompareTarget } = etcdserverpb.Compare;
const EVENT_DELETE = 1; // mvccpb.Event.EventType.DELETE

export interface EtcdStoreOptions {
  /** `host:port` or `http://host:port`, as a list or comma-separated (`--etcd-servers`). */
  endpoints: string | string[];
  /** Deadline of every call, failovers included (default 5000 ms). */
  requestTimeoutMs?: number;
  /** A read's attempt on one endpoint (default: half the request timeout, at least 1 s). */
  readAttemptTimeoutMs?: number;
  /** How long to wait for a connection to an endpoint before trying the next (default 1000 ms). */
  connectTimeoutMs?: number;
  /** A watch that cannot be re-established for this long fails with StoreUnavailableError (default 60 s). */
  watchRetryLimitMs?: number;
  /**
   * A watch whose stream has been quiet this long asks its member whether it still has a leader
   * (Maintenance.Status); two failed checks in a row move the watch to another endpoint. etcd ends
   * such streams itself (the `hasleader` metadata we send); mk-store does not, and a member that
   * hangs (SIGSTOP) answers nothing. Default 3000 ms; 0 turns the check off.
   */
  watchLeaderCheckMs?: number;
  /** etcd's --max-txn-ops the stores run with (default 128): larger txns are refused before sending. */
  maxTxnOps?: number;
  logger?: Logger;
}

/** etcd's endpoints flag: `host:port` or `http://host:port`, comma-separated; TLS is not supported. */
export function parseEndpoints(spec: string | string[]): string[] {
  const parts = (Array.isArray(spec) ? spec : [spec]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
  const out: string[] = [];
  for (const p of parts) {
    let hostPort = p;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(p);
    if (scheme) {
      if (scheme[1]!.toLowerCase() !== 'http') throw new InvalidStoreRequestError(`etcd endpoint ${p}: only http:// (plaintext) endpoints are supported`);
      hostPort = p.slice(scheme[0].length).replace(/\/+$/, '');
    }
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:/\s]+):\d{1,5}$/.test(hostPort)) {
      throw new InvalidStoreRequestError(`etcd endpoint ${p}: expected host:port or http://host:port`);
    }
    if (!out.includes(hostPort)) out.push(hostPort);
  }
  if (out.length === 0) throw new InvalidStoreRequestError('no etcd endpoints given');
  return out;
}

const CHANNEL_OPTIONS: Partial<grpc.ChannelOptions> = {
  // Lists may be large (pages of ~1.5 MiB objects); the store decides what a request may weigh.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // A member that comes back is used again within a second.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  // Notices a member that stopped answering under a long-lived watch (etcd allows pings every 5 s).
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // Connections of our own: closing this client (or a test's other clients) affects no one else.
  'grpc.use_local_subchannel_pool': 1,
};

/** One member's client URL: a channel and the three services over it. */
class Endpoint {
  readonly kv: KV;
  readonly watch: WatchService;
  readonly maintenance: Maintenance;

  constructor(readonly address: string) {
    const creds = grpc.credentials.createInsecure();
    this.kv = new KVClient(address, creds, CHANNEL_OPTIONS);
    // The same connection for every service of this endpoint.
    const same = { channelOverride: this.kv.getChannel() } as Partial<grpc.ChannelOptions>;
    this.watch = new WatchClient(address, creds, same);
    this.maintenance = new MaintenanceClient(address, creds, same);
  }

  channel(): grpc.Channel {
    return this.kv.getChannel() as grpc.Channel;
  }

  close(): void {
    this.kv.close();
  }
}

/**
 * Resolves true once the endpoint's connection is up; false when it failed (the member is down) or
 * did not come up by `until`. Nothing is sent until then.
 */
function waitReady(ch: grpc.Channel, until: number): Promise<boolean> {
  return new Promise((resolve) => {
    const check = (): void => {
      const st = ch.getConnectivityState(true);
      if (st === grpc.connectivityState.READY) return resolve(true);
      if (st === grpc.connectivityState.TRANSIENT_FAILURE || st === grpc.connectivityState.SHUTDOWN) return resolve(false);
      if (Date.now() >= until) return resolve(false);
      ch.watchConnectivityState(st, until, (err) => (err ? resolve(false) : check()));
    };
    check();
  });
}

function stateName(ch: grpc.Channel): string {
  return grpc.connectivityState[ch.getConnectivityState(false)] ?? 'unknown';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isServiceError(e: unknown): e is grpc.ServiceError {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'number' && 'details' in e;
}

function describe(e: unknown): string {
  if (isServiceError(e)) return `${grpc.status[e.code] ?? e.code}: ${e.details}`;
  return e instanceof Error ? e.message : String(e);
}

/** etcd's (and gRPC's) way of saying "this request can never succeed as it is". */
function definiteError(e: grpc.ServiceError, ctx: { revision?: number }): StoreError | undefined {
  const d = e.details ?? '';
  switch (e.code) {
    case grpc.status.OUT_OF_RANGE:
      if (d.includes('compacted')) return new CompactedError(undefined, ctx.revision);
      if (d.includes('future revision')) return new FutureRevisionError(ctx.revision);
      return new StoreError(e.code as number, d);
    case grpc.status.INVALID_ARGUMENT:
      if (d.includes('request is too large')) return new RequestTooLargeError(d);
      return new InvalidStoreRequestError(d);
    case grpc.status.RESOURCE_EXHAUSTED:
      // etcd's "too many requests" (applied index far behind): not applied, worth another try.
      if (d.includes('too many requests')) return undefined;
      return new RequestTooLargeError(d);
    case grpc.status.NOT_FOUND:
    case grpc.status.ALREADY_EXISTS:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.PERMISSION_DENIED:
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.UNIMPLEMENTED:
    case grpc.status.DATA_LOSS:
      return new StoreError(e.code as number, d);
    default:
      return undefined;
  }
}

/**
 * Whether a failed call certainly never reached a member: the channel had no connection when the
 * call was picked, or the server refused the stream before its handler ran. Anything else (a
 * connection dropped mid-call, a timeout after sending, etcd's "request timed out") may have been
 * applied.
 */
export function certainlyNotSent(e: unknown): boolean {
  if (!isServiceError(e)) return false;
  const d = e.details ?? '';
  if (e.code === grpc.status.UNAVAILABLE) return d.startsWith('No connection established') || d === 'Stream refused by server';
  if (e.code === grpc.status.DEADLINE_EXCEEDED) return /Waiting for LB pick|waiting for name resolution|waiting for metadata filters/.test(d);
  if (e.code === grpc.status.RESOURCE_EXHAUSTED) return d.includes('too many requests');
  return false;
}

interface Attempt {
  endpoint: string;
  error: string;
}

export class EtcdStore implements Store {
  readonly endpoints: readonly string[];
  private readonly eps: Endpoint[];
  private current = 0;
  private closed = false;
  private readonly watches = new Set<EtcdWatch>();
  readonly requestTimeoutMs: number;
  private readonly readAttemptMs: number;
  readonly connectTimeoutMs: number;
  readonly watchRetryLimitMs: number;
  readonly watchLeaderCheckMs: number;
  private readonly maxTxnOps: number;
  readonly logger: Logger;

  constructor(opts: EtcdStoreOptions) {
    this.endpoints = parseEndpoints(opts.endpoints);
    this.eps = this.endpoints.map((a) => new Endpoint(a));
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.readAttemptMs = opts.readAttemptTimeoutMs ?? Math.max(1000, this.requestTimeoutMs / 2);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
    this.watchRetryLimitMs = opts.watchRetryLimitMs ?? 60_000;
    this.watchLeaderCheckMs = opts.watchLeaderCheckMs ?? 3000;
    this.maxTxnOps = opts.maxTxnOps ?? 128;
    this.logger = (opts.logger ?? nullLogger).child({ component: 'etcd-store' });
  }

  /** The endpoint requests go to now (it changes on failover). */
  get currentEndpoint(): string {
    return this.endpoints[this.current]!;
  }

  // ---- the call machinery -------------------------------------------------------------------------

  /**
   * Runs `attempt` on the current endpoint, failing over as the module comment says. `op` names
   * the request in errors and logs.
   */
  private async run<T>(op: string, kind: 'read' | 'write', attempt: (ep: Endpoint, deadline: number) => Promise<T>, ctx: { revision?: number } = {}): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`${op}: the store client is closed`, false);
    const started = Date.now();
    const deadline = started + this.requestTimeoutMs;
    const n = this.eps.length;
    const attempts: Attempt[] = [];
    let i = this.current;
    for (let round = 0; ; round++) {
      for (let k = 0; k < n && Date.now() < deadline; k++, i = (i + 1) % n) {
        const ep = this.eps[i]!;
        if (!(await waitReady(ep.channel(), Math.min(deadline, Date.now() + this.connectTimeoutMs)))) {
          attempts.push({ endpoint: ep.address, error: `no connection (${stateName(ep.channel())})` });
          continue;
        }
        if (this.closed) throw new StoreUnavailableError(`${op}: the store client is closed`, false);
        const attemptDeadline = kind === 'read' ? Math.min(deadline, Date.now() + this.readAttemptMs) : deadline;
        try {
          const res = await attempt(ep, attemptDeadline);
          if (this.current !== i) this.logger.info('store endpoint switched', { from: this.endpoints[this.current], to: ep.address, op });
          this.current = i;
          return res;
        } catch (e) {
          if (e instanceof StoreError) throw e; // decided by the caller from an answer
          if (!isServiceError(e)) throw e;
          const definite = definiteError(e, ctx);
          if (definite) throw definite;
          attempts.push({ endpoint: ep.address, error: describe(e) });
          if (kind === 'write' && !certainlyNotSent(e)) {
            this.current = (i + 1) % n;
            throw new StoreUnavailableError(
              `${op}: outcome unknown, the request may have been applied: ${ep.address}: ${describe(e)}`,
              true,
              attempts,
            );
          }
          this.logger.debug('store request failed, trying the next endpoint', { op, endpoint: ep.address, error: describe(e) });
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      // Every endpoint failed fast (all down, an election): wait a little and go round again.
      await sleep(Math.min(left, 50 * 2 ** Math.min(round, 4)));
    }
    this.current = i % n;
    const tried = summarize(attempts);
    throw new StoreUnavailableError(`${op}: store unavailable after ${Date.now() - started} ms; tried ${tried}`, false, attempts);
  }

  private unary<Req, Res>(ep: Endpoint, method: (c: KV) => UnaryMethod<Req, Res>, req: Req, deadline: number): Promise<Res> {
    return unaryCall(method(ep.kv).bind(ep.kv), req, { callOptions: { deadline } });
  }

  // ---- reads --------------------------------------------------------------------------------------

  async get(key: string): Promise<StoredItem | undefined> {
    checkKey(key);
    const res = await this.run(`get ${key}`, 'read', (ep, dl) => this.unary(ep, (c) => c.Range, { key: toBytes(key) }, dl));
    const kv = res.kvs[0];
    return kv ? itemOf(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    if (opts.startAfterKey !== undefined && !opts.startAfterKey.startsWith(prefix)) {
      throw new InvalidStoreRequestError(`list ${prefix}: startAfterKey ${opts.startAfterKey} is not under the prefix`);
    }
    const p = toBytes(prefix);
    const start = opts.startAfterKey !== undefined ? Buffer.concat([toBytes(opts.startAfterKey), Buffer.of(0)]) : p.length > 0 ? p : Uint8Array.of(0);
    const revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    const req: etcdserverpb.RangeRequest.$Properties = { key: start, rangeEnd: prefixEnd(p), limit: opts.limit && opts.limit > 0 ? opts.limit : 0, revision };
    const res = await this.run(`list ${prefix}`, 'read', (ep, dl) => this.unary(ep, (c) => c.Range, req, dl), { revision });
    return {
      items: res.kvs.map((kv) => ({ key: fromBytes(kv.key), ...itemOf(kv) })),
      revision: revision || (res.header?.revision ?? 0),
      more: res.more,
      count: res.count,
    };
  }

  async currentRevision(): Promise<number> {
    const res = await this.run('current revision', 'read', (ep, dl) => this.unary(ep, (c) => c.Range, { key: Uint8Array.of(0), countOnly: true }, dl));
    return res.header?.revision ?? 0;
  }

  async health(): Promise<StoreHealth> {
    const endpoints = await Promise.all(
      this.eps.map(async (ep) => {
        try {
          const deadline = Date.now() + Math.min(this.requestTimeoutMs, 2000);
          if (!(await waitReady(ep.channel(), deadline))) return { endpoint: ep.address, healthy: false, error: `no connection (${stateName(ep.channel())})` };
          const st = await unaryCall(ep.maintenance.Status.bind(ep.maintenance), {}, { callOptions: { deadline } });
          const healthy = st.leader !== 0;
          return {
            endpoint: ep.address,
            healthy,
            leader: st.leader,
            revision: st.header?.revision ?? 0,
            version: st.version,
            ...(healthy ? {} : { error: 'no leader' }),
          };
        } catch (e) {
          return { endpoint: ep.address, healthy: false, error: describe(e) };
        }
      }),
    );
    // Healthy = a linearizable read goes through (a quorum with a leader answers).
    let healthy = true;
    try {
      await this.currentRevision();
    } catch {
      healthy = false;
    }
    return { healthy, endpoints };
  }

  // ---- writes -------------------------------------------------------------------------------------

  async create(key: string, value: Uint8Array): Promise<number> {
    checkKey(key);
    const k = toBytes(key);
    const res = await this.txnCall(`create ${key}`, {
      compare: [{ key: k, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 }],
      success: [{ requestPut: { key: k, value } }],
      failure: [{ requestRange: { key: k } }],
    });
    if (!res.succeeded) throw new KeyExistsError(key, rangeItem(res, 0)?.modRevision);
    return res.header?.revision ?? 0;
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<number> {
    checkKey(key);
    checkExpected(key, expectedModRevision);
    const k = toBytes(key);
    const res = await this.txnCall(`update ${key}`, {
      compare: [{ key: k, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision: expectedModRevision }],
      success: [{ requestPut: { key: k, value } }],
      failure: [{ requestRange: { key: k } }],
    });
    if (!res.succeeded) throw new RevisionMismatchError(key, expectedModRevision, rangeItem(res, 0));
    return res.header?.revision ?? 0;
  }

  async delete(key: string, expectedModRevision?: number): Promise<DeleteResult> {
    checkKey(key);
    if (expectedModRevision !== undefined) checkExpected(key, expectedModRevision);
    const k = toBytes(key);
    const compare: etcdserverpb.Compare.$Properties =
      expectedModRevision === undefined
        ? { key: k, target: CompareTarget.CREATE, result: CompareResult.GREATER, createRevision: 0 }
        : { key: k, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision: expectedModRevision };
    const res = await this.txnCall(`delete ${key}`, {
      compare: [compare],
      success: [{ requestDeleteRange: { key: k, prevKv: true } }],
      failure: [{ requestRange: { key: k } }],
    });
    if (!res.succeeded) {
      const cur = rangeItem(res, 0);
      if (expectedModRevision === undefined) throw new KeyNotFoundError(key);
      throw new RevisionMismatchError(key, expectedModRevision, cur);
    }
    const prev = res.responses[0]?.responseDeleteRange?.prevKvs?.[0];
    const revision = res.header?.revision ?? 0;
    if (!prev) throw new StoreError(13, `delete ${key}: the store returned no previous value`);
    return { ...itemOf(prev), revision };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    checkTxnShape(req, this.maxTxnOps, (m) => new InvalidStoreRequestError(m));
    const compared = [...new Set(req.compares.map((c) => c.key))];
    const res = await this.txnCall(`txn (${describeTxn(req)})`, {
      compare: req.compares.map(compareOf),
      success: [
        ...(req.puts ?? []).map((p) => ({ requestPut: { key: toBytes(p.key), value: p.value } })),
        ...(req.deletes ?? []).map((d) => ({ requestDeleteRange: { key: toBytes(d) } })),
      ],
      failure: compared.map((k) => ({ requestRange: { key: toBytes(k) } })),
    });
    const revision = res.header?.revision ?? 0;
    if (res.succeeded) return { succeeded: true, revision };
    const current = new Map(compared.map((k, i) => [k, rangeItem(res, i)]));
    const failures = failedCompares(req.compares, (k) => current.get(k));
    return { succeeded: false, revision, failures };
  }

  async compact(revision: number): Promise<void> {
    await this.run(`compact ${revision}`, 'write', (ep, dl) => this.unary(ep, (c) => c.Compact, { revision, physical: false }, dl), { revision });
  }

  private txnCall(op: string, req: etcdserverpb.TxnRequest.$Properties): Promise<etcdserverpb.TxnResponse> {
    return this.run(op, 'write', (ep, dl) => this.unary(ep, (c) => c.Txn, req, dl));
  }

  // ---- watch ------------------------------------------------------------------------------------

  watch(prefix: string, fromRevision: number, onEvents: (events: WatchEvent[]) => void, onError: (err: Error) => void, opts: WatchOptions = {}): WatchHandle {
    const w = new EtcdWatch(this, prefix, onEvents, onError, opts.progressNotify ?? true, () => this.watches.delete(w));
    if (this.closed) {
      w.fail(new StoreUnavailableError(`watch ${prefix}: the store client is closed`, false));
      return w;
    }
    this.watches.add(w);
    w.start(fromRevision, this.current);
    return w;
  }

  /** For EtcdWatch: endpoint i (mod n). */
  endpointAt(i: number): Endpoint {
    return this.eps[((i % this.eps.length) + this.eps.length) % this.eps.length]!;
  }

  get endpointCount(): number {
    return this.eps.length;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches]) w.cancel();
    for (const ep of this.eps) ep.close();
  }
}

/** One watch over a Watch stream, re-opened elsewhere when the stream breaks. */
class EtcdWatch implements WatchHandle {
  lastRevision = 0;
  private active = true;
  private call: WatchCall | undefined;
  private endpoint = 0;
  private failingSince: number | undefined;
  /** Failed (re)opens since the last stream that was created. */
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** A response arrived on the current stream since the last leader check. */
  private heardFrom = false;
  private readonly key: Uint8Array;
  private readonly rangeEnd: Uint8Array;
  private readonly log: Logger;

  constructor(
    private readonly store: EtcdStore,
    readonly prefix: string,
    private readonly onEvents: (events: WatchEvent[]) => void,
    private readonly onError: (err: Error) => void,
    private readonly progressNotify: boolean,
    private readonly unregister: () => void,
  ) {
    const p = toBytes(prefix);
    this.key = p.length > 0 ? p : Uint8Array.of(0);
    this.rangeEnd = prefixEnd(p);
    this.log = store.logger.child({ watch: prefix });
  }

  start(fromRevision: number, endpoint: number): void {
    this.endpoint = endpoint;
    if (fromRevision > 0) {
      this.lastRevision = fromRevision - 1;
      void this.open();
      return;
    }
    // "From now": pin "now" to a revision first, so a stream that breaks before the first event
    // still resumes from the right place.
    this.store.currentRevision().then(
      (rev) => {
        if (!this.active) return;
        this.lastRevision = rev;
        void this.open();
      },
      (e: unknown) => this.fail(e instanceof Error ? e : new Error(String(e))),
    );
  }

  cancel(): void {
    if (!this.active) return;
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.dropCall();
    this.unregister();
  }

  /** Ends the watch with a terminal error (delivered once). */
  fail(err: Error): void {
    if (!this.active) return;
    this.cancel();
    this.onError(err);
  }

  private async open(): Promise<void> {
    if (!this.active) return;
    if (this.store.isClosed) return this.fail(new StoreUnavailableError(`watch ${this.prefix}: the store client is closed`, false));
    const ep = this.store.endpointAt(this.endpoint);
    const ready = await waitReady(ep.channel(), Date.now() + this.store.connectTimeoutMs);
    if (!this.active) return;
    if (!ready) return this.broken(ep.address, `no connection (${stateName(ep.channel())})`);
    const md = new grpc.Metadata();
    // etcd then ends the stream when its member loses the leader (clientv3's WithRequireLeader),
    // so a watch does not sit on a partitioned member.
    md.set('hasleader', 'true');
    const call = ep.watch.Watch(md) as unknown as WatchCall;
    this.call = call;
    let created = false;
    call.on('data', (res: etcdserverpb.WatchResponse) => {
      if (call !== this.call) return;
      this.heardFrom = true;
      if (res.canceled) {
        if (res.compactRevision > 0) {
          this.fail(new CompactedError(res.compactRevision, this.lastRevision + 1));
        } else if (res.created && res.watchId === -1) {
          this.fail(new InvalidStoreRequestError(`watch ${this.prefix}: ${res.cancelReason || 'refused by the store'}`));
        } else {
          this.dropCall();
          this.broken(ep.address, `watch canceled by the store: ${res.cancelReason || 'no reason given'}`);
        }
        return;
      }
      if (res.created) {
        created = true;
        this.failingSince = undefined;
        this.failures = 0;
        this.startWatchdog(call, ep);
        return;
      }
      if (res.events.length > 0) {
        const events: ChangeEvent[] = [];
        for (const ev of res.events) {
          const e = eventOf(ev);
          if (e && e.modRevision > this.lastRevision) events.push(e);
        }
        if (events.length === 0) return;
        this.lastRevision = events[events.length - 1]!.modRevision;
        this.deliver(events);
        return;
      }
      // No events, not created nor canceled: a progress notification.
      const rev = res.header?.revision ?? 0;
      if (created && rev > this.lastRevision) {
        this.lastRevision = rev;
        this.deliver([{ type: 'bookmark', revision: rev }]);
      }
    });
    const ended = (what: string) => {
      if (call !== this.call || !this.active) return;
      this.dropCall();
      this.broken(ep.address, what);
    };
    call.on('error', (e: unknown) => {
      const definite = isServiceError(e) ? definiteError(e, {}) : undefined;
      if (definite && call === this.call) this.fail(definite);
      else ended(describe(e));
    });
    call.on('end', () => ended('stream ended by the store'));
    call.write({
      createRequest: {
        key: this.key,
        rangeEnd: this.rangeEnd,
        startRevision: this.lastRevision + 1,
        prevKv: true,
        progressNotify: this.progressNotify,
      },
    });
  }

  private dropCall(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }

  /** While `call` is the stream: checks its member now and then (see watchLeaderCheckMs). */
  private startWatchdog(call: WatchCall, ep: Endpoint): void {
    const every = this.store.watchLeaderCheckMs;
    if (every <= 0) return;
    let strikes = 0;
    // After a failed check the next one comes sooner.
    const schedule = () => {
      this.watchdog = setTimeout(() => void check(), strikes > 0 ? Math.min(every, 1000) : every);
    };
    const check = async () => {
      if (call !== this.call || !this.active) return;
      if (this.heardFrom) {
        this.heardFrom = false;
        strikes = 0;
        return schedule();
      }
      let problem: string | undefined;
      try {
        const st = await unaryCall(ep.maintenance.Status.bind(ep.maintenance), {}, { callOptions: { deadline: Date.now() + Math.min(every, 2000) } });
        if (st.leader === 0) problem = 'the member has no leader';
      } catch (e) {
        problem = `the member does not answer Status (${describe(e)})`;
      }
      if (call !== this.call || !this.active) return;
      if (problem === undefined) strikes = 0;
      else if (++strikes >= 2) {
        this.dropCall();
        return this.broken(ep.address, `${problem}, twice in a row`);
      }
      schedule();
    };
    schedule();
  }

  /** The stream could not be opened or broke: try the next endpoint, from lastRevision + 1. */
  private broken(endpoint: string, why: string): void {
    if (!this.active) return;
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince > this.store.watchRetryLimitMs) {
      this.fail(new StoreUnavailableError(`watch ${this.prefix}: could not re-establish the watch for ${now - this.failingSince} ms; last: ${endpoint}: ${why}`, false));
      return;
    }
    this.endpoint = (this.endpoint + 1) % this.store.endpointCount;
    this.log.warn('watch stream broken; resuming on another endpoint', {
      endpoint,
      error: why,
      next: this.store.endpointAt(this.endpoint).address,
      fromRevision: this.lastRevision + 1,
    });
    // Each other endpoint at once (another member is likely fine), then backing off per round.
    this.failures++;
    const n = this.store.endpointCount;
    const delay = this.failures < n ? 0 : Math.min(1000, 50 * 2 ** Math.floor(this.failures / n));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.open();
    }, delay);
  }

  private deliver(events: WatchEvent[]): void {
    try {
      this.onEvents(events);
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

// ---- conversions --------------------------------------------------------------------------------

function itemOf(kv: mvccpb.KeyValue.$Properties): StoredItem {
  return {
    value: kv.value ?? new Uint8Array(0),
    modRevision: kv.modRevision ?? 0,
    createRevision: kv.createRevision ?? 0,
    version: kv.version ?? 0,
  };
}

/** The key of the i-th failure-branch range of a txn response, if it exists. */
function rangeItem(res: etcdserverpb.TxnResponse, i: number): StoredItem | undefined {
  const kv = res.responses[i]?.responseRange?.kvs?.[0];
  return kv ? itemOf(kv) : undefined;
}

function eventOf(ev: mvccpb.Event.$Properties): ChangeEvent | undefined {
  const kv = ev.kv;
  if (!kv) return undefined;
  const key = fromBytes(kv.key);
  const prev = ev.prevKv;
  if (ev.type === EVENT_DELETE) {
    const e: ChangeEvent = { type: 'delete', key, modRevision: kv.modRevision ?? 0 };
    if (prev?.value && (prev.createRevision ?? 0) > 0) e.prevValue = prev.value;
    return e;
  }
  const e: ChangeEvent = {
    type: 'put',
    key,
    value: kv.value ?? new Uint8Array(0),
    modRevision: kv.modRevision ?? 0,
    createRevision: kv.createRevision ?? 0,
    version: kv.version ?? 0,
  };
  if (prev && (prev.createRevision ?? 0) > 0) e.prevValue = prev.value ?? new Uint8Array(0);
  return e;
}

function compareOf(c: TxnCompare): etcdserverpb.Compare.$Properties {
  const key = toBytes(c.key);
  return 'absent' in c
    ? { key, target: CompareTarget.CREATE, result: CompareResult.EQUAL, createRevision: 0 }
    : { key, target: CompareTarget.MOD, result: CompareResult.EQUAL, modRevision: c.modRevision };
}

function describeTxn(req: TxnRequest): string {
  const keys = [...(req.puts ?? []).map((p) => p.key), ...(req.deletes ?? [])];
  const shown = keys.slice(0, 3).join(', ');
  return keys.length > 3 ? `${shown}, … ${keys.length} keys` : shown || 'no writes';
}

function summarize(attempts: Attempt[]): string {
  if (attempts.length === 0) return 'no endpoint (deadline reached first)';
  // The last error per endpoint, in the order first tried.
  const last = new Map<string, string>();
  for (const a of attempts) last.set(a.endpoint, a.error);
  return [...last].map(([ep, err]) => `${ep} (${err})`).join(', ');
}

function checkKey(key: string): void {
  if (key === '') throw new InvalidStoreRequestError('key is not provided');
}

function checkExpected(key: string, expected: number): void {
  if (!(Number.isInteger(expected) && expected > 0)) {
    throw new InvalidStoreRequestError(`key ${key}: expected mod revision must be a positive integer, got ${expected}`);
  }
}
