import { ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** The repository root, whatever folder jest runs from. */
export const ROOT = path.resolve(__dirname, '../../..');

/** Whether process `pid` exists (a run that left things behind is gone when it does not). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Ports handed out come from below the kernel's ephemeral range (32768–60999 by default), so no
 * outgoing connection's local port and no other `listen(0)` can take one between the pick and the
 * daemon's bind — a race that made a daemon fail with EADDRINUSE on a loaded machine. Each port
 * is handed out at most once per test process; a random start keeps parallel jest workers apart.
 */
const PORT_RANGE = { low: 20_000, high: 32_000 };
const handedOut = new Set<number>();
let nextPort = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));

/** A loopback port nothing listens on right now, never handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_RANGE.high - PORT_RANGE.low; tries++) {
    const port = nextPort;
    nextPort = nextPort + 1 >= PORT_RANGE.high ? PORT_RANGE.low : nextPort + 1;
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.low}-${PORT_RANGE.high}`);
}

/** `count` consecutive free loopback ports (the first is returned), from the same range, once each. */
export async function freePortRun(count: number): Promise<number> {
  for (let tries = 0; tries < 1000; tries++) {
    const first = await freePort();
    let ok = true;
    for (let p = first + 1; p < first + count && ok; p++) ok = p < PORT_RANGE.high && !handedOut.has(p) && (await canListen(p));
    if (!ok) continue;
    for (let p = first + 1; p < first + count; p++) handedOut.add(p);
    return first;
  }
  throw new Error(`no ${count} consecutive free ports in ${PORT_RANGE.low}-${PORT_RANGE.high}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by `timeoutMs`) and returns its exit code and output. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, ...opts.env }, cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Polls `probe` until it returns true; throws naming `what` if it never does within `limitMs`. */
export async function eventually(what: string, probe: () => Promise<boolean> | boolean, limitMs = 30_000): Promise<void> {
  const until = Date.now() + limitMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`never happened within ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A daemon this test started; stopped only by its own pid. */
export class Daemon {
  private exited: Promise<number | null>;
  output = '';

  constructor(readonly name: string, readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  /** Runs a Node.js script of this repository (a daemon's bin). */
  static start(name: string, script: string, args: string[]): Daemon {
    return Daemon.spawn(name, process.execPath, [script, ...args]);
  }

  /** Runs any long-lived command (e.g. `etcdctl watch`). */
  static spawn(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Daemon {
    return new Daemon(name, spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: opts.cwd }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running()) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  waitExit(): Promise<number | null> {
    return this.exited;
  }
}
