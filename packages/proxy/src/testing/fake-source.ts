/** An informer stand-in: a keyed cache whose changes reach the handlers at once. */
import type { EventHandler } from '@mk/client';
import type { ProxySource } from '../proxier';

export class FakeSource<T extends { metadata: { namespace?: string; name?: string } }> implements ProxySource<T> {
  private readonly items = new Map<string, T>();
  private readonly handlers = new Set<EventHandler<T>>();

  readonly store = { list: (): T[] => [...this.items.values()] };

  constructor(initial: T[] = []) {
    for (const o of initial) this.items.set(FakeSource.key(o), o);
  }

  static key(o: { metadata: { namespace?: string; name?: string } }): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  }

  get(namespace: string, name: string): T | undefined {
    return this.items.get(`${namespace}/${name}`);
  }

  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    for (const o of this.items.values()) handler.onAdd?.(o);
    return () => this.handlers.delete(handler);
  }

  set(o: T): void {
    const key = FakeSource.key(o);
    const old = this.items.get(key);
    this.items.set(key, o);
    for (const h of this.handlers) old ? h.onUpdate?.(old, o) : h.onAdd?.(o);
  }

  remove(namespace: string, name: string): void {
    const old = this.items.get(`${namespace}/${name}`);
    if (!old) return;
    this.items.delete(`${namespace}/${name}`);
    for (const h of this.handlers) h.onDelete?.(old);
  }

  handlerCount(): number {
    return this.handlers.size;
  }
}
