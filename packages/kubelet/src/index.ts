// @mk/kubelet (DESIGN.md, "Controllers, scheduler, node agents"): the pure pod-sync core, the Docker
// adapter, the prober, the kubelet API server, and the daemon that ties them together.
export * from './runtime';
export * from './backoff';
export * from './status';
export * from './sync';
export * from './container-config';
export * from './node-status';
export * from './network';
export * from './pod-sync';
export * from './volumes';
export * from './kubelet';
export * from './prober';
export * from './server';
export * from './docker';
