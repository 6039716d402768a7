/**
 * `mkctl top pods` and `mkctl top nodes`: resource usage from mkapi.Metrics (the kubelets' stats,
 * aggregated by the API server), in kubectl's tables:
 *
 *   NAME   CPU(cores)   MEMORY(bytes)                   pods (NAMESPACE first with -A)
 *   NAME   CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%  nodes (% of allocatable)
 */
import { type Node, parseQuantity } from '@mk/api';
import type { ContainerMetrics, NodeMetrics, PodMetrics, ResourceUsage } from '@mk/client';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { TabWriter } from '../tabwriter';
import { guarded, OK } from './common';

export interface TopPodsOptions {
  allNamespaces?: boolean;
  selector?: string;
  containers?: boolean;
  noHeaders?: boolean;
  sortBy?: string;
}

export interface TopNodesOptions {
  selector?: string;
  noHeaders?: boolean;
  sortBy?: string;
}

/** Usage as numbers: CPU in millicores, memory in bytes. */
export interface UsageNumbers {
  milliCpu: number;
  memoryBytes: number;
}

export function usageNumbers(u: ResourceUsage): UsageNumbers {
  return { milliCpu: parseQuantity(u.cpu).milliValue(), memoryBytes: parseQuantity(u.memory).value() };
}

/** The sum over a pod's containers. */
export function podUsage(containers: readonly ContainerMetrics[]): UsageNumbers {
  return containers.map((c) => usageNumbers(c.usage)).reduce((a, b) => ({ milliCpu: a.milliCpu + b.milliCpu, memoryBytes: a.memoryBytes + b.memoryBytes }), { milliCpu: 0, memoryBytes: 0 });
}

/** kubectl's cells: "12m" and "3Mi" (whole MiB, rounded down). */
export function formatCpuCell(milliCpu: number): string {
  return `${milliCpu}m`;
}
export function formatMemoryCell(bytes: number): string {
  return `${Math.floor(bytes / (1024 * 1024))}Mi`;
}

/** `used` as a whole percentage of `allocatable` (rounded down), as kubectl prints it. */
export function percentCell(used: number, allocatable: number | undefined): string {
  if (allocatable === undefined || allocatable <= 0) return '<unknown>';
  return `${Math.floor((used * 100) / allocatable)}%`;
}

function checkSortBy(sortBy: string | undefined): 'cpu' | 'memory' | undefined {
  if (sortBy === undefined || sortBy === '') return undefined;
  if (sortBy === 'cpu' || sortBy === 'memory') return sortBy;
  throw new CliError(`--sort-by accepts only cpu or memory`);
}

function byUsage<T>(rows: T[], sortBy: 'cpu' | 'memory' | undefined, usage: (row: T) => UsageNumbers | undefined): T[] {
  if (sortBy === undefined) return rows;
  const key = (r: T): number => {
    const u = usage(r);
    return u === undefined ? -1 : sortBy === 'cpu' ? u.milliCpu : u.memoryBytes;
  };
  return [...rows].sort((a, b) => key(b) - key(a));
}

function warnUnreachable(ctx: CommandContext, nodes: readonly string[], what: string): void {
  if (nodes.length > 0) ctx.err.write(`Warning: the kubelets of ${nodes.length === 1 ? 'node' : 'nodes'} ${nodes.join(', ')} did not answer; ${what} left out\n`);
}

export async function topPods(ctx: CommandContext, args: readonly string[], opts: TopPodsOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    if (args.length > 1) throw new CliError('top pod takes at most one pod name');
    const name = args[0];
    if (name !== undefined && opts.allNamespaces) throw new CliError('a pod name cannot be combined with --all-namespaces');
    if (name !== undefined && opts.selector) throw new CliError('only one of NAME or --selector can be provided');
    const sortBy = checkSortBy(opts.sortBy);
    const namespace = opts.allNamespaces ? '' : ctx.namespace;
    const list = await ctx.client.podMetrics({ namespace, ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(name ? { name } : {}) });
    warnUnreachable(ctx, list.unreachableNodes, 'their pods are');
    if (list.items.length === 0) {
      ctx.err.write(opts.allNamespaces ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`);
      return OK;
    }
    const pods = byUsage(list.items, sortBy, (p: PodMetrics) => podUsage(p.containers));
    const w = TabWriter.forTables((s) => ctx.out.write(s));
    const ns = opts.allNamespaces === true;
    if (!opts.noHeaders) w.write(`${[...(ns ? ['NAMESPACE'] : []), ...(opts.containers ? ['POD'] : []), 'NAME', 'CPU(cores)', 'MEMORY(bytes)'].join('\t')}\n`);
    for (const p of pods) {
      const lead = ns ? [p.metadata.namespace] : [];
      if (opts.containers) {
        for (const c of p.containers) {
          const u = usageNumbers(c.usage);
          w.write(`${[...lead, p.metadata.name, c.name, formatCpuCell(u.milliCpu), formatMemoryCell(u.memoryBytes)].join('\t')}\n`);
        }
      } else {
        const u = podUsage(p.containers);
        w.write(`${[...lead, p.metadata.name, formatCpuCell(u.milliCpu), formatMemoryCell(u.memoryBytes)].join('\t')}\n`);
      }
    }
    w.flush();
    return OK;
  });
}

export async function topNodes(ctx: CommandContext, args: readonly string[], opts: TopNodesOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    if (args.length > 1) throw new CliError('top node takes at most one node name');
    const name = args[0];
    if (name !== undefined && opts.selector) throw new CliError('only one of NAME or --selector can be provided');
    const sortBy = checkSortBy(opts.sortBy);
    let nodes: Node[];
    if (name !== undefined) nodes = [(await ctx.client.get('nodes', '', name)) as Node];
    else nodes = (await ctx.client.listAll('nodes', opts.selector ? { labelSelector: opts.selector } : {})).items as Node[];
    const list = await ctx.client.nodeMetrics({ ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(name ? { name } : {}) });
    if (nodes.length === 0) {
      ctx.err.write('No resources found\n');
      return OK;
    }
    const metrics = new Map<string, NodeMetrics>(list.items.map((m) => [m.metadata.name, m]));
    const rows = byUsage(nodes, sortBy, (n: Node) => {
      const m = metrics.get(n.metadata.name ?? '');
      return m ? usageNumbers(m.usage) : undefined;
    });
    const w = TabWriter.forTables((s) => ctx.out.write(s));
    if (!opts.noHeaders) w.write('NAME\tCPU(cores)\tCPU%\tMEMORY(bytes)\tMEMORY%\n');
    for (const n of rows) {
      const m = metrics.get(n.metadata.name ?? '');
      if (m === undefined) {
        w.write(`${n.metadata.name ?? ''}\t<unknown>\t<unknown>\t<unknown>\t<unknown>\n`);
        continue;
      }
      const u = usageNumbers(m.usage);
      const alloc = n.status?.allocatable;
      const cpuAlloc = alloc?.cpu !== undefined ? parseQuantity(alloc.cpu).milliValue() : undefined;
      const memAlloc = alloc?.memory !== undefined ? parseQuantity(alloc.memory).value() : undefined;
      w.write(`${[m.metadata.name, formatCpuCell(u.milliCpu), percentCell(u.milliCpu, cpuAlloc), formatMemoryCell(u.memoryBytes), percentCell(u.memoryBytes, memAlloc)].join('\t')}\n`);
    }
    w.flush();
    return OK;
  });
}
