import { FakeClock } from '@mk/shared';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from './ratelimiters';

function whens<T>(limiter: RateLimiter<T>, item: T, n: number): number[] {
  return Array.from({ length: n }, () => limiter.when(item));
}

describe('ItemExponentialFailureRateLimiter', () => {
  it.each([
    { name: 'defaults: 5 ms doubling', base: undefined, max: undefined, n: 8, out: [5, 10, 20, 40, 80, 160, 320, 640] },
    { name: 'capped at max', base: 1, max: 100, n: 10, out: [1, 2, 4, 8, 16, 32, 64, 100, 100, 100] },
    { name: 'base above max', base: 50, max: 30, n: 3, out: [30, 30, 30] },
    { name: 'zero base', base: 0, max: 10, n: 3, out: [0, 0, 0] },
  ])('$name', ({ base, max, n, out }) => {
    expect(whens(new ItemExponentialFailureRateLimiter(base, max), 'a', n)).toEqual(out);
  });

  it('defaults cap at 1000 s after 5 * 2^17 ms, and stay there without overflowing', () => {
    const l = new ItemExponentialFailureRateLimiter();
    const seq = whens(l, 'a', 2000);
    expect(seq[17]).toBe(655_360);
    expect(seq[18]).toBe(1_000_000);
    expect(seq[1999]).toBe(1_000_000);
    expect(l.numRequeues('a')).toBe(2000);
  });

  it('tracks items apart; forget resets one', () => {
    const l = new ItemExponentialFailureRateLimiter(5, 1000);
    expect(whens(l, 'a', 3)).toEqual([5, 10, 20]);
    expect(whens(l, 'b', 2)).toEqual([5, 10]);
    expect([l.numRequeues('a'), l.numRequeues('b'), l.numRequeues('c')]).toEqual([3, 2, 0]);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(whens(l, 'a', 2)).toEqual([5, 10]);
    expect(l.when('b')).toBe(20);
  });

  it('rejects negative delays', () => {
    expect(() => new ItemExponentialFailureRateLimiter(-1)).toThrow('baseDelayMs must be >= 0');
  });
});

describe('ItemFastSlowRateLimiter', () => {
  it.each([
    { fast: 5, slow: 1000, maxFast: 3, n: 5, out: [5, 5, 5, 1000, 1000] },
    { fast: 5, slow: 1000, maxFast: 0, n: 2, out: [1000, 1000] },
  ])('fast $fast x$maxFast then slow $slow', ({ fast, slow, maxFast, n, out }) => {
    expect(whens(new ItemFastSlowRateLimiter(fast, slow, maxFast), 'a', n)).toEqual(out);
  });

  it('forget resets, per item', () => {
    const l = new ItemFastSlowRateLimiter(1, 9, 1);
    expect(whens(l, 'a', 2)).toEqual([1, 9]);
    expect(l.when('b')).toBe(1);
    expect(l.numRequeues('a')).toBe(2);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(1);
  });
});

describe('BucketRateLimiter', () => {
  it.each([
    { qps: 10, burst: 3, n: 7, out: [0, 0, 0, 100, 200, 300, 400] },
    { qps: 1, burst: 1, n: 3, out: [0, 1000, 2000] },
    { qps: 1000, burst: 2, n: 4, out: [0, 0, 1, 2] },
    { qps: Infinity, burst: 1, n: 3, out: [0, 0, 0] },
  ])('qps $qps burst $burst: the burst at once, then 1/qps apart', ({ qps, burst, n, out }) => {
    // Every item is different: the bucket is shared by all.
    const l = new BucketRateLimiter<string>(qps, burst, new FakeClock());
    expect(Array.from({ length: n }, (_, i) => l.when(`i${i}`))).toEqual(out);
  });

  it('refills with time, up to the burst', () => {
    const clock = new FakeClock();
    const l = new BucketRateLimiter<string>(10, 3, clock);
    expect(whens(l, 'a', 4)).toEqual([0, 0, 0, 100]); // one token borrowed from t=100
    clock.advance(250); // t=250: the borrowed token and one more came back
    expect(whens(l, 'a', 3)).toEqual([0, 50, 150]);
    clock.advance(10_000); // full again, never more than the burst
    expect(whens(l, 'a', 4)).toEqual([0, 0, 0, 100]);
  });

  it('neither counts requeues nor forgets', () => {
    const l = new BucketRateLimiter<string>(1, 1, new FakeClock());
    l.when('a');
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(1000);
  });

  it('rejects a zero qps or burst', () => {
    expect(() => new BucketRateLimiter(0, 1, new FakeClock())).toThrow('qps must be > 0');
    expect(() => new BucketRateLimiter(1, 0, new FakeClock())).toThrow('burst must be an integer >= 1');
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the largest delay, counts the most requeues, forgets in all', () => {
    const l = new MaxOfRateLimiter<string>(
      new ItemExponentialFailureRateLimiter(1, 1000),
      new ItemFastSlowRateLimiter(3, 50, 2),
    );
    // exp: 1 2 4 8 16 32 64 ; fast-slow: 3 3 50 50 50 50 50
    expect(whens(l, 'a', 7)).toEqual([3, 3, 50, 50, 50, 50, 64]);
    expect(l.numRequeues('a')).toBe(7);
    l.forget('a');
    expect(l.numRequeues('a')).toBe(0);
    expect(l.when('a')).toBe(3);
    expect(() => new MaxOfRateLimiter()).toThrow('at least one');
  });

  it('defaultControllerRateLimiter: per-item 5 ms back-off until the 10 qps / 100 burst bucket is empty', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter<string>(clock);
    const first = Array.from({ length: 100 }, (_, i) => l.when(`i${i}`));
    expect(new Set(first)).toEqual(new Set([5]));
    expect([l.when('x'), l.when('y')]).toEqual([100, 200]); // bucket empty: 10 qps
    expect(whens(l, 'i0', 1)).toEqual([300]); // bucket beats i0's 10 ms
    clock.advance(60_000);
    expect(whens(l, 'i0', 3)).toEqual([20, 40, 80]); // bucket full again: i0's back-off rules
    expect(l.numRequeues('i0')).toBe(5);
  });
});
