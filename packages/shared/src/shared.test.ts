import { FakeClock, FixedRng, RecordingLogger, SeededRng, InvalidArgumentError, ErrorCode, MkError } from './index';

describe('SeededRng', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const c = new SeededRng(43);
    const seqA = Array.from({ length: 20 }, () => a.next());
    const seqB = Array.from({ length: 20 }, () => b.next());
    const seqC = Array.from({ length: 20 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const x of seqA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('int(n) stays in [0, n) and reaches every value', () => {
    const r = new SeededRng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = r.int(5);
      expect(Number.isInteger(v) && v >= 0 && v < 5).toBe(true);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects bad arguments with a message naming them', () => {
    expect(() => new SeededRng(1.5)).toThrow('seed must be an integer, got 1.5');
    expect(() => new SeededRng(1).int(0)).toThrow('positive integer, got 0');
    expect(() => new FixedRng(1)).toThrow('[0, 1)');
  });

  it('fork() gives an independent but reproducible stream', () => {
    const f1 = new SeededRng(9).fork();
    const f2 = new SeededRng(9).fork();
    expect(f1.next()).toBe(f2.next());
  });
});

describe('FakeClock', () => {
  it('fires timers in deadline order, ties in creation order, and only when due', () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('c'));
    const cancel = clock.setTimer(15, () => fired.push('cancelled'));
    cancel();
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(1020);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('sees the time of the timer inside its callback and runs timers set by timers', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    clock.setTimer(5, () => {
      at.push(clock.now());
      clock.setTimer(5, () => at.push(clock.now()));
    });
    clock.advance(100);
    expect(at).toEqual([5, 10]);
  });

  it('refuses to go backwards', () => {
    expect(() => new FakeClock().advance(-1)).toThrow('cannot move a clock backwards');
  });
});

describe('RecordingLogger', () => {
  it('records levels, messages and merged child fields', () => {
    const log = new RecordingLogger();
    log.child({ node: 1 }).child({ term: 2 }).warn('stepped down', { reason: 'higher term' });
    expect(log.records).toEqual([
      { level: 'warn', message: 'stepped down', fields: { node: 1, term: 2, reason: 'higher term' } },
    ]);
  });
});

describe('errors', () => {
  it('carry gRPC-numbered codes and their class name', () => {
    const e = new InvalidArgumentError('spec.replicas: must be >= 0', { field: 'spec.replicas' });
    expect(e).toBeInstanceOf(MkError);
    expect(e.code).toBe(ErrorCode.InvalidArgument);
    expect(e.code).toBe(3);
    expect(e.name).toBe('InvalidArgumentError');
    expect(e.details).toEqual({ field: 'spec.replicas' });
  });
});
