/** /metrics of mk-controller-manager: leadership and each controller's workqueue, in client-go's names. */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Controller } from './controller';

export class ControllerManagerMetrics {
  readonly registry = new Registry();

  constructor(
    source: { leading(): boolean; controllers(): Iterable<Controller> },
    processMetrics = true,
  ) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    const r = [this.registry];
    new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this process is the leader (1) or a standby (0).',
      labelNames: ['name'] as const,
      registers: r,
      collect() {
        this.set({ name: 'mk-controller-manager' }, source.leading() ? 1 : 0);
      },
    });
    const perQueue = (name: string, help: string, value: (s: ReturnType<Controller['queue']['stats']>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['name'] as const,
        registers: r,
        collect() {
          this.reset();
          for (const c of source.controllers()) {
            const s = c.queue.stats();
            this.set({ name: c.name }, value(s));
          }
        },
      });
    perQueue('workqueue_depth', 'Current depth of the workqueue.', (s) => s.depth);
    perQueue('workqueue_adds_total', 'Adds handled by the workqueue (this leadership term).', (s) => s.adds);
    perQueue('workqueue_retries_total', 'Retries handled by the workqueue (this leadership term).', (s) => s.retries);
    perQueue('workqueue_unfinished_work_seconds', 'Seconds of work in progress not yet done.', (s) => s.unfinishedWorkMs / 1000);
    perQueue('workqueue_longest_running_processor_seconds', 'Seconds the longest running sync has been running.', (s) => s.longestRunningMs / 1000);
  }
}
