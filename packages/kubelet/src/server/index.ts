// The kubelet's gRPC server (logs, exec, stats) and its pure parts.
export * from './kubelet-server';
export * from './container-lookup';
export * from './usage-sampler';
