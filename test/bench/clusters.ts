/**
 * The two clusters the benchmark compares, both 3 members on loopback with etcd's flags and
 * defaults (100 ms heartbeat, 1000 ms election timeout, fsync on, snapshot count 100000):
 * mk-store through the e2e tests' StoreCluster, real etcd 3.4 (Debian's /usr/bin/etcd) through
 * their EtcdCluster.
 *
 * Everything started is registered at once, so that whatever happens (an error, Ctrl-C) every
 * process is killed by its own pid and every data dir removed.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ETCD, EtcdCluster, etcdVersion } from '../e2e/support/etcd-cluster';
import type { Daemon } from '../e2e/support/processes';
import { StoreCluster } from '../e2e/support/store-cluster';

export type SystemName = 'mk' | 'etcd';

export interface BenchMember {
  name: string;
  clientPort: number;
  daemon?: Daemon;
}

export interface BenchCluster {
  readonly system: SystemName;
  readonly members: BenchMember[];
  /** host:port of each member's client URL, in member order */
  endpoints(): string[];
  /** Starts member i again from its data dir (after a kill) and waits until it serves. */
  restart(i: number): Promise<void>;
  destroy(): Promise<void>;
}

// ---- cleanup -------------------------------------------------------------------------------

const live = new Set<BenchCluster>();

/** Kills (SIGKILL, by pid) every process of every cluster still registered and removes its dirs. */
export async function destroyAll(): Promise<void> {
  for (const c of [...live]) {
    live.delete(c);
    await c.destroy().catch(() => undefined);
  }
}

/** Last resort from process.on('exit'): synchronous, so only signals and rmSync. */
export function destroyAllSync(): void {
  for (const c of live) {
    for (const m of c.members) if (m.daemon?.running()) m.daemon.child.kill('SIGKILL');
    const root = (c as { root?: string }).root;
    if (root) rmSync(root, { recursive: true, force: true });
  }
  live.clear();
}

// ---- mk-store --------------------------------------------------------------------------------

class MkCluster implements BenchCluster {
  readonly system = 'mk' as const;
  constructor(readonly inner: StoreCluster) {}
  get root(): string {
    return this.inner.root;
  }
  get members(): BenchMember[] {
    return this.inner.members;
  }
  endpoints(): string[] {
    return this.inner.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }
  async restart(i: number): Promise<void> {
    const m = this.inner.members[i]!;
    this.inner.start(m, this.inner.initialCluster(this.inner.members), 'existing');
    await this.inner.waitHealthy([m]);
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/**
 * Starts a 3-member mk-store (m1..m3); returns at once: see waitReady. With `cpuProfDir`, each
 * member is CPU-profiled (written to that dir when it exits cleanly: SIGTERM).
 */
export async function startMk(opts: { n?: number; cpuProfDir?: string } = {}): Promise<BenchCluster> {
  const sc = new StoreCluster();
  const c = new MkCluster(sc);
  live.add(c);
  for (let i = 1; i <= (opts.n ?? 3); i++) sc.members.push(await sc.newMember(`m${i}`));
  const initial = sc.initialCluster(sc.members);
  // StoreCluster starts members with this process's environment. (NODE_OPTIONS refuses
  // --cpu-prof itself, hence a preloaded module that runs the inspector's profiler.)
  const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, MK_BENCH_CPU_PROF_DIR: process.env.MK_BENCH_CPU_PROF_DIR };
  try {
    if (opts.cpuProfDir) {
      process.env.NODE_OPTIONS = `${saved.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'cpu-prof-preload.js')}`.trim();
      process.env.MK_BENCH_CPU_PROF_DIR = opts.cpuProfDir;
    }
    for (const m of sc.members) sc.start(m, initial, 'new');
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return c;
}

// ---- etcd ------------------------------------------------------------------------------------

// The e2e tests' EtcdCluster starts the members; the benchmark adds only its cleanup registry.
export { ETCD, etcdVersion };

class BenchEtcdCluster implements BenchCluster {
  readonly system = 'etcd' as const;
  constructor(readonly inner: EtcdCluster) {}
  get root(): string {
    return this.inner.root;
  }
  get members(): BenchMember[] {
    return this.inner.members;
  }
  endpoints(): string[] {
    return this.inner.members.map((m) => this.inner.clientAddress(m));
  }
  async restart(i: number): Promise<void> {
    const m = this.inner.members[i]!;
    this.inner.startMember(m);
    await this.inner.waitHealthy([m]);
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Starts a 3-member etcd (e1..e3); returns at once: see waitReady. */
export async function startEtcd(n = 3): Promise<BenchCluster> {
  const c = new BenchEtcdCluster(await EtcdCluster.start(n));
  live.add(c);
  return c;
}
