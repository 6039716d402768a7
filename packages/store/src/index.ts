export { StoreServer } from './server/store-server';
export { parseStoreArgs, type StoreConfig } from './config';
export * as mvcc from './mvcc';
