// @mk/controller-manager (DESIGN.md, "Controllers, scheduler, node agents").
export * from './types';
export * from './controller';
export * from './expectations';
export * from './controllers/replicaset';
export * from './controllers/deployment/controller';
export * from './controllers/deployment/util';
export * from './controllers/garbage-collector';
export * from './controllers/endpoints';
export * from './controllers/node-lifecycle';
export * from './controllers/node-ipam';
export * from './util/cidr';
export * from './manager';
export * from './informers';
export * from './fenced-client';
export * from './metrics';
