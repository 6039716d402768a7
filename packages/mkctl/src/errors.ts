/**
 * Errors as kubectl prints them:
 *
 *   Error from server (NotFound): deployments.apps "web" not found      an answer of the API server
 *   error: unable to connect to the server at 127.0.0.1:6443: ...       no API server answered
 *   error: the server doesn't have a resource type "foo"                anything mkctl decided itself
 */
import { ApiError } from '@mk/client';

/** An error mkctl reports itself: printed as `error: <message>`. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const NO_SERVER = /^no API server answered \(([^)]*)\)(?:; last error: ([\s\S]*))?$/;
const UNAVAILABLE = /^the API server at (\S+) is unavailable(?:: ([\s\S]*))?$/;
const DID_NOT_ANSWER = /^the API server at (\S+) did not answer/;
const CONNECTION_LOST = /^the connection to the API server at (\S+) was lost/;

/** True when no API server could be reached at all: nothing further will work either. */
export function isConnectionError(e: unknown): boolean {
  return e instanceof ApiError && (e.reason === 'ServiceUnavailable' || e.reason === 'Timeout') && (NO_SERVER.test(e.message) || UNAVAILABLE.test(e.message));
}

/** The first line of a gRPC detail without its noise: "connect ECONNREFUSED 127.0.0.1:1". */
function connectionDetail(detail: string | undefined): string {
  if (!detail) return 'no answer';
  const unavailable = UNAVAILABLE.exec(detail);
  let d = unavailable ? (unavailable[2] ?? 'unavailable') : detail;
  const last = /Last error: ([^(]*)/.exec(d);
  if (last?.[1]) d = last[1].trim();
  if (/ECONNREFUSED/.test(d)) return 'connection refused';
  if (/Waiting for LB pick|Deadline exceeded/i.test(d)) return 'no answer before the deadline (--request-timeout)';
  return d;
}

/** The text mkctl prints for an error (no trailing newline). */
export function formatError(e: unknown): string {
  if (e instanceof ApiError) {
    const msg = e.message;
    const none = NO_SERVER.exec(msg);
    if (none) {
      const servers = (none[1] ?? '').split(',').map((s) => s.trim()).join(',');
      return `error: unable to connect to the server at ${servers}: ${connectionDetail(none[2])}`;
    }
    const down = UNAVAILABLE.exec(msg);
    if (down) return `error: unable to connect to the server at ${down[1]}: ${connectionDetail(down[2])}`;
    if (DID_NOT_ANSWER.test(msg) || CONNECTION_LOST.test(msg)) return `error: ${msg}`;
    return `Error from server (${e.reason}): ${msg}`;
  }
  if (e instanceof Error) return `error: ${e.message}`;
  return `error: ${String(e)}`;
}

/** The same API error with its message prefixed, e.g. `error when creating "web.yaml": ...`. */
export function withSource(verb: string, source: string | undefined, e: unknown): unknown {
  if (!(e instanceof ApiError) || source === undefined || isConnectionError(e)) return e;
  return new ApiError({ ...e.status, message: `error when ${verb} ${JSON.stringify(source)}: ${e.status.message}` });
}
