import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon, ROOT, eventually, freePort, run } from './processes';

const MK_STORE = path.join(ROOT, 'packages/store/dist/bin/mk-store.js');

export interface StoreMember {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  daemon?: Daemon;
}

/**
 * A cluster of real mk-store processes on loopback, each with its own data dir, started with the
 * flags etcd users already know. Everything it made is removed by `destroy()`.
 */
export class StoreCluster {
  readonly root = mkdtempSync(path.join(tmpdir(), 'mk-store-e2e-'));
  readonly members: StoreMember[] = [];

  static async create(n: number, extraFlags: string[] = []): Promise<StoreCluster> {
    const c = new StoreCluster();
    for (let i = 1; i <= n; i++) c.members.push(await c.newMember(`m${i}`));
    const initial = c.initialCluster(c.members);
    for (const m of c.members) c.start(m, initial, 'new', extraFlags);
    await c.waitHealthy(c.members);
    return c;
  }

  async newMember(name: string): Promise<StoreMember> {
    return { name, clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(this.root, name) };
  }

  initialCluster(members: StoreMember[]): string {
    return members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  }

  start(m: StoreMember, initialCluster: string, state: 'new' | 'existing', extraFlags: string[] = []): Daemon {
    const client = `http://127.0.0.1:${m.clientPort}`;
    const peer = `http://127.0.0.1:${m.peerPort}`;
    m.daemon = Daemon.start(m.name, MK_STORE, [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', initialCluster, '--initial-cluster-state', state,
      '--log-level', 'warn',
      ...extraFlags,
    ]);
    return m.daemon;
  }

  /** `host:port,...` for etcdctl: the bare form (with http:// etcdctl 3.4 sends a header Node's HTTP/2 rejects). */
  endpoints(members: StoreMember[] = this.members): string {
    return members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  etcdctl(args: string[], opts: { members?: StoreMember[]; input?: string; timeoutMs?: number } = {}) {
    return run('etcdctl', ['--endpoints', this.endpoints(opts.members), '--dial-timeout', '3s', '--command-timeout', '10s', ...args], {
      env: { ETCDCTL_API: '3' },
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 30_000,
      cwd: this.root,
    });
  }

  async waitHealthy(members: StoreMember[]): Promise<void> {
    for (const m of members) {
      await eventually(`${m.name} healthy`, async () => {
        if (m.daemon && !m.daemon.running()) throw new Error(`${m.name} exited:\n${m.daemon.output}`);
        return (await this.etcdctl(['endpoint', 'health'], { members: [m], timeoutMs: 10_000 })).code === 0;
      });
    }
  }

  async destroy(): Promise<void> {
    for (const m of this.members) await m.daemon?.stop('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Fails clearly (never skips) when the real etcdctl is missing: scripts/setup installs it. */
export async function requireEtcdctl(): Promise<void> {
  const v = await run('etcdctl', ['version'], { env: { ETCDCTL_API: '3' } }).catch(() => undefined);
  if (!v || v.code !== 0 || !/etcdctl version: 3\.4/.test(v.stdout)) {
    throw new Error('etcdctl 3.4 is required (Debian etcd-client; `bash scripts/setup` installs it)');
  }
}
