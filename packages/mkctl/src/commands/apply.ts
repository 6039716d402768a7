/**
 * `mkctl apply -f FILE|DIR|- [-R]`: kubectl's client-side apply. Each object is created when it
 * does not exist, else patched with a three-way merge against the configuration applied last time
 * (kept in the `kubectl.kubernetes.io/last-applied-configuration` annotation), so fields removed
 * from the file are removed from the object. Prints `deployment.apps/web created|configured|
 * unchanged`; a bad document or a failed object does not stop the others, but exits 1.
 */
import type { KubeObject, ResourceInfo } from '@mk/api';
import { ApiError } from '@mk/client';
import { sortedJson, threeWayPatch } from '../apply-patch';
import type { CommandContext } from '../context';
import { CliError, isConnectionError, withSource } from '../errors';
import { manifestErrorText, readManifests } from '../manifests';
import { LAST_APPLIED } from '../printers/describe';
import { infoOf, objectName } from '../resources';
import { finish, guarded } from './common';

export interface ApplyOptions {
  filename?: string[];
  recursive?: boolean;
  output?: string;
  dryRun?: string;
}

export type DryRun = 'none' | 'client' | 'server';

export function parseDryRun(v: string | undefined): DryRun {
  if (v === undefined || v === 'none' || v === 'false') return 'none';
  if (v === 'client' || v === 'true' || v === '') return 'client';
  if (v === 'server') return 'server';
  throw new CliError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

export function dryRunSuffix(d: DryRun): string {
  return d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '';
}

/**
 * Puts the object in its namespace: the file's, else the current one. With -n, a different
 * namespace in the file is an error, as in kubectl.
 */
export function placeInNamespace(ctx: CommandContext, info: ResourceInfo, obj: KubeObject): KubeObject {
  const o = structuredClone(obj);
  if (!info.namespaced) {
    delete o.metadata.namespace;
    return o;
  }
  const fromFile = o.metadata.namespace;
  if (fromFile && ctx.namespaceFromFlag && fromFile !== ctx.namespace) {
    throw new CliError(
      `the namespace from the provided object ${JSON.stringify(fromFile)} does not match the namespace ${JSON.stringify(ctx.namespace)}. You must pass '--namespace=${fromFile}' to perform this operation.`,
    );
  }
  o.metadata.namespace = fromFile || ctx.namespace;
  return o;
}

/** The object with the annotation holding its own configuration (kubectl's GetModifiedConfiguration). */
export function withLastApplied(obj: KubeObject): KubeObject {
  const o = structuredClone(obj);
  delete (o as { status?: unknown }).status;
  const annotations = { ...(o.metadata.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  o.metadata.annotations = annotations;
  const config = `${sortedJson(o)}\n`;
  o.metadata.annotations = { ...annotations, [LAST_APPLIED]: config };
  return o;
}

function parseLastApplied(obj: KubeObject): unknown {
  const text = obj.metadata.annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function apply(ctx: CommandContext, opts: ApplyOptions): Promise<number> {
  return guarded(ctx, async () => {
    if (!opts.filename?.length) throw new CliError('must specify one of -f and -k');
    if (opts.output !== undefined && opts.output !== 'name') throw new CliError(`unable to match a printer suitable for the output format "${opts.output}", allowed formats are: name`);
    const dryRun = parseDryRun(opts.dryRun);
    const entries = await readManifests(ctx, opts.filename, opts.recursive === true);
    const errors: unknown[] = [];
    let objects = 0;
    const print = (info: ResourceInfo, name: string, what: string): void => {
      ctx.out.write(opts.output === 'name' ? `${objectName(info, name)}\n` : `${objectName(info, name)} ${what}${dryRunSuffix(dryRun)}\n`);
    };
    for (const entry of entries) {
      if (!entry.ok) {
        errors.push(new CliError(manifestErrorText(entry)));
        continue;
      }
      objects++;
      const source = entry.fileName;
      let info: ResourceInfo;
      let modified: KubeObject;
      try {
        info = infoOf(entry.object);
        modified = withLastApplied(placeInNamespace(ctx, info, entry.object));
      } catch (e) {
        errors.push(e);
        continue;
      }
      const name = modified.metadata.name ?? '';
      const ns = modified.metadata.namespace ?? '';
      let current: KubeObject | undefined;
      try {
        current = await ctx.client.get(info.resource, ns, name);
      } catch (e) {
        if (isConnectionError(e)) throw e;
        if (!(e instanceof ApiError && e.reason === 'NotFound')) {
          errors.push(withSource('retrieving current configuration of', source, e));
          continue;
        }
      }
      try {
        if (!current) {
          if (dryRun !== 'client') await ctx.client.create(info.resource, modified, { namespace: ns, ...(dryRun === 'server' ? { dryRun: true } : {}) });
          print(info, name, 'created');
          continue;
        }
        const original = parseLastApplied(current);
        if (original === undefined) {
          ctx.err.write(
            `Warning: resource ${info.resource}/${name} is missing the ${LAST_APPLIED} annotation which is required by mkctl apply. mkctl apply should only be used on resources created declaratively by either mkctl create --save-config or mkctl apply. The missing annotation will be patched automatically.\n`,
          );
        }
        const patch = threeWayPatch(original, modified, current);
        if (Object.keys(patch).length === 0) {
          print(info, name, 'unchanged');
          continue;
        }
        if (dryRun !== 'client') await ctx.client.patch(info.resource, ns, name, patch, dryRun === 'server' ? { dryRun: true } : {});
        print(info, name, 'configured');
      } catch (e) {
        if (isConnectionError(e)) throw e;
        errors.push(withSource(current ? 'patching' : 'creating', source, e));
      }
    }
    if (objects === 0 && errors.length === 0) throw new CliError('no objects passed to apply');
    return finish(ctx, errors);
  });
}
