/**
 * A tiny in-memory API server for the client library's tests: real grpc-js on 127.0.0.1 serving
 * mkapi.Resources and mkapi.Discovery. Several servers can share one FakeBackend, as real API
 * servers share the store. Not a model of the real API server beyond what the client sees:
 * resourceVersions from one counter, uid on create, Conflict on a stale resourceVersion, a watch
 * history that can be compacted (Gone), and switches for faults (hang a method, hold watch
 * events, end or fail every watch, kill the server).
 */
import * as grpc from '@grpc/grpc-js';
import { type ServiceImplementation, addService, type mkapi, services } from '@mk/proto';
import { toGrpcError } from '../grpc-status';
import { type KubeObjectLike, metaNamespaceKey, namespacedKey } from '../object';
import { ApiError, type Status } from '../status';

type Obj = KubeObjectLike & Record<string, unknown>;

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
const parse = (b: Uint8Array): Obj => JSON.parse(dec.decode(b)) as Obj;
const clone = <T>(v: T): T => structuredClone(v);

interface HistoryEvent {
  resource: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
  rv: number;
}

interface Watcher {
  resource: string;
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  allowBookmarks: boolean;
  call: grpc.ServerWritableStream<mkapi.WatchRequest, mkapi.WatchEvent.$Properties>;
  server: FakeApiServer;
}

function getPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** `a=b,c!=d` against a map of values (labels, or field paths of the object). */
function selectorMatches(selector: string, valueOf: (key: string) => string | undefined): boolean {
  for (const term of selector.split(',').filter((t) => t !== '')) {
    const neq = term.indexOf('!=');
    if (neq >= 0) {
      if (valueOf(term.slice(0, neq)) === term.slice(neq + 2)) return false;
    } else {
      const eq = term.indexOf('=');
      if (eq < 0) {
        if (valueOf(term) === undefined) return false;
      } else if (valueOf(term.slice(0, eq)) !== term.slice(eq + 1).replace(/^=/, '')) return false;
    }
  }
  return true;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The shared state: objects, one resourceVersion counter, the watch history and the watchers. */
export class FakeBackend {
  rv = 100;
  private uid = 0;
  private readonly data = new Map<string, Map<string, Obj>>();
  private history: HistoryEvent[] = [];
  private compactedRv = 0;
  readonly watchers = new Set<Watcher>();
  /** While true, changes are recorded in the history but not sent to open watches. */
  holdWatchEvents = false;
  /** How a too-old watch is refused: an ERROR event with a 410 Status, or a gRPC OUT_OF_RANGE error. */
  goneAs: 'event' | 'error' = 'event';
  /** A resumed watch also replays this many events at or before its resourceVersion (a sloppy server). */
  replayOverlap = 0;
  /** Create answers Invalid when the object has this label (to test causes round-tripping). */
  readonly invalidLabel = 'fake/invalid';

  private bucket(resource: string): Map<string, Obj> {
    let b = this.data.get(resource);
    if (!b) this.data.set(resource, (b = new Map()));
    return b;
  }

  get(resource: string, namespace: string, name: string): Obj {
    const obj = this.bucket(resource).get(namespacedKey(namespace, name));
    if (!obj) throw ApiError.notFound(resource, name);
    return clone(obj);
  }

  list(resource: string, namespace: string, labelSelector = '', fieldSelector = ''): Obj[] {
    return [...this.bucket(resource).values()]
      .filter((o) => this.matches(o, namespace, labelSelector, fieldSelector))
      .sort((a, b) => metaNamespaceKey(a).localeCompare(metaNamespaceKey(b)))
      .map(clone);
  }

  matches(o: Obj, namespace: string, labelSelector: string, fieldSelector: string): boolean {
    if (namespace && o.metadata.namespace !== namespace) return false;
    if (!selectorMatches(labelSelector, (k) => o.metadata.labels?.[k])) return false;
    return selectorMatches(fieldSelector, (k) => {
      const v = getPath(o, k);
      return v === undefined ? undefined : String(v);
    });
  }

  create(resource: string, namespace: string, input: Obj): Obj {
    const name = input.metadata?.name;
    if (input.metadata?.labels?.[this.invalidLabel] !== undefined || !name) {
      throw ApiError.invalid(`${input.kind ?? resource}`, name ?? '', [
        ...(!name ? [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }] : []),
        { reason: 'FieldValueInvalid', message: `Invalid value: "${input.metadata?.labels?.[this.invalidLabel] ?? ''}": not allowed — ünïcödé`, field: `metadata.labels[${this.invalidLabel}]` },
      ]);
    }
    const ns = namespace || input.metadata.namespace || '';
    const key = namespacedKey(ns, name);
    if (this.bucket(resource).has(key)) throw ApiError.alreadyExists(resource, name);
    const obj = clone(input);
    obj.metadata = { ...obj.metadata, ...(ns ? { namespace: ns } : {}), uid: `uid-${++this.uid}`, resourceVersion: String(++this.rv) };
    this.bucket(resource).set(key, obj);
    this.record(resource, 'ADDED', obj);
    return clone(obj);
  }

  update(resource: string, namespace: string, name: string, input: Obj, subresource = ''): Obj {
    const key = namespacedKey(namespace, name);
    const old = this.bucket(resource).get(key);
    if (!old) throw ApiError.notFound(resource, name);
    if (input.metadata.resourceVersion && input.metadata.resourceVersion !== old.metadata.resourceVersion) throw ApiError.conflict(resource, name);
    let obj: Obj;
    if (subresource === 'status') obj = { ...clone(old), status: clone(input.status) };
    else obj = { ...clone(input), ...(old.status !== undefined ? { status: clone(old.status) } : {}) };
    obj.metadata = { ...obj.metadata, ...(subresource === 'status' ? old.metadata : {}), uid: old.metadata.uid, resourceVersion: String(++this.rv) };
    if (namespace) obj.metadata.namespace = namespace;
    this.bucket(resource).set(key, obj);
    this.record(resource, 'MODIFIED', obj);
    return clone(obj);
  }

  patch(resource: string, namespace: string, name: string, patch: unknown): Obj {
    const old = this.get(resource, namespace, name);
    const merged = mergePatch(old, patch) as Obj;
    merged.metadata = { ...merged.metadata, resourceVersion: '' };
    return this.update(resource, namespace, name, merged);
  }

  delete(resource: string, namespace: string, name: string, preconditionUid = ''): Obj {
    const key = namespacedKey(namespace, name);
    const old = this.bucket(resource).get(key);
    if (!old) throw ApiError.notFound(resource, name);
    if (preconditionUid && old.metadata.uid !== preconditionUid) throw ApiError.conflict(resource, name, 'Precondition failed: UID in precondition does not match');
    this.bucket(resource).delete(key);
    const gone = { ...clone(old), metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.record(resource, 'DELETED', gone);
    return clone(gone);
  }

  /** Forgets the history up to now: a watch from an older version gets Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Ends every open watch cleanly (the stream's end, no error). */
  endWatches(): void {
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.call.end();
    }
  }

  /** Sends every open watch an ERROR event with a 410 Gone Status, then ends it. */
  goneWatches(): void {
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.call.write({ type: 'ERROR', object: bytes(ApiError.gone('too old resource version').status) });
      w.call.end();
    }
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that asked for them. */
  bookmark(kind: string): void {
    for (const w of this.watchers) {
      if (w.allowBookmarks) w.call.write({ type: 'BOOKMARK', object: bytes({ kind, apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } }) });
    }
  }

  private record(resource: string, type: HistoryEvent['type'], object: Obj): void {
    const ev: HistoryEvent = { resource, type, object: clone(object), rv: Number(object.metadata.resourceVersion) };
    this.history.push(ev);
    if (this.holdWatchEvents) return;
    for (const w of this.watchers) this.send(w, ev);
  }

  private send(w: Watcher, ev: HistoryEvent): void {
    if (ev.resource !== w.resource || !this.matches(ev.object, w.namespace, w.labelSelector, w.fieldSelector)) return;
    w.call.write({ type: ev.type, object: bytes(ev.object) });
  }

  startWatch(w: Watcher, resourceVersion: string): void {
    if (resourceVersion === '' || resourceVersion === '0') {
      for (const obj of this.list(w.resource, w.namespace, w.labelSelector, w.fieldSelector)) w.call.write({ type: 'ADDED', object: bytes(obj) });
    } else {
      const from = Number(resourceVersion);
      if (from < this.compactedRv) {
        const err = ApiError.gone(`too old resource version: ${from} (${this.compactedRv})`);
        if (this.goneAs === 'event') {
          w.call.write({ type: 'ERROR', object: bytes(err.status) });
          w.call.end();
        } else {
          w.call.emit('error', toGrpcError(err));
        }
        return;
      }
      const replay = this.history.filter((e) => e.rv > from);
      const overlap = this.replayOverlap > 0 ? this.history.filter((e) => e.rv <= from).slice(-this.replayOverlap) : [];
      for (const ev of [...overlap, ...replay]) this.send(w, ev);
    }
    this.watchers.add(w);
    w.call.on('cancelled', () => this.watchers.delete(w));
  }
}

export type FakeMethod = 'Get' | 'List' | 'Create' | 'Update' | 'Patch' | 'Delete' | 'Watch' | 'Bind' | 'Version' | 'APIResources';

/** One API server process over a (possibly shared) backend. */
export class FakeApiServer {
  readonly calls: Record<FakeMethod, number> = { Get: 0, List: 0, Create: 0, Update: 0, Patch: 0, Delete: 0, Watch: 0, Bind: 0, Version: 0, APIResources: 0 };
  /** Methods whose calls are received, counted, and never answered. */
  readonly hang = new Set<FakeMethod>();
  /** Methods that answer with this error instead of doing anything. */
  readonly fail = new Map<FakeMethod, ApiError>();
  private server: grpc.Server | undefined;
  port = 0;

  constructor(
    readonly backend: FakeBackend,
    readonly name = 'fake',
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1 (a fresh port, or `port` to come back where it was). */
  async start(port = 0): Promise<this> {
    const server = new grpc.Server();
    addService(server, services.mkapi.Resources, this.resources());
    addService(server, services.mkapi.Discovery, this.discovery());
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    return this;
  }

  /** Closes every connection at once (a crashed process). */
  kill(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    for (const w of [...this.backend.watchers]) if (w.server === this) this.backend.watchers.delete(w);
  }

  private unary<Req, Res>(method: FakeMethod, fn: (req: Req) => Res): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      this.calls[method]++;
      if (this.hang.has(method)) return;
      const failure = this.fail.get(method);
      if (failure) return callback(toGrpcError(failure));
      try {
        callback(null, fn(call.request));
      } catch (e) {
        callback(toGrpcError(e));
      }
    };
  }

  private resources(): ServiceImplementation<typeof services.mkapi.Resources> {
    const b = this.backend;
    return {
      Get: this.unary('Get', (r: mkapi.GetRequest) => ({ json: bytes(b.get(r.resource, r.namespace, r.name)) })),
      List: this.unary('List', (r: mkapi.ListRequest) => {
        const all = b.list(r.resource, r.namespace, r.labelSelector, r.fieldSelector);
        const start = r.continue ? Number(r.continue) : 0;
        const end = r.limit > 0 ? Math.min(all.length, start + r.limit) : all.length;
        return {
          items: all.slice(start, end).map(bytes),
          resourceVersion: String(b.rv),
          continue: end < all.length ? String(end) : '',
          remainingItemCount: all.length - end,
        };
      }),
      Create: this.unary('Create', (r: mkapi.CreateRequest) => ({ json: bytes(r.dryRun ? parse(r.json) : b.create(r.resource, r.namespace, parse(r.json))) })),
      Update: this.unary('Update', (r: mkapi.UpdateRequest) => ({ json: bytes(b.update(r.resource, r.namespace, r.name, parse(r.json), r.subresource)) })),
      Patch: this.unary('Patch', (r: mkapi.PatchRequest) => {
        if (r.patchType !== 'merge') throw ApiError.badRequest(`unsupported patch type "${r.patchType}"`);
        return { json: bytes(b.patch(r.resource, r.namespace, r.name, JSON.parse(dec.decode(r.patch)))) };
      }),
      Delete: this.unary('Delete', (r: mkapi.DeleteRequest) => {
        if (r.gracePeriodSeconds < -1) throw ApiError.badRequest('gracePeriodSeconds must be >= -1');
        return { json: bytes(b.delete(r.resource, r.namespace, r.name, r.preconditionUid)) };
      }),
      Bind: this.unary('Bind', (r: mkapi.BindRequest) => {
        const pod = b.get('pods', r.namespace, r.name);
        if (r.uid && pod.metadata.uid !== r.uid) throw ApiError.conflict('pods', r.name, 'the pod has a different uid');
        const spec = (pod.spec ?? {}) as Record<string, unknown>;
        if (spec.nodeName) throw ApiError.conflict('pods', r.name, `pod ${r.name} is already assigned to node "${String(spec.nodeName)}"`);
        return { json: bytes(b.update('pods', r.namespace, r.name, { ...pod, spec: { ...spec, nodeName: r.nodeName } })) };
      }),
      Watch: (call) => {
        this.calls.Watch++;
        if (this.hang.has('Watch')) return;
        const failure = this.fail.get('Watch');
        if (failure) {
          call.emit('error', toGrpcError(failure));
          return;
        }
        const r = call.request;
        b.startWatch(
          { resource: r.resource, namespace: r.namespace, labelSelector: r.labelSelector, fieldSelector: r.fieldSelector, allowBookmarks: r.allowBookmarks, call, server: this },
          r.resourceVersion,
        );
      },
    };
  }

  private discovery(): ServiceImplementation<typeof services.mkapi.Discovery> {
    return {
      Version: this.unary('Version', () => ({ gitVersion: 'v0.1.0-fake', platform: 'linux/amd64', store: `fake (${this.name})` })),
      APIResources: this.unary('APIResources', () => ({
        json: bytes([
          { name: 'pods', singularName: 'pod', shortNames: ['po'], namespaced: true, kind: 'Pod', group: '', version: 'v1', verbs: ['get', 'list', 'watch'] },
          { name: 'nodes', singularName: 'node', shortNames: ['no'], namespaced: false, kind: 'Node', group: '', version: 'v1', verbs: ['get', 'list'] },
        ]),
      })),
    };
  }
}

/** A Status as a watch ERROR event would carry it (for assertions). */
export function goneStatus(): Status {
  return ApiError.gone('too old resource version').status;
}
