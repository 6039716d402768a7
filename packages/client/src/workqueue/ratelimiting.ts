import { DelayingQueue } from './delaying';
import type { WorkQueueOptions } from './queue';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimiters';

export interface RateLimitingQueueOptions<T> extends WorkQueueOptions {
  /** Defaults to `defaultControllerRateLimiter(clock)`. */
  rateLimiter?: RateLimiter<T>;
}

/** What a worker loop needs from a queue (see `runWorkers`). */
export interface RateLimitingInterface<T> {
  get(): Promise<T | undefined>;
  done(item: T): void;
  addRateLimited(item: T): void;
  forget(item: T): void;
  numRequeues(item: T): number;
}

/**
 * client-go's rate-limiting queue: a delaying queue whose `addRateLimited(item)` waits as long as
 * the rate limiter says. Call `forget(item)` when the item succeeded, or its back-off keeps growing.
 */
export class RateLimitingQueue<T = string> extends DelayingQueue<T> implements RateLimitingInterface<T> {
  readonly rateLimiter: RateLimiter<T>;

  constructor(options: RateLimitingQueueOptions<T>) {
    super(options);
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<T>(options.clock);
  }

  /** Adds `item` after the rate limiter's delay for it (which counts one more requeue). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.rateLimiter.when(item));
  }

  /** Resets the item's back-off (it is not removed from the queue). */
  forget(item: T): void {
    this.rateLimiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.rateLimiter.numRequeues(item);
  }
}
