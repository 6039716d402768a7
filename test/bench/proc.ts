/** What /proc tells about a benchmark's processes. */
import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) used so far by a process, from /proc (clock ticks of 10 ms). */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU used by each named process between `start()` and `stop()`, in % of one core. */
export class CpuMeter {
  private readonly before = new Map<string, number>();
  private startedAt = 0;

  constructor(private readonly processes: () => Array<{ name: string; pid: number | undefined }>) {}

  start(): void {
    this.startedAt = Date.now();
    for (const p of this.processes()) this.before.set(p.name, cpuSeconds(p.pid));
  }

  stop(): Record<string, number> {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const out: Record<string, number> = {};
    for (const p of this.processes()) out[p.name] = Math.round(((cpuSeconds(p.pid) - (this.before.get(p.name) ?? 0)) / seconds) * 1000) / 10;
    return out;
  }
}
