/**
 * Several "hosts" on one machine, for tests that need real network partitions. Each host is a
 * network namespace with one veth into a bridge on the host, all in a private /24 picked at random
 * in 10.213.0.0/16 (checked against every route and address first):
 *
 *     host (test process, clients, etcdctl)   10.213.R.1   on bridge mkt-<tag>
 *       ├─ veth mkt-<tag>-1 ── netns mkt-<tag>-1: eth0 10.213.R.11, lo
 *       ├─ veth mkt-<tag>-2 ── netns mkt-<tag>-2: eth0 10.213.R.12, lo
 *       └─ ...
 *
 * A process runs on host i when started through `hosts[i].spawnPrefix` (nsenter --net, which,
 * unlike `ip netns exec`, does not remount /sys).
 *
 * Partitions are iptables DROP rules inside the members' own namespaces, per pair of members:
 * `isolate(i)` cuts member i from every other member, but the host can still reach it, so the
 * test's clients keep talking to the isolated member and must see it time out, never answer from
 * stale state. DROP (not REJECT): a partition loses packets, it does not refuse connections.
 * `heal()` flushes those rules.
 *
 * Safety. Traffic may go only to loopback or to these namespaces: the namespaces have no default
 * route (only their /24 is reachable from them), and before anything is created a guard REJECTs the
 * subnet on every interface that has a default route (OUTPUT and FORWARD), so even a client left
 * connecting after the bridge is gone cannot send a packet off the machine. Host rules carry the
 * comment `mkt-<tag>-...`; no other rule is touched. `destroy()` removes every namespace, veth,
 * bridge and rule this made (the guard last) and says what it could not remove. Names embed the
 * creating process id (`mkt-<pid base 36>-<random>`), so `sweepStaleNetns()` (run by `create`)
 * removes only what a process that no longer exists left behind, never a concurrent run's.
 */
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { pidAlive, run } from './processes';

const CHAIN = 'MKT-PARTITION';
const NAME = /^mkt-([0-9a-z]{1,7})-([0-9a-z]{2})(?:-(\d+))?$/;
const RULE_COMMENT = /--comment "?(mkt-([0-9a-z]{1,7})-[0-9a-z]{2})-(guard|bridge)"?(\s|$)/;

export interface NetnsHost {
  /** 0-based, the order of `hosts`. */
  index: number;
  ns: string;
  address: string;
  /** The host end of this namespace's veth (the namespace end is its eth0). */
  hostVeth: string;
  /** Prepend to a command to run it in this namespace. */
  spawnPrefix: string[];
}

interface HostRule {
  chain: 'OUTPUT' | 'FORWARD';
  spec: string[];
}

async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, { input, timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

const inNs = (ns: string, cmd: string, args: string[], input?: string) => sh('nsenter', [`--net=/run/netns/${ns}`, '--', cmd, ...args], input);

/**
 * Fails with a clear message (never skips) when something the namespaces need is missing:
 * root, iproute2's `ip`, util-linux's `nsenter`, a working `iptables` (`bash scripts/setup`
 * installs it).
 */
export async function requireNetnsTools(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('network namespaces need root (ip netns, iptables)');
  const missing: string[] = [];
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['nsenter', ['--version']],
    ['iptables', ['-w', '5', '-S', 'OUTPUT']],
    ['iptables-restore', ['--version']],
  ] as const) {
    const r = await run(cmd, [...args], { timeoutMs: 10_000 }).catch(() => undefined);
    if (!r || r.code !== 0) missing.push(`${cmd} (${(r?.stderr ?? 'not found').trim() || 'not found'})`);
  }
  if (missing.length > 0) {
    throw new Error(`partition tests need iproute2, nsenter and a working iptables; missing or broken: ${missing.join('; ')}. \`bash scripts/setup\` installs iptables.`);
  }
}

/** Whether a name (namespace, link, rule comment) was made by a process of ours that is gone. */
function staleTag(pid36: string): boolean {
  const pid = parseInt(pid36, 36);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !pidAlive(pid);
}

async function killProcessesIn(ns: string): Promise<number[]> {
  // Only processes inside a namespace this module made (named mkt-<tag>-<i>): those it started.
  const r = await run('ip', ['netns', 'pids', ns], { timeoutMs: 10_000 });
  const pids = r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((p) => p > 0) : [];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

async function listNamespaces(): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter(Boolean);
}

async function listLinks(): Promise<string[]> {
  const out = await sh('ip', ['-o', 'link', 'show']);
  return out.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((n): n is string => !!n);
}

/** Our host rules (by comment) in OUTPUT and FORWARD, as `-D` argument lists. */
async function listRules(): Promise<Array<{ tag: string; pid36: string; args: string[] }>> {
  const rules = [];
  for (const chain of ['OUTPUT', 'FORWARD']) {
    const out = await sh('iptables', ['-w', '5', '-S', chain]);
    for (const line of out.split('\n')) {
      const m = RULE_COMMENT.exec(line);
      if (!m || !line.startsWith(`-A ${chain} `)) continue;
      // Our rules have no quoted words with spaces: the line splits back into its arguments.
      rules.push({ tag: m[1]!, pid36: m[2]!, args: ['-D', ...line.replace(/"/g, '').split(/\s+/).slice(1)] });
    }
  }
  return rules;
}

/**
 * Removes what a run that no longer exists left behind (killed before its cleanup): namespaces
 * (and the processes it started in them), links and host rules named with our prefix whose
 * creating process is gone. Returns what it removed.
 */
export async function sweepStaleNetns(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await listNamespaces()) {
    const m = NAME.exec(ns);
    if (!m || m[3] === undefined || !staleTag(m[1]!)) continue;
    await killProcessesIn(ns);
    await run('ip', ['netns', 'del', ns]);
    removed.push(`netns ${ns}`);
  }
  for (const link of await listLinks()) {
    const m = NAME.exec(link);
    if (!m || !staleTag(m[1]!)) continue;
    await run('ip', ['link', 'del', link]);
    removed.push(`link ${link}`);
  }
  for (const rule of await listRules()) {
    if (!staleTag(rule.pid36)) continue;
    await sh('iptables', ['-w', '5', ...rule.args]);
    removed.push(`rule ${rule.args.join(' ')}`);
  }
  return removed;
}

/** Whether bridged IPv4 frames cross iptables (br_netfilter loaded and on). */
function bridgeNetfilter(): boolean {
  try {
    return readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** Every IPv4 range some route (any table) or address already uses, except default routes. */
/** Every IPv4 range this machine routes or holds an address in, as [first, last] integers. */
export async function usedRanges(): Promise<Array<[number, number]>> {
  const out = (await sh('ip', ['-4', '-o', 'route', 'show', 'table', 'all'])) + (await sh('ip', ['-4', '-o', 'addr', 'show']));
  const ranges: Array<[number, number]> = [];
  for (const m of out.matchAll(/(?:^|\s)(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/gm)) {
    const len = m[2] === undefined ? 32 : Number(m[2]);
    if (len === 0) continue;
    const base = ipToInt(m[1]!);
    const size = 2 ** (32 - len);
    const start = base - (base % size);
    ranges.push([start, start + size - 1]);
  }
  return ranges;
}

/**
 * The interfaces traffic leaves the machine (or, given `ns`, that network namespace) through:
 * those with a default route.
 */
export async function outsideInterfaces(ns?: string): Promise<string[]> {
  const args = ['-4', '-o', 'route', 'show', 'table', 'all'];
  const out = ns === undefined ? await sh('ip', args) : await inNs(ns, 'ip', args);
  const devs = new Set<string>();
  for (const line of out.split('\n')) {
    if (!/^(unicast\s+)?default\s/.test(line)) continue;
    const dev = /\sdev\s+(\S+)/.exec(line)?.[1];
    if (dev && dev !== 'lo') devs.add(dev);
  }
  return [...devs];
}

export class NetnsNetwork {
  readonly hosts: NetnsHost[] = [];
  /** Set when no interface had a default route, so no guard was needed (or installed). */
  noDefaultRoute = false;
  private readonly rules: HostRule[] = [];
  private readonly cuts = new Set<string>();
  private bridgeMade = false;

  private constructor(
    /** `mkt-<pid base 36>-<2 random chars>`: the bridge's name and every other name's prefix. */
    readonly tag: string,
    /** The third octet of 10.213.R.0/24. */
    private readonly octet: number,
  ) {}

  get subnet(): string {
    return `10.213.${this.octet}.0/24`;
  }

  get bridge(): string {
    return this.tag;
  }

  get hostAddress(): string {
    return `10.213.${this.octet}.1`;
  }

  /** `n` namespaces on a fresh bridge. On any failure, what was made is removed before rethrowing. */
  static async create(n: number): Promise<NetnsNetwork> {
    if (n < 1 || n > 9) throw new RangeError('1 to 9 hosts');
    await requireNetnsTools();
    await sweepStaleNetns();
    const used = await usedRanges();
    let octet = -1;
    for (let i = 0; i < 100 && octet < 0; i++) {
      const r = randomInt(256);
      const lo = ipToInt(`10.213.${r}.0`);
      if (!used.some(([a, b]) => a <= lo + 255 && lo <= b)) octet = r;
    }
    if (octet < 0) throw new Error('no free /24 in 10.213.0.0/16');
    const rand = Array.from({ length: 2 }, () => '0123456789abcdefghijklmnopqrstuvwxyz'[randomInt(36)]).join('');
    const net = new NetnsNetwork(`mkt-${process.pid.toString(36)}-${rand}`, octet);
    try {
      await net.setUp(n);
    } catch (e) {
      const leftovers = await net.destroy().catch((d: Error) => d.message);
      throw new Error(`${(e as Error).message}${leftovers ? `\n(cleanup: ${leftovers})` : ''}`);
    }
    return net;
  }

  private async addRule(chain: HostRule['chain'], spec: string[]): Promise<void> {
    await sh('iptables', ['-w', '5', '-I', chain, ...spec]);
    this.rules.push({ chain, spec });
  }

  private async setUp(n: number): Promise<void> {
    // 1. The guard, before anything could send to the subnet.
    const outside = await outsideInterfaces();
    this.noDefaultRoute = outside.length === 0;
    for (const dev of outside) {
      for (const chain of ['OUTPUT', 'FORWARD'] as const) {
        await this.addRule(chain, ['-d', this.subnet, '-o', dev, '-m', 'comment', '--comment', `${this.tag}-guard`, '-j', 'REJECT']);
      }
    }
    // 2. The bridge. With bridge netfilter on, bridged frames cross the host's FORWARD chain, whose
    // policy Docker sets to DROP (possibly while we run): accept what stays on our bridge.
    await sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    this.bridgeMade = true;
    if (bridgeNetfilter()) {
      await this.addRule('FORWARD', ['-i', this.bridge, '-o', this.bridge, '-m', 'comment', '--comment', `${this.tag}-bridge`, '-j', 'ACCEPT']);
    }
    await sh('ip', ['addr', 'add', `${this.hostAddress}/24`, 'dev', this.bridge]);
    await sh('ip', ['link', 'set', this.bridge, 'up']);
    // Another run may have picked the same /24 at the same moment: then only one of us may keep it.
    const others = (await sh('ip', ['-4', '-o', 'route', 'show', 'table', 'all']))
      .split('\n')
      .filter((l) => l.includes(`10.213.${this.octet}.`) && /\sdev\s+(\S+)/.exec(l)?.[1] !== this.bridge);
    if (others.length > 0) throw new Error(`${this.subnet} is also routed elsewhere: ${others.join('; ')}`);
    // 3. The namespaces: eth0 with the member's address, lo, no default route, an empty partition chain.
    for (let i = 0; i < n; i++) {
      const host: NetnsHost = {
        index: i,
        ns: `${this.tag}-${i + 1}`,
        address: `10.213.${this.octet}.${11 + i}`,
        hostVeth: `${this.tag}-${i + 1}`,
        spawnPrefix: ['nsenter', `--net=/run/netns/${this.tag}-${i + 1}`, '--'],
      };
      this.hosts.push(host);
      await sh('ip', ['netns', 'add', host.ns]);
      await sh('ip', ['link', 'add', host.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns]);
      await sh('ip', ['link', 'set', host.hostVeth, 'master', this.bridge, 'up']);
      await inNs(host.ns, 'ip', ['addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
      await inNs(host.ns, 'ip', ['link', 'set', 'eth0', 'up']);
      await inNs(host.ns, 'ip', ['link', 'set', 'lo', 'up']);
      await inNs(host.ns, 'iptables-restore', ['-w', '5', '--noflush'], `*filter\n:${CHAIN} - [0:0]\n-A INPUT -j ${CHAIN}\n-A OUTPUT -j ${CHAIN}\nCOMMIT\n`);
    }
  }

  /** Members currently cut from each other, as "i-j" pairs (0-based). */
  partitions(): string[] {
    return [...this.cuts].sort();
  }

  /**
   * Cuts member `i` from every other member (both directions, packets dropped); the host still
   * reaches it. Returns once the rules are in place in every namespace concerned.
   */
  async isolate(i: number): Promise<void> {
    await this.split([i], this.hosts.map((h) => h.index).filter((j) => j !== i));
  }

  /** Cuts every member of `a` from every member of `b`. */
  async split(a: number[], b: number[]): Promise<void> {
    const drops = new Map<number, string[]>();
    const add = (x: number, y: number) => {
      const peer = this.hosts[y]!.address;
      drops.set(x, [...(drops.get(x) ?? []), `-A ${CHAIN} -s ${peer} -j DROP`, `-A ${CHAIN} -d ${peer} -j DROP`]);
      this.cuts.add(`${Math.min(x, y)}-${Math.max(x, y)}`);
    };
    for (const x of a) for (const y of b) if (x !== y) (add(x, y), add(y, x));
    await Promise.all([...drops].map(([x, lines]) => inNs(this.hosts[x]!.ns, 'iptables-restore', ['-w', '5', '--noflush'], `*filter\n${lines.join('\n')}\nCOMMIT\n`)));
  }

  /** Removes every partition rule. */
  async heal(): Promise<void> {
    await Promise.all(this.hosts.map((h) => inNs(h.ns, 'iptables', ['-w', '5', '-F', CHAIN])));
    this.cuts.clear();
  }

  /**
   * Removes everything this made: processes still inside the namespaces (ours), veths,
   * namespaces (with their rules), the bridge, then the host rules (the guard last). Throws
   * naming whatever is still there afterwards.
   */
  async destroy(): Promise<void> {
    const errors: string[] = [];
    const attempt = async (what: string, cmd: string, args: string[]) => {
      const r = await run(cmd, args, { timeoutMs: 20_000 });
      if (r.code !== 0 && !/Cannot find|No such|does not exist|not found/i.test(r.stderr)) errors.push(`${what}: ${r.stderr.trim()}`);
    };
    for (const h of this.hosts) {
      if ((await listNamespaces()).includes(h.ns)) await killProcessesIn(h.ns);
      await attempt(`veth ${h.hostVeth}`, 'ip', ['link', 'del', h.hostVeth]);
      await attempt(`netns ${h.ns}`, 'ip', ['netns', 'del', h.ns]);
    }
    if (this.bridgeMade) await attempt(`bridge ${this.bridge}`, 'ip', ['link', 'del', this.bridge]);
    for (const r of [...this.rules].reverse()) await attempt(`rule ${r.chain} ${r.spec.join(' ')}`, 'iptables', ['-w', '5', '-D', r.chain, ...r.spec]);
    // What is left with our tag, whatever the commands said.
    const left = [
      ...(await listNamespaces()).filter((n) => n.startsWith(`${this.tag}-`)).map((n) => `netns ${n}`),
      ...(await listLinks()).filter((l) => l === this.tag || l.startsWith(`${this.tag}-`)).map((l) => `link ${l}`),
      ...(await listRules()).filter((r) => r.tag === this.tag).map((r) => `rule ${r.args.join(' ')}`),
    ];
    this.hosts.length = 0;
    this.rules.length = 0;
    this.bridgeMade = false;
    if (left.length > 0 || errors.length > 0) throw new Error(`network cleanup incomplete: ${[...errors, ...left.map((l) => `left: ${l}`)].join('; ')}`);
  }
}
