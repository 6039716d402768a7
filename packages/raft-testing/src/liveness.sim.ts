import { COMMIT_ROUNDS_BOUND, ELECTION_ROUNDS_BOUND_WITHOUT_PREVOTE, Simulation, SimulationOptions } from './simulation';
import { runSweep, seedCount } from './sweep';

// Every run ends with the liveness phase (heal, stop faults, restart crashed nodes, then a leader
// and a committed batch within bounded rounds of ticks). Here the runs use the harsher profile, so
// the phase starts from a worse state: nodes down, long partitions, half-done membership changes.
const chaos: Partial<SimulationOptions> = { profile: 'chaos' };

describe('liveness after faults stop', () => {
  test.each([3, 5])('%i nodes, harsh faults: a leader and a committed batch within the bounds', (nodes) => {
    const stats = runSweep(1, seedCount(100), { ...chaos, nodes });
    expect(stats.violations).toBe(0);
    expect(stats.livenessRestarts).toBeGreaterThan(0); // the phase had crashed nodes to bring back
    expect(stats.livenessElectionRounds).toBeGreaterThan(0); // ... and elections to hold
    expect(stats.livenessElectionRoundsMax).toBeLessThanOrEqual(ELECTION_ROUNDS_BOUND_WITHOUT_PREVOTE);
    expect(stats.livenessCommitRoundsMax).toBeLessThanOrEqual(COMMIT_ROUNDS_BOUND);
  }, 300_000);

  // KNOWN RAFT BUG (reported, not fixed here): without pre-vote, a candidate whose term is behind
  // gets no answer (raft.ts step(): a lower-term Vote is silently ignored), and with log-based
  // membership the others may never message it, so it never learns the current term. In this run
  // n1 holds its own uncommitted removal (so never campaigns), n3's log is too old to win, and n2 —
  // the only node that could win — stays a couple of terms behind n1 and n3 forever. Once the core
  // answers stale votes with its term (Raft Figure 2), this run should pass: then delete this test.
  // (It pins one seed of the current harness; if the harness's draws change, find another with
  // `mk-raft-sim --profile chaos --pre-vote off --seeds 3000`.)
  test('known bug: seed 400 (3 nodes, chaos profile, preVote off) never elects a leader', () => {
    const run = () => new Simulation(400, { ...chaos, nodes: 3, preVote: false }).run();
    expect(run).toThrow(/liveness violated at seed 400, step 2001: no leader recognised by every member after 500 rounds/);
  });
});
