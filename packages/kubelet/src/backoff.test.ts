import { FakeClock } from '@mk/shared';
import { CrashLoopBackOff } from './backoff';

describe('CrashLoopBackOff', () => {
  it('restarts at once the first time, then waits 10 s doubling to 5 min', () => {
    const clock = new FakeClock(0);
    const b = new CrashLoopBackOff(clock);
    expect(b.check('u', 'c', 0).inBackOff).toBe(false);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) delays.push(b.next('u', 'c'));
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('a container that finished holds until the current delay has passed since it finished', () => {
    const clock = new FakeClock(1_000_000);
    const b = new CrashLoopBackOff(clock);
    b.next('u', 'c'); // first restart: immediate, delay now 10 s
    clock.advance(2_000);
    const finishedAt = clock.now();
    clock.advance(4_000);
    expect(b.check('u', 'c', finishedAt)).toEqual({ inBackOff: true, delayMs: 10_000, remainingMs: 6_000 });
    clock.advance(6_000);
    expect(b.check('u', 'c', finishedAt)).toEqual({ inBackOff: false, delayMs: 10_000, remainingMs: 0 });
    expect(b.next('u', 'c')).toBe(20_000);
  });

  it.each([
    ['ran 10 min', 600_000, 10_000],
    ['ran 9 min 59 s', 599_000, 40_000],
  ])('resets after a long run: %s', (_name, ranMs, expected) => {
    const clock = new FakeClock(0);
    const b = new CrashLoopBackOff(clock);
    b.next('u', 'c');
    b.next('u', 'c');
    expect(b.next('u', 'c', ranMs)).toBe(expected);
  });

  it('resets after no restart for twice the maximum, and on gc', () => {
    const clock = new FakeClock(0);
    const b = new CrashLoopBackOff(clock, { initialMs: 1_000, maxMs: 4_000 });
    b.next('u', 'c');
    b.next('u', 'c');
    expect(b.delay('u', 'c')).toBe(2_000);
    clock.advance(8_001);
    expect(b.delay('u', 'c')).toBe(0);
    expect(b.next('u', 'c')).toBe(1_000);
    b.next('u', 'd');
    clock.advance(8_001);
    b.gc();
    expect(b.size).toBe(0);
  });

  it('keys by pod uid and container; forgetPod drops one pod only', () => {
    const clock = new FakeClock(0);
    const b = new CrashLoopBackOff(clock);
    b.next('u1', 'a');
    b.next('u1', 'a');
    b.next('u1', 'b');
    b.next('u2', 'a');
    expect([b.delay('u1', 'a'), b.delay('u1', 'b'), b.delay('u2', 'a')]).toEqual([20_000, 10_000, 10_000]);
    b.forgetPod('u1');
    expect([b.delay('u1', 'a'), b.delay('u1', 'b'), b.delay('u2', 'a')]).toEqual([0, 0, 10_000]);
    b.reset('u2', 'a');
    expect(b.size).toBe(0);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new CrashLoopBackOff(new FakeClock(0), { initialMs: 0 })).toThrow(RangeError);
    expect(() => new CrashLoopBackOff(new FakeClock(0), { initialMs: 10, maxMs: 5 })).toThrow(RangeError);
  });
});
