/**
 * Errors across the wire (proto/mkapi/api.proto): the API server fails a call with a gRPC status
 * whose trailing metadata `mk-status` holds Kubernetes' Status as JSON; the client turns it back
 * into the same ApiError. Both directions live here so they cannot drift apart.
 */
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, MkError } from '@mk/shared';
import { ApiError, STATUS_METADATA_KEY, STATUS_REASONS, type Status, type StatusCause, type StatusReason } from './status';

/** What a grpc-js server handler passes to its callback (or `call.emit('error', …)`) to fail a call. */
export interface GrpcErrorLike {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
}

/** The reason a bare gRPC code stands for when a status carries no `mk-status`. */
const REASON_OF_CODE: Record<number, StatusReason> = {
  [grpc.status.CANCELLED]: 'Unknown',
  [grpc.status.UNKNOWN]: 'Unknown',
  [grpc.status.INVALID_ARGUMENT]: 'BadRequest',
  [grpc.status.DEADLINE_EXCEEDED]: 'Timeout',
  [grpc.status.NOT_FOUND]: 'NotFound',
  [grpc.status.ALREADY_EXISTS]: 'AlreadyExists',
  [grpc.status.PERMISSION_DENIED]: 'Forbidden',
  [grpc.status.RESOURCE_EXHAUSTED]: 'TooManyRequests',
  // Kubernetes answers a failed precondition (a delete's uid/resourceVersion) with 409 Conflict.
  [grpc.status.FAILED_PRECONDITION]: 'Conflict',
  [grpc.status.ABORTED]: 'Conflict',
  [grpc.status.OUT_OF_RANGE]: 'Gone',
  [grpc.status.UNIMPLEMENTED]: 'MethodNotAllowed',
  [grpc.status.INTERNAL]: 'InternalError',
  [grpc.status.UNAVAILABLE]: 'ServiceUnavailable',
  [grpc.status.DATA_LOSS]: 'InternalError',
  [grpc.status.UNAUTHENTICATED]: 'Unauthorized',
};

/** The StatusReason for a gRPC (or @mk/shared ErrorCode) code. */
export function reasonForGrpcCode(code: number): StatusReason {
  return REASON_OF_CODE[code] ?? 'Unknown';
}

function isReason(r: unknown): r is StatusReason {
  return typeof r === 'string' && Object.prototype.hasOwnProperty.call(STATUS_REASONS, r);
}

/** The Status in a piece of JSON, or undefined when it is not one mk can use. */
export function parseStatus(json: string): Status | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  return statusFromObject(v);
}

/** `v` as a Status when it has a known reason and a message (a watch ERROR event's object). */
export function statusFromObject(v: unknown): Status | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.message !== 'string') return undefined;
  let reason: StatusReason;
  if (isReason(o.reason)) reason = o.reason;
  else if (o.code === 410) reason = 'Gone';
  else return undefined;
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: o.message,
    reason,
    code: typeof o.code === 'number' ? o.code : STATUS_REASONS[reason].http,
  };
  if (o.details !== null && typeof o.details === 'object') status.details = o.details as Status['details'];
  return status;
}

function isServiceErrorLike(e: unknown): e is { code: number; details?: string; message?: string; metadata?: grpc.Metadata } {
  return e !== null && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'number';
}

function metadataStatus(metadata: unknown): Status | undefined {
  if (!(metadata instanceof grpc.Metadata)) return undefined;
  const [value] = metadata.get(STATUS_METADATA_KEY);
  if (value === undefined) return undefined;
  return parseStatus(typeof value === 'string' ? value : value.toString('utf8'));
}

/**
 * A failed call as an ApiError: the server's own Status when the trailing metadata carries one,
 * otherwise a Status made from the gRPC code (UNAVAILABLE → ServiceUnavailable "the API server at
 * X is unavailable: …", DEADLINE_EXCEEDED → Timeout, …). `server` names the address in messages.
 * An ApiError passes through unchanged; anything else becomes an InternalError.
 */
export function fromGrpcError(e: unknown, server?: string): ApiError {
  if (e instanceof ApiError) return e;
  if (!isServiceErrorLike(e)) return ApiError.internal(e instanceof Error ? e.message : String(e));
  const status = metadataStatus(e.metadata);
  if (status) return new ApiError(status);
  const details = e.details ?? e.message ?? '';
  const at = server ? `the API server at ${server}` : 'the API server';
  const reason = reasonForGrpcCode(e.code);
  switch (e.code) {
    case grpc.status.UNAVAILABLE:
      return ApiError.of(reason, `${at} is unavailable${details ? `: ${details}` : ''}`);
    case grpc.status.DEADLINE_EXCEEDED:
      return ApiError.of(reason, `${at} did not answer before the deadline${details ? ` (${details})` : ''}`);
    case grpc.status.CANCELLED:
      return ApiError.of(reason, `the request to ${at} was cancelled${details ? `: ${details}` : ''}`);
    default:
      return ApiError.of(reason, details || `${at} failed the request with gRPC code ${grpc.status[e.code] ?? e.code}`);
  }
}

/** Trailers beyond this are refused by HTTP/2 peers (grpc-js' default limit is 8 KiB for all of them). */
const MAX_STATUS_JSON = 6 * 1024;

/**
 * JSON limited to printable ASCII: metadata values that are not `-bin` must be, so every other
 * character travels as a \uXXXX escape (still the same JSON).
 */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The Status as `mk-status` JSON, made to fit in the trailers: a long message is cut (an Invalid
 * one repeats its causes), then field causes are dropped from the end, then the details.
 */
export function encodeStatus(status: Status): string {
  let json = asciiJson(status);
  if (json.length <= MAX_STATUS_JSON) return json;
  const cutAt = 1024;
  const message = status.message.length > cutAt ? `${status.message.slice(0, cutAt)}… (cut)` : status.message;
  const causes: StatusCause[] = [...(status.details?.causes ?? [])];
  const build = (): Status => ({ ...status, message, ...(status.details ? { details: { ...status.details, ...(status.details.causes ? { causes } : {}) } } : {}) });
  json = asciiJson(build());
  while (causes.length > 0 && json.length > MAX_STATUS_JSON) {
    causes.pop();
    json = asciiJson(build());
  }
  if (json.length <= MAX_STATUS_JSON) return json;
  const { details: _dropped, ...bare } = build();
  return asciiJson(bare);
}

/**
 * The server side: any error thrown by a handler as the status a grpc-js callback takes, with the
 * Kubernetes Status in `mk-status`. An ApiError keeps its Status; another MkError keeps its
 * message and the reason of its code (an InvalidArgumentError is a BadRequest); anything else is
 * an InternalError with its message.
 */
export function toGrpcError(e: unknown): GrpcErrorLike {
  let err: ApiError;
  if (e instanceof ApiError) err = e;
  else if (e instanceof MkError) err = ApiError.of(e.code === ErrorCode.Unknown ? 'InternalError' : reasonForGrpcCode(e.code), e.message);
  else err = ApiError.internal(e instanceof Error ? e.message : String(e));
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_METADATA_KEY, encodeStatus(err.status));
  const code = (STATUS_REASONS[err.reason]?.grpc ?? ErrorCode.Unknown) as number as grpc.status;
  return { code, details: err.status.message, metadata };
}
