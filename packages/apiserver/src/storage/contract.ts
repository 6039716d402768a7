/**
 * The Store contract: one table of behaviours that every implementation must show. Run against
 * the MemoryStore in the unit tier (memory-store.test.ts) and against real mk-store and etcd 3.4
 * clusters in the end-to-end tier (test/e2e/apiserver-storage.test.ts).
 *
 * The store may be shared between tests and never cleaned: each test works under a prefix of its
 * own and only reasons about revisions it made itself (tests run one after the other).
 */
import {
  CompactedError,
  FutureRevisionError,
  InvalidStoreRequestError,
  KeyExistsError,
  KeyNotFoundError,
  RequestTooLargeError,
  RevisionMismatchError,
} from './errors';
import { type ChangeEvent, type Store, type WatchEvent, type WatchHandle, fromBytes, toBytes } from './store';

export interface ContractOptions {
  /** What the store accepts in one request (its --max-request-bytes). */
  maxRequestBytes: number;
  /**
   * A quiet watch gets a progress notification within this many ms. Leave it out for a store
   * whose notification interval cannot be shortened (the bookmark behaviour is then not run).
   */
  progressNotifyWithinMs?: number;
  /** How long to wait for watch events (default 10 s). */
  watchWaitMs?: number;
  /** Per-test timeout (default 30 s). */
  testTimeoutMs?: number;
}

export interface ContractContext {
  store: Store;
  /** A prefix no other test uses, ending with '/'. */
  p: string;
  opts: ContractOptions;
}

/** Collects what a watch delivers. */
export class WatchRecorder {
  readonly batches: WatchEvent[][] = [];
  readonly errors: Error[] = [];
  handle!: WatchHandle;

  constructor(private readonly waitMs: number) {}

  static start(store: Store, prefix: string, from: number, waitMs = 10_000, progressNotify = true): WatchRecorder {
    const r = new WatchRecorder(waitMs);
    r.handle = store.watch(
      prefix,
      from,
      (events) => r.batches.push(events),
      (err) => r.errors.push(err),
      { progressNotify },
    );
    return r;
  }

  /** Every put/delete so far, in delivery order. */
  get changes(): ChangeEvent[] {
    return this.batches.flat().filter((e): e is ChangeEvent => e.type !== 'bookmark');
  }

  get bookmarks(): number[] {
    return this.batches.flat().flatMap((e) => (e.type === 'bookmark' ? [e.revision] : []));
  }

  /** Waits until `pred` holds (polling), or fails naming `what`. */
  async until(what: string, pred: () => boolean, ms = this.waitMs): Promise<void> {
    const until = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > until) {
        throw new Error(`watch: never happened within ${ms} ms: ${what} (got ${this.changes.length} events, ${this.errors.length} errors: ${this.errors.map((e) => e.message).join('; ')})`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits for at least n changes. */
  untilChanges(n: number): Promise<void> {
    return this.until(`${n} events`, () => this.changes.length >= n || this.errors.length > 0);
  }
}

const v = (s: string): Uint8Array => toBytes(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : fromBytes(b));
const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Expects `p` to reject with an instance of `type`, and returns the error. */
async function rejects<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (e) {
    if (e instanceof type) return e;
    throw new Error(`expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
  throw new Error(`expected ${type.name}, but it succeeded`);
}

/** A short summary of change events, to compare whole sequences. */
function summary(events: ChangeEvent[], prefix: string): string[] {
  return events.map((e) =>
    e.type === 'put'
      ? `put ${e.key.slice(prefix.length)}=${text(e.value)} prev=${text(e.prevValue) ?? '-'} @${e.modRevision}`
      : `delete ${e.key.slice(prefix.length)} prev=${text(e.prevValue) ?? '-'} @${e.modRevision}`,
  );
}

type Behaviour = [title: string, run: (t: ContractContext) => Promise<void>];

/** The table. Each row is one `it`. */
export const behaviours: Behaviour[] = [
  // ---- get / create -----------------------------------------------------------------------------
  [
    'get of a missing key is undefined',
    async ({ store, p }) => {
      expect(await store.get(`${p}missing`)).toBeUndefined();
    },
  ],
  [
    'create stores the value at a new revision: create = mod revision, version 1',
    async ({ store, p }) => {
      const before = await store.currentRevision();
      const rev = await store.create(`${p}a`, v('1'));
      expect(rev).toBe(before + 1);
      const got = await store.get(`${p}a`);
      expect(got && { ...got, value: text(got.value) }).toEqual({ value: '1', modRevision: rev, createRevision: rev, version: 1 });
      expect(await store.currentRevision()).toBe(rev);
    },
  ],
  [
    'create of an existing key fails with KeyExistsError (its mod revision) and writes nothing',
    async ({ store, p }) => {
      const rev = await store.create(`${p}a`, v('1'));
      const err = await rejects(store.create(`${p}a`, v('2')), KeyExistsError);
      expect(err.key).toBe(`${p}a`);
      expect(err.modRevision).toBe(rev);
      expect(text((await store.get(`${p}a`))?.value)).toBe('1');
      expect(await store.currentRevision()).toBe(rev);
    },
  ],
  [
    'an empty value and non-ASCII keys are stored as given',
    async ({ store, p }) => {
      await store.create(`${p}ключ/😀`, new Uint8Array(0));
      const got = await store.get(`${p}ключ/😀`);
      expect(got?.value.length).toBe(0);
      expect((await store.list(`${p}ключ/`)).items.map((i) => i.key)).toEqual([`${p}ключ/😀`]);
    },
  ],

  // ---- update -----------------------------------------------------------------------------------
  [
    'update with the current mod revision writes a new revision; create revision stays, version grows',
    async ({ store, p }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      const r2 = await store.update(`${p}a`, v('2'), r1);
      expect(r2).toBe(r1 + 1);
      const got = await store.get(`${p}a`);
      expect(got && { ...got, value: text(got.value) }).toEqual({ value: '2', modRevision: r2, createRevision: r1, version: 2 });
    },
  ],
  [
    'update with a stale mod revision fails with RevisionMismatchError carrying the current state',
    async ({ store, p }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      const r2 = await store.update(`${p}a`, v('2'), r1);
      const err = await rejects(store.update(`${p}a`, v('3'), r1), RevisionMismatchError);
      expect(err).toMatchObject({ key: `${p}a`, expectedModRevision: r1, actualModRevision: r2, notFound: false });
      expect(text(err.current?.value)).toBe('2');
      expect(text((await store.get(`${p}a`))?.value)).toBe('2');
      expect(await store.currentRevision()).toBe(r2);
    },
  ],
  [
    'update of a missing key fails with RevisionMismatchError, notFound',
    async ({ store, p }) => {
      const rev = await store.create(`${p}other`, v('x'));
      const err = await rejects(store.update(`${p}a`, v('1'), rev), RevisionMismatchError);
      expect(err).toMatchObject({ notFound: true, actualModRevision: undefined, current: undefined });
      expect(await store.get(`${p}a`)).toBeUndefined();
    },
  ],
  [
    'update or delete with an expected revision that is not a positive integer is refused',
    async ({ store, p }) => {
      await store.create(`${p}a`, v('1'));
      await rejects(store.update(`${p}a`, v('2'), 0), InvalidStoreRequestError);
      await rejects(store.update(`${p}a`, v('2'), 1.5), InvalidStoreRequestError);
      await rejects(store.delete(`${p}a`, -1), InvalidStoreRequestError);
      expect(text((await store.get(`${p}a`))?.value)).toBe('1');
    },
  ],

  // ---- delete -----------------------------------------------------------------------------------
  [
    'delete returns the last value and revisions, and the revision of the delete',
    async ({ store, p }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      const r2 = await store.update(`${p}a`, v('2'), r1);
      const del = await store.delete(`${p}a`);
      expect({ ...del, value: text(del.value) }).toEqual({ value: '2', modRevision: r2, createRevision: r1, version: 2, revision: r2 + 1 });
      expect(await store.get(`${p}a`)).toBeUndefined();
      expect(await store.currentRevision()).toBe(r2 + 1);
    },
  ],
  [
    'delete of a missing key fails with KeyNotFoundError and writes nothing',
    async ({ store, p }) => {
      const rev = await store.create(`${p}other`, v('x'));
      const err = await rejects(store.delete(`${p}a`), KeyNotFoundError);
      expect(err.key).toBe(`${p}a`);
      expect(await store.currentRevision()).toBe(rev);
    },
  ],
  [
    'a conditional delete happens only at the expected mod revision',
    async ({ store, p }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      const r2 = await store.update(`${p}a`, v('2'), r1);
      const err = await rejects(store.delete(`${p}a`, r1), RevisionMismatchError);
      expect(err).toMatchObject({ actualModRevision: r2, notFound: false });
      expect(text((await store.get(`${p}a`))?.value)).toBe('2');
      const del = await store.delete(`${p}a`, r2);
      expect(del.modRevision).toBe(r2);
      const gone = await rejects(store.delete(`${p}a`, r2), RevisionMismatchError);
      expect(gone.notFound).toBe(true);
    },
  ],
  [
    'a key created again after its delete starts over: new create revision, version 1',
    async ({ store, p }) => {
      await store.create(`${p}a`, v('1'));
      await store.delete(`${p}a`);
      const r = await store.create(`${p}a`, v('again'));
      expect(await store.get(`${p}a`)).toMatchObject({ createRevision: r, modRevision: r, version: 1 });
    },
  ],

  // ---- list -------------------------------------------------------------------------------------
  [
    'list returns exactly the keys under the prefix, in byte order, with the current revision',
    async ({ store, p }) => {
      // In UTF-16 order '😀' (U+D83D...) sorts before '\uFFFD'; in UTF-8 bytes (etcd's order) after.
      for (const k of ['b', 'a', 'a/x', '\uFFFD', '😀', 'B']) await store.create(`${p}items/${k}`, v(k));
      await store.create(`${p}itemsX`, v('sibling'));
      await store.create(`${p}item`, v('shorter'));
      const res = await store.list(`${p}items/`);
      expect(res.items.map((i) => i.key.slice(`${p}items/`.length))).toEqual(['B', 'a', 'a/x', 'b', '\uFFFD', '😀']);
      expect(res.items.map((i) => text(i.value))).toEqual(['B', 'a', 'a/x', 'b', '\uFFFD', '😀']);
      expect(res).toMatchObject({ more: false, count: 6, revision: await store.currentRevision() });
      expect((await store.list(`${p}nothing/`)).items).toEqual([]);
    },
  ],
  [
    'list pages (limit + startAfterKey) at one revision see one consistent snapshot',
    async ({ store, p }) => {
      const revs: number[] = [];
      for (const k of ['1', '2', '3', '4', '5']) revs.push(await store.create(`${p}k${k}`, v(`v${k}`)));
      const page1 = await store.list(p, { limit: 2 });
      expect(page1.items.map((i) => i.key)).toEqual([`${p}k1`, `${p}k2`]);
      expect(page1).toMatchObject({ more: true, count: 5 });
      // Changes after page 1 must not show in later pages of the same list.
      await store.update(`${p}k3`, v('changed'), revs[2]!);
      await store.delete(`${p}k4`);
      await store.create(`${p}k6`, v('new'));
      const page2 = await store.list(p, { limit: 2, startAfterKey: page1.items[1]!.key, revision: page1.revision });
      expect(page2.items.map((i) => [i.key, text(i.value)])).toEqual([
        [`${p}k3`, 'v3'],
        [`${p}k4`, 'v4'],
      ]);
      expect(page2).toMatchObject({ more: true, revision: page1.revision, count: 3 });
      const page3 = await store.list(p, { limit: 2, startAfterKey: page2.items[1]!.key, revision: page1.revision });
      expect(page3.items.map((i) => i.key)).toEqual([`${p}k5`]);
      expect(page3.more).toBe(false);
      // And now, at the current revision:
      const now = await store.list(p);
      expect(now.items.map((i) => [i.key.slice(p.length), text(i.value)])).toEqual([
        ['k1', 'v1'],
        ['k2', 'v2'],
        ['k3', 'changed'],
        ['k5', 'v5'],
        ['k6', 'new'],
      ]);
      expect(now.items[2]).toMatchObject({ createRevision: revs[2], version: 2 });
    },
  ],
  [
    'list at a future revision fails with FutureRevisionError',
    async ({ store, p }) => {
      const rev = await store.create(`${p}a`, v('1'));
      await rejects(store.list(p, { revision: rev + 1000 }), FutureRevisionError);
    },
  ],
  [
    'a startAfterKey outside the prefix is refused',
    async ({ store, p }) => {
      await rejects(store.list(`${p}a/`, { startAfterKey: `${p}b` }), InvalidStoreRequestError);
    },
  ],

  // ---- compaction -------------------------------------------------------------------------------
  [
    'after compact(r): reads below r fail with CompactedError, at r and later work; compacting again at or below r fails',
    async ({ store, p }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      const r2 = await store.update(`${p}a`, v('2'), r1);
      const r3 = await store.update(`${p}a`, v('3'), r2);
      await store.compact(r2);
      await rejects(store.list(p, { revision: r1 }), CompactedError);
      expect((await store.list(p, { revision: r2 })).items.map((i) => text(i.value))).toEqual(['2']);
      expect((await store.list(p, { revision: r3 })).items.map((i) => text(i.value))).toEqual(['3']);
      await rejects(store.compact(r2), CompactedError);
      await rejects(store.compact(r1), CompactedError);
      await rejects(store.compact(r3 + 1000), FutureRevisionError);
      await store.compact(r3);
    },
  ],

  // ---- txn --------------------------------------------------------------------------------------
  [
    'txn: a Service and its ClusterIP allocation are created together, or neither',
    async ({ store, p }) => {
      const svc = (n: string) => `${p}services/default/${n}`;
      const ip = `${p}ranges/clusterips/10.96.0.12`;
      const ok = await store.txn({
        compares: [
          { key: svc('web'), absent: true },
          { key: ip, absent: true },
        ],
        puts: [
          { key: svc('web'), value: v('{"kind":"Service"}') },
          { key: ip, value: v('web') },
        ],
      });
      expect(ok.succeeded).toBe(true);
      const web = await store.get(svc('web'));
      expect(web?.modRevision).toBe(ok.revision);
      expect((await store.get(ip))?.modRevision).toBe(ok.revision); // one revision for both
      // Another Service wanting the same IP: refused, the failure names the allocation key.
      const clash = await store.txn({
        compares: [
          { key: svc('api'), absent: true },
          { key: ip, absent: true },
        ],
        puts: [
          { key: svc('api'), value: v('{"kind":"Service"}') },
          { key: ip, value: v('api') },
        ],
      });
      expect(clash.succeeded).toBe(false);
      if (clash.succeeded) return;
      expect(clash.revision).toBe(ok.revision);
      expect(clash.failures.map((f) => ({ index: f.index, key: f.compare.key, mod: f.current?.modRevision, value: text(f.current?.value) }))).toEqual([
        { index: 1, key: ip, mod: ok.revision, value: 'web' },
      ]);
      expect(await store.get(svc('api'))).toBeUndefined();
      expect(await store.currentRevision()).toBe(ok.revision);
    },
  ],
  [
    'txn: mod-revision compares guard puts and deletes; every failing compare is reported',
    async ({ store, p }) => {
      const ra = await store.create(`${p}a`, v('a1'));
      const rb = await store.create(`${p}b`, v('b1'));
      const rc = await store.create(`${p}c`, v('c1'));
      const bad = await store.txn({
        compares: [
          { key: `${p}a`, modRevision: ra },
          { key: `${p}b`, modRevision: rb + 100 },
          { key: `${p}c`, absent: true },
          { key: `${p}missing`, modRevision: rc },
        ],
        puts: [{ key: `${p}a`, value: v('a2') }],
        deletes: [`${p}b`],
      });
      expect(bad.succeeded).toBe(false);
      if (bad.succeeded) return;
      expect(bad.failures.map((f) => [f.index, f.current?.modRevision])).toEqual([
        [1, rb],
        [2, rc],
        [3, undefined],
      ]);
      expect(await store.currentRevision()).toBe(rc);
      const good = await store.txn({
        compares: [
          { key: `${p}a`, modRevision: ra },
          { key: `${p}b`, modRevision: rb },
        ],
        puts: [{ key: `${p}a`, value: v('a2') }],
        deletes: [`${p}b`, `${p}never-existed`],
      });
      expect(good).toEqual({ succeeded: true, revision: rc + 1 });
      expect(text((await store.get(`${p}a`))?.value)).toBe('a2');
      expect(await store.get(`${p}b`)).toBeUndefined();
    },
  ],
  [
    'txn: compares alone change nothing; deleting only absent keys does not bump the revision',
    async ({ store, p }) => {
      const r = await store.create(`${p}a`, v('1'));
      expect(await store.txn({ compares: [{ key: `${p}a`, modRevision: r }] })).toEqual({ succeeded: true, revision: r });
      expect(await store.txn({ compares: [], deletes: [`${p}nope`] })).toEqual({ succeeded: true, revision: r });
      expect(await store.currentRevision()).toBe(r);
    },
  ],
  [
    'txn: a key written twice in one txn is refused',
    async ({ store, p }) => {
      await rejects(
        store.txn({ compares: [], puts: [{ key: `${p}a`, value: v('1') }], deletes: [`${p}a`] }),
        InvalidStoreRequestError,
      );
      await rejects(
        store.txn({ compares: [], puts: [{ key: `${p}a`, value: v('1') }, { key: `${p}a`, value: v('2') }] }),
        InvalidStoreRequestError,
      );
      expect(await store.get(`${p}a`)).toBeUndefined();
    },
  ],

  // ---- watch ------------------------------------------------------------------------------------
  [
    'watch from a past revision replays history, then goes live: in order, prev values, one batch per txn',
    async ({ store, p, opts }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      await store.update(`${p}a`, v('2'), r1);
      await store.create(`${p}b`, v('b'));
      const w = WatchRecorder.start(store, p, r1, opts.watchWaitMs);
      try {
        await w.untilChanges(3);
        const t = await store.txn({ compares: [], puts: [{ key: `${p}c`, value: v('c') }], deletes: [`${p}a`] });
        await store.delete(`${p}b`);
        await w.untilChanges(6);
        expect(w.errors).toEqual([]);
        expect(summary(w.changes, p)).toEqual([
          `put a=1 prev=- @${r1}`,
          `put a=2 prev=1 @${r1 + 1}`,
          `put b=b prev=- @${r1 + 2}`,
          `put c=c prev=- @${t.revision}`,
          `delete a prev=2 @${t.revision}`,
          `delete b prev=b @${t.revision + 1}`,
        ]);
        // The txn's two events came in the same batch (a revision is never split).
        const atTxn = (b: WatchEvent[]) => b.filter((e) => e.type !== 'bookmark' && e.modRevision === t.revision).length;
        expect(w.batches.map(atTxn).filter((n) => n > 0)).toEqual([2]);
        const put = w.changes[1]!;
        expect(put).toMatchObject({ type: 'put', createRevision: r1, version: 2 });
        expect(w.handle.lastRevision).toBe(t.revision + 1);
      } finally {
        w.handle.cancel();
      }
    },
  ],
  [
    'watch from 0 sees only later writes, and only under its prefix',
    async ({ store, p, opts }) => {
      await store.create(`${p}w/old`, v('old'));
      const w = WatchRecorder.start(store, `${p}w/`, 0, opts.watchWaitMs);
      try {
        // Give the watch time to be established before writing (from 0 = from the next write).
        await pause(300);
        await store.create(`${p}wx`, v('sibling'));
        const r = await store.create(`${p}w/new`, v('new'));
        await w.untilChanges(1);
        await pause(100);
        expect(summary(w.changes, `${p}w/`)).toEqual([`put new=new prev=- @${r}`]);
      } finally {
        w.handle.cancel();
      }
    },
  ],
  [
    'watch from a compacted revision fails with CompactedError(compact revision), with no events',
    async ({ store, p, opts }) => {
      const r1 = await store.create(`${p}a`, v('1'));
      const r2 = await store.update(`${p}a`, v('2'), r1);
      await store.compact(r2);
      const w = WatchRecorder.start(store, p, r1, opts.watchWaitMs);
      await w.until('an error', () => w.errors.length > 0);
      expect(w.errors[0]).toBeInstanceOf(CompactedError);
      expect((w.errors[0] as CompactedError).compactRevision).toBe(r2);
      expect(w.changes).toEqual([]);
      // Starting at the compact revision itself works (that event's previous value is compacted).
      const ok = WatchRecorder.start(store, p, r2, opts.watchWaitMs);
      try {
        await ok.untilChanges(1);
        expect(summary(ok.changes, p)).toEqual([`put a=2 prev=- @${r2}`]);
        // A later event's previous version is the one in force at the compact revision: kept.
        await store.update(`${p}a`, v('3'), r2);
        await ok.untilChanges(2);
        expect(summary(ok.changes, p)[1]).toBe(`put a=3 prev=2 @${r2 + 1}`);
        expect(ok.errors).toEqual([]);
      } finally {
        ok.handle.cancel();
      }
    },
  ],
  [
    'a canceled watch delivers nothing more',
    async ({ store, p, opts }) => {
      const r = await store.create(`${p}a`, v('1'));
      const w = WatchRecorder.start(store, p, r, opts.watchWaitMs);
      await w.untilChanges(1);
      w.handle.cancel();
      await store.update(`${p}a`, v('2'), r);
      await pause(300);
      expect(w.changes.length).toBe(1);
      expect(w.errors).toEqual([]);
    },
  ],
  [
    'a quiet watch gets bookmarks that move past writes elsewhere (progress notifications)',
    async ({ store, p, opts }) => {
      const r = await store.create(`${p}watched/a`, v('1'));
      const w = WatchRecorder.start(store, `${p}watched/`, r, opts.watchWaitMs);
      try {
        await w.untilChanges(1);
        const elsewhere = await store.create(`${p}elsewhere`, v('x'));
        await w.until(`a bookmark at ≥ ${elsewhere}`, () => w.bookmarks.some((b) => b >= elsewhere), 3 * (opts.progressNotifyWithinMs ?? 0) + 2000);
        expect(w.changes.length).toBe(1);
        expect(w.handle.lastRevision).toBeGreaterThanOrEqual(elsewhere);
        // Bookmarks never go backwards, and never behind an event.
        let last = 0;
        for (const e of w.batches.flat()) {
          const rev = e.type === 'bookmark' ? e.revision : e.modRevision;
          expect(rev).toBeGreaterThan(last);
          last = rev;
        }
      } finally {
        w.handle.cancel();
      }
    },
  ],

  // ---- sizes ------------------------------------------------------------------------------------
  [
    'a 2 MiB value round-trips through create, get, list and watch',
    async ({ store, p, opts }) => {
      const big = Buffer.alloc(2 * 1024 * 1024, 'x');
      big.write('head', 0);
      big.write('tail', big.length - 4);
      const w = WatchRecorder.start(store, p, (await store.currentRevision()) + 1, opts.watchWaitMs);
      try {
        const r = await store.create(`${p}big`, big);
        await store.create(`${p}big2`, big);
        expect(Buffer.compare(Buffer.from((await store.get(`${p}big`))!.value), big)).toBe(0);
        const listed = await store.list(p);
        expect(listed.items.map((i) => i.value.length)).toEqual([big.length, big.length]);
        await w.untilChanges(2);
        const first = w.changes[0]!;
        expect(first.type === 'put' && first.modRevision === r && Buffer.compare(Buffer.from(first.value), big) === 0).toBe(true);
      } finally {
        w.handle.cancel();
      }
    },
  ],
  [
    'a request over the store limit fails with RequestTooLargeError and writes nothing',
    async ({ store, p, opts }) => {
      const before = await store.create(`${p}marker`, v('m'));
      for (const size of [opts.maxRequestBytes + 1024, opts.maxRequestBytes + 1024 * 1024]) {
        const tooBig = Buffer.alloc(size, 'y');
        await rejects(store.create(`${p}big`, tooBig), RequestTooLargeError);
        await rejects(store.update(`${p}marker`, tooBig, before), RequestTooLargeError);
      }
      expect(await store.get(`${p}big`)).toBeUndefined();
      expect(await store.currentRevision()).toBe(before);
    },
  ],

  // ---- health -----------------------------------------------------------------------------------
  [
    'health reports a healthy store',
    async ({ store }) => {
      const h = await store.health();
      expect(h.healthy).toBe(true);
      expect(h.endpoints.some((e) => e.healthy)).toBe(true);
    },
  ],
];

let prefixSeq = 0;

/**
 * Registers the contract for one implementation: one `it` per behaviour, each with a fresh client
 * from `makeStore` (closed afterwards) and a prefix of its own.
 */
export function storeContract(name: string, makeStore: () => Store | Promise<Store>, opts: ContractOptions): void {
  describe(`Store contract: ${name}`, () => {
    const runId = `${Date.now().toString(36)}-${process.pid}`;
    let store: Store | undefined;
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });
    for (const [title, run] of behaviours) {
      const skip = title.includes('bookmarks') && opts.progressNotifyWithinMs === undefined;
      // A store whose progress notifications cannot be made frequent cannot show them in a test;
      // the suite says so in the test name rather than passing silently.
      (skip ? it.skip : it)(skip ? `${title} [not run: no short progress-notify interval for ${name}]` : title, async () => {
        store = await makeStore();
        const p = `/contract/${runId}/${++prefixSeq}/`;
        await run({ store, p, opts: { watchWaitMs: 10_000, ...opts } });
      }, opts.testTimeoutMs ?? 30_000);
    }
  });
}
