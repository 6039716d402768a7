// @mk/mkctl: the kubectl-shaped CLI (DESIGN.md, packages/mkctl). The binary is src/bin/mkctl.ts;
// the commands are plain functions of a CommandContext, usable (and tested) without a server.
export * from './context';
export * from './errors';
export { run, normalizeArgv, type GlobalOptions, type ContextFactory } from './cli';
export { main } from './main';
export { get } from './commands/get';
export { describe } from './commands/describe';
export { apply } from './commands/apply';
export { createFromFiles, createNamespace, createDeployment } from './commands/create';
export { deleteCommand } from './commands/delete';
export { label, annotate } from './commands/label';
export { apiResources } from './commands/api-resources';
export { version } from './commands/version';
export { threeWayPatch } from './apply-patch';
export { humanDuration, formatRFC1123Z } from './time';
export { TabWriter } from './tabwriter';
export { FakeClient } from './testing/fake-client';
export { testContext, MemoryIo } from './testing/context';
