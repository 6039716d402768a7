/**
 * What controllers depend on: a narrow client (the verbs they use), informers (a cache plus event
 * handlers), an event recorder, a clock. The daemon hands in the real ones (ApiClient, Informer,
 * EventRecorder, systemClock); unit tests hand in the recording fakes of src/testing.
 */
import type { KubeObject } from '@mk/api';
import type { EventHandler, IndexFunc, PropagationPolicy, Store } from '@mk/client';
import type { Clock, Logger } from '@mk/shared';

export interface DeleteOpts {
  propagationPolicy?: PropagationPolicy;
  /** Absent: the object's own grace period; 0: at once (force). */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** The writes (and the rare live read) controllers make. ApiClient satisfies it. */
export interface ControllerClient {
  get<T extends KubeObject>(resource: string, namespace: string, name: string): Promise<T>;
  create<T extends KubeObject>(resource: string, obj: T): Promise<T>;
  /** Guarded by obj.metadata.resourceVersion: a stale object gets Conflict. */
  update<T extends KubeObject>(resource: string, obj: T): Promise<T>;
  updateStatus<T extends KubeObject>(resource: string, obj: T): Promise<T>;
  /** JSON merge patch; a metadata.resourceVersion in the patch makes it conditional. */
  patch<T extends KubeObject>(resource: string, namespace: string, name: string, patch: unknown, opts?: { subresource?: string }): Promise<T>;
  delete<T extends KubeObject>(resource: string, namespace: string, name: string, opts?: DeleteOpts): Promise<T>;
}

/** What a controller needs of an informer: its cache, handlers, extra indexes. Informer<T> is one. */
export interface InformerLike<T extends KubeObject> {
  readonly store: Store<T>;
  addEventHandler(handler: EventHandler<T>): () => void;
  addIndexers(indexers: Readonly<Record<string, IndexFunc<T>>>): void;
  hasSynced(): boolean;
}

/** One informer per resource, shared by every controller that asks for it. */
export interface InformerSource {
  informer<T extends KubeObject>(resource: string): InformerLike<T>;
}

/** Events about objects (EventRecorder is one). Best effort: never throws. */
export interface Recorder {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export const nullRecorder: Recorder = { event() {} };

/** Everything a controller is built from. */
export interface ControllerContext {
  client: ControllerClient;
  informers: InformerSource;
  clock: Clock;
  logger: Logger;
  recorder: Recorder;
}
