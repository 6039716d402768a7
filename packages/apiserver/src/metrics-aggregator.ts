/**
 * mkapi.Metrics: what metrics-server does for `kubectl top`. Asks the kubelets of the nodes
 * concerned for their usage (mkkubelet.Kubelet.Stats) at once, each with its own deadline; a
 * node that does not answer is left out and named in `unreachableNodes`.
 */
import type { Node, Pod } from '@mk/api';
import { ApiError, METRICS_API_VERSION, type MetricsList, type NodeMetrics, type PodMetrics, toGrpcError } from '@mk/client';
import { type mkapi, type mkkubelet, type ServiceImplementation, type services, unaryCall } from '@mk/proto';
import type { Clock, Logger } from '@mk/shared';
import { type KubeletClients, kubeletAddress } from './pod-proxy';
import { toApiError } from './registry/errors';

/** CPU as Kubernetes prints millicores, rounded up (Quantity.MilliValue): 12_300_000 ns/s → "13m". */
export function formatCpu(nanoCores: number): string {
  return `${Math.ceil(Math.max(0, nanoCores) / 1e6)}m`;
}

/** Memory in Ki, rounded up: 3_538_944 → "3456Ki". */
export function formatMemory(bytes: number): string {
  return `${Math.ceil(Math.max(0, bytes) / 1024)}Ki`;
}

/** A window as a Go duration: 1000 → "1s", 10500 → "10.5s". */
export function formatWindow(ms: number): string {
  return `${Math.round(ms) / 1000}s`;
}

/** RFC 3339 to the second, as metav1.Time. */
function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Summaries = ReadonlyMap<string, mkkubelet.IStatsSummary>;

/** One PodMetrics per pod of `pods` that a kubelet measured (matched by namespace, name and uid). */
export function podMetricsItems(pods: readonly Pod[], summaries: Summaries): PodMetrics[] {
  const items: PodMetrics[] = [];
  for (const pod of pods) {
    const summary = summaries.get(pod.spec.nodeName ?? '');
    const { name = '', namespace = '', uid } = pod.metadata;
    const stats = summary?.pods?.find((p) => p.namespace === namespace && p.name === name && (!uid || !p.uid || p.uid === uid));
    const containers = (stats?.containers ?? []).filter((c) => c.usage);
    if (containers.length === 0) continue;
    const usages = containers.map((c) => c.usage!);
    items.push({
      kind: 'PodMetrics',
      apiVersion: METRICS_API_VERSION,
      metadata: { name, namespace },
      timestamp: formatTime(Math.max(...usages.map((u) => u.timestampMs ?? 0))),
      window: formatWindow(Math.max(...usages.map((u) => u.windowMs ?? 0))),
      containers: containers.map((c) => ({ name: c.name ?? '', usage: { cpu: formatCpu(c.usage!.cpuNanoCores ?? 0), memory: formatMemory(c.usage!.memoryWorkingSetBytes ?? 0) } })),
    });
  }
  return items.sort((a, b) => compare(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`));
}

/** One NodeMetrics per node of `nodes` whose kubelet measured the node. */
export function nodeMetricsItems(nodes: readonly Node[], summaries: Summaries): NodeMetrics[] {
  const items: NodeMetrics[] = [];
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const usage = summaries.get(name)?.node;
    if (!usage) continue;
    items.push({
      kind: 'NodeMetrics',
      apiVersion: METRICS_API_VERSION,
      metadata: { name },
      timestamp: formatTime(usage.timestampMs ?? 0),
      window: formatWindow(usage.windowMs ?? 0),
      usage: { cpu: formatCpu(usage.cpuNanoCores ?? 0), memory: formatMemory(usage.memoryWorkingSetBytes ?? 0) },
    });
  }
  return items.sort((a, b) => compare(a.metadata.name, b.metadata.name));
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface MetricsAggregatorDeps {
  listNodes(labelSelector: string): Promise<Node[]>;
  listPods(namespace: string, labelSelector: string): Promise<Pod[]>;
  kubelets: KubeletClients;
  clock: Clock;
  logger: Logger;
  /** How long each kubelet has to answer (default 5000 ms). */
  perNodeTimeoutMs?: number;
}

/** The Stats of every node of `nodes`, asked at once; the names of those that did not answer. */
export async function collectSummaries(deps: MetricsAggregatorDeps, nodes: readonly Node[]): Promise<{ summaries: Map<string, mkkubelet.IStatsSummary>; unreachable: string[] }> {
  const timeoutMs = deps.perNodeTimeoutMs ?? 5000;
  const summaries = new Map<string, mkkubelet.IStatsSummary>();
  const unreachable: string[] = [];
  await Promise.all(
    nodes.map(async (node) => {
      const name = node.metadata.name ?? '';
      try {
        const client = deps.kubelets.get(kubeletAddress(node));
        summaries.set(name, await unaryCall(client.Stats.bind(client), {}, { callOptions: { deadline: deps.clock.now() + timeoutMs } }));
      } catch (e) {
        deps.logger.warn('a kubelet did not answer for metrics', { node: name, error: e instanceof Error ? e.message : String((e as { details?: unknown }).details ?? e) });
        unreachable.push(name);
      }
    }),
  );
  return { summaries, unreachable: unreachable.sort(compare) };
}

function listJson<T>(kind: MetricsList<T>['kind'], items: T[], unreachableNodes: string[]): mkapi.IMetricsList {
  const list: MetricsList<T> = { kind, apiVersion: METRICS_API_VERSION, items, unreachableNodes };
  return { json: Buffer.from(JSON.stringify(list)) };
}

export async function podMetrics(deps: MetricsAggregatorDeps, req: mkapi.PodMetricsRequest): Promise<mkapi.IMetricsList> {
  if (req.name && !req.namespace) throw ApiError.badRequest('pod metrics by name need a namespace');
  let pods = await deps.listPods(req.namespace, req.labelSelector);
  if (req.name) {
    pods = pods.filter((p) => p.metadata.name === req.name);
    if (pods.length === 0) throw ApiError.notFound('pods', req.name);
  }
  const nodeNames = new Set(pods.map((p) => p.spec.nodeName).filter((n): n is string => !!n));
  const nodes = nodeNames.size === 0 ? [] : (await deps.listNodes('')).filter((n) => nodeNames.has(n.metadata.name ?? ''));
  const { summaries, unreachable } = await collectSummaries(deps, nodes);
  const items = podMetricsItems(pods, summaries);
  if (req.name && items.length === 0) throw ApiError.notFound('podmetrics.metrics.k8s.io', `${req.namespace}/${req.name}`);
  return listJson('PodMetricsList', items, unreachable);
}

export async function nodeMetrics(deps: MetricsAggregatorDeps, req: mkapi.NodeMetricsRequest): Promise<mkapi.IMetricsList> {
  let nodes = await deps.listNodes(req.labelSelector);
  if (req.name) {
    nodes = nodes.filter((n) => n.metadata.name === req.name);
    if (nodes.length === 0) throw ApiError.notFound('nodes', req.name);
  }
  const { summaries, unreachable } = await collectSummaries(deps, nodes);
  const items = nodeMetricsItems(nodes, summaries);
  if (req.name && items.length === 0) throw ApiError.notFound('nodemetrics.metrics.k8s.io', req.name);
  return listJson('NodeMetricsList', items, unreachable);
}

export function createMetricsService(deps: MetricsAggregatorDeps): ServiceImplementation<typeof services.mkapi.Metrics> {
  const unary =
    <Req>(f: (req: Req) => Promise<mkapi.IMetricsList>) =>
    (call: { request: Req }, cb: (e: ReturnType<typeof toGrpcError> | null, res?: mkapi.IMetricsList) => void): void => {
      f(call.request).then(
        (res) => cb(null, res),
        (e: unknown) => cb(toGrpcError(toApiError(e))),
      );
    };
  return {
    PodMetrics: unary((req: mkapi.PodMetricsRequest) => podMetrics(deps, req)),
    NodeMetrics: unary((req: mkapi.NodeMetricsRequest) => nodeMetrics(deps, req)),
  };
}
