import { FakeClock } from '@mk/shared';
import { DelayingQueue } from './delaying';

/** Takes every queued item (marking it done at once), recording the clock time. */
async function take(clock: FakeClock, q: DelayingQueue<string>, out: Array<[number, string]>): Promise<void> {
  while (q.len() > 0) {
    const item = await q.get();
    if (item === undefined) return;
    out.push([clock.now(), item]);
    q.done(item);
  }
}

type Op = [item: string, delayMs: number, atMs?: number];

describe('DelayingQueue', () => {
  it.each<{ name: string; ops: Op[]; out: Array<[number, string]> }>([
    {
      name: 'ordered by deadline, not by add order',
      ops: [['c', 30], ['a', 10], ['b', 20]],
      out: [[10, 'a'], [20, 'b'], [30, 'c']],
    },
    {
      name: 'zero or negative delay adds at once',
      ops: [['later', 5], ['now', 0], ['past', -3]],
      out: [[0, 'now'], [0, 'past'], [5, 'later']],
    },
    {
      name: 'same deadline: in the order they were scheduled',
      ops: [['x', 10], ['y', 10], ['z', 10]],
      out: [[10, 'x'], [10, 'y'], [10, 'z']],
    },
    {
      name: 'an earlier re-add wins',
      ops: [['a', 50], ['b', 20], ['a', 10]],
      out: [[10, 'a'], [20, 'b']],
    },
    {
      name: 'a later re-add is ignored (duplicates coalesce)',
      ops: [['a', 10], ['a', 40], ['a', 10]],
      out: [[10, 'a']],
    },
    {
      name: 'deadlines count from the time of each addAfter',
      ops: [['a', 10, 0], ['b', 5, 8], ['c', 1, 12]],
      out: [[10, 'a'], [13, 'b'], [13, 'c']],
    },
    {
      name: 'a waiting item added directly is processed now and again when due',
      ops: [['a', 10], ['a', 0]],
      out: [[0, 'a'], [10, 'a']],
    },
  ])('$name', async ({ ops, out }) => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    const got: Array<[number, string]> = [];
    // 1 ms steps: at each instant, run that instant's ops, then take what is available.
    for (let t = 0; t <= 100; t++) {
      if (t > 0) clock.advance(1);
      for (const [item, delay, at = 0] of ops) if (at === t) q.addAfter(item, delay);
      await take(clock, q, got);
    }
    expect(got).toEqual(out);
  });

  it('keeps one timer armed, for the earliest deadline', () => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    for (let i = 0; i < 50; i++) q.addAfter(`i${i}`, 100 - i);
    expect(clock.pendingTimers()).toBe(1);
    expect(q.stats().waiting).toBe(50);
    clock.advance(60); // i40..i49 are due (deadlines 51..60)
    expect(q.len()).toBe(10);
    expect(q.stats().waiting).toBe(40);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(100);
    expect(q.len()).toBe(50);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('shutdown drops waiting items and cancels its timer', async () => {
    const clock = new FakeClock();
    const q = new DelayingQueue({ clock });
    q.addAfter('a', 10);
    q.shutDown();
    expect(clock.pendingTimers()).toBe(0);
    expect(q.stats().waiting).toBe(0);
    q.addAfter('b', 5);
    clock.advance(20);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('counts addAfter calls as retries (as client-go)', () => {
    const q = new DelayingQueue({ clock: new FakeClock() });
    q.addAfter('a', 10);
    q.addAfter('a', 0);
    q.add('b');
    expect(q.stats()).toMatchObject({ retries: 2, adds: 2, waiting: 1 });
  });

  it('rejects a NaN delay', () => {
    const q = new DelayingQueue({ clock: new FakeClock() });
    expect(() => q.addAfter('a', Number.NaN)).toThrow('NaN');
  });
});
