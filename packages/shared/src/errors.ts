/**
 * Typed errors shared by every package. Each carries a `code` whose numeric value is the gRPC
 * status code it travels as, so a shell can map errors to the wire (and back) without the core
 * depending on a gRPC library.
 */
export enum ErrorCode {
  Cancelled = 1,
  Unknown = 2,
  InvalidArgument = 3,
  DeadlineExceeded = 4,
  NotFound = 5,
  AlreadyExists = 6,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  OutOfRange = 11,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  DataLoss = 15,
  Unauthenticated = 16,
}

export class MkError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Optional machine-readable details (field path, expected value, ...). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: names what is wrong (a field path, a flag, a line). */
export class InvalidArgumentError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.InvalidArgument, message, details);
  }
}

export class NotFoundError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.NotFound, message, details);
  }
}

export class AlreadyExistsError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.AlreadyExists, message, details);
  }
}

/** The request was valid but the system is not in a state to perform it (e.g. not the leader). */
export class FailedPreconditionError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.FailedPrecondition, message, details);
  }
}

/** A transient condition: the caller may retry, possibly elsewhere. */
export class UnavailableError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.Unavailable, message, details);
  }
}

/** Stored data is damaged or foreign; nothing was changed. */
export class DataLossError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.DataLoss, message, details);
  }
}

/** A broken invariant inside mk itself: a bug, never the caller's fault. */
export class InternalError extends MkError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.Internal, message, details);
  }
}

export function isMkError(e: unknown): e is MkError {
  return e instanceof MkError;
}
