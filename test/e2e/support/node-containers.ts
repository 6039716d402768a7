/**
 * A 3-node cluster in node containers made by `scripts/cluster` (README command 1), isolated from
 * a user's cluster: its own MK_HOME, HOME (no ~/.mk/config link), Docker network, /24 subnet and
 * container names `mkt-<pid base 36>-<label>-node1..3`. Used by the e2e test of the script and by
 * the chaos suite (test/chaos/cluster-chaos.test.ts, scripts/chaos).
 *
 * Safety: nothing is sent to a node address unless the nodes' network exists; `down()` closes every
 * client first (without its bridge a node address would route off the machine), and
 * `scripts/cluster up` installs the host guard for the subnet and the pod/service CIDRs before any
 * node starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '@mk/client';
import { requireDocker } from './node-cluster';
import { ROOT, RunResult, pidAlive, run } from './processes';

const CLUSTER = path.join(ROOT, 'scripts/cluster');
const MKCTL = path.join(ROOT, 'packages/mkctl/dist/bin/mkctl.js');
export const NODE_NAMES = ['node1', 'node2', 'node3'] as const;
export type NodeName = (typeof NODE_NAMES)[number];

/** A 172.30.N.0/24 no route of this machine touches (the script checks again and refuses a clash). */
async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show'])).stdout;
  for (let n = 100; n < 250; n++) {
    if (!routes.includes(`172.30.${n}.`)) return `172.30.${n}`;
  }
  throw new Error('no free 172.30.N.0/24 for the nodes network (ip -4 route shows 172.30.100-249 all in use)');
}

export class NodeContainers {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'mk-node-containers-'));
  readonly network: string;
  readonly prefix: string;
  subnet = '';
  env: NodeJS.ProcessEnv = {};
  /** What `scripts/cluster up` printed (stdout and stderr). */
  upOutput = '';
  private clients: Array<{ close(): void }> = [];

  private constructor(label: string) {
    const tag = `mkt-${process.pid.toString(36)}-${label}`;
    this.network = `${tag}-nodes`;
    this.prefix = `${tag}-`;
  }

  /**
   * Runs `scripts/cluster up` on a fresh network (after removing clusters of earlier runs that
   * were killed before their cleanup). `label`: lowercase letters, unique per test file.
   */
  static async up(label: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<NodeContainers> {
    if (!/^[a-z]+$/.test(label)) throw new Error(`label must be lowercase letters: ${label}`);
    await requireDocker();
    const c = new NodeContainers(label);
    await c.sweepStale();
    c.subnet = await freeSubnet();
    c.env = {
      ...process.env,
      HOME: c.home,
      MK_HOME: c.home,
      MKCONFIG: path.join(c.home, 'config'),
      MK_NODES_NETWORK: c.network,
      MK_NODES_SUBNET: c.subnet,
      MK_NODE_PREFIX: c.prefix,
      MK_LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const up = await c.cluster(['up'], 280_000);
    c.upOutput = `${up.stdout}\n${up.stderr}`;
    if (up.code !== 0) {
      await c.down().catch(() => undefined);
      throw new Error(`scripts/cluster up failed (exit ${up.code}):\n${c.upOutput.slice(-6000)}`);
    }
    return c;
  }

  /** Clusters of earlier runs killed before their cleanup (network mkt-<pid base 36>[-label]-nodes, pid gone). */
  private async sweepStale(): Promise<void> {
    const nets = (await run('docker', ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
    for (const net of nets) {
      const m = /^(mkt-([0-9a-z]+)(?:-[a-z]+)?)-nodes$/.exec(net);
      if (!m || pidAlive(parseInt(m[2]!, 36))) continue;
      const subnetOf = (await run('docker', ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', net])).stdout.trim().replace(/\.0\/24$/, '');
      const r = await this.cluster(['down', '--purge'], 120_000, {
        ...process.env,
        HOME: this.home,
        MK_HOME: path.join(this.home, 'stale'),
        MK_NODES_NETWORK: net,
        MK_NODES_SUBNET: subnetOf,
        MK_NODE_PREFIX: `${m[1]}-`,
      });
      if (r.code !== 0) throw new Error(`removing the stale cluster ${net} failed: ${r.stderr}`);
    }
  }

  /** `scripts/cluster ARGS` for this cluster. */
  cluster(args: string[], timeoutMs = 60_000, withEnv: NodeJS.ProcessEnv = this.env): Promise<RunResult> {
    return run('bash', [CLUSTER, ...args], { env: withEnv, timeoutMs, cwd: ROOT });
  }

  /** mkctl on the host with this cluster's config, as a user types it. */
  mkctl(args: string[], timeoutMs = 30_000): Promise<RunResult> {
    return run(process.execPath, [MKCTL, ...args], { env: this.env, timeoutMs });
  }

  /** A command inside a node container (`docker exec`). */
  exec(node: NodeName, cmd: string[], timeoutMs = 30_000): Promise<RunResult> {
    return run('docker', ['exec', this.container(node), ...cmd], { timeoutMs });
  }

  /** `docker inspect -f FORMAT` of a node's container. */
  async inspect(node: NodeName, format: string): Promise<string> {
    const r = await run('docker', ['inspect', '-f', format, this.container(node)]);
    if (r.code !== 0) throw new Error(`docker inspect ${this.container(node)}: ${r.stderr}`);
    return r.stdout.trim();
  }

  container(node: NodeName): string {
    return `${this.prefix}${node}`;
  }

  nodeIp(node: NodeName | number): string {
    const i = typeof node === 'number' ? node : NODE_NAMES.indexOf(node);
    return `${this.subnet}.${11 + i}`;
  }

  /** A client of the API servers of `nodes` (default: all three), closed by `down()`. */
  client(nodes: readonly NodeName[] = NODE_NAMES, timeoutMs = 5000): ApiClient {
    const c = new ApiClient({ servers: nodes.map((n) => `${this.nodeIp(n)}:6443`), timeoutMs });
    this.clients.push(c);
    return c;
  }

  /** What `down` must leave: no container, network or volume of this cluster, no guard rule. */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    const ps = await run('docker', ['ps', '-a', '--filter', `label=io.mk.cluster=${this.network}`, '--format', '{{.Names}}']);
    if (ps.stdout.trim() !== '') found.push(`containers: ${ps.stdout.trim()}`);
    if ((await run('docker', ['network', 'inspect', this.network])).code === 0) found.push(`network ${this.network}`);
    const vols = (await run('docker', ['volume', 'ls', '-q', '--filter', `name=${this.network}-`])).stdout.trim();
    if (vols !== '') found.push(`volumes: ${vols}`);
    const rules = (await run('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`mk-cluster-guard:${this.network}`));
    if (rules.length > 0) found.push(`guard rules: ${rules.join('; ')}`);
    return found;
  }

  closeClients(): void {
    for (const c of this.clients.splice(0)) c.close();
  }

  /** Closes every client, then `scripts/cluster down --purge`; a second call is harmless. */
  async down(): Promise<RunResult> {
    this.closeClients();
    const r = await this.cluster(['down', '--purge'], 120_000);
    rmSync(this.home, { recursive: true, force: true });
    return r;
  }
}
