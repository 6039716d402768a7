import { Rng } from '@mk/shared';
import { InvalidArgumentError } from '@mk/shared';

/**
 * Cluster IPs from the service CIDR and node ports from their range, reserved by a store key each
 * (`/registry/ranges/clusterips/<ip>`) created in the same transaction as the Service, so two API
 * servers can never hand out one address twice. Picking is random; a taken value makes the
 * transaction fail and the registry tries another.
 */
export class ServiceCidr {
  readonly base: number;
  readonly size: number;

  constructor(readonly cidr: string) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const bits = m ? Number(m[5]) : NaN;
    if (!m || octets.some((o) => o > 255) || !(bits >= 8 && bits <= 30)) {
      throw new InvalidArgumentError(`--service-cluster-ip-range: ${JSON.stringify(cidr)} is not an IPv4 CIDR between /8 and /30`);
    }
    this.size = 2 ** (32 - bits);
    this.base = (((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!) & ~(this.size - 1) >>> 0;
  }

  /** The first usable address (network + 1): the `kubernetes` Service's in Kubernetes. */
  first(): string {
    return ipString(this.base + 1);
  }

  contains(ip: string): boolean {
    const n = ipNumber(ip);
    return n !== undefined && n > this.base && n < this.base + this.size - 1;
  }

  /** A random usable address other than the first (reserved). */
  pick(rng: Rng): string {
    return ipString(this.base + 2 + rng.int(this.size - 3));
  }
}

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export function pickNodePort(rng: Rng, taken: ReadonlySet<number>): number {
  for (let i = 0; i < 64; i++) {
    const p = NODE_PORT_MIN + rng.int(NODE_PORT_MAX - NODE_PORT_MIN + 1);
    if (!taken.has(p)) return p;
  }
  for (let p = NODE_PORT_MIN; p <= NODE_PORT_MAX; p++) if (!taken.has(p)) return p;
  throw new InvalidArgumentError('no node port is free in 30000-32767');
}

export function ipNumber(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;
}

export function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
