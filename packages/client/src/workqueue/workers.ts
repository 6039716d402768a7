import type { Logger } from '@mk/shared';
import type { RateLimitingInterface } from './ratelimiting';

export interface RunWorkersOptions {
  /**
   * Give up on an item once it has been requeued this many times in a row (it is forgotten and an
   * error is logged; a later add starts afresh). Default: retry for ever.
   */
  maxRetries?: number;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `n` workers, each taking an item, calling `sync(item)` and marking it done, until the queue
 * is shut down and empty. A failing sync (rejected or thrown) is requeued with
 * `addRateLimited` and logged; a successful one is `forget`-ten, which resets its back-off. The
 * queue guarantees one item is never synced by two workers at once. Resolves when every worker
 * has stopped.
 */
export async function runWorkers<T>(
  queue: RateLimitingInterface<T>,
  n: number,
  sync: (item: T) => Promise<void>,
  logger: Logger,
  options: RunWorkersOptions = {},
): Promise<void> {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`runWorkers: n must be an integer >= 1, got ${n}`);
  }
  const maxRetries = options.maxRetries ?? Infinity;

  const worker = async (id: number): Promise<void> => {
    const log = logger.child({ worker: id });
    log.debug('worker started');
    for (let item = await queue.get(); item !== undefined; item = await queue.get()) {
      try {
        await sync(item);
        queue.forget(item);
      } catch (err) {
        const requeues = queue.numRequeues(item);
        if (requeues < maxRetries) {
          queue.addRateLimited(item);
          log.warn('sync failed; requeued with back-off', {
            item,
            requeues: requeues + 1,
            error: describeError(err),
          });
        } else {
          queue.forget(item);
          log.error('sync failed too many times; dropped', { item, requeues, error: describeError(err) });
        }
      } finally {
        queue.done(item);
      }
    }
    log.debug('worker stopped');
  };

  await Promise.all(Array.from({ length: n }, (_, i) => worker(i)));
}
