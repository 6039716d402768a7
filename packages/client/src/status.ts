import { ErrorCode, MkError } from '@mk/shared';

/**
 * Kubernetes' Status object: what the API server answers when a request fails, and what mkctl
 * prints ("Error from server (NotFound): pods \"web\" not found"). It travels as JSON in the
 * trailing metadata `mk-status` of a failed gRPC call (proto/mkapi/api.proto).
 */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  /** The HTTP code Kubernetes would answer with. */
  code: number;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusCause {
  /** e.g. FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate. */
  reason?: string;
  message: string;
  /** The field path: `spec.template.spec.containers[0].image`. */
  field?: string;
}

/** Kubernetes' StatusReason values that mk uses, with their HTTP and gRPC codes. */
export const STATUS_REASONS = {
  BadRequest: { http: 400, grpc: ErrorCode.InvalidArgument },
  Unauthorized: { http: 401, grpc: ErrorCode.Unauthenticated },
  Forbidden: { http: 403, grpc: ErrorCode.PermissionDenied },
  NotFound: { http: 404, grpc: ErrorCode.NotFound },
  MethodNotAllowed: { http: 405, grpc: ErrorCode.Unimplemented },
  AlreadyExists: { http: 409, grpc: ErrorCode.AlreadyExists },
  Conflict: { http: 409, grpc: ErrorCode.Aborted },
  Gone: { http: 410, grpc: ErrorCode.OutOfRange },
  Expired: { http: 410, grpc: ErrorCode.OutOfRange },
  RequestEntityTooLarge: { http: 413, grpc: ErrorCode.ResourceExhausted },
  UnsupportedMediaType: { http: 415, grpc: ErrorCode.InvalidArgument },
  Invalid: { http: 422, grpc: ErrorCode.InvalidArgument },
  TooManyRequests: { http: 429, grpc: ErrorCode.ResourceExhausted },
  InternalError: { http: 500, grpc: ErrorCode.Internal },
  ServiceUnavailable: { http: 503, grpc: ErrorCode.Unavailable },
  Timeout: { http: 504, grpc: ErrorCode.DeadlineExceeded },
  Unknown: { http: 500, grpc: ErrorCode.Unknown },
} as const;

export type StatusReason = keyof typeof STATUS_REASONS;

/** The gRPC trailing-metadata key that carries the Status JSON. */
export const STATUS_METADATA_KEY = 'mk-status';

/** An API error: a Status, thrown by the API server's handlers and by the client library. */
export class ApiError extends MkError {
  constructor(readonly status: Status) {
    super(STATUS_REASONS[status.reason]?.grpc ?? ErrorCode.Unknown, status.message, { reason: status.reason });
  }

  get reason(): StatusReason {
    return this.status.reason;
  }

  static of(reason: StatusReason, message: string, details?: StatusDetails): ApiError {
    return new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, ...(details ? { details } : {}), code: STATUS_REASONS[reason].http });
  }

  /** `pods "web" not found` */
  static notFound(resource: string, name: string): ApiError {
    return ApiError.of('NotFound', `${resource} "${name}" not found`, { name, kind: resource });
  }

  /** `pods "web" already exists` */
  static alreadyExists(resource: string, name: string): ApiError {
    return ApiError.of('AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource });
  }

  /** Kubernetes' optimistic-concurrency message. */
  static conflict(resource: string, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): ApiError {
    return ApiError.of('Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${why}`, { name, kind: resource });
  }

  /** `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be ...` */
  static invalid(kindDotGroup: string, name: string, causes: StatusCause[]): ApiError {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const body = list.length === 1 ? list[0]! : `[${list.join(', ')}]`;
    return ApiError.of('Invalid', `${kindDotGroup} "${name}" is invalid: ${body}`, { name, kind: kindDotGroup, causes });
  }

  static badRequest(message: string): ApiError {
    return ApiError.of('BadRequest', message);
  }

  /** A watch or list from a version the store has compacted away: the client must relist. */
  static gone(message: string): ApiError {
    return ApiError.of('Gone', message);
  }

  static unavailable(message: string): ApiError {
    return ApiError.of('ServiceUnavailable', message);
  }

  static timeout(message: string): ApiError {
    return ApiError.of('Timeout', message);
  }

  static internal(message: string): ApiError {
    return ApiError.of('InternalError', message);
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.reason === 'NotFound';
}
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.reason === 'AlreadyExists';
}
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.reason === 'Conflict';
}
export function isGone(e: unknown): boolean {
  return e instanceof ApiError && (e.reason === 'Gone' || e.reason === 'Expired');
}
export function isInvalid(e: unknown): boolean {
  return e instanceof ApiError && e.reason === 'Invalid';
}
