/**
 * A CommandContext for tests: captured stdout/stderr, a FakeClock, an in-memory file system, and
 * a FakeClient unless another client is given.
 */
import { posix } from 'node:path';
import { FakeClock } from '@mk/shared';
import type { ContextFactory } from '../cli';
import type { CommandContext, Io, MkClient } from '../context';
import { FakeClient } from './fake-client';

export interface TestContextOptions {
  client?: MkClient;
  /** The clock's time (default 2024-05-01T12:00:00Z). */
  now?: number | string;
  namespace?: string;
  namespaceFromFlag?: boolean;
  /** Files by absolute path. */
  files?: Record<string, string>;
  stdin?: string;
  configPath?: string;
  contextName?: string;
  /** Makes `client` throw this (no server configured). */
  clientError?: Error;
  /** stdin as chunks for `exec -i` (default: `stdin` as one chunk). */
  stdinChunks?: string[];
  stdinIsTTY?: boolean;
}

export class MemoryIo implements Io {
  readonly files = new Map<string, string>();

  constructor(
    files: Record<string, string> = {},
    private readonly stdin = '',
  ) {
    for (const [k, v] of Object.entries(files)) this.files.set(posix.normalize(k), v);
  }

  readFile(path: string): string {
    const text = this.files.get(posix.normalize(path));
    if (text === undefined) {
      const e = new Error(`ENOENT: no such file or directory, open '${path}'`) as NodeJS.ErrnoException;
      e.code = 'ENOENT';
      throw e;
    }
    return text;
  }

  isDirectory(path: string): boolean {
    const p = posix.normalize(path).replace(/\/$/, '');
    if (this.files.has(p)) return false;
    if ([...this.files.keys()].some((k) => k.startsWith(`${p}/`))) return true;
    const e = new Error(`ENOENT: no such file or directory, stat '${path}'`) as NodeJS.ErrnoException;
    e.code = 'ENOENT';
    throw e;
  }

  readDir(path: string): string[] {
    const p = `${posix.normalize(path).replace(/\/$/, '')}/`;
    const names = new Set<string>();
    for (const k of this.files.keys()) if (k.startsWith(p)) names.add(k.slice(p.length).split('/')[0] ?? '');
    return [...names];
  }

  exists(path: string): boolean {
    try {
      this.isDirectory(path);
      return true;
    } catch {
      return false;
    }
  }

  writeFile(path: string, text: string): void {
    this.files.set(posix.normalize(path), text);
  }

  async readStdin(): Promise<string> {
    return this.stdin;
  }
}

export interface TestContext {
  ctx: CommandContext;
  client: FakeClient;
  clock: FakeClock;
  io: MemoryIo;
  out(): string;
  err(): string;
  /** Simulates Ctrl-C. */
  interrupt(): void;
  /** For `run()`: this context, with -n and --context applied. */
  factory: ContextFactory;
  /** The global flags the last command was started with. */
  globals(): Parameters<ContextFactory>[0] | undefined;
  /** How often raw mode was switched on / off. */
  rawMode: { on: number; off: number };
}

export const TEST_NOW = Date.parse('2024-05-01T12:00:00Z');

export function testContext(opts: TestContextOptions = {}): TestContext {
  const now = typeof opts.now === 'string' ? Date.parse(opts.now) : (opts.now ?? TEST_NOW);
  const clock = new FakeClock(now);
  const client = (opts.client as FakeClient | undefined) ?? new FakeClient({ now: () => clock.now() });
  const io = new MemoryIo(opts.files, opts.stdin);
  let out = '';
  let err = '';
  let interrupt!: () => void;
  const interrupted = new Promise<void>((r) => (interrupt = r));
  const rawMode = { on: 0, off: 0 };
  const stdinChunks = opts.stdinChunks ?? (opts.stdin ? [opts.stdin] : []);
  const ctx: CommandContext = {
    get client(): MkClient {
      if (opts.clientError) throw opts.clientError;
      return client;
    },
    namespace: opts.namespace ?? 'default',
    namespaceFromFlag: opts.namespaceFromFlag ?? false,
    out: { write: (s) => (out += s) },
    err: { write: (s) => (err += s) },
    clock,
    io,
    configPath: opts.configPath ?? '/home/user/.mk/config',
    ...(opts.contextName !== undefined ? { contextName: opts.contextName } : {}),
    localTime: false,
    interrupted,
    clientVersion: 'v0.1.0',
    terminal: {
      writeOut: (data) => (out += Buffer.from(data).toString()),
      writeErr: (data) => (err += Buffer.from(data).toString()),
      stdin: async function* () {
        for (const c of stdinChunks) yield Buffer.from(c);
      },
      stdinIsTTY: opts.stdinIsTTY ?? false,
      makeRaw: () => {
        rawMode.on++;
        return () => void rawMode.off++;
      },
      size: () => (opts.stdinIsTTY ? { rows: 24, cols: 80 } : undefined),
      onResize: () => () => undefined,
    },
  };
  let lastGlobals: Parameters<ContextFactory>[0] | undefined;
  const factory: ContextFactory = (g) => {
    lastGlobals = g;
    // Object.create keeps `client` a getter (it may throw) while overriding the namespace.
    return Object.create(ctx, {
      namespace: { value: g.namespace ?? ctx.namespace },
      namespaceFromFlag: { value: g.namespace !== undefined || ctx.namespaceFromFlag },
      ...(g.context !== undefined ? { contextName: { value: g.context } } : {}),
    }) as CommandContext;
  };
  return { ctx, client, clock, io, out: () => out, err: () => err, interrupt, factory, globals: () => lastGlobals, rawMode };
}
