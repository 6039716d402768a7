// @mk/client: how every component and mkctl talk to the API servers.
export * from './workqueue';
export * from './status';
export * from './object';
export * from './grpc-status';
export * from './api-client';
export * from './store';
export * from './informer';
export * from './event-recorder';
export * from './config';
export * from './leader-election';
export * from './metrics';
