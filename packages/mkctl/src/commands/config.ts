/**
 * `mkctl config view|get-contexts|current-context|use-context|set-context|delete-context` on the
 * client config file (--mkconfig, else $MKCONFIG, else ~/.mk/config), whose format @mk/client
 * reads:
 *
 *   current-context: local
 *   contexts:
 *   - name: local
 *     servers: [127.0.0.1:6443, 127.0.0.1:6444]
 *     namespace: default
 */
import { type ContextConfig, type MkConfigFile, parseClientConfig, parseServerList } from '@mk/client';
import { parse } from 'yaml';
import type { CommandContext } from '../context';
import { CliError } from '../errors';
import { toJson, toYaml } from '../printers/output';
import { TabWriter } from '../tabwriter';
import { FAILED, guarded, OK } from './common';

/** Reads the config file; a missing or empty file is an empty config. */
export function readConfigFile(ctx: CommandContext): MkConfigFile {
  const path = ctx.configPath;
  if (!ctx.io.exists(path)) return { contexts: [] };
  const text = ctx.io.readFile(path);
  let raw: unknown;
  try {
    raw = parse(text);
  } catch {
    raw = 'invalid'; // parseClientConfig below names the problem with its line
  }
  if (raw === null || raw === undefined) return { contexts: [] };
  if (typeof raw === 'object' && !Array.isArray(raw)) {
    const r = raw as { contexts?: unknown; 'current-context'?: unknown };
    if (r.contexts === undefined || (Array.isArray(r.contexts) && r.contexts.length === 0)) {
      const current = r['current-context'];
      return { contexts: [], ...(typeof current === 'string' && current !== '' ? { currentContext: current } : {}) };
    }
  }
  return parseClientConfig(text, path);
}

function toDocument(cfg: MkConfigFile): Record<string, unknown> {
  return {
    contexts: cfg.contexts.map((c) => ({ name: c.name, ...(c.namespace ? { namespace: c.namespace } : {}), servers: [...c.servers] })),
    'current-context': cfg.currentContext ?? '',
  };
}

function writeConfigFile(ctx: CommandContext, cfg: MkConfigFile): void {
  const doc = toDocument(cfg);
  if (!cfg.currentContext) delete doc['current-context'];
  ctx.io.writeFile(ctx.configPath, toYaml(doc));
}

export interface ConfigViewOptions {
  minify?: boolean;
  output?: string;
}

export async function configView(ctx: CommandContext, opts: ConfigViewOptions = {}): Promise<number> {
  return guarded(ctx, async () => {
    let cfg = readConfigFile(ctx);
    if (opts.minify) {
      const name = ctx.contextName ?? cfg.currentContext;
      if (!name) throw new CliError('current-context must exist in order to minify');
      const c = cfg.contexts.find((x) => x.name === name);
      if (!c) throw new CliError(`cannot locate context ${name}`);
      cfg = { currentContext: name, contexts: [c] };
    }
    const doc = toDocument(cfg);
    if (opts.output === 'json') ctx.out.write(toJson(doc));
    else if (opts.output === undefined || opts.output === 'yaml') ctx.out.write(toYaml(doc));
    else throw new CliError(`unable to match a printer suitable for the output format "${opts.output}", allowed formats are: json,yaml`);
    return OK;
  });
}

export async function configGetContexts(ctx: CommandContext, names: readonly string[], opts: { output?: string; noHeaders?: boolean } = {}): Promise<number> {
  return guarded(ctx, async () => {
    const cfg = readConfigFile(ctx);
    let list: ContextConfig[] = cfg.contexts;
    const missing: string[] = [];
    if (names.length > 0) {
      list = [];
      for (const n of names) {
        const c = cfg.contexts.find((x) => x.name === n);
        if (c) list.push(c);
        else missing.push(n);
      }
    }
    if (opts.output === 'name') {
      for (const c of list) ctx.out.write(`${c.name}\n`);
    } else if (opts.output !== undefined) {
      throw new CliError(`output must be one of '' or 'name': ${opts.output}`);
    } else {
      const w = TabWriter.forTables((s) => ctx.out.write(s));
      if (!opts.noHeaders) w.write('CURRENT\tNAME\tSERVERS\tNAMESPACE\n');
      for (const c of list) w.write(`${c.name === cfg.currentContext ? '*' : ''}\t${c.name}\t${c.servers.join(',')}\t${c.namespace ?? ''}\n`);
      w.flush();
    }
    if (missing.length > 0) {
      for (const n of missing) ctx.err.write(`error: context ${n} not found\n`);
      return FAILED;
    }
    return OK;
  });
}

export async function configCurrentContext(ctx: CommandContext): Promise<number> {
  return guarded(ctx, async () => {
    const cfg = readConfigFile(ctx);
    if (!cfg.currentContext) throw new CliError('current-context is not set');
    ctx.out.write(`${cfg.currentContext}\n`);
    return OK;
  });
}

export async function configUseContext(ctx: CommandContext, name: string): Promise<number> {
  return guarded(ctx, async () => {
    const cfg = readConfigFile(ctx);
    if (!cfg.contexts.some((c) => c.name === name)) throw new CliError(`no context exists with the name: ${JSON.stringify(name)}`);
    writeConfigFile(ctx, { ...cfg, currentContext: name });
    ctx.out.write(`Switched to context ${JSON.stringify(name)}.\n`);
    return OK;
  });
}

export interface SetContextOptions {
  servers?: string;
  namespace?: string;
  current?: boolean;
}

export async function configSetContext(ctx: CommandContext, nameArg: string | undefined, opts: SetContextOptions): Promise<number> {
  return guarded(ctx, async () => {
    const cfg = readConfigFile(ctx);
    let name = nameArg;
    if (opts.current) {
      if (name) throw new CliError('you cannot specify both a context name and --current');
      if (!cfg.currentContext) throw new CliError('no current context is set');
      name = cfg.currentContext;
    }
    if (!name) throw new CliError('you must specify a non-empty context name or --current');
    const servers = opts.servers !== undefined ? parseServerList(opts.servers, '--servers') : undefined;
    if (opts.namespace !== undefined && opts.namespace === '') throw new CliError('--namespace must not be empty');
    const existing = cfg.contexts.find((c) => c.name === name);
    let contexts: ContextConfig[];
    if (existing) {
      const updated: ContextConfig = { ...existing, ...(servers ? { servers } : {}), ...(opts.namespace ? { namespace: opts.namespace } : {}) };
      contexts = cfg.contexts.map((c) => (c === existing ? updated : c));
    } else {
      if (!servers) throw new CliError(`context ${JSON.stringify(name)} does not exist yet: give its API servers with --servers host:port[,host:port]`);
      contexts = [...cfg.contexts, { name, servers, ...(opts.namespace ? { namespace: opts.namespace } : {}) }];
    }
    // The first context becomes the current one, so that a fresh config works at once.
    writeConfigFile(ctx, { contexts, ...(cfg.currentContext ? { currentContext: cfg.currentContext } : contexts.length === 1 ? { currentContext: name } : {}) });
    ctx.out.write(`Context ${JSON.stringify(name)} ${existing ? 'modified' : 'created'}.\n`);
    return OK;
  });
}

export async function configDeleteContext(ctx: CommandContext, name: string): Promise<number> {
  return guarded(ctx, async () => {
    const cfg = readConfigFile(ctx);
    if (!cfg.contexts.some((c) => c.name === name)) throw new CliError(`cannot delete context ${name}, not in ${ctx.configPath}`);
    const wasCurrent = cfg.currentContext === name;
    if (wasCurrent) ctx.err.write('warning: this removed your active context, use "mkctl config use-context" to select a different one\n');
    writeConfigFile(ctx, { contexts: cfg.contexts.filter((c) => c.name !== name), ...(cfg.currentContext && !wasCurrent ? { currentContext: cfg.currentContext } : {}) });
    ctx.out.write(`deleted context ${name} from ${ctx.configPath}\n`);
    return OK;
  });
}
