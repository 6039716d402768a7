/**
 * An informer without a server: tests (or the FakeCluster) put objects in and the handlers fire as
 * a real Informer's would. Cached objects are deep-frozen like the real cache, so a controller
 * that mutates one fails the test.
 */
import type { KubeObject } from '@mk/api';
import { DeletedFinalStateUnknown, type EventHandler, type IndexFunc, Indexer, deepFreeze, metaNamespaceKey } from '@mk/client';
import type { InformerLike } from '../types';

export class FakeInformer<T extends KubeObject> implements InformerLike<T> {
  private readonly indexer = new Indexer<T>();
  private readonly handlers = new Set<EventHandler<T>>();
  synced = true;

  get store(): Indexer<T> {
    return this.indexer;
  }

  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (handler.onAdd) for (const obj of this.indexer.list()) handler.onAdd(obj);
    return () => this.handlers.delete(handler);
  }

  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void {
    this.indexer.addIndexers(indexers);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Adds or replaces `obj` in the cache and tells the handlers (onAdd or onUpdate). */
  set(obj: T): void {
    const frozen = deepFreeze(structuredClone(obj));
    const old = this.indexer.get(metaNamespaceKey(frozen));
    this.indexer.set(frozen);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, frozen);
      else h.onAdd?.(frozen);
    }
  }

  /** Removes the object with this key; `tombstone` delivers a DeletedFinalStateUnknown. */
  remove(key: string, tombstone = false): void {
    const old = this.indexer.get(key);
    if (!old) return;
    this.indexer.delete(key);
    for (const h of this.handlers) h.onDelete?.(tombstone ? new DeletedFinalStateUnknown(key, old) : old);
  }
}
