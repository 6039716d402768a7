import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon, ROOT, eventually, freePort, run } from './processes';

const MK_STORE = path.join(ROOT, 'packages/store/dist/bin/mk-store.js');

/** Where a member runs: the address it listens on, and a command prefix that puts it there. */
export interface MemberHost {
  address: string;
  /** e.g. `['nsenter', '--net=/run/netns/X', '--']`: the member's process is started through it. */
  spawnPrefix?: string[];
}

export interface StoreMember {
  name: string;
  /** The address it listens on and advertises: 127.0.0.1 unless placed on a host. */
  host: string;
  spawnPrefix?: string[];
  clientPort: number;
  peerPort: number;
  dataDir: string;
  daemon?: Daemon;
}

/**
 * A cluster of real mk-store processes on loopback, each with its own data dir, started with the
 * flags etcd users already know. Everything it made is removed by `destroy()`. Given hosts (e.g.
 * network namespaces, test/e2e/support/netns.ts), member i runs on hosts[i] with etcd's standard
 * ports 2379/2380 at that host's address.
 */
export class StoreCluster {
  readonly root = mkdtempSync(path.join(tmpdir(), 'mk-store-e2e-'));
  readonly members: StoreMember[] = [];

  static async create(n: number, extraFlags: string[] = [], hosts?: MemberHost[]): Promise<StoreCluster> {
    const c = new StoreCluster();
    for (let i = 1; i <= n; i++) c.members.push(await c.newMember(`m${i}`, hosts?.[i - 1]));
    const initial = c.initialCluster(c.members);
    for (const m of c.members) c.start(m, initial, 'new', extraFlags);
    await c.waitHealthy(c.members);
    return c;
  }

  async newMember(name: string, host?: MemberHost): Promise<StoreMember> {
    const dataDir = path.join(this.root, name);
    if (host) return { name, host: host.address, spawnPrefix: host.spawnPrefix, clientPort: 2379, peerPort: 2380, dataDir };
    return { name, host: '127.0.0.1', clientPort: await freePort(), peerPort: await freePort(), dataDir };
  }

  initialCluster(members: StoreMember[]): string {
    return members.map((m) => `${m.name}=http://${m.host}:${m.peerPort}`).join(',');
  }

  /** `host:port` of a member's client URL (the bare form etcdctl and grpc-js take). */
  clientAddress(m: StoreMember): string {
    return `${m.host}:${m.clientPort}`;
  }

  start(m: StoreMember, initialCluster: string, state: 'new' | 'existing', extraFlags: string[] = []): Daemon {
    const client = `http://${m.host}:${m.clientPort}`;
    const peer = `http://${m.host}:${m.peerPort}`;
    const args = [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', initialCluster, '--initial-cluster-state', state,
      '--log-level', 'warn',
      ...extraFlags,
    ];
    const [cmd, ...prefix] = m.spawnPrefix ?? [];
    m.daemon = cmd ? Daemon.spawn(m.name, cmd, [...prefix, process.execPath, MK_STORE, ...args]) : Daemon.start(m.name, MK_STORE, args);
    return m.daemon;
  }

  /** `host:port,...` for etcdctl: the bare form (with http:// etcdctl 3.4 sends a header Node's HTTP/2 rejects). */
  endpoints(members: StoreMember[] = this.members): string {
    return members.map((m) => this.clientAddress(m)).join(',');
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
