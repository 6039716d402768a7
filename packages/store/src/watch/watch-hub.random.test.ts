/**
 * Seeded workload: random watchers (keys, prefixes, from-key, start revisions in the past, now
 * and the future, filters, prev_kv) on several streams, random writes and txns, clients that
 * stop reading for a while, a snapshot install. Each watcher must end up with exactly what a
 * reference read of the history gives: every event once, in order.
 */
import { RecordingLogger, SeededRng } from '@mk/shared';
import { EventType, MvccStore, type RequestOp } from '../mvcc';
import { type EventRow, FROM_KEY, type Harness, type WatchConn, b, prefixEnd, startHarness, str } from './test-harness';

interface Spec {
  conn: WatchConn;
  id: number;
  key: Uint8Array;
  end: Uint8Array | undefined;
  start: number;
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
}

const KEYS = ['a', 'a/1', 'a/2', 'a/3', 'b', 'b/1', 'c', 'c/x', 'd'];

describe('WatchHub seeded workload', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every watcher sees exactly the reference history`, async () => {
      const rng = new SeededRng(seed);
      const logger = new RecordingLogger();
      h = await startHarness({ streamBufferBytes: 16 * 1024, maxResponseBytes: 12 * 1024, logger });
      // The reference: the same writes, never compacted or replaced.
      const reference = new MvccStore();
      // A second member that gets ahead and is installed as a snapshot midway.
      const leader = new MvccStore();
      const conns = [h.connect(), h.connect(), h.connect()];
      const specs: Spec[] = [];
      const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)] as T;

      const value = () => `${rng.int(1000)}-${'v'.repeat(rng.int(3) === 0 ? 1500 : 10)}`;
      const randomOp = (): RequestOp => {
        const r = rng.int(10);
        if (r < 6) return { put: { key: b(pick(KEYS)), value: b(value()) } };
        if (r < 8) {
          const k = pick(KEYS);
          return rng.int(2) === 0 ? { deleteRange: { key: b(k) } } : { deleteRange: { key: b(k), rangeEnd: prefixEnd(k) } };
        }
        const ops: RequestOp[] = [];
        const used = new Set<string>();
        for (let i = 0; i < 1 + rng.int(4); i++) {
          const k = pick(KEYS);
          if (used.has(k)) continue;
          used.add(k);
          ops.push(rng.int(3) === 0 ? { deleteRange: { key: b(k) } } : { put: { key: b(k), value: b(value()) } });
        }
        return { txn: { success: ops } };
      };
      const applyTo = (store: MvccStore, op: RequestOp) => {
        if ('put' in op) return store.put(op.put);
        if ('deleteRange' in op) return store.deleteRange(op.deleteRange);
        if ('txn' in op) return store.txn(op.txn);
        throw new Error('unexpected op');
      };
      const write = (publish: boolean) => {
        const op = randomOp();
        applyTo(reference, op);
        applyTo(leader, op);
        if (publish) h.publish(applyTo(h.store, op).events);
      };
      const addWatcher = async () => {
        // (A paused client would not see its created response.)
        const conn = pick(conns);
        if (conn.call.isPaused()) conn.call.resume();
        const shape = rng.int(3);
        const k = pick(KEYS);
        const key = b(k);
        const end = shape === 0 ? undefined : shape === 1 ? prefixEnd(k) : FROM_KEY;
        const now = reference.currentRevision;
        const startChoice = rng.int(4);
        const startRevision = startChoice === 0 ? 0 : startChoice === 1 ? 1 + rng.int(now) : startChoice === 2 ? now + 1 + rng.int(20) : 1;
        const filter = rng.int(5);
        const noPut = filter === 0;
        const noDelete = filter === 1;
        const prevKv = rng.int(2) === 0;
        const filters = [...(noPut ? [0] : []), ...(noDelete ? [1] : [])];
        const id = await conn.watch({ key, rangeEnd: end, startRevision, filters, prevKv });
        specs.push({ conn, id, key, end, start: startRevision === 0 ? now + 1 : startRevision, noPut, noDelete, prevKv });
      };

      for (let i = 0; i < 4; i++) await addWatcher();
      for (let step = 0; step < 600; step++) {
        const r = rng.int(100);
        if (r < 3) await addWatcher();
        else if (r < 6) {
          const c = pick(conns);
          if (c.call.isPaused()) c.call.resume();
          else c.call.pause();
        } else if (r < 8) {
          await new Promise((res) => setImmediate(res));
        } else write(true);
        if (step === 300) {
          // The member misses some writes and installs the leader's snapshot.
          for (let i = 0; i < 25; i++) write(false);
          h.store = MvccStore.fromSnapshot(leader.snapshot());
          h.hub.onRestore();
        }
      }
      for (const c of conns) if (c.call.isPaused()) c.call.resume();

      const final = reference.currentRevision;
      expect(h.store.currentRevision).toBe(final);
      for (const s of specs) {
        const expected: EventRow[] = reference
          .eventsSince(Math.max(1, s.start), s.key, s.end)
          .filter((e) => !(e.type === EventType.PUT ? s.noPut : s.noDelete))
          .map((e) => [
            e.type === EventType.DELETE ? 'DELETE' : 'PUT',
            str(e.kv.key),
            e.kv.modRevision,
            str(e.kv.value),
            s.prevKv && e.prevKv !== undefined ? str(e.prevKv.value) : null,
          ]);
        const got = await s.conn.waitEvents(s.id, expected.length);
        expect(got).toEqual(expected);
      }
      for (const c of conns) await c.barrier();
      for (const s of specs) {
        const responses = s.conn.eventResponses(s.id);
        // Responses carry increasing revisions, never splitting one (no watcher asked for fragments).
        const revs = responses.map((r) => r.events.map((e) => Number(e.kv?.modRevision)));
        for (let i = 1; i < revs.length; i++) expect((revs[i] as number[])[0]).toBeGreaterThan((revs[i - 1] as number[]).at(-1) as number);
        expect(responses.every((r) => !r.canceled)).toBe(true);
      }
      const total = specs.reduce((n, s) => n + s.conn.events(s.id).length, 0);
      expect(total).toBeGreaterThan(0);
      expect(h.hub.size()).toBe(specs.length);
      // The workload did make streams fall back to history.
      expect(logger.records.filter((r) => r.message.startsWith('watch: slow stream')).length).toBeGreaterThan(0);
    }, 60_000);
  }
});
