/**
 * An in-memory API for the scheduler's tests: objects per resource with resourceVersions, list
 * and watch (events delivered on a microtask, as if from the network), leases with
 * resourceVersion checks, the binding subresource with the API server's refusals, status patches.
 * Several clients share one backend (as schedulers share the API servers); a client can be cut
 * off (every call fails) or its bindings held.
 */
import type { Node, Pod } from '@mk/api';
import { ApiError, type KubeObjectLike, type ListerWatcher, type ObjectList, type WatchEvent, type WatchHandle } from '@mk/client';
import type { DaemonApi } from '../daemon';

type Obj = KubeObjectLike & Record<string, unknown>;

interface Watcher {
  resource: string;
  handler: (e: WatchEvent<Obj>) => void;
  stopped: boolean;
}

const key = (ns: string | undefined, name: string) => (ns ? `${ns}/${name}` : name);
const clone = <T>(v: T): T => structuredClone(v);

function fieldMatches(obj: Obj, selector: string | undefined): boolean {
  for (const term of (selector ?? '').split(',').filter((t) => t)) {
    const m = /^([a-zA-Z.]+)(!=|==?)(.*)$/.exec(term);
    if (!m) continue;
    let v: unknown = obj;
    for (const part of m[1]!.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    const s = v === undefined ? '' : String(v);
    if (m[2] === '!=' ? s === m[3] : s !== m[3]) return false;
  }
  return true;
}

export class FakeBackend {
  private rv = 0;
  readonly objects = new Map<string, Map<string, Obj>>();
  private watchers: Watcher[] = [];
  /** Every bind call that reached the backend: "ns/name→node by client". */
  readonly binds: string[] = [];

  private table(resource: string): Map<string, Obj> {
    let t = this.objects.get(resource);
    if (!t) this.objects.set(resource, (t = new Map()));
    return t;
  }

  get<T>(resource: string, ns: string, name: string): T | undefined {
    const o = this.table(resource).get(key(ns, name));
    return o ? (clone(o) as unknown as T) : undefined;
  }

  list<T>(resource: string): T[] {
    return [...this.table(resource).values()].map((o) => clone(o) as unknown as T);
  }

  /** Creates or replaces an object (bumps its resourceVersion) and tells watchers. */
  put<T extends KubeObjectLike>(resource: string, obj: T): T {
    const t = this.table(resource);
    const k = key(obj.metadata.namespace, obj.metadata.name ?? '');
    const existed = t.has(k);
    const stored = clone(obj) as unknown as Obj;
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    if (!existed && !stored.metadata.uid) stored.metadata.uid = `uid-${resource}-${k}`;
    t.set(k, stored);
    this.emit(resource, existed ? 'MODIFIED' : 'ADDED', stored);
    return clone(stored) as unknown as T;
  }

  remove(resource: string, ns: string, name: string): void {
    const t = this.table(resource);
    const o = t.get(key(ns, name));
    if (!o) return;
    t.delete(key(ns, name));
    const gone = { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } };
    this.emit(resource, 'DELETED', gone);
  }

  addNode(node: Node): Node {
    return this.put('nodes', node);
  }

  addPod(pod: Pod): Pod {
    return this.put('pods', pod);
  }

  pod(ns: string, name: string): Pod | undefined {
    return this.get<Pod>('pods', ns, name);
  }

  resourceVersion(): string {
    return String(this.rv);
  }

  watch(resource: string, handler: (e: WatchEvent<Obj>) => void): Watcher {
    const w: Watcher = { resource, handler, stopped: false };
    this.watchers.push(w);
    return w;
  }

  unwatch(w: Watcher): void {
    w.stopped = true;
    this.watchers = this.watchers.filter((x) => x !== w);
  }

  private emit(resource: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj): void {
    for (const w of this.watchers) {
      if (w.resource !== resource) continue;
      const copy = clone(obj);
      queueMicrotask(() => {
        if (!w.stopped) w.handler({ type, object: copy });
      });
    }
  }

  client(name: string): FakeClient {
    return new FakeClient(this, name);
  }
}

/** One component's connection to the backend. */
export class FakeClient implements DaemonApi {
  /** Every call fails as if the network were cut. */
  cut = false;
  /** Bindings wait until released (releaseBinds) while set. */
  holdBinds = false;
  /** The next bind calls fail with these errors, in order. */
  bindErrors: ApiError[] = [];
  private held: Array<() => void> = [];
  readonly calls: string[] = [];

  constructor(
    readonly backend: FakeBackend,
    readonly name: string,
  ) {}

  private gate(what: string): void {
    this.calls.push(what);
    if (this.cut) throw ApiError.unavailable(`${this.name} is cut off`);
  }

  releaseBinds(): void {
    for (const r of this.held.splice(0)) r();
  }

  resource<T extends KubeObjectLike>(plural: string): ListerWatcher<T> {
    const b = this.backend;
    return {
      listAll: async (opts): Promise<ObjectList<T>> => {
        this.gate(`list ${plural}`);
        const items = b.list<Obj>(plural).filter((o) => fieldMatches(o, opts.fieldSelector));
        return { items: items as unknown as T[], resourceVersion: b.resourceVersion(), continue: '' };
      },
      watch: (opts, handler): WatchHandle => {
        let finish!: (e: undefined) => void;
        const done = new Promise<undefined>((resolve) => (finish = resolve));
        const w = b.watch(plural, (e) => {
          if (e.type === 'ERROR') return handler(e);
          // Filtered-watch semantics: an object that stops matching is DELETED.
          const matches = fieldMatches(e.object, opts.fieldSelector);
          if (e.type !== 'DELETED' && !matches) return handler({ type: 'DELETED', object: e.object as unknown as T });
          handler({ type: e.type, object: e.object as unknown as T });
        });
        return {
          stop: () => {
            b.unwatch(w);
            finish(undefined);
          },
          done,
        };
      },
    };
  }

  async get<T extends KubeObjectLike>(resource: string, namespace: string, name: string): Promise<T> {
    this.gate(`get ${resource}`);
    const o = this.backend.get<T>(resource, namespace, name);
    if (!o) throw ApiError.notFound(resource, name);
    return o;
  }

  async create<T extends KubeObjectLike>(resource: string, obj: T): Promise<T> {
    this.gate(`create ${resource}`);
    if (this.backend.get(resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '')) throw ApiError.alreadyExists(resource, obj.metadata.name ?? '');
    return this.backend.put(resource, obj);
  }

  async update<T extends KubeObjectLike>(resource: string, obj: T): Promise<T> {
    this.gate(`update ${resource}`);
    const cur = this.backend.get<T>(resource, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
    if (!cur) throw ApiError.notFound(resource, obj.metadata.name ?? '');
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw ApiError.conflict(resource, obj.metadata.name ?? '');
    return this.backend.put(resource, obj);
  }

  async patch(resource: string, namespace: string, name: string, patch: unknown): Promise<unknown> {
    this.gate(`patch ${resource}`);
    const cur = this.backend.get<Obj>(resource, namespace, name);
    if (!cur) throw ApiError.notFound(resource, name);
    const p = patch as { metadata?: { resourceVersion?: string }; status?: Record<string, unknown> };
    if (p.metadata?.resourceVersion && p.metadata.resourceVersion !== cur.metadata.resourceVersion) throw ApiError.conflict(resource, name);
    return this.backend.put(resource, { ...cur, status: { ...(cur.status as object), ...p.status } });
  }

  async bind(namespace: string, name: string, nodeName: string, uid?: string): Promise<unknown> {
    this.gate(`bind ${namespace}/${name}`);
    if (this.holdBinds) await new Promise<void>((r) => this.held.push(r));
    if (this.cut) throw ApiError.unavailable(`${this.name} is cut off`);
    const err = this.bindErrors.shift();
    if (err) throw err;
    const pod = this.backend.pod(namespace, name);
    if (!pod) throw ApiError.notFound('pods', name);
    if (uid && pod.metadata.uid !== uid) throw ApiError.conflict('pods', name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`);
    if (pod.spec.nodeName) throw ApiError.conflict('pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
    this.backend.binds.push(`${namespace}/${name}→${nodeName} by ${this.name}`);
    const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    return this.backend.put('pods', { ...pod, spec: { ...pod.spec, nodeName }, status: { ...pod.status, conditions: [...conditions, { type: 'PodScheduled', status: 'True' }] } });
  }
}

/** Records events as "Type Reason object: message". */
export class RecordingRecorder {
  readonly events: string[] = [];
  event(obj: { metadata: { namespace?: string; name?: string } }, type: string, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${obj.metadata.namespace}/${obj.metadata.name}: ${message}`);
  }
}
