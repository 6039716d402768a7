/**
 * scripts/bench-store: mk-store against real etcd 3.4, side by side, same client, same machine,
 * same run. Prints one JSON object on stdout (progress on stderr). Benchmarks are not tests:
 * nothing here asserts; the goals of issue 3 are computed and reported as booleans.
 *
 * Both 3-member clusters are started first and stay up; each measurement then runs on one system
 * and right after on the other, the order alternating from one measurement to the next, so drift
 * on a shared machine falls on both. Failover goes last (it kills a member).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '../e2e/support/processes';
import { BenchClient, errorKind, findLeader, put, status } from './client';
import { type BenchCluster, type SystemName, destroyAll, destroyAllSync, etcdVersion, ETCD, startEtcd, startMk } from './clusters';
import {
  KEY_BYTES,
  VALUE_BYTES,
  type FailoverResult,
  type LoadResult,
  type WatchResult,
  failoverBench,
  key,
  populateRangeKeys,
  putLoad,
  rangeLoad,
  watchBench,
} from './workloads';

const PHASES = ['put', 'range', 'watch', 'failover'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  seconds: number;
  warmupSeconds: number;
  only: Set<Phase>;
  systems: SystemName[];
  putClients: number[];
  rangeClients: number;
  channels: number;
  watchers: number;
  watchRate: number;
  failoverClients: number;
  failoverRuns: number;
  keepLogs: boolean;
  mkCpuProf?: string;
}

const USAGE = `usage: scripts/bench-store [options]
  --seconds N            measured seconds per measurement (default 5; --quick = 5)
  --warmup N             warm-up seconds before each measurement (default min(1, seconds/5))
  --only LIST            phases, comma-separated: put,range,watch,failover (default all)
  --system S             mk | etcd | both (default both)
  --put-clients LIST     concurrent clients for put (default 1,16,64,256)
  --range-clients N      concurrent clients for range (default 64)
  --channels N           gRPC channels (HTTP/2 connections) over the 3 members (default 6)
  --watchers N           watch streams (default 10)
  --watch-rate N         writer puts per second during the watch measurement (default 100)
  --failover-clients N   concurrent writers during failover (default 16)
  --failover-runs N      leader kills per system (killed member restarted in between); the
                         median window is compared (default 3: one election is a random draw)
  --keep-logs            keep every member's output under /tmp (kept anyway when a member crashed)
  --mk-cpu-prof DIR      CPU-profile the mk-store members (V8 .cpuprofile files, written to DIR
                         at the end; summarise one with node test/bench/cpuprofile-top.js FILE)
  --no-build             (scripts/bench-store) skip the \`npm run build\` it does first
JSON on stdout, progress on stderr.
`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 5,
    warmupSeconds: NaN,
    only: new Set(PHASES),
    systems: ['mk', 'etcd'],
    putClients: [1, 16, 64, 256],
    rangeClients: 64,
    channels: 6,
    watchers: 10,
    watchRate: 100,
    failoverClients: 16,
    failoverRuns: 3,
    keepLogs: false,
  };
  const num = (flag: string, v: string | undefined, min = 1): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number ≥ ${min}, got '${v ?? ''}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (flag) {
      case '--seconds': o.seconds = num(flag, val(), 0.5); break;
      case '--quick': o.seconds = 5; break;
      case '--warmup': o.warmupSeconds = num(flag, val(), 0); break;
      case '--only': {
        const list = (val() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        for (const p of list) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase '${p}' (put, range, watch, failover)`);
        o.only = new Set(list as Phase[]);
        break;
      }
      case '--system': {
        const s = val();
        if (s === 'both') o.systems = ['mk', 'etcd'];
        else if (s === 'mk' || s === 'etcd') o.systems = [s];
        else throw new Error(`--system must be mk, etcd or both, got '${s ?? ''}'`);
        break;
      }
      case '--put-clients': o.putClients = (val() ?? '').split(',').map((s) => num(flag, s)); break;
      case '--range-clients': o.rangeClients = num(flag, val()); break;
      case '--channels': o.channels = num(flag, val()); break;
      case '--watchers': o.watchers = num(flag, val()); break;
      case '--watch-rate': o.watchRate = num(flag, val()); break;
      case '--failover-clients': o.failoverClients = num(flag, val()); break;
      case '--failover-runs': o.failoverRuns = num(flag, val()); break;
      case '--keep-logs': o.keepLogs = true; break;
      case '--mk-cpu-prof': o.mkCpuProf = path.resolve(val() ?? ''); break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new Error(`unknown option '${a}'\n${USAGE}`);
    }
  }
  if (Number.isNaN(o.warmupSeconds)) o.warmupSeconds = Math.min(1, o.seconds / 5);
  return o;
}

const log = (msg: string): void => void process.stderr.write(`[bench-store] ${msg}\n`);

interface Crash {
  member: string;
  phase: string;
  exit: string;
  output_tail: string;
}

interface SystemResult {
  version?: string;
  startup_ms?: number;
  put: Record<string, LoadResult | { error: string }>;
  range: Record<string, LoadResult | { error: string }>;
  watch?: WatchResult | { error: string };
  failover?: FailoverResult | { error: string };
  crashes: Crash[];
  skipped: string[];
}

interface Sys {
  name: SystemName;
  cluster: BenchCluster;
  client?: BenchClient;
  result: SystemResult;
  /** members killed on purpose (failover) */
  killed: Set<string>;
  broken: boolean;
}

function tail(s: string, n = 6000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** Records members that exited without being killed; a system with one is not measured further. */
function checkAlive(s: Sys, phase: string): void {
  for (const m of s.cluster.members) {
    const d = m.daemon;
    if (!d || d.running() || s.killed.has(m.name)) continue;
    if (s.result.crashes.some((c) => c.member === m.name)) continue;
    const exit = d.child.exitCode !== null ? `exit code ${d.child.exitCode}` : `signal ${d.child.signalCode}`;
    s.result.crashes.push({ member: m.name, phase, exit, output_tail: tail(d.output) });
    log(`!! ${s.name} member ${m.name} died during ${phase} (${exit}); its output:\n${tail(d.output, 4000)}`);
    s.broken = true;
  }
}

async function waitReady(s: Sys): Promise<void> {
  const client = s.client!;
  const all = s.cluster.members.map((_, i) => i);
  await eventually(
    `${s.name}: every member up with a leader`,
    async () => {
      for (const m of s.cluster.members) {
        if (m.daemon && !m.daemon.running()) throw new Error(`${s.name} member ${m.name} exited at start:\n${tail(m.daemon.output, 4000)}`);
      }
      const st = await Promise.all(all.map((i) => status(client.toMember(i), 1000).catch(() => undefined)));
      if (st.some((x) => !x || x.leader === 0)) return false;
      return (await findLeader(client, all)) !== undefined;
    },
    60_000,
  );
  await eventually(`${s.name}: a first put succeeds`, async () => {
    try {
      await put(client.toMember(0), key('z', 0), Buffer.from('ready'), 2000);
      return true;
    } catch {
      return false;
    }
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Runs a measurement and adds what it cost in CPU, as % of one core over the whole run (warm-up
 * included): the 3 members together, and this client process.
 */
async function withCpu(s: Sys, f: () => Promise<LoadResult>): Promise<LoadResult & { members_cpu_pct: number; client_cpu_pct: number }> {
  const pids = s.cluster.members.map((m) => (m.daemon?.running() ? m.daemon.pid : undefined));
  const members0 = pids.reduce<number>((a, p) => a + cpuSeconds(p), 0);
  const client0 = process.cpuUsage();
  const t0 = Date.now();
  const r = await f();
  const wall = (Date.now() - t0) / 1000;
  const members1 = pids.reduce<number>((a, p) => a + cpuSeconds(p), 0);
  const c = process.cpuUsage(client0);
  return {
    ...r,
    members_cpu_pct: Math.round(((members1 - members0) / wall) * 100),
    client_cpu_pct: Math.round(((c.user + c.system) / 1e6 / wall) * 100),
  };
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Number((a / b).toFixed(3));
}

function load(r: LoadResult | { error: string } | undefined): LoadResult | undefined {
  return r && 'ops_per_s' in r ? r : undefined;
}

/**
 * Several leader kills as one result: the median run's figures (by window) stand for the system,
 * with every run's window and kill→first-write listed, and losses summed over all runs.
 */
function summarizeFailovers(runs: FailoverResult[]): FailoverResult & { runs: number; windows_ms: number[]; kill_to_first_write_all_ms: number[] } {
  const byWindow = [...runs].sort((a, b) => (a.window_ms ?? Infinity) - (b.window_ms ?? Infinity));
  const median = byWindow[Math.floor((byWindow.length - 1) / 2)]!;
  const sum = (f: (r: FailoverResult) => number | null | undefined) => runs.reduce((acc, r) => acc + (f(r) ?? 0), 0);
  return {
    ...median,
    acked_lost: sum((r) => r.acked_lost),
    acked_wrong_value: sum((r) => r.acked_wrong_value),
    runs: runs.length,
    windows_ms: runs.map((r) => r.window_ms ?? NaN),
    kill_to_first_write_all_ms: runs.map((r) => r.kill_to_first_write_ms ?? NaN),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const warmupMs = opts.warmupSeconds * 1000;
  const measureMs = opts.seconds * 1000;
  const startedAt = new Date().toISOString();
  const load1Start = loadavg()[0];

  if (opts.systems.includes('etcd') && !existsSync(ETCD)) throw new Error(`${ETCD} is missing: install Debian's etcd-server (bash scripts/setup does)`);
  const systems: Sys[] = [];
  for (const name of opts.systems) {
    log(`starting a 3-member ${name === 'mk' ? 'mk-store' : `etcd (${ETCD})`} on loopback`);
    const t0 = Date.now();
    const cluster = name === 'mk' ? await startMk({ cpuProfDir: opts.mkCpuProf }) : await startEtcd();
    const s: Sys = { name, cluster, result: { put: {}, range: {}, crashes: [], skipped: [] }, killed: new Set(), broken: false };
    systems.push(s);
    s.client = new BenchClient(cluster.endpoints(), opts.channels);
    await waitReady(s);
    s.result.startup_ms = Date.now() - t0;
    s.result.version = (await status(s.client.toMember(0))).version;
    log(`${name} ready in ${s.result.startup_ms} ms (version ${s.result.version}; client URLs ${cluster.endpoints().join(' ')})`);
  }

  // Each measurement on every system, the order alternating between measurements.
  let turn = 0;
  const each = async (what: string, fn: (s: Sys) => Promise<void>) => {
    const order = turn++ % 2 === 0 ? systems : [...systems].reverse();
    for (const s of order) {
      checkAlive(s, what);
      if (s.broken) {
        s.result.skipped.push(what);
        log(`${s.name} ${what}: skipped (a member crashed earlier)`);
        continue;
      }
      await fn(s);
      checkAlive(s, what);
    }
  };
  const describe = (r: LoadResult & { members_cpu_pct: number; client_cpu_pct: number }) =>
    `${r.ops_per_s} ops/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, cpu: members ${r.members_cpu_pct} %, client ${r.client_cpu_pct} %${r.error_count ? `, ${r.error_count} errors: ${JSON.stringify(r.errors)}` : ''}`;

  if (opts.only.has('put')) {
    for (const c of opts.putClients) {
      await each(`put ${c} clients`, async (s) => {
        log(`${s.name} put, ${c} clients, ${opts.seconds} s…`);
        try {
          const r = await withCpu(s, () => putLoad(s.client!, c, warmupMs, measureMs));
          s.result.put[String(c)] = r;
          log(`${s.name} put ${c}: ${describe(r)}`);
        } catch (e) {
          s.result.put[String(c)] = { error: errorKind(e) };
          log(`${s.name} put ${c}: failed: ${errorKind(e)}`);
        }
      });
    }
  }

  if (opts.only.has('range')) {
    for (const s of systems) {
      if (s.broken) continue;
      log(`${s.name}: writing the ${1000} keys range reads`);
      try {
        await populateRangeKeys(s.client!);
      } catch (e) {
        s.result.range.populate = { error: errorKind(e) };
      }
    }
    for (const serializable of [false, true]) {
      const mode = serializable ? 'serializable' : 'linearizable';
      await each(`range ${mode}`, async (s) => {
        if (s.result.range.populate) return;
        log(`${s.name} range (${mode}), ${opts.rangeClients} clients, ${opts.seconds} s…`);
        try {
          const r = await withCpu(s, () => rangeLoad(s.client!, opts.rangeClients, serializable, warmupMs, measureMs));
          s.result.range[mode] = r;
          log(`${s.name} range ${mode}: ${describe(r)}`);
        } catch (e) {
          s.result.range[mode] = { error: errorKind(e) };
          log(`${s.name} range ${mode}: failed: ${errorKind(e)}`);
        }
      });
    }
  }

  if (opts.only.has('watch')) {
    await each('watch', async (s) => {
      log(`${s.name} watch: ${opts.watchers} watchers, ${opts.watchRate} puts/s for ${opts.seconds} s…`);
      try {
        const r = await watchBench(s.client!, opts.watchers, opts.watchRate, measureMs);
        s.result.watch = r;
        log(
          `${s.name} watch: ${r.events_received}/${r.events_expected} events, missing ${r.missing}, dup ${r.duplicates}, ` +
            `out of order ${r.out_of_order}, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`,
        );
      } catch (e) {
        s.result.watch = { error: errorKind(e) };
        log(`${s.name} watch: failed: ${errorKind(e)}`);
      }
    });
  }

  if (opts.only.has('failover')) {
    await each('failover', async (s) => {
      const names = s.cluster.members.map((m) => m.name);
      const runs: FailoverResult[] = [];
      try {
        for (let run = 1; run <= opts.failoverRuns; run++) {
          let killedIndex = -1;
          const r = await failoverBench(
            s.client!,
            names,
            async (i) => {
              const m = s.cluster.members[i]!;
              killedIndex = i;
              s.killed.add(m.name);
              await m.daemon?.stop('SIGKILL');
            },
            { clients: opts.failoverClients, beforeMs: Math.max(2000, measureMs / 2), afterMs: Math.max(2000, measureMs / 2), maxRecoveryMs: 30_000, log: (m) => log(`${s.name} failover ${run}: ${m}`) },
          );
          runs.push(r);
          log(
            `${s.name} failover ${run}/${opts.failoverRuns}: killed ${r.killed}, window ${r.window_ms} ms, kill→first write ${r.kill_to_first_write_ms} ms, ` +
              `acked ${r.writes_acked}, lost ${r.acked_lost}${r.read_back_error ? ` (read-back failed: ${r.read_back_error})` : ''}`,
          );
          if (killedIndex >= 0 && run < opts.failoverRuns) {
            await s.cluster.restart(killedIndex);
            s.killed.delete(names[killedIndex]!);
            await new Promise((res) => setTimeout(res, 1000)); // let it catch up before the next kill
          }
        }
        s.result.failover = summarizeFailovers(runs);
      } catch (e) {
        s.result.failover = runs.length > 0 ? summarizeFailovers(runs) : { error: errorKind(e) };
        log(`${s.name} failover: failed: ${errorKind(e)}`);
      }
    });
  }

  // ---- the report ----
  const mk = systems.find((s) => s.name === 'mk')?.result;
  const etcd = systems.find((s) => s.name === 'etcd')?.result;
  const ratios: Record<string, number | null> = {};
  const goals: Record<string, boolean | null> = {};
  if (mk && etcd) {
    for (const c of opts.putClients) {
      const a = load(mk.put[String(c)]);
      const b = load(etcd.put[String(c)]);
      ratios[`put_${c}`] = ratio(a?.ops_per_s, b?.ops_per_s);
      ratios[`p50_${c}`] = ratio(a?.p50_ms, b?.p50_ms);
      ratios[`p99_${c}`] = ratio(a?.p99_ms, b?.p99_ms);
    }
    for (const mode of ['linearizable', 'serializable']) {
      ratios[`range_${mode}`] = ratio(load(mk.range[mode])?.ops_per_s, load(etcd.range[mode])?.ops_per_s);
    }
    const w = (r: SystemResult) => (r.watch && 'p99_ms' in r.watch ? r.watch : undefined);
    ratios.watch_p99 = ratio(w(mk)?.p99_ms, w(etcd)?.p99_ms);
    const f = (r: SystemResult) => (r.failover && 'window_ms' in r.failover ? r.failover : undefined);
    ratios.failover = ratio(f(mk)?.window_ms, f(etcd)?.window_ms);
    ratios.failover_kill_to_first_write = ratio(f(mk)?.kill_to_first_write_ms, f(etcd)?.kill_to_first_write_ms);

    const atLeast = (x: number | null | undefined, t: number) => (x === null || x === undefined ? null : x >= t);
    const atMost = (x: number | null | undefined, t: number) => (x === null || x === undefined ? null : x <= t);
    goals.put_ge_0_8_at_64 = atLeast(ratios.put_64, 0.8);
    goals.put_ge_0_8_at_256 = atLeast(ratios.put_256, 0.8);
    goals.p99_le_1_25_at_64 = atMost(ratios.p99_64, 1.25);
    goals.p99_le_1_25_at_256 = atMost(ratios.p99_256, 1.25);
    const p99s = opts.putClients.map((c) => ratios[`p99_${c}`]);
    goals.p99_le_1_25_all_put_levels = p99s.some((x) => x === null || x === undefined) ? null : p99s.every((x) => x! <= 1.25);
    goals.failover_le_1_5 = atMost(ratios.failover, 1.5);
  }
  if (mk) {
    const f = mk.failover && 'window_ms' in mk.failover ? mk.failover : undefined;
    goals.zero_acked_writes_lost = f ? (f.acked_lost === null ? null : f.acked_lost === 0 && f.acked_wrong_value === 0) : null;
    const w = mk.watch && 'all_delivered_in_order' in mk.watch ? mk.watch : undefined;
    goals.watch_all_delivered_in_order = w ? w.all_delivered_in_order : null;
    goals.no_member_crashed = mk.crashes.length === 0;
  }

  if (opts.mkCpuProf) {
    // A clean exit writes the profiles.
    for (const m of systems.find((x) => x.name === 'mk')?.cluster.members ?? []) await m.daemon?.stop('SIGTERM');
    log(`mk-store CPU profiles in ${opts.mkCpuProf} (summary: node test/bench/cpuprofile-top.js FILE)`);
  }

  let logsDir: string | null = null;
  const crashed = systems.some((s) => s.result.crashes.length > 0);
  if (opts.keepLogs || crashed) {
    logsDir = path.join(tmpdir(), `mk-bench-logs-${startedAt.replace(/[:.]/g, '-')}`);
    mkdirSync(logsDir, { recursive: true });
    for (const s of systems) for (const m of s.cluster.members) writeFileSync(path.join(logsDir, `${s.name}-${m.name}.log`), m.daemon?.output ?? '');
    log(`member output saved in ${logsDir}`);
  }

  const report = {
    started_at: startedAt,
    machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? null, node: process.version, etcdVersion: etcdVersion(), loadavg_1m_at_start: load1Start, loadavg_1m_at_end: loadavg()[0] },
    settings: {
      seconds: opts.seconds,
      warmup_seconds: opts.warmupSeconds,
      phases: PHASES.filter((p) => opts.only.has(p)),
      systems: opts.systems,
      members: 3,
      key_bytes: KEY_BYTES,
      value_bytes: VALUE_BYTES,
      put_clients: opts.putClients,
      range_clients: opts.rangeClients,
      grpc_channels: Math.max(opts.channels, 3),
      watchers: opts.watchers,
      watch_rate_per_s: opts.watchRate,
      failover_clients: opts.failoverClients,
      heartbeat_ms: 100,
      election_timeout_ms: 1000,
      fsync: true,
      order: 'both clusters up; each measurement runs on one system then the other, the order alternating',
    },
    mk: mk ?? null,
    etcd: etcd ?? null,
    ratios,
    goals,
    logs_dir: logsDir,
  };
  // Arrays of numbers on one line each (the failover timeline would take a line per number).
  const json = JSON.stringify(report, null, 2).replace(/\[\s*(-?[\d.]+(?:,\s*-?[\d.]+)*)\s*\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
  process.stdout.write(`${json}\n`);
  for (const s of systems) s.client?.close();
}

let finishing = false;
async function finish(code: number): Promise<never> {
  if (!finishing) {
    finishing = true;
    await destroyAll();
  }
  process.exit(code);
}

process.on('exit', destroyAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping every process started, removing their data dirs`);
    void finish(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('uncaughtException', (e) => {
  log(`error: ${e.stack ?? e.message}`);
  void finish(1);
});

main().then(
  () => finish(0),
  (e: Error) => {
    log(`error: ${e.message}`);
    return finish(1);
  },
);
