/**
 * The three probe executors (Kubernetes' pkg/probe/{http,tcp,exec}): each runs one probe once and
 * says success or failure with the text Kubernetes would put in its `Unhealthy` event. The network
 * goes through an injected ProbeTransport (node-transport.ts is the real one) and the deadline is
 * kept with the injected Clock, so the manager's tests run on a FakeClock.
 */
import type { Container, HTTPHeader, IntOrString } from '@mk/api';
import type { Clock } from '@mk/shared';
import type { ContainerRuntime } from '../runtime';

export type ProbeResult = 'success' | 'failure';

export interface ProbeOutcome {
  result: ProbeResult;
  /** For a failure, what went wrong (the event text after "<Kind> probe failed: "). */
  output: string;
}

/** Sent by every HTTP probe unless the probe's own headers set another. */
export const PROBE_USER_AGENT = 'mk-probe/1.0';

export interface HttpGetRequest {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  /** Starts with "/". */
  path: string;
  /** In order; a name may repeat. Names as given (HTTP header names are case-insensitive). */
  headers: ReadonlyArray<readonly [string, string]>;
  timeoutMs: number;
  /** Aborted when the caller gave up (deadline passed): drop the connection. */
  signal: AbortSignal;
}

export interface TcpConnectRequest {
  host: string;
  port: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Rejected with by a transport whose own timer ran out first; treated like the caller's deadline. */
export class ProbeTimeoutError extends Error {
  constructor(message = 'probe timed out') {
    super(message);
    this.name = 'ProbeTimeoutError';
  }
}

/**
 * The network as probes use it. Errors are rejections; a Node-style `code` (ECONNREFUSED, ...)
 * on the error gives the Kubernetes-like message.
 */
export interface ProbeTransport {
  /** One GET, redirects not followed, TLS not verified; resolves with the status once headers arrived. */
  httpGet(request: HttpGetRequest): Promise<{ statusCode: number }>;
  /** Opens a TCP connection and closes it again; resolves once connected. */
  tcpConnect(request: TcpConnectRequest): Promise<void>;
}

type Settled<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown } | { kind: 'timeout' };

/** Runs `start` against a clock deadline; on the deadline the signal aborts and the answer is 'timeout'. */
function withDeadline<T>(clock: Clock, timeoutMs: number, start: (signal: AbortSignal) => Promise<T>): Promise<Settled<T>> {
  const controller = new AbortController();
  return new Promise<Settled<T>>((resolve) => {
    let settled = false;
    const settle = (s: Settled<T>): void => {
      if (settled) return;
      settled = true;
      cancel();
      resolve(s);
    };
    const cancel = clock.setTimer(timeoutMs, () => {
      settle({ kind: 'timeout' });
      controller.abort();
    });
    new Promise<T>((res) => res(start(controller.signal))).then(
      (value) => settle({ kind: 'value', value }),
      (error: unknown) => settle(error instanceof ProbeTimeoutError ? { kind: 'timeout' } : { kind: 'error', error }),
    );
  });
}

/** `host:port`, IPv6 in brackets, as Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A failed connection in the words of Go's net package, which is what Kubernetes users know. */
export function describeNetError(error: unknown, host: string, port: number): string {
  const addr = joinHostPort(host, port);
  switch (errorCode(error)) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${host}: no such host`;
    default:
      return `dial tcp ${addr}: ${errorMessage(error)}`;
  }
}

export interface HttpProbeTarget {
  scheme?: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path?: string;
  httpHeaders?: readonly HTTPHeader[];
}

export function probeUrl(target: HttpProbeTarget): string {
  const scheme = (target.scheme ?? 'HTTP').toLowerCase();
  return `${scheme}://${joinHostPort(target.host, target.port)}${normalizePath(target.path)}`;
}

function normalizePath(path: string | undefined): string {
  if (path === undefined || path === '') return '/';
  return path.startsWith('/') ? path : `/${path}`;
}

/** Our defaults first, so the probe's own headers (User-Agent, Accept, Host) win. */
function requestHeaders(own: readonly HTTPHeader[] | undefined): Array<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [];
  const ownNames = new Set((own ?? []).map((h) => h.name.toLowerCase()));
  if (!ownNames.has('user-agent')) headers.push(['User-Agent', PROBE_USER_AGENT]);
  if (!ownNames.has('accept')) headers.push(['Accept', '*/*']);
  for (const h of own ?? []) headers.push([h.name, h.value]);
  return headers;
}

/** 200..399 is success (a 3xx is not followed); anything else, a connection error or the deadline, failure. */
export async function runHttpProbe(
  deps: { transport: ProbeTransport; clock: Clock },
  target: HttpProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const url = probeUrl(target);
  const outcome = await withDeadline(deps.clock, timeoutMs, (signal) =>
    deps.transport.httpGet({
      scheme: target.scheme ?? 'HTTP',
      host: target.host,
      port: target.port,
      path: normalizePath(target.path),
      headers: requestHeaders(target.httpHeaders),
      timeoutMs,
      signal,
    }),
  );
  switch (outcome.kind) {
    case 'timeout':
      return {
        result: 'failure',
        output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      };
    case 'error':
      return { result: 'failure', output: `Get "${url}": ${describeNetError(outcome.error, target.host, target.port)}` };
    case 'value': {
      const code = outcome.value.statusCode;
      if (code >= 200 && code < 300) return { result: 'success', output: '' };
      // Kubernetes calls this a warning and counts it as success.
      if (code >= 300 && code < 400) return { result: 'success', output: `Probe terminated redirects, status ${code}` };
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${code}` };
    }
  }
}

/** Success when a TCP connection opens before the deadline. */
export async function runTcpProbe(
  deps: { transport: ProbeTransport; clock: Clock },
  target: { host: string; port: number },
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const outcome = await withDeadline(deps.clock, timeoutMs, (signal) =>
    deps.transport.tcpConnect({ host: target.host, port: target.port, timeoutMs, signal }),
  );
  switch (outcome.kind) {
    case 'timeout':
      return { result: 'failure', output: `dial tcp ${joinHostPort(target.host, target.port)}: i/o timeout` };
    case 'error':
      return { result: 'failure', output: describeNetError(outcome.error, target.host, target.port) };
    case 'value':
      return { result: 'success', output: '' };
  }
}

/** Kubernetes keeps at most this much of an exec probe's output. */
export const MAX_EXEC_OUTPUT = 10 * 1024;

/** Exit code 0 is success; the output (stdout then stderr) is the failure's text; the deadline fails it. */
export async function runExecProbe(
  deps: { runtime: Pick<ContainerRuntime, 'exec'>; clock: Clock },
  containerId: string,
  command: readonly string[],
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const started = deps.clock.now();
  const outcome = await withDeadline(deps.clock, timeoutMs, () =>
    deps.runtime.exec(containerId, { command: [...command], timeoutMs }),
  );
  const timedOut = `command ${JSON.stringify(command.join(' '))} timed out`;
  switch (outcome.kind) {
    case 'timeout':
      return { result: 'failure', output: timedOut };
    case 'error':
      // The runtime gives up on its own timer at the same deadline; that is our timeout too.
      if (deps.clock.now() - started >= timeoutMs) return { result: 'failure', output: timedOut };
      return { result: 'failure', output: `exec failed: ${errorMessage(outcome.error)}` };
    case 'value': {
      const { exitCode, stdout, stderr } = outcome.value;
      return { result: exitCode === 0 ? 'success' : 'failure', output: (stdout + stderr).slice(0, MAX_EXEC_OUTPUT) };
    }
  }
}

/**
 * A probe's port as a number: a number as is, a name looked up in the container's ports (a
 * numeric string is taken as a number, as Kubernetes' last resort). An error names what is wrong.
 */
export function resolveProbePort(
  container: Pick<Container, 'name' | 'ports'>,
  port: IntOrString,
): { port: number } | { error: string } {
  let value: number;
  if (typeof port === 'number') value = port;
  else {
    const named = container.ports?.find((p) => p.name === port);
    if (named !== undefined) value = named.containerPort;
    else if (/^\d+$/.test(port)) value = Number(port);
    else return { error: `port "${port}" is not a named port of container "${container.name}"` };
  }
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    return { error: `invalid port number ${String(port)} for container "${container.name}": must be 1..65535` };
  }
  return { port: value };
}
