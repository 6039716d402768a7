import { ValidationError } from '@mk/api';
import { ApiError, StatusCause } from '@mk/client';
import { ErrorCode, MkError } from '@mk/shared';

const CAUSE_REASONS: Record<string, string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Duplicate: 'FieldValueDuplicate',
  NotFound: 'FieldValueNotFound',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Internal: 'InternalError',
  UnknownField: 'FieldValueInvalid',
  TypeMismatch: 'FieldValueTypeInvalid',
};

/**
 * Any error of a request as the Status a client sees: validation errors keep their field causes
 * (Invalid for bad values, BadRequest for undecodable input), store trouble is Unavailable or a
 * Timeout, and anything unexpected is an InternalError with its message.
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof ValidationError) {
    const causes: StatusCause[] = e.errors.map((f) => ({ field: f.path, message: f.message, reason: CAUSE_REASONS[f.type] ?? 'FieldValueInvalid' }));
    const decoding = e.errors.some((f) => f.type === 'UnknownField' || f.type === 'TypeMismatch') || !e.subject;
    if (decoding) return ApiError.of('BadRequest', e.message, { causes });
    const kind = e.subject!.group ? `${e.subject!.kind}.${e.subject!.group}` : e.subject!.kind;
    return ApiError.of('Invalid', e.message, { kind, ...(e.subject!.name ? { name: e.subject!.name } : {}), causes });
  }
  if (e instanceof MkError) {
    switch (e.code) {
      case ErrorCode.ResourceExhausted:
        return ApiError.of('RequestEntityTooLarge', e.message);
      case ErrorCode.InvalidArgument:
        return ApiError.badRequest(e.message);
      case ErrorCode.NotFound:
        return ApiError.of('NotFound', e.message);
      case ErrorCode.AlreadyExists:
        return ApiError.of('AlreadyExists', e.message);
      case ErrorCode.Unavailable:
      case ErrorCode.FailedPrecondition:
        return ApiError.unavailable(`the store is unavailable: ${e.message}`);
      case ErrorCode.DeadlineExceeded:
        return ApiError.timeout(`the store did not answer in time: ${e.message}`);
      case ErrorCode.OutOfRange:
        return ApiError.gone(e.message);
      default:
        return ApiError.internal(e.message);
    }
  }
  return ApiError.internal((e as Error)?.message ?? String(e));
}
