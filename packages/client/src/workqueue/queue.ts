import type { Clock } from '@mk/shared';

/**
 * The deduplicating work queue of client-go (k8s.io/client-go/util/workqueue, `Type`).
 *
 * - An item queued twice before a worker takes it is processed once (`dirty` set).
 * - An item added while a worker holds it is not handed to a second worker: it is remembered and
 *   queued again when the first worker calls `done` (`processing` set).
 * - Items come out in FIFO order of their (first, not deduplicated) add.
 *
 * Items are compared as `Set` members (SameValueZero): use strings (e.g. `namespace/name` keys) or
 * numbers; two different objects with equal contents are two different items.
 *
 * Shutdown follows client-go: after `shutDown()` new adds are dropped, `get()` still hands out what
 * was already queued and resolves `undefined` once the queue is empty (waiters parked in `get()`
 * wake with `undefined` at once, since they only park while the queue is empty).
 */

export interface WorkQueueOptions {
  /** Time for the metrics (and, in the delaying queue, for the timers). */
  clock: Clock;
  /** A label for metrics exporters. */
  name?: string;
}

/** Counters for a `/metrics` exporter; a fresh snapshot on every call. */
export interface WorkQueueStats {
  name: string;
  /** Items queued and waiting for a worker (`len()`). */
  depth: number;
  /** Adds that put an item into the queue (a deduplicated add is not counted). */
  adds: number;
  /** `addAfter` / `addRateLimited` calls accepted (as client-go's `retries`). */
  retries: number;
  /** Items handed to workers whose `done` has not been called yet. */
  processing: number;
  /** Items `done` with. */
  completed: number;
  /** Delayed items not due yet (always 0 for a plain `WorkQueue`). */
  waiting: number;
  /** How long the longest-held item in `processing` has been held, ms (0 if none). */
  longestRunningMs: number;
  /** Sum over the items in `processing` of how long each has been held, ms. */
  unfinishedWorkMs: number;
}

/** An array FIFO with O(1) amortised shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class WorkQueue<T = string> {
  readonly name: string;
  protected readonly clock: Clock;
  private readonly queue = new Fifo<T>();
  /** Items that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<T>();
  /** Items held by a worker, with the time each was handed out (insertion order = oldest first). */
  private readonly processing = new Map<T, number>();
  /** `get()` calls parked on an empty queue, oldest first. Non-empty only while the queue is empty. */
  private readonly waiters = new Fifo<(item: T | undefined) => void>();
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;
  private draining = false;
  private addsTotal = 0;
  private completedTotal = 0;
  protected retriesTotal = 0;

  constructor(options: WorkQueueOptions) {
    this.clock = options.clock;
    this.name = options.name ?? '';
  }

  /** Marks `item` as needing processing. No-op after shutdown or if it is already queued. */
  add(item: T): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(item)) return;
    this.addsTotal++;
    this.dirty.add(item);
    if (this.processing.has(item)) return; // queued again by `done`
    this.enqueue(item);
  }

  /**
   * The next item to process; waits while the queue is empty. Resolves `undefined` once the queue
   * is shut down and empty. The caller must call `done(item)` when it has finished with it.
   */
  get(): Promise<T | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the processing of `item`; if it was added meanwhile, queues it again. */
  done(item: T): void {
    if (!this.processing.delete(item)) return; // not handed out: nothing to finish
    this.completedTotal++;
    if (this.dirty.has(item)) this.enqueue(item);
    if (this.processing.size === 0 && this.draining) this.releaseDrainWaiters();
  }

  /** Items queued and waiting for a worker (not those being processed or delayed). */
  len(): number {
    return this.queue.length;
  }

  /** Drops further adds and wakes every waiting `get()` with `undefined`. Does not wait. */
  shutDown(): void {
    this.draining = false;
    this.releaseDrainWaiters();
    this.beginShutdown();
  }

  /**
   * As `shutDown`, then resolves once no item is being processed (every handed-out item `done`).
   * Workers must keep calling `done`, or this never resolves.
   */
  shutDownWithDrain(): Promise<void> {
    this.draining = true;
    this.beginShutdown();
    if (this.processing.size === 0) {
      this.draining = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  stats(): WorkQueueStats {
    const now = this.clock.now();
    let longest = 0;
    let unfinished = 0;
    for (const startedAt of this.processing.values()) {
      const held = Math.max(0, now - startedAt);
      unfinished += held;
      if (held > longest) longest = held;
    }
    return {
      name: this.name,
      depth: this.queue.length,
      adds: this.addsTotal,
      retries: this.retriesTotal,
      processing: this.processing.size,
      completed: this.completedTotal,
      waiting: this.waitingCount(),
      longestRunningMs: longest,
      unfinishedWorkMs: unfinished,
    };
  }

  /** Subclasses stop their own machinery here (and must call `super.beginShutdown()`). */
  protected beginShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    // Waiters park only on an empty queue, so all of them get `undefined`.
    for (let w = this.waiters.shift(); w; w = this.waiters.shift()) w(undefined);
  }

  protected waitingCount(): number {
    return 0;
  }

  private enqueue(item: T): void {
    this.queue.push(item);
    // Hand items straight to parked workers so a later synchronous `get()` cannot take them first.
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const waiter = this.waiters.shift();
      if (waiter) waiter(this.take());
    }
  }

  /** Pops the head of a non-empty queue and marks it processing. */
  private take(): T {
    // Only called when queue.length > 0; the cast covers noUncheckedIndexedAccess.
    const item = this.queue.shift() as T;
    this.dirty.delete(item);
    this.processing.set(item, this.clock.now());
    return item;
  }

  private releaseDrainWaiters(): void {
    this.draining = false;
    const waiters = this.drainWaiters.splice(0);
    for (const w of waiters) w();
  }
}
