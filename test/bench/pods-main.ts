/**
 * scripts/bench-pods (issue 6, "Figures"): pod startup latency on real Docker. A real cluster with
 * its nodes in network namespaces (test/e2e/support/node-cluster.ts: each node its own dockerd,
 * mk-kubelet and mk-proxy; mk-store, mk-apiserver, mk-scheduler and mk-controller-manager on the
 * host). Pods (mk.local/web:1, a local image: no pull) are created at --rate per second; each
 * one's startup latency is from just before its create call to the watch event that shows every
 * one of its containers running (Kubernetes' pod startup SLI, which also excludes image pulls).
 * Also: creation → scheduled (spec.nodeName seen) and → Ready. JSON on stdout, progress on stderr.
 * The peer, in the same run and at the same rate: the same two containers per pod (pause, then
 * the web container in its network namespace) started straight through Docker's API on the same
 * nodes' dockerds, with no mk in the way: the floor this machine sets. Ratios are mk / Docker.
 * Not a test: nothing asserts; the goal (p99 ≤ 2 s; Kubernetes' SLO: 5 s) is reported beside it.
 */
import { cpus, loadavg } from 'node:os';
import Docker from 'dockerode';
import type { Pod } from '@mk/api';
import { Informer } from '@mk/client';
import { systemClock } from '@mk/shared';
import { NodeCluster } from '../e2e/support/node-cluster';
import { eventually } from '../e2e/support/processes';
import { CpuMeter } from './proc';

interface Options {
  nodes: number;
  pods: number;
  rate: number;
  timeoutS: number;
  dockerBaseline: boolean;
}

const USAGE = `usage: scripts/bench-pods [options]
  --nodes N     nodes, each a network namespace with its own dockerd, kubelet and proxy (default 3)
  --pods N      pods to start (default 100)
  --rate N      pods created per second (default 2, what this 2-core machine starts steadily; 0 = all at once)
  --timeout S   give up when not every pod runs after S seconds (default 180)
  --no-docker-baseline   skip the same starts straight through Docker's API
JSON on stdout, progress on stderr.
`;

function parseArgs(argv: string[]): Options {
  const o: Options = { nodes: 3, pods: 100, rate: 2, timeoutS: 180, dockerBaseline: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (flag === '--no-docker-baseline') {
      o.dockerBaseline = false;
      continue;
    }
    const raw = inline ?? argv[++i];
    const v = Number(raw);
    if (raw === undefined || !Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a number, got ${JSON.stringify(raw)}\n${USAGE}`);
    switch (flag) {
      case '--nodes': o.nodes = Math.max(1, Math.round(v)); break;
      case '--pods': o.pods = Math.max(1, Math.round(v)); break;
      case '--rate': o.rate = v; break;
      case '--timeout': o.timeoutS = v; break;
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return o;
}

const log = (m: string) => process.stderr.write(`[bench-pods] ${m}\n`);
const round = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x));

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50_ms: round(percentile(s, 0.5)), p90_ms: round(percentile(s, 0.9)), p99_ms: round(percentile(s, 0.99)), max_ms: round(s.at(-1)) };
}

/** At `rate`/s, `count` pods' two containers started straight through Docker's API on the nodes' dockerds. */
async function dockerBaseline(cluster: NodeCluster, count: number, rate: number): Promise<number[]> {
  const dockers = cluster.nodes.map((n) => new Docker({ socketPath: n.dockerSocket }));
  const started: Array<Promise<number>> = [];
  const made: Array<{ docker: Docker; ids: string[] }> = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i++) {
    if (rate > 0) {
      const wait = t0 + (i * 1000) / rate - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const docker = dockers[i % dockers.length]!;
    const entry = { docker, ids: [] as string[] };
    made.push(entry);
    started.push(
      (async () => {
        const at = Date.now();
        const pause = await docker.createContainer({ name: `baseline-pause-${i}`, Image: 'mk.local/pause:1', HostConfig: { NetworkMode: 'mk-pods', IpcMode: 'shareable' } });
        entry.ids.push(pause.id);
        await pause.start();
        const web = await docker.createContainer({ name: `baseline-web-${i}`, Image: 'mk.local/web:1', HostConfig: { NetworkMode: `container:${pause.id}`, IpcMode: `container:${pause.id}` } });
        entry.ids.push(web.id);
        await web.start();
        return Date.now() - at;
      })(),
    );
  }
  const latencies = await Promise.all(started);
  for (const { docker, ids } of made) for (const id of ids.reverse()) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  return latencies;
}

const allRunning = (p: Pod) =>
  (p.status?.containerStatuses?.length ?? 0) === p.spec.containers.length && (p.status?.containerStatuses ?? []).every((c) => c.state?.running !== undefined);
const isReady = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

async function deleteBenchPods(cluster: NodeCluster, ns: string): Promise<void> {
  const list = await cluster.client.list<Pod>('pods', { namespace: ns, labelSelector: 'bench=pods' });
  await Promise.all(list.items.map((p) => cluster.client.delete('pods', ns, p.metadata.name!).catch(() => undefined)));
  await eventually('pods gone', async () => (await cluster.client.list<Pod>('pods', { namespace: ns, labelSelector: 'bench=pods' })).items.length === 0, 120_000).catch((e: Error) => log(e.message));
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  log(`starting a ${o.nodes}-node cluster (namespaces, a dockerd each)`);
  const setupStart = Date.now();
  const cluster = await NodeCluster.create({ nodes: o.nodes, logLevel: 'warn' });
  log(`cluster ready in ${((Date.now() - setupStart) / 1000).toFixed(1)} s`);
  const ns = 'default';
  const sent = new Map<string, number>();
  const scheduled = new Map<string, number>();
  const running = new Map<string, number>();
  const ready = new Map<string, number>();
  const placement = new Map<string, string>();
  const informer = new Informer<Pod>(cluster.client.resource<Pod>('pods'), { clock: systemClock, name: 'bench-pods', labelSelector: 'bench=pods' });
  const observe = (p: Pod) => {
    const name = p.metadata.name!;
    const now = Date.now();
    if (p.spec.nodeName && !scheduled.has(name)) (scheduled.set(name, now), placement.set(name, p.spec.nodeName));
    if (allRunning(p) && !running.has(name)) running.set(name, now);
    if (isReady(p) && !ready.has(name)) ready.set(name, now);
  };
  informer.addEventHandler({ onAdd: observe, onUpdate: (_a, b) => observe(b) });
  informer.start();
  await informer.waitForSync();
  let result: Record<string, unknown> = {};
  try {
    log(`creating ${o.pods} pods at ${o.rate > 0 ? `${o.rate}/s` : 'once'}`);
    const cpu = new CpuMeter(() => [...cluster.processes(), { name: 'bench', pid: process.pid }]);
    cpu.start();
    const t0 = Date.now();
    const creates: Array<Promise<unknown>> = [];
    for (let i = 0; i < o.pods; i++) {
      if (o.rate > 0) {
        const due = t0 + (i * 1000) / o.rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const name = `bench-${i}`;
      sent.set(name, Date.now());
      creates.push(
        cluster.client.create<Pod>('pods', {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, namespace: ns, labels: { bench: 'pods' } },
          spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'web', image: 'mk.local/web:1', imagePullPolicy: 'IfNotPresent' }] },
        }),
      );
    }
    const failed = (await Promise.allSettled(creates)).filter((r) => r.status === 'rejected').length;
    await eventually(`every pod running (${running.size}/${o.pods})`, () => running.size + failed >= o.pods, o.timeoutS * 1000).catch((e: Error) => log(e.message));
    await eventually('every pod ready', () => ready.size + failed >= o.pods, 30_000).catch(() => undefined);
    const cpuPercent = cpu.stop();
    const lat = (m: Map<string, number>) => [...m].map(([name, at]) => at - sent.get(name)!);
    const perNode: Record<string, number> = {};
    for (const n of placement.values()) perNode[n] = (perNode[n] ?? 0) + 1;
    let peer: ReturnType<typeof summary> | undefined;
    if (o.dockerBaseline) {
      log('deleting the pods');
      await deleteBenchPods(cluster, ns);
      log(`the peer: the same ${o.pods} pods' containers straight through Docker's API`);
      peer = summary(await dockerBaseline(cluster, o.pods, o.rate));
    }
    const mk = summary(lat(running));
    const ratio = (a: number | null, b: number | null | undefined) => (a === null || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100);
    result = {
      benchmark: 'pod-startup',
      nodes: o.nodes,
      pods: o.pods,
      create_rate_per_s: o.rate,
      create_failures: failed,
      pods_running: running.size,
      startup_latency: mk,
      ...(peer !== undefined
        ? {
            docker_api_baseline: peer,
            ratio_mk_to_docker: { p50: ratio(mk.p50_ms, peer.p50_ms), p99: ratio(mk.p99_ms, peer.p99_ms) },
          }
        : {}),
      scheduled_latency: summary(lat(scheduled)),
      ready_latency: summary(lat(ready)),
      pods_per_node: perNode,
      cpu_percent_of_one_core: cpuPercent,
      goal: { startup_p99_ms: 2000, kubernetes_slo_p99_ms: 5000 },
      machine: { cores: cpus().length, loadavg_1m: Math.round(loadavg()[0]! * 100) / 100 },
      image: 'mk.local/web:1 (local, no pull)',
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!o.dockerBaseline) {
      log('deleting the pods');
      await deleteBenchPods(cluster, ns);
    }
  } finally {
    informer.stop();
    log('tearing the cluster down');
    await cluster.destroy();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench-pods] ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
