/**
 * The guard every test installs before it creates Service DNAT rules or pod routes (MACHINE.md,
 * "Pod networking and Services"): REJECT anything addressed to the service and pod CIDRs that
 * would leave through an outside interface (one with a default route), in OUTPUT and FORWARD.
 * A missing DNAT then fails loudly on this machine instead of sending traffic off it.
 *
 *     const guard = await installGuard({ cidrs: ['10.96.0.0/12', '10.244.0.0/16'], tag: 'mkt-proxy-ab' });
 *     try { ... } finally { await guard.remove(); }
 *
 * Each rule carries the comment `<tag>-guard`. Use a tag of your own, not a NetnsNetwork's
 * (its `destroy()` reports rules with its tag that it did not make): `guardTag('proxy')` gives
 * `mkg-proxy-<pid base 36>`, which `sweepStaleGuards()` removes once this process is gone (a run
 * killed before its cleanup). With `netns` the rules go
 * into that namespace (`/run/netns/<netns>`); a namespace with no default route has nowhere to
 * leak to, so nothing is installed there and `installed` is empty (and `note` says so).
 */
import { outsideInterfaces } from './netns';
import { pidAlive, run } from './processes';

/** `mkg-<name>-<this process id, base 36>`: a tag `sweepStaleGuards` recognizes. */
export function guardTag(name: string): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`guardTag: ${JSON.stringify(name)} must be lower-case letters and digits, '-' between`);
  return `mkg-${name}-${process.pid.toString(36)}`;
}

const STALE_COMMENT = /--comment "?mkg-[a-z0-9-]+-([0-9a-z]{1,7})-guard"?(\s|$)/;

/**
 * Removes the host's guard rules (tagged by `guardTag`) whose creating process no longer exists.
 * Returns the rules removed.
 */
export async function sweepStaleGuards(): Promise<string[]> {
  const removed: string[] = [];
  for (const chain of ['OUTPUT', 'FORWARD']) {
    const r = await run('iptables', ['-w', '5', '-S', chain], { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`iptables -S ${chain} failed: ${r.stderr.trim()}`);
    for (const line of r.stdout.split('\n')) {
      const m = STALE_COMMENT.exec(line);
      if (!m || !line.startsWith(`-A ${chain} `)) continue;
      const pid = parseInt(m[1]!, 36);
      if (pid === process.pid || pidAlive(pid)) continue;
      // Guard rules have no quoted words with spaces: the line splits back into its arguments.
      const args = ['-D', ...line.replace(/"/g, '').split(/\s+/).slice(1)];
      const d = await run('iptables', ['-w', '5', ...args], { timeoutMs: 20_000 });
      if (d.code === 0) removed.push(line);
    }
  }
  return removed;
}

export interface GuardOptions {
  /** IPv4 CIDRs that must never leave the machine, e.g. the service and pod CIDRs. */
  cidrs: string[];
  /** Names the rules: each carries the comment `<tag>-guard`. Letters, digits, `-`, `_`, `.`. */
  tag: string;
  /** A network namespace name (as in `ip netns list`); default the host's own namespace. */
  netns?: string;
}

export interface Guard {
  /** The rules installed, as `iptables` arguments after `-I`/`-D` (chain first). */
  readonly installed: ReadonlyArray<readonly string[]>;
  /** Why nothing was installed, when nothing was. */
  readonly note?: string;
  /** Removes every rule this guard installed; throws naming any it could not remove. */
  remove(): Promise<void>;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const TAG = /^[A-Za-z0-9._-]{1,200}$/;

function checkCidr(cidr: string): void {
  const m = CIDR.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw new Error(`installGuard: cidrs: ${JSON.stringify(cidr)} is not an IPv4 CIDR like 10.96.0.0/12`);
  }
}

export async function installGuard(opts: GuardOptions): Promise<Guard> {
  if (opts.cidrs.length === 0) throw new Error('installGuard: cidrs is empty; name the service and pod CIDRs to guard');
  opts.cidrs.forEach(checkCidr);
  if (!TAG.test(opts.tag)) throw new Error(`installGuard: tag ${JSON.stringify(opts.tag)} must be 1-200 letters, digits, '.', '_' or '-'`);
  const prefix = opts.netns === undefined ? [] : ['nsenter', `--net=/run/netns/${opts.netns}`, '--'];
  const where = opts.netns === undefined ? 'the host' : `namespace ${opts.netns}`;
  const iptables = async (args: string[]) => {
    const [cmd, ...rest] = [...prefix, 'iptables', '-w', '5', ...args];
    return run(cmd!, rest, { timeoutMs: 20_000 });
  };

  const outside = await outsideInterfaces(opts.netns);
  const installed: string[][] = [];
  const remove = async () => {
    const errors: string[] = [];
    for (const rule of [...installed].reverse()) {
      const r = await iptables(['-D', ...rule]);
      if (r.code !== 0 && !/does a matching rule exist|No chain|does not exist/i.test(r.stderr)) errors.push(`${rule.join(' ')}: ${r.stderr.trim()}`);
    }
    installed.length = 0;
    if (errors.length > 0) throw new Error(`guard ${opts.tag} in ${where}: could not remove: ${errors.join('; ')}`);
  };
  if (outside.length === 0) {
    return { installed, note: `${where} has no default route: nothing can leave it, no guard installed`, remove };
  }
  try {
    for (const dev of outside) {
      for (const cidr of opts.cidrs) {
        for (const chain of ['OUTPUT', 'FORWARD']) {
          const rule = [chain, '-d', cidr, '-o', dev, '-m', 'comment', '--comment', `${opts.tag}-guard`, '-j', 'REJECT'];
          const r = await iptables(['-I', ...rule]);
          if (r.code !== 0) throw new Error(`guard ${opts.tag} in ${where}: iptables -I ${rule.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
          installed.push(rule);
        }
      }
    }
  } catch (e) {
    await remove().catch(() => undefined);
    throw e;
  }
  return { installed, remove };
}
