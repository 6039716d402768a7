import type { Clock } from '@mk/shared';

/**
 * The rate limiters of client-go (k8s.io/client-go/util/workqueue/default_rate_limiters.go).
 * All durations are milliseconds.
 */
export interface RateLimiter<T = string> {
  /** How long `item` should wait before it is processed again; records one more failure. */
  when(item: T): number;
  /** Stops tracking `item` (it succeeded, or was given up on). */
  forget(item: T): void;
  /** How many times `item` has been requeued through this limiter since it was last forgotten. */
  numRequeues(item: T): number;
}

function checkNonNegative(what: string, value: number): void {
  if (!(value >= 0)) throw new RangeError(`${what} must be >= 0, got ${value}`);
}

/**
 * Per item: `baseDelay * 2^failures`, capped at `maxDelay` (5 ms, 10 ms, 20 ms, … 1000 s with the
 * defaults).
 */
export class ItemExponentialFailureRateLimiter<T = string> implements RateLimiter<T> {
  private readonly failures = new Map<T, number>();

  constructor(
    readonly baseDelayMs = 5,
    readonly maxDelayMs = 1_000_000,
  ) {
    checkNonNegative('baseDelayMs', baseDelayMs);
    checkNonNegative('maxDelayMs', maxDelayMs);
  }

  when(item: T): number {
    const exp = this.failures.get(item) ?? 0;
    this.failures.set(item, exp + 1);
    const backoff = this.baseDelayMs * 2 ** exp; // Infinity once it overflows: capped below
    return Math.min(backoff, this.maxDelayMs);
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/** Per item: `fastDelay` for the first `maxFastAttempts` requeues, `slowDelay` after. */
export class ItemFastSlowRateLimiter<T = string> implements RateLimiter<T> {
  private readonly attempts = new Map<T, number>();

  constructor(
    readonly fastDelayMs: number,
    readonly slowDelayMs: number,
    readonly maxFastAttempts: number,
  ) {
    checkNonNegative('fastDelayMs', fastDelayMs);
    checkNonNegative('slowDelayMs', slowDelayMs);
    checkNonNegative('maxFastAttempts', maxFastAttempts);
  }

  when(item: T): number {
    const attempts = (this.attempts.get(item) ?? 0) + 1;
    this.attempts.set(item, attempts);
    return attempts <= this.maxFastAttempts ? this.fastDelayMs : this.slowDelayMs;
  }

  forget(item: T): void {
    this.attempts.delete(item);
  }

  numRequeues(item: T): number {
    return this.attempts.get(item) ?? 0;
  }
}

/**
 * One token bucket for all items (golang.org/x/time/rate's `Reserve().Delay()`): it starts full
 * with `burst` tokens and refills at `qps` per second; every `when` takes a token, reserving a
 * future one when the bucket is empty, so requests beyond the burst are spaced `1000 / qps` ms
 * apart. Kept as a "theoretical arrival time" (the instant the bucket would be full again), which
 * is exact for integral spacings. Never counts requeues; `forget` does nothing.
 */
export class BucketRateLimiter<T = string> implements RateLimiter<T> {
  private readonly intervalMs: number;
  /** When the bucket would be full again if nothing else were taken. */
  private fullAt: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(qps > 0)) throw new RangeError(`qps must be > 0, got ${qps}`);
    if (!(Number.isInteger(burst) && burst >= 1)) {
      throw new RangeError(`burst must be an integer >= 1, got ${burst}`);
    }
    this.intervalMs = 1000 / qps; // 0 for qps = Infinity: never waits
    this.fullAt = clock.now();
  }

  when(_item: T): number {
    const now = this.clock.now();
    this.fullAt = Math.max(this.fullAt, now) + this.intervalMs;
    return Math.max(0, this.fullAt - now - this.burst * this.intervalMs);
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The largest delay of its limiters (each one records the failure); `forget` reaches all. */
export class MaxOfRateLimiter<T = string> implements RateLimiter<T> {
  readonly limiters: readonly RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    if (limiters.length === 0) throw new RangeError('MaxOfRateLimiter needs at least one limiter');
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/**
 * client-go's `DefaultControllerRateLimiter`: per-item exponential back-off from 5 ms to 1000 s,
 * and an overall token bucket of 10 qps with a burst of 100; the larger delay wins.
 */
export function defaultControllerRateLimiter<T = string>(clock: Clock): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(
    new ItemExponentialFailureRateLimiter<T>(5, 1_000_000),
    new BucketRateLimiter<T>(10, 100, clock),
  );
}
