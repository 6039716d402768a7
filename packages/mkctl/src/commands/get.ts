/**
 * `mkctl get TYPE[,TYPE…] [NAME…] | TYPE/NAME…` with kubectl's tables and output formats, and
 * `--watch` (rows printed as events arrive).
 */
import type { KubeObject, ResourceInfo } from '@mk/api';
import { ApiError } from '@mk/client';
import type { CommandContext } from '../context';
import { CliError, isConnectionError } from '../errors';
import { JsonPath } from '../printers/jsonpath';
import { type OutputFormat, parseOutput, printObjects, toJson, toYaml } from '../printers/output';
import { ResourceTable } from '../printers/table';
import { infoOf, objectName, parseResourceArgs, type ResourceRequest } from '../resources';
import { TabWriter } from '../tabwriter';
import { FAILED, finish, guarded, namespaceFor, OK, printError, withType } from './common';

export interface GetOptions {
  output?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
  watchOnly?: boolean;
  outputWatchEvents?: boolean;
  showLabels?: boolean;
  showKind?: boolean;
  noHeaders?: boolean;
  labelColumns?: string[];
  ignoreNotFound?: boolean;
  sortBy?: string;
}

const USAGE_HINT =
  'You must specify the type of resource to get. Use "mkctl api-resources" for a complete list of supported resources.\n\n';

/** The "nothing to show" line kubectl prints on stderr. */
export function noResourcesMessage(ctx: CommandContext, allNamespaces: boolean, infos: readonly ResourceInfo[]): string {
  if (allNamespaces || infos.every((i) => !i.namespaced)) return 'No resources found\n';
  return `No resources found in ${ctx.namespace} namespace.\n`;
}

function sortItems(items: KubeObject[], sortBy: string | undefined): KubeObject[] {
  if (!sortBy) return items;
  const path = new JsonPath(sortBy.includes('{') ? sortBy : `{${sortBy}}`);
  const keyed = items.map((o) => ({ o, k: path.execute(o) }));
  const numeric = keyed.every(({ k }) => k !== '' && Number.isFinite(Number(k)));
  keyed.sort((a, b) => (numeric ? Number(a.k) - Number(b.k) : a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  return keyed.map(({ o }) => o);
}

export async function get(ctx: CommandContext, args: readonly string[], opts: GetOptions = {}): Promise<number> {
  if (args.length === 0) {
    ctx.err.write(USAGE_HINT);
    ctx.err.write(`error: Required resource not specified.\nUse "mkctl explain <resource>" for a detailed description of that resource (e.g. mkctl explain pods).\nSee 'mkctl get -h' for help and examples\n`);
    return FAILED;
  }
  return guarded(ctx, async () => {
    const { requests, multipleTypes } = parseResourceArgs(args);
    const format = parseOutput(opts.output);
    const all = opts.allNamespaces === true;
    if (all && requests.some((r) => r.names.length > 0)) throw new CliError('a resource cannot be retrieved by name across all namespaces');
    if (opts.watch || opts.watchOnly) return watch(ctx, requests, format, opts);

    const errors: unknown[] = [];
    const results: { request: ResourceRequest; items: KubeObject[] }[] = [];
    for (const request of requests) {
      const { info, names } = request;
      const ns = all ? '' : namespaceFor(info, ctx.namespace);
      const items: KubeObject[] = [];
      if (names.length > 0) {
        for (const name of names) {
          try {
            items.push(withType(await ctx.client.get(info.resource, ns, name), info));
          } catch (e) {
            if (isConnectionError(e)) throw e;
            if (opts.ignoreNotFound && e instanceof ApiError && e.reason === 'NotFound') continue;
            errors.push(e);
          }
        }
      } else {
        const list = await ctx.client.listAll(info.resource, {
          namespace: ns,
          ...(opts.selector ? { labelSelector: opts.selector } : {}),
          ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
        });
        items.push(...list.items.map((o) => withType(o, info)));
      }
      results.push({ request, items: sortItems(items, opts.sortBy) });
    }

    const total = results.reduce((n, r) => n + r.items.length, 0);
    const askedByName = requests.some((r) => r.names.length > 0);
    if (format.kind === 'table') {
      const withKind = multipleTypes || opts.showKind === true;
      let writtenBefore = false;
      for (const { request, items } of results) {
        if (items.length === 0) continue;
        if (writtenBefore && !opts.noHeaders) ctx.out.write('\n');
        const table = new ResourceTable(request.info, {
          wide: format.wide,
          withNamespace: all,
          withKind,
          showLabels: opts.showLabels === true,
          labelColumns: opts.labelColumns ?? [],
        });
        const w = TabWriter.forTables((s) => ctx.out.write(s));
        if (!opts.noHeaders) w.write(`${table.header().join('\t')}\n`);
        for (const o of items) w.write(`${table.row(o, ctx.clock.now()).join('\t')}\n`);
        w.flush();
        writtenBefore = true;
      }
      if (total === 0 && errors.length === 0 && !opts.ignoreNotFound) ctx.err.write(noResourcesMessage(ctx, all, requests.map((r) => r.info)));
    } else {
      const items = results.flatMap((r) => r.items);
      const single = requests.length === 1 && requests[0]!.names.length === 1;
      if (format.kind === 'name' && total === 0) {
        if (errors.length === 0 && !askedByName && !opts.ignoreNotFound) ctx.err.write(noResourcesMessage(ctx, all, requests.map((r) => r.info)));
      } else if (!(single && items.length === 0)) {
        ctx.out.write(printObjects(format, items, single));
      }
    }
    return finish(ctx, errors);
  });
}

/** `get -w`: the current objects, then one row per change until interrupted. */
async function watch(ctx: CommandContext, requests: readonly ResourceRequest[], format: OutputFormat, opts: GetOptions): Promise<number> {
  if (requests.length !== 1) throw new CliError('you may only specify a single resource type');
  const { info, names } = requests[0]!;
  if (names.length > 1) throw new CliError('watch is only supported on individual resources and resource collections, but 2 resources were found');
  const all = opts.allNamespaces === true;
  const ns = all ? '' : namespaceFor(info, ctx.namespace);
  const fieldSelector = [names.length === 1 ? `metadata.name=${names[0]}` : '', opts.fieldSelector ?? ''].filter((s) => s !== '').join(',');
  const listOpts = { namespace: ns, ...(opts.selector ? { labelSelector: opts.selector } : {}), ...(fieldSelector ? { fieldSelector } : {}) };

  const table = new ResourceTable(info, { wide: format.kind === 'table' && format.wide, withNamespace: all, withKind: opts.showKind === true, showLabels: opts.showLabels === true, labelColumns: opts.labelColumns ?? [] });
  const w = TabWriter.forTables((s) => ctx.out.write(s));
  let headerDone = opts.noHeaders === true;
  let yamlDocs = 0;
  const print = (type: string, obj: KubeObject): void => {
    switch (format.kind) {
      case 'table': {
        if (!headerDone) {
          w.write(`${(opts.outputWatchEvents ? ['EVENT', ...table.header()] : table.header()).join('\t')}\n`);
          headerDone = true;
        }
        const row = table.row(obj, ctx.clock.now());
        w.write(`${(opts.outputWatchEvents ? [type, ...row] : row).join('\t')}\n`);
        w.flush();
        return;
      }
      case 'name':
        ctx.out.write(`${objectName(infoOf(obj), obj.metadata.name ?? '')}\n`);
        return;
      case 'json':
        ctx.out.write(opts.outputWatchEvents ? toJson({ type, object: obj }) : toJson(obj));
        return;
      case 'yaml':
        ctx.out.write(`${yamlDocs++ > 0 ? '---\n' : ''}${toYaml(opts.outputWatchEvents ? { object: obj, type } : obj)}`);
        return;
      case 'jsonpath':
        ctx.out.write(format.path.execute(obj));
        return;
    }
  };

  const list = await ctx.client.listAll(info.resource, listOpts);
  let resourceVersion = list.resourceVersion;
  if (!opts.watchOnly) {
    if (list.items.length === 0) ctx.err.write(noResourcesMessage(ctx, all, [info]));
    for (const o of list.items) print('ADDED', withType(o, info));
  }

  let interrupted = false;
  void ctx.interrupted.then(() => (interrupted = true));
  for (;;) {
    let failure: unknown;
    const handle = ctx.client.watch(info.resource, { ...listOpts, resourceVersion }, (ev) => {
      if (ev.type === 'BOOKMARK') {
        resourceVersion = ev.object.metadata.resourceVersion ?? resourceVersion;
        return;
      }
      if (ev.type === 'ERROR') {
        failure = new ApiError(ev.object);
        handle.stop();
        return;
      }
      const obj = withType(ev.object, info);
      resourceVersion = obj.metadata.resourceVersion ?? resourceVersion;
      print(ev.type, obj);
    });
    const ended = await Promise.race([handle.done, ctx.interrupted.then(() => 'interrupted' as const)]);
    if (ended === 'interrupted' || interrupted) {
      handle.stop();
      return OK;
    }
    const err = failure ?? ended;
    if (err instanceof ApiError && (err.reason === 'Gone' || err.reason === 'Expired')) {
      // Too far behind to resume (the history was compacted): list again, print what is there now.
      const again = await ctx.client.listAll(info.resource, listOpts);
      resourceVersion = again.resourceVersion;
      for (const o of again.items) print('MODIFIED', withType(o, info));
      continue;
    }
    if (err !== undefined && !(err instanceof ApiError && (err.reason === 'ServiceUnavailable' || err.reason === 'Timeout'))) return printError(ctx, err);
    // The stream ended (a server went away or closed it): resume from the last version seen.
    await new Promise<void>((resolve) => {
      const cancel = ctx.clock.setTimer(1000, resolve);
      void ctx.interrupted.then(() => {
        cancel();
        resolve();
      });
    });
    if (interrupted) return OK;
  }
}
