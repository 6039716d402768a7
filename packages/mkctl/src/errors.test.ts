import { ApiError } from '@mk/client';
import { NotFoundError } from '@mk/shared';
import { CliError, formatError, isConnectionError, withSource } from './errors';

describe('errors as kubectl prints them', () => {
  test.each([
    [ApiError.notFound('deployments.apps', 'web'), 'Error from server (NotFound): deployments.apps "web" not found'],
    [ApiError.alreadyExists('pods', 'web'), 'Error from server (AlreadyExists): pods "web" already exists'],
    [ApiError.conflict('pods', 'web'), 'Error from server (Conflict): Operation cannot be fulfilled on pods "web": the object has been modified; please apply your changes to the latest version and try again'],
    [
      ApiError.invalid('Deployment.apps', 'web', [{ field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }]),
      'Error from server (Invalid): Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
    [ApiError.unavailable('the store is unavailable: no leader'), 'Error from server (ServiceUnavailable): the store is unavailable: no leader'],
    [
      ApiError.unavailable('no API server answered (127.0.0.1:6443); last error: the API server at 127.0.0.1:6443 is unavailable: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:6443 (2024-05-01T12:00:00.000Z)'),
      'error: unable to connect to the server at 127.0.0.1:6443: connection refused',
    ],
    [
      ApiError.unavailable('no API server answered (10.0.0.9:6443); last error: the API server at 10.0.0.9:6443 is unavailable: Deadline exceeded after 3.001s'),
      'error: unable to connect to the server at 10.0.0.9:6443: no answer before the deadline (--request-timeout)',
    ],
    [ApiError.timeout('the API server at 127.0.0.1:6443 did not answer list pods within 10000 ms'), 'error: the API server at 127.0.0.1:6443 did not answer list pods within 10000 ms'],
    [new CliError('the server doesn\'t have a resource type "foo"'), 'error: the server doesn\'t have a resource type "foo"'],
    [new NotFoundError('something local'), 'error: something local'],
  ])('%s', (e, text) => {
    expect(formatError(e)).toBe(text);
  });

  test('connection errors are told apart from answers', () => {
    expect(isConnectionError(ApiError.unavailable('no API server answered (a:1)'))).toBe(true);
    expect(isConnectionError(ApiError.unavailable('the store is unavailable'))).toBe(false);
    expect(isConnectionError(ApiError.notFound('pods', 'x'))).toBe(false);
  });

  test('withSource names the file, keeping the reason', () => {
    const e = withSource('creating', 'web.yaml', ApiError.alreadyExists('pods', 'web'));
    expect(formatError(e)).toBe('Error from server (AlreadyExists): error when creating "web.yaml": pods "web" already exists');
    const conn = ApiError.unavailable('no API server answered (a:1)');
    expect(withSource('creating', 'web.yaml', conn)).toBe(conn);
  });
});
