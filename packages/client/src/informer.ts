/**
 * Informer<T>: client-go's SharedInformer. Lists a resource, then watches it from the list's
 * resourceVersion, keeping a local indexed cache and telling event handlers what changed.
 *
 *  - A watch that ends or fails is resumed from the last resourceVersion seen (an event's or a
 *    bookmark's), at once after a watch that delivered events, else with exponential back-off.
 *  - Gone (an ERROR event with a 410 Status, or a Gone error) means that version is compacted
 *    away: the informer lists again and diffs the cache against the list: new keys → onAdd,
 *    changed resourceVersion → onUpdate, a key whose uid changed → onDelete + onAdd, a key no
 *    longer listed → onDelete with a DeletedFinalStateUnknown tombstone (the delete was missed, the
 *    object is the last state the cache knew).
 *  - An event for a version the cache already holds (an overlap after resuming) is dropped, so a
 *    handler never sees the same change twice.
 *  - Cached objects are deep-frozen (`freeze: false` turns that off for hot paths): never mutate
 *    them; copy first (structuredClone) and write the copy.
 *  - All timing (back-off, resync) comes from the injected Clock.
 */
import { type Clock, type Logger, nullLogger } from '@mk/shared';
import type { ObjectList, WatchEvent, WatchHandle } from './api-client';
import { type KubeObjectLike, deepFreeze, metaNamespaceKey } from './object';
import { type ApiError, type Status, isGone } from './status';
import { type IndexFunc, Indexer, type Store } from './store';

/** What an informer needs from a client: a ResourceClient (`client.resource<T>(plural)`) fits. */
export interface ListerWatcher<T> {
  listAll(opts: { labelSelector?: string; fieldSelector?: string; limit?: number; resourceVersion?: string }): Promise<ObjectList<T>>;
  watch(
    opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; allowBookmarks?: boolean },
    handler: (event: WatchEvent<T>) => void,
  ): WatchHandle;
}

/** A delete the informer did not see happen (found missing at a relist); `obj` is its last known state. */
export class DeletedFinalStateUnknown<T> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

/** The object of an onDelete argument, tombstone or not. */
export function deletedObject<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  /** On a change, and for every cached object at each resync (then `oldObj === newObj`). */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface InformerOptions<T> {
  clock: Clock;
  logger?: Logger;
  /** For log lines, e.g. the resource name. */
  name?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver onUpdate(obj, obj) for every cached object this often; 0 or absent: never. */
  resyncPeriodMs?: number;
  indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /**
   * Back-off between failed lists / unproductive watches: initial (default 200 ms), doubling to max
   * (default 4 s; client-go's reflector goes to 30 s). A short cap keeps agents from sleeping through
   * the first half minute after an outage of every API server; a failing list is one request a few
   * seconds per client, which the API servers bear in a cluster of our size.
   */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Deep-freeze cached objects (default true). */
  freeze?: boolean;
  /** Page size of the lists (default 500). */
  pageSize?: number;
}

function isGoneStatus(s: Status): boolean {
  return s.code === 410 || s.reason === 'Gone' || s.reason === 'Expired';
}

export class Informer<T extends KubeObjectLike> {
  private readonly indexer: Indexer<T>;
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly freeze: boolean;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private started = false;
  private stopped = false;
  private synced = false;
  private lastRV = '';
  private failures = 0;
  private watchHandle: WatchHandle | undefined;
  private cancelRetry: (() => void) | undefined;
  private cancelResync: (() => void) | undefined;
  private syncWaiters: ((synced: boolean) => void)[] = [];

  constructor(
    private readonly lw: ListerWatcher<T>,
    private readonly options: InformerOptions<T>,
  ) {
    this.indexer = new Indexer<T>(options.indexers);
    this.clock = options.clock;
    this.logger = (options.logger ?? nullLogger).child({ informer: options.name ?? 'informer' });
    this.freeze = options.freeze ?? true;
    this.initialBackoffMs = options.backoff?.initialMs ?? 200;
    this.maxBackoffMs = options.backoff?.maxMs ?? 4000;
  }

  /** The cache (read-only: objects are frozen). */
  get store(): Store<T> {
    return this.indexer;
  }

  /** Registers more indexes (objects already cached are indexed at once). */
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    this.indexer.addIndexers(indexers);
  }

  /**
   * Adds a handler; returns a function that removes it. A handler added while objects are cached
   * first gets onAdd for each of them, so late handlers see the same world as early ones.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (handler.onAdd) for (const obj of this.indexer.list()) this.call('onAdd', () => handler.onAdd?.(obj));
    return () => this.handlers.delete(handler);
  }

  /** True once the first list is in the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if the informer is stopped first. */
  waitForSync(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** The resourceVersion the watch resumes from (last event, bookmark or list). */
  lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  /** Starts listing and watching; idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.listAndWatch();
  }

  /** Stops the watch and every timer; handlers get nothing more. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelRetry?.();
    this.cancelResync?.();
    const h = this.watchHandle;
    this.watchHandle = undefined;
    h?.stop();
    for (const w of this.syncWaiters.splice(0)) w(false);
  }

  // ---- list and watch ----

  private async listAndWatch(): Promise<void> {
    if (this.stopped) return;
    let list: ObjectList<T>;
    try {
      list = await this.lw.listAll({ ...this.selectors(), limit: this.options.pageSize ?? 500 });
    } catch (e) {
      if (this.stopped) return;
      this.logger.warn('list failed; retrying', { error: (e as Error).message });
      this.failures++;
      this.retryLater(() => void this.listAndWatch());
      return;
    }
    if (this.stopped) return;
    this.replace(list.items);
    this.lastRV = list.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w(true);
      this.scheduleResync();
    }
    this.startWatch();
  }

  private selectors(): { labelSelector?: string; fieldSelector?: string } {
    const s: { labelSelector?: string; fieldSelector?: string } = {};
    if (this.options.labelSelector) s.labelSelector = this.options.labelSelector;
    if (this.options.fieldSelector) s.fieldSelector = this.options.fieldSelector;
    return s;
  }

  private startWatch(): void {
    if (this.stopped) return;
    let productive = false;
    const handle: WatchHandle = this.lw.watch({ ...this.selectors(), resourceVersion: this.lastRV, allowBookmarks: true }, (event) => {
      if (this.watchHandle !== handle || this.stopped) return;
      if (!productive && event.type !== 'ERROR') {
        productive = true;
        this.failures = 0;
      }
      this.onWatchEvent(event, productive);
    });
    this.watchHandle = handle;
    void handle.done.then((err) => {
      if (this.watchHandle !== handle || this.stopped) return; // ended on purpose
      this.watchHandle = undefined;
      this.watchEnded(err, productive);
    });
  }

  private watchEnded(err: ApiError | undefined, productive: boolean): void {
    if (err && isGone(err)) {
      this.logger.info('watch: resourceVersion gone; relisting', { resourceVersion: this.lastRV, error: err.message });
      this.relist(productive);
      return;
    }
    if (err) this.logger.warn('watch failed; resuming', { resourceVersion: this.lastRV, error: err.message });
    else this.logger.debug('watch ended; resuming', { resourceVersion: this.lastRV });
    if (productive) this.startWatch();
    else {
      this.failures++;
      this.retryLater(() => this.startWatch());
    }
  }

  private relist(immediately: boolean): void {
    if (immediately) {
      void this.listAndWatch();
    } else {
      this.failures++;
      this.retryLater(() => void this.listAndWatch());
    }
  }

  private retryLater(fn: () => void): void {
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, this.failures - 1));
    this.cancelRetry?.();
    this.cancelRetry = this.clock.setTimer(delay, () => {
      this.cancelRetry = undefined;
      if (!this.stopped) fn();
    });
  }

  private onWatchEvent(event: WatchEvent<T>, productive: boolean): void {
    switch (event.type) {
      case 'ERROR': {
        const handle = this.watchHandle;
        this.watchHandle = undefined;
        handle?.stop();
        if (isGoneStatus(event.object)) {
          this.logger.info('watch: resourceVersion gone; relisting', { resourceVersion: this.lastRV, error: event.object.message });
          this.relist(productive);
        } else {
          this.logger.warn('watch error event; resuming', { resourceVersion: this.lastRV, error: event.object.message });
          this.failures++;
          this.retryLater(() => this.startWatch());
        }
        return;
      }
      case 'BOOKMARK':
        if (event.object.metadata?.resourceVersion) this.lastRV = event.object.metadata.resourceVersion;
        return;
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.own(event.object);
        const key = metaNamespaceKey(obj);
        const old = this.indexer.get(key);
        if (obj.metadata.resourceVersion) this.lastRV = obj.metadata.resourceVersion;
        if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return; // seen already
        this.indexer.set(obj);
        if (old) this.emitUpdate(old, obj);
        else this.emitAdd(obj);
        return;
      }
      case 'DELETED': {
        const obj = this.own(event.object);
        if (obj.metadata.resourceVersion) this.lastRV = obj.metadata.resourceVersion;
        const old = this.indexer.delete(metaNamespaceKey(obj));
        if (old) this.emitDelete(obj);
        return;
      }
    }
  }

  /** Makes the cache match a fresh list, telling handlers the difference. */
  private replace(items: readonly T[]): void {
    const listed = new Map<string, T>();
    for (const item of items) {
      const obj = this.own(item);
      listed.set(metaNamespaceKey(obj), obj);
    }
    for (const key of this.indexer.listKeys()) {
      if (listed.has(key)) continue;
      const old = this.indexer.delete(key)!;
      this.emitDelete(this.own(new DeletedFinalStateUnknown(key, old)));
    }
    for (const [key, obj] of listed) {
      const old = this.indexer.get(key);
      if (!old) {
        this.indexer.set(obj);
        this.emitAdd(obj);
      } else if (old.metadata.uid !== undefined && obj.metadata.uid !== undefined && old.metadata.uid !== obj.metadata.uid) {
        // Deleted and created again while we were not watching.
        this.indexer.delete(key);
        this.emitDelete(this.own(new DeletedFinalStateUnknown(key, old)));
        this.indexer.set(obj);
        this.emitAdd(obj);
      } else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        this.indexer.set(obj);
        this.emitUpdate(old, obj);
      }
    }
  }

  private scheduleResync(): void {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0 || this.stopped) return;
    this.cancelResync = this.clock.setTimer(period, () => {
      this.cancelResync = undefined;
      if (this.stopped) return;
      for (const obj of this.indexer.list()) this.emitUpdate(obj, obj);
      this.scheduleResync();
    });
  }

  private own<O>(obj: O): O {
    return this.freeze ? deepFreeze(obj) : obj;
  }

  private emitAdd(obj: T): void {
    for (const h of this.handlers) if (h.onAdd) this.call('onAdd', () => h.onAdd?.(obj));
  }
  private emitUpdate(old: T, obj: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call('onUpdate', () => h.onUpdate?.(old, obj));
  }
  private emitDelete(obj: T | DeletedFinalStateUnknown<T>): void {
    for (const h of this.handlers) if (h.onDelete) this.call('onDelete', () => h.onDelete?.(obj));
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.logger.error(`event handler ${what} threw`, { error: (e as Error).message });
    }
  }
}
