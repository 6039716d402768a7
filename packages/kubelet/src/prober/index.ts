// The kubelet's prober: probe executors, the real network transport, and the per-container workers.
export * from './probes';
export * from './node-transport';
export * from './probe-manager';
