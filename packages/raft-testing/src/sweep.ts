import { SimStats, Simulation, SimulationOptions, addStats, emptyStats } from './simulation';

/** Steps per sweep run (at least 2,000; more steps mean longer logs, more elections per run). */
export const SWEEP_STEPS = 3000;

/**
 * Seeds per sweep file: `fallback`, or MK_SIM_SEEDS for quick local runs (e.g. MK_SIM_SEEDS=20).
 */
export function seedCount(fallback: number): number {
  const raw = process.env.MK_SIM_SEEDS;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`MK_SIM_SEEDS must be a positive integer, got '${raw}'`);
  return n;
}

/** Runs seeds [first, first + count) and sums their figures; the first violation throws (with its trace). */
export function runSweep(first: number, count: number, options: Partial<SimulationOptions>): SimStats {
  const total = emptyStats();
  for (let seed = first; seed < first + count; seed++) addStats(total, new Simulation(seed, options).run());
  return total;
}

/** The figures a sweep must show to prove it exercised each feature, not just survived. */
export function exercised(s: SimStats): Record<string, number> {
  return {
    elections: s.elections,
    commits: s.commits,
    crashes: s.crashes,
    crashesAfterPersist: s.crashesAfterPersist,
    crashesLosingReady: s.crashesLosingReady,
    unsyncedWritesLost: s.unsyncedWritesLost,
    partitions: s.partitions,
    messagesDropped: s.messagesDropped,
    messagesDuplicated: s.messagesDuplicated,
    messagesReordered: s.messagesReordered,
    snapshotsCreated: s.snapshotsCreated,
    snapshotsInstalled: s.snapshotsInstalled,
    confChangesCommitted: s.confChangesCommitted,
    membersAdded: s.membersAdded,
    membersRemoved: s.membersRemoved,
    transfers: s.transfers,
    readIndexServed: s.readIndexServed,
  };
}

/**
 * Declares one sweep test: `nodes`-node clusters, 500 seeds (MK_SIM_SEEDS overrides) from
 * `firstSeed`, 3,000 steps each. No invariant may break, and the summed figures must show that
 * every feature was exercised. The sweep is split over several files so jest uses both cores.
 */
export function defineSweep(nodes: number, firstSeed: number): void {
  const count = seedCount(500);
  test(`${nodes} nodes, ${count} seeds from ${firstSeed}: no invariant breaks, and every feature is exercised`, () => {
    const stats = runSweep(firstSeed, count, { nodes, steps: SWEEP_STEPS });
    expect(stats.violations).toBe(0);
    for (const [figure, n] of Object.entries(exercised(stats))) {
      expect({ figure, exercised: n > 0 }).toEqual({ figure, exercised: true });
    }
  }, 300_000);
}
