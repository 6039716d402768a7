import { KubeObject, resourceByPlural, resources } from '@mk/api';
import { isNotFound, isConflict } from '@mk/client';
import { Clock, Logger } from '@mk/shared';
import type { Cacher } from './cacher';
import { resourcePrefix } from './registry/keys';
import { ObjectRegistry } from './registry/object-registry';
import { NAMESPACE_FINALIZER } from './registry/strategy';

const SWEEP_EVERY_MS = 1000;

/**
 * Deleting a namespace deletes what is in it: a namespace marked for deletion (phase
 * Terminating, finalizer `kubernetes`) has its objects deleted, and once none is left the
 * finalizer is removed and the namespace goes. Every API server runs this; the deletes are
 * idempotent, so several doing it at once only repeat each other. Objects held by finalizers of
 * their own (a pod terminating gracefully) keep the namespace until they are gone.
 */
export class NamespaceFinalizer {
  private cancel: () => void = () => {};
  private running = false;

  constructor(
    private readonly registry: ObjectRegistry,
    private readonly cachers: ReadonlyMap<string, Cacher>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const loop = () => {
      this.cancel = this.clock.setTimer(SWEEP_EVERY_MS, () => {
        void this.sweep().finally(loop);
      });
    };
    loop();
  }

  stop(): void {
    this.cancel();
  }

  /** One pass over the namespaces being deleted. */
  async sweep(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const nsCache = this.cachers.get('namespaces')?.cache;
      if (!nsCache?.isReady()) return;
      for (const ns of nsCache.list('', (o) => o.metadata.deletionTimestamp !== undefined)) await this.finalize(ns);
    } finally {
      this.running = false;
    }
  }

  private async finalize(ns: KubeObject): Promise<void> {
    const name = ns.metadata.name!;
    const finalizers = (ns as { spec?: { finalizers?: string[] } }).spec?.finalizers ?? [];
    if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
    let remaining = 0;
    for (const r of resources) {
      if (!r.namespaced) continue;
      const cache = this.cachers.get(r.resource)?.cache;
      if (!cache?.isReady()) {
        remaining++;
        continue;
      }
      for (const o of cache.list(resourcePrefix(r, name), () => true)) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue; // already going; its holder finishes it
        try {
          await this.registry.delete(r, name, o.metadata.name!, {});
        } catch (e) {
          if (!isNotFound(e)) this.logger.warn('namespace cleanup: delete failed', { namespace: name, resource: r.resource, name: o.metadata.name, error: (e as Error).message });
        }
      }
    }
    if (remaining > 0) return;
    try {
      const nsInfo = resourceByPlural('namespaces')!;
      await this.registry.patch(nsInfo, '', name, 'merge', { spec: { finalizers: finalizers.filter((f) => f !== NAMESPACE_FINALIZER) } }, '');
      this.logger.info('namespace emptied and removed', { namespace: name });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) this.logger.warn('namespace cleanup: finalize failed', { namespace: name, error: (e as Error).message });
    }
  }
}
