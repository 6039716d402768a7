// The API server's access to the store: the Store interface and its etcd and in-memory implementations.
export * from './errors';
export * from './store';
export { EtcdStore, type EtcdStoreOptions, parseEndpoints, certainlyNotSent } from './etcd-store';
export { MemoryStore, type MemoryStoreOptions } from './memory-store';
