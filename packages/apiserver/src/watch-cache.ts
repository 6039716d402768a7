import type { KubeObject } from '@mk/api';
import { ApiError } from '@mk/client';

/** One change of a stored object, as the store's watch reports it (already decoded). */
export interface CacheEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** Store key (`/registry/<resource>/<namespace>/<name>`). */
  key: string;
  /** The object after the change (for DELETED: its last state). */
  object: KubeObject;
  /** The store revision of the change. */
  revision: number;
}

/** What a watcher receives. BOOKMARK carries only the resourceVersion. */
export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: KubeObject;
}

export interface CacheWatchOptions {
  /** Events after this revision; 0 = the current state first, as ADDED events. */
  fromRevision: number;
  /** Which objects this watcher sees (namespace, label and field selectors). */
  matches: (o: KubeObject) => boolean;
  /** Only keys with this prefix (a namespace's objects). */
  keyPrefix: string;
  allowBookmarks: boolean;
}

export interface CacheWatcher {
  stop(): void;
}

interface Entry {
  object: KubeObject;
  revision: number;
}

/**
 * The API server's cache of one resource, fed by a single store watch: every client watch of the
 * resource is served from here, so a thousand watchers cost the store one (DESIGN.md, "Watch").
 * It keeps the current objects and a window of recent events; a watch from a version older than
 * the window answers Gone and the client relists (as Kubernetes' watch cache does).
 *
 * Pure: the driver feeds it `reset` (a list at a revision), `apply` (store events in revision
 * order) and `progress` (a revision with no change for this resource); watchers get their events
 * synchronously through `send`.
 */
export class WatchCache {
  private readonly objects = new Map<string, Entry>();
  /** Recent events with the state each replaced (to replay selector changes faithfully). */
  private readonly window: Array<{ e: CacheEvent; prev: KubeObject | undefined }> = [];
  private readonly watchers = new Set<Watcher>();
  private revision = 0;
  /** The oldest revision a watch may start after without missing events. */
  private oldest = 0;
  private ready = false;
  private readyWaiters: Array<() => void> = [];

  constructor(
    readonly resource: string,
    private readonly capacity = 1000,
  ) {}

  /** The latest store revision this cache reflects. */
  get resourceVersion(): number {
    return this.revision;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Resolves once the cache has its first list. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Replaces the contents with a fresh list at `revision` (first start, or after the store watch
   * was lost for too long). Watchers cannot be told what they missed: they are ended with Gone
   * and relist, unless nothing changed for them.
   */
  reset(items: Array<{ key: string; object: KubeObject; revision: number }>, revision: number): void {
    const first = !this.ready;
    this.objects.clear();
    for (const i of items) this.objects.set(i.key, { object: i.object, revision: i.revision });
    this.window.length = 0;
    this.revision = revision;
    this.oldest = revision;
    if (!first) {
      for (const w of [...this.watchers]) w.fail(ApiError.gone(`too old resource version: the ${this.resource} cache was reloaded at ${revision}`));
    }
    this.ready = true;
    for (const r of this.readyWaiters.splice(0)) r();
  }

  /** Applies store events, in revision order, and fans them out. */
  apply(events: CacheEvent[]): void {
    for (const e of events) {
      if (e.revision <= this.revision) continue; // already seen (a resumed store watch may repeat)
      const prev = this.objects.get(e.key);
      if (e.type === 'DELETED') this.objects.delete(e.key);
      else this.objects.set(e.key, { object: e.object, revision: e.revision });
      this.window.push({ e, prev: prev?.object });
      if (this.window.length > this.capacity) this.oldest = this.window.shift()!.e.revision;
      this.revision = e.revision;
      for (const w of this.watchers) w.deliver(e, prev?.object);
    }
  }

  /** The store is at `revision` with nothing new for this resource (etcd progress notify). */
  progress(revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    for (const w of this.watchers) w.bookmark(revision);
  }

  /** Sends a bookmark with the current version to every watcher that wants them. */
  bookmarkAll(): void {
    for (const w of this.watchers) w.bookmark(this.revision);
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key)?.object;
  }

  /** Current objects under `keyPrefix`, in key order, that match. */
  list(keyPrefix: string, matches: (o: KubeObject) => boolean): KubeObject[] {
    const out: Array<[string, KubeObject]> = [];
    for (const [k, e] of this.objects) if (k.startsWith(keyPrefix) && matches(e.object)) out.push([k, e.object]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return out.map(([, o]) => o);
  }

  /**
   * Starts a watch. Throws Gone when `fromRevision` is older than the window; otherwise replays
   * what happened after it (or the current state, for 0) and then follows live changes.
   */
  watch(o: CacheWatchOptions, send: (e: WatchEventOut) => void, end: (err: ApiError) => void): CacheWatcher {
    if (!this.ready) throw ApiError.unavailable(`the ${this.resource} cache is not ready yet`);
    if (o.fromRevision !== 0 && o.fromRevision < this.oldest) {
      throw ApiError.gone(`too old resource version: ${o.fromRevision} (${this.oldest})`);
    }
    // A version newer than the cache (a list answered by the store just now, events still on
    // their way here) is fine: the watcher skips whatever arrives at or below it.
    const w = new Watcher(o, send, end, () => this.watchers.delete(w));
    if (o.fromRevision === 0) {
      for (const obj of this.list(o.keyPrefix, o.matches)) send({ type: 'ADDED', object: obj });
    } else {
      for (const { e, prev } of this.window) if (e.revision > o.fromRevision) w.deliver(e, prev);
    }
    this.watchers.add(w);
    return w;
  }

  watcherCount(): number {
    return this.watchers.size;
  }
}

class Watcher implements CacheWatcher {
  private stopped = false;

  constructor(
    private readonly o: CacheWatchOptions,
    private readonly send: (e: WatchEventOut) => void,
    private readonly end: (err: ApiError) => void,
    private readonly detach: () => void,
  ) {}

  /**
   * Kubernetes' filtered-watch semantics: an object that starts matching is ADDED, one that stops
   * matching is DELETED (with its new state), changes invisible to this watcher are not sent.
   */
  deliver(e: CacheEvent, prev: KubeObject | undefined): void {
    if (this.stopped || !e.key.startsWith(this.o.keyPrefix) || e.revision <= this.o.fromRevision) return;
    const now = e.type !== 'DELETED' && this.o.matches(e.object);
    const was = prev !== undefined && this.o.matches(prev);
    if (e.type === 'DELETED') {
      if (this.o.matches(e.object) || was) this.send({ type: 'DELETED', object: e.object });
    } else if (now && was) this.send({ type: 'MODIFIED', object: e.object });
    else if (now) this.send({ type: 'ADDED', object: e.object });
    else if (was) this.send({ type: 'DELETED', object: e.object });
  }

  bookmark(revision: number): void {
    if (this.stopped || !this.o.allowBookmarks) return;
    this.send({ type: 'BOOKMARK', object: { apiVersion: '', kind: '', metadata: { resourceVersion: String(revision) } } });
  }

  fail(err: ApiError): void {
    if (this.stopped) return;
    this.stop();
    this.end(err);
  }

  stop(): void {
    this.stopped = true;
    this.detach();
  }
}
