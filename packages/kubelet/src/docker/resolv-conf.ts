/** The resolv.conf a pod gets (pure). */
import type { SandboxDns } from '../runtime';

/**
 * Kubernetes' resolv.conf for `dns`. The runtime writes it over the sandbox's own file (as
 * dockershim did): on a user-defined network Docker would otherwise point the pod at its embedded
 * resolver (127.0.0.11) instead of the cluster's DNS server.
 */
export function resolvConf(dns: SandboxDns): string {
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const server of dns.servers) lines.push(`nameserver ${server}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
