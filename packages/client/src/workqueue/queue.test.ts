import { FakeClock } from '@mk/shared';
import { WorkQueue } from './queue';

/** Lets every pending promise continuation run (a macrotask runs after all microtasks). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A `get()` whose settlement can be observed without awaiting it. */
function track<T>(p: Promise<T>): { settled: boolean; value: T | undefined } {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void p.then((v) => {
    state.settled = true;
    state.value = v;
  });
  return state;
}

/** Takes every queued item (marking each done at once) in order. */
async function drain(q: WorkQueue<string>): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const item = await q.get();
    if (item === undefined) break;
    out.push(item);
    q.done(item);
  }
  return out;
}

describe('WorkQueue: dedup and FIFO', () => {
  it.each([
    { adds: ['a', 'b', 'c'], out: ['a', 'b', 'c'] },
    { adds: ['a', 'a', 'a'], out: ['a'] },
    { adds: ['a', 'b', 'a', 'c', 'b'], out: ['a', 'b', 'c'] },
    { adds: ['c', 'b', 'a', 'c'], out: ['c', 'b', 'a'] },
    { adds: [], out: [] },
  ])('adds $adds come out as $out', async ({ adds, out }) => {
    const q = new WorkQueue({ clock: new FakeClock() });
    for (const a of adds) q.add(a);
    expect(q.len()).toBe(out.length);
    expect(await drain(q)).toEqual(out);
    expect(q.stats().adds).toBe(out.length);
  });

  it('numbers are items too', async () => {
    const q = new WorkQueue<number>({ clock: new FakeClock() });
    q.add(2);
    q.add(1);
    q.add(2);
    expect([await q.get(), await q.get()]).toEqual([2, 1]);
  });

  it('parked get() calls are served in the order they were made', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const waiters = [track(q.get()), track(q.get()), track(q.get())];
    q.add('x');
    q.add('y');
    await flush();
    expect(waiters.map((w) => [w.settled, w.value])).toEqual([
      [true, 'x'],
      [true, 'y'],
      [false, undefined],
    ]);
    q.add('z');
    await flush();
    expect(waiters[2]?.value).toBe('z');
  });
});

describe('WorkQueue: processing', () => {
  it('never hands one item to two workers at once; re-queues it after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const w1 = track(q.get());
    const w2 = track(q.get());
    q.add('a');
    await flush();
    expect(w1.value).toBe('a');
    q.add('a'); // while worker 1 holds it
    await flush();
    expect(w2.settled).toBe(false);
    expect(q.len()).toBe(0);
    q.done('a');
    await flush();
    expect(w2.value).toBe('a');
  });

  it.each([
    { name: 'no re-add: gone after done', readds: 0, after: [] as string[] },
    { name: 'one re-add: once more', readds: 1, after: ['a'] },
    { name: 'three re-adds: still only once more', readds: 3, after: ['a'] },
  ])('$name', async ({ readds, after }) => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    expect(await q.get()).toBe('a');
    for (let i = 0; i < readds; i++) q.add('a');
    expect(q.len()).toBe(1); // only b: a is not queued while processing
    q.done('a');
    // a goes behind b: FIFO by the time it was queued again
    expect(await drain(q)).toEqual(['b', ...after]);
  });

  it('done for an item not handed out does nothing', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.done('a');
    q.done('zz');
    expect(q.len()).toBe(1);
    expect(await drain(q)).toEqual(['a']);
  });
});

describe('WorkQueue: shutdown', () => {
  it('wakes every parked get() with undefined and drops later adds', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const waiters = [track(q.get()), track(q.get()), track(q.get())];
    expect(q.isShuttingDown()).toBe(false);
    q.shutDown();
    await flush();
    expect(q.isShuttingDown()).toBe(true);
    expect(waiters.map((w) => [w.settled, w.value])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
    ]);
    q.add('late');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('still hands out what was queued before, then undefined (as client-go)', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.shutDown();
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(await q.get()).toBeUndefined();
  });

  it('shutDownWithDrain waits for every in-flight item to be done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    const drained = track(q.shutDownWithDrain());
    await flush();
    expect(drained.settled).toBe(false);
    q.done('a');
    await flush();
    expect(drained.settled).toBe(false);
    q.done('b');
    await flush();
    expect(drained.settled).toBe(true);
  });

  it('shutDownWithDrain with nothing in flight resolves at once', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    await expect(q.shutDownWithDrain()).resolves.toBeUndefined();
  });

  it('shutDown releases a pending drain', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    await q.get();
    const drained = track(q.shutDownWithDrain());
    q.shutDown();
    await flush();
    expect(drained.settled).toBe(true);
  });
});

describe('WorkQueue: stats', () => {
  it('counts depth, adds, processing, completed and how long items are held', async () => {
    const clock = new FakeClock(1000);
    const q = new WorkQueue({ clock, name: 'pods' });
    q.add('a');
    q.add('b');
    q.add('a');
    q.add('c');
    expect(q.stats()).toEqual({
      name: 'pods',
      depth: 3,
      adds: 3,
      retries: 0,
      processing: 0,
      completed: 0,
      waiting: 0,
      longestRunningMs: 0,
      unfinishedWorkMs: 0,
    });
    await q.get(); // a at t=1000
    clock.advance(30);
    await q.get(); // b at t=1030
    clock.advance(20);
    expect(q.stats()).toMatchObject({ depth: 1, processing: 2, longestRunningMs: 50, unfinishedWorkMs: 70 });
    q.done('a');
    expect(q.stats()).toMatchObject({ depth: 1, processing: 1, completed: 1, longestRunningMs: 20 });
  });
});
