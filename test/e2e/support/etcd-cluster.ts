import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon, eventually, freePort, run } from './processes';

/** Debian's etcd-server (`bash scripts/setup` installs it). */
export const ETCD = '/usr/bin/etcd';

export interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  daemon?: Daemon;
}

/**
 * A cluster of real etcd 3.4 processes on loopback ports the kernel picked, each with its data dir
 * in one temporary folder: the reference mk-store is measured and tested against. Members are
 * stopped by their own pid; `destroy()` removes everything it made. Same shape as StoreCluster.
 */
export class EtcdCluster {
  readonly root = mkdtempSync(path.join(tmpdir(), 'mk-etcd-'));
  readonly members: EtcdMember[] = [];
  /** Flags given to every member (e.g. `--max-request-bytes`). */
  extraFlags: string[] = [];

  /** Starts n members (e1..en) and waits until each is healthy. */
  static async create(n: number, extraFlags: string[] = []): Promise<EtcdCluster> {
    const c = await EtcdCluster.start(n, extraFlags);
    try {
      await c.waitHealthy(c.members);
    } catch (e) {
      await c.destroy();
      throw e;
    }
    return c;
  }

  /** Starts n members and returns at once (the caller waits for them its own way). */
  static async start(n: number, extraFlags: string[] = []): Promise<EtcdCluster> {
    requireEtcd();
    const c = new EtcdCluster();
    c.extraFlags = extraFlags;
    for (let i = 1; i <= n; i++) c.members.push(await c.newMember(`e${i}`));
    const initial = c.initialCluster(c.members);
    for (const m of c.members) c.startMember(m, initial, 'new');
    return c;
  }

  async newMember(name: string): Promise<EtcdMember> {
    return { name, clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(this.root, name) };
  }

  initialCluster(members: EtcdMember[] = this.members): string {
    return members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  }

  /**
   * Starts (or restarts, from its data dir: etcd then ignores the initial-cluster flags) one
   * member.
   */
  startMember(m: EtcdMember, initialCluster = this.initialCluster(), state: 'new' | 'existing' = 'new'): Daemon {
    const client = `http://127.0.0.1:${m.clientPort}`;
    const peer = `http://127.0.0.1:${m.peerPort}`;
    m.daemon = Daemon.spawn(
      m.name,
      ETCD,
      [
        '--name', m.name, '--data-dir', m.dataDir,
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', initialCluster, '--initial-cluster-state', state,
        '--initial-cluster-token', path.basename(this.root),
        // the level mk-store runs at in the tests (StoreCluster passes --log-level warn)
        '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
        ...this.extraFlags,
      ],
      { cwd: this.root },
    );
    return m.daemon;
  }

  /** `host:port` of a member's client URL. */
  clientAddress(m: EtcdMember): string {
    return `127.0.0.1:${m.clientPort}`;
  }

  /** `host:port,...` (the bare form etcdctl and grpc-js take). */
  endpoints(members: EtcdMember[] = this.members): string {
    return members.map((m) => this.clientAddress(m)).join(',');
  }

  etcdctl(args: string[], opts: { members?: EtcdMember[]; timeoutMs?: number } = {}) {
    return run('etcdctl', ['--endpoints', this.endpoints(opts.members), '--dial-timeout', '3s', '--command-timeout', '10s', ...args], {
      env: { ETCDCTL_API: '3' },
      timeoutMs: opts.timeoutMs ?? 30_000,
      cwd: this.root,
    });
  }

  async waitHealthy(members: EtcdMember[] = this.members): Promise<void> {
    for (const m of members) {
      await eventually(`etcd ${m.name} healthy`, async () => {
        if (m.daemon && !m.daemon.running()) throw new Error(`etcd ${m.name} exited:\n${m.daemon.output}`);
        return (await this.etcdctl(['endpoint', 'health'], { members: [m], timeoutMs: 10_000 })).code === 0;
      });
    }
  }

  async destroy(): Promise<void> {
    for (const m of this.members) await m.daemon?.stop('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Fails clearly (never skips) when etcd is missing. */
export function requireEtcd(): void {
  if (!existsSync(ETCD)) throw new Error(`${ETCD} is missing: install Debian's etcd-server (bash scripts/setup does)`);
}

export function etcdVersion(): string | null {
  try {
    return /etcd Version:\s*(\S+)/.exec(execFileSync(ETCD, ['--version'], { encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    return null;
  }
}
