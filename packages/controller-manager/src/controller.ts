/**
 * The shape every control loop has (client-go's controller pattern): informer handlers put keys
 * in a rate-limited, deduplicating workqueue; `run(n)` starts n workers that call `sync(key)`; a
 * failing sync is retried with back-off. `sync` is level-driven — it reads the desired and the
 * actual state from the caches and acts — so tests drive it directly, key by key.
 */
import { RateLimitingQueue, type RateLimiter, runWorkers } from '@mk/client';
import type { Clock, Logger } from '@mk/shared';
import type { ControllerContext } from './types';

export abstract class Controller {
  readonly queue: RateLimitingQueue<string>;
  protected readonly log: Logger;
  protected readonly clock: Clock;
  private running: Promise<void> | undefined;

  constructor(
    readonly name: string,
    protected readonly ctx: ControllerContext,
    rateLimiter?: RateLimiter<string>,
  ) {
    this.clock = ctx.clock;
    this.log = ctx.logger.child({ controller: name });
    this.queue = new RateLimitingQueue<string>({ clock: ctx.clock, name, ...(rateLimiter ? { rateLimiter } : {}) });
  }

  /** Reconciles one object (its key is `namespace/name`, or `name` when cluster-scoped). */
  abstract sync(key: string): Promise<void>;

  /** Informers this controller reads; the manager waits until they are synced before run(). */
  abstract informerResources(): readonly string[];

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Starts `workers` workers (plus whatever periodic work a controller adds in `start`). */
  run(workers: number): Promise<void> {
    this.start();
    this.running ??= runWorkers(this.queue, workers, (key) => this.sync(key), this.log);
    return this.running;
  }

  /** Stops taking work; resolves when the workers have finished what they hold. */
  async stop(): Promise<void> {
    this.halt();
    this.queue.shutDown();
    await this.running;
  }

  /** Hook for periodic work (timers); called by run(). */
  protected start(): void {}

  /** Hook to cancel periodic work; called by stop(). */
  protected halt(): void {}
}
