/**
 * Services and their ready endpoints as iptables rules: kube-proxy's iptables mode, with MK-
 * prefixes. Pure: objects in, `iptables-restore --noflush` text out.
 *
 * nat:
 *   PREROUTING, OUTPUT ─→ MK-SERVICES
 *     -d <clusterIP>/32 -p tcp --dport 80 ─→ MK-SVC-<hash>        (one per service port)
 *     ... last: -m addrtype --dst-type LOCAL ─→ MK-NODEPORTS
 *   MK-NODEPORTS: -p tcp --dport <nodePort> ─→ MK-MARK-MASQ, then ─→ MK-SVC-<hash>
 *   MK-SVC-<hash>: ! -s <clusterCIDR> (node-originated) ─→ MK-MARK-MASQ;
 *                  -m statistic --mode random --probability 1/(n-i) ─→ MK-SEP-<hash> (last: no match)
 *   MK-SEP-<hash>: -s <endpointIP>/32 ─→ MK-MARK-MASQ (hairpin); DNAT --to-destination ip:port
 *   MK-MARK-MASQ: MARK --or-mark 0x4000
 *   POSTROUTING ─→ MK-POSTROUTING: unmarked RETURN; clear the mark; MASQUERADE
 * filter:
 *   INPUT, OUTPUT, FORWARD ─→ MK-SERVICES: REJECT service ports with no ready endpoint
 *     (tcp: tcp-reset, so a client gets "connection refused" at once, not a hang)
 *   OUTPUT, FORWARD ─→ MK-SERVICE-GUARD: REJECT whatever is still addressed to the service CIDR
 *     after NAT, so a service IP never leaves the node un-DNATed.
 *
 * Only MK- chains are written: each is declared (`:MK-X - [0:0]`, which creates or flushes it)
 * and refilled; MK-SVC/MK-SEP chains that exist but are no longer wanted are flushed and deleted
 * (`-X`). The jumps from the built-in chains are `JUMPS`, ensured separately (check, then insert).
 */
import { createHash } from 'node:crypto';
import type { Endpoints, EndpointPort, Protocol, Service, ServicePort } from '@mk/api';

export const MASQ_MARK = '0x4000/0x4000';

export type Table = 'nat' | 'filter';

export const CHAIN = {
  services: 'MK-SERVICES',
  nodePorts: 'MK-NODEPORTS',
  postrouting: 'MK-POSTROUTING',
  markMasq: 'MK-MARK-MASQ',
  guard: 'MK-SERVICE-GUARD',
} as const;

/** A rule in a built-in chain that sends packets to one of ours; identified by its comment. */
export interface JumpRule {
  table: Table;
  chain: 'PREROUTING' | 'OUTPUT' | 'POSTROUTING' | 'INPUT' | 'FORWARD';
  /** The rule's arguments after the chain name (`-m comment ... -j MK-...`). */
  args: string[];
}

const jump = (table: Table, chain: JumpRule['chain'], target: string, why: string): JumpRule => ({
  table,
  chain,
  args: ['-m', 'comment', '--comment', `mk-proxy: ${why}`, '-j', target],
});

/** Every jump from a built-in chain into ours. */
export const JUMPS: readonly JumpRule[] = [
  jump('nat', 'PREROUTING', CHAIN.services, 'service portals'),
  jump('nat', 'OUTPUT', CHAIN.services, 'service portals'),
  jump('nat', 'POSTROUTING', CHAIN.postrouting, 'postrouting rules'),
  jump('filter', 'INPUT', CHAIN.services, 'service ports without endpoints'),
  jump('filter', 'OUTPUT', CHAIN.services, 'service ports without endpoints'),
  jump('filter', 'FORWARD', CHAIN.services, 'service ports without endpoints'),
  jump('filter', 'OUTPUT', CHAIN.guard, 'no un-NATed service traffic leaves'),
  jump('filter', 'FORWARD', CHAIN.guard, 'no un-NATed service traffic leaves'),
];

/** Chains written by every sync in each table (besides the per-service ones). */
const FIXED_CHAINS: Record<Table, string[]> = {
  nat: [CHAIN.services, CHAIN.nodePorts, CHAIN.postrouting, CHAIN.markMasq],
  filter: [CHAIN.services, CHAIN.guard],
};

/**
 * Whether a chain is one mk-proxy makes (and may flush or delete): the fixed ones and the
 * per-service MK-SVC-/MK-SEP- ones. Another component's MK- chain is left alone.
 */
export function isProxyChain(name: string, table?: Table): boolean {
  if (/^MK-(SVC|SEP)-[A-Z2-7]{16}$/.test(name)) return table === undefined || table === 'nat';
  return (table ? FIXED_CHAINS[table] : [...FIXED_CHAINS.nat, ...FIXED_CHAINS.filter]).includes(name);
}

export interface RulesOptions {
  /** The pods' CIDR: ClusterIP traffic from outside it (the node itself) is masqueraded. */
  clusterCIDR: string;
  /** The service CIDR: whatever is still addressed to it after NAT is rejected. */
  serviceCIDR: string;
  /** The MK-SVC/MK-SEP chains that exist in nat now: those no longer wanted are deleted. */
  existingNatChains?: readonly string[];
}

export interface ProxyRules {
  /** `iptables-restore --noflush` input for nat and filter. */
  restore: string;
  /** Rules (`-A` lines) per table. */
  ruleCounts: Record<Table, number>;
  /** Chains this sync declares in nat (fixed ones, then per service port and endpoint). */
  natChains: string[];
  /** Service ports written (with or without endpoints). */
  servicePorts: number;
}

/** An endpoint of one service port: where DNAT sends a connection. */
export interface ServicePortEndpoint {
  ip: string;
  port: number;
}

const base32 = (buf: Buffer): string => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
};

/** kube-proxy's chain naming: the first 16 base32 characters of sha256(name + protocol [+ endpoint]). */
function chainHash(...parts: string[]): string {
  return base32(createHash('sha256').update(parts.join('')).digest()).slice(0, 16);
}

/** `namespace/name` of an object (a service and its Endpoints share it). */
const endpointsKey = (ns: string | undefined, name: string | undefined) => `${ns ?? 'default'}/${name ?? ''}`;

/** `ns/name:portName` as kube-proxy names a service port (`ns/name` for an unnamed one). */
export function servicePortName(svc: Service, sp: ServicePort): string {
  const base = endpointsKey(svc.metadata.namespace, svc.metadata.name);
  return sp.name ? `${base}:${sp.name}` : base;
}

const protocolOf = (p: { protocol?: Protocol }): Protocol => p.protocol ?? 'TCP';

export function serviceChain(svc: Service, sp: ServicePort): string {
  return `MK-SVC-${chainHash(servicePortName(svc, sp), protocolOf(sp).toLowerCase())}`;
}

export function endpointChain(svc: Service, sp: ServicePort, ep: ServicePortEndpoint): string {
  return `MK-SEP-${chainHash(servicePortName(svc, sp), protocolOf(sp).toLowerCase(), `${ep.ip}:${ep.port}`)}`;
}

/** Whether a service gets rules: a ClusterIP (not headless, not ExternalName). */
export function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec.clusterIP;
  return !!ip && ip !== 'None' && svc.spec.type !== 'ExternalName';
}

/**
 * The ready endpoints of one service port, sorted by ip then port. An Endpoints port belongs to a
 * service port when name and protocol match (the endpoints controller writes the service port's
 * name with targetPort resolved per pod); an unnamed service port with a numeric targetPort also
 * takes an unnamed Endpoints port of that number.
 */
export function readyEndpoints(sp: ServicePort, eps: Endpoints | undefined): ServicePortEndpoint[] {
  const out: ServicePortEndpoint[] = [];
  const seen = new Set<string>();
  for (const subset of eps?.subsets ?? []) {
    const port = matchPort(sp, subset.ports ?? []);
    if (port === undefined) continue;
    for (const a of subset.addresses ?? []) {
      const key = `${a.ip}:${port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ip: a.ip, port });
    }
  }
  return out.sort((a, b) => compareIp(a.ip, b.ip) || a.port - b.port);
}

function matchPort(sp: ServicePort, ports: readonly EndpointPort[]): number | undefined {
  const protocol = protocolOf(sp);
  const sameProto = ports.filter((p) => protocolOf(p) === protocol);
  const byName = sameProto.find((p) => (p.name ?? '') === (sp.name ?? ''));
  if (byName) return byName.port;
  // A subset written without port names (by hand, or a single-port service) still serves a numeric targetPort.
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number' && !sp.name) return sameProto.find((p) => p.port === target)?.port;
  return undefined;
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** `1/(n-i)` as kube-proxy prints it: ten decimals. */
const probability = (remaining: number): string => (1 / remaining).toFixed(10);

const comment = (text: string): string[] => ['-m', 'comment', '--comment', quote(text)];

/** iptables-restore splits on spaces unless quoted. */
const quote = (s: string): string => (/^[A-Za-z0-9_./:-]+$/.test(s) ? s : `"${s.replace(/["\\]/g, '')}"`);

/**
 * The whole `iptables-restore --noflush` input for these services and endpoints. Services are
 * taken in namespace/name order and ports in spec order, so equal inputs give equal text.
 */
export function buildRules(services: readonly Service[], endpoints: readonly Endpoints[], opts: RulesOptions): ProxyRules {
  const epsByKey = new Map(endpoints.map((e) => [endpointsKey(e.metadata.namespace, e.metadata.name), e]));
  const nat: string[] = [];
  const filter: string[] = [];
  const natChains: string[] = [...FIXED_CHAINS.nat];
  const svcChains: string[] = [];
  const nodePortRules: string[] = [];
  let servicePorts = 0;
  const add = (lines: string[], chain: string, ...args: string[]) => lines.push(['-A', chain, ...args].join(' '));

  const sorted = [...services].filter(hasClusterIP).sort((a, b) => {
    const ka = endpointsKey(a.metadata.namespace, a.metadata.name);
    const kb = endpointsKey(b.metadata.namespace, b.metadata.name);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const svc of sorted) {
    const clusterIP = svc.spec.clusterIP!;
    const eps = epsByKey.get(endpointsKey(svc.metadata.namespace, svc.metadata.name));
    const nodePorts = svc.spec.type === 'NodePort' || svc.spec.type === 'LoadBalancer';
    for (const sp of svc.spec.ports ?? []) {
      servicePorts++;
      const name = servicePortName(svc, sp);
      const proto = protocolOf(sp).toLowerCase();
      const match = ['-p', proto, '-m', proto];
      const ready = readyEndpoints(sp, eps);
      const nodePort = nodePorts && sp.nodePort ? String(sp.nodePort) : undefined;
      if (ready.length === 0) {
        // Refused at once rather than left to time out.
        const reject = ['-j', 'REJECT', '--reject-with', proto === 'tcp' ? 'tcp-reset' : 'icmp-port-unreachable'];
        add(filter, CHAIN.services, ...comment(`${name} has no endpoints`), ...match, '-d', `${clusterIP}/32`, '--dport', String(sp.port), ...reject);
        if (nodePort) add(filter, CHAIN.services, ...comment(`${name} has no endpoints`), '-m', 'addrtype', '--dst-type', 'LOCAL', ...match, '--dport', nodePort, ...reject);
        continue;
      }
      const svcChain = serviceChain(svc, sp);
      svcChains.push(svcChain);
      add(nat, CHAIN.services, ...comment(`${name} cluster IP`), ...match, '-d', `${clusterIP}/32`, '--dport', String(sp.port), '-j', svcChain);
      if (nodePort) {
        nodePortRules.push(['-A', CHAIN.nodePorts, ...comment(name), ...match, '--dport', nodePort, '-j', CHAIN.markMasq].join(' '));
        nodePortRules.push(['-A', CHAIN.nodePorts, ...comment(name), ...match, '--dport', nodePort, '-j', svcChain].join(' '));
      }
      const svcLines: string[] = [];
      const sepLines: string[] = [];
      // Node-originated (not from a pod): replies must come back through this node.
      add(svcLines, svcChain, ...comment(`${name} cluster IP`), ...match, '!', '-s', opts.clusterCIDR, '-d', `${clusterIP}/32`, '--dport', String(sp.port), '-j', CHAIN.markMasq);
      ready.forEach((ep, i) => {
        const sep = endpointChain(svc, sp, ep);
        svcChains.push(sep);
        const stat = i < ready.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(ready.length - i)] : [];
        add(svcLines, svcChain, ...comment(`${name} -> ${ep.ip}:${ep.port}`), ...stat, '-j', sep);
        // Hairpin: a pod reaching itself through its service.
        add(sepLines, sep, ...comment(name), '-s', `${ep.ip}/32`, '-j', CHAIN.markMasq);
        add(sepLines, sep, ...comment(name), ...match, '-j', 'DNAT', '--to-destination', `${ep.ip}:${ep.port}`);
      });
      nat.push(...svcLines, ...sepLines);
    }
  }
  // Service rules before the per-chain ones, NodePorts last (they match any local address).
  const servicesRules = nat.filter((l) => l.startsWith(`-A ${CHAIN.services} `));
  const chainRules = nat.filter((l) => !l.startsWith(`-A ${CHAIN.services} `));
  const natRules = [
    ...servicesRules,
    ['-A', CHAIN.services, ...comment('mk-proxy: nodeports; must be last'), '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', CHAIN.nodePorts].join(' '),
    ...nodePortRules,
    ['-A', CHAIN.markMasq, '-j', 'MARK', '--or-mark', '0x4000'].join(' '),
    ['-A', CHAIN.postrouting, '-m', 'mark', '!', '--mark', MASQ_MARK, '-j', 'RETURN'].join(' '),
    // The mark is cleared so a packet that is re-NATed (encapsulation) is not masqueraded twice.
    ['-A', CHAIN.postrouting, '-j', 'MARK', '--xor-mark', '0x4000'].join(' '),
    ['-A', CHAIN.postrouting, ...comment('mk-proxy: service traffic requiring SNAT'), '-j', 'MASQUERADE'].join(' '),
    ...chainRules,
  ];
  add(filter, CHAIN.guard, ...comment('mk-proxy: service IP not NATed'), '-d', opts.serviceCIDR, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable');

  natChains.push(...svcChains);
  const wanted = new Set(natChains);
  const stale = (opts.existingNatChains ?? [])
    .filter((c) => isProxyChain(c, 'nat') && !wanted.has(c))
    .sort();
  const text = [
    '*nat',
    ...[...natChains, ...stale].map((c) => `:${c} - [0:0]`),
    ...natRules,
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
    '*filter',
    ...FIXED_CHAINS.filter.map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
  return { restore: text, ruleCounts: { nat: natRules.length, filter: filter.length }, natChains, servicePorts };
}

/**
 * Input that empties and deletes the given chains that are ours (others are skipped); jumps into
 * them must be gone first (a referenced chain cannot be deleted).
 */
export function buildCleanup(chains: Partial<Record<Table, readonly string[]>>): string {
  const out: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const mine = (chains[table] ?? []).filter((c) => isProxyChain(c, table));
    if (mine.length === 0) continue;
    out.push(`*${table}`, ...mine.map((c) => `:${c} - [0:0]`), ...mine.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
