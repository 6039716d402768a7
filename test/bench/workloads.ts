/**
 * The measurements, each run the same way against either system: closed-loop put and range load,
 * watch event latency/delivery, and leader failover. Nothing here asserts: every outcome
 * (errors, lost writes, missing events) is counted and reported.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BenchClient, type Conn, errorKind, findLeader, put, putCall, range } from './client';

export const KEY_BYTES = 8;
export const VALUE_BYTES = 256;

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** An 8-byte key: a one-letter prefix and 7 digits. */
export function key(prefix: string, n: number): Buffer {
  return Buffer.from(prefix + String(n % 10_000_000).padStart(KEY_BYTES - 1, '0'));
}

const VALUE = randomBytes(VALUE_BYTES);

/** A 256-byte value that names its sequence number, so a read-back can check it. */
function seqValue(seq: number): Buffer {
  return Buffer.from(`seq=${seq};`.padEnd(VALUE_BYTES, 'x'));
}

export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function latencySummary(lat: number[]): { p50_ms: number | null; p90_ms: number | null; p99_ms: number | null; max_ms: number | null } {
  const s = [...lat].sort((a, b) => a - b);
  const f = (x: number | null) => (x === null ? null : round(x));
  return { p50_ms: f(percentile(s, 0.5)), p90_ms: f(percentile(s, 0.9)), p99_ms: f(percentile(s, 0.99)), max_ms: f(s.at(-1) ?? null) };
}

function countError(errors: Record<string, number>, e: unknown): void {
  const k = errorKind(e);
  errors[k] = (errors[k] ?? 0) + 1;
}

export interface LoadResult {
  clients: number;
  seconds: number;
  ops: number;
  ops_per_s: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  error_count: number;
  errors: Record<string, number>;
}

/**
 * `clients` workers each keep one request in flight (closed loop) for warmup + measure ms. What
 * completes inside the measured window counts: its rate is the throughput, its latencies the
 * percentiles. A failed request is counted and retried after 20 ms.
 */
export async function closedLoop(
  clients: number,
  warmupMs: number,
  measureMs: number,
  op: (worker: number, i: number) => Promise<void>,
): Promise<LoadResult> {
  const start = now();
  const from = start + warmupMs;
  const until = from + measureMs;
  const lat: number[] = [];
  const errors: Record<string, number> = {};
  let errorCount = 0;
  const worker = async (w: number) => {
    for (let i = 0; now() < until; i++) {
      const t0 = now();
      try {
        await op(w, i);
        const t1 = now();
        if (t1 >= from && t1 <= until) lat.push(t1 - t0);
      } catch (e) {
        const t1 = now();
        if (t1 >= from && t1 <= until) {
          errorCount++;
          countError(errors, e);
        }
        await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, w) => worker(w)));
  return {
    clients,
    seconds: round(measureMs / 1000, 1),
    ops: lat.length,
    ops_per_s: round(lat.length / (measureMs / 1000), 1),
    ...latencySummary(lat),
    error_count: errorCount,
    errors,
  };
}

// ---- put -------------------------------------------------------------------------------------

/** Put load: 8-byte keys over a 100k key space (k0000000..), 256-byte values. */
export function putLoad(client: BenchClient, clients: number, warmupMs: number, measureMs: number): Promise<LoadResult> {
  let seq = 0;
  return closedLoop(clients, warmupMs, measureMs, async (w, i) => {
    await put(client.pick(w, i), key('k', seq++ % 100_000), VALUE);
  });
}

// ---- range -----------------------------------------------------------------------------------

export const RANGE_KEYS = 1000;

/** Writes the keys range reads (r0000000..r0000999), 64 at a time; not measured. */
export async function populateRangeKeys(client: BenchClient): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async (_, w) => {
      for (let i = 0; ; i++) {
        const k = next++;
        if (k >= RANGE_KEYS) return;
        for (let attempt = 0; ; attempt++) {
          try {
            await put(client.pick(w, i + attempt), key('r', k), VALUE, 10_000);
            break;
          } catch (e) {
            if (attempt >= 5) throw e;
            await sleep(200);
          }
        }
      }
    }),
  );
}

/** Single-key gets of random existing keys; linearizable (ReadIndex) or serializable (local). */
export function rangeLoad(client: BenchClient, clients: number, serializable: boolean, warmupMs: number, measureMs: number): Promise<LoadResult> {
  return closedLoop(clients, warmupMs, measureMs, async (w, i) => {
    const r = await range(client.pick(w, i), { key: key('r', Math.floor(Math.random() * RANGE_KEYS)), serializable });
    if (r.kvs.length !== 1) throw new Error(`get returned ${r.kvs.length} keys`);
  });
}

// ---- watch -----------------------------------------------------------------------------------

export interface WatchResult {
  watchers: number;
  rate_per_s: number;
  seconds: number;
  writes_acked: number;
  write_errors: number;
  events_expected: number;
  events_received: number;
  /** (watcher, acknowledged revision) pairs never delivered */
  missing: number;
  duplicates: number;
  /** events whose revision was not above the previous one on that watcher */
  out_of_order: number;
  /** events for revisions that were not acknowledged writes (e.g. a put that failed but committed) */
  extra: number;
  /** events that arrived before the writer saw the put acknowledged (latency counted as 0) */
  before_ack: number;
  all_delivered_in_order: boolean;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** put sent → event received (includes the put's own commit) */
  from_send_p50_ms: number | null;
  from_send_p99_ms: number | null;
  watch_errors: string[];
  errors: Record<string, number>;
}

/**
 * `watchers` watch streams on prefix "w" (spread over the members), one writer putting at a fixed
 * rate (open loop) for measureMs. Latency of an event: received − the writer's ack of that put.
 */
export async function watchBench(client: BenchClient, watchers: number, ratePerS: number, measureMs: number): Promise<WatchResult> {
  interface W {
    seen: Map<number, number>; // revision → receive time (first)
    last: number;
    duplicates: number;
    outOfOrder: number;
    received: number;
  }
  const ws: W[] = [];
  const streams: Array<ReturnType<Conn['watch']['Watch']>> = [];
  const watchErrors: string[] = [];
  let writerDone = false;
  try {
    await Promise.all(
      Array.from({ length: watchers }, (_, i) => {
        const w: W = { seen: new Map(), last: 0, duplicates: 0, outOfOrder: 0, received: 0 };
        ws.push(w);
        const stream = client.conns[i % client.conns.length]!.watch.Watch();
        streams.push(stream);
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`watcher ${i}: not created within 10 s`)), 10_000);
          stream.on('data', (res) => {
            const t = now();
            if (res.created) {
              clearTimeout(timer);
              resolve();
            }
            if (res.canceled) watchErrors.push(`watcher ${i} canceled: ${res.cancelReason || `compact revision ${res.compactRevision}`}`);
            for (const ev of res.events) {
              const rev = ev.kv?.modRevision ?? 0;
              w.received++;
              if (w.seen.has(rev)) w.duplicates++;
              else w.seen.set(rev, t);
              if (rev <= w.last) w.outOfOrder++;
              w.last = Math.max(w.last, rev);
            }
          });
          stream.on('error', (e) => {
            if (!writerDone) watchErrors.push(`watcher ${i}: ${errorKind(e)}`);
            clearTimeout(timer);
            reject(e);
          });
          stream.write({ createRequest: { key: Buffer.from('w'), rangeEnd: Buffer.from('x') } });
        });
      }),
    );

    // The writer: open loop, one put every 1000/rate ms, whatever the previous ones are doing.
    const acked = new Map<number, number>(); // revision → ack time
    const sentAt = new Map<number, number>(); // revision → send time
    const errors: Record<string, number> = {};
    let writeErrors = 0;
    const inflight: Promise<void>[] = [];
    const total = Math.max(1, Math.round((ratePerS * measureMs) / 1000));
    const start = now();
    for (let k = 0; k < total; k++) {
      const d = start + (k * 1000) / ratePerS - now();
      if (d > 0) await sleep(d);
      const t0 = now();
      inflight.push(
        put(client.pick(0, k), key('w', k), VALUE, 10_000).then(
          (rev) => {
            acked.set(rev, now());
            sentAt.set(rev, t0);
          },
          (e) => {
            writeErrors++;
            countError(errors, e);
          },
        ),
      );
    }
    await Promise.all(inflight);
    const maxRev = Math.max(0, ...acked.keys());
    // Let the last events arrive (bounded).
    const waitUntil = now() + 5000;
    while (now() < waitUntil && ws.some((w) => w.last < maxRev)) await sleep(20);
    writerDone = true;

    const lat: number[] = [];
    const fromSend: number[] = [];
    let missing = 0;
    let extra = 0;
    let beforeAck = 0;
    for (const w of ws) {
      for (const [rev, ackT] of acked) {
        const t = w.seen.get(rev);
        if (t === undefined) missing++;
        else {
          if (t < ackT) beforeAck++;
          lat.push(Math.max(0, t - ackT));
          fromSend.push(t - sentAt.get(rev)!);
        }
      }
      for (const rev of w.seen.keys()) if (!acked.has(rev)) extra++;
    }
    const duplicates = ws.reduce((a, w) => a + w.duplicates, 0);
    const outOfOrder = ws.reduce((a, w) => a + w.outOfOrder, 0);
    return {
      watchers,
      rate_per_s: ratePerS,
      seconds: round(measureMs / 1000, 1),
      writes_acked: acked.size,
      write_errors: writeErrors,
      events_expected: acked.size * watchers,
      events_received: ws.reduce((a, w) => a + w.received, 0),
      missing,
      duplicates,
      out_of_order: outOfOrder,
      extra,
      before_ack: beforeAck,
      all_delivered_in_order: missing === 0 && duplicates === 0 && outOfOrder === 0 && watchErrors.length === 0,
      ...latencySummary(lat),
      from_send_p50_ms: latencySummary(fromSend).p50_ms,
      from_send_p99_ms: latencySummary(fromSend).p99_ms,
      watch_errors: watchErrors.slice(0, 20),
      errors,
    };
  } finally {
    writerDone = true;
    for (const s of streams) {
      s.on('error', () => undefined);
      s.cancel();
    }
  }
}

// ---- failover ----

export interface FailoverResult {
  clients: number;
  killed: string | null;
  /** the longest gap between consecutive acknowledged writes around the kill */
  window_ms: number | null;
  /** where that gap started, relative to the kill (negative: just before it) */
  window_start_after_kill_ms: number | null;
  /** kill → the first acknowledged write sent after the kill */
  kill_to_first_write_ms: number | null;
  recovered: boolean;
  /** a writer waiting longer than this for its put sends another one (the first keeps going) */
  hedge_ms: number;
  writes_sent: number;
  writes_acked: number;
  write_errors: number;
  /** still unanswered when the load stopped; cancelled (so not acknowledged) */
  writes_cancelled: number;
  acked_lost: number | null;
  acked_wrong_value: number | null;
  /** writes that failed, or were cancelled, for the client yet are in the store: allowed */
  unacked_present: number | null;
  read_back_error: string | null;
  errors: Record<string, number>;
  acks_per_100ms_from_500ms_before_kill: number[];
}

/**
 * Under put load (unique keys f0000000.., each value naming its sequence number), SIGKILL the
 * leader (found with Maintenance.Status), keep writing until writes succeed again and then for
 * `afterMs` more, stop, and read back every acknowledged key from the surviving members.
 *
 * A write that a follower forwarded to the dead leader can hang until the server gives up (7 s in
 * etcd); cancelling it early would throw away writes that were only slow. So nothing is cancelled
 * during the run: a writer whose put has been unanswered for `hedge` ms (4 × the p99 before the
 * kill, within 100..1000 ms; the same rule for both systems) sends another one while the first
 * keeps going, and every ack counts when it arrives. The outage is then the longest gap between
 * consecutive acks around the kill, whichever request they answer.
 */
export async function failoverBench(
  client: BenchClient,
  members: string[],
  kill: (member: number) => Promise<void>,
  opts: { clients: number; beforeMs: number; afterMs: number; maxRecoveryMs: number; log: (msg: string) => void },
): Promise<FailoverResult> {
  const acks: Array<{ t: number; seq: number }> = [];
  const errors: Record<string, number> = {};
  let writeErrors = 0;
  let seq = 0;
  let stop = false;
  let killTime = Infinity;
  let hedgeMs = 1000;
  const preLat: number[] = [];
  let recoveredAt: number | undefined;
  const outstanding = new Map<number, ReturnType<typeof putCall>['call']>();

  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const s = seq++;
      const t0 = now();
      const { result, call } = putCall(client.pick(w, i), key('f', s), seqValue(s));
      outstanding.set(s, call);
      let failed = false;
      const settled = result.then(
        () => {
          const t1 = now();
          acks.push({ t: t1, seq: s });
          if (t1 < killTime) preLat.push(t1 - t0);
          if (t0 > killTime && recoveredAt === undefined) recoveredAt = t1;
        },
        (e) => {
          failed = true;
          if (!stop) {
            writeErrors++;
            countError(errors, e);
          }
        },
      ).finally(() => outstanding.delete(s));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([settled, new Promise<void>((r) => (timer = setTimeout(r, hedgeMs)))]);
      clearTimeout(timer);
      if (failed) await sleep(20);
    }
  };
  const workers = Array.from({ length: opts.clients }, (_, w) => worker(w));

  let killed: number | undefined;
  let cancelled = 0;
  try {
    const calibrate = Math.min(1000, opts.beforeMs / 2);
    await sleep(calibrate);
    const sorted = [...preLat].sort((a, b) => a - b);
    hedgeMs = Math.round(Math.min(1000, Math.max(100, 4 * (percentile(sorted, 0.99) ?? 250))));
    await sleep(Math.max(0, opts.beforeMs - calibrate));

    for (let attempt = 0; killed === undefined && attempt < 50; attempt++) {
      killed = await findLeader(client, members.map((_, i) => i));
      if (killed === undefined) await sleep(100);
    }
    if (killed === undefined) throw new Error('no leader found to kill');
    opts.log(`killing the leader ${members[killed]} (SIGKILL) under ${opts.clients} writers (hedge ${hedgeMs} ms)`);
    killTime = now();
    await kill(killed);

    const limit = killTime + opts.maxRecoveryMs;
    while (now() < limit && (recoveredAt === undefined || now() < recoveredAt + opts.afterMs)) await sleep(20);
  } finally {
    stop = true;
    await Promise.all(workers);
    // What is still unanswered: a last moment to answer, then cancelled (not acknowledged).
    const until = now() + 1000;
    while (outstanding.size > 0 && now() < until) await sleep(20);
    cancelled = outstanding.size;
    for (const call of outstanding.values()) call.cancel();
  }

  // The outage: the longest gap between consecutive acks among those that end after the kill
  // (a stall after the first write of the new leader counts too; one before the kill does not).
  const times = acks.map((a) => a.t).sort((a, b) => a - b);
  let windowMs: number | null = null;
  let windowStart: number | null = null;
  if (recoveredAt !== undefined) {
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      if (times[i]! >= killTime && gap > (windowMs ?? -1)) {
        windowMs = gap;
        windowStart = times[i - 1]! - killTime;
      }
    }
  }
  // Acks per 100 ms, from 500 ms before the kill to the end: what the outage looked like.
  const timeline: number[] = [];
  if (Number.isFinite(killTime)) {
    for (const t of times) {
      const b = Math.floor((t - (killTime - 500)) / 100);
      if (b < 0) continue;
      while (timeline.length <= b) timeline.push(0);
      timeline[b]!++;
    }
  }

  // Read back everything under "f" from the survivors (paged, linearizable, retried).
  let lost: number | null = null;
  let wrong: number | null = null;
  let unackedPresent: number | null = null;
  let readBackError: string | null = null;
  const survivors = client.conns.filter((c) => c.member !== killed);
  try {
    const stored = new Map<string, string>();
    let from = Buffer.from('f');
    const rangeEnd = Buffer.from('g');
    const readUntil = now() + 30_000;
    for (let page = 0; ; page++) {
      let r;
      for (let attempt = 0; ; attempt++) {
        try {
          r = await range(survivors[(page + attempt) % survivors.length]!, { key: from, rangeEnd, limit: 5000 }, 10_000);
          break;
        } catch (e) {
          if (now() > readUntil) throw e;
          await sleep(200);
        }
      }
      for (const kv of r.kvs) stored.set(Buffer.from(kv.key).toString(), Buffer.from(kv.value).subarray(0, 16).toString());
      if (!r.more || r.kvs.length === 0) break;
      from = Buffer.concat([Buffer.from(r.kvs.at(-1)!.key), Buffer.from([0])]);
    }
    lost = 0;
    wrong = 0;
    const ackedKeys = new Set<string>();
    for (const a of acks) {
      const k = key('f', a.seq).toString();
      ackedKeys.add(k);
      const v = stored.get(k);
      if (v === undefined) lost++;
      else if (!v.startsWith(`seq=${a.seq};`)) wrong++;
    }
    unackedPresent = [...stored.keys()].filter((k) => !ackedKeys.has(k)).length;
  } catch (e) {
    readBackError = errorKind(e);
  }

  return {
    clients: opts.clients,
    killed: killed === undefined ? null : members[killed]!,
    window_ms: windowMs === null ? null : round(windowMs, 1),
    window_start_after_kill_ms: windowStart === null ? null : round(windowStart, 1),
    kill_to_first_write_ms: recoveredAt === undefined ? null : round(recoveredAt - killTime, 1),
    recovered: recoveredAt !== undefined,
    hedge_ms: hedgeMs,
    writes_sent: seq,
    writes_acked: acks.length,
    write_errors: writeErrors,
    writes_cancelled: cancelled,
    acked_lost: lost,
    acked_wrong_value: wrong,
    unacked_present: unackedPresent,
    read_back_error: readBackError,
    errors,
    acks_per_100ms_from_500ms_before_kill: timeline,
  };
}
