import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The API server's Prometheus metrics, named as Kubernetes names its own. */
export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'apiserver_request_total',
    help: 'Requests by verb, resource and response code (Kubernetes reason or OK).',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Request latency by verb and resource (watches: time to the first event).',
    labelNames: ['verb', 'resource'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Client watches being served, by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  readonly storedObjects = new Gauge({
    name: 'apiserver_storage_objects',
    help: 'Objects in the watch cache, by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  constructor(processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Times `f` and counts its outcome. */
  async observe<T>(verb: string, resource: string, f: () => Promise<T>): Promise<T> {
    const end = this.latency.startTimer({ verb, resource });
    try {
      const v = await f();
      this.requests.inc({ verb, resource, code: 'OK' });
      return v;
    } catch (e) {
      const reason = (e as { reason?: unknown }).reason;
      this.requests.inc({ verb, resource, code: typeof reason === 'string' ? reason : 'InternalError' });
      throw e;
    } finally {
      end();
    }
  }
}
