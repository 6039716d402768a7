/**
 * Where mkctl and the daemons find the API servers: an explicit list (`--server a:1,b:2`), else
 * the file named by $MKCONFIG, else ~/.mk/config. The file is YAML, kubeconfig-shaped:
 *
 *   current-context: local
 *   contexts:
 *     - name: local
 *       servers: [127.0.0.1:6443, 127.0.0.1:6444, 127.0.0.1:6445]
 *       namespace: default
 *
 * Every error names the file and what is wrong in it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@mk/shared';
import { parseDocument } from 'yaml';

export interface ContextConfig {
  name: string;
  servers: string[];
  /** Default namespace of this context (default "default"). */
  namespace?: string;
}

export interface MkConfigFile {
  currentContext?: string;
  contexts: ContextConfig[];
}

/** The settings a client starts with. */
export interface ClientConfig {
  servers: string[];
  namespace: string;
  /** The context used, when they came from a file. */
  context?: string;
  /** "flags", or the path of the file they came from. */
  source: string;
}

export interface LoadClientConfigOptions {
  /** Explicit addresses (a --server flag): the file is then not read. */
  servers?: readonly string[];
  /** Overrides the file's current-context. */
  context?: string;
  /** Overrides the context's namespace. */
  namespace?: string;
  /** Defaults to process.env ($MKCONFIG). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to os.homedir(). */
  homeDir?: string;
}

/** ~/.mk/config */
export function defaultConfigPath(homeDir: string = homedir()): string {
  return join(homeDir, '.mk', 'config');
}

/**
 * Checks a `host:port` address (IPv6 in brackets: `[::1]:6443`); returns it, or throws naming
 * what is wrong (`where` says in which file/field).
 */
export function checkServerAddress(address: string, where = 'server address'): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) throw new InvalidArgumentError(`${where}: "${address}" must be host:port, without a scheme`);
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new InvalidArgumentError(`${where}: "${address}" is not host:port (e.g. 10.0.0.1:6443)`);
  return address;
}

/** A comma-separated list of addresses (a --server flag or an environment variable). */
export function parseServerList(list: string, where = '--server'): string[] {
  const servers = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0) throw new InvalidArgumentError(`${where}: no address given`);
  return servers.map((s) => checkServerAddress(s, where));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses and checks a config file's text; `file` names it in errors. */
export function parseClientConfig(text: string, file: string): MkConfigFile {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0];
    throw new InvalidArgumentError(`${file}${line ? `:${line.line}:${line.col}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) throw new InvalidArgumentError(`${file}: the file is empty; it needs "contexts" and "current-context"`);
  if (!isRecord(root)) throw new InvalidArgumentError(`${file}: the top level must be a mapping with "contexts" and "current-context"`);
  for (const key of Object.keys(root)) {
    if (key !== 'contexts' && key !== 'current-context') throw new InvalidArgumentError(`${file}: unknown field "${key}" (known: contexts, current-context)`);
  }
  const raw = root.contexts;
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidArgumentError(`${file}: "contexts" must be a non-empty list of {name, servers, namespace}`);
  const contexts: ContextConfig[] = [];
  const names = new Set<string>();
  raw.forEach((c: unknown, i) => {
    const at = `${file}: contexts[${i}]`;
    if (!isRecord(c)) throw new InvalidArgumentError(`${at}: must be a mapping with name, servers, namespace`);
    for (const key of Object.keys(c)) {
      if (key !== 'name' && key !== 'servers' && key !== 'namespace') throw new InvalidArgumentError(`${at}: unknown field "${key}" (known: name, servers, namespace)`);
    }
    if (typeof c.name !== 'string' || c.name === '') throw new InvalidArgumentError(`${at}.name: required, a string`);
    if (names.has(c.name)) throw new InvalidArgumentError(`${at}.name: "${c.name}" is used by an earlier context`);
    names.add(c.name);
    if (!Array.isArray(c.servers) || c.servers.length === 0) throw new InvalidArgumentError(`${at}.servers: required, a non-empty list of host:port`);
    const servers = c.servers.map((s: unknown, j) => {
      if (typeof s !== 'string') throw new InvalidArgumentError(`${at}.servers[${j}]: must be a string host:port`);
      return checkServerAddress(s, `${at}.servers[${j}]`);
    });
    const ctx: ContextConfig = { name: c.name, servers };
    if (c.namespace !== undefined) {
      if (typeof c.namespace !== 'string' || c.namespace === '') throw new InvalidArgumentError(`${at}.namespace: must be a non-empty string`);
      ctx.namespace = c.namespace;
    }
    contexts.push(ctx);
  });
  const current = root['current-context'];
  if (current !== undefined && typeof current !== 'string') throw new InvalidArgumentError(`${file}: current-context must be a string`);
  const config: MkConfigFile = { contexts };
  if (current !== undefined) {
    if (!names.has(current)) throw new InvalidArgumentError(`${file}: current-context "${current}" is not one of the contexts (${[...names].join(', ')})`);
    config.currentContext = current;
  }
  return config;
}

/** Reads a config file; a missing or unreadable file is an error naming it (and `why` it was read). */
export function readClientConfigFile(file: string, why?: string): MkConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new InvalidArgumentError(`${why ? `${why}: ` : ''}cannot read ${file}: ${what}`);
  }
  return parseClientConfig(text, file);
}

/** The context to use: `name`, else the file's current-context, else its only context. */
export function selectContext(config: MkConfigFile, file: string, name?: string): ContextConfig {
  const wanted = name ?? config.currentContext;
  const all = config.contexts.map((c) => c.name).join(', ');
  if (wanted === undefined) {
    if (config.contexts.length === 1) return config.contexts[0]!;
    throw new InvalidArgumentError(`${file}: no current-context; set it to one of: ${all}`);
  }
  const ctx = config.contexts.find((c) => c.name === wanted);
  if (!ctx) throw new InvalidArgumentError(`${file}: no context named "${wanted}" (have: ${all})`);
  return ctx;
}

/** Resolves the servers and namespace to use (see the file comment for the order). */
export function loadClientConfig(opts: LoadClientConfigOptions = {}): ClientConfig {
  if (opts.servers && opts.servers.length > 0) {
    return { servers: opts.servers.map((s) => checkServerAddress(s, '--server')), namespace: opts.namespace ?? 'default', source: 'flags' };
  }
  const env = opts.env ?? process.env;
  const fromEnv = env.MKCONFIG;
  let file: string;
  let config: MkConfigFile;
  if (fromEnv !== undefined && fromEnv !== '') {
    file = fromEnv;
    config = readClientConfigFile(file, 'MKCONFIG');
  } else {
    file = defaultConfigPath(opts.homeDir);
    if (!existsSync(file)) {
      throw new InvalidArgumentError(`no API server configured: pass --server host:port, set MKCONFIG, or write ${file} (it does not exist)`);
    }
    config = readClientConfigFile(file);
  }
  const ctx = selectContext(config, file, opts.context);
  return { servers: [...ctx.servers], namespace: opts.namespace ?? ctx.namespace ?? 'default', context: ctx.name, source: file };
}
