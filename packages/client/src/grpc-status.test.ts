import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, UnavailableError } from '@mk/shared';
import { encodeStatus, fromGrpcError, parseStatus, reasonForGrpcCode, statusFromObject, toGrpcError } from './grpc-status';
import { ApiError, STATUS_METADATA_KEY, type StatusReason } from './status';

/** What a client receives for a server-side error: the grpc-js ServiceError shape. */
function asReceived(e: unknown): grpc.ServiceError {
  const g = toGrpcError(e);
  return Object.assign(new Error(`${g.code} ${grpc.status[g.code]}: ${g.details}`), g);
}

describe('toGrpcError / fromGrpcError round trip', () => {
  const cases: [string, ApiError, grpc.status][] = [
    ['NotFound', ApiError.notFound('pods', 'web'), grpc.status.NOT_FOUND],
    ['AlreadyExists', ApiError.alreadyExists('pods', 'web'), grpc.status.ALREADY_EXISTS],
    ['Conflict', ApiError.conflict('deployments', 'web'), grpc.status.ABORTED],
    [
      'Invalid with causes',
      ApiError.invalid('Deployment.apps', 'web', [
        { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' },
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers[0].image' },
      ]),
      grpc.status.INVALID_ARGUMENT,
    ],
    ['Gone', ApiError.gone('too old resource version: 5 (80)'), grpc.status.OUT_OF_RANGE],
    ['BadRequest', ApiError.badRequest('bad selector "a=="'), grpc.status.INVALID_ARGUMENT],
    ['ServiceUnavailable', ApiError.unavailable('the store has no leader'), grpc.status.UNAVAILABLE],
    ['Timeout', ApiError.timeout('the store did not answer'), grpc.status.DEADLINE_EXCEEDED],
  ];
  test.each(cases)('%s keeps its Status and gRPC code', (_name, err, code) => {
    const g = toGrpcError(err);
    expect(g.code).toBe(code);
    expect(g.details).toBe(err.status.message);
    const back = fromGrpcError(asReceived(err), '127.0.0.1:1');
    expect(back).toBeInstanceOf(ApiError);
    expect(back.status).toEqual(err.status);
    expect(back.reason).toBe(err.reason);
  });

  test('non-ASCII text travels as \\u escapes in the metadata and comes back unchanged', () => {
    const err = ApiError.invalid('Pod', 'wëb', [{ message: 'Invalid value: "日本": must be ASCII — sorry', field: 'metadata.labels[x]' }]);
    const value = toGrpcError(err).metadata.get(STATUS_METADATA_KEY)[0] as string;
    expect(value).toMatch(/^[\x20-\x7e]*$/);
    expect(fromGrpcError(asReceived(err)).status).toEqual(err.status);
  });

  test('a huge Status is cut to fit the trailers: causes dropped first, reason and message kept', () => {
    const causes = Array.from({ length: 500 }, (_, i) => ({ message: `Invalid value: ${'x'.repeat(40)}`, field: `spec.containers[${i}].image` }));
    const err = ApiError.invalid('Pod', 'big', causes);
    const json = encodeStatus(err.status);
    expect(json.length).toBeLessThanOrEqual(6 * 1024);
    const parsed = parseStatus(json)!;
    expect(parsed.reason).toBe('Invalid');
    expect(parsed.details?.causes?.length).toBeGreaterThan(0);
    expect(parsed.details?.causes?.length).toBeLessThan(500);
    expect(parsed.details?.causes?.[0]).toEqual(causes[0]);
    const longMessage = ApiError.badRequest('y'.repeat(20_000));
    const cut = parseStatus(encodeStatus(longMessage.status))!;
    expect(cut.reason).toBe('BadRequest');
    expect(cut.message.length).toBeLessThan(3000);
  });

  test('other errors: MkError keeps its message and the reason of its code; anything else is InternalError', () => {
    expect(fromGrpcError(asReceived(new InvalidArgumentError('--replicas: must be a number'))).status).toMatchObject({
      reason: 'BadRequest',
      message: '--replicas: must be a number',
      code: 400,
    });
    expect(toGrpcError(new UnavailableError('no leader')).code).toBe(grpc.status.UNAVAILABLE);
    const internal = toGrpcError(new TypeError("Cannot read properties of undefined (reading 'spec')"));
    expect(internal.code).toBe(grpc.status.INTERNAL);
    expect(fromGrpcError(asReceived(new TypeError('boom'))).status).toMatchObject({ reason: 'InternalError', message: 'boom', code: 500 });
    expect(fromGrpcError(asReceived('a thrown string')).status.message).toBe('a thrown string');
  });
});

describe('fromGrpcError without mk-status', () => {
  const bare = (code: grpc.status, details: string): grpc.ServiceError =>
    Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });

  const table: [grpc.status, StatusReason][] = [
    [grpc.status.UNAVAILABLE, 'ServiceUnavailable'],
    [grpc.status.DEADLINE_EXCEEDED, 'Timeout'],
    [grpc.status.NOT_FOUND, 'NotFound'],
    [grpc.status.ALREADY_EXISTS, 'AlreadyExists'],
    [grpc.status.ABORTED, 'Conflict'],
    [grpc.status.FAILED_PRECONDITION, 'Conflict'],
    [grpc.status.INVALID_ARGUMENT, 'BadRequest'],
    [grpc.status.OUT_OF_RANGE, 'Gone'],
    [grpc.status.UNIMPLEMENTED, 'MethodNotAllowed'],
    [grpc.status.PERMISSION_DENIED, 'Forbidden'],
    [grpc.status.UNAUTHENTICATED, 'Unauthorized'],
    [grpc.status.RESOURCE_EXHAUSTED, 'TooManyRequests'],
    [grpc.status.INTERNAL, 'InternalError'],
    [grpc.status.DATA_LOSS, 'InternalError'],
    [grpc.status.UNKNOWN, 'Unknown'],
    [grpc.status.CANCELLED, 'Unknown'],
  ];
  test.each(table)('gRPC code %d → %s', (code, reason) => {
    expect(reasonForGrpcCode(code)).toBe(reason);
    expect(fromGrpcError(bare(code, 'x')).reason).toBe(reason);
  });

  test('UNAVAILABLE and DEADLINE_EXCEEDED name the server', () => {
    const e = fromGrpcError(bare(grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED'), '10.0.0.1:6443');
    expect(e.message).toBe('the API server at 10.0.0.1:6443 is unavailable: No connection established. Last error: connect ECONNREFUSED');
    expect(e.status.code).toBe(503);
    const t = fromGrpcError(bare(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded after 10.001s'), '10.0.0.1:6443');
    expect(t.reason).toBe('Timeout');
    expect(t.message).toContain('the API server at 10.0.0.1:6443 did not answer before the deadline');
  });

  test('a damaged or foreign mk-status falls back to the gRPC code', () => {
    for (const value of ['{not json', '{"reason":"NoSuchReason","message":"m"}', '"just a string"', '{"reason":"NotFound"}']) {
      const md = new grpc.Metadata();
      md.set(STATUS_METADATA_KEY, value);
      const e = fromGrpcError(Object.assign(new Error('x'), { code: grpc.status.NOT_FOUND, details: 'pods "a" not found', metadata: md }));
      expect(e.reason).toBe('NotFound');
      expect(e.message).toBe('pods "a" not found');
    }
  });

  test('an ApiError passes through; a non-gRPC value becomes InternalError', () => {
    const e = ApiError.notFound('pods', 'a');
    expect(fromGrpcError(e)).toBe(e);
    expect(fromGrpcError(new Error('socket hang up')).status).toMatchObject({ reason: 'InternalError', message: 'socket hang up' });
  });

  test('statusFromObject: a 410 without a known reason is Gone; non-Status values are refused', () => {
    expect(statusFromObject({ kind: 'Status', code: 410, message: 'too old' })?.reason).toBe('Gone');
    expect(statusFromObject({ kind: 'Status', reason: 'Expired', code: 410, message: 'continue token expired' })?.reason).toBe('Expired');
    expect(statusFromObject({ message: 'x', reason: 'Whatever', code: 500 })).toBeUndefined();
    expect(statusFromObject(null)).toBeUndefined();
    expect(statusFromObject([1])).toBeUndefined();
  });
});
