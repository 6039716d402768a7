/**
 * `mkctl logs POD [CONTAINER] [-c C] [-f] [-p] [--tail N] [--timestamps] [--since D]`: a
 * container's log through the API server (mkapi.Pods.Logs), as kubectl prints it. With -f it
 * streams until the container exits or Ctrl-C.
 */
import { findResource, formatLabelSelector, type LabelSelector, type Pod } from '@mk/api';
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

/** Resources whose pods `logs`/`exec TYPE/NAME` pick from (any name kubectl takes for them). */
const ATTACHABLE = new Set(['deployments', 'replicasets', 'jobs', 'statefulsets', 'daemonsets', 'services']);

/** `POD`, `pod/POD`: the pod's name; `TYPE/NAME` of a workload or service: undefined type means a pod. */
export function splitPodArgument(arg: string): { resource?: string; name: string } {
  const slash = arg.indexOf('/');
  if (slash < 0) return { name: arg };
  const type = arg.slice(0, slash).toLowerCase();
  const name = arg.slice(slash + 1);
  if (!name) throw new CliError(`${JSON.stringify(arg)} names no object`);
  const resource = findResource(type)?.resource;
  if (resource === 'pods') return { name };
  if (resource === undefined || !ATTACHABLE.has(resource)) throw new CliError(`cannot attach to a ${type}: only pods, deployments, replicasets, jobs, statefulsets, daemonsets and services are supported`);
  return { resource, name };
}

/** kubectl's choice among a workload's pods (podutils.ByLogging): scheduled, running, ready, fewer restarts, older. */
function loggingOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod): number[] => [
    p.spec.nodeName ? 0 : 1,
    p.status?.phase === 'Running' ? 0 : p.status?.phase === 'Pending' ? 1 : 2,
    p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 0 : 1,
    (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    Date.parse(p.metadata.creationTimestamp ?? '') || 0,
  ];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return 0;
}

/**
 * The pod an argument of `logs`/`exec` names: a pod, or one pod of a workload or service (picked
 * as kubectl does; "Found N pods, using pod/NAME" on stderr when there were several).
 */
export async function attachablePod(ctx: CommandContext, arg: string): Promise<string> {
  const { resource, name } = splitPodArgument(arg);
  if (resource === undefined) return name;
  const obj = await ctx.client.get(resource, ctx.namespace, name);
  const spec = (obj as { spec?: { selector?: unknown } }).spec;
  const selector =
    resource === 'services'
      ? Object.entries((spec?.selector ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',')
      : formatLabelSelector(spec?.selector as LabelSelector | undefined);
  if (selector === '') throw new CliError(`${resource} "${name}" selects no pods (it has no selector)`);
  const pods = (await ctx.client.listAll('pods', { namespace: ctx.namespace, labelSelector: selector })).items as Pod[];
  const live = pods.filter((p) => p.metadata.deletionTimestamp === undefined);
  if (live.length === 0) throw new CliError(`no pods found for ${resource} "${name}" (selector ${selector})`);
  const chosen = [...live].sort(loggingOrder)[0]!;
  if (live.length > 1) ctx.err.write(`Found ${live.length} pods, using pod/${chosen.metadata.name}\n`);
  return chosen.metadata.name ?? '';
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
    const pod = await attachablePod(ctx, args[0]!);
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
