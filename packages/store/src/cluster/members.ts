import { etcdserverpb } from '@mk/proto';

/** One member as etcd's API shows it. */
export interface MemberInfo {
  id: number;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

export function memberToPb(m: MemberInfo): etcdserverpb.Member.$Properties {
  return { ID: m.id, name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: false };
}

export function memberFromPb(p: etcdserverpb.Member.$Properties): MemberInfo {
  return { id: p.ID ?? 0, name: p.name ?? '', peerUrls: [...(p.peerURLs ?? [])], clientUrls: [...(p.clientURLs ?? [])] };
}

/**
 * The replicated member list. Changed only by applying committed entries (conf changes, publish,
 * update), so every member sees the same list in the same order of changes.
 */
export class MemberList {
  private readonly members = new Map<number, MemberInfo>();
  private readonly removedIds = new Set<number>();

  constructor(
    public clusterId: number,
    initial: MemberInfo[] = [],
    removed: number[] = [],
  ) {
    for (const m of initial) this.members.set(m.id, { ...m });
    for (const id of removed) this.removedIds.add(id);
  }

  list(): MemberInfo[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id).map((m) => ({ ...m }));
  }

  get(id: number): MemberInfo | undefined {
    const m = this.members.get(id);
    return m && { ...m };
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  isRemoved(id: number): boolean {
    return this.removedIds.has(id);
  }

  removed(): number[] {
    return [...this.removedIds].sort((a, b) => a - b);
  }

  add(m: MemberInfo): void {
    this.members.set(m.id, { ...m });
  }

  remove(id: number): void {
    this.members.delete(id);
    this.removedIds.add(id);
  }

  /** A member announced its name and client URLs (after it started). */
  publish(id: number, name: string, clientUrls: string[]): void {
    const m = this.members.get(id);
    if (m) this.members.set(id, { ...m, name, clientUrls: [...clientUrls] });
  }

  updatePeerUrls(id: number, peerUrls: string[]): void {
    const m = this.members.get(id);
    if (m) this.members.set(id, { ...m, peerUrls: [...peerUrls] });
  }

  /** Another member already uses one of these peer URLs (etcd refuses such an add). */
  peerUrlInUse(peerUrls: string[], except?: number): boolean {
    for (const m of this.members.values()) {
      if (m.id === except) continue;
      if (m.peerUrls.some((u) => peerUrls.includes(u))) return true;
    }
    return false;
  }
}
