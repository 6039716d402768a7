/**
 * An in-memory stand-in for the API servers, enough for mkctl's tests: objects per resource,
 * resourceVersions from one counter, uid and creationTimestamp on create, Kubernetes' defaults
 * and validation (from @mk/api, as the real server applies them), label and field selectors,
 * merge patches, watches driven by the test (`emit`), and injected failures.
 */
import {
  type AnyObject,
  applyDefaults,
  applyMergePatch,
  assertValid,
  type KubeObject,
  objectFields,
  parseFieldSelector,
  parseSelector,
  qualifiedResource,
  resourceByPlural,
  resources,
  validateObject,
  ValidationError,
  withGeneratedJobSelector,
  type Job,
} from '@mk/api';
import {
  type APIResource,
  ApiError,
  type CreateOptions,
  type DeleteOptions,
  formatSelector,
  type ListOptions,
  type MetricsList,
  type NodeMetrics,
  type NodeMetricsOptions,
  type ObjectList,
  type PatchOptions,
  type PodExecOptions,
  type PodExecSession,
  type PodLogsOptions,
  type PodMetrics,
  type PodMetricsOptions,
  type VersionInfo,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
  type WriteOptions,
} from '@mk/client';
import type { MkClient } from '../context';

export interface FakeCall {
  method: string;
  resource?: string;
  namespace?: string;
  name?: string;
  body?: unknown;
  opts?: unknown;
}

interface Watcher {
  resource: string;
  opts: WatchOptions;
  handler: (event: WatchEvent<KubeObject>) => void;
  stop: () => void;
}

const clone = <T>(v: T): T => structuredClone(v);

export interface FakeClientOptions {
  /** The time stamped on created objects (ms since the epoch). */
  now?: () => number;
  /** Apply Kubernetes' defaults and validation on writes, as the API server does (default true). */
  serverSide?: boolean;
}

export class FakeClient implements MkClient {
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private rv = 100;
  private uids = 0;
  readonly calls: FakeCall[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures: { method: string; resource?: string; error: unknown; times: number }[] = [];
  private readonly now: () => number;
  private readonly serverSide: boolean;
  serverVersion: VersionInfo = { gitVersion: 'v0.1.0', platform: 'linux/amd64', store: 'mk-store' };
  /** Log lines per "namespace/name" for podLogs (each chunk one line); absent: NotFound. */
  readonly logs = new Map<string, string[]>();
  /** What an exec answers: output (stdin echoed after it when `echoStdin`) and exit code. */
  execAnswer: { stdout?: string; stderr?: string; exitCode: number; echoStdin?: boolean } = { exitCode: 0, echoStdin: true };
  /** A follow (podLogs -f) lasts until the caller aborts, as if the container never exited. */
  followUntilAborted = false;
  /** The stdin each exec got, in order. */
  readonly execStdin: string[] = [];
  /** How often an exec session was resized. */
  execResizes = 0;
  podMetricsList: MetricsList<PodMetrics> = { kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items: [], unreachableNodes: [] };
  nodeMetricsList: MetricsList<NodeMetrics> = { kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', items: [], unreachableNodes: [] };

  constructor(opts: FakeClientOptions = {}) {
    this.now = opts.now ?? (() => Date.parse('2024-05-01T12:00:00Z'));
    this.serverSide = opts.serverSide ?? true;
  }

  // ---- test helpers ----

  /** Stores objects as they are (no defaults); fills uid and resourceVersion when absent. */
  add(...objs: KubeObject[]): this {
    for (const o of objs) {
      const r = this.info(o);
      const obj = clone(o);
      obj.metadata.uid ??= `uid-${++this.uids}`;
      obj.metadata.resourceVersion ??= String(++this.rv);
      if (r.namespaced) obj.metadata.namespace ??= 'default';
      this.bucket(r.resource).set(this.key(obj.metadata.namespace, obj.metadata.name ?? ''), obj);
    }
    return this;
  }

  /** The stored object, or undefined. */
  stored(resource: string, namespace: string, name: string): KubeObject | undefined {
    const o = this.bucket(resource).get(this.key(namespace, name));
    return o ? clone(o) : undefined;
  }

  /** Makes the next `times` calls of `method` (on `resource`, if given) fail with `error`. */
  fail(method: string, error: unknown, opts: { resource?: string; times?: number } = {}): this {
    this.failures.push({ method, error, times: opts.times ?? 1, ...(opts.resource ? { resource: opts.resource } : {}) });
    return this;
  }

  /** Delivers a watch event to every matching watcher. */
  emit(resource: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    for (const w of this.watchers) {
      if (w.resource !== resource) continue;
      if (w.opts.namespace && w.opts.namespace !== obj.metadata.namespace) continue;
      if (!this.matches(obj, w.opts)) continue;
      w.handler({ type, object: clone(obj) });
    }
  }

  /** Delivers any event (ERROR, BOOKMARK, ...) to every watcher of `resource`. */
  emitEvent(resource: string, event: WatchEvent<KubeObject>): void {
    for (const w of this.watchers) if (w.resource === resource) w.handler(structuredClone(event));
  }

  /** Ends every watch as the server would when it goes away. */
  endWatches(): void {
    for (const w of [...this.watchers]) w.stop();
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  // ---- MkClient ----

  async get(resource: string, namespace: string, name: string): Promise<KubeObject> {
    this.record({ method: 'get', resource, namespace, name });
    const o = this.bucket(resource).get(this.key(this.nsFor(resource, namespace), name));
    if (!o) throw this.notFound(resource, name);
    return clone(o);
  }

  async listAll(resource: string, opts: ListOptions = {}): Promise<ObjectList<KubeObject>> {
    this.record({ method: 'list', resource, namespace: opts.namespace ?? '', opts });
    this.requireResource(resource);
    const items = [...this.bucket(resource).values()]
      .filter((o) => !opts.namespace || o.metadata.namespace === opts.namespace)
      .filter((o) => this.matches(o, opts))
      .sort((a, b) => this.key(a.metadata.namespace, a.metadata.name ?? '').localeCompare(this.key(b.metadata.namespace, b.metadata.name ?? '')));
    return { items: items.map(clone), resourceVersion: String(this.rv), continue: '' };
  }

  async create(resource: string, obj: KubeObject, opts: CreateOptions = {}): Promise<KubeObject> {
    this.record({ method: 'create', resource, namespace: opts.namespace ?? obj.metadata.namespace ?? '', name: obj.metadata.name ?? '', body: clone(obj) });
    const r = this.requireResource(resource);
    let o = clone(obj);
    if (r.namespaced) o.metadata.namespace = opts.namespace || o.metadata.namespace || 'default';
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${(++this.uids).toString(36).padStart(5, 'x')}`;
    const name = o.metadata.name ?? '';
    const key = this.key(o.metadata.namespace, name);
    o.metadata.uid = `uid-${++this.uids}`;
    o.metadata.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    o.metadata.generation = 1;
    if (o.kind === 'Job') o = withGeneratedJobSelector(o as Job);
    o = this.serverPrepare(o);
    if (this.bucket(resource).has(key)) throw ApiError.alreadyExists(qualifiedResource(r), name);
    o.metadata.resourceVersion = String(++this.rv);
    this.bucket(resource).set(key, o);
    return clone(o);
  }

  async update(resource: string, obj: KubeObject, _opts: WriteOptions = {}): Promise<KubeObject> {
    this.record({ method: 'update', resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '', body: clone(obj) });
    const r = this.requireResource(resource);
    const key = this.key(this.nsFor(resource, obj.metadata.namespace ?? ''), obj.metadata.name ?? '');
    const old = this.bucket(resource).get(key);
    if (!old) throw this.notFound(resource, obj.metadata.name ?? '');
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) throw ApiError.conflict(qualifiedResource(r), obj.metadata.name ?? '');
    return this.replace(resource, key, old, clone(obj));
  }

  async patch(resource: string, namespace: string, name: string, patch: unknown, _opts: PatchOptions = {}): Promise<KubeObject> {
    this.record({ method: 'patch', resource, namespace, name, body: clone(patch) });
    const key = this.key(this.nsFor(resource, namespace), name);
    const old = this.bucket(resource).get(key);
    if (!old) throw this.notFound(resource, name);
    const patched = applyMergePatch(old, patch) as KubeObject;
    return this.replace(resource, key, old, patched);
  }

  async delete(resource: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<KubeObject> {
    this.record({ method: 'delete', resource, namespace, name, opts });
    const key = this.key(this.nsFor(resource, namespace), name);
    const old = this.bucket(resource).get(key);
    if (!old) throw this.notFound(resource, name);
    this.bucket(resource).delete(key);
    return clone(old);
  }

  watch(resource: string, opts: WatchOptions, handler: (event: WatchEvent<KubeObject>) => void): WatchHandle {
    this.record({ method: 'watch', resource, namespace: opts.namespace ?? '', opts });
    let resolve!: (e: ApiError | undefined) => void;
    const done = new Promise<ApiError | undefined>((r) => (resolve = r));
    const w: Watcher = {
      resource,
      opts,
      handler,
      stop: () => {
        if (this.watchers.delete(w)) resolve(undefined);
      },
    };
    this.watchers.add(w);
    return { stop: () => w.stop(), done };
  }

  async version(): Promise<VersionInfo> {
    this.record({ method: 'version' });
    return { ...this.serverVersion };
  }

  async apiResources(): Promise<APIResource[]> {
    this.record({ method: 'apiResources' });
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    return resources.map((r) => ({ name: r.resource, singularName: r.singular, shortNames: [...r.shortNames], namespaced: r.namespaced, kind: r.kind, group: r.group, version: r.version, verbs }));
  }

  async *podLogs(namespace: string, name: string, opts: PodLogsOptions = {}): AsyncGenerator<Buffer> {
    const { signal, ...recorded } = opts;
    this.record({ method: 'podLogs', resource: 'pods', namespace, name, opts: recorded });
    const lines = this.logs.get(`${namespace}/${name}`);
    if (lines === undefined) throw this.notFound('pods', name);
    const from = opts.tailLines === undefined ? 0 : Math.max(0, lines.length - opts.tailLines);
    for (const line of lines.slice(from)) yield Buffer.from(`${line}\n`);
    if (opts.follow && this.followUntilAborted && signal && !signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve));
  }

  async podExec(namespace: string, name: string, opts: PodExecOptions): Promise<PodExecSession> {
    this.record({ method: 'podExec', resource: 'pods', namespace, name, opts });
    if (!this.bucket('pods').has(this.key(namespace, name))) throw this.notFound('pods', name);
    const answer = this.execAnswer;
    let stdin = '';
    let closeInput!: () => void;
    const inputClosed = new Promise<void>((resolve) => (closeInput = resolve));
    if (!opts.stdin) closeInput();
    const record = this.execStdin;
    async function* output() {
      await inputClosed;
      record.push(stdin);
      if (answer.stdout) yield { stream: 1 as const, data: Buffer.from(answer.stdout) };
      if (answer.echoStdin && stdin) yield { stream: 1 as const, data: Buffer.from(stdin) };
      if (answer.stderr) yield { stream: 2 as const, data: Buffer.from(answer.stderr) };
    }
    return {
      output: output(),
      exitCode: inputClosed.then(() => answer.exitCode),
      write: (data) => void (stdin += Buffer.from(data).toString()),
      closeStdin: () => closeInput(),
      resize: () => void this.execResizes++,
      cancel: () => closeInput(),
    };
  }

  async podMetrics(opts: PodMetricsOptions = {}): Promise<MetricsList<PodMetrics>> {
    this.record({ method: 'podMetrics', resource: 'pods', opts });
    const items = this.podMetricsList.items.filter((m) => (!opts.namespace || m.metadata.namespace === opts.namespace) && (!opts.name || m.metadata.name === opts.name));
    return clone({ ...this.podMetricsList, items });
  }

  async nodeMetrics(opts: NodeMetricsOptions = {}): Promise<MetricsList<NodeMetrics>> {
    this.record({ method: 'nodeMetrics', resource: 'nodes', opts });
    return clone({ ...this.nodeMetricsList, items: this.nodeMetricsList.items.filter((m) => !opts.name || m.metadata.name === opts.name) });
  }

  // ---- internals ----

  private record(call: FakeCall): void {
    this.calls.push(call);
    const i = this.failures.findIndex((f) => f.method === call.method && (f.resource === undefined || f.resource === call.resource));
    if (i < 0) return;
    const f = this.failures[i]!;
    if (--f.times <= 0) this.failures.splice(i, 1);
    throw f.error;
  }

  private replace(resource: string, key: string, old: KubeObject, next: KubeObject): KubeObject {
    next.metadata = { ...next.metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, namespace: old.metadata.namespace, name: old.metadata.name };
    if (old.metadata.generation !== undefined) next.metadata.generation = old.metadata.generation;
    // Status is written only through its subresource.
    const status = (old as { status?: unknown }).status;
    if (status === undefined) delete (next as { status?: unknown }).status;
    else (next as { status?: unknown }).status = clone(status);
    next = this.serverPrepare(next);
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(resource).set(key, next);
    return clone(next);
  }

  private serverPrepare(o: KubeObject): KubeObject {
    if (!this.serverSide) return o;
    const defaulted = applyDefaults(o as AnyObject);
    try {
      assertValid(defaulted, validateObject(defaulted));
    } catch (e) {
      if (e instanceof ValidationError) {
        const kind = e.subject?.group ? `${e.subject.kind}.${e.subject.group}` : (e.subject?.kind ?? o.kind);
        const causes = e.errors.map((f) => ({ field: f.path, message: f.message, reason: 'FieldValueInvalid' }));
        throw ApiError.of('Invalid', e.message, { kind, ...(o.metadata.name ? { name: o.metadata.name } : {}), causes });
      }
      throw e;
    }
    return defaulted;
  }

  private matches(o: KubeObject, opts: { labelSelector?: ListOptions['labelSelector']; fieldSelector?: ListOptions['fieldSelector'] }): boolean {
    const ls = formatSelector(opts.labelSelector);
    if (ls && !parseSelector(ls).matches(o.metadata.labels)) return false;
    const fs = formatSelector(opts.fieldSelector);
    if (fs && !parseFieldSelector(fs).matches(objectFields(o as AnyObject))) return false;
    return true;
  }

  private info(o: KubeObject) {
    const r = resources.find((x) => x.kind === o.kind);
    if (!r) throw new Error(`FakeClient: unknown kind ${o.kind}`);
    return r;
  }

  private requireResource(resource: string) {
    const r = resourceByPlural(resource);
    if (!r) throw ApiError.notFound('the server could not find the requested resource', resource);
    return r;
  }

  private nsFor(resource: string, namespace: string): string {
    return this.requireResource(resource).namespaced ? namespace : '';
  }

  private notFound(resource: string, name: string): ApiError {
    return ApiError.notFound(qualifiedResource(this.requireResource(resource)), name);
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.data.get(resource);
    if (!b) {
      b = new Map();
      this.data.set(resource, b);
    }
    return b;
  }

  private key(namespace: string | undefined, name: string): string {
    return namespace ? `${namespace}/${name}` : name;
  }
}
