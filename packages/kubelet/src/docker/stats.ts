/** Docker's one-shot stats → ContainerStats (pure). */
import type { ContainerStats } from '../runtime';
import { dockerTime } from './inspect';

/** The part of Docker's stats answer this module reads. */
export interface DockerStatsLike {
  read: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: { total_inactive_file?: number; inactive_file?: number } };
}

/**
 * CPU: cumulative total_usage (ns). Working set as the kubelet computes it: usage minus the inactive
 * page cache — `total_inactive_file` on cgroup v1 (the hierarchy's), `inactive_file` on v2 — never
 * below 0. Undefined when Docker had no numbers (a container that is not running).
 */
export function statsFromDocker(stats: DockerStatsLike, nowMs: number): ContainerStats | undefined {
  const cpu = stats.cpu_stats?.cpu_usage?.total_usage;
  const usage = stats.memory_stats?.usage;
  if (cpu === undefined || usage === undefined) return undefined;
  const inactive = stats.memory_stats?.stats?.total_inactive_file ?? stats.memory_stats?.stats?.inactive_file ?? 0;
  return {
    timestamp: dockerTime(stats.read) ?? nowMs,
    cpuUsageNanos: cpu,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
  };
}
