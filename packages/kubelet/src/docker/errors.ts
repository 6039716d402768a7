/** Docker's failures → mk's typed errors with a message naming what failed (pure). */
import { AlreadyExistsError, ErrorCode, FailedPreconditionError, MkError, NotFoundError, UnavailableError } from '@mk/shared';

/** What dockerode's errors carry: the HTTP status and Docker's JSON body, or a socket error code. */
interface DockerErrorLike {
  statusCode?: unknown;
  json?: unknown;
  message?: unknown;
  code?: unknown;
}

function asLike(e: unknown): DockerErrorLike {
  return typeof e === 'object' && e !== null ? (e as DockerErrorLike) : {};
}

export function dockerStatusCode(e: unknown): number | undefined {
  const code = asLike(e).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Docker's own words: the body's `message`, else the error's message without dockerode's prefix. */
export function dockerMessage(e: unknown): string {
  const like = asLike(e);
  const json = like.json;
  if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
    return ((json as { message: string }).message).trim();
  }
  const message = typeof like.message === 'string' ? like.message : String(e);
  // dockerode: "(HTTP code 404) no such container - No such container: abc "
  return message.replace(/^\(HTTP code \d+\)[^-]*- /, '').trim();
}

export function isNotFound(e: unknown): boolean {
  return dockerStatusCode(e) === 404;
}

const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE']);

/** `action` failed because of `e`: a typed error whose message says what and why. */
export function runtimeError(action: string, e: unknown, dockerSocket: string): MkError {
  if (e instanceof MkError) return e;
  const status = dockerStatusCode(e);
  const message = `${action}: ${dockerMessage(e)}`;
  const code = asLike(e).code;
  if (status === undefined && typeof code === 'string' && UNREACHABLE.has(code)) {
    return new UnavailableError(`${action}: cannot reach Docker at ${dockerSocket} (${code}); is dockerd running? (bash scripts/setup starts it)`);
  }
  switch (status) {
    case 404:
      return new NotFoundError(message);
    case 409:
      return /already in use|already exists/i.test(message) ? new AlreadyExistsError(message) : new FailedPreconditionError(message);
    case 304:
      return new FailedPreconditionError(message);
    default:
      return new MkError(ErrorCode.Unknown, message);
  }
}

/** What a failed pull usually means on a machine without a reachable registry. */
const UNREACHABLE_REGISTRY = /connection refused|no such host|dial tcp|timeout|network is unreachable|server misbehaving/i;

/** Pulling `ref` failed: the registry's own words, and a hint when they say it is unreachable. */
export function pullError(ref: string, e: unknown): MkError {
  const message = dockerMessage(e);
  const unreachable = UNREACHABLE_REGISTRY.test(message);
  const hint = unreachable ? ' (the image registry is not reachable from this node; build the image locally, e.g. scripts/images)' : '';
  const code = dockerStatusCode(e) === 404 ? ErrorCode.NotFound : unreachable ? ErrorCode.Unavailable : ErrorCode.Unknown;
  return new MkError(code, `pulling image ${ref} failed: ${message}${hint}`);
}
