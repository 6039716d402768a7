import { createHash } from 'node:crypto';

/**
 * Member and cluster ids as etcd derives them — a hash of the peer URLs and the cluster token (and,
 * for a member added later, the time) — so every founding member computes the same ids without
 * talking. mk keeps ids below 2^53 so they stay exact as JavaScript numbers (etcd's are 64-bit).
 */
function hash53(...parts: string[]): number {
  const digest = createHash('sha1').update(parts.join('\0')).digest();
  const v = digest.readBigUInt64BE(0) & ((1n << 53n) - 1n);
  return v === 0n ? 1 : Number(v);
}

export function memberIdOf(peerUrls: string[], clusterToken: string, addedAtMs?: number): number {
  const urls = [...peerUrls].sort().join(',');
  return addedAtMs === undefined ? hash53('member', urls, clusterToken) : hash53('member', urls, clusterToken, String(addedAtMs));
}

export function clusterIdOf(memberIds: number[], clusterToken: string): number {
  return hash53('cluster', [...memberIds].sort((a, b) => a - b).join(','), clusterToken);
}

/** Hex form used in etcd's messages and logs (e.g. "8e9e05c52164694d"). */
export function idHex(id: number): string {
  return id.toString(16);
}
