/**
 * CPU rates from cumulative counters (what `kubectl top` shows): the runtime reports CPU time used
 * so far; the rate is the difference between two samples over the time between them. Memory is
 * the working set of the newest sample.
 */

export interface UsageSample {
  /** ms since the epoch. */
  timestamp: number;
  /** Cumulative CPU time, ns. */
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
}

export interface UsageRate {
  /** The end of the window, ms since the epoch. */
  timestamp: number;
  windowMs: number;
  /** CPU in billionths of a core. */
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
}

interface Series {
  previous?: UsageSample;
  last: UsageSample;
  /** The newest memory figure, even from a sample too close to `last` to start a new window. */
  memoryWorkingSetBytes: number;
}

/**
 * The last two samples per series (a container id, or the node). A sample closer than
 * `minWindowMs` to the last kept one refreshes memory only, so that two quick calls do not
 * measure CPU over a few milliseconds.
 */
export class UsageSampler {
  private readonly series = new Map<string, Series>();

  constructor(private readonly minWindowMs = 1000) {}

  record(id: string, sample: UsageSample): void {
    const s = this.series.get(id);
    if (s === undefined) {
      this.series.set(id, { last: sample, memoryWorkingSetBytes: sample.memoryWorkingSetBytes });
      return;
    }
    s.memoryWorkingSetBytes = sample.memoryWorkingSetBytes;
    const gap = sample.timestamp - s.last.timestamp;
    // The first window may be short (it is all there is); later ones must be long enough.
    if (gap <= 0 || (s.previous !== undefined && gap < this.minWindowMs)) return;
    s.previous = s.last;
    s.last = sample;
  }

  /** True when `id` has two samples, so a rate. */
  hasRate(id: string): boolean {
    return this.series.get(id)?.previous !== undefined;
  }

  rate(id: string): UsageRate | undefined {
    const s = this.series.get(id);
    if (s?.previous === undefined) return undefined;
    const windowMs = s.last.timestamp - s.previous.timestamp;
    // A counter that went backwards (a runtime that restarted its accounting) means no usage known.
    const cpuNanos = Math.max(0, s.last.cpuUsageNanos - s.previous.cpuUsageNanos);
    return {
      timestamp: s.last.timestamp,
      windowMs,
      cpuNanoCores: Math.round((cpuNanos * 1000) / windowMs),
      memoryWorkingSetBytes: s.memoryWorkingSetBytes,
    };
  }

  /** Forgets every series not in `keep` (containers that are gone). */
  retain(keep: ReadonlySet<string>): void {
    for (const id of this.series.keys()) if (!keep.has(id)) this.series.delete(id);
  }
}
