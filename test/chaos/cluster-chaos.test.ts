/**
 * The cluster chaos suite (issue 7): the six scenarios of support/cluster-scenarios.ts, once each,
 * on a real 3-node cluster in node containers (`scripts/cluster up` on its own network and names).
 * Each scenario's checks are asserted; its figures are printed as one JSON line ("CHAOS {...}") and
 * appended to .ci/out/chaos/cluster-figures.jsonl. `scripts/chaos` runs the same scenarios several
 * times and prints a table of the figures; timings are reported there, never asserted here.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../e2e/support/processes';
import { ChaosCluster, SCENARIOS, chaosCluster } from './support/cluster-scenarios';

jest.setTimeout(600_000);

const OUT = path.join(ROOT, '.ci/out/chaos');
let c: ChaosCluster | undefined;

beforeAll(async () => {
  c = await chaosCluster('chaos', (line) => process.stderr.write(`[chaos] ${line}\n`));
});

afterAll(async () => {
  if (!c) return;
  c.close();
  const down = await c.nodes.down();
  if (down.code !== 0) throw new Error(`scripts/cluster down failed: ${down.stderr}`);
  expect(await c.nodes.leftovers()).toEqual([]);
});

describe('cluster chaos: real node containers under client load', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const result = await scenario.run(c!).finally(() => c!.stopLoads());
    const line = JSON.stringify({ ...result, at: new Date().toISOString() });
    process.stdout.write(`CHAOS ${line}\n`);
    mkdirSync(OUT, { recursive: true });
    appendFileSync(path.join(OUT, 'cluster-figures.jsonl'), `${line}\n`);
    expect(result.checks.filter((ch) => !ch.ok)).toEqual([]);
  });
});
