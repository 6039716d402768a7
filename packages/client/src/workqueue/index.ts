export { WorkQueue } from './queue';
export type { WorkQueueOptions, WorkQueueStats } from './queue';
export { DelayingQueue } from './delaying';
export { RateLimitingQueue } from './ratelimiting';
export type { RateLimitingQueueOptions, RateLimitingInterface } from './ratelimiting';
export {
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  BucketRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './ratelimiters';
export type { RateLimiter } from './ratelimiters';
export { runWorkers } from './workers';
export type { RunWorkersOptions } from './workers';
