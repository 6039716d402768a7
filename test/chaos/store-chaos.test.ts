/**
 * mk-store under faults: three real members, concurrent clients doing reads, writes and
 * compare-and-sets on a few keys, a watcher on their prefix, and a seeded schedule of SIGKILLs (of
 * the leader and of followers), SIGSTOP/SIGCONT pauses and restarts. Afterwards the recorded
 * history must be linearizable, no acknowledged write may be lost, and the watcher must have seen
 * every change exactly once, in revision order (test/chaos/support/schedule.ts). A failing schedule
 * saves its history and seed. Network partitions: store-partition.test.ts.
 */
import { StoreCluster } from '../e2e/support/store-cluster';
import { FLAGS, processFault, runSchedule, sleep } from './support/schedule';

const SCHEDULES = Number(process.env.MK_CHAOS_SCHEDULES ?? 20);
const FIRST_SEED = Number(process.env.MK_CHAOS_SEED ?? 1);
const LOAD_MS = Number(process.env.MK_CHAOS_LOAD_MS ?? 6000);

jest.setTimeout(180_000);

describe('mk-store under faults (linearizable, nothing acked lost, watch complete)', () => {
  const seeds = Array.from({ length: SCHEDULES }, (_, i) => FIRST_SEED + i);

  it.each(seeds)('fault schedule %i', async (seed) => {
    await runSchedule({
      suite: 'store',
      seed,
      cluster: await StoreCluster.create(3, FLAGS),
      loadMs: LOAD_MS,
      chaos: async (ctx) => {
        while (Date.now() < ctx.stopAt - 800) {
          await sleep(400 + ctx.rng.int(800));
          await processFault(ctx, ctx.rng.int(4));
        }
      },
    });
  });
});
