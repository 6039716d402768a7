import { FakeClock, type Clock } from '@mk/shared';
import { HistoryRecorder, PENDING_ERROR, parseHistory, serializeHistory } from './recorder';
import type { HistoryEvent, Op } from './types';

describe('HistoryRecorder', () => {
  it('records invocation and completion times from the clock, and each outcome', () => {
    const clock = new FakeClock(1000);
    const rec = new HistoryRecorder(clock);
    const w = rec.invoke('c1', { f: 'write', key: 'k', value: 'v' });
    clock.advance(5);
    const r = rec.invoke('c2', { f: 'read', key: 'k' });
    clock.advance(2);
    w.ok(undefined, { revision: 7 });
    r.ok(null);
    const c = rec.invoke('c1', { f: 'cas', key: 'k', expected: 'v', value: 'w' });
    const d = rec.invoke('c3', { f: 'delete', key: 'k' });
    const f = rec.invoke('c4', { f: 'write', key: 'k', value: 'x' });
    clock.advance(3);
    c.ok(false);
    d.unknown(new Error('deadline exceeded'));
    f.fail('etcdserver: too many requests');

    expect(rec.history()).toEqual<HistoryEvent[]>([
      { id: 0, process: 'c1', op: { f: 'write', key: 'k', value: 'v' }, invokeMs: 1000, completeMs: 1007, outcome: 'ok', revision: 7 },
      { id: 1, process: 'c2', op: { f: 'read', key: 'k' }, invokeMs: 1005, completeMs: 1007, outcome: 'ok', result: null },
      { id: 2, process: 'c1', op: { f: 'cas', key: 'k', expected: 'v', value: 'w' }, invokeMs: 1007, completeMs: 1010, outcome: 'ok', result: false },
      { id: 3, process: 'c3', op: { f: 'delete', key: 'k' }, invokeMs: 1007, completeMs: 1010, outcome: 'unknown', error: 'deadline exceeded' },
      { id: 4, process: 'c4', op: { f: 'write', key: 'k', value: 'x' }, invokeMs: 1007, completeMs: 1010, outcome: 'fail', error: 'etcdserver: too many requests' },
    ]);
    expect(rec.pendingCount()).toBe(0);
  });

  it('keeps its timestamps monotonic when the clock steps back', () => {
    const readings = [100, 90, 95, 120];
    const clock: Clock = { now: () => readings.shift() ?? 0, setTimer: () => () => undefined };
    const rec = new HistoryRecorder(clock);
    const a = rec.invoke(1, { f: 'read', key: 'k' }); // 100
    const b = rec.invoke(2, { f: 'read', key: 'k' }); // 90 → 100
    a.ok(null); // 95 → 100
    b.ok(null); // 120
    const [ea, eb] = rec.history();
    expect([ea?.invokeMs, eb?.invokeMs, ea?.completeMs, eb?.completeMs]).toEqual([100, 100, 100, 120]);
  });

  it('shows pending operations as unknown with no completion, and completes them later', () => {
    const clock = new FakeClock(0);
    const rec = new HistoryRecorder(clock);
    const h = rec.invoke(1, { f: 'write', key: 'k', value: 'v' });
    const snapshot = rec.history();
    expect(snapshot[0]).toMatchObject({ outcome: 'unknown', completeMs: null, error: PENDING_ERROR });
    expect(rec.pendingCount()).toBe(1);
    clock.advance(1);
    h.ok();
    expect(rec.history()[0]).toMatchObject({ outcome: 'ok', completeMs: 1 });
    expect(rec.history()[0]?.error).toBeUndefined();
    expect(snapshot[0]?.outcome).toBe('unknown'); // a snapshot is a copy
  });

  it.each<[string, Op, (h: ReturnType<HistoryRecorder['invoke']>) => void, RegExp]>([
    ['a read without its value', { f: 'read', key: 'k' }, (h) => h.ok(), /read's result/],
    ['a cas without its verdict', { f: 'cas', key: 'k', expected: null, value: 'v' }, (h) => h.ok(null), /cas's result/],
    ['a write with a result', { f: 'write', key: 'k', value: 'v' }, (h) => (h as { ok(r: unknown): void }).ok('v'), /no result/],
    ['a bad revision', { f: 'write', key: 'k', value: 'v' }, (h) => h.ok(undefined, { revision: -1 }), /revision/],
  ])('rejects %s', (_name, op, complete, message) => {
    const rec = new HistoryRecorder(new FakeClock(0));
    expect(() => complete(rec.invoke(1, op))).toThrow(message);
  });

  it('rejects completing an operation twice, and malformed operations', () => {
    const rec = new HistoryRecorder(new FakeClock(0));
    const h = rec.invoke(1, { f: 'read', key: 'k' });
    h.ok('v');
    expect(() => h.fail('late')).toThrow(/already completed/);
    expect(() => rec.invoke(1, { f: 'write', key: 'k' } as unknown as Op)).toThrow(/value of a write/);
    expect(() => rec.invoke(1, { f: 'scan', key: 'k' } as unknown as Op)).toThrow(/f must be/);
    expect(() => rec.invoke(Number.NaN, { f: 'read', key: 'k' })).toThrow(/process id/);
  });
});

describe('serializeHistory / parseHistory', () => {
  const history = (): HistoryEvent[] => {
    const clock = new FakeClock(50);
    const rec = new HistoryRecorder(clock);
    const w = rec.invoke('w', { f: 'write', key: 'a', value: 'line\nbreak "quoted"' });
    const r = rec.invoke('r', { f: 'read', key: 'a' });
    rec.invoke('d', { f: 'delete', key: 'a' }); // never completes
    clock.advance(1.5);
    w.ok(undefined, { revision: 3 });
    r.ok(null);
    const c = rec.invoke('c', { f: 'cas', key: 'a', expected: null, value: 'v' });
    c.unknown('connection reset');
    return rec.history();
  };

  it('round-trips a history and its meta, one event per line', () => {
    const h = history();
    const json = serializeHistory(h, { seed: 42, faults: ['kill leader at 3s'] });
    expect(json.split('\n').filter((l) => l.includes('"id"'))).toHaveLength(h.length);
    const back = parseHistory(json);
    expect(back.events).toEqual(h);
    expect(back.meta).toEqual({ seed: 42, faults: ['kill leader at 3s'] });
  });

  it.each([
    ['not a history', '{"format":"other","events":[]}', /unknown history format/],
    ['a bad outcome', '{"format":"mk-history/1","events":[{"id":0,"process":1,"op":{"f":"read","key":"k"},"invokeMs":1,"completeMs":2,"outcome":"maybe"}]}', /events\[0\]\.outcome/],
    ['an ok read with no value', '{"format":"mk-history/1","events":[{"id":0,"process":1,"op":{"f":"read","key":"k"},"invokeMs":1,"completeMs":2,"outcome":"ok"}]}', /events\[0\]/],
    ['a completion before the invocation', '{"format":"mk-history/1","events":[{"id":0,"process":1,"op":{"f":"read","key":"k"},"invokeMs":5,"completeMs":2,"outcome":"fail"}]}', /completeMs/],
    ['an ok op that never completed', '{"format":"mk-history/1","events":[{"id":0,"process":1,"op":{"f":"read","key":"k"},"invokeMs":5,"completeMs":null,"outcome":"ok","result":"x"}]}', /needs completeMs/],
  ])('rejects %s, naming the event', (_name, json, message) => {
    expect(() => parseHistory(json)).toThrow(message);
  });
});
