/**
 * The API client: Kubernetes' verbs over mkapi.Resources (proto/mkapi/api.proto) against a list of
 * API servers, with a deadline on every unary call and failover between servers.
 *
 * Failover rules (a write must never be applied twice):
 *  - a request that certainly never reached a server (the connection was refused or could not be
 *    made; HTTP/2 refused the stream) moves on to the next address, reads and writes alike;
 *  - a read that failed with UNAVAILABLE after it was sent (connection dropped, the server said
 *    it is unavailable) moves on too: reading twice is harmless;
 *  - a write that failed after it was sent surfaces: ServiceUnavailable or Timeout, with a message
 *    saying it may or may not have been applied (`mayHaveBeenApplied(e)` is true);
 *  - a Timeout after sending is never retried, read or write;
 *  - after every address failed once (a round), the client backs off before the next round.
 * The server that answered last stays the current one; requests start there.
 */
import * as grpc from '@grpc/grpc-js';
import { type ServiceClient, makeClientConstructor, mkapi, services, unaryCall } from '@mk/proto';
import { type Clock, type Logger, nullLogger, systemClock } from '@mk/shared';
import { fromGrpcError } from './grpc-status';
import type { MetricsList, NodeMetrics, PodMetrics } from './metrics';
import type { KubeObjectLike } from './object';
import { ApiError, STATUS_METADATA_KEY, type Status } from './status';

type ResourcesClient = ServiceClient<typeof services.mkapi.Resources>;
type DiscoveryClient = ServiceClient<typeof services.mkapi.Discovery>;
type PodsClient = ServiceClient<typeof services.mkapi.Pods>;
type MetricsClient = ServiceClient<typeof services.mkapi.Metrics>;
const ResourcesClientCtor = makeClientConstructor(services.mkapi.Resources);
const DiscoveryClientCtor = makeClientConstructor(services.mkapi.Discovery);
const PodsClientCtor = makeClientConstructor(services.mkapi.Pods);
const MetricsClientCtor = makeClientConstructor(services.mkapi.Metrics);

export interface RetryOptions {
  /** Full passes over the address list before giving up (default 3). */
  rounds?: number;
  /** Back-off before the second round; doubles each round (default 200 ms). */
  initialBackoffMs?: number;
  /** Cap of the back-off between rounds (default 2000 ms). */
  maxBackoffMs?: number;
}

export interface ApiClientOptions {
  /** API server addresses, `host:port` (no scheme). Requests start at the first. */
  servers: readonly string[];
  /** Deadline of every unary call, per attempt (default 10 000 ms). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Times the back-off between failover rounds (default: the system clock). */
  clock?: Clock;
  logger?: Logger;
  /** Extra grpc-js channel options (keepalive, message sizes, …), merged over the defaults. */
  channelOptions?: Partial<grpc.ChannelOptions>;
}

/** Per-call options of the unary verbs. */
export interface CallOptions {
  /** Overrides the client's deadline for this call. */
  timeoutMs?: number;
}

export interface ListOptions extends CallOptions {
  /** Empty or absent: all namespaces (and cluster-scoped resources). */
  namespace?: string;
  /** `app=web,tier!=db`, or a map of equalities. */
  labelSelector?: string | Readonly<Record<string, string>>;
  /** `spec.nodeName=n1`, or a map of equalities. */
  fieldSelector?: string | Readonly<Record<string, string>>;
  /** Page size; 0 or absent = everything. */
  limit?: number;
  continue?: string;
  /** "" (default) = the latest (a quorum read); "0" = whatever the server's cache has. */
  resourceVersion?: string;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
  /** Non-empty when more pages follow: pass it as `continue`. */
  continue: string;
  remainingItemCount?: number;
}

export interface WriteOptions extends CallOptions {
  dryRun?: boolean;
}

export interface CreateOptions extends WriteOptions {
  /** Defaults to the object's metadata.namespace. */
  namespace?: string;
}

export interface PatchOptions extends WriteOptions {
  /** "" (default) or "status". */
  subresource?: string;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  /** Absent: the object's own (a pod's terminationGracePeriodSeconds); 0 = now. */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string | Readonly<Record<string, string>>;
  fieldSelector?: string | Readonly<Record<string, string>>;
  /** Events after this version; "" or "0": the current state as ADDED events first. */
  resourceVersion?: string;
  allowBookmarks?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * One watch event. BOOKMARK carries an object of the watched kind with only
 * metadata.resourceVersion set; ERROR carries a Status (e.g. 410 Gone: relist).
 */
export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export interface WatchHandle {
  /** Ends the watch; `done` then resolves with undefined. Idempotent. */
  stop(): void;
  /**
   * Resolves when the watch is over: undefined when the server ended the stream or stop() was
   * called, else the error that ended it (never rejects).
   */
  readonly done: Promise<ApiError | undefined>;
}

/** An entry of `apiResources()` (kubectl api-resources). */
export interface APIResource {
  name: string;
  singularName: string;
  shortNames?: string[];
  namespaced: boolean;
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

export interface VersionInfo {
  gitVersion: string;
  platform: string;
  store: string;
}

/** `kubectl logs` options. */
export interface PodLogsOptions {
  /** Empty or absent: the pod's only container. */
  container?: string;
  /** Keep streaming until the container exits (or the caller stops iterating). */
  follow?: boolean;
  /** The log of the previous (terminated) run of the container. */
  previous?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  /** How long to wait for a connection to an API server (default: the client's deadline). */
  connectTimeoutMs?: number;
  /** Ends the stream (the iteration finishes normally), even while waiting for the next line. */
  signal?: AbortSignal;
}

/** `kubectl exec` options. */
export interface PodExecOptions {
  /** Empty or absent: the pod's only container. */
  container?: string;
  command: readonly string[];
  /** Open the command's stdin (`write`, `closeStdin`). */
  stdin?: boolean;
  tty?: boolean;
  connectTimeoutMs?: number;
}

/** One piece of an exec's output: 1 = stdout, 2 = stderr. */
export interface ExecOutputChunk {
  stream: 1 | 2;
  data: Buffer;
}

/** A running `exec`: iterate `output` to the end, then `exitCode` is known. */
export interface PodExecSession {
  /** Ends after the command's last output; throws the ApiError that ended the stream, if any. */
  readonly output: AsyncIterable<ExecOutputChunk>;
  /** Resolves once `output` has ended with the command's exit code; rejects like `output`. */
  readonly exitCode: Promise<number>;
  write(data: Uint8Array): void;
  /** The command reads end-of-file. */
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  /** Abandons the session (the output ends). */
  cancel(): void;
}

export interface PodMetricsOptions extends CallOptions {
  /** Empty or absent: every namespace. */
  namespace?: string;
  labelSelector?: string | Readonly<Record<string, string>>;
  /** Only this pod (needs `namespace`). */
  name?: string;
}

export interface NodeMetricsOptions extends CallOptions {
  labelSelector?: string | Readonly<Record<string, string>>;
  name?: string;
}

/** Errors of writes that reached a server but got no answer: the write may or may not have happened. */
const uncertainWrites = new WeakSet<ApiError>();

/**
 * True for the error of a write that was sent but whose outcome is unknown (the connection was
 * lost, or the deadline passed, before the answer): check with a read before trying again.
 */
export function mayHaveBeenApplied(e: unknown): boolean {
  return e instanceof ApiError && uncertainWrites.has(e);
}

/** `a=1,b=2` from a map; a string passes through. */
export function formatSelector(sel: string | Readonly<Record<string, string>> | undefined): string {
  if (sel === undefined) return '';
  if (typeof sel === 'string') return sel;
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * True when grpc-js failed the call before any byte of it reached a server: no connection could
 * be made (pick_first's "No connection established"), HTTP/2 refused the stream, or the deadline
 * passed while still waiting for a connection ("Waiting for LB pick"; a call that had a stream
 * reports `remote_addr=` instead). The client tests exercise these against real grpc-js.
 */
export function requestNeverSent(e: unknown): boolean {
  if (e === null || typeof e !== 'object') return false;
  const { code, details } = e as { code?: unknown; details?: unknown };
  if (serverAnswered(e)) return false;
  const d = typeof details === 'string' ? details : '';
  if (code === grpc.status.UNAVAILABLE) return d.startsWith('No connection established') || d.includes('Stream refused by server');
  if (code === grpc.status.DEADLINE_EXCEEDED) return !d.includes('remote_addr=') && (d.includes('Waiting for LB pick') || d.includes('waiting for name resolution'));
  return false;
}

/** True when a server answered the call with a Status of its own (the `mk-status` trailer). */
function serverAnswered(e: unknown): boolean {
  const md = e !== null && typeof e === 'object' ? (e as { metadata?: unknown }).metadata : undefined;
  return md instanceof grpc.Metadata && md.get(STATUS_METADATA_KEY).length > 0;
}

/**
 * True when the call died in transit rather than being answered: UNAVAILABLE without a Status
 * (connection reset or dropped), or CANCELLED without one (a server shutting down resets its
 * streams; this client never cancels a unary call, and ignores what follows its own stop()).
 */
function connectionLost(e: unknown): boolean {
  const code = grpcCode(e);
  return (code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED) && !serverAnswered(e);
}

/** The ApiError for a failed call; a lost connection is ServiceUnavailable whatever its gRPC code. */
function callError(e: unknown, address: string): ApiError {
  if (!connectionLost(e)) return fromGrpcError(e, address);
  const details = (e as { details?: unknown }).details;
  return ApiError.unavailable(`the API server at ${address} is unavailable${typeof details === 'string' && details ? `: ${details}` : ''}`);
}

function grpcCode(e: unknown): number | undefined {
  const code = e !== null && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A gRPC stream's messages as an async iterable that listens from the moment it is made (an
 * error is kept until read), pausing the stream while `highWater` messages wait unread.
 */
function bufferedStream<T>(stream: NodeJS.ReadableStream, highWater = 64): AsyncIterable<T> {
  const queue: T[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };
  stream.on('data', (m: T) => {
    queue.push(m);
    if (queue.length >= highWater) stream.pause();
    poke();
  });
  stream.on('error', (error: unknown) => {
    failure ??= { error };
    poke();
  });
  stream.on('end', () => {
    ended = true;
    poke();
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const m = queue.shift();
        if (m !== undefined) {
          if (queue.length < highWater / 2) stream.resume();
          yield m;
          continue;
        }
        if (failure) throw failure.error;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function decodeJson<T>(bytes: Uint8Array, what: string, server: string): T {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (e) {
    throw ApiError.internal(`the API server at ${server} answered ${what} with invalid JSON: ${(e as Error).message}`);
  }
}

interface Connection {
  readonly address: string;
  readonly resources: ResourcesClient;
  readonly discovery: DiscoveryClient;
  readonly pods: PodsClient;
  readonly metrics: MetricsClient;
}

type Kind = 'read' | 'write';

const DEFAULT_CHANNEL_OPTIONS: Partial<grpc.ChannelOptions> = {
  // Watches are long-lived: pings find a server that vanished without closing its socket (a
  // powered-off or partitioned node) within 15 s, and the watch moves to another server.
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // A restarted server is tried again soon (the failover loop skips it meanwhile).
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 5_000,
  // Lists of many objects are large.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

/**
 * A typed client of the API servers. Resources are named by their plural, as the server does
 * ("pods", "deployments"); `resource<T>(plural)` gives a thin typed handle.
 *
 *   const client = new ApiClient({ servers: ['10.0.0.1:6443', '10.0.0.2:6443'] });
 *   const pod = await client.resource<Pod>('pods').namespace('default').get('web');
 */
export class ApiClient {
  readonly servers: readonly string[];
  private readonly timeoutMs: number;
  private readonly rounds: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly channelOptions: Partial<grpc.ChannelOptions>;
  private readonly connections = new Map<number, Connection>();
  private current = 0;
  private closed = false;

  constructor(options: ApiClientOptions) {
    if (options.servers.length === 0) throw new RangeError('ApiClient needs at least one API server address');
    for (const s of options.servers) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new RangeError(`API server address "${s}": use host:port without a scheme`);
    }
    this.servers = [...options.servers];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.rounds = Math.max(1, options.retry?.rounds ?? 3);
    this.initialBackoffMs = options.retry?.initialBackoffMs ?? 200;
    this.maxBackoffMs = options.retry?.maxBackoffMs ?? 2_000;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? nullLogger;
    this.channelOptions = { ...DEFAULT_CHANNEL_OPTIONS, ...options.channelOptions };
  }

  /** The address requests go to first. */
  get currentServer(): string {
    return this.servers[this.current] ?? '';
  }

  /** A typed handle on one resource (plural name), for all namespaces until `.namespace(ns)`. */
  resource<T extends KubeObjectLike>(resource: string): ResourceClient<T> {
    return new ResourceClient<T>(this, resource, '');
  }

  async get<T extends KubeObjectLike>(resource: string, namespace: string, name: string, opts: CallOptions = {}): Promise<T> {
    return this.objectCall<T>('read', `get ${resource} ${name}`, opts, (c, o) => unaryCall(c.resources.Get.bind(c.resources), { resource, namespace, name }, o));
  }

  async list<T extends KubeObjectLike>(resource: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const request: mkapi.ListRequest.$Properties = {
      resource,
      namespace: opts.namespace ?? '',
      labelSelector: formatSelector(opts.labelSelector),
      fieldSelector: formatSelector(opts.fieldSelector),
      limit: opts.limit ?? 0,
      continue: opts.continue ?? '',
      resourceVersion: opts.resourceVersion ?? '',
    };
    return this.call('read', `list ${resource}`, opts, async (c, o) => {
      const res = await unaryCall(c.resources.List.bind(c.resources), request, o);
      const list: ObjectList<T> = {
        items: res.items.map((b) => decodeJson<T>(b, `list ${resource}`, c.address)),
        resourceVersion: res.resourceVersion,
        continue: res.continue,
      };
      if (res.remainingItemCount > 0) list.remainingItemCount = res.remainingItemCount;
      return list;
    });
  }

  /**
   * Every page of a list (pages of `limit`, default 500). When a continue token has expired (410),
   * starts over with one unpaged list, as client-go's pager does.
   */
  async listAll<T extends KubeObjectLike>(resource: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const limit = opts.limit ?? 500;
    const items: T[] = [];
    let page = await this.list<T>(resource, { ...opts, limit });
    items.push(...page.items);
    while (page.continue !== '') {
      try {
        page = await this.list<T>(resource, { ...opts, limit, continue: page.continue, resourceVersion: '' });
      } catch (e) {
        if (!(e instanceof ApiError && (e.reason === 'Expired' || e.reason === 'Gone'))) throw e;
        return this.list<T>(resource, { ...opts, limit: 0, continue: '' });
      }
      items.push(...page.items);
    }
    return { items, resourceVersion: page.resourceVersion, continue: '' };
  }

  async create<T extends KubeObjectLike>(resource: string, obj: T, opts: CreateOptions = {}): Promise<T> {
    const namespace = opts.namespace ?? obj.metadata.namespace ?? '';
    const json = encoder.encode(JSON.stringify(obj));
    return this.objectCall<T>('write', `create ${resource}`, opts, (c, o) =>
      unaryCall(c.resources.Create.bind(c.resources), { resource, namespace, json, dryRun: opts.dryRun ?? false }, o),
    );
  }

  /** Replaces the object (everything but status); metadata.resourceVersion makes it conditional. */
  async update<T extends KubeObjectLike>(resource: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(resource, obj, '', opts);
  }

  /** Replaces the object's status (the status subresource). */
  async updateStatus<T extends KubeObjectLike>(resource: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(resource, obj, 'status', opts);
  }

  private async updateSubresource<T extends KubeObjectLike>(resource: string, obj: T, subresource: string, opts: WriteOptions): Promise<T> {
    const name = obj.metadata.name;
    if (!name) throw ApiError.badRequest(`update ${resource}: the object has no metadata.name`);
    const request = { resource, namespace: obj.metadata.namespace ?? '', name, subresource, json: encoder.encode(JSON.stringify(obj)), dryRun: opts.dryRun ?? false };
    return this.objectCall<T>('write', `update ${resource} ${name}`, opts, (c, o) => unaryCall(c.resources.Update.bind(c.resources), request, o));
  }

  /** An RFC 7386 JSON merge patch (null deletes a field). */
  async patch<T extends KubeObjectLike>(resource: string, namespace: string, name: string, patch: unknown, opts: PatchOptions = {}): Promise<T> {
    const request = {
      resource,
      namespace,
      name,
      subresource: opts.subresource ?? '',
      patchType: 'merge',
      patch: encoder.encode(JSON.stringify(patch)),
      dryRun: opts.dryRun ?? false,
    };
    return this.objectCall<T>('write', `patch ${resource} ${name}`, opts, (c, o) => unaryCall(c.resources.Patch.bind(c.resources), request, o));
  }

  /** Deletes; answers the object as it is after the call (gone, or marked for deletion). */
  async delete<T extends KubeObjectLike>(resource: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<T> {
    const request = {
      resource,
      namespace,
      name,
      propagationPolicy: opts.propagationPolicy ?? '',
      gracePeriodSeconds: opts.gracePeriodSeconds ?? -1,
      preconditionUid: opts.preconditions?.uid ?? '',
      preconditionResourceVersion: opts.preconditions?.resourceVersion ?? '',
      dryRun: opts.dryRun ?? false,
    };
    return this.objectCall<T>('write', `delete ${resource} ${name}`, opts, (c, o) => unaryCall(c.resources.Delete.bind(c.resources), request, o));
  }

  /** The pods/binding subresource: puts a pending pod on `nodeName` (only the pod with `uid`, if given). */
  async bind<T extends KubeObjectLike = KubeObjectLike>(namespace: string, name: string, nodeName: string, uid?: string, opts: CallOptions = {}): Promise<T> {
    const request = { namespace, name, nodeName, uid: uid ?? '' };
    return this.objectCall<T>('write', `bind pod ${name}`, opts, (c, o) => unaryCall(c.resources.Bind.bind(c.resources), request, o));
  }

  async version(opts: CallOptions = {}): Promise<VersionInfo> {
    return this.call('read', 'version', opts, async (c, o) => {
      const v = await unaryCall(c.discovery.Version.bind(c.discovery), {}, o);
      return { gitVersion: v.gitVersion, platform: v.platform, store: v.store };
    });
  }

  async apiResources(opts: CallOptions = {}): Promise<APIResource[]> {
    return this.call('read', 'api-resources', opts, async (c, o) => {
      const res = await unaryCall(c.discovery.APIResources.bind(c.discovery), {}, o);
      return decodeJson<APIResource[]>(res.json, 'api-resources', c.address);
    });
  }

  /**
   * Watches a resource; `handler` gets every event in order. A watch that cannot start (no server
   * reachable, or the stream failed before its first event) fails over like a read; once events
   * have flowed, the end of the stream is reported through `done` and the caller resumes from the
   * last resourceVersion it saw (an Informer does this).
   */
  watch<T extends KubeObjectLike>(resource: string, opts: WatchOptions, handler: (event: WatchEvent<T>) => void): WatchHandle {
    const request: mkapi.WatchRequest.$Properties = {
      resource,
      namespace: opts.namespace ?? '',
      labelSelector: formatSelector(opts.labelSelector),
      fieldSelector: formatSelector(opts.fieldSelector),
      resourceVersion: opts.resourceVersion ?? '',
      allowBookmarks: opts.allowBookmarks ?? false,
    };
    let stopped = false;
    let stream: grpc.ClientReadableStream<mkapi.WatchEvent> | undefined;
    let cancelBackoff: (() => void) | undefined;
    let finish!: (e: ApiError | undefined) => void;
    const done = new Promise<ApiError | undefined>((resolve) => {
      finish = (e) => {
        if (stopped && e !== undefined) e = undefined;
        resolve(e);
      };
    });

    const attempt = (round: number, tried: number, index: number): void => {
      if (stopped) return;
      let c: Connection;
      try {
        c = this.connection(index);
      } catch (e) {
        return finish(e as ApiError);
      }
      let delivered = false;
      let settled = false;
      const settle = (err: unknown): void => {
        if (settled) return;
        settled = true;
        if (stopped) return finish(undefined);
        if (err === undefined) return finish(undefined);
        const apiErr = callError(err, c.address);
        const failover = !delivered && (requestNeverSent(err) || connectionLost(err) || grpcCode(err) === grpc.status.UNAVAILABLE);
        if (!failover) return finish(apiErr);
        const next = this.failedOver(index, apiErr);
        if (tried + 1 < this.servers.length) return attempt(round, tried + 1, next);
        if (round + 1 >= this.rounds) return finish(this.exhausted(apiErr));
        cancelBackoff = this.clock.setTimer(this.backoff(round), () => attempt(round + 1, 0, this.current));
      };
      const open = (): void => {
        if (stopped || settled) return;
        const s = c.resources.Watch(request);
        stream = s;
        s.on('data', (ev: mkapi.WatchEvent) => {
          if (settled || stopped) return;
          let event: WatchEvent<T>;
          try {
            event = this.decodeWatchEvent<T>(ev, resource, c.address);
          } catch (e) {
            settled = true;
            s.cancel();
            return finish(e as ApiError);
          }
          delivered = true;
          this.noteAnswered(index);
          try {
            handler(event);
          } catch (e) {
            this.logger.error('watch handler threw', { resource, error: (e as Error).message });
          }
        });
        s.on('error', (e: unknown) => settle(e));
        s.on('end', () => settle(undefined));
      };
      // A watch has no deadline, so on a channel still connecting it would wait as long as the
      // connection attempt: to a server that vanished (a powered-off node) that is the kernel's
      // two minutes of SYN retries. Connect first, within the request timeout, or move on as
      // for a request never sent.
      const channel = c.resources.getChannel();
      const deadline = Date.now() + this.timeoutMs;
      const notConnected = (why: string) => settle(Object.assign(new Error(why), { code: grpc.status.UNAVAILABLE, details: `No connection established: ${why}` }));
      const whenConnected = (): void => {
        if (stopped || settled) return;
        const state = channel.getConnectivityState(true);
        if (state === grpc.connectivityState.READY) return open();
        // A refused or unreachable server fails at once, as a call would.
        if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) return open();
        if (Date.now() >= deadline) return notConnected(`still connecting after ${this.timeoutMs} ms`);
        channel.watchConnectivityState(state, deadline, () => whenConnected());
      };
      whenConnected();
    };
    attempt(0, 0, this.current);

    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        cancelBackoff?.();
        stream?.cancel();
        finish(undefined);
      },
      done,
    };
  }

  /**
   * A container's log (`kubectl logs`), chunk by chunk (whole lines). Stopping the iteration
   * cancels the call (and the kubelet's follow). The stream goes to one API server, chosen by
   * connecting (failover as for a request that was never sent); once open it is never re-sent.
   */
  async *podLogs(namespace: string, name: string, opts: PodLogsOptions = {}): AsyncGenerator<Buffer, void, undefined> {
    const request: mkapi.PodLogsRequest.$Properties = {
      namespace,
      name,
      container: opts.container ?? '',
      follow: opts.follow ?? false,
      previous: opts.previous ?? false,
      ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
      sinceSeconds: opts.sinceSeconds ?? 0,
      timestamps: opts.timestamps ?? false,
    };
    if (opts.signal?.aborted) return;
    const c = await this.connectForStream(opts.connectTimeoutMs ?? this.timeoutMs);
    if (opts.signal?.aborted) return;
    const stream = c.pods.Logs(request);
    const abort = (): void => stream.cancel();
    opts.signal?.addEventListener('abort', abort);
    try {
      for await (const chunk of stream as AsyncIterable<mkapi.LogChunk>) yield Buffer.from(chunk.data);
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw callError(e, c.address);
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      stream.cancel();
    }
  }

  /** Starts a command in a container (`kubectl exec`); see PodExecSession. Never re-sent once open. */
  async podExec(namespace: string, name: string, opts: PodExecOptions): Promise<PodExecSession> {
    const c = await this.connectForStream(opts.connectTimeoutMs ?? this.timeoutMs);
    const call = c.pods.Exec();
    // Listening from the start: an error that comes before the caller reads `output` is kept.
    const messages = bufferedStream<mkapi.ExecOutput>(call);
    call.write({ start: { namespace, name, container: opts.container ?? '', command: [...opts.command], stdin: opts.stdin ?? false, tty: opts.tty ?? false } });
    let exit: number | undefined;
    let settle!: { resolve: (code: number) => void; reject: (e: unknown) => void };
    const exitCode = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
    exitCode.catch(() => undefined); // reported through `output` too
    let inputOpen = true;
    let cancelled = false;
    async function* output(): AsyncGenerator<ExecOutputChunk, void, undefined> {
      try {
        for await (const m of messages) {
          if (m.output === 'stdout') yield { stream: 1, data: Buffer.from(m.stdout ?? []) };
          else if (m.output === 'stderr') yield { stream: 2, data: Buffer.from(m.stderr ?? []) };
          else if (m.output === 'exit') exit = m.exit?.code ?? 0;
        }
      } catch (e) {
        const err = cancelled ? ApiError.of('Unknown', 'the exec session was cancelled') : callError(e, c.address);
        settle.reject(err);
        throw err;
      } finally {
        call.cancel();
      }
      if (exit === undefined) {
        const err = ApiError.internal(`the API server at ${c.address} ended the exec stream without an exit code`);
        settle.reject(err);
        throw err;
      }
      settle.resolve(exit);
    }
    const send = (m: mkapi.ExecInput.$Properties): void => {
      if (inputOpen) call.write(m);
    };
    return {
      output: output(),
      exitCode,
      write: (data) => send({ stdin: data }),
      closeStdin: () => {
        send({ closeStdin: true });
        if (inputOpen) call.end();
        inputOpen = false;
      },
      resize: (rows, cols) => send({ resize: { rows, cols } }),
      cancel: () => {
        cancelled = true;
        inputOpen = false;
        call.cancel();
      },
    };
  }

  /** metrics.k8s.io PodMetrics of the pods asked for (`kubectl top pods`). */
  async podMetrics(opts: PodMetricsOptions = {}): Promise<MetricsList<PodMetrics>> {
    const request = { namespace: opts.namespace ?? '', labelSelector: formatSelector(opts.labelSelector), name: opts.name ?? '' };
    return this.call('read', 'pod metrics', opts, async (c, o) => {
      const res = await unaryCall(c.metrics.PodMetrics.bind(c.metrics), request, o);
      return decodeJson<MetricsList<PodMetrics>>(res.json, 'pod metrics', c.address);
    });
  }

  /** metrics.k8s.io NodeMetrics (`kubectl top nodes`). */
  async nodeMetrics(opts: NodeMetricsOptions = {}): Promise<MetricsList<NodeMetrics>> {
    const request = { labelSelector: formatSelector(opts.labelSelector), name: opts.name ?? '' };
    return this.call('read', 'node metrics', opts, async (c, o) => {
      const res = await unaryCall(c.metrics.NodeMetrics.bind(c.metrics), request, o);
      return decodeJson<MetricsList<NodeMetrics>>(res.json, 'node metrics', c.address);
    });
  }

  /**
   * The connection a stream goes over: the first server (from the current one) that connects
   * within `timeoutMs`, with the rounds and back-off of unary calls. Connecting first is what lets
   * a stream fail over without ever being sent twice.
   */
  private async connectForStream(timeoutMs: number): Promise<Connection> {
    let last: ApiError | undefined;
    for (let round = 0; round < this.rounds; round++) {
      if (round > 0) await this.sleep(this.backoff(round - 1));
      let index = this.current;
      for (let tried = 0; tried < this.servers.length; tried++) {
        const c = this.connection(index);
        try {
          await new Promise<void>((resolve, reject) => c.pods.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
          this.noteAnswered(index);
          return c;
        } catch (e) {
          last = ApiError.unavailable(`the API server at ${c.address} is unavailable: ${(e as Error).message}`);
          index = this.failedOver(index, last);
        }
      }
    }
    throw this.exhausted(last);
  }

  private decodeWatchEvent<T>(ev: mkapi.WatchEvent, resource: string, server: string): WatchEvent<T> {
    const object = decodeJson<unknown>(ev.object, `watch ${resource}`, server);
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
      case 'BOOKMARK':
        return { type: ev.type, object: object as T };
      case 'ERROR': {
        const o = (object ?? {}) as Partial<Status>;
        const status: Status = {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: typeof o.message === 'string' ? o.message : 'watch error',
          reason: o.reason ?? (o.code === 410 ? 'Gone' : 'InternalError'),
          code: typeof o.code === 'number' ? o.code : 500,
          ...(o.details ? { details: o.details } : {}),
        };
        return { type: 'ERROR', object: status };
      }
      default:
        throw ApiError.internal(`the API server at ${server} sent a watch event of unknown type "${ev.type}"`);
    }
  }

  /** Closes every connection; later calls fail. */
  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) {
      c.resources.close();
      c.discovery.close();
      c.pods.close();
      c.metrics.close();
    }
    this.connections.clear();
  }

  // ---- the failover loop ----

  private connection(index: number): Connection {
    if (this.closed) throw ApiError.internal('the API client is closed');
    let c = this.connections.get(index);
    if (!c) {
      const address = this.servers[index]!;
      const creds = grpc.credentials.createInsecure();
      const resources = new ResourcesClientCtor(address, creds, this.channelOptions);
      // One channel (one HTTP/2 connection) per server for both services.
      const shared = { ...this.channelOptions, channelOverride: resources.getChannel() };
      const discovery = new DiscoveryClientCtor(address, creds, shared);
      const pods = new PodsClientCtor(address, creds, shared);
      const metrics = new MetricsClientCtor(address, creds, shared);
      c = { address, resources, discovery, pods, metrics };
      this.connections.set(index, c);
    }
    return c;
  }

  private async objectCall<T>(
    kind: Kind,
    what: string,
    opts: CallOptions,
    fn: (c: Connection, o: { callOptions: Partial<grpc.CallOptions> }) => Promise<mkapi.Object>,
  ): Promise<T> {
    return this.call(kind, what, opts, async (c, o) => decodeJson<T>((await fn(c, o)).json, what, c.address));
  }

  private async call<R>(kind: Kind, what: string, opts: CallOptions, fn: (c: Connection, o: { callOptions: Partial<grpc.CallOptions> }) => Promise<R>): Promise<R> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    let last: ApiError | undefined;
    for (let round = 0; round < this.rounds; round++) {
      if (round > 0) await this.sleep(this.backoff(round - 1));
      let index = this.current;
      for (let tried = 0; tried < this.servers.length; tried++) {
        const c = this.connection(index);
        try {
          const result = await fn(c, { callOptions: { deadline: Date.now() + timeoutMs } });
          this.noteAnswered(index);
          return result;
        } catch (e) {
          if (e instanceof ApiError) throw e; // ours (bad JSON): the server answered
          const code = grpcCode(e);
          const apiErr = callError(e, c.address);
          const neverSent = requestNeverSent(e);
          if (!neverSent && code === grpc.status.DEADLINE_EXCEEDED) {
            // Not retried (a write may have been applied; a read has used its time), but the next
            // call goes elsewhere: a server that vanished without closing its connections (a
            // powered-off node) would otherwise take every call's whole deadline until keepalive
            // gives up on the connection.
            this.failedOver(index, ApiError.timeout(`no answer within ${timeoutMs} ms`));
            throw this.uncertain(
              kind,
              ApiError.timeout(
                `the API server at ${c.address} did not answer ${what} within ${timeoutMs} ms` +
                  (kind === 'write' ? '; the request may or may not have been applied' : ''),
              ),
            );
          }
          const retry = neverSent || (kind === 'read' && (connectionLost(e) || code === grpc.status.UNAVAILABLE));
          if (!retry) {
            if (kind === 'write' && connectionLost(e)) {
              throw this.uncertain(
                kind,
                ApiError.unavailable(`the connection to the API server at ${c.address} was lost during ${what}; the request may or may not have been applied (${apiErr.message})`),
              );
            }
            throw apiErr;
          }
          last = apiErr;
          index = this.failedOver(index, apiErr);
        }
      }
    }
    throw this.exhausted(last);
  }

  private uncertain(kind: Kind, e: ApiError): ApiError {
    if (kind === 'write') uncertainWrites.add(e);
    return e;
  }

  private exhausted(last: ApiError | undefined): ApiError {
    const list = this.servers.join(', ');
    return ApiError.unavailable(`no API server answered (${list})${last ? `; last error: ${last.message}` : ''}`);
  }

  /** Marks `index` as failed; returns the next index to try (and makes it current). */
  private failedOver(index: number, err: ApiError): number {
    const next = (index + 1) % this.servers.length;
    if (this.current === index && next !== index) {
      this.current = next;
      this.logger.warn('API server unavailable; switching', { from: this.servers[index], to: this.servers[next], error: err.message });
    }
    return next;
  }

  private noteAnswered(index: number): void {
    this.current = index;
  }

  private backoff(round: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** round);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }
}

/**
 * A thin typed handle on one resource, optionally bound to a namespace:
 * `client.resource<Pod>('pods').namespace('default').get('web')`. An unbound handle lists and
 * watches all namespaces and addresses cluster-scoped objects.
 */
export class ResourceClient<T extends KubeObjectLike> {
  constructor(
    readonly client: ApiClient,
    readonly resource: string,
    /** "" = all namespaces / cluster-scoped. */
    readonly ns: string,
  ) {}

  namespace(ns: string): ResourceClient<T> {
    return new ResourceClient<T>(this.client, this.resource, ns);
  }

  get(name: string, opts?: CallOptions): Promise<T> {
    return this.client.get<T>(this.resource, this.ns, name, opts);
  }
  list(opts: Omit<ListOptions, 'namespace'> = {}): Promise<ObjectList<T>> {
    return this.client.list<T>(this.resource, { ...opts, namespace: this.ns });
  }
  listAll(opts: Omit<ListOptions, 'namespace'> = {}): Promise<ObjectList<T>> {
    return this.client.listAll<T>(this.resource, { ...opts, namespace: this.ns });
  }
  create(obj: T, opts: Omit<CreateOptions, 'namespace'> = {}): Promise<T> {
    return this.client.create<T>(this.resource, obj, this.ns ? { ...opts, namespace: this.ns } : opts);
  }
  update(obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.update<T>(this.resource, this.withNamespace(obj), opts);
  }
  updateStatus(obj: T, opts?: WriteOptions): Promise<T> {
    return this.client.updateStatus<T>(this.resource, this.withNamespace(obj), opts);
  }
  patch(name: string, patch: unknown, opts?: PatchOptions): Promise<T> {
    return this.client.patch<T>(this.resource, this.ns, name, patch, opts);
  }
  delete(name: string, opts?: DeleteOptions): Promise<T> {
    return this.client.delete<T>(this.resource, this.ns, name, opts);
  }
  watch(opts: Omit<WatchOptions, 'namespace'>, handler: (event: WatchEvent<T>) => void): WatchHandle {
    return this.client.watch<T>(this.resource, { ...opts, namespace: this.ns }, handler);
  }

  private withNamespace(obj: T): T {
    return this.ns && !obj.metadata.namespace ? { ...obj, metadata: { ...obj.metadata, namespace: this.ns } } : obj;
  }
}
