/**
 * The scheduling queue (Kubernetes' PriorityQueue), three parts:
 *  - active: pods to try now, highest priority first, then first come first served;
 *  - backoff: pods that failed, waiting out a per-pod back-off (1 s, doubling per attempt, at
 *    most 10 s) before they go back to active;
 *  - unschedulable: pods no node could take. They wait for a cluster event that may help them — a
 *    node added or changed, a pod deleted — and only events one of the plugins that rejected them
 *    cares about; or at the latest for `maxUnschedulableMs` (60 s), then they go back (to backoff
 *    if their back-off has not passed yet).
 * All timing comes from the injected Clock: one timer, set for the next back-off expiry or
 * unschedulable time-out.
 */
import { type Clock, type Logger, nullLogger } from '@mk/shared';
import type { ClusterEvent } from './framework/types';
import { KeyedHeap } from './heap';
import type { PodInfo } from './pod-info';

export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it last entered the queue (FIFO order within a priority, start of its back-off). */
  timestamp: number;
  /** Scheduling attempts so far (counted when popped). */
  attempts: number;
  /** When it was popped the first time: creation → bound latency starts at its creation anyway. */
  initialAttemptTimestamp: number | undefined;
  /** The plugins that rejected it the last time; empty: any event may help. */
  unschedulablePlugins: ReadonlySet<string>;
  /** Insertion order, the last tie-breaker. */
  seq: number;
}

export interface SchedulingQueueOptions {
  clock: Clock;
  logger?: Logger;
  /** Back-off after the first failure (default 1000 ms); doubles per attempt. */
  initialBackoffMs?: number;
  /** Longest back-off (default 10 000 ms). */
  maxBackoffMs?: number;
  /** Longest stay in unschedulable without any helpful event (default 60 000 ms). */
  maxUnschedulableMs?: number;
  /** Plugin name → the events that may make a pod it rejected schedulable. */
  pluginEvents?: ReadonlyMap<string, ReadonlySet<ClusterEvent>>;
}

export interface QueueCounts {
  active: number;
  backoff: number;
  unschedulable: number;
}

/** Did anything but status and bookkeeping change (Kubernetes' isPodUpdated)? */
function podSpecChanged(a: PodInfo, b: PodInfo): boolean {
  const strip = (pi: PodInfo) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, ...meta } = pi.pod.metadata;
    return JSON.stringify({ ...pi.pod, metadata: meta, status: undefined });
  };
  return strip(a) !== strip(b);
}

export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly pluginEvents: ReadonlyMap<string, ReadonlySet<ClusterEvent>>;
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  /** In order of entry, which is the order of their timestamps. */
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Popped and not yet requeued or done: a delete or update meanwhile is remembered. */
  private readonly inFlight = new Map<string, { deleted: boolean; latest: PodInfo | undefined }>();
  private seq = 0;
  private cycle = 0;
  private moveRequestCycle = -1;
  private closed = false;
  private waiters: Array<() => void> = [];
  private cancelTimer: (() => void) | undefined;
  private timerAt = Infinity;

  constructor(o: SchedulingQueueOptions) {
    this.clock = o.clock;
    this.logger = o.logger ?? nullLogger;
    this.initialBackoffMs = o.initialBackoffMs ?? 1000;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = o.maxUnschedulableMs ?? 60_000;
    this.pluginEvents = o.pluginEvents ?? new Map();
    this.active = new KeyedHeap<QueuedPodInfo>(
      (q) => q.podInfo.key,
      (a, b) => (a.podInfo.priority !== b.podInfo.priority ? a.podInfo.priority > b.podInfo.priority : a.timestamp !== b.timestamp ? a.timestamp < b.timestamp : a.seq < b.seq),
    );
    this.backoff = new KeyedHeap<QueuedPodInfo>(
      (q) => q.podInfo.key,
      (a, b) => {
        const ea = this.backoffExpiry(a);
        const eb = this.backoffExpiry(b);
        return ea !== eb ? ea < eb : a.seq < b.seq;
      },
    );
  }

  /** The number of pods popped so far (Kubernetes' scheduling cycle). */
  schedulingCycle(): number {
    return this.cycle;
  }

  counts(): QueueCounts {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  /** Where a pod is: 'active', 'backoff', 'unschedulable', 'inFlight', or undefined. */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  get(key: string): QueuedPodInfo | undefined {
    return this.active.get(key) ?? this.backoff.get(key) ?? this.unschedulable.get(key);
  }

  /** A new pending pod (or one seen again): to active, unless already queued (then it is updated). */
  add(pi: PodInfo): void {
    if (this.closed) return;
    if (this.where(pi.key) !== undefined) return this.update(pi);
    this.active.push(this.newQueued(pi));
    this.changed();
  }

  /** A queued pod changed. A real change to an unschedulable pod gives it another chance at once. */
  update(pi: PodInfo): void {
    if (this.closed) return;
    const key = pi.key;
    const flight = this.inFlight.get(key);
    if (flight) {
      flight.latest = pi;
      return;
    }
    const inActive = this.active.get(key);
    if (inActive) {
      this.active.push({ ...inActive, podInfo: pi });
      return;
    }
    const inBackoff = this.backoff.get(key);
    if (inBackoff) {
      this.backoff.push({ ...inBackoff, podInfo: pi });
      return;
    }
    const inUnschedulable = this.unschedulable.get(key);
    if (inUnschedulable) {
      const next = { ...inUnschedulable, podInfo: pi };
      if (podSpecChanged(inUnschedulable.podInfo, pi)) {
        this.unschedulable.delete(key);
        this.moveToActiveOrBackoff(next);
        this.changed();
      } else {
        this.unschedulable.set(key, next); // same place: its timestamp is unchanged
      }
      return;
    }
    this.add(pi);
  }

  /** The pod is gone (deleted, bound elsewhere, no longer ours). */
  delete(key: string): void {
    const flight = this.inFlight.get(key);
    if (flight) flight.deleted = true;
    const removed = this.active.delete(key) ?? this.backoff.delete(key);
    if (removed || this.unschedulable.delete(key)) this.changed();
  }

  /** The next pod to schedule, or undefined if none is active right now. */
  tryPop(): QueuedPodInfo | undefined {
    if (this.closed) return undefined;
    const q = this.active.pop();
    if (!q) return undefined;
    this.cycle++;
    q.attempts++;
    q.initialAttemptTimestamp ??= this.clock.now();
    this.inFlight.set(q.podInfo.key, { deleted: false, latest: undefined });
    return q;
  }

  /** Waits for a pod; undefined once the queue is closed. */
  async pop(): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const q = this.tryPop();
      if (q) return q;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The popped pod was scheduled (assumed): it leaves the queue's care. */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The popped pod fits nowhere: to unschedulable, or to back-off when something that may help
   * happened while it was being scheduled (or it changed meanwhile).
   */
  addUnschedulable(q: QueuedPodInfo, unschedulablePlugins: ReadonlySet<string>, podSchedulingCycle: number): void {
    const flight = this.takeFlight(q);
    if (!flight || this.closed) return;
    const next: QueuedPodInfo = { ...q, podInfo: flight.latest ?? q.podInfo, timestamp: this.clock.now(), unschedulablePlugins, seq: this.seq++ };
    if (this.moveRequestCycle >= podSchedulingCycle || (flight.latest && podSpecChanged(q.podInfo, flight.latest))) {
      this.moveToActiveOrBackoff(next);
    } else {
      this.unschedulable.delete(next.podInfo.key);
      this.unschedulable.set(next.podInfo.key, next);
    }
    this.changed();
  }

  /** The popped pod failed for another reason (an error, a failed binding): retry after its back-off. */
  addBackoff(q: QueuedPodInfo): void {
    const flight = this.takeFlight(q);
    if (!flight || this.closed) return;
    const next: QueuedPodInfo = { ...q, podInfo: flight.latest ?? q.podInfo, timestamp: this.clock.now(), unschedulablePlugins: new Set(), seq: this.seq++ };
    this.backoff.push(next);
    this.changed();
  }

  /**
   * Something changed in the cluster: every unschedulable pod that a plugin interested in `event`
   * rejected goes back to active (or backoff, if its back-off has not passed).
   */
  moveAllToActiveOrBackoff(event: ClusterEvent): number {
    if (this.closed) return 0;
    this.moveRequestCycle = this.cycle;
    let moved = 0;
    for (const [key, q] of this.unschedulable) {
      if (!this.helps(event, q)) continue;
      this.unschedulable.delete(key);
      this.moveToActiveOrBackoff(q);
      moved++;
    }
    if (moved > 0) {
      this.logger.debug('unschedulable pods moved', { event, moved });
      this.changed();
    }
    return moved;
  }

  /** Stops the queue: waiters get undefined, timers are cancelled, nothing is accepted any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  /** How long a pod with this many attempts backs off (Kubernetes' calculateBackoffDuration). */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      if (d > this.maxBackoffMs - d) return this.maxBackoffMs;
      d += d;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q.attempts);
  }

  // ---- internals ----

  private newQueued(pi: PodInfo): QueuedPodInfo {
    return { podInfo: pi, timestamp: this.clock.now(), attempts: 0, initialAttemptTimestamp: undefined, unschedulablePlugins: new Set(), seq: this.seq++ };
  }

  private takeFlight(q: QueuedPodInfo): { deleted: boolean; latest: PodInfo | undefined } | undefined {
    const key = q.podInfo.key;
    const flight = this.inFlight.get(key);
    this.inFlight.delete(key);
    if (!flight) return { deleted: false, latest: undefined }; // requeued without a pop: fine
    return flight.deleted ? undefined : flight;
  }

  private helps(event: ClusterEvent, q: QueuedPodInfo): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const p of q.unschedulablePlugins) if (this.pluginEvents.get(p)?.has(event) ?? true) return true;
    return false;
  }

  private moveToActiveOrBackoff(q: QueuedPodInfo): void {
    if (this.backoffExpiry(q) > this.clock.now()) this.backoff.push(q);
    else this.active.push(q);
  }

  /** After any change: flush what is due, wake a waiting pop, set the timer for the next due. */
  private changed(): void {
    if (this.closed) return;
    this.flushDue();
    if (this.active.size > 0) for (const w of this.waiters.splice(0)) w();
    this.armTimer();
  }

  private flushDue(): void {
    const now = this.clock.now();
    for (let q = this.backoff.peek(); q && this.backoffExpiry(q) <= now; q = this.backoff.peek()) {
      this.backoff.pop();
      this.active.push(q);
    }
    for (const [key, q] of this.unschedulable) {
      if (now - q.timestamp < this.maxUnschedulableMs) break; // the rest entered later
      this.unschedulable.delete(key);
      this.moveToActiveOrBackoff(q);
    }
  }

  private armTimer(): void {
    let next = Infinity;
    const b = this.backoff.peek();
    if (b) next = this.backoffExpiry(b);
    const u = this.unschedulable.values().next();
    if (!u.done) next = Math.min(next, u.value.timestamp + this.maxUnschedulableMs);
    if (next === this.timerAt) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.cancelTimer = this.clock.setTimer(Math.max(0, next - this.clock.now()), () => {
      this.cancelTimer = undefined;
      this.timerAt = Infinity;
      this.changed();
    });
  }
}
