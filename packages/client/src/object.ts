/**
 * The least the client library needs to know about an object: its type and its metadata. It is
 * structural on purpose, so @mk/api's `KubeObject` and every kind built on it fit without the
 * client depending on their exact definitions.
 */
export interface ObjectMetaLike {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface KubeObjectLike {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetaLike;
}

/** client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects. */
export function metaNamespaceKey(obj: KubeObjectLike): string {
  return namespacedKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

/** The key of `name` in `namespace` (no namespace: cluster-scoped, the name alone). */
export function namespacedKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The inverse of namespacedKey. */
export function splitMetaNamespaceKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Freezes `value` and everything reachable from it; returns it. Already-frozen parts are skipped. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
