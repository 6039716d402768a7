// @mk/scheduler (DESIGN.md, "Controllers, scheduler, node agents"): the pure core (queue, cache,
// plugins, framework, scheduler) and the shell that runs it under leader election.
export * from './resources';
export * from './taints';
export * from './node-selector';
export * from './pod-info';
export * from './node-info';
export * from './cache';
export * from './heap';
export * from './queue';
export * from './framework/types';
export * from './framework/framework';
export * from './framework/plugins';
export * from './scheduler';
export * from "./daemon";
export * from "./metrics";
