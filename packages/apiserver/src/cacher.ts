import type { ResourceInfo } from '@mk/api';
import { Clock, Logger } from '@mk/shared';
import { resourcePrefix } from './registry/keys';
import { fromStored } from './registry/object-registry';
import { Store, WatchEvent, WatchHandle } from './storage/store';
import { CacheEvent, WatchCache } from './watch-cache';

/** Retry delay after the store watch ends with an error other than compaction. */
const REWATCH_MS = 1000;

/**
 * Keeps one resource's WatchCache fed from one store watch: lists the prefix at one revision,
 * then watches from the next. A watch the store can no longer serve (compacted) is replaced by a
 * fresh list; any other failure is retried from the last revision the cache has.
 */
export class Cacher {
  readonly cache: WatchCache;
  private watch: WatchHandle | undefined;
  private stopped = false;
  private cancelRetry: () => void = () => {};

  constructor(
    readonly resource: ResourceInfo,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    capacity = 1000,
  ) {
    this.cache = new WatchCache(resource.resource, capacity);
  }

  start(): void {
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry();
    this.watch?.cancel();
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    const prefix = resourcePrefix(this.resource);
    try {
      const items: Array<{ key: string; object: ReturnType<typeof fromStored>; revision: number }> = [];
      let startAfterKey: string | undefined;
      let revision: number | undefined;
      for (;;) {
        const page = await this.store.list(prefix, { limit: 500, ...(startAfterKey ? { startAfterKey } : {}), ...(revision ? { revision } : {}) });
        revision ??= page.revision;
        for (const it of page.items) items.push({ key: it.key, object: fromStored(it), revision: it.modRevision });
        if (!page.more || page.items.length === 0) break;
        startAfterKey = page.items[page.items.length - 1]!.key;
      }
      if (this.stopped) return;
      this.cache.reset(items, revision);
      this.follow(revision + 1);
    } catch (e) {
      this.logger.warn('listing for the watch cache failed; retrying', { resource: this.resource.resource, error: (e as Error).message });
      this.retry(() => void this.relist());
    }
  }

  private follow(from: number): void {
    if (this.stopped) return;
    const prefix = resourcePrefix(this.resource);
    this.watch = this.store.watch(
      prefix,
      from,
      (events) => this.onEvents(events),
      (err) => {
        this.watch = undefined;
        if (this.stopped) return;
        if (err.name === 'CompactedError') {
          this.logger.info('watch cache fell behind a compaction; relisting', { resource: this.resource.resource });
          this.retry(() => void this.relist(), 0);
        } else {
          this.logger.warn('store watch ended; resuming', { resource: this.resource.resource, error: err.message });
          this.retry(() => this.follow(this.cache.resourceVersion + 1));
        }
      },
    );
  }

  private onEvents(events: WatchEvent[]): void {
    const out: CacheEvent[] = [];
    for (const e of events) {
      if (e.type === 'bookmark') {
        this.cache.apply(out.splice(0));
        this.cache.progress(e.revision);
        continue;
      }
      if (e.type === 'put') {
        out.push({ type: e.prevValue ? 'MODIFIED' : 'ADDED', key: e.key, object: fromStored({ value: e.value, modRevision: e.modRevision }), revision: e.modRevision });
      } else if (e.prevValue) {
        out.push({ type: 'DELETED', key: e.key, object: fromStored({ value: e.prevValue, modRevision: e.modRevision }), revision: e.modRevision });
      }
    }
    this.cache.apply(out);
  }

  private retry(f: () => void, ms = REWATCH_MS): void {
    this.cancelRetry = this.clock.setTimer(ms, () => {
      if (!this.stopped) f();
    });
  }
}
