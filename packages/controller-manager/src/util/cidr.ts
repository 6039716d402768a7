/**
 * Pod CIDR allocation (Kubernetes' cidrset): the cluster CIDR cut into subnets of one mask size,
 * a bitmap of which are taken, the next free one found round-robin from the last allocated.
 * IPv4 only.
 */
export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCIDR(s: string): { base: number; prefix: number } {
  const [ip, len, ...rest] = s.split('/');
  const base = parseIPv4(ip ?? '');
  const prefix = Number(len);
  if (base === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len ?? '') || prefix > 32) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(s)}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (base & mask) >>> 0, prefix };
}

export class CidrSet {
  private readonly base: number;
  private readonly subnetSize: number;
  private readonly used: Uint8Array;
  private next = 0;
  private count = 0;

  constructor(
    readonly clusterCidr: string,
    readonly maskSize: number,
  ) {
    const c = parseCIDR(clusterCidr);
    if (!Number.isInteger(maskSize) || maskSize < c.prefix || maskSize > 32) {
      throw new Error(`node CIDR mask size ${maskSize} must be between the cluster CIDR's prefix (/${c.prefix}) and 32`);
    }
    if (maskSize - c.prefix > 20) throw new Error(`too many node CIDRs: /${c.prefix} cut into /${maskSize} is more than 2^20 subnets`);
    this.base = c.base;
    this.subnetSize = 2 ** (32 - maskSize);
    this.used = new Uint8Array(2 ** (maskSize - c.prefix));
  }

  get capacity(): number {
    return this.used.length;
  }

  get allocated(): number {
    return this.count;
  }

  private index(cidr: string): number | undefined {
    let c;
    try {
      c = parseCIDR(cidr);
    } catch {
      return undefined;
    }
    if (c.prefix !== this.maskSize) return undefined;
    const off = c.base - this.base;
    if (off < 0 || off % this.subnetSize !== 0) return undefined;
    const i = off / this.subnetSize;
    return i < this.used.length ? i : undefined;
  }

  private cidrAt(i: number): string {
    return `${formatIPv4((this.base + i * this.subnetSize) >>> 0)}/${this.maskSize}`;
  }

  /** Marks a CIDR taken (a node that already has it); false when it is not one of ours. */
  occupy(cidr: string): boolean {
    const i = this.index(cidr);
    if (i === undefined) return false;
    if (!this.used[i]) (this.used[i] = 1), this.count++;
    return true;
  }

  isOccupied(cidr: string): boolean {
    const i = this.index(cidr);
    return i !== undefined && this.used[i] === 1;
  }

  /** The next free CIDR (taken now), or undefined when all are in use. */
  allocateNext(): string | undefined {
    for (let k = 0; k < this.used.length; k++) {
      const i = (this.next + k) % this.used.length;
      if (this.used[i]) continue;
      this.used[i] = 1;
      this.count++;
      this.next = (i + 1) % this.used.length;
      return this.cidrAt(i);
    }
    return undefined;
  }

  release(cidr: string): void {
    const i = this.index(cidr);
    if (i !== undefined && this.used[i]) (this.used[i] = 0), this.count--;
  }
}
