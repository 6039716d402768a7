/** Service and Endpoints objects for the proxy's unit tests. */
import type { EndpointAddress, EndpointPort, Endpoints, Service, ServiceSpec } from '@mk/api';

export function service(ns: string, name: string, spec: ServiceSpec): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name, resourceVersion: '1' }, spec };
}

export function endpoints(
  ns: string,
  name: string,
  subsets: Array<{ ready?: string[]; notReady?: string[]; ports: EndpointPort[]; hostnames?: Record<string, string> }>,
): Endpoints {
  const addr = (ip: string, hostnames?: Record<string, string>): EndpointAddress => ({ ip, ...(hostnames?.[ip] ? { hostname: hostnames[ip] } : {}) });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { namespace: ns, name, resourceVersion: '1' },
    subsets: subsets.map((s) => ({
      ...(s.ready ? { addresses: s.ready.map((ip) => addr(ip, s.hostnames)) } : {}),
      ...(s.notReady ? { notReadyAddresses: s.notReady.map((ip) => addr(ip, s.hostnames)) } : {}),
      ports: s.ports,
    })),
  };
}
