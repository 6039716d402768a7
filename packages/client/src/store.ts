/**
 * The informer's local cache (client-go's cache.Indexer): objects by `namespace/name` key, plus
 * user-registered indexes (e.g. pods by spec.nodeName). Read-only to everyone but its informer.
 */
import { type KubeObjectLike, metaNamespaceKey, namespacedKey } from './object';

/** The values an object is indexed under (empty: not in this index). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** The index every Indexer has: objects by metadata.namespace (client-go's cache.NamespaceIndex). */
export const NAMESPACE_INDEX = 'namespace';

export const indexByNamespace: IndexFunc<KubeObjectLike> = (obj) => [obj.metadata.namespace ?? ''];

/** What callers may do with a cache: read. */
export interface Store<T> {
  /** By key: `namespace/name`, or `name` for a cluster-scoped object. */
  get(key: string): T | undefined;
  /** By namespace ("" for cluster-scoped) and name. */
  getByName(namespace: string, name: string): T | undefined;
  list(): T[];
  listKeys(): string[];
  /** Objects whose index function for `indexName` returned `value`. Unknown index: throws. */
  byIndex(indexName: string, value: string): T[];
  indexKeys(indexName: string, value: string): string[];
  readonly size: number;
}

export class Indexer<T extends KubeObjectLike> implements Store<T> {
  private readonly items = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name → value → keys. */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    this.addIndexers({ [NAMESPACE_INDEX]: indexByNamespace, ...indexers });
  }

  /** Registers more indexes; objects already cached are indexed at once. A name in use throws. */
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexFuncs.has(name)) throw new RangeError(`index "${name}" already exists`);
      this.indexFuncs.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) this.indexOne(index, fn, key, obj);
    }
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string, name: string): T | undefined {
    return this.items.get(namespacedKey(namespace, name));
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new RangeError(`no index named "${indexName}" (have: ${[...this.indices.keys()].join(', ')})`);
    return [...(index.get(value) ?? [])];
  }

  /** Adds or replaces the object under its key; returns the object it replaced. */
  set(obj: T): T | undefined {
    const key = metaNamespaceKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexFuncs) this.indexOne(this.indices.get(name)!, fn, key, obj);
    return old;
  }

  /** Removes the object at `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old) {
      this.unindex(key, old);
      this.items.delete(key);
    }
    return old;
  }

  private indexOne(index: Map<string, Set<string>>, fn: IndexFunc<T>, key: string, obj: T): void {
    for (const value of fn(obj)) {
      let keys = index.get(value);
      if (!keys) index.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(value);
      }
    }
  }
}
