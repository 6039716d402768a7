// @mk/kubelet (DESIGN.md, "Controllers, scheduler, node agents"): the pure pod-sync core first; the Docker adapter and daemon come with step 5.
export * from './runtime';
export * from './backoff';
export * from './status';
export * from './sync';
