export * from './types';
export * from './errors';
export { Storage, MemoryStorage, entrySize, limitSize } from './storage';
export { Config } from './raft';
export { RawNode } from './rawnode';
export { encodeConfChange, decodeConfChange, applyConfChange } from './confchange';
