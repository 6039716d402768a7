/** The MVCC state machine of mk-store: etcd v3's data model, pure and deterministic. */
export * from './types';
export * from './errors';
export {
  DEFAULT_MAX_TXN_OPS,
  MAX_LEASE_TTL,
  validateRequest,
  validateRange,
  validatePut,
  validateDeleteRange,
  validateTxn,
  validateLeaseGrant,
} from './validate';
export { MvccStore } from './store';
export { prefixEnd, FROM_KEY } from './key-range';
export { crc32c, compareBytes, SNAPSHOT_VERSION } from './codec';
