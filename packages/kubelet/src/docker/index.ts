// The Docker adapter of the ContainerRuntime (DESIGN.md, kubelet) and the pure helpers it is built from.
export * from './docker-runtime';
export * from './errors';
export * from './inspect';
export * from './labels';
export * from './names';
export * from './network';
export * from './resolv-conf';
export * from './stats';
export * from './streams';
