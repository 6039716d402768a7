/**
 * CrashLoopBackOff per (pod uid, container name), as Kubernetes' kubelet does it with
 * flowcontrol.Backoff: the first restart is immediate and sets the delay to `initialMs`; every
 * later restart waits the current delay after the container finished, then doubles it up to
 * `maxMs`. The delay starts over when the container ran at least `resetAfterRunMs` (10 min) or
 * when nothing restarted for 2 × `maxMs`.
 */
import type { Clock } from '@mk/shared';

export interface BackOffOptions {
  initialMs?: number;
  maxMs?: number;
  resetAfterRunMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackOffOptions> = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterRunMs: 600_000,
};

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export interface BackOffState {
  inBackOff: boolean;
  /** The current delay (0 when none is recorded). */
  delayMs: number;
  /** How long until the container may restart (0 when it may now). */
  remainingMs: number;
}

export class CrashLoopBackOff {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: Required<BackOffOptions>;

  constructor(
    private readonly clock: Clock,
    options: BackOffOptions = {},
  ) {
    this.opts = { ...DEFAULT_BACKOFF, ...options };
    if (!(this.opts.initialMs > 0) || !(this.opts.maxMs >= this.opts.initialMs)) {
      throw new RangeError(`back-off needs 0 < initial <= max, got ${this.opts.initialMs}, ${this.opts.maxMs}`);
    }
  }

  /**
   * Whether the container that finished at `finishedAt` (ms) must still wait before it restarts.
   * `ranMs`, when known, is how long that run lasted: a run of at least `resetAfterRunMs` resets.
   */
  check(podUid: string, name: string, finishedAt: number, ranMs?: number): BackOffState {
    const entry = this.live(podUid, name, ranMs);
    if (entry === undefined) return { inBackOff: false, delayMs: 0, remainingMs: 0 };
    const remainingMs = Math.max(0, finishedAt + entry.delayMs - this.clock.now());
    return { inBackOff: remainingMs > 0, delayMs: entry.delayMs, remainingMs };
  }

  /** Records a restart now and returns the delay the next restart will wait. */
  next(podUid: string, name: string, ranMs?: number): number {
    const k = key(podUid, name);
    const entry = this.live(podUid, name, ranMs);
    const delayMs =
      entry === undefined ? this.opts.initialMs : Math.min(entry.delayMs * 2, this.opts.maxMs);
    this.entries.set(k, { delayMs, lastUpdate: this.clock.now() });
    return delayMs;
  }

  /** The current delay, 0 when none. */
  delay(podUid: string, name: string): number {
    return this.live(podUid, name)?.delayMs ?? 0;
  }

  reset(podUid: string, name: string): void {
    this.entries.delete(key(podUid, name));
  }

  /** Forgets every container of a pod (the pod is gone). */
  forgetPod(podUid: string): void {
    const prefix = `${podUid}/`;
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drops entries that have expired (no restart for 2 × max). */
  gc(): void {
    const now = this.clock.now();
    for (const [k, e] of [...this.entries]) {
      if (now - e.lastUpdate > 2 * this.opts.maxMs) this.entries.delete(k);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private live(podUid: string, name: string, ranMs?: number): Entry | undefined {
    const k = key(podUid, name);
    const entry = this.entries.get(k);
    if (entry === undefined) return undefined;
    const expired = this.clock.now() - entry.lastUpdate > 2 * this.opts.maxMs;
    const ranLong = ranMs !== undefined && ranMs >= this.opts.resetAfterRunMs;
    if (expired || ranLong) {
      this.entries.delete(k);
      return undefined;
    }
    return entry;
  }
}

function key(podUid: string, name: string): string {
  return `${podUid}/${name}`;
}
