import { FakeClock, RecordingLogger, nullLogger } from '@mk/shared';
import { RateLimitingQueue } from './ratelimiting';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter } from './ratelimiters';
import { runWorkers } from './workers';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Moves the fake clock 1 ms at a time, letting workers run at every instant. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    clock.advance(1);
    await flush();
  }
}

describe('RateLimitingQueue', () => {
  it('addRateLimited waits as the limiter says; forget resets the back-off', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 40) });
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      q.addRateLimited('a');
      while (q.len() === 0) clock.advance(1);
      expect(await q.get()).toBe('a');
      seen.push(clock.now());
      q.done('a');
    }
    // gaps 5, 10, 20, 40, 40, 40
    expect(seen).toEqual([5, 15, 35, 75, 115, 155]);
    expect(q.numRequeues('a')).toBe(6);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.addRateLimited('a');
    clock.advance(5);
    expect(q.len()).toBe(1);
    expect(q.stats().retries).toBe(7);
  });

  it('a token bucket spaces distinct items after the burst', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock, rateLimiter: new BucketRateLimiter(10, 2, clock) });
    for (const item of ['a', 'b', 'c', 'd', 'e']) q.addRateLimited(item);
    const out: Array<[number, string]> = [];
    for (let t = 0; t <= 400; t++) {
      if (t > 0) clock.advance(1);
      while (q.len() > 0) {
        const item = await q.get();
        if (item === undefined) break;
        out.push([clock.now(), item]);
        q.done(item);
      }
    }
    expect(out).toEqual([[0, 'a'], [0, 'b'], [100, 'c'], [200, 'd'], [300, 'e']]);
  });

  it('defaults to the controller rate limiter', () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock });
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(2);
    clock.advance(5);
    expect(q.len()).toBe(1);
  });
});

describe('runWorkers', () => {
  it('retries a failing sync with exponential back-off, then forgets it once it succeeds', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const logger = new RecordingLogger();
    const attempts: number[] = [];
    const stopped = runWorkers(
      q,
      2,
      async (item) => {
        attempts.push(clock.now());
        if (attempts.length <= 3) throw new Error(`boom ${attempts.length} on ${item}`);
      },
      logger,
    );
    q.add('a');
    await flush(); // the first attempt, at t=0
    await advance(clock, 100);
    expect(attempts).toEqual([0, 5, 15, 35]); // back-off 5, 10, 20
    expect(q.numRequeues('a')).toBe(0); // forgotten after the success
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings.map((r) => [r.fields.requeues, r.fields.error])).toEqual([
      [1, 'boom 1 on a'],
      [2, 'boom 2 on a'],
      [3, 'boom 3 on a'],
    ]);
    expect(warnings[0]?.fields).toMatchObject({ item: 'a', worker: expect.any(Number) });
    q.shutDown();
    await stopped;
    expect(q.stats()).toMatchObject({ processing: 0, completed: 4, retries: 3 });
  });

  it('a thrown (not rejected) error is retried too', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    let calls = 0;
    const sync = (_item: string): Promise<void> => {
      calls++;
      if (calls === 1) throw new Error('sync throw');
      return Promise.resolve();
    };
    const stopped = runWorkers(q, 1, sync, nullLogger);
    q.add('a');
    await advance(clock, 10);
    expect(calls).toBe(2);
    q.shutDown();
    await stopped;
  });

  it.each([1, 2, 4])('with %i workers: every item synced, never two at once for one item', async (n) => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const inFlight = new Set<string>();
    const syncs = new Map<string, number>();
    let maxParallel = 0;
    const stopped = runWorkers(
      q,
      n,
      async (item) => {
        expect(inFlight.has(item)).toBe(false);
        inFlight.add(item);
        maxParallel = Math.max(maxParallel, inFlight.size);
        syncs.set(item, (syncs.get(item) ?? 0) + 1);
        // hold the item for 3 ms of fake time
        await new Promise<void>((resolve) => clock.setTimer(3, resolve));
        inFlight.delete(item);
      },
      nullLogger,
    );
    for (const item of ['a', 'b', 'c', 'd', 'e', 'f']) q.add(item);
    await flush();
    q.add('a'); // re-added while being synced: synced once more, afterwards
    q.add('a');
    await advance(clock, 50);
    expect([...syncs.entries()].sort()).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
      ['d', 1],
      ['e', 1],
      ['f', 1],
    ]);
    expect(maxParallel).toBe(n);
    q.shutDown();
    await stopped;
  });

  it('drops an item after maxRetries requeues', async () => {
    const clock = new FakeClock();
    const q = new RateLimitingQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(1, 1000) });
    const logger = new RecordingLogger();
    let calls = 0;
    const stopped = runWorkers(
      q,
      1,
      async () => {
        calls++;
        throw new Error('always');
      },
      logger,
      { maxRetries: 2 },
    );
    q.add('a');
    await advance(clock, 50);
    expect(calls).toBe(3); // first try + 2 retries
    expect(logger.records.filter((r) => r.level === 'error').map((r) => r.message)).toEqual([
      'sync failed too many times; dropped',
    ]);
    expect(q.numRequeues('a')).toBe(0);
    q.shutDown();
    await stopped;
  });

  it('idle workers stop on shutDown', async () => {
    const q = new RateLimitingQueue({ clock: new FakeClock() });
    let done = false;
    const stopped = runWorkers(q, 3, async () => {}, nullLogger).then(() => {
      done = true;
    });
    await flush();
    expect(done).toBe(false);
    q.shutDown();
    await stopped;
    expect(done).toBe(true);
  });

  it('rejects a bad worker count', async () => {
    const q = new RateLimitingQueue({ clock: new FakeClock() });
    await expect(runWorkers(q, 0, async () => {}, nullLogger)).rejects.toThrow('n must be an integer >= 1');
  });
});
