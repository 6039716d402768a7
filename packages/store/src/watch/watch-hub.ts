/**
 * The etcd v3 Watch service: watchers on key ranges, fed by the state machine's events.
 *
 * One `WatchHub` per member. The driver calls `publish(events)` after each applied write, and
 * `onRestore()` after a snapshot replaced the state. The gRPC server routes every
 * `etcdserverpb.Watch/Watch` stream to `serve(call)`. See README.md in this folder for the etcd
 * behaviours reproduced here and the choices made where etcd leaves room.
 *
 * Model: every watcher has a `minRev`, the next revision it needs.
 * - A *synced* watcher has every event below `minRev` in its stream's queue. It also has
 *   everything up to the last published revision (or it starts in the future). It gets
 *   each newly published revision directly from `publish`.
 * - An *unsynced* watcher reads its events from the state's history (`MvccStore.eventsSince`),
 *   in batches, from `minRev` up to the last published revision. Then it becomes synced again.
 *   It starts out unsynced when its start revision is in the past. A synced watcher turns
 *   unsynced when its stream's queue is over the bound (the client does not read), when a
 *   snapshot replaced the state, or when revisions were skipped by `publish`.
 * Both paths stop at the same published revision, and all of this runs on one thread. So a
 * watcher gets every revision exactly once and in order: no gap, no duplicate.
 */
import type * as grpc from '@grpc/grpc-js';
import type { etcdserverpb } from '@mk/proto';
import type { Clock, Logger } from '@mk/shared';
import { CompactedError, EventType, type MvccEvent, type MvccStore } from '../mvcc';
import { RESPONSE_OVERHEAD, type WireEvent, toWire } from './sizes';

/** etcd's --max-request-bytes default (1.5 MiB) plus the 512 KiB gRPC overhead etcd adds for watch fragments. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1.5 * 1024 * 1024 + 512 * 1024;
/** Bytes of responses a stream may queue while its client is not reading. Past this, its watchers catch up from history. */
export const DEFAULT_STREAM_BUFFER_BYTES = 4 * 1024 * 1024;
/** At most this many revisions per catch-up response (etcd's watchBatchMaxRevs). */
export const WATCH_BATCH_MAX_REVS = 1000;
/** watch_id of a response that belongs to no watcher: rejected creates, WatchProgressRequest answers. */
export const INVALID_WATCH_ID = -1;

/** etcd's strings, verbatim (mvcc/watcher.go, rpctypes). */
export const WatchMessages = {
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
  emptyRange: 'mvcc: watcher range is empty',
  serverStopped: 'etcdserver: server stopped',
  noLeader: 'etcdserver: no leader',
} as const;

// etcdserverpb.WatchCreateRequest.FilterType
const FILTER_NOPUT = 0;
const FILTER_NODELETE = 1;
// grpc.status.UNAVAILABLE / INTERNAL (type-only import of grpc-js here)
const STATUS_INTERNAL = 13;
const STATUS_UNAVAILABLE = 14;

export interface WatchHubDeps {
  /** The current MVCC state (it may be replaced wholesale when a snapshot is installed). */
  mvcc(): MvccStore;
  /** etcd ResponseHeader for every response: cluster_id, member_id, revision (current), raft_term. */
  header(): etcdserverpb.ResponseHeader.$Properties;
  logger: Logger;
  /** Drives progress notifications. */
  clock: Clock;
  /** Interval of progress notifications for watchers that asked for them (etcd default 10 min). */
  progressNotifyMs: number;
  /**
   * etcd's fragment threshold (max request bytes + 512 KiB). A watcher that asked for `fragment`
   * gets a larger response split into fragments. Catch-up responses are cut at whole revisions
   * to stay below it. Default DEFAULT_MAX_RESPONSE_BYTES.
   */
  maxResponseBytes?: number;
  /** Queue bound per stream, default DEFAULT_STREAM_BUFFER_BYTES. */
  streamBufferBytes?: number;
}

type WatchCall = grpc.ServerDuplexStream<etcdserverpb.WatchRequest, etcdserverpb.WatchResponse.$Properties>;
type Response = etcdserverpb.WatchResponse.$Properties;

interface Watcher {
  readonly id: number;
  readonly stream: WatchStream;
  readonly key: Uint8Array;
  /** MvccStore's convention: undefined = the key alone, [0x00] = every key >= key, else [key, end). */
  readonly end: Uint8Array | undefined;
  readonly fromKey: boolean;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  readonly fragment: boolean;
  /** Synced: events below it are never sent. Unsynced: where the history read resumes. */
  minRev: number;
  synced: boolean;
  /** An event response was queued since the last progress tick. */
  sentSinceTick: boolean;
}

interface Queued {
  res: Response;
  size: number;
}

/** One Watch RPC: its watchers and its ordered queue of responses. */
class WatchStream {
  readonly watchers = new Map<number, Watcher>();
  readonly unsynced = new Set<Watcher>();
  queue: Queued[] = [];
  head = 0;
  queuedBytes = 0;
  /** grpc-js refused more (write() returned false); waiting for 'drain'. */
  blocked = false;
  closed = false;
  nextAutoId = 0;
  /** A WatchProgressRequest waits until every watcher of the stream is synced. */
  progressRequested = false;
  pumpScheduled = false;
  stopTicker: (() => void) | undefined;
  /** The client asked for etcd's require-leader (metadata `hasleader: true`). */
  readonly requireLeader: boolean;

  constructor(
    readonly call: WatchCall,
    readonly id: number,
  ) {
    this.requireLeader = call.metadata?.get('hasleader')[0] === 'true';
  }
}

function keyString(u: Uint8Array): string {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1');
}

function copyBytes(u: Uint8Array): Uint8Array {
  return new Uint8Array(u);
}

function isFromKey(end: Uint8Array): boolean {
  return end.length === 1 && end[0] === 0;
}

export class WatchHub {
  private readonly streams = new Set<WatchStream>();
  /** Single-key watchers by latin1 key. */
  private readonly keyWatchers = new Map<string, Set<Watcher>>();
  /** Range and from-key watchers. */
  private readonly rangeWatchers = new Set<Watcher>();
  /** The last revision given to publish (or the state's revision at start / restore). */
  private published: number;
  private watcherCount = 0;
  private closed = false;
  private nextStreamId = 1;
  private readonly maxResponseBytes: number;
  private readonly streamBufferBytes: number;

  constructor(private readonly deps: WatchHubDeps) {
    this.published = deps.mvcc().currentRevision;
    this.maxResponseBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.streamBufferBytes = deps.streamBufferBytes ?? DEFAULT_STREAM_BUFFER_BYTES;
  }

  /** Number of active watchers (for tests and metrics). */
  size(): number {
    return this.watcherCount;
  }

  /** Number of open Watch streams. */
  streamCount(): number {
    return this.streams.size;
  }

  // -------------------------------------------------------------------------------------------
  // Events from the state machine

  /**
   * Called after every applied write, in revision order, with its events (all of one revision).
   * It must come synchronously after the apply, for every revision that has events. A skipped
   * revision is read back from history, with a warning.
   */
  publish(events: MvccEvent[]): void {
    if (this.closed || events.length === 0) return;
    try {
      let i = 0;
      while (i < events.length) {
        const rev = (events[i] as MvccEvent).kv.modRevision;
        let j = i + 1;
        while (j < events.length && (events[j] as MvccEvent).kv.modRevision === rev) j++;
        this.publishRevision(rev, i === 0 && j === events.length ? events : events.slice(i, j));
        i = j;
      }
    } catch (err) {
      // Never let a watch failure break the apply loop. Watchers may have lost track, so end
      // every stream: clients resume from the last revision they saw.
      this.deps.logger.error('watch: publish failed; ending all watch streams', { error: (err as Error).message });
      for (const s of [...this.streams]) this.fail(s, STATUS_INTERNAL, 'etcdserver: watch failed');
    }
  }

  /**
   * Called after a snapshot replaced the state (`deps.mvcc()` now returns the new one). Each
   * watcher goes on from its next revision through the new state's history. If that history
   * was compacted past the watcher's next revision, the watcher is canceled with
   * `compact_revision` (as etcd does), so the client can resume from there.
   */
  onRestore(): void {
    if (this.closed) return;
    const before = this.published;
    this.published = this.deps.mvcc().currentRevision;
    for (const s of this.streams) {
      for (const w of s.watchers.values()) {
        if (!w.synced) continue;
        w.minRev = Math.max(w.minRev, before + 1);
        if (w.minRev <= this.published) this.unsync(w, w.minRev);
      }
      if (s.unsynced.size > 0) this.schedulePump(s);
    }
  }

  private publishRevision(rev: number, events: MvccEvent[]): void {
    if (rev <= this.published) {
      this.deps.logger.warn('watch: ignoring events of a revision already published', { revision: rev, published: this.published });
      return;
    }
    if (rev > this.published + 1) {
      this.deps.logger.warn('watch: revisions were skipped by publish; watchers read them from history', {
        from: this.published + 1,
        to: rev - 1,
      });
      for (const s of this.streams) {
        for (const w of s.watchers.values()) if (w.synced && w.minRev < rev) this.unsync(w, this.published + 1);
      }
    }
    this.published = rev;

    const matched = new Map<Watcher, MvccEvent[]>();
    for (const ev of events) {
      const key = ev.kv.key;
      const single = this.keyWatchers.get(keyString(key));
      if (single !== undefined) for (const w of single) this.match(w, ev, rev, matched);
      for (const w of this.rangeWatchers) {
        if (Buffer.compare(key, w.key) >= 0 && (w.fromKey || Buffer.compare(key, w.end as Uint8Array) < 0)) this.match(w, ev, rev, matched);
      }
    }
    if (matched.size === 0) return;

    const plain = new Map<MvccEvent, WireEvent>();
    const withPrev = new Map<MvccEvent, WireEvent>();
    for (const [w, evs] of matched) {
      if (w.stream.queuedBytes >= this.streamBufferBytes) {
        // The client is not reading: stop queueing, read this revision on from history later.
        this.deps.logger.debug('watch: slow stream, watcher falls back to history', { stream: w.stream.id, watchId: w.id, revision: rev });
        this.unsync(w, rev);
        continue;
      }
      const cache = w.prevKv ? withPrev : plain;
      const wires = evs.map((ev) => {
        let wire = cache.get(ev);
        if (wire === undefined) {
          wire = toWire(ev, w.prevKv);
          cache.set(ev, wire);
        }
        return wire;
      });
      this.sendEvents(w, wires, rev);
    }
  }

  private match(w: Watcher, ev: MvccEvent, rev: number, matched: Map<Watcher, MvccEvent[]>): void {
    if (!w.synced || rev < w.minRev) return;
    if (ev.type === EventType.PUT ? w.noPut : w.noDelete) return;
    const list = matched.get(w);
    if (list === undefined) matched.set(w, [ev]);
    else list.push(ev);
  }

  // -------------------------------------------------------------------------------------------
  // Streams

  /** Serves one etcd Watch bidi stream (the handler for services.etcdserverpb.Watch.Watch). */
  serve(call: WatchCall): void {
    if (this.closed) {
      this.endWithError(call, STATUS_UNAVAILABLE, WatchMessages.serverStopped);
      return;
    }
    const s = new WatchStream(call, this.nextStreamId++);
    this.streams.add(s);
    call.on('data', (req: etcdserverpb.WatchRequest) => {
      if (s.closed) return;
      try {
        this.handle(s, req);
      } catch (err) {
        this.deps.logger.error('watch: request failed', { stream: s.id, error: (err as Error).message });
        this.fail(s, STATUS_INTERNAL, (err as Error).message);
      }
    });
    call.on('drain', () => {
      s.blocked = false;
      this.flush(s);
      if (!s.blocked && s.unsynced.size > 0) this.schedulePump(s);
    });
    // A client's half-close does not end the watch (as in etcd): its watchers keep going
    // until the call is cancelled or fails.
    call.on('end', () => {});
    call.on('cancelled', () => this.dropStream(s));
    call.on('close', () => this.dropStream(s));
    call.on('error', (err: Error) => {
      this.deps.logger.debug('watch: stream error', { stream: s.id, error: err.message });
      this.dropStream(s);
    });
  }

  /** Cancels every watcher (server shutdown): each stream ends with UNAVAILABLE "etcdserver: server stopped". */
  /**
   * Ends the streams whose clients asked for a leader (clientv3's WithRequireLeader), as etcd does
   * once its member has had no leader for a while: they reconnect to a member that has one.
   */
  endRequireLeaderStreams(): number {
    let n = 0;
    for (const s of [...this.streams]) {
      if (!s.requireLeader) continue;
      this.fail(s, STATUS_UNAVAILABLE, WatchMessages.noLeader);
      n++;
    }
    return n;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams]) this.fail(s, STATUS_UNAVAILABLE, WatchMessages.serverStopped);
  }

  private fail(s: WatchStream, code: number, details: string): void {
    this.dropStream(s);
    this.endWithError(s.call, code, details);
  }

  private endWithError(call: WatchCall, code: number, details: string): void {
    if (call.destroyed || call.writableEnded) return;
    // grpc-js: an 'error' on a server stream becomes the call's status once queued writes are out.
    const err = Object.assign(new Error(details), { code, details });
    try {
      call.emit('error', err);
    } catch {
      // Already torn down.
    }
  }

  private handle(s: WatchStream, req: etcdserverpb.WatchRequest): void {
    if (req.createRequest != null) this.create(s, req.createRequest);
    else if (req.cancelRequest != null) this.cancel(s, Number(req.cancelRequest.watchId ?? 0));
    else if (req.progressRequest != null) {
      s.progressRequested = true;
      this.answerProgressRequest(s);
    }
    // Anything else is ignored, as etcd does.
  }

  private create(s: WatchStream, r: etcdserverpb.WatchCreateRequest.$Properties): void {
    const key = r.key != null && r.key.length > 0 ? copyBytes(r.key) : new Uint8Array([0]); // etcd: "\0" is the smallest key
    const end = r.rangeEnd != null && r.rangeEnd.length > 0 ? copyBytes(r.rangeEnd) : undefined;
    const fromKey = end !== undefined && isFromKey(end);
    if (end !== undefined && !fromKey && Buffer.compare(key, end) >= 0) {
      this.reject(s, WatchMessages.emptyRange);
      return;
    }
    let id = Number(r.watchId ?? 0);
    if (id === 0) {
      while (s.watchers.has(s.nextAutoId)) s.nextAutoId++;
      id = s.nextAutoId++;
    } else if (s.watchers.has(id)) {
      this.reject(s, WatchMessages.duplicateId);
      return;
    }
    const startRevision = Number(r.startRevision ?? 0);
    const start = startRevision === 0 ? this.published + 1 : startRevision;
    const filters = r.filters ?? [];
    const w: Watcher = {
      id,
      stream: s,
      key,
      end,
      fromKey,
      prevKv: r.prevKv === true,
      noPut: filters.includes(FILTER_NOPUT),
      noDelete: filters.includes(FILTER_NODELETE),
      progressNotify: r.progressNotify === true,
      fragment: r.fragment === true,
      minRev: start,
      synced: true,
      sentSinceTick: false,
    };
    s.watchers.set(id, w);
    if (end === undefined) {
      const k = keyString(key);
      let set = this.keyWatchers.get(k);
      if (set === undefined) this.keyWatchers.set(k, (set = new Set()));
      set.add(w);
    } else {
      this.rangeWatchers.add(w);
    }
    this.watcherCount++;
    this.enqueue(s, { header: this.header(this.published), watchId: id, created: true }, RESPONSE_OVERHEAD);
    if (start <= this.published) this.unsync(w, start);
    if (w.progressNotify) this.armTicker(s);
  }

  /** etcd answers a create it refuses with created + canceled, watch_id -1 and the reason. */
  private reject(s: WatchStream, reason: string): void {
    this.enqueue(
      s,
      { header: this.header(this.published), watchId: INVALID_WATCH_ID, created: true, canceled: true, cancelReason: reason },
      RESPONSE_OVERHEAD + reason.length,
    );
  }

  private cancel(s: WatchStream, id: number): void {
    const w = s.watchers.get(id);
    if (w === undefined) return; // etcd sends nothing for an unknown id
    this.removeWatcher(w);
    this.enqueue(s, { header: this.header(this.published), watchId: id, canceled: true }, RESPONSE_OVERHEAD);
    this.answerProgressRequest(s);
  }

  private answerProgressRequest(s: WatchStream): void {
    if (!s.progressRequested || s.unsynced.size > 0 || s.closed) return;
    s.progressRequested = false;
    this.enqueue(s, { header: this.header(this.published), watchId: INVALID_WATCH_ID }, RESPONSE_OVERHEAD);
  }

  private removeWatcher(w: Watcher): void {
    const s = w.stream;
    if (s.watchers.get(w.id) !== w) return;
    s.watchers.delete(w.id);
    s.unsynced.delete(w);
    if (w.end === undefined) {
      const k = keyString(w.key);
      const set = this.keyWatchers.get(k);
      set?.delete(w);
      if (set !== undefined && set.size === 0) this.keyWatchers.delete(k);
    } else {
      this.rangeWatchers.delete(w);
    }
    this.watcherCount--;
  }

  private dropStream(s: WatchStream): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s);
    for (const w of [...s.watchers.values()]) this.removeWatcher(w);
    s.stopTicker?.();
    s.stopTicker = undefined;
    s.queue = [];
    s.head = 0;
    s.queuedBytes = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Output

  private header(revision: number): etcdserverpb.ResponseHeader.$Properties {
    return { ...this.deps.header(), revision };
  }

  /** Queues one revision range's events for `w`, fragmented as etcd does when the watcher asked for it. */
  private sendEvents(w: Watcher, wires: WireEvent[], headerRevision: number): void {
    const header = this.header(headerRevision);
    let total = RESPONSE_OVERHEAD;
    for (const e of wires) total += e.size;
    w.sentSinceTick = true;
    if (!w.fragment || total < this.maxResponseBytes || wires.length < 2) {
      this.enqueue(w.stream, { header, watchId: w.id, events: wires.map((e) => e.pb) }, total);
      return;
    }
    // etcd's sendFragments: fill each fragment until the next event would reach the limit
    // (a fragment holds at least one event); every fragment but the last has fragment = true.
    let i = 0;
    while (i < wires.length) {
      const events = [];
      let size = RESPONSE_OVERHEAD;
      while (i < wires.length) {
        const e = wires[i] as WireEvent;
        if (events.length > 0 && size + e.size >= this.maxResponseBytes) break;
        events.push(e.pb);
        size += e.size;
        i++;
      }
      this.enqueue(w.stream, { header, watchId: w.id, events, fragment: i < wires.length }, size);
    }
  }

  private enqueue(s: WatchStream, res: Response, size: number): void {
    if (s.closed) return;
    s.queue.push({ res, size });
    s.queuedBytes += size;
    this.flush(s);
  }

  /** Hands queued responses to grpc-js until it asks us to wait for 'drain'. */
  private flush(s: WatchStream): void {
    while (!s.blocked && !s.closed && s.head < s.queue.length) {
      const item = s.queue[s.head] as Queued;
      s.head++;
      s.queuedBytes -= item.size;
      let ok: boolean;
      try {
        ok = s.call.write(item.res);
      } catch (err) {
        this.deps.logger.debug('watch: write failed', { stream: s.id, error: (err as Error).message });
        this.dropStream(s);
        return;
      }
      if (!ok) s.blocked = true;
    }
    if (s.head >= s.queue.length) {
      s.queue = [];
      s.head = 0;
    } else if (s.head >= 1024) {
      s.queue = s.queue.slice(s.head);
      s.head = 0;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Catching up from history

  private unsync(w: Watcher, from: number): void {
    w.synced = false;
    w.minRev = Math.max(w.minRev, from);
    w.stream.unsynced.add(w);
    this.schedulePump(w.stream);
  }

  private schedulePump(s: WatchStream): void {
    if (s.pumpScheduled || s.closed) return;
    s.pumpScheduled = true;
    setImmediate(() => this.pump(s));
  }

  /**
   * One round of catch-up on a stream: one batch per unsynced watcher while the stream takes
   * them. Rounds repeat on later turns of the event loop, so I/O and applies go on in between.
   */
  private pump(s: WatchStream): void {
    s.pumpScheduled = false;
    if (s.closed) return;
    try {
      for (const w of s.unsynced) {
        if (s.blocked || s.queuedBytes >= this.streamBufferBytes || s.closed) break;
        this.catchUp(w);
      }
    } catch (err) {
      this.deps.logger.error('watch: reading history failed; ending the stream', { stream: s.id, error: (err as Error).message });
      this.fail(s, STATUS_INTERNAL, 'etcdserver: watch failed');
      return;
    }
    if (s.closed) return;
    if (s.unsynced.size > 0 && !s.blocked && s.queuedBytes < this.streamBufferBytes) this.schedulePump(s);
    this.answerProgressRequest(s);
  }

  /**
   * Queues the next batch of `w`'s history: the events of up to WATCH_BATCH_MAX_REVS revisions
   * from `w.minRev`, cut at a whole revision to stay under maxResponseBytes (at least one
   * revision). When it reaches the published revision, the watcher is synced.
   */
  private catchUp(w: Watcher): void {
    const mvcc = this.deps.mvcc();
    while (w.minRev <= this.published) {
      const last = Math.min(this.published, w.minRev + WATCH_BATCH_MAX_REVS - 1);
      let evs: MvccEvent[];
      try {
        evs = mvcc.eventsSince(w.minRev, w.key, w.end, last);
      } catch (err) {
        if (err instanceof CompactedError) {
          this.compacted(w, err.compactRevision);
          return;
        }
        throw err;
      }
      const wires: WireEvent[] = [];
      let size = RESPONSE_OVERHEAD;
      let upTo = last;
      for (let i = 0; i < evs.length; ) {
        // One revision's (filtered) events go in whole, or not at all.
        const rev = (evs[i] as MvccEvent).kv.modRevision;
        const group: WireEvent[] = [];
        let groupSize = 0;
        for (; i < evs.length && (evs[i] as MvccEvent).kv.modRevision === rev; i++) {
          const ev = evs[i] as MvccEvent;
          if (ev.type === EventType.PUT ? w.noPut : w.noDelete) continue;
          const wire = toWire(ev, w.prevKv);
          group.push(wire);
          groupSize += wire.size;
        }
        if (group.length === 0) continue;
        if (wires.length > 0 && size + groupSize > this.maxResponseBytes) {
          upTo = rev - 1;
          break;
        }
        wires.push(...group);
        size += groupSize;
      }
      w.minRev = upTo + 1;
      if (wires.length > 0) {
        this.sendEvents(w, wires, upTo);
        break;
      }
    }
    if (w.minRev > this.published) {
      w.synced = true;
      w.stream.unsynced.delete(w);
    }
  }

  /** etcd: a response with compact_revision set and canceled, then the watcher is gone. */
  private compacted(w: Watcher, compactRevision: number): void {
    const s = w.stream;
    this.removeWatcher(w);
    this.enqueue(s, { header: this.header(this.published), watchId: w.id, canceled: true, compactRevision }, RESPONSE_OVERHEAD);
  }

  // -------------------------------------------------------------------------------------------
  // Progress notifications

  private armTicker(s: WatchStream): void {
    if (s.stopTicker !== undefined || s.closed) return;
    s.stopTicker = this.deps.clock.setTimer(this.deps.progressNotifyMs, () => {
      s.stopTicker = undefined;
      this.tick(s);
    });
  }

  /**
   * etcd's progress ticker: each progress_notify watcher that got no events since the previous
   * tick, and is synced, gets an empty response whose header revision is the published one.
   */
  private tick(s: WatchStream): void {
    if (s.closed) return;
    let any = false;
    for (const w of s.watchers.values()) {
      if (!w.progressNotify) continue;
      any = true;
      if (!w.sentSinceTick && w.synced && s.queuedBytes < this.streamBufferBytes) {
        this.enqueue(s, { header: this.header(this.published), watchId: w.id }, RESPONSE_OVERHEAD);
      }
      w.sentSinceTick = false;
    }
    if (any) this.armTicker(s);
  }
}
