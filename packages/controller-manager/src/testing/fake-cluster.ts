/**
 * The recording fake behind every controller unit test: a small in-memory API server (uids,
 * resourceVersions, generateName, generation, Conflict on a stale resourceVersion, the status
 * subresource, finalizers and propagation policies, graceful deletion of pods on a node) plus one
 * FakeInformer per resource fed from it. Every call is recorded in `actions`.
 *
 * By default each write reaches the informers at once; with `autoFlush = false` they wait for
 * `flush()`, which is how a test plays a cache that lags behind the server.
 */
import { type KubeObject, applyMergePatch, jsonEqual, keyOf, resourceByPlural, resourceForKind } from '@mk/api';
import { ApiError } from '@mk/client';
import { FakeClock } from '@mk/shared';
import type { ControllerClient, DeleteOpts, InformerLike, InformerSource } from '../types';
import { rfc3339 } from '../util/time';
import { FakeInformer } from './fake-informer';

export type Verb = 'get' | 'create' | 'update' | 'updateStatus' | 'patch' | 'delete';

export interface Action {
  verb: Verb;
  resource: string;
  namespace: string;
  name: string;
  /** The object sent (create, update, updateStatus). */
  object?: KubeObject;
  patch?: unknown;
  subresource?: string;
  options?: DeleteOpts;
  /** Set when the fake refused the call. */
  error?: string;
}

interface Failure {
  verb: Verb;
  resource: string;
  times: number;
  error: () => Error;
  when?: (a: Action) => boolean;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

// The fake serves every kind, so its informers are typed loosely; callers pick T.
type AnyInformer = FakeInformer<KubeObject>;

export class FakeCluster implements ControllerClient, InformerSource {
  readonly actions: Action[] = [];
  autoFlush = true;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly informers = new Map<string, AnyInformer>();
  private readonly pending = new Map<string, Set<string>>();
  private failures: Failure[] = [];
  private readonly observers: Array<(resource: string, key: string) => void> = [];
  private rv = 100;
  private uidSeq = 0;
  private nameSeq = 0;

  constructor(readonly clock: FakeClock = new FakeClock(Date.parse('2024-05-01T12:00:00Z'))) {}

  // ---- test set-up and inspection ----

  /** Puts objects in the server and the caches as they are (uid, resourceVersion filled in if absent). No action is recorded. */
  add(...objs: KubeObject[]): void {
    for (const o of objs) {
      const r = this.resourceOf(o);
      const obj = structuredClone(o);
      obj.metadata.uid ??= this.newUid();
      obj.metadata.resourceVersion ??= String(++this.rv);
      obj.metadata.creationTimestamp ??= rfc3339(this.clock.now());
      obj.metadata.generation ??= 1;
      this.store(r).set(keyOf(obj), obj);
      this.informerFor(r).set(obj);
    }
  }

  /** Changes an object in the server directly (as another actor would); reaches the caches like any write. */
  modify<T extends KubeObject>(resource: string, key: string, change: (obj: T) => void): T {
    const old = this.store(resource).get(key);
    if (!old) throw new Error(`fake: no ${resource} ${key}`);
    const next = structuredClone(old) as T;
    change(next);
    next.metadata.resourceVersion = String(++this.rv);
    this.put(resource, next);
    return next;
  }

  /** Removes an object from the server directly (no finalizers, no grace). */
  remove(resource: string, key: string): void {
    if (!this.store(resource).delete(key)) return;
    this.changed(resource, key);
  }

  object<T extends KubeObject>(resource: string, key: string): T | undefined {
    return this.store(resource).get(key) as T | undefined;
  }

  list<T extends KubeObject>(resource: string): T[] {
    return [...this.store(resource).values()] as T[];
  }

  /** The recorded calls other than reads. */
  writes(): Action[] {
    return this.actions.filter((a) => a.verb !== 'get');
  }

  clearActions(): void {
    this.actions.length = 0;
  }

  /** Makes the next `times` calls of `verb` on `resource` (optionally only those `when` picks) fail with `error`. */
  fail(verb: Verb, resource: string, error: () => Error, times = 1, when?: (a: Action) => boolean): void {
    this.failures.push({ verb, resource, error, times, ...(when ? { when } : {}) });
  }

  /** Calls `fn` after every change of the server's state (before any informer hears of it). */
  onChange(fn: (resource: string, key: string) => void): void {
    this.observers.push(fn);
  }

  /** Delivers the pending changes of one resource only (a cache that lags behind the others). */
  flushResource(resource: string): void {
    const keys = this.pending.get(resource);
    if (!keys) return;
    this.pending.delete(resource);
    const inf = this.informerFor(resource);
    for (const key of keys) {
      const obj = this.store(resource).get(key);
      if (obj) inf.set(obj);
      else inf.remove(key);
    }
  }

  /** Delivers every change not yet seen by the informers. */
  flush(): void {
    for (const [resource, keys] of this.pending) {
      const inf = this.informerFor(resource);
      for (const key of keys) {
        const obj = this.store(resource).get(key);
        if (obj) inf.set(obj);
        else inf.remove(key);
      }
    }
    this.pending.clear();
  }

  informer<T extends KubeObject>(resource: string): InformerLike<T> & FakeInformer<T> {
    return this.informerFor(resource) as unknown as InformerLike<T> & FakeInformer<T>;
  }

  // ---- ControllerClient ----

  async get<T extends KubeObject>(resource: string, namespace: string, name: string): Promise<T> {
    this.record({ verb: 'get', resource, namespace, name });
    const obj = this.store(resource).get(this.key(resource, namespace, name));
    if (!obj) throw ApiError.notFound(resource, name);
    return structuredClone(obj) as T;
  }

  async create<T extends KubeObject>(resource: string, obj: T): Promise<T> {
    const info = this.info(resource);
    const o = structuredClone(obj);
    const namespace = info.namespaced ? (o.metadata.namespace ?? 'default') : '';
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${this.suffix()}`;
    const name = o.metadata.name ?? '';
    this.record({ verb: 'create', resource, namespace, name, object: structuredClone(obj) });
    if (!name) throw ApiError.invalid(info.kind, '', [{ field: 'metadata.name', message: 'Required value' }]);
    if (o.metadata.resourceVersion) throw ApiError.badRequest('resourceVersion should not be set on objects to be created');
    const key = this.key(resource, namespace, name);
    if (this.store(resource).has(key)) throw ApiError.alreadyExists(resource, name);
    if (info.namespaced) o.metadata.namespace = namespace;
    o.metadata.uid = this.newUid();
    o.metadata.creationTimestamp = rfc3339(this.clock.now());
    o.metadata.generation = 1;
    o.metadata.resourceVersion = String(++this.rv);
    this.put(resource, o);
    return structuredClone(o);
  }

  async update<T extends KubeObject>(resource: string, obj: T): Promise<T> {
    const a: Action = { verb: 'update', resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '', object: structuredClone(obj) };
    this.record(a);
    const old = this.current(resource, a.namespace, a.name, obj.metadata.resourceVersion);
    const next = structuredClone(obj) as KubeObject & { status?: unknown; spec?: unknown };
    next.metadata = { ...next.metadata, uid: old.metadata.uid, creationTimestamp: old.metadata.creationTimestamp, generation: old.metadata.generation ?? 1 };
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
      if (old.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = old.metadata[k] as never;
    }
    if (this.info(resource).hasStatus) {
      const s = (old as { status?: unknown }).status;
      if (s === undefined) delete next.status;
      else next.status = s;
    }
    if (!jsonEqual(desired(old), desired(next))) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    return this.commit(resource, old, next) as Promise<T>;
  }

  async updateStatus<T extends KubeObject>(resource: string, obj: T): Promise<T> {
    const a: Action = { verb: 'updateStatus', resource, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '', object: structuredClone(obj) };
    this.record(a);
    const old = this.current(resource, a.namespace, a.name, obj.metadata.resourceVersion);
    const next = structuredClone(old) as KubeObject & { status?: unknown };
    const status = (obj as { status?: unknown }).status;
    if (status === undefined) delete next.status;
    else next.status = structuredClone(status);
    return this.commit(resource, old, next) as Promise<T>;
  }

  async patch<T extends KubeObject>(resource: string, namespace: string, name: string, patch: unknown, opts: { subresource?: string } = {}): Promise<T> {
    this.record({ verb: 'patch', resource, namespace, name, patch: structuredClone(patch), ...(opts.subresource ? { subresource: opts.subresource } : {}) });
    const wantRv = (patch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    const old = this.current(resource, namespace, name, wantRv);
    const patched = applyMergePatch(old, patch) as KubeObject & { status?: unknown };
    let next: KubeObject & { status?: unknown };
    if (opts.subresource === 'status') {
      next = structuredClone(old) as KubeObject & { status?: unknown };
      next.status = patched.status;
    } else {
      next = patched;
      next.metadata = { ...next.metadata, uid: old.metadata.uid, name: old.metadata.name };
      if (this.info(resource).hasStatus) next.status = (old as { status?: unknown }).status;
      if (!jsonEqual(desired(old), desired(next))) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
    }
    return this.commit(resource, old, next) as Promise<T>;
  }

  async delete<T extends KubeObject>(resource: string, namespace: string, name: string, opts: DeleteOpts = {}): Promise<T> {
    this.record({ verb: 'delete', resource, namespace, name, options: { ...opts } });
    const key = this.key(resource, namespace, name);
    const old = this.store(resource).get(key);
    if (!old) throw ApiError.notFound(resource, name);
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid) {
      throw ApiError.conflict(resource, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    const finalizers = [...(old.metadata.finalizers ?? [])];
    if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    let grace = 0;
    if (resource === 'pods') {
      const pod = old as KubeObject & { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }; status?: { phase?: string } };
      const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
      if (pod.spec?.nodeName && !terminal) grace = opts.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    }
    if (finalizers.length === 0 && grace === 0) {
      this.store(resource).delete(key);
      this.changed(resource, key);
      return structuredClone(old) as T;
    }
    const next = structuredClone(old);
    if (finalizers.length > 0) next.metadata.finalizers = finalizers;
    if (old.metadata.deletionTimestamp === undefined || grace < (old.metadata.deletionGracePeriodSeconds ?? Infinity)) {
      next.metadata.deletionTimestamp = rfc3339(this.clock.now() + grace * 1000);
      next.metadata.deletionGracePeriodSeconds = grace;
    }
    if (jsonEqual(next, old)) return structuredClone(old) as T;
    next.metadata.resourceVersion = String(++this.rv);
    this.put(resource, next);
    return structuredClone(next) as T;
  }

  // ---- internals ----

  private record(a: Action): void {
    this.actions.push(a);
    const i = this.failures.findIndex((f) => f.verb === a.verb && f.resource === a.resource && (!f.when || f.when(a)));
    if (i < 0) return;
    const f = this.failures[i]!;
    if (--f.times <= 0) this.failures.splice(i, 1);
    const err = f.error();
    a.error = err.message;
    throw err;
  }

  private current(resource: string, namespace: string, name: string, wantRv: string | undefined): KubeObject {
    const old = this.store(resource).get(this.key(resource, namespace, name));
    if (!old) throw ApiError.notFound(resource, name);
    if (wantRv && wantRv !== old.metadata.resourceVersion) throw ApiError.conflict(resource, name);
    return old;
  }

  private async commit(resource: string, old: KubeObject, next: KubeObject): Promise<KubeObject> {
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (jsonEqual(old, next)) return structuredClone(old);
    next.metadata.resourceVersion = String(++this.rv);
    const gone =
      next.metadata.deletionTimestamp !== undefined &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !(resource === 'pods' && (next.metadata.deletionGracePeriodSeconds ?? 0) > 0);
    if (gone) {
      if (!next.metadata.finalizers?.length) delete next.metadata.finalizers;
      this.store(resource).delete(keyOf(next));
      this.changed(resource, keyOf(next));
      return structuredClone(next);
    }
    if (next.metadata.finalizers?.length === 0) delete next.metadata.finalizers;
    this.put(resource, next);
    return structuredClone(next);
  }

  private put(resource: string, obj: KubeObject): void {
    this.store(resource).set(keyOf(obj), obj);
    this.changed(resource, keyOf(obj));
  }

  private changed(resource: string, key: string): void {
    for (const o of this.observers) o(resource, key);
    let keys = this.pending.get(resource);
    if (!keys) this.pending.set(resource, (keys = new Set()));
    keys.add(key);
    if (this.autoFlush) this.flush();
  }

  private store(resource: string): Map<string, KubeObject> {
    let m = this.objects.get(resource);
    if (!m) this.objects.set(resource, (m = new Map()));
    return m;
  }

  private informerFor(resource: string): AnyInformer {
    let inf = this.informers.get(resource);
    if (!inf) this.informers.set(resource, (inf = new FakeInformer<KubeObject>()));
    return inf;
  }

  private info(resource: string) {
    const r = resourceByPlural(resource);
    if (!r) throw new Error(`fake: unknown resource ${resource}`);
    return r;
  }

  private resourceOf(o: KubeObject): string {
    const r = resourceForKind(o.kind);
    if (!r) throw new Error(`fake: unknown kind ${o.kind}`);
    return r.resource;
  }

  private key(resource: string, namespace: string, name: string): string {
    return this.info(resource).namespaced ? `${namespace || 'default'}/${name}` : name;
  }

  private newUid(): string {
    return `uid-${++this.uidSeq}`;
  }

  private suffix(): string {
    let n = ++this.nameSeq;
    let s = '';
    for (let i = 0; i < 5; i++) {
      s = SUFFIX_ALPHABET[n % SUFFIX_ALPHABET.length] + s;
      n = Math.floor(n / SUFFIX_ALPHABET.length);
    }
    return s;
  }
}

/** Everything but metadata and status: what `generation` counts changes of. */
function desired(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o as KubeObject & { status?: unknown };
  return rest;
}
