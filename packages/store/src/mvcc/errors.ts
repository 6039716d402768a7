/**
 * Errors of the MVCC state machine. Each carries etcd's exact message (etcdctl and the etcd
 * client libraries print or match these strings) and the gRPC status code etcd sends it with.
 *
 * Two families, so the shell can tell them apart:
 * - `MvccValidationError`: the request itself is malformed. etcd rejects these in its gRPC
 *   layer before proposing (v3rpc/key.go); the shell should call `validate*` and answer without
 *   going through Raft. The state machine re-checks the config-independent ones when applying.
 * - `MvccApplyError`: the request is well formed but the state says no (lease missing, revision
 *   compacted, ...). Every member reaches the same verdict for the same entry, and a failed
 *   apply changes nothing.
 * Damaged persisted data or snapshots raise `MvccCorruptDataError` (a DataLossError).
 */
import { DataLossError, ErrorCode, MkError } from '@mk/shared';

/** etcd's message strings (etcdserver/api/v3rpc/rpctypes/error.go), verbatim. */
export const EtcdMessages = {
  emptyKey: 'etcdserver: key is not provided',
  keyNotFound: 'etcdserver: key not found',
  valueProvided: 'etcdserver: value is provided',
  leaseProvided: 'etcdserver: lease is provided',
  tooManyOps: 'etcdserver: too many operations in txn request',
  duplicateKey: 'etcdserver: duplicate key given in txn request',
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  futureRev: 'etcdserver: mvcc: required revision is a future revision',
  leaseNotFound: 'etcdserver: requested lease not found',
  leaseExist: 'etcdserver: lease already exists',
  leaseTTLTooLarge: 'etcdserver: too large lease TTL',
} as const;

export abstract class MvccError extends MkError {
  abstract readonly phase: 'validation' | 'apply';
}

/** The request is malformed; nothing was (or would be) proposed or changed. */
export class MvccValidationError extends MvccError {
  readonly phase = 'validation' as const;
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.InvalidArgument, message, details);
  }
}

/** A well-formed request that the current state refuses; the state is unchanged. */
export abstract class MvccApplyError extends MvccError {
  readonly phase = 'apply' as const;
}

export class EmptyKeyError extends MvccValidationError {
  constructor(details?: Record<string, unknown>) {
    super(EtcdMessages.emptyKey, details);
  }
}

export class ValueProvidedError extends MvccValidationError {
  constructor() {
    super(EtcdMessages.valueProvided);
  }
}

export class LeaseProvidedError extends MvccValidationError {
  constructor() {
    super(EtcdMessages.leaseProvided);
  }
}

export class TooManyOpsError extends MvccValidationError {
  constructor(ops: number, max: number) {
    super(EtcdMessages.tooManyOps, { ops, max });
  }
}

export class DuplicateKeyError extends MvccValidationError {
  constructor(key: string) {
    super(EtcdMessages.duplicateKey, { key });
  }
}

/** A RequestOp with none of range/put/deleteRange/txn set. etcd answers "key not found" here. */
export class EmptyRequestOpError extends MvccValidationError {
  constructor() {
    super(EtcdMessages.keyNotFound, { reason: 'empty RequestOp' });
  }
}

/** A field outside what etcd accepts (e.g. a lease id that is not a positive integer < 2^53). */
export class InvalidFieldError extends MvccValidationError {
  constructor(field: string, value: unknown, expected: string) {
    super(`etcdserver: invalid ${field}: ${String(value)} (expected ${expected})`, { field, value });
  }
}

/** ignore_value / ignore_lease on a key that does not exist. */
export class KeyNotFoundError extends MvccApplyError {
  constructor(key?: string) {
    super(ErrorCode.InvalidArgument, EtcdMessages.keyNotFound, key === undefined ? {} : { key });
  }
}

export class CompactedError extends MvccApplyError {
  constructor(
    readonly compactRevision: number,
    readonly requestedRevision: number,
  ) {
    super(ErrorCode.OutOfRange, EtcdMessages.compacted, { compactRevision, requestedRevision });
  }
}

export class FutureRevisionError extends MvccApplyError {
  constructor(
    readonly currentRevision: number,
    readonly requestedRevision: number,
  ) {
    super(ErrorCode.OutOfRange, EtcdMessages.futureRev, { currentRevision, requestedRevision });
  }
}

export class LeaseNotFoundError extends MvccApplyError {
  constructor(readonly leaseId: number) {
    super(ErrorCode.NotFound, EtcdMessages.leaseNotFound, { leaseId });
  }
}

export class LeaseExistsError extends MvccApplyError {
  constructor(readonly leaseId: number) {
    super(ErrorCode.FailedPrecondition, EtcdMessages.leaseExist, { leaseId });
  }
}

export class LeaseTTLTooLargeError extends MvccApplyError {
  constructor(readonly ttl: number) {
    super(ErrorCode.OutOfRange, EtcdMessages.leaseTTLTooLarge, { ttl });
  }
}

/** Persisted records or snapshot bytes that are damaged or not ours. Nothing was loaded. */
export class MvccCorruptDataError extends DataLossError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, details);
  }
}

export function isMvccError(e: unknown): e is MvccError {
  return e instanceof MvccError;
}
