/**
 * `scripts/chaos`: the cluster chaos scenarios (support/cluster-scenarios.ts), several rounds on one
 * 3-node cluster in node containers, then a table of their headline figures (each run, median, max,
 * the issue's target) and of their checks. Every result is also written as JSON
 * (.ci/out/chaos/chaos-<time>.json, or --json prints it on stdout instead of the table).
 * Progress goes to stderr. A failed check makes the exit code 1; a missed target does not (it is
 * a figure to report, not an assertion).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../e2e/support/processes';
import { ScenarioResult, SCENARIOS, chaosCluster } from './support/cluster-scenarios';

const USAGE = `Usage: scripts/chaos [--runs N] [--only NAME,...] [--json] [--keep] [--no-build]
  --runs N        rounds of every scenario (default 3)
  --only NAMES    these scenarios, comma-separated: ${SCENARIOS.map((s) => s.name).join(', ')}
  --json          print the results as JSON instead of the table
  --keep          leave the cluster up when a scenario fails, to look inside (its names are logged)
  --no-build      skip npm run build`;

function fail(message: string): never {
  process.stderr.write(`scripts/chaos: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { runs: number; only: string[]; json: boolean; keep: boolean } {
  let runs = 3;
  let keep = false;
  let only = SCENARIOS.map((s) => s.name);
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') {
      const v = argv[++i];
      if (v === undefined || !/^[1-9]\d*$/.test(v)) fail(`--runs: want a positive whole number, got ${JSON.stringify(v ?? '')}`);
      runs = Number(v);
    } else if (a === '--only') {
      const v = argv[++i] ?? '';
      only = v.split(',').filter((x) => x !== '');
      const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
      if (only.length === 0 || unknown.length > 0) fail(`--only: unknown scenario ${JSON.stringify(unknown.join(',') || v)}`);
    } else if (a === '--json') json = true;
    else if (a === '--keep') keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument ${JSON.stringify(a)}`);
  }
  return { runs, only, json, keep };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Plain-text table with aligned columns. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function render(results: ScenarioResult[], runs: number, only: string[]): string {
  const rows: string[][] = [['SCENARIO', 'FIGURE', ...Array.from({ length: runs }, (_, i) => `RUN ${i + 1}`), 'MEDIAN', 'MAX', 'TARGET', 'MET']];
  for (const s of SCENARIOS.filter((x) => only.includes(x.name))) {
    const mine = results.filter((r) => r.scenario === s.name);
    for (const h of s.headline) {
      const values = mine.map((r) => r.figures[h.figure]);
      const nums = values.filter((v): v is number => typeof v === 'number');
      const max = nums.length ? Math.max(...nums) : NaN;
      rows.push([
        s.name,
        h.figure,
        ...Array.from({ length: runs }, (_, i) => (values[i] === undefined ? '-' : String(values[i]))),
        Number.isNaN(median(nums)) ? '-' : String(Math.round(median(nums))),
        Number.isNaN(max) ? '-' : String(max),
        h.target === undefined ? '' : `<= ${h.target}`,
        h.target === undefined || nums.length === 0 ? '' : `${nums.filter((n) => n <= h.target!).length}/${nums.length}`,
      ]);
    }
  }
  const checks: string[][] = [['SCENARIO', 'RUNS', 'CHECKS PASSED', 'FAILED CHECKS']];
  for (const s of SCENARIOS.filter((x) => only.includes(x.name))) {
    const mine = results.filter((r) => r.scenario === s.name);
    const all = mine.flatMap((r) => r.checks);
    const failed = [...new Set(all.filter((c) => !c.ok).map((c) => c.name))];
    checks.push([s.name, String(mine.length), `${all.filter((c) => c.ok).length}/${all.length}`, failed.join('; ') || '-']);
  }
  return `${table(rows)}\n\n${table(checks)}\n`;
}

async function main(): Promise<void> {
  const { runs, only, json, keep } = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`);
  log('scripts/cluster up (own network and names), then the app');
  const c = await chaosCluster('bench', log);
  const results: ScenarioResult[] = [];
  let error: Error | undefined;
  try {
    for (let round = 1; round <= runs; round++) {
      for (const s of SCENARIOS.filter((x) => only.includes(x.name))) {
        log(`round ${round}: ${s.name} — ${s.title}`);
        const r = await s.run(c).finally(() => c.stopLoads());
        results.push(r);
        log(`${s.name}: ${JSON.stringify(r.figures)}; failed checks: ${JSON.stringify(r.checks.filter((x) => !x.ok))}`);
      }
    }
  } catch (e) {
    error = e as Error;
    log(`stopped: ${error.message}`);
  } finally {
    c.close();
    if (keep && error) {
      log(`kept the cluster: ${Object.entries(c.nodes.env).filter(([k]) => /^MK_|^MKCONFIG$|^HOME$/.test(k)).map(([k, v]) => `${k}=${v}`).join(' ')} scripts/cluster down --purge`);
    } else {
      const down = await c.nodes.down();
      if (down.code !== 0) log(`scripts/cluster down failed: ${down.stderr}`);
    }
  }
  const out = { at: new Date().toISOString(), runs, results, ...(error ? { error: error.message } : {}) };
  const dir = path.join(ROOT, '.ci/out/chaos');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `chaos-${out.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  if (json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else process.stdout.write(`${render(results, runs, only)}\nJSON: ${path.relative(process.cwd(), file)}\n`);
  process.exit(error || results.some((r) => r.checks.some((x) => !x.ok)) ? 1 : 0);
}

main().catch((e: Error) => {
  process.stderr.write(`scripts/chaos: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
