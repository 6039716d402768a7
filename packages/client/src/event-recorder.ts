/**
 * EventRecorder: Kubernetes' event recorder (client-go tools/record) for mk's components. It
 * writes core v1 Events about objects ("Scheduled", "Pulled", "BackOff", …) that `mkctl describe`
 * and `mkctl get events` show.
 *
 *  - An Event is named `<object name>.<16 hex digits>` and lives in the object's namespace
 *    ("default" for cluster-scoped objects such as Nodes).
 *  - The same event (same object, type, reason, message, source) again within the aggregation
 *    window bumps `count` and `lastTimestamp` of the existing Event (a merge patch) instead of
 *    creating another; if that Event has gone meanwhile, a new one is created.
 *  - Events are best-effort: failures are logged, never thrown; writes happen one at a time in
 *    the background (`flush()` waits for them). A per-object token bucket (client-go's spam
 *    filter: burst 25, one token back every 5 minutes) and a cap on pending writes drop floods.
 */
import { randomBytes } from 'node:crypto';
import { type Clock, type Logger, nullLogger, systemClock } from '@mk/shared';
import type { CreateOptions, PatchOptions } from './api-client';
import type { KubeObjectLike } from './object';
import { isAlreadyExists, isNotFound } from './status';

/** The two writes a recorder makes; an ApiClient is one. */
export interface EventSink {
  create<T extends KubeObjectLike>(resource: string, obj: T, opts?: CreateOptions): Promise<T>;
  patch<T extends KubeObjectLike>(resource: string, namespace: string, name: string, patch: unknown, opts?: PatchOptions): Promise<T>;
}

export type EventType = 'Normal' | 'Warning';

/** The v1 Event the recorder writes (the fields of @mk/api's Event that it sets). */
export interface CoreEvent extends KubeObjectLike {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  involvedObject: { kind?: string; namespace?: string; name: string; uid?: string; apiVersion?: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: EventType;
  source: { component: string; host: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

export interface EventRecorderOptions {
  clock?: Clock;
  logger?: Logger;
  /** Identical events closer than this are aggregated into one Event (default 10 minutes). */
  aggregationWindowMs?: number;
  /** Events about one object allowed at once (default 25). */
  burst?: number;
  /** One more event per object after this long (default 5 minutes). */
  refillIntervalMs?: number;
  /** Writes at once (default 8). */
  concurrency?: number;
  /** Writes waiting beyond this are dropped (default 1000). */
  maxPending?: number;
  /** Events remembered for aggregation (default 4096, least recently seen forgotten first). */
  cacheSize?: number;
  /** The suffix of new Event names (default 8 random bytes as hex). */
  randomHex?: () => string;
}

/** Kubernetes cuts an Event's message at 1024 bytes. */
const MAX_MESSAGE = 1024;

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeenMs: number;
}

interface Bucket {
  tokens: number;
  lastRefillMs: number;
}

/** RFC 3339 with second precision, as Kubernetes' metav1.Time. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxPending: number;
  private readonly cacheSize: number;
  private readonly randomHex: () => string;
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly concurrency: number;
  /** Writes not started yet, in order; one aggregation key is written by one writer at a time. */
  private readonly waiting: Array<{ key: string; run: () => Promise<void> }> = [];
  private readonly busyKeys = new Set<string>();
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private pending = 0;
  private droppedSinceLog = 0;
  private lastDropLog = -Infinity;
  /** Counters for tests and metrics. */
  readonly stats = { created: 0, aggregated: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly sink: EventSink,
    readonly component: string,
    readonly host: string,
    options: EventRecorderOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? nullLogger).child({ component: 'event-recorder' });
    this.windowMs = options.aggregationWindowMs ?? 10 * 60_000;
    this.burst = options.burst ?? 25;
    this.refillMs = options.refillIntervalMs ?? 5 * 60_000;
    this.maxPending = options.maxPending ?? 1000;
    this.concurrency = options.concurrency ?? 8;
    this.cacheSize = options.cacheSize ?? 4096;
    this.randomHex = options.randomHex ?? (() => randomBytes(8).toString('hex'));
  }

  /** Records an event about `obj`. Never throws; the write happens in the background. */
  event(obj: KubeObjectLike, type: EventType, reason: string, message: string): void {
    const name = obj.metadata.name;
    if (!name) {
      this.logger.warn('event about an object without a name dropped', { reason, message });
      this.stats.dropped++;
      return;
    }
    const involved: CoreEvent['involvedObject'] = { name };
    if (obj.kind) involved.kind = obj.kind;
    if (obj.metadata.namespace) involved.namespace = obj.metadata.namespace;
    if (obj.metadata.uid) involved.uid = obj.metadata.uid;
    if (obj.apiVersion) involved.apiVersion = obj.apiVersion;
    if (obj.metadata.resourceVersion) involved.resourceVersion = obj.metadata.resourceVersion;
    const text = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 3) + '...' : message;

    const objectKey = JSON.stringify([involved.kind, involved.namespace, name, involved.uid]);
    if (!this.takeToken(objectKey)) {
      this.logger.debug('event dropped by the rate limit', { object: objectKey, reason });
      this.stats.dropped++;
      return;
    }
    if (this.pending >= this.maxPending) {
      this.stats.dropped++;
      this.droppedSinceLog++;
      // One line per 10 s for a flood, not one per event.
      if (this.clock.now() - this.lastDropLog >= 10_000) {
        this.logger.warn('too many events waiting; dropping', { dropped: this.droppedSinceLog, waiting: this.pending });
        this.lastDropLog = this.clock.now();
        this.droppedSinceLog = 0;
      }
      return;
    }
    const key = JSON.stringify([objectKey, involved.apiVersion, type, reason, text]);
    const at = this.clock.now();
    this.pending++;
    this.waiting.push({
      key,
      run: () =>
        this.write(key, involved, type, reason, text, at).catch((e: unknown) => {
          this.stats.failed++;
          this.logger.warn('could not record event', { reason, object: objectKey, error: e instanceof Error ? e.message : String(e) });
        }),
    });
    this.pump();
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts waiting writes, up to `concurrency` at once (one write per API round trip would cap a
   * busy component at a few dozen events a second). Writes of one aggregation key stay in order,
   * since each may update the Event the previous one created.
   */
  private pump(): void {
    while (this.active < this.concurrency) {
      const i = this.waiting.findIndex((t) => !this.busyKeys.has(t.key));
      if (i < 0) return;
      const [task] = this.waiting.splice(i, 1);
      this.active++;
      this.busyKeys.add(task!.key);
      void task!.run().finally(() => {
        this.active--;
        this.busyKeys.delete(task!.key);
        this.pending--;
        if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
        this.pump();
      });
    }
  }

  private async write(key: string, involved: CoreEvent['involvedObject'], type: EventType, reason: string, message: string, at: number): Promise<void> {
    const prev = this.seen.get(key);
    if (prev && at - prev.lastSeenMs <= this.windowMs) {
      const count = prev.count + 1;
      const lastTimestamp = rfc3339(at);
      try {
        await this.sink.patch<CoreEvent>('events', prev.namespace, prev.name, { count, lastTimestamp });
        this.remember(key, { ...prev, count, lastSeenMs: at });
        this.stats.aggregated++;
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.seen.delete(key); // the Event expired or was deleted: start a new one
      }
    }
    const namespace = involved.namespace || 'default';
    const now = rfc3339(at);
    for (let attempt = 0; ; attempt++) {
      const event: CoreEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${involved.name}.${this.randomHex()}`, namespace },
        involvedObject: involved,
        reason,
        message,
        type,
        source: { component: this.component, host: this.host },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: this.component,
        reportingInstance: this.host,
      };
      try {
        await this.sink.create<CoreEvent>('events', event);
      } catch (e) {
        if (isAlreadyExists(e) && attempt === 0) continue; // a name clash: once more with another suffix
        throw e;
      }
      this.remember(key, { name: event.metadata.name, namespace, count: 1, firstTimestamp: now, lastSeenMs: at });
      this.stats.created++;
      return;
    }
  }

  private remember(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    while (this.seen.size > this.cacheSize) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }

  /** client-go's EventSourceObjectSpamFilter: a token bucket per involved object. */
  private takeToken(objectKey: string): boolean {
    const now = this.clock.now();
    let b = this.buckets.get(objectKey);
    if (!b) {
      b = { tokens: this.burst, lastRefillMs: now };
      if (this.buckets.size >= this.cacheSize) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(objectKey); // re-insert: least recently used first in the Map
      if (this.refillMs > 0) {
        const refills = Math.floor((now - b.lastRefillMs) / this.refillMs);
        if (refills > 0) {
          b.tokens = Math.min(this.burst, b.tokens + refills);
          b.lastRefillMs += refills * this.refillMs;
        }
      }
    }
    this.buckets.set(objectKey, b);
    if (b.tokens <= 0) return false;
    b.tokens--;
    return true;
  }
}
