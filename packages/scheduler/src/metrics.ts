/** The scheduler's Prometheus metrics, named after kube-scheduler's. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueCounts } from './queue';
import type { SchedulerObserver } from './scheduler';

export interface MetricsSource {
  /** The current scheduler's queue and cache, when leading. */
  queueCounts(): QueueCounts | undefined;
  cacheCounts(): { nodes: number; pods: number; assumedPods: number } | undefined;
  isLeader(): boolean;
  /** Bindings allowed in flight now, when leading. */
  bindWindow(): number | undefined;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class SchedulerMetrics implements SchedulerObserver {
  readonly registry = new Registry();
  private readonly attempts = new Counter({
    name: 'scheduler_schedule_attempts_total',
    help: 'Scheduling cycles by result: scheduled, unschedulable or error.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly attemptDuration = new Histogram({
    name: 'scheduler_scheduling_attempt_duration_seconds',
    help: 'Duration of one scheduling cycle (filters and scores), by result.',
    labelNames: ['result'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly sli = new Histogram({
    name: 'scheduler_pod_scheduling_sli_duration_seconds',
    help: "From a pod's first scheduling attempt to its binding being written.",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly bindDuration = new Histogram({
    name: 'scheduler_binding_duration_seconds',
    help: 'Duration of the binding call to the API server.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly bindFailures = new Counter({
    name: 'scheduler_binding_failures_total',
    help: 'Binding calls that failed.',
    registers: [this.registry],
  });

  constructor(source: MetricsSource, processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Pods waiting in the scheduling queue, by queue (active, backoff, unschedulable).',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const c = source.queueCounts();
        if (!c) return;
        this.set({ queue: 'active' }, c.active);
        this.set({ queue: 'backoff' }, c.backoff);
        this.set({ queue: 'unschedulable' }, c.unschedulable);
      },
    });
    new Gauge({
      name: 'scheduler_cache_size',
      help: "The scheduler cache: nodes, pods (bound or assumed), assumed pods.",
      labelNames: ['type'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const c = source.cacheCounts();
        if (!c) return;
        this.set({ type: 'nodes' }, c.nodes);
        this.set({ type: 'pods' }, c.pods);
        this.set({ type: 'assumed_pods' }, c.assumedPods);
      },
    });
    new Gauge({
      name: 'scheduler_binding_window',
      help: 'Bindings allowed in flight now (adapts to the binding latency).',
      registers: [this.registry],
      collect() {
        this.reset();
        const w = source.bindWindow();
        if (w !== undefined) this.set(w);
      },
    });
    new Gauge({
      name: 'leader_election_master_status',
      help: '1 while this instance is the leader, else 0.',
      labelNames: ['name'] as const,
      registers: [this.registry],
      collect() {
        this.set({ name: 'mk-scheduler' }, source.isLeader() ? 1 : 0);
      },
    });
  }

  attempt(result: 'scheduled' | 'unschedulable' | 'error', durationMs: number): void {
    this.attempts.inc({ result });
    this.attemptDuration.observe({ result }, durationMs / 1000);
  }

  bound(_pod: unknown, _node: string, _attempts: number, sinceFirstAttemptMs: number, bindMs: number): void {
    this.sli.observe(sinceFirstAttemptMs / 1000);
    this.bindDuration.observe(bindMs / 1000);
  }

  bindFailed(): void {
    this.bindFailures.inc();
  }
}
