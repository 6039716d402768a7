/**
 * scripts/bench-scheduler (issue 5, "Figure"): pods/s scheduled by one real mk-scheduler on 1,000
 * simulated nodes (Node objects with capacity, allocatable and Ready=True; no kubelet) with 10,000
 * pending pods, through a real mk-apiserver on a real mk-store. JSON on stdout, progress on stderr.
 * Not a test: nothing asserts; the goal (≥ 300 pods/s) is reported.
 *
 *   backlog (default): nodes and pods are created first (in parallel batches), then the scheduler
 *     starts; pods/s counts from the first to the last binding seen on a pod watch. Latency is from
 *     each pod's creation (its create acknowledged) to its binding seen, so it includes the wait
 *     for the scheduler to start and for the pods ahead of it; `latency_from_scheduler_start`
 *     measures from the scheduler's first binding instead.
 *   steady (--rate N): the scheduler runs first, pods are created at N/s; creation → bound is then
 *     the scheduling latency under that load.
 * CPU of every process (scheduler, API servers, store members, this process) over the binding
 * window, from /proc, in % of one core; --profile DIR writes V8 CPU profiles of the scheduler and
 * the API servers (summarise: node test/bench/cpuprofile-top.js FILE).
 */
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import type { Node, Pod } from '@mk/api';
import { ApiClient } from '@mk/client';
import { ApiServers } from '../e2e/support/api-servers';
import { Daemon, ROOT, eventually, freePort } from '../e2e/support/processes';
import { StoreCluster } from '../e2e/support/store-cluster';
import { cpuSeconds } from './proc';

const MK_SCHEDULER = path.join(ROOT, 'packages/scheduler/dist/bin/mk-scheduler.js');
const PRELOAD = path.join(__dirname, 'cpu-prof-preload.js');

interface Options {
  nodes: number;
  pods: number;
  storeMembers: number;
  apiServers: number;
  concurrency: number;
  replicaSets: number;
  rate: number;
  timeoutS: number;
  profile: string;
  schedulerArgs: string[];
}

const USAGE = `usage: scripts/bench-scheduler [options]
  --nodes N            simulated nodes (default 1000)
  --pods N             pending pods (default 10000)
  --store-members N    mk-store members (default 3)
  --api-servers N      API servers (default 1); the scheduler and the load use all of them
  --concurrency N      creates in flight while setting up (default 64)
  --replicasets N      pods are spread over N controller owners (default 100)
  --rate N             steady mode: start the scheduler first, create pods at N/s (default: backlog)
  --timeout S          give up when no binding was seen for S seconds (default 120)
  --profile DIR        V8 CPU profiles of the scheduler and API servers into DIR
  --scheduler-arg A    pass A to mk-scheduler (repeatable), e.g. --scheduler-arg=--max-concurrent-binds=200
JSON on stdout, progress on stderr.
`;

function parseArgs(argv: string[]): Options {
  const o: Options = { nodes: 1000, pods: 10_000, storeMembers: 3, apiServers: 1, concurrency: 64, replicaSets: 100, rate: 0, timeoutS: 120, profile: '', schedulerArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => inline ?? argv[++i] ?? '';
    const num = () => {
      const v = Number(val());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a number`);
      return v;
    };
    switch (a) {
      case '--nodes': o.nodes = Math.round(num()); break;
      case '--pods': o.pods = Math.round(num()); break;
      case '--store-members': o.storeMembers = Math.round(num()); break;
      case '--api-servers': o.apiServers = Math.max(1, Math.round(num())); break;
      case '--concurrency': o.concurrency = Math.max(1, Math.round(num())); break;
      case '--replicasets': o.replicaSets = Math.max(1, Math.round(num())); break;
      case '--rate': o.rate = num(); break;
      case '--timeout': o.timeoutS = num(); break;
      case '--profile': o.profile = path.resolve(val()); break;
      case '--scheduler-arg': o.schedulerArgs.push(val()); break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return o;
}

const log = (m: string) => process.stderr.write(`[bench-scheduler] ${m}\n`);
const round = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50_ms: round(percentile(s, 0.5)), p99_ms: round(percentile(s, 0.99)), max_ms: round(s.at(-1)) };
}

function simNode(i: number): Node {
  const name = `sim-node-${String(i).padStart(4, '0')}`;
  const allocatable = { cpu: '8', memory: '32Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    spec: {},
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'simulated' }] },
  };
}

function benchPod(i: number, o: Options): Pod {
  const rs = i % o.replicaSets;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${String(i).padStart(5, '0')}`,
      namespace: 'default',
      labels: { app: `bench-${rs}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `bench-${rs}`, uid: `00000000-0000-0000-0000-${String(rs).padStart(12, '0')}`, controller: true }],
    },
    spec: { containers: [{ name: 'kubia', image: 'kubia', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  };
}

/** Runs `n` tasks with at most `limit` in flight; returns how many failed. */
async function parallel(n: number, limit: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed++;
        if (failed <= 3) log(`  create ${i} failed: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return failed;
}

async function scrape(port: number): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^(scheduler_[a-z_]+(?:_sum|_count|_total)?(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line);
      if (m && !m[1]!.includes('_bucket')) out[m[1]!] = Number(m[2]);
    }
    return out;
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench-scheduler: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const load1Start = loadavg()[0];
  let store: StoreCluster | undefined;
  let apis: ApiServers | undefined;
  let scheduler: Daemon | undefined;
  const clients: ApiClient[] = [];
  const cleanup = async () => {
    await scheduler?.stop();
    for (const c of clients) c.close();
    await apis?.destroy();
    await store?.destroy();
  };
  process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    log(`starting a ${o.storeMembers}-member mk-store and ${o.apiServers} API server(s)`);
    store = await StoreCluster.create(o.storeMembers);
    if (o.profile) {
      process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --require ${PRELOAD}`.trim();
      process.env.MK_BENCH_CPU_PROF_DIR = o.profile;
    }
    apis = await ApiServers.start(o.apiServers, store.endpoints());
    for (const a of apis.addresses()) clients.push(new ApiClient({ servers: [a], timeoutMs: 30_000 }));
    const client = (i: number) => clients[i % clients.length]!;
    const watcher = new ApiClient({ servers: apis.addresses(), timeoutMs: 30_000 });
    clients.push(watcher);
    await eventually('namespace default', async () => Boolean(await watcher.get('namespaces', '', 'default').catch(() => undefined)));

    // Nodes.
    let t0 = performance.now();
    const nodeFailures = await parallel(o.nodes, o.concurrency, async (i) => void (await client(i).create('nodes', simNode(i))));
    const nodesS = (performance.now() - t0) / 1000;
    log(`${o.nodes} nodes created in ${nodesS.toFixed(1)} s (${nodeFailures} failed)`);

    function cpuNow() {
      return {
        scheduler: cpuSeconds(scheduler?.pid),
        apiservers: apis!.servers.reduce<number>((sum, a) => sum + cpuSeconds(a.daemon?.pid), 0),
        store: store!.members.reduce<number>((sum, m) => sum + cpuSeconds(m.daemon?.pid), 0),
        bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      };
    }

    // The watch that sees bindings (started before any pod exists).
    const createdAt = new Map<string, number>();
    const boundAt = new Map<string, number>();
    const boundNode = new Map<string, string>();
    const listed = await watcher.list<Pod>('pods', { namespace: 'default', limit: 1 });
    let cpuAtFirst: { at: number; cpu: ReturnType<typeof cpuNow> } | undefined;
    const watch = watcher.watch<Pod>('pods', { namespace: 'default', resourceVersion: listed.resourceVersion }, (e) => {
      if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return;
      const name = e.object.metadata.name!;
      if (e.object.spec.nodeName && !boundAt.has(name)) {
        if (boundAt.size === 0) cpuAtFirst = { at: performance.now(), cpu: cpuNow() };
        boundAt.set(name, performance.now());
        boundNode.set(name, e.object.spec.nodeName);
      }
    });

    const schedulerHttp = await freePort();
    const startScheduler = () => {
      const env = o.profile ? { NODE_OPTIONS: process.env.NODE_OPTIONS, MK_BENCH_CPU_PROF_DIR: o.profile } : {};
      scheduler = Daemon.spawn('mk-scheduler', process.execPath, [
        MK_SCHEDULER,
        '--server', apis!.addresses().join(','),
        '--identity', 'bench-scheduler',
        '--http-listen', `127.0.0.1:${schedulerHttp}`,
        '--log-level', 'warn',
        ...o.schedulerArgs,
      ], { env });
      return performance.now();
    };

    let schedulerStartedAt = 0;
    let createS = 0;
    let podFailures = 0;
    const createPods = async (rate: number) => {
      t0 = performance.now();
      podFailures = await parallel(o.pods, o.concurrency, async (i) => {
        if (rate > 0) {
          const due = t0 + (i * 1000) / rate;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const p = benchPod(i, o);
        await client(i).create('pods', p);
        createdAt.set(p.metadata.name!, performance.now());
      });
      createS = (performance.now() - t0) / 1000;
      log(`${o.pods} pods created in ${createS.toFixed(1)} s (${Math.round(o.pods / createS)}/s, ${podFailures} failed)`);
    };

    let cpuStart: ReturnType<typeof cpuNow> | undefined;
    let cpuStartAt = 0;
    if (o.rate > 0) {
      schedulerStartedAt = startScheduler();
      await eventually('the scheduler serves /healthz', async () => (await fetch(`http://127.0.0.1:${schedulerHttp}/healthz`).catch(() => undefined))?.status === 200, 30_000);
      await new Promise((r) => setTimeout(r, 2000)); // lease acquired, caches synced
      cpuStart = cpuNow();
      cpuStartAt = performance.now();
      log(`steady mode: creating pods at ${o.rate}/s with the scheduler running`);
      await createPods(o.rate);
    } else {
      await createPods(0);
      log('starting mk-scheduler');
      cpuStart = cpuNow();
      schedulerStartedAt = startScheduler();
      cpuStartAt = schedulerStartedAt;
      cpuStart.scheduler = 0;
    }

    // Wait for every pod to be bound (or no progress for --timeout seconds).
    const expected = o.pods - podFailures;
    let lastCount = -1;
    let lastProgress = performance.now();
    let lastLog = 0;
    while (boundAt.size < expected) {
      await new Promise((r) => setTimeout(r, 200));
      if (boundAt.size !== lastCount) {
        lastCount = boundAt.size;
        lastProgress = performance.now();
      }
      if (performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        log(`  ${boundAt.size}/${expected} bound`);
      }
      if (performance.now() - lastProgress > o.timeoutS * 1000) {
        log(`no binding for ${o.timeoutS} s; giving up`);
        break;
      }
      if (scheduler && !scheduler.running()) {
        log(`mk-scheduler exited:\n${scheduler.output.slice(-3000)}`);
        break;
      }
    }
    const cpuEnd = cpuNow();
    const cpuEndAt = performance.now();
    const metrics = await scrape(schedulerHttp);
    watch.stop();
    // How many Scheduled events made it to the API (the recorder drops what it cannot write in time).
    await new Promise((r) => setTimeout(r, 2000));
    const scheduledEvents = await watcher
      .list('events', { namespace: 'default', fieldSelector: 'reason=Scheduled', limit: 0 })
      .then((l) => l.items.length)
      .catch(() => null);

    const bounds = [...boundAt.values()].sort((a, b) => a - b);
    const first = bounds[0] ?? NaN;
    const last = bounds.at(-1) ?? NaN;
    const windowS = (last - first) / 1000;
    const podsPerS = bounds.length > 1 ? (bounds.length - 1) / windowS : 0;
    const fromCreation: number[] = [];
    const fromStart: number[] = [];
    for (const [name, at] of boundAt) {
      const c = createdAt.get(name);
      if (c !== undefined) fromCreation.push(Math.max(0, at - c));
      fromStart.push(at - Math.max(c ?? 0, first));
    }
    const perNode = new Map<string, number>();
    for (const n of boundNode.values()) perNode.set(n, (perNode.get(n) ?? 0) + 1);
    const counts = [...perNode.values()];
    const wall = (cpuEndAt - cpuStartAt) / 1000;
    const pct = (a: number, b: number, w = wall) => Math.round(((b - a) / w) * 100);
    const bw = cpuAtFirst ? (cpuEndAt - cpuAtFirst.at) / 1000 : NaN;
    const c1 = cpuAtFirst?.cpu;
    // Throughput per second of the binding window, to see whether it is steady.
    const perSecond: number[] = [];
    for (const t of bounds) {
      const s = Math.floor((t - first) / 1000);
      perSecond[s] = (perSecond[s] ?? 0) + 1;
    }
    const cycles = metrics['scheduler_schedule_attempts_total{result="scheduled"}'] ?? 0;
    const cycleSum = Object.entries(metrics)
      .filter(([k]) => k.startsWith('scheduler_scheduling_attempt_duration_seconds_sum'))
      .reduce((s, [, v]) => s + v, 0);
    const cycleCount = Object.entries(metrics)
      .filter(([k]) => k.startsWith('scheduler_scheduling_attempt_duration_seconds_count'))
      .reduce((s, [, v]) => s + v, 0);
    const out = {
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? null, node: process.version, loadavg_1m_at_start: load1Start, loadavg_1m_at_end: loadavg()[0] },
      options: { ...o, mode: o.rate > 0 ? `steady at ${o.rate} pods/s` : 'backlog' },
      setup: {
        nodes_created_s: round(nodesS),
        pods_created_s: round(createS),
        pods_created_per_s: Math.round(o.pods / createS),
        create_failures: nodeFailures + podFailures,
      },
      scheduling: {
        bound: boundAt.size,
        unbound: expected - boundAt.size,
        scheduler_start_to_first_binding_ms: Math.round(first - schedulerStartedAt),
        first_to_last_binding_s: round(windowS, 2),
        pods_per_s: round(podsPerS),
        bindings_per_second_of_window: perSecond.map((n) => n ?? 0),
        latency_creation_to_bound: summary(fromCreation),
        latency_from_scheduler_start: summary(fromStart),
        nodes_used: perNode.size,
        pods_per_node: { min: Math.min(...counts), max: Math.max(...counts) },
      },
      scheduler_metrics: {
        scheduled_cycles: cycles,
        unschedulable_cycles: metrics['scheduler_schedule_attempts_total{result="unschedulable"}'] ?? 0,
        error_cycles: metrics['scheduler_schedule_attempts_total{result="error"}'] ?? 0,
        mean_cycle_ms: cycleCount ? round((cycleSum / cycleCount) * 1000, 3) : null,
        mean_binding_call_ms: metrics.scheduler_binding_duration_seconds_count ? round(((metrics.scheduler_binding_duration_seconds_sum ?? 0) / metrics.scheduler_binding_duration_seconds_count) * 1000, 1) : null,
        binding_failures: metrics.scheduler_binding_failures_total ?? 0,
        scheduled_events_written: scheduledEvents,
      },
      cpu_pct_of_one_core: {
        // From the scheduler's start (backlog) or the first create (steady) to the last binding.
        whole_run: {
          window_s: round(wall),
          scheduler: pct(cpuStart.scheduler, cpuEnd.scheduler),
          apiservers: pct(cpuStart.apiservers, cpuEnd.apiservers),
          store_members: pct(cpuStart.store, cpuEnd.store),
          bench: pct(cpuStart.bench, cpuEnd.bench),
        },
        // From the first binding seen to the last.
        binding_window: c1
          ? {
              window_s: round(bw),
              scheduler: pct(c1.scheduler, cpuEnd.scheduler, bw),
              apiservers: pct(c1.apiservers, cpuEnd.apiservers, bw),
              store_members: pct(c1.store, cpuEnd.store, bw),
              bench: pct(c1.bench, cpuEnd.bench, bw),
            }
          : null,
      },
      scheduler_log: {
        // Leadership lost under load shows here (the lease renewal competes with the bindings).
        terms_ended: (scheduler?.output.match(/stopped scheduling/g) ?? []).length,
        warnings: (scheduler?.output.split('\n').filter((l) => /"level":"(warn|error)"/.test(l)) ?? []).slice(0, 5),
      },
      goal: { pods_per_s_ge_300: podsPerS >= 300, all_bound: boundAt.size === expected },
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    await cleanup();
    if (o.profile) log(`CPU profiles in ${o.profile} (summary: node test/bench/cpuprofile-top.js FILE)`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-scheduler: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
