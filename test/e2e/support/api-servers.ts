import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon, ROOT, eventually, freePort, run, RunResult } from './processes';

const MK_APISERVER = path.join(ROOT, 'packages/apiserver/dist/bin/mk-apiserver.js');
const MKCTL = path.join(ROOT, 'packages/mkctl/dist/bin/mkctl.js');

export interface ApiServerProcess {
  name: string;
  grpcPort: number;
  httpPort: number;
  daemon?: Daemon;
}

/**
 * Real mk-apiserver processes against one store (mk-store or etcd), each on its own loopback
 * ports, plus `mkctl` run as a user types it with a config file naming all of them.
 */
export class ApiServers {
  readonly servers: ApiServerProcess[] = [];
  readonly home = mkdtempSync(path.join(tmpdir(), 'mk-apiserver-e2e-'));
  readonly configFile = path.join(this.home, 'config');

  private constructor(
    private readonly storeEndpoints: string,
    /** The address the gRPC API listens on: loopback, or a netns bridge's host address for node agents in namespaces. */
    readonly host: string,
    private readonly extraArgs: string[],
  ) {}

  static async start(
    n: number,
    storeEndpoints: string,
    opts: { host?: string; extraArgs?: string[] } = {},
  ): Promise<ApiServers> {
    const s = new ApiServers(storeEndpoints, opts.host ?? '127.0.0.1', opts.extraArgs ?? []);
    for (let i = 1; i <= n; i++) s.servers.push({ name: `api${i}`, grpcPort: await freePort(), httpPort: await freePort() });
    for (const a of s.servers) s.launch(a);
    await Promise.all(s.servers.map((a) => s.waitReady(a)));
    s.writeConfig();
    return s;
  }

  launch(a: ApiServerProcess): void {
    a.daemon = Daemon.start(a.name, MK_APISERVER, [
      '--etcd-servers', this.storeEndpoints,
      '--listen', `${this.host}:${a.grpcPort}`,
      '--http-listen', `127.0.0.1:${a.httpPort}`,
      '--log-level', 'warn',
      ...this.extraArgs,
    ]);
  }

  async waitReady(a: ApiServerProcess, limitMs = 30_000): Promise<void> {
    await eventually(
      `${a.name} ready (output: ${a.daemon?.output.slice(-500)})`,
      async () => {
        if (a.daemon && !a.daemon.running()) throw new Error(`${a.name} exited: ${a.daemon.output.slice(-2000)}`);
        try {
          const res = await fetch(`http://127.0.0.1:${a.httpPort}/readyz`);
          return res.status === 200;
        } catch {
          return false;
        }
      },
      limitMs,
    );
  }

  /** `host:port,...` of the servers' gRPC API (mkctl --server, ApiClient servers). */
  addresses(which: ApiServerProcess[] = this.servers): string[] {
    return which.map((a) => `${this.host}:${a.grpcPort}`);
  }

  private writeConfig(): void {
    const yaml = [
      'current-context: e2e',
      'contexts:',
      '  - name: e2e',
      '    servers:',
      ...this.addresses().map((s) => `      - ${s}`),
      '    namespace: default',
      '',
    ].join('\n');
    writeFileSync(this.configFile, yaml);
  }

  /** Runs mkctl with this cluster's config file, as a user would. */
  mkctl(args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    return run(process.execPath, [MKCTL, ...args], {
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 30_000,
      env: { MKCONFIG: this.configFile, HOME: this.home, ...opts.env },
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((a) => a.daemon?.stop()));
  }

  async destroy(): Promise<void> {
    await this.stopAll();
    rmSync(this.home, { recursive: true, force: true });
  }

  outputs(): string {
    return this.servers.map((a) => `--- ${a.name}\n${a.daemon?.output.slice(-3000) ?? ''}`).join('\n');
  }
}
