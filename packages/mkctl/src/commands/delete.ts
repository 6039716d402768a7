/**
 * `mkctl delete TYPE NAME… | TYPE/NAME… | TYPE -l SELECTOR | TYPE --all | -f FILE` with
 * --cascade, --grace-period, --now, --force, --wait (the default: wait until the objects are gone)
 * and --ignore-not-found. Prints `pod "web" deleted`.
 */
import type { KubeObject, ResourceInfo } from '@mk/api';
import { ApiError, type DeleteOptions, type PropagationPolicy } from '@mk/client';
import { parseDuration as parseGoDuration } from '@mk/shared';
import type { CommandContext } from '../context';
import { CliError, isConnectionError } from '../errors';
import { manifestErrorText, readManifests } from '../manifests';
import { infoOf, kindString, objectName, parseResourceArgs } from '../resources';
import { humanDuration } from '../time';
import { finish, guarded, namespaceFor } from './common';
import { noResourcesMessage } from './get';

export interface DeleteCommandOptions {
  filename?: string[];
  recursive?: boolean;
  selector?: string;
  fieldSelector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  cascade?: string;
  gracePeriod?: string;
  now?: boolean;
  force?: boolean;
  wait?: boolean;
  timeout?: string;
  ignoreNotFound?: boolean;
  output?: string;
}

const NO_ARGS = `You must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'`;

function parseCascade(v: string | undefined): PropagationPolicy | undefined {
  switch (v) {
    case undefined:
    case 'background':
    case 'true':
      return v === undefined ? undefined : 'Background';
    case 'foreground':
      return 'Foreground';
    case 'orphan':
    case 'false':
      return 'Orphan';
    default:
      throw new CliError(`invalid cascade value (${v}). Must be "background", "foreground", or "orphan"`);
  }
}

/** kubectl's duration flags: `30s`, `2m`, `1h`, `500ms`, or plain seconds → milliseconds. */
export function parseDuration(v: string, flag: string): number {
  try {
    return parseGoDuration(v, { flag, bare: 's' });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

interface Target {
  info: ResourceInfo;
  namespace: string;
  name: string;
}

function sleep(ctx: CommandContext, ms: number): Promise<void> {
  return new Promise((resolve) => ctx.clock.setTimer(ms, resolve));
}

export async function deleteCommand(ctx: CommandContext, args: readonly string[], opts: DeleteCommandOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    const propagationPolicy = parseCascade(opts.cascade);
    let gracePeriod = opts.gracePeriod === undefined ? -1 : Number(opts.gracePeriod);
    if (!Number.isInteger(gracePeriod)) throw new CliError(`invalid argument "${opts.gracePeriod}" for "--grace-period" flag: strconv.ParseInt: parsing "${opts.gracePeriod}": invalid syntax`);
    if (opts.now) {
      if (gracePeriod !== -1) throw new CliError('--now and --grace-period cannot be specified together');
      gracePeriod = 1;
    }
    if (opts.force && gracePeriod <= 0) {
      ctx.err.write('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
      gracePeriod = 0;
    } else if (gracePeriod === 0) {
      // kubectl: --grace-period=0 without --force means "as soon as possible", i.e. 1 second.
      gracePeriod = 1;
    }
    const timeoutMs = opts.timeout === undefined ? 0 : parseDuration(opts.timeout, '--timeout');
    const deleteOpts: DeleteOptions = { ...(propagationPolicy ? { propagationPolicy } : {}), ...(gracePeriod >= 0 ? { gracePeriodSeconds: gracePeriod } : {}) };

    const errors: unknown[] = [];
    const targets: Target[] = [];
    const all = opts.allNamespaces === true;

    if (opts.filename?.length) {
      if (args.length > 0) throw new CliError('resource(s) were provided, but also a filename (-f): use one or the other');
      for (const entry of await readManifests(ctx, opts.filename, opts.recursive === true)) {
        if (!entry.ok) {
          errors.push(new CliError(manifestErrorText(entry)));
          continue;
        }
        const info = infoOf(entry.object);
        targets.push({ info, namespace: namespaceFor(info, entry.object.metadata.namespace || ctx.namespace), name: entry.object.metadata.name ?? '' });
      }
    } else {
      if (args.length === 0) throw new CliError(NO_ARGS);
      const { requests } = parseResourceArgs(args);
      for (const { info, names } of requests) {
        const ns = all ? '' : namespaceFor(info, ctx.namespace);
        if (names.length > 0) {
          if (opts.selector || opts.all) throw new CliError('name cannot be provided when a selector is specified');
          for (const name of names) targets.push({ info, namespace: ns, name });
          continue;
        }
        if (!opts.selector && !opts.all && !opts.fieldSelector) throw new CliError('resource(s) were provided, but no name was specified');
        const list = await ctx.client.listAll(info.resource, {
          namespace: ns,
          ...(opts.selector ? { labelSelector: opts.selector } : {}),
          ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
        });
        for (const o of list.items) targets.push({ info, namespace: namespaceFor(info, o.metadata.namespace ?? ''), name: o.metadata.name ?? '' });
      }
      if (targets.length === 0) {
        ctx.err.write(noResourcesMessage(ctx, all, requests.map((r) => r.info)));
      }
    }

    const deleted: { target: Target; uid?: string }[] = [];
    for (const t of targets) {
      let result: KubeObject;
      try {
        result = await ctx.client.delete(t.info.resource, t.namespace, t.name, deleteOpts);
      } catch (e) {
        if (isConnectionError(e)) throw e;
        if (opts.ignoreNotFound && e instanceof ApiError && e.reason === 'NotFound') continue;
        errors.push(e);
        continue;
      }
      ctx.out.write(opts.output === 'name' ? `${objectName(t.info, t.name)}\n` : `${kindString(t.info)} ${JSON.stringify(t.name)} deleted\n`);
      deleted.push({ target: t, ...(result.metadata.uid ? { uid: result.metadata.uid } : {}) });
    }

    if (opts.wait !== false && deleted.length > 0) {
      const started = ctx.clock.now();
      const pending = [...deleted];
      let interrupted = false;
      void ctx.interrupted.then(() => (interrupted = true));
      for (;;) {
        for (let i = pending.length - 1; i >= 0; i--) {
          const { target, uid } = pending[i]!;
          try {
            const o = await ctx.client.get(target.info.resource, target.namespace, target.name);
            if (uid && o.metadata.uid !== uid) pending.splice(i, 1); // gone, and a new one took its name
          } catch (e) {
            if (e instanceof ApiError && e.reason === 'NotFound') pending.splice(i, 1);
            else if (isConnectionError(e)) throw e;
          }
        }
        if (pending.length === 0 || interrupted) break;
        if (timeoutMs > 0 && ctx.clock.now() - started >= timeoutMs) {
          for (const { target } of pending) errors.push(new CliError(`timed out waiting for the condition on ${target.info.resource}/${target.name} (after ${humanDuration(timeoutMs)})`));
          break;
        }
        await sleep(ctx, 1000);
      }
    }

    return finish(ctx, errors);
  });
}
