/**
 * `mkctl logs POD [CONTAINER] [-c C] [-f] [-p] [--tail N] [--timestamps] [--since D]`: a
 * container's log through the API server (mkapi.Pods.Logs), as kubectl prints it. With -f it
 * streams until the container exits or Ctrl-C.
 */
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { guarded, OK } from './common';
import { parseDuration } from './delete';

/** The exit code of a command ended by Ctrl-C (128 + SIGINT), as a shell reports it. */
export const INTERRUPTED = 130;

export interface LogsOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  /** "-1" (default) = every line. */
  tail?: string;
  timestamps?: boolean;
  since?: string;
}

const USAGE = "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command";

/** The pod a `POD`, `pod/POD` or `pods/POD` argument names. */
export function podArgument(arg: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const type = arg.slice(0, slash);
  if (!['pod', 'pods', 'po'].includes(type)) throw new CliError(`cannot attach to a ${type}: only pods are supported (pod/NAME)`);
  const name = arg.slice(slash + 1);
  if (!name) throw new CliError(`${JSON.stringify(arg)} names no pod`);
  return name;
}

/** --tail: -1 (all) or a count. */
export function parseTail(v: string | undefined): number | undefined {
  if (v === undefined || v === '-1') return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`invalid argument "${v}" for "--tail" flag: must be -1 or a non-negative integer`);
  return Number(v);
}

export async function logs(ctx: CommandContext, args: readonly string[], opts: LogsOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    if (args.length === 0) throw new CliError(USAGE);
    if (args.length > 2) throw new CliError(USAGE);
    const pod = podArgument(args[0]!);
    if (args[1] !== undefined && opts.container !== undefined && opts.container !== args[1]) throw new CliError('only one of -c or an inline [CONTAINER] arg is allowed');
    const container = opts.container ?? args[1] ?? '';
    const tailLines = parseTail(opts.tail);
    const sinceSeconds = opts.since === undefined ? 0 : Math.ceil(parseDuration(opts.since, '--since') / 1000);
    // Ctrl-C ends a follow at once (the API server and the kubelet stop too).
    const abort = new AbortController();
    let interrupted = false;
    void ctx.interrupted.then(() => {
      interrupted = true;
      abort.abort();
    });
    const stream = ctx.client.podLogs(ctx.namespace, pod, {
      signal: abort.signal,
      container,
      follow: opts.follow === true,
      previous: opts.previous === true,
      ...(tailLines !== undefined ? { tailLines } : {}),
      ...(sinceSeconds > 0 ? { sinceSeconds } : {}),
      timestamps: opts.timestamps === true,
    });
    for await (const chunk of stream) {
      if (interrupted) break;
      ctx.terminal.writeOut(chunk);
    }
    return interrupted ? INTERRUPTED : OK;
  });
}
