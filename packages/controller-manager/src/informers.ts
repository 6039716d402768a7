/**
 * One Informer per resource, shared by every controller that asks for it (client-go's
 * SharedInformerFactory): the pods informer the ReplicaSet, Deployment, Endpoints and node
 * controllers and the garbage collector all read is one list and one watch.
 */
import type { KubeObject } from '@mk/api';
import { type ApiClient, Informer } from '@mk/client';
import type { Clock, Logger } from '@mk/shared';
import type { InformerSource } from './types';

export interface SharedInformersOptions {
  client: Pick<ApiClient, 'resource'>;
  clock: Clock;
  logger: Logger;
  /** Re-deliver every cached object this often (0: never; level-driven controllers rarely need it). */
  resyncPeriodMs?: number;
}

export class SharedInformers implements InformerSource {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(private readonly o: SharedInformersOptions) {}

  informer<T extends KubeObject>(resource: string): Informer<T> {
    let inf = this.informers.get(resource);
    if (!inf) {
      inf = new Informer<KubeObject>(this.o.client.resource<KubeObject>(resource), {
        clock: this.o.clock,
        logger: this.o.logger,
        name: resource,
        resyncPeriodMs: this.o.resyncPeriodMs ?? 0,
      });
      this.informers.set(resource, inf);
      if (this.started) inf.start();
    }
    // The map holds informers of every kind; the caller names the kind it asked for.
    return inf as unknown as Informer<T>;
  }

  resources(): string[] {
    return [...this.informers.keys()];
  }

  start(): void {
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves true once every informer has its first list (false if stopped first). */
  async waitForSync(): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((inf) => inf.waitForSync()));
    return results.every(Boolean);
  }

  stop(): void {
    for (const inf of this.informers.values()) inf.stop();
  }
}
