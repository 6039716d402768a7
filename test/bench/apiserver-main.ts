/**
 * scripts/bench-apiserver (issue 4, "Figures"): mk-apiserver's request latency under a steady
 * open-loop load, and watch fan-out. Runs the API server on a 3-member mk-store and, for
 * comparison, on a 3-member real etcd 3.4 (the same API server code on both). JSON on stdout,
 * progress on stderr. Benchmarks are not tests: nothing asserts; the goal is reported.
 *
 *   load:    create / get / list / update of ConfigMaps, in equal shares, at --rate requests/s in
 *            total for --seconds, each request sent on schedule whether or not earlier ones
 *            finished (open loop: a slow server shows up as latency, not as a lower rate);
 *            plus `watch`: one watcher's delay from a create's acknowledgement to its event.
 *   fan-out: --watchers watches of one namespace spread over the API servers; a writer creates
 *            --fanout-writes objects at 20/s; per event the delay from acknowledgement to arrival
 *            at each watcher (0 if it arrived first), and every watcher must see every event.
 */
import type { KubeObject } from '@mk/api';
import { ApiClient } from '@mk/client';
import { ApiServers } from '../e2e/support/api-servers';
import { EtcdCluster } from '../e2e/support/etcd-cluster';
import { eventually } from '../e2e/support/processes';
import { StoreCluster } from '../e2e/support/store-cluster';
import { percentile } from './workloads';

interface Options {
  seconds: number;
  rate: number;
  watchers: number;
  fanoutWrites: number;
  apiServers: number;
  stores: Array<'mk-store' | 'etcd'>;
}

const USAGE = `usage: scripts/bench-apiserver [options]
  --seconds N        seconds of steady load (default 60)
  --rate N           requests per second in total, create/get/list/update in equal shares (default 100)
  --watchers N       watchers for the fan-out measurement (default 100)
  --fanout-writes N  objects created during the fan-out measurement (default 200)
  --api-servers N    API servers (default 2; load and watchers are spread over them)
  --store S          mk-store | etcd | both (default both)
JSON on stdout, progress on stderr.
`;

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: 60, rate: 100, watchers: 100, fanoutWrites: 200, apiServers: 2, stores: ['mk-store', 'etcd'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number, got ${JSON.stringify(argv[i])}`);
      return v;
    };
    switch (a) {
      case '--seconds':
        o.seconds = num();
        break;
      case '--rate':
        o.rate = num();
        break;
      case '--watchers':
        o.watchers = Math.round(num());
        break;
      case '--fanout-writes':
        o.fanoutWrites = Math.round(num());
        break;
      case '--api-servers':
        o.apiServers = Math.round(num());
        break;
      case '--store': {
        const v = argv[++i];
        if (v === 'both') o.stores = ['mk-store', 'etcd'];
        else if (v === 'mk-store' || v === 'etcd') o.stores = [v];
        else throw new Error(`--store must be mk-store, etcd or both, got ${JSON.stringify(v)}`);
        break;
      }
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

const log = (m: string) => process.stderr.write(`[bench-apiserver] ${m}\n`);
const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);

function summary(lat: number[]) {
  const s = [...lat].sort((a, b) => a - b);
  return { count: s.length, p50_ms: round(percentile(s, 0.5)), p99_ms: round(percentile(s, 0.99)), max_ms: round(s.at(-1) ?? null) };
}

type Verb = 'create' | 'get' | 'list' | 'update';
const VERBS: Verb[] = ['create', 'get', 'list', 'update'];

const cm = (ns: string, name: string, seq: number): KubeObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { seq: String(seq), payload: 'x'.repeat(256) },
});

async function steadyLoad(clients: ApiClient[], o: Options) {
  const ns = 'bench-load';
  await clients[0]!.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // A working set so get/update/list have something to touch (list of 100 objects).
  const names: string[] = [];
  for (let i = 0; i < 100; i++) {
    await clients[0]!.create('configmaps', cm(ns, `seed-${i}`, i));
    names.push(`seed-${i}`);
  }
  const lat: Record<Verb | 'watch', number[]> = { create: [], get: [], list: [], update: [], watch: [] };
  const errors: Record<string, number> = {};
  const ackAt = new Map<string, number>();
  const eventAt = new Map<string, number>();
  const watch = clients[clients.length - 1]!.watch<KubeObject>('configmaps', { namespace: ns, resourceVersion: '0' }, (e) => {
    if (e.type === 'ADDED' && e.object.metadata.name?.startsWith('c-')) eventAt.set(e.object.metadata.name, performance.now());
  });
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const start = performance.now();
  let created = 0;
  const inflight: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const verb = VERBS[i % VERBS.length]!;
    const client = clients[i % clients.length]!;
    const t0 = performance.now();
    const op = async () => {
      switch (verb) {
        case 'create': {
          const name = `c-${created++}`;
          await client.create('configmaps', cm(ns, name, i));
          ackAt.set(name, performance.now());
          break;
        }
        case 'get':
          await client.get('configmaps', ns, names[i % names.length]!);
          break;
        case 'list':
          await client.list('configmaps', { namespace: ns, limit: 100 });
          break;
        case 'update': {
          const name = names[i % names.length]!;
          // A read-modify-write without a version: last writer wins (as `kubectl replace --force` would not; fine for latency).
          const cur = await client.get<KubeObject & { data: Record<string, string> }>('configmaps', ns, name);
          const t1 = performance.now();
          await client.update('configmaps', { ...cur, metadata: { ...cur.metadata, resourceVersion: undefined }, data: { ...cur.data, seq: String(i) } });
          lat.update.push(performance.now() - t1);
          return;
        }
      }
      lat[verb].push(performance.now() - t0);
    };
    inflight.push(
      op().catch((e: unknown) => {
        const k = `${verb}: ${(e as { reason?: string }).reason ?? (e as Error).message}`;
        errors[k] = (errors[k] ?? 0) + 1;
      }),
    );
    if (i % (o.rate * 10) === 0 && i > 0) log(`  ${Math.round((performance.now() - start) / 1000)} s, ${i} requests sent`);
  }
  await Promise.all(inflight);
  const achievedRate = total / ((performance.now() - start) / 1000);
  await eventually('the watcher saw every create', () => [...ackAt.keys()].every((n) => eventAt.has(n)), 15_000).catch(() => {});
  watch.stop();
  for (const [n, t] of ackAt) {
    const e = eventAt.get(n);
    if (e !== undefined) lat.watch.push(Math.max(0, e - t));
  }
  const missing = [...ackAt.keys()].filter((n) => !eventAt.has(n)).length;
  const mutating = [...lat.create, ...lat.update];
  return {
    rate_requested: o.rate,
    rate_achieved: round(achievedRate),
    seconds: o.seconds,
    create: summary(lat.create),
    get: summary(lat.get),
    list: summary(lat.list),
    update: summary(lat.update),
    watch_event_after_ack: { ...summary(lat.watch), missing },
    mutating: summary(mutating),
    errors,
  };
}

async function fanOut(clients: ApiClient[], o: Options) {
  const ns = 'bench-fanout';
  await clients[0]!.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const seen: Array<Map<string, number>> = [];
  const handles = [];
  for (let w = 0; w < o.watchers; w++) {
    const m = new Map<string, number>();
    seen.push(m);
    const order: string[] = [];
    handles.push(
      clients[w % clients.length]!.watch<KubeObject>('configmaps', { namespace: ns, resourceVersion: '0' }, (e) => {
        if (e.type === 'ADDED') {
          const n = e.object.metadata.name!;
          if (m.has(n)) m.set(`dup:${n}`, 1);
          m.set(n, performance.now());
          order.push(n);
        }
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 500));
  const acked = new Map<string, number>();
  for (let i = 0; i < o.fanoutWrites; i++) {
    const name = `f-${String(i).padStart(5, '0')}`;
    await clients[0]!.create('configmaps', cm(ns, name, i));
    acked.set(name, performance.now());
    await new Promise((r) => setTimeout(r, 50));
  }
  await eventually('every watcher saw every event', () => seen.every((m) => [...acked.keys()].every((n) => m.has(n))), 20_000).catch(() => {});
  for (const h of handles) h.stop();
  const lat: number[] = [];
  let missing = 0;
  let duplicates = 0;
  for (const m of seen) {
    for (const [n, t] of acked) {
      const e = m.get(n);
      if (e === undefined) missing++;
      else lat.push(Math.max(0, e - t));
    }
    duplicates += [...m.keys()].filter((k) => k.startsWith('dup:')).length;
  }
  return { watchers: o.watchers, events: o.fanoutWrites, delivery_after_ack: summary(lat), missing, duplicates };
}

async function benchOn(storeName: 'mk-store' | 'etcd', o: Options) {
  log(`${storeName}: starting a 3-member store and ${o.apiServers} API servers`);
  const store = storeName === 'mk-store' ? await StoreCluster.create(3) : await EtcdCluster.create(3);
  let apis: ApiServers | undefined;
  const clients: ApiClient[] = [];
  try {
    apis = await ApiServers.start(o.apiServers, store.endpoints());
    for (const a of apis.addresses()) clients.push(new ApiClient({ servers: [a] }));
    log(`${storeName}: steady load, ${o.rate} req/s for ${o.seconds} s`);
    const load = await steadyLoad(clients, o);
    log(`${storeName}: fan-out, ${o.watchers} watchers`);
    const fanout = await fanOut(clients, o);
    return { load, fanout };
  } finally {
    for (const c of clients) c.close();
    await apis?.destroy();
    await store.destroy();
  }
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench-apiserver: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const results: Record<string, Awaited<ReturnType<typeof benchOn>>> = {};
  for (const s of o.stores) results[s] = await benchOn(s, o);
  const mk = results['mk-store'];
  const out = {
    machine: { cpus: require('node:os').cpus().length as number, loadavg: require('node:os').loadavg() as number[] },
    options: o,
    results,
    goals: mk
      ? {
          mutating_p99_le_100ms_at_100rps: mk.load.mutating.p99_ms !== null && mk.load.mutating.p99_ms <= 100 && o.rate >= 100,
          fanout_all_delivered: mk.fanout.missing === 0 && mk.fanout.duplicates === 0,
        }
      : null,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-apiserver: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
