import * as grpc from '@grpc/grpc-js';
import { RecordingLogger } from '@mk/shared';
import { MvccStore } from '../mvcc';
import {
  CLUSTER_ID,
  FROM_KEY,
  type EventRow,
  type Harness,
  MEMBER_ID,
  RAFT_TERM,
  WatchConn,
  b,
  eventually,
  prefixEnd,
  startHarness,
} from './test-harness';
import { WatchMessages } from './watch-hub';

describe('WatchHub over real gRPC (etcd Watch service)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('answers a create with created, the watch id and the header; ids are picked from 0 up', async () => {
    h = await startHarness();
    h.put('x', '1');
    h.put('x', '2');
    const c = h.connect();
    c.create({ key: b('a') });
    c.create({ key: b('b') });
    await c.until('two created', () => c.received.length === 2);
    const [r0, r1] = c.received;
    expect(r0?.created).toBe(true);
    expect(r0?.canceled).toBe(false);
    expect(Number(r0?.watchId)).toBe(0);
    expect(Number(r1?.watchId)).toBe(1);
    expect(r0?.header).toMatchObject({ clusterId: CLUSTER_ID, memberId: MEMBER_ID, raftTerm: RAFT_TERM, revision: 3 });
    expect(h.hub.size()).toBe(2);
  });

  it('delivers live events in revision order, only for the watched key, one response per revision', async () => {
    h = await startHarness();
    const c = h.connect();
    const id = await c.watch({ key: b('k') });
    const expected: EventRow[] = [];
    for (let i = 0; i < 300; i++) {
      const rev = h.put('k', `v${i}`);
      expected.push(['PUT', 'k', rev, `v${i}`, null]);
      h.put('other', `o${i}`);
      if (i % 50 === 49) {
        const d = h.del('k');
        expected.push(['DELETE', 'k', d, '', null]);
      }
    }
    const got = await c.waitEvents(id, expected.length);
    expect(got).toEqual(expected);
    for (const r of c.eventResponses(id)) {
      expect(r.events).toHaveLength(1);
      expect(Number(r.header?.revision)).toBe(Number(r.events[0]?.kv?.modRevision));
    }
    await c.barrier();
    expect(c.events(id)).toHaveLength(expected.length);
  });

  it('watches prefixes, from-key ranges and whole txns (events of one revision stay together)', async () => {
    h = await startHarness();
    const c = h.connect();
    const prefix = await c.watch({ key: b('p/'), rangeEnd: prefixEnd('p/') });
    const fromKey = await c.watch({ key: b('m'), rangeEnd: FROM_KEY });
    const all = await c.watch({ key: new Uint8Array(0), rangeEnd: FROM_KEY });
    const r1 = h.put('p/1', 'a');
    const r2 = h.put('p', 'not-in-prefix');
    const r3 = h.put('q', 'b');
    const r4 = h.put('a', 'c');
    const r5 = h.txn({
      success: [{ put: { key: b('p/2'), value: b('d') } }, { put: { key: b('z'), value: b('e') } }, { deleteRange: { key: b('p/1') } }],
    });
    expect(await c.waitEvents(prefix, 3)).toEqual([
      ['PUT', 'p/1', r1, 'a', null],
      ['PUT', 'p/2', r5, 'd', null],
      ['DELETE', 'p/1', r5, '', null],
    ]);
    expect(await c.waitEvents(fromKey, 6)).toEqual([
      ['PUT', 'p/1', r1, 'a', null],
      ['PUT', 'p', r2, 'not-in-prefix', null],
      ['PUT', 'q', r3, 'b', null],
      ['PUT', 'p/2', r5, 'd', null],
      ['PUT', 'z', r5, 'e', null],
      ['DELETE', 'p/1', r5, '', null],
    ]);
    expect((await c.waitEvents(all, 7)).map((e) => e[2])).toEqual([r1, r2, r3, r4, r5, r5, r5]);
    // The txn's events reach each watcher in one response, in the txn's order (sub-revisions).
    expect(c.eventResponses(fromKey).map((r) => r.events.length)).toEqual([1, 1, 1, 3]);
    expect(c.eventResponses(prefix).map((r) => r.events.length)).toEqual([1, 2]);
  });

  it('adds prev_kv only when asked; a DELETE kv has only key and mod_revision', async () => {
    h = await startHarness();
    const c = h.connect();
    const withPrev = await c.watch({ key: b('a'), prevKv: true });
    const without = await c.watch({ key: b('a') });
    const r1 = h.put('a', '1');
    const r2 = h.put('a', '2');
    const r3 = h.del('a');
    const r4 = h.put('a', '3');
    expect(await c.waitEvents(withPrev, 4)).toEqual([
      ['PUT', 'a', r1, '1', null],
      ['PUT', 'a', r2, '2', '1'],
      ['DELETE', 'a', r3, '', '2'],
      ['PUT', 'a', r4, '3', null],
    ]);
    expect(await c.waitEvents(without, 4)).toEqual([
      ['PUT', 'a', r1, '1', null],
      ['PUT', 'a', r2, '2', null],
      ['DELETE', 'a', r3, '', null],
      ['PUT', 'a', r4, '3', null],
    ]);
    const del = c.eventResponses(without)[2]?.events[0];
    expect(del?.type).toBe(1);
    expect(del?.kv).toMatchObject({ createRevision: 0, version: 0, lease: 0, modRevision: r3 });
    expect(del?.kv?.value).toHaveLength(0);
    const put = c.eventResponses(without)[1]?.events[0];
    expect(put?.kv).toMatchObject({ createRevision: r1, modRevision: r2, version: 2 });
  });

  it('applies NOPUT and NODELETE filters (a revision with nothing left sends nothing)', async () => {
    h = await startHarness();
    const c = h.connect();
    const noPut = await c.watch({ key: b('f/'), rangeEnd: prefixEnd('f/'), filters: [0] });
    const noDelete = await c.watch({ key: b('f/'), rangeEnd: prefixEnd('f/'), filters: [1] });
    const both = await c.watch({ key: b('f/'), rangeEnd: prefixEnd('f/'), filters: [0, 1] });
    const r1 = h.put('f/1', 'a');
    const r2 = h.put('f/2', 'b');
    const r3 = h.del('f/1');
    const r4 = h.del('f/', prefixEnd('f/'));
    expect(await c.waitEvents(noPut, 2)).toEqual([
      ['DELETE', 'f/1', r3, '', null],
      ['DELETE', 'f/2', r4, '', null],
    ]);
    expect(await c.waitEvents(noDelete, 2)).toEqual([
      ['PUT', 'f/1', r1, 'a', null],
      ['PUT', 'f/2', r2, 'b', null],
    ]);
    await c.barrier();
    expect(c.received.filter((r) => Number(r.watchId) === both && !r.created)).toHaveLength(0);
  });

  it('replays history from an old revision and then goes live, with no gap or duplicate while writes go on', async () => {
    h = await startHarness({ maxResponseBytes: 8 * 1024 });
    const value = (i: number) => `v${i}-${'x'.repeat(500)}`;
    const expected: EventRow[] = [];
    let i = 0;
    const write = () => {
      const key = `h/${i % 7}`;
      const rev = h.put(key, value(i));
      expected.push(['PUT', key, rev, value(i), null]);
      h.put(`elsewhere/${i}`, 'x');
      i++;
    };
    for (let n = 0; n < 300; n++) write();
    const c = h.connect();
    const id = await c.watch({ key: b('h/'), rangeEnd: prefixEnd('h/'), startRevision: 2 });
    // Keep writing while the replay is streaming: one write per turn of the event loop.
    const writer = (async () => {
      for (let n = 0; n < 300; n++) {
        write();
        await new Promise((r) => setImmediate(r));
      }
    })();
    await writer;
    const got = await c.waitEvents(id, 600);
    expect(got).toEqual(expected);
    // Many responses (the replay is cut in batches), each with consecutive, increasing revisions.
    const responses = c.eventResponses(id);
    expect(responses.length).toBeGreaterThan(10);
    let last = 0;
    for (const r of responses) {
      for (const e of r.events) {
        expect(Number(e.kv?.modRevision)).toBeGreaterThan(last);
        last = Number(e.kv?.modRevision);
      }
    }
    await c.barrier();
    expect(c.events(id)).toHaveLength(600);
  });

  it('keeps a revision whole in catch-up responses, cutting batches by size', async () => {
    h = await startHarness({ maxResponseBytes: 4096 });
    const big = 'y'.repeat(600);
    const revs: number[] = [];
    for (let t = 0; t < 20; t++) {
      revs.push(
        h.txn({
          success: [0, 1, 2].map((k) => ({ put: { key: b(`t/${k}`), value: b(`${t}-${big}`) } })),
        }),
      );
    }
    const c = h.connect();
    const id = await c.watch({ key: b('t/'), rangeEnd: prefixEnd('t/'), startRevision: 1 });
    await c.waitEvents(id, 60);
    const responses = c.eventResponses(id);
    expect(responses.length).toBeGreaterThan(1);
    for (const r of responses) {
      expect(r.events.length % 3).toBe(0);
      expect(r.fragment).toBe(false);
      expect(r.events.length).toBeLessThan(60);
    }
    expect(c.events(id).map((e) => e[2])).toEqual(revs.flatMap((r) => [r, r, r]));
  });

  it('answers a compacted start revision with created, then canceled with compact_revision', async () => {
    h = await startHarness();
    for (let i = 0; i < 10; i++) h.put('c', `${i}`); // revisions 2..11
    h.compact(7);
    const c = h.connect();
    const old = await c.watch({ key: b('c'), startRevision: 3 });
    await c.until('compacted response', () => c.received.some((r) => Number(r.watchId) === old && r.canceled));
    const created = c.received[0];
    expect(created?.created).toBe(true);
    expect(created?.canceled).toBe(false);
    const canceled = c.received[1];
    expect(canceled).toMatchObject({ watchId: old, canceled: true, created: false, compactRevision: 7, cancelReason: '' });
    expect(canceled?.events).toHaveLength(0);
    expect(h.hub.size()).toBe(0);

    // At the compaction revision itself the history is still complete.
    const atCompact = await c.watch({ key: b('c'), startRevision: 7 });
    expect((await c.waitEvents(atCompact, 5)).map((e) => e[2])).toEqual([7, 8, 9, 10, 11]);
    // A start revision in the future waits for it.
    const future = await c.watch({ key: b('c'), startRevision: 14 });
    h.put('c', 'r12');
    h.put('c', 'r13');
    const r14 = h.put('c', 'r14');
    expect(await c.waitEvents(future, 1)).toEqual([['PUT', 'c', r14, 'r14', null]]);
    await c.barrier();
    expect(c.events(future)).toHaveLength(1);
  });

  it('cancels a watcher with canceled: true; an unknown id gets no answer', async () => {
    h = await startHarness();
    const c = h.connect();
    const gone = await c.watch({ key: b('k') });
    const stays = await c.watch({ key: b('k') });
    const r1 = h.put('k', '1');
    await c.waitEvents(gone, 1);
    c.cancel(gone);
    await c.until('cancel response', () => c.received.some((r) => r.canceled));
    const cancel = c.received.find((r) => r.canceled);
    expect(cancel).toMatchObject({ watchId: gone, canceled: true, created: false });
    expect(cancel?.header?.revision).toBe(r1);
    expect(h.hub.size()).toBe(1);
    const r2 = h.put('k', '2');
    expect(await c.waitEvents(stays, 2)).toEqual([
      ['PUT', 'k', r1, '1', null],
      ['PUT', 'k', r2, '2', null],
    ]);
    const countBefore = c.received.length;
    c.cancel(999);
    await c.barrier();
    // Only the barrier's own answer arrived.
    expect(c.received.length).toBe(countBefore + 1);
    expect(c.events(gone)).toHaveLength(1);
  });

  it('takes client-chosen watch ids and refuses a duplicate or an empty range as etcd does', async () => {
    h = await startHarness();
    const c = h.connect();
    expect(await c.watch({ key: b('a'), watchId: 7 })).toBe(7);
    expect(await c.watch({ key: b('a') })).toBe(0);
    c.create({ key: b('b'), watchId: 7 });
    await c.until('duplicate answer', () => c.received.length === 3);
    expect(c.received[2]).toMatchObject({
      created: true,
      canceled: true,
      watchId: -1,
      cancelReason: WatchMessages.duplicateId,
    });
    expect(WatchMessages.duplicateId).toBe('mvcc: duplicate watch ID provided on the WatchStream');
    c.create({ key: b('z'), rangeEnd: b('a') });
    await c.until('empty range answer', () => c.received.length === 4);
    expect(c.received[3]).toMatchObject({ created: true, canceled: true, watchId: -1, cancelReason: 'mvcc: watcher range is empty' });
    expect(await c.watch({ key: b('a') })).toBe(1);
    expect(await c.watch({ key: b('a'), watchId: 2 })).toBe(2);
    expect(await c.watch({ key: b('a') })).toBe(3); // auto ids skip ids in use
    expect(h.hub.size()).toBe(5);
    // The refused watcher id 7 is still the first one, and gets events.
    const r = h.put('a', 'v');
    expect(await c.waitEvents(7, 1)).toEqual([['PUT', 'a', r, 'v', null]]);
  });

  it('answers a progress request with watch_id -1 and the current revision', async () => {
    h = await startHarness();
    const c = h.connect();
    const p0 = await c.barrier();
    expect(p0).toMatchObject({ watchId: -1, created: false, canceled: false });
    expect(p0.header).toMatchObject({ revision: 1, clusterId: CLUSTER_ID });
    const id = await c.watch({ key: b('k') });
    h.put('k', '1');
    const r2 = h.put('other', '2');
    const p1 = await c.barrier();
    expect(Number(p1.header?.revision)).toBe(r2);
    // Everything queued before the answer arrived before it.
    expect(c.events(id)).toHaveLength(1);
  });

  it('sends progress notifications to idle progress_notify watchers, skipping ticks after events', async () => {
    h = await startHarness({ progressNotifyMs: 1000 });
    const c = h.connect();
    const notify = await c.watch({ key: b('n'), progressNotify: true });
    const quiet = await c.watch({ key: b('n') });
    const progressOf = (id: number) => c.received.filter((r) => Number(r.watchId) === id && !r.created && r.events.length === 0);

    h.put('x', '1');
    h.clock.advance(1000);
    await c.until('first notification', () => progressOf(notify).length === 1);
    expect(progressOf(notify)[0]?.header?.revision).toBe(2);

    const r3 = h.put('n', 'a');
    await c.waitEvents(notify, 1);
    h.clock.advance(1000); // events went out since the last tick: no notification
    await c.barrier();
    expect(progressOf(notify)).toHaveLength(1);
    h.clock.advance(1000);
    await c.until('second notification', () => progressOf(notify).length === 2);
    expect(progressOf(notify)[1]?.header?.revision).toBe(r3);
    expect(progressOf(quiet)).toHaveLength(0);
  });

  it('serves several watchers on several streams independently', async () => {
    h = await startHarness();
    const conns: WatchConn[] = [h.connect(), h.connect(), new WatchConn(h.newClient())];
    const ids: number[][] = [];
    for (const [n, c] of conns.entries()) {
      ids.push([
        await c.watch({ key: b(`s${n}/`), rangeEnd: prefixEnd(`s${n}/`) }),
        await c.watch({ key: b('shared') }),
        await c.watch({ key: b(''), rangeEnd: FROM_KEY, prevKv: true }),
      ]);
    }
    expect(h.hub.size()).toBe(9);
    expect(h.hub.streamCount()).toBe(3);
    const revs: number[] = [];
    for (let i = 0; i < 30; i++) {
      revs.push(h.put(`s${i % 3}/k`, `${i}`));
      revs.push(h.put('shared', `${i}`));
    }
    for (const [n, c] of conns.entries()) {
      const [own, shared, everything] = ids[n] as number[];
      const mine = await c.waitEvents(own as number, 10);
      expect(mine.map((e) => e[1])).toEqual(Array(10).fill(`s${n}/k`));
      expect(mine.map((e) => e[3])).toEqual([...Array(10).keys()].map((k) => `${k * 3 + n}`));
      expect((await c.waitEvents(shared as number, 30)).map((e) => e[3])).toEqual([...Array(30).keys()].map(String));
      expect((await c.waitEvents(everything as number, 60)).map((e) => e[2])).toEqual(revs);
    }
  });

  it('removes the watchers of a stream the client cancels, and keeps watching after a half-close', async () => {
    h = await startHarness();
    const a = h.connect();
    const bConn = h.connect();
    await a.watch({ key: b('k') });
    await a.watch({ key: b('l'), rangeEnd: FROM_KEY });
    const kept = await bConn.watch({ key: b('k') });
    expect(h.hub.size()).toBe(3);
    a.call.cancel();
    await eventually('watchers of the canceled stream removed', () => h.hub.size() === 1);
    expect(h.hub.streamCount()).toBe(1);
    // etcd keeps a stream's watchers going after the client half-closes.
    bConn.call.end();
    const r = h.put('k', 'after-half-close');
    expect(await bConn.waitEvents(kept, 1)).toEqual([['PUT', 'k', r, 'after-half-close', null]]);
    bConn.call.cancel();
    await eventually('all watchers removed', () => h.hub.size() === 0 && h.hub.streamCount() === 0);
  });

  it('close() ends every stream with UNAVAILABLE and drops every watcher', async () => {
    h = await startHarness();
    const c1 = h.connect();
    const c2 = h.connect();
    await c1.watch({ key: b('a') });
    await c2.watch({ key: b('b') });
    h.hub.close();
    expect(h.hub.size()).toBe(0);
    await c1.until('error', () => c1.error !== undefined);
    await c2.until('error', () => c2.error !== undefined);
    expect(c1.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(c1.error?.details).toBe('etcdserver: server stopped');
    // A stream opened after close is refused the same way.
    const late = h.connect();
    await late.until('error', () => late.error !== undefined);
    expect(late.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(h.hub.size()).toBe(0);
  });

  it('reads revisions that were applied but never published from history (and warns)', async () => {
    const logger = new RecordingLogger();
    h = await startHarness({ logger });
    const c = h.connect();
    const id = await c.watch({ key: b('g') });
    const r2 = h.put('g', '1');
    const skipped = h.store.put({ key: b('g'), value: b('2') }).response.revision; // not published
    const third = h.store.put({ key: b('g'), value: b('3') });
    const r4 = third.response.revision;
    h.publish(third.events); // revision 3 was skipped
    h.publish(third.events); // published twice
    expect(await c.waitEvents(id, 3)).toEqual([
      ['PUT', 'g', r2, '1', null],
      ['PUT', 'g', skipped, '2', null],
      ['PUT', 'g', r4, '3', null],
    ]);
    expect(logger.records.map((r) => r.message)).toEqual([
      'watch: revisions were skipped by publish; watchers read them from history',
      'watch: ignoring events of a revision already published',
    ]);
    const r5 = h.put('g', '4');
    expect((await c.waitEvents(id, 4))[3]).toEqual(['PUT', 'g', r5, '4', null]);
    await c.barrier();
    expect(c.events(id)).toHaveLength(4);
  });

  it('ends only the affected stream with INTERNAL when reading history fails', async () => {
    const logger = new RecordingLogger();
    h = await startHarness({ logger });
    h.put('k', '1');
    const healthy = h.connect();
    const id = await healthy.watch({ key: b('k') });
    const real = h.store;
    h.store = Object.assign(Object.create(real) as MvccStore, {
      eventsSince: () => {
        throw new Error('boom');
      },
    });
    const broken = h.connect();
    broken.create({ key: b('k'), startRevision: 1 });
    await broken.until('stream error', () => broken.error !== undefined);
    expect(broken.error?.code).toBe(grpc.status.INTERNAL);
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    expect(h.hub.size()).toBe(1);
    h.store = real;
    const r = h.put('k', '2');
    expect(await healthy.waitEvents(id, 1)).toEqual([['PUT', 'k', r, '2', null]]);
  });

  it('fragments a large revision for a watcher that asked for it, and not otherwise', async () => {
    h = await startHarness({ maxResponseBytes: 4096 });
    const c = h.connect();
    const frag = await c.watch({ key: b('f/'), rangeEnd: prefixEnd('f/'), fragment: true });
    const whole = await c.watch({ key: b('f/'), rangeEnd: prefixEnd('f/') });
    const value = 'z'.repeat(1000);
    const rev = h.txn({ success: [...Array(10).keys()].map((k) => ({ put: { key: b(`f/${k}`), value: b(value) } })) });
    await c.waitEvents(frag, 10);
    await c.waitEvents(whole, 10);
    const fragments = c.eventResponses(frag);
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments.map((r) => r.fragment)).toEqual([...Array(fragments.length - 1).fill(true), false]);
    for (const r of fragments) {
      expect(Number(r.header?.revision)).toBe(rev);
      if (r.events.length > 1) expect(r.events.length * 1000).toBeLessThan(4096);
    }
    expect(c.events(frag).map((e) => e[1])).toEqual([...Array(10).keys()].map((k) => `f/${k}`));
    expect(c.eventResponses(whole).map((r) => [r.events.length, r.fragment])).toEqual([[10, false]]);
  });
});

describe('WatchHub with a slow client', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  const value = (i: number) => `${i}:${'s'.repeat(2000)}`;

  it('catches a watcher up from history once its client reads again: every event once, in order', async () => {
    const logger = new RecordingLogger();
    h = await startHarness({ streamBufferBytes: 32 * 1024, maxResponseBytes: 64 * 1024, logger });
    const c = h.connect();
    const id = await c.watch({ key: b('s'), prevKv: true });
    c.call.pause();
    const revs: number[] = [];
    for (let i = 0; i < 1500; i++) {
      revs.push(h.put('s', value(i)));
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    // The stream's queue went over its bound: the watcher stopped queueing live events.
    expect(logger.records.some((r) => r.message.startsWith('watch: slow stream'))).toBe(true);
    c.call.resume();
    const got = await c.waitEvents(id, 1500);
    expect(got.map((e) => e[2])).toEqual(revs);
    expect(got.map((e) => e[3])).toEqual(revs.map((_, i) => value(i)));
    expect(got.map((e) => e[4])).toEqual(revs.map((_, i) => (i === 0 ? null : value(i - 1))));
    // Live again afterwards.
    const r = h.put('s', 'live');
    expect((await c.waitEvents(id, 1501))[1500]).toEqual(['PUT', 's', r, 'live', value(1499)]);
  });

  it('cancels a lagging watcher with compact_revision when its history was compacted meanwhile', async () => {
    h = await startHarness({ streamBufferBytes: 32 * 1024, maxResponseBytes: 64 * 1024 });
    const c = h.connect();
    const id = await c.watch({ key: b('s') });
    const first = h.put('s', value(0));
    c.call.pause();
    let last = first;
    for (let i = 1; i < 1500; i++) {
      last = h.put('s', value(i));
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    h.compact(last);
    c.call.resume();
    await c.until('compacted response', () => c.received.some((r) => r.canceled));
    const revs = c.events(id).map((e) => e[2]);
    // A prefix of the history, with no gap, then the compaction notice.
    expect(revs).toEqual([...Array(revs.length).keys()].map((k) => first + k));
    expect(revs.length).toBeLessThan(1499);
    const canceled = c.received[c.received.length - 1];
    expect(canceled).toMatchObject({ watchId: id, canceled: true, compactRevision: last });
    expect(h.hub.size()).toBe(0);
  });
});

describe('WatchHub.onRestore (a snapshot replaced the state)', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /** Applies the same put to the member's store (published) and to the leader's. */
  function putBoth(leader: MvccStore, key: string, value: string): number {
    leader.put({ key: b(key), value: b(value) });
    return h.put(key, value);
  }

  it('continues each watcher from its next revision through the new history, then live', async () => {
    h = await startHarness();
    const leader = new MvccStore();
    const c = h.connect();
    const prefix = await c.watch({ key: b('r/'), rangeEnd: prefixEnd('r/'), prevKv: true });
    const single = await c.watch({ key: b('r/1') });
    const r2 = putBoth(leader, 'r/1', 'a');
    const r3 = putBoth(leader, 'other', 'b');
    await c.waitEvents(prefix, 1);
    // The member falls behind; the leader moves on and compacts at the member's next revision.
    const r4 = leader.put({ key: b('r/2'), value: b('c') }).response.revision;
    const r5 = leader.put({ key: b('r/1'), value: b('d') }).response.revision;
    const r6 = leader.deleteRange({ key: b('r/2') }).response.revision;
    leader.put({ key: b('x'), value: b('e') });
    leader.compact(r3 + 1);
    h.store = MvccStore.fromSnapshot(leader.snapshot());
    h.hub.onRestore();
    expect(r3).toBe(3);
    const r8 = h.put('r/3', 'live');
    expect(await c.waitEvents(prefix, 5)).toEqual([
      ['PUT', 'r/1', r2, 'a', null],
      ['PUT', 'r/2', r4, 'c', null],
      ['PUT', 'r/1', r5, 'd', 'a'],
      ['DELETE', 'r/2', r6, '', 'c'],
      ['PUT', 'r/3', r8, 'live', null],
    ]);
    expect(await c.waitEvents(single, 2)).toEqual([
      ['PUT', 'r/1', r2, 'a', null],
      ['PUT', 'r/1', r5, 'd', null],
    ]);
    await c.barrier();
    expect(c.events(prefix)).toHaveLength(5);
    expect(c.events(single)).toHaveLength(2);
  });

  it('cancels a watcher with compact_revision when the snapshot compacted past its next revision', async () => {
    h = await startHarness();
    const leader = new MvccStore();
    const c = h.connect();
    const id = await c.watch({ key: b('w') });
    const future = await c.watch({ key: b('w'), startRevision: 20 });
    putBoth(leader, 'w', '1');
    await c.waitEvents(id, 1);
    for (let i = 0; i < 5; i++) leader.put({ key: b('w'), value: b(`${i}`) });
    leader.compact(6);
    h.store = MvccStore.fromSnapshot(leader.snapshot());
    h.hub.onRestore();
    await c.until('compacted response', () => c.received.some((r) => r.canceled));
    expect(c.received.find((r) => r.canceled)).toMatchObject({ watchId: id, canceled: true, compactRevision: 6 });
    expect(h.hub.size()).toBe(1); // the watcher waiting for revision 20 is untouched
    let rev = 0;
    while (rev < 20) rev = h.put('w', `n${rev}`);
    expect((await c.waitEvents(future, 1))[0]?.[2]).toBe(20);
  });
});
