/**
 * `mkctl api-resources`: what the API server serves (Discovery.APIResources), as kubectl lists it:
 * NAME SHORTNAMES APIVERSION NAMESPACED KIND, by API group (core first), then by name.
 */
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { TabWriter } from '../tabwriter';
import { guarded, OK } from './common';

export interface ApiResourcesOptions {
  output?: string;
  noHeaders?: boolean;
  namespaced?: string;
  apiGroup?: string;
  sortBy?: string;
}

export async function apiResources(ctx: CommandContext, opts: ApiResourcesOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    if (opts.output !== undefined && opts.output !== 'wide' && opts.output !== 'name') throw new CliError(`--output ${opts.output} is not available`);
    if (opts.sortBy !== undefined && opts.sortBy !== 'name' && opts.sortBy !== 'kind') throw new CliError(`--sort-by accepts only name or kind`);
    let list = await ctx.client.apiResources();
    if (opts.namespaced !== undefined) {
      const want = opts.namespaced === 'true' || opts.namespaced === '';
      list = list.filter((r) => r.namespaced === want);
    }
    if (opts.apiGroup !== undefined) list = list.filter((r) => r.group === opts.apiGroup);
    const key = (r: (typeof list)[number]): string => (opts.sortBy === 'name' ? r.name : opts.sortBy === 'kind' ? r.kind : r.group);
    list = [...list].sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka !== kb) return ka < kb ? -1 : 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    if (opts.output === 'name') {
      for (const r of list) ctx.out.write(`${r.group ? `${r.name}.${r.group}` : r.name}\n`);
      return OK;
    }
    const wide = opts.output === 'wide';
    const w = TabWriter.forTables((s) => ctx.out.write(s));
    if (!opts.noHeaders) w.write(`${['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(wide ? ['VERBS'] : [])].join('\t')}\n`);
    for (const r of list) {
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      const cells = [r.name, (r.shortNames ?? []).join(','), apiVersion, String(r.namespaced), r.kind];
      if (wide) cells.push(`[${[...r.verbs].sort().join(' ')}]`);
      w.write(`${cells.join('\t')}\n`);
    }
    w.flush();
    return OK;
  });
}
