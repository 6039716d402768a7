import type { ResourceInfo } from '@mk/api';

/**
 * Where objects live in the store, as in Kubernetes: `/registry/<resource>/<namespace>/<name>`
 * for namespaced resources, `/registry/<resource>/<name>` for cluster-scoped ones.
 */
export const REGISTRY_PREFIX = '/registry/';

export function objectKey(r: ResourceInfo, namespace: string, name: string): string {
  return r.namespaced ? `${REGISTRY_PREFIX}${r.resource}/${namespace}/${name}` : `${REGISTRY_PREFIX}${r.resource}/${name}`;
}

/** The prefix of every object of `r` (in `namespace`, when given and namespaced). */
export function resourcePrefix(r: ResourceInfo, namespace = ''): string {
  return r.namespaced && namespace !== '' ? `${REGISTRY_PREFIX}${r.resource}/${namespace}/` : `${REGISTRY_PREFIX}${r.resource}/`;
}

/** Keys that reserve an allocated value (a Service's cluster IP, a node port) across API servers. */
export function allocationKey(range: 'clusterips' | 'nodeports', value: string): string {
  return `${REGISTRY_PREFIX}ranges/${range}/${value}`;
}
