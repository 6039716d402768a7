/**
 * The real world for mkctl: process streams, the file system, the system clock, Ctrl-C, and an
 * API client built lazily from the global flags and the config file (commands that need no
 * server, like `config` and `version --client`, never read it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultConfigPath, loadClientConfig, parseServerList } from '@mk/client';
import { systemClock } from '@mk/shared';
import { type GlobalOptions, run } from './cli';
import { parseDuration } from './commands/delete';
import type { CommandContext, Io, MkClient, Terminal, Writer } from './context';
import { RealClient } from './real-client';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string };
    return `v${pkg.version ?? '0.0.0'}`;
  } catch {
    return 'v0.0.0';
  }
}

const realIo: Io = {
  readFile: (p) => readFileSync(p, 'utf8'),
  isDirectory: (p) => statSync(p).isDirectory(),
  readDir: (p) => readdirSync(p),
  exists: (p) => existsSync(p),
  writeFile(p, text) {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text, { mode: 0o600 });
  },
  readStdin: () =>
    new Promise((resolve, reject) => {
      let text = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (chunk: string) => (text += chunk));
      process.stdin.on('end', () => resolve(text));
      process.stdin.on('error', reject);
    }),
};

const realTerminal: Terminal = {
  writeOut: (data) => void process.stdout.write(data),
  writeErr: (data) => void process.stderr.write(data),
  stdin: () => process.stdin as AsyncIterable<Buffer>,
  get stdinIsTTY() {
    return process.stdin.isTTY === true;
  },
  makeRaw() {
    if (!process.stdin.isTTY) return () => undefined;
    process.stdin.setRawMode(true);
    return () => process.stdin.setRawMode(false);
  },
  size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, cols: process.stdout.columns } : undefined),
  onResize(f) {
    process.stdout.on('resize', f);
    return () => void process.stdout.off('resize', f);
  },
};

function writerOf(stream: NodeJS.WriteStream): Writer {
  // A closed pipe (`mkctl get pods | head`) is not an error worth a stack trace.
  stream.on('error', () => undefined);
  return { write: (s) => void stream.write(s) };
}

export interface RealContextOptions {
  env: NodeJS.ProcessEnv;
  out: Writer;
  err: Writer;
  clientVersion: string;
  interrupted: Promise<void>;
  /** Every client made, to close at the end. */
  clients: RealClient[];
  /** Where ~/.mk/config is looked for (default: the user's home). */
  homeDir?: string;
}

/** Builds the context of a command from the global flags, the environment and the config file. */
export function realContextFactory(o: RealContextOptions): (g: GlobalOptions) => CommandContext {
  return (g) => {
    const mkconfig = g.mkconfig ?? (o.env.MKCONFIG || undefined);
    const configPath = mkconfig ?? defaultConfigPath(o.homeDir);
    let loaded: ReturnType<typeof loadClientConfig> | undefined;
    const load = (): ReturnType<typeof loadClientConfig> => {
      loaded ??= loadClientConfig({
        ...(g.server ? { servers: parseServerList(g.server, '--server') } : {}),
        ...(g.context ? { context: g.context } : {}),
        ...(g.namespace ? { namespace: g.namespace } : {}),
        env: { ...o.env, MKCONFIG: mkconfig },
        ...(o.homeDir ? { homeDir: o.homeDir } : {}),
      });
      return loaded;
    };
    let client: RealClient | undefined;
    return {
      get client(): MkClient {
        if (!client) {
          const cfg = load();
          client = new RealClient({ servers: cfg.servers, requestTimeoutMs: parseDuration(g.requestTimeout ?? '10s', '--request-timeout') });
          o.clients.push(client);
        }
        return client;
      },
      get namespace(): string {
        if (g.namespace) return g.namespace;
        try {
          return load().namespace;
        } catch {
          return 'default';
        }
      },
      namespaceFromFlag: g.namespace !== undefined,
      out: o.out,
      err: o.err,
      clock: systemClock,
      io: realIo,
      configPath,
      ...(g.context ? { contextName: g.context } : {}),
      localTime: true,
      interrupted: o.interrupted,
      clientVersion: o.clientVersion,
      terminal: realTerminal,
    };
  };
}

/** Runs mkctl with these arguments; resolves with the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = writerOf(process.stdout);
  const err = writerOf(process.stderr);
  const clients: RealClient[] = [];
  let interrupt!: () => void;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  process.once('SIGINT', () => {
    interrupt();
    // Commands that do not wait for Ctrl-C end here.
    setTimeout(() => process.exit(130), 1000).unref();
  });
  const makeContext = realContextFactory({ env, out, err, clientVersion: readVersion(), interrupted, clients });
  try {
    return await run(argv, makeContext, { out, err });
  } finally {
    for (const c of clients) c.close();
  }
}
