/**
 * `mkctl label TYPE NAME… KEY=VAL… KEY-… [--overwrite]` and `mkctl annotate` (the same, on
 * annotations): one merge patch per object; `pod/web labeled`, `not labeled`, `unlabeled`,
 * `annotated`. Objects may also be chosen with -l SELECTOR or --all.
 */
import { isQualifiedName, isValidLabelValue, type KubeObject } from '@mk/api';
import type { CommandContext } from '../context';
import { CliError, isConnectionError } from '../errors';
import { objectName, parseResourceArgs } from '../resources';
import { finish, guarded, namespaceFor, tryEach } from './common';

export interface LabelOptions {
  overwrite?: boolean;
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  list?: boolean;
  output?: string;
}

type Field = 'labels' | 'annotations';

interface Changes {
  set: Record<string, string>;
  remove: string[];
}

function parseChanges(specs: readonly string[], field: Field): Changes {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  const word = field === 'labels' ? 'label' : 'annotation';
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq >= 0) {
      const key = spec.slice(0, eq);
      const value = spec.slice(eq + 1);
      if (field === 'labels' && value.includes('=')) throw new CliError(`invalid label spec: ${spec}`);
      const keyErrs = isQualifiedName(key);
      if (keyErrs.length) throw new CliError(`invalid ${word} spec: ${spec}: ${keyErrs.join('; ')}`);
      if (field === 'labels') {
        const errs = isValidLabelValue(value);
        if (errs.length) throw new CliError(`invalid label value: ${JSON.stringify(spec)}: ${errs.join(';')}`);
      }
      set[key] = value;
    } else if (spec.endsWith('-')) {
      remove.push(spec.slice(0, -1));
    } else {
      throw new CliError(`unknown ${word} spec: ${spec}`);
    }
  }
  if (remove.some((k) => Object.hasOwn(set, k))) throw new CliError(`can not both modify and remove ${field === 'labels' ? 'a label' : 'an annotation'} in the same command`);
  return { set, remove };
}

async function run(ctx: CommandContext, field: Field, args: readonly string[], opts: LabelOptions): Promise<number> {
  return guarded(ctx, async () => {
    const word = field === 'labels' ? 'label' : 'annotation';
    const split = args.findIndex((a) => a.includes('=') || a.endsWith('-'));
    const resourceArgs = split < 0 ? args : args.slice(0, split);
    const specs = split < 0 ? [] : args.slice(split);
    if (resourceArgs.length === 0) throw new CliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
    if (specs.length === 0 && !opts.list) throw new CliError(`at least one ${word} update is required`);
    const changes = parseChanges(specs, field);
    const { requests } = parseResourceArgs(resourceArgs);
    const all = opts.allNamespaces === true;

    const objects: KubeObject[] = [];
    const errors: unknown[] = [];
    for (const { info, names } of requests) {
      const ns = all ? '' : namespaceFor(info, ctx.namespace);
      if (names.length === 0) {
        if (!opts.selector && !opts.all) throw new CliError('resource(s) were provided, but no name was specified');
        const list = await ctx.client.listAll(info.resource, { namespace: ns, ...(opts.selector ? { labelSelector: opts.selector } : {}) });
        objects.push(...list.items.map((o) => ({ ...o, kind: o.kind || info.kind })));
        continue;
      }
      for (const name of names) {
        await tryEach(errors, async () => {
          const o = await ctx.client.get(info.resource, ns, name);
          objects.push({ ...o, kind: o.kind || info.kind });
        });
      }
    }

    for (const obj of objects) {
      const info = requests.find((r) => r.info.kind === obj.kind)?.info ?? requests[0]!.info;
      const current = { ...((obj.metadata[field] as Record<string, string> | undefined) ?? {}) };
      const name = obj.metadata.name ?? '';
      if (opts.list) {
        for (const k of Object.keys(current).sort()) ctx.out.write(`${k}=${current[k]}\n`);
        if (specs.length === 0) continue;
      }
      if (!opts.overwrite) {
        const clashes = Object.entries(changes.set).filter(([k, v]) => Object.hasOwn(current, k) && current[k] !== v);
        if (clashes.length > 0) {
          const each = clashes.map(([k]) => `'${k}' already has a value (${current[k]})`);
          errors.push(
            new CliError(field === 'labels' ? each.map((m) => `${m}, and --overwrite is false`).join('\n') : `--overwrite is false but found the following declared annotation(s): ${each.join(', ')}`),
          );
          continue;
        }
      }
      const patchMap: Record<string, string | null> = { ...changes.set };
      for (const k of changes.remove) {
        if (Object.hasOwn(current, k)) patchMap[k] = null;
        else if (field === 'labels') ctx.err.write(`label ${JSON.stringify(k)} not found.\n`);
      }
      const next = { ...current };
      for (const [k, v] of Object.entries(patchMap)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      const changed = JSON.stringify(Object.entries(next).sort()) !== JSON.stringify(Object.entries(current).sort());
      try {
        if (changed) await ctx.client.patch(info.resource, obj.metadata.namespace ?? '', name, { metadata: { [field]: patchMap } });
      } catch (e) {
        if (isConnectionError(e)) throw e;
        errors.push(e);
        continue;
      }
      let msg: string;
      if (field === 'annotations') msg = 'annotated';
      else if (!changed) msg = 'not labeled';
      else msg = !opts.overwrite && Object.keys(next).length < Object.keys(current).length ? 'unlabeled' : 'labeled';
      ctx.out.write(opts.output === 'name' ? `${objectName(info, name)}\n` : `${objectName(info, name)} ${msg}\n`);
    }
    return finish(ctx, errors);
  });
}

export function label(ctx: CommandContext, args: readonly string[], opts: LabelOptions = {}): Promise<number> {
  return run(ctx, 'labels', args, opts);
}

export function annotate(ctx: CommandContext, args: readonly string[], opts: LabelOptions = {}): Promise<number> {
  return run(ctx, 'annotations', args, opts);
}
