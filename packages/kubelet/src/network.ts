/**
 * The node's pod network, host-gw style (DESIGN.md; MACHINE.md "Pod networking and Services"):
 *  - a bridge for this node's pod CIDR (a Docker bridge network the sandboxes join; the gateway,
 *    .1, is the node itself and serves the cluster DNS);
 *  - a route to every other node's pod CIDR via that node's InternalIP, so pod IPs are kept across
 *    nodes (no overlay, no NAT between pods);
 *  - iptables: pod↔pod forwarding accepted (Docker's FORWARD policy is DROP), no masquerade for
 *    pod→pod (Docker masquerades everything leaving its bridge), DNATed flows accepted;
 *  - hairpin mode on the bridge ports, so a pod reaches itself through its Service;
 *  - an `unreachable` route for the whole cluster CIDR, so pod traffic without a route never
 *    leaves by the default route (MACHINE.md's guard, built in).
 * The plans are pure (routePlan, iptablesRules); NodeNetwork carries them out with `ip`/`iptables`.
 */
import { execFile } from 'node:child_process';
import type { Node } from '@mk/api';
import type { Logger } from '@mk/shared';

/** kube-proxy's masquerade mark (mk-proxy uses the same): marked flows must still be masqueraded. */
export const MASQUERADE_MARK = '0x4000/0x4000';
/** Our routes carry this protocol number, so stale ones are found and only ours are removed. */
export const ROUTE_PROTO = '77';
const FORWARD_CHAIN = 'MK-POD-FORWARD';

export interface PodNetworkProvider {
  ensurePodNetwork(spec: { name: string; subnet: string; gateway: string; bridge: string }): Promise<void>;
}

export interface Route {
  cidr: string;
  via: string;
}

export function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The first host address of a CIDR (the bridge's gateway). */
export function gatewayOf(cidr: string): string {
  const [ip, bits] = cidr.split('/');
  const prefix = Number(bits);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`not an IPv4 CIDR with a prefix from 8 to 30: ${JSON.stringify(cidr)}`);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return intToIpv4(((ipv4ToInt(ip) & mask) >>> 0) + 1);
}

function internalIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** The routes this node should have: every other node's pod CIDR via its InternalIP. */
export function desiredRoutes(nodes: readonly Node[], self: string): Route[] {
  const out: Route[] = [];
  for (const n of nodes) {
    if (n.metadata.name === self) continue;
    const cidr = n.spec?.podCIDR;
    const via = internalIP(n);
    if (cidr !== undefined && via !== undefined) out.push({ cidr, via });
  }
  return out.sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** What to add/replace and delete to go from `existing` (our routes now) to `desired`. */
export function routePlan(existing: readonly Route[], desired: readonly Route[]): { replace: Route[]; remove: string[] } {
  const have = new Map(existing.map((r) => [r.cidr, r.via]));
  const want = new Set(desired.map((r) => r.cidr));
  return {
    replace: desired.filter((r) => have.get(r.cidr) !== r.via),
    remove: existing.filter((r) => !want.has(r.cidr)).map((r) => r.cidr),
  };
}

export interface IptablesRule {
  table: 'filter' | 'nat';
  chain: string;
  spec: string[];
}

/**
 * The rules, each ensured with `-C` then inserted at the top of its chain. POSTROUTING's RETURN ends
 * nat processing for pod→pod, before Docker's MASQUERADE; marked flows (hairpin, node-originated
 * service traffic) go on to mk-proxy's masquerade.
 */
export function iptablesRules(podCIDR: string, clusterCIDR: string): IptablesRule[] {
  const comment = (text: string) => ['-m', 'comment', '--comment', `mk-kubelet: ${text}`];
  return [
    { table: 'filter', chain: 'FORWARD', spec: [...comment('pod network'), '-j', FORWARD_CHAIN] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-s', clusterCIDR, '-d', clusterCIDR, ...comment('pod to pod'), '-j', 'ACCEPT'] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-d', clusterCIDR, '-m', 'conntrack', '--ctstate', 'DNAT', ...comment('service and node port traffic to pods'), '-j', 'ACCEPT'] },
    { table: 'filter', chain: FORWARD_CHAIN, spec: ['-d', podCIDR, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...comment('replies to pods'), '-j', 'ACCEPT'] },
    { table: 'nat', chain: 'POSTROUTING', spec: ['-s', podCIDR, '-d', clusterCIDR, '-m', 'mark', '!', '--mark', MASQUERADE_MARK, ...comment('pod to pod keeps its source'), '-j', 'RETURN'] },
  ];
}

export type CommandRunner = (cmd: string, args: string[]) => Promise<string>;

export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`\`${cmd} ${args.join(' ')}\` failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });

export interface NodeNetworkOptions {
  provider: PodNetworkProvider;
  clusterCIDR: string;
  networkName: string;
  bridge: string;
  logger: Logger;
  run?: CommandRunner;
}

export class NodeNetwork {
  private readonly run: CommandRunner;
  private podCIDR: string | undefined;

  constructor(private readonly o: NodeNetworkOptions) {
    this.run = o.run ?? runCommand;
  }

  /** Set once setUp succeeded for a pod CIDR. */
  ready(): boolean {
    return this.podCIDR !== undefined;
  }

  networkName(): string {
    return this.o.networkName;
  }

  cidr(): string | undefined {
    return this.podCIDR;
  }

  gateway(): string | undefined {
    return this.podCIDR === undefined ? undefined : gatewayOf(this.podCIDR);
  }

  /** The bridge network for `podCIDR` and the iptables rules. Idempotent. */
  async setUp(podCIDR: string): Promise<void> {
    await this.o.provider.ensurePodNetwork({ name: this.o.networkName, subnet: podCIDR, gateway: gatewayOf(podCIDR), bridge: this.o.bridge });
    await this.run('iptables', ['-w', '5', '-N', FORWARD_CHAIN]).catch(() => undefined);
    // Insert in reverse so the list's order is the chains' order at the top.
    for (const r of [...iptablesRules(podCIDR, this.o.clusterCIDR)].reverse()) {
      const exists = await this.run('iptables', ['-w', '5', '-t', r.table, '-C', r.chain, ...r.spec]).then(
        () => true,
        () => false,
      );
      if (!exists) await this.run('iptables', ['-w', '5', '-t', r.table, '-I', r.chain, '1', ...r.spec]);
    }
    // The guard: a pod address with no route of its own (a node not routed yet, a typo) is
    // unreachable here instead of following the default route off the node. Every real route
    // (this node's bridge, the other nodes' pod CIDRs) is more specific and wins.
    await this.run('ip', ['-4', 'route', 'replace', 'unreachable', this.o.clusterCIDR, 'proto', ROUTE_PROTO]);
    this.podCIDR = podCIDR;
    this.o.logger.info('pod network ready', { podCIDR, bridge: this.o.bridge, gateway: gatewayOf(podCIDR) });
  }

  /** Our routes as the kernel holds them. */
  async routes(): Promise<Route[]> {
    const out = await this.run('ip', ['-4', 'route', 'show', 'proto', ROUTE_PROTO]);
    const routes: Route[] = [];
    for (const line of out.split('\n')) {
      const m = /^(\S+)\s+via\s+(\S+)/.exec(line.trim());
      if (m) routes.push({ cidr: m[1]!, via: m[2]! });
    }
    return routes;
  }

  /** Brings our routes in line with the other nodes' pod CIDRs. */
  async syncRoutes(nodes: readonly Node[], self: string): Promise<void> {
    const plan = routePlan(await this.routes(), desiredRoutes(nodes, self));
    for (const r of plan.replace) {
      await this.run('ip', ['-4', 'route', 'replace', r.cidr, 'via', r.via, 'proto', ROUTE_PROTO]);
      this.o.logger.info('pod route set', { cidr: r.cidr, via: r.via });
    }
    for (const cidr of plan.remove) {
      await this.run('ip', ['-4', 'route', 'del', cidr, 'proto', ROUTE_PROTO]);
      this.o.logger.info('pod route removed', { cidr });
    }
  }

  /** Hairpin mode on every port of the pod bridge that does not have it yet (new sandboxes add ports). */
  async hairpin(): Promise<void> {
    const out = await this.run('ip', ['-o', '-d', 'link', 'show', 'master', this.o.bridge]).catch(() => '');
    for (const line of out.split('\n')) {
      const m = /^\d+:\s+([^@:\s]+)/.exec(line);
      if (m && !/\bhairpin on\b/.test(line)) await this.run('ip', ['link', 'set', 'dev', m[1]!, 'type', 'bridge_slave', 'hairpin', 'on']).catch(() => undefined);
    }
  }
}
