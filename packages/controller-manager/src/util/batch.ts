/**
 * Kubernetes' slowStartBatch: run `count` calls of `fn` in batches of 1, 2, 4, … at most
 * `initialBatchSize` doubling, stopping after the first batch with a failure. A controller that
 * cannot create pods (quota, an invalid template, the API server down) then fails after one
 * call instead of a thousand. Returns how many calls succeeded and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += batch - failed.length;
    if (failed.length > 0) return { successes, error: failed[0]!.reason };
    remaining -= batch;
  }
  return { successes };
}
