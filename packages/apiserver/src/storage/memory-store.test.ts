import { WatchRecorder, storeContract } from './contract';
import { CompactedError, StoreUnavailableError } from './errors';
import { MemoryStore } from './memory-store';
import { type WatchEvent, fromBytes, toBytes } from './store';

const MiB = 1024 * 1024;

storeContract('memory', () => new MemoryStore({ maxRequestBytes: 3 * MiB, progressNotifyMs: 50 }), {
  maxRequestBytes: 3 * MiB,
  progressNotifyWithinMs: 50,
  watchWaitMs: 2000,
});

const v = toBytes;
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('MemoryStore specifics', () => {
  it('delivers watch events asynchronously, after the write returned, in revision order', async () => {
    const s = new MemoryStore();
    const seen: string[] = [];
    s.watch('/a/', 0, (events) => seen.push(...events.map((e) => (e.type === 'bookmark' ? 'bookmark' : `${e.type} ${e.key}`))), fail);
    const writes = s.create('/a/1', v('x')).then(() => seen.push('create returned'));
    await writes;
    await s.create('/a/2', v('y'));
    await settle();
    expect(seen).toEqual(['create returned', 'put /a/1', 'put /a/2']);
  });

  it('sends bookmarks on notifyProgress only to caught-up, quiet watchers that asked for them', async () => {
    const s = new MemoryStore();
    const a: WatchEvent[] = [];
    const b: WatchEvent[] = [];
    s.watch('/a/', 0, (e) => a.push(...e), fail);
    s.watch('/a/', 0, (e) => b.push(...e), fail, { progressNotify: false });
    const r = await s.create('/elsewhere', v('1'));
    s.notifyProgress();
    expect(a).toEqual([{ type: 'bookmark', revision: r }]);
    expect(b).toEqual([]);
    // Nothing new: no second bookmark at the same revision.
    s.notifyProgress();
    expect(a.length).toBe(1);
    // A watcher that just got events is not quiet: the first tick after them sends nothing.
    const r2 = await s.create('/a/x', v('1'));
    await settle();
    await s.create('/elsewhere2', v('1'));
    s.notifyProgress();
    expect(a.map((e) => e.type)).toEqual(['bookmark', 'put']);
    s.notifyProgress();
    expect(a[2]).toEqual({ type: 'bookmark', revision: r2 + 1 });
  });

  it('a compaction past a lagging watcher ends it with CompactedError', async () => {
    const s = new MemoryStore();
    const r1 = await s.create('/k', v('1'));
    const r2 = await s.update('/k', v('2'), r1);
    const errors: Error[] = [];
    // Registered, then compacted before its first delivery.
    s.watch('/', r1, () => {}, (e) => errors.push(e));
    await s.compact(r2);
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CompactedError);
    expect((errors[0] as CompactedError).compactRevision).toBe(r2);
  });

  it('a consumer that throws loses its watch with that error', async () => {
    const s = new MemoryStore();
    const errors: Error[] = [];
    let calls = 0;
    s.watch('/', 0, () => {
      calls++;
      throw new Error('consumer bug');
    }, (e) => errors.push(e));
    await s.create('/a', v('1'));
    await settle();
    await s.create('/b', v('1'));
    await settle();
    expect(calls).toBe(1);
    expect(errors.map((e) => e.message)).toEqual(['consumer bug']);
  });

  it('after close: calls fail with StoreUnavailableError and watches end quietly', async () => {
    const s = new MemoryStore();
    const w = new WatchRecorder(1000);
    s.watch('/', 0, (e) => w.batches.push(e), (e) => w.errors.push(e));
    await s.close();
    await expect(s.get('/a')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.create('/a', v('1'))).rejects.toBeInstanceOf(StoreUnavailableError);
    const errors: Error[] = [];
    s.watch('/', 0, fail, (e) => errors.push(e));
    await settle();
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
    expect(w.batches).toEqual([]);
  });

  it('a seeded random workload: a watch from revision 1 replays exactly the history, and reads at every revision match it', async () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const s = new MemoryStore();
    const model = new Map<string, string>();
    const snapshots = new Map<number, Map<string, string>>();
    let compactRev = 0;
    for (let i = 0; i < 400; i++) {
      const key = `/r/${rnd(12)}`;
      const cur = await s.get(key);
      const op = rnd(3);
      if (!cur) {
        await s.create(key, v(`${i}`));
        model.set(key, `${i}`);
      } else if (op === 0) {
        await s.delete(key, cur.modRevision);
        model.delete(key);
      } else {
        await s.update(key, v(`${i}`), cur.modRevision);
        model.set(key, `${i}`);
      }
      snapshots.set(await s.currentRevision(), new Map(model));
      if (i === 200) {
        compactRev = await s.currentRevision();
        await s.compact(compactRev);
      }
    }
    for (const [rev, snap] of snapshots) {
      if (rev < compactRev) {
        await expect(s.list('/r/', { revision: rev })).rejects.toBeInstanceOf(CompactedError);
        continue;
      }
      const listed = await s.list('/r/', { revision: rev });
      expect(new Map(listed.items.map((i) => [i.key, fromBytes(i.value)]))).toEqual(snap);
    }
    // Replaying the events after the compact revision rebuilds the final state.
    const state = new Map(snapshots.get(compactRev));
    let last = compactRev;
    s.watch('/r/', compactRev + 1, (events) => {
      for (const e of events) {
        if (e.type === 'bookmark') continue;
        expect(e.modRevision).toBeGreaterThanOrEqual(last);
        last = e.modRevision;
        if (e.type === 'put') state.set(e.key, fromBytes(e.value));
        else state.delete(e.key);
      }
    }, fail);
    await settle();
    expect(state).toEqual(model);
  });
});

function fail(e: unknown): never {
  throw e instanceof Error ? e : new Error(String(e));
}
