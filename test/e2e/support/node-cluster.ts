/**
 * A whole mk cluster on one machine, nodes in network namespaces (MACHINE.md, "Network namespaces"):
 *
 *     host: mk-store, mk-apiserver (on the bridge's host address), mk-scheduler, mk-controller-manager
 *       ├─ netns node1 (eth0 10.213.R.11): dockerd, mk-kubelet, mk-proxy; pods on bridge mk0 (10.244.x.0/24)
 *       ├─ netns node2 (eth0 10.213.R.12): the same
 *       └─ ...
 *
 * Every node has its own dockerd (own socket, data root, exec root, cgroup parent), started with
 * `nsenter --net`, and the test images loaded into it (scripts/images). Pods get IPs from their node's
 * pod CIDR (assigned by the controller manager) and reach other nodes' pods through host-gw routes
 * the kubelets set up. Before anything can route to the pod or service CIDRs, a guard on the host
 * REJECTs them on the outside interface (the namespaces have no default route at all).
 * `destroy()` removes every container, dockerd, process, namespace, rule and directory it made.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiClient } from '@mk/client';
import type { Lease, Node } from '@mk/api';
import { ApiServers } from './api-servers';
import { installGuard, type Guard } from './guard';
import { NetnsNetwork, type NetnsHost } from './netns';
import { Daemon, ROOT, eventually, freePort, pidAlive, run } from './processes';
import { StoreCluster } from './store-cluster';

const MK_KUBELET = path.join(ROOT, 'packages/kubelet/dist/bin/mk-kubelet.js');
const MK_PROXY = path.join(ROOT, 'packages/proxy/dist/bin/mk-proxy.js');
const MK_SCHEDULER = path.join(ROOT, 'packages/scheduler/dist/bin/mk-scheduler.js');
const MK_CM = path.join(ROOT, 'packages/controller-manager/dist/bin/mk-controller-manager.js');
const IMAGES = path.join(ROOT, 'scripts/images');

export const CLUSTER_CIDR = '10.244.0.0/16';
/** Each cluster's nodes keep their state in a tmpfs at <NODES_ROOT>/<network tag>. */
const NODES_ROOT = '/var/lib/mk-e2e';
export const SERVICE_CIDR = '10.96.0.0/16';

export interface ClusterNode {
  name: string;
  host: NetnsHost;
  dir: string;
  dockerSocket: string;
  dockerd?: Daemon;
  kubelet?: Daemon;
  proxy?: Daemon;
  kubeletArgs: string[];
}

export interface NodeClusterOptions {
  nodes: number;
  /** Extra mk-kubelet flags (e.g. a shorter back-off). */
  kubeletArgs?: string[];
  /** Start mk-proxy on every node (default true). */
  proxy?: boolean;
  logLevel?: string;
}

async function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await run(cmd, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** Unmounts `dir` and every mount below it (deepest first); lazily when one is still busy. */
async function unmountTree(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    const r = await run('umount', [m], { timeoutMs: 20_000 });
    if (r.code !== 0) await sh('umount', ['-l', m]);
  }
}

/** The node directories (and their tmpfs) of runs whose process is gone (killed before cleanup). */
async function sweepStaleNodeDirs(): Promise<void> {
  let entries: string[] = [];
  try {
    entries = readdirSync(NODES_ROOT);
  } catch {
    return;
  }
  for (const tag of entries) {
    const pid = parseInt(/^mkt-([0-9a-z]+)-/.exec(tag)?.[1] ?? '', 36);
    if (!Number.isInteger(pid) || pid === process.pid || pidAlive(pid)) continue;
    await unmountTree(path.join(NODES_ROOT, tag)).catch(() => undefined);
    rmSync(path.join(NODES_ROOT, tag), { recursive: true, force: true });
  }
}

export async function requireDocker(): Promise<void> {
  const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).catch(() => undefined);
  if (!r || r.code !== 0) throw new Error(`these tests need a running Docker engine (docker info failed: ${(r?.stderr ?? 'docker not found').trim()}); \`bash scripts/setup\` installs and starts it`);
}

export class NodeCluster {
  readonly nodes: ClusterNode[] = [];
  readonly client: ApiClient;
  private daemons: Daemon[] = [];
  private guard: Guard | undefined;
  private mounted = false;

  private constructor(
    readonly net: NetnsNetwork,
    readonly store: StoreCluster,
    readonly apis: ApiServers,
    readonly dir: string,
    private readonly o: NodeClusterOptions,
  ) {
    this.client = new ApiClient({ servers: apis.addresses(), timeoutMs: 10_000 });
  }

  static async create(o: NodeClusterOptions): Promise<NodeCluster> {
    await requireDocker();
    const net = await NetnsNetwork.create(o.nodes);
    let guard: Guard | undefined;
    let store: StoreCluster | undefined;
    let apis: ApiServers | undefined;
    try {
      guard = await installGuard({ cidrs: [SERVICE_CIDR, CLUSTER_CIDR], tag: `${net.tag}-pods` });
      store = await StoreCluster.create(1);
      apis = await ApiServers.start(1, store.endpoints(), { host: net.hostAddress, extraArgs: ['--service-cluster-ip-range', SERVICE_CIDR] });
    } catch (e) {
      await apis?.destroy().catch(() => undefined);
      await store?.destroy().catch(() => undefined);
      await guard?.remove().catch(() => undefined);
      await net.destroy().catch(() => undefined);
      throw e;
    }
    const dir = path.join(NODES_ROOT, net.tag);
    const c = new NodeCluster(net, store, apis, dir, o);
    c.guard = guard;
    try {
      await sweepStaleNodeDirs();
      // The nodes' Docker state lives in memory: container starts are then not bound by this
      // machine's disk (fsyncs of containerd's metadata and overlay layers), as on a real node's SSD.
      mkdirSync(dir, { recursive: true });
      await sh('mount', ['-t', 'tmpfs', '-o', 'size=4g,mode=0755', `mk-e2e-${net.tag}`, dir]);
      c.mounted = true;
      await c.startControlPlane();
      await Promise.all(net.hosts.map((h) => c.startNode(h)));
      await c.waitNodesReady();
      await c.waitLeaders();
    } catch (e) {
      const detail = c.outputs();
      await c.destroy().catch(() => undefined);
      throw new Error(`${(e as Error).message}\n${detail}`);
    }
    return c;
  }

  private async startControlPlane(): Promise<void> {
    const level = this.o.logLevel ?? 'warn';
    const common = ['--mkconfig', this.apis.configFile, '--log-level', level];
    this.daemons.push(Daemon.start('scheduler', MK_SCHEDULER, [...common, '--http-listen', `127.0.0.1:${await freePort()}`, '--identity', 'scheduler']));
    this.daemons.push(
      Daemon.start('controller-manager', MK_CM, [...common, '--http-listen', `127.0.0.1:${await freePort()}`, '--cluster-cidr', CLUSTER_CIDR]),
    );
  }

  private async startNode(host: NetnsHost): Promise<void> {
    const name = `node${host.index + 1}`;
    const dir = path.join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    const node: ClusterNode = { name, host, dir, dockerSocket: path.join(dir, 'docker.sock'), kubeletArgs: [] };
    this.nodes.push(node);
    await this.startDockerd(node);
    await sh(IMAGES, ['-H', `unix://${node.dockerSocket}`], 300_000);
    this.startKubelet(node);
    if (this.o.proxy !== false) this.startProxy(node);
  }

  private async startDockerd(node: ClusterNode): Promise<void> {
    const d = node.dir;
    node.dockerd = Daemon.spawn(`${node.name}-dockerd`, 'nsenter', [
      `--net=/run/netns/${node.host.ns}`,
      '--',
      'dockerd',
      '--host', `unix://${node.dockerSocket}`,
      '--data-root', path.join(d, 'docker'),
      '--exec-root', path.join(d, 'exec'),
      '--pidfile', path.join(d, 'dockerd.pid'),
      '--cgroup-parent', `mk-e2e-${this.net.tag}-${node.name}`,
      '--bip', '172.31.255.1/24',
      '--userland-proxy=false',
      '--log-level', 'warn',
    ]);
    await eventually(
      `${node.name}'s dockerd answers`,
      async () => {
        if (!node.dockerd!.running()) throw new Error(`${node.name}'s dockerd exited: ${node.dockerd!.output.slice(-2000)}`);
        const r = await run('docker', ['-H', `unix://${node.dockerSocket}`, 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
        return r.code === 0;
      },
      60_000,
    );
  }

  startKubelet(node: ClusterNode): void {
    const cfg = path.join(node.dir, 'mkconfig');
    writeFileSync(cfg, ['current-context: e2e', 'contexts:', '  - name: e2e', '    servers:', ...this.apis.addresses().map((s) => `      - ${s}`), ''].join('\n'));
    node.kubelet = Daemon.spawn(`${node.name}-kubelet`, 'nsenter', [
      `--net=/run/netns/${node.host.ns}`,
      '--',
      process.execPath,
      MK_KUBELET,
      '--mkconfig', cfg,
      '--hostname-override', node.name,
      '--node-ip', node.host.address,
      '--docker-endpoint', `unix://${node.dockerSocket}`,
      '--root-dir', path.join(node.dir, 'kubelet'),
      '--listen', '0.0.0.0:10250',
      '--http-listen', '0.0.0.0:10248',
      '--cluster-cidr', CLUSTER_CIDR,
      '--node-lease-renew-interval', '1s',
      '--node-status-update-frequency', '5s',
      '--log-level', this.o.logLevel ?? 'info',
      ...(this.o.kubeletArgs ?? []),
      ...node.kubeletArgs,
    ]);
  }

  startProxy(node: ClusterNode): void {
    const cfg = path.join(node.dir, 'mkconfig');
    node.proxy = Daemon.spawn(`${node.name}-proxy`, 'nsenter', [
      `--net=/run/netns/${node.host.ns}`,
      '--',
      process.execPath,
      MK_PROXY,
      '--mkconfig', cfg,
      '--node-name', node.name,
      '--cluster-cidr', CLUSTER_CIDR,
      '--service-cluster-ip-range', SERVICE_CIDR,
      '--dns-listen', '0.0.0.0:53',
      '--http-listen', '0.0.0.0:10256',
      '--log-level', this.o.logLevel ?? 'warn',
    ]);
  }

  async waitNodesReady(limitMs = 90_000): Promise<void> {
    await eventually(
      `${this.nodes.length} nodes Ready with pod CIDRs`,
      async () => {
        for (const n of this.nodes) if (n.kubelet && !n.kubelet.running()) throw new Error(`${n.name}'s kubelet exited: ${n.kubelet.output.slice(-3000)}`);
        const list = await this.client.list<Node>('nodes').catch(() => undefined);
        const ready = (list?.items ?? []).filter((n) => n.spec?.podCIDR && n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
        return ready.length === this.nodes.length;
      },
      limitMs,
    );
  }

  /** Until the scheduler and the controller manager hold their leases (they act only then). */
  async waitLeaders(limitMs = 60_000): Promise<void> {
    await eventually(
      'the scheduler and the controller manager lead',
      async () => {
        for (const name of ['mk-scheduler', 'mk-controller-manager']) {
          const lease = await this.client.get<Lease>('leases', 'kube-system', name).catch(() => undefined);
          if (!lease?.spec?.holderIdentity) return false;
        }
        return true;
      },
      limitMs,
    );
  }

  /** Every process this cluster runs, by name (for CPU accounting). */
  processes(): Array<{ name: string; pid: number | undefined }> {
    return [
      ...this.store.members.map((m) => ({ name: `store-${m.name}`, pid: m.daemon?.pid })),
      ...this.apis.servers.map((a) => ({ name: a.name, pid: a.daemon?.pid })),
      ...this.daemons.map((d) => ({ name: d.name, pid: d.pid })),
      ...this.nodes.flatMap((n) => [
        { name: `${n.name}-dockerd`, pid: n.dockerd?.pid },
        { name: `${n.name}-kubelet`, pid: n.kubelet?.pid },
        { name: `${n.name}-proxy`, pid: n.proxy?.pid },
      ]),
    ];
  }

  node(name: string): ClusterNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Runs a command inside node `name`'s network namespace (like a process on that node). */
  inNode(name: string, cmd: string, args: string[], timeoutMs = 20_000): ReturnType<typeof run> {
    return run('nsenter', [`--net=/run/netns/${this.node(name).host.ns}`, '--', cmd, ...args], { timeoutMs });
  }

  /** `docker` against node `name`'s own dockerd. */
  docker(name: string, args: string[], timeoutMs = 30_000): ReturnType<typeof run> {
    return run('docker', ['-H', `unix://${this.node(name).dockerSocket}`, ...args], { timeoutMs });
  }

  mkctl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): ReturnType<ApiServers['mkctl']> {
    return this.apis.mkctl(args, opts);
  }

  outputs(): string {
    const tail = (d: Daemon | undefined) => (d ? `--- ${d.name}\n${d.output.slice(-4000)}` : '');
    return [...this.daemons.map(tail), ...this.nodes.flatMap((n) => [tail(n.kubelet), tail(n.proxy)])].filter((s) => s !== '').join('\n');
  }

  /** Stops everything and removes every trace; throws naming what could not be removed. */
  async destroy(): Promise<void> {
    const errors: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
      }
    };
    for (const n of this.nodes) {
      await step(`${n.name} kubelet`, async () => n.kubelet?.stop());
      await step(`${n.name} proxy`, async () => n.proxy?.stop());
    }
    await Promise.all(this.daemons.map((d) => step(d.name, () => d.stop())));
    for (const n of this.nodes) {
      if (n.dockerd?.running()) {
        await step(`${n.name} containers`, async () => {
          const ids = (await sh('docker', ['-H', `unix://${n.dockerSocket}`, 'ps', '-aq'])).split('\n').filter((s) => s !== '');
          if (ids.length > 0) await sh('docker', ['-H', `unix://${n.dockerSocket}`, 'rm', '-f', ...ids], 120_000);
          await run('docker', ['-H', `unix://${n.dockerSocket}`, 'network', 'rm', 'mk-pods'], { timeoutMs: 20_000 });
        });
      }
      await step(`${n.name} dockerd`, async () => n.dockerd?.stop());
    }
    this.client.close();
    await step('api servers', () => this.apis.destroy());
    await step('store', () => this.store.destroy());
    await step('network', () => this.net.destroy());
    await step('guard', async () => this.guard?.remove());
    await step('directories', async () => {
      // Docker's overlay mounts are gone with its dockerd; the tmpfs goes with everything on it.
      if (this.mounted) await unmountTree(this.dir);
      rmSync(this.dir, { recursive: true, force: true });
    });
    if (errors.length > 0) throw new Error(`cluster cleanup incomplete: ${errors.join('; ')}`);
  }
}
