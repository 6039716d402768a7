import { ErrorCode } from '@mk/shared';
import { dockerMessage, dockerStatusCode, isNotFound, pullError, runtimeError } from './errors';

/** What dockerode rejects with. */
function dockerodeError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });
}

describe('Docker errors', () => {
  test('status code and Docker own message', () => {
    const e = dockerodeError(404, 'No such container: abc');
    expect(dockerStatusCode(e)).toBe(404);
    expect(isNotFound(e)).toBe(true);
    expect(dockerMessage(e)).toBe('No such container: abc');
    expect(dockerMessage(Object.assign(new Error('(HTTP code 500) server error - boom '), { statusCode: 500 }))).toBe('boom');
    expect(dockerMessage('plain')).toBe('plain');
    expect(dockerStatusCode(new Error('x'))).toBeUndefined();
  });

  test.each([
    [dockerodeError(404, 'No such image: a:1'), ErrorCode.NotFound, 'creating x: No such image: a:1'],
    [dockerodeError(409, 'Conflict. The container name "/mk_a" is already in use'), ErrorCode.AlreadyExists, 'creating x: Conflict.'],
    [dockerodeError(409, 'Container abc is not running'), ErrorCode.FailedPrecondition, 'creating x: Container abc is not running'],
    [dockerodeError(500, 'boom'), ErrorCode.Unknown, 'creating x: boom'],
    [Object.assign(new Error('connect ENOENT /x.sock'), { code: 'ENOENT' }), ErrorCode.Unavailable, 'creating x: cannot reach Docker at /x.sock (ENOENT)'],
  ])('%s → code %d', (e, code, message) => {
    const err = runtimeError('creating x', e, '/x.sock');
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
  });
});

describe('pullError', () => {
  test.each([
    [
      dockerodeError(500, 'Get "https://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9: connect: connection refused'),
      ErrorCode.Unavailable,
      /^pulling image a:1 failed: Get .*connection refused \(the image registry is not reachable from this node; build the image locally/,
    ],
    [dockerodeError(404, 'pull access denied for a, repository does not exist'), ErrorCode.NotFound, /^pulling image a:1 failed: pull access denied for a, repository does not exist$/],
    [new Error('unauthorized: authentication required'), ErrorCode.Unknown, /^pulling image a:1 failed: unauthorized: authentication required$/],
  ])('%s', (e, code, message) => {
    const err = pullError('a:1', e);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });
});
