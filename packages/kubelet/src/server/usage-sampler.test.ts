import { UsageSampler } from './usage-sampler';

const s = (timestamp: number, cpuUsageNanos: number, memoryWorkingSetBytes = 1024) => ({ timestamp, cpuUsageNanos, memoryWorkingSetBytes });

describe('UsageSampler (CPU rate between the last two samples)', () => {
  test.each([
    ['one sample: no rate yet', [s(1000, 0)], undefined],
    ['0.1 core over 200 ms', [s(1000, 0), s(1200, 20_000_000)], { timestamp: 1200, windowMs: 200, cpuNanoCores: 100_000_000, memoryWorkingSetBytes: 1024 }],
    ['2 cores over 10 s', [s(0, 5e9), s(10_000, 25e9, 4096)], { timestamp: 10_000, windowMs: 10_000, cpuNanoCores: 2e9, memoryWorkingSetBytes: 4096 }],
    ['the same time stamp twice is one sample', [s(1000, 0), s(1000, 50)], undefined],
    [
      'a sample too soon after a window keeps the window, takes its memory',
      [s(0, 0), s(200, 1e6), s(500, 9e9, 7)],
      { timestamp: 200, windowMs: 200, cpuNanoCores: 5_000_000, memoryWorkingSetBytes: 7 },
    ],
    ['a later window replaces the first', [s(0, 0), s(200, 1e6), s(1200, 1e6 + 5e8)], { timestamp: 1200, windowMs: 1000, cpuNanoCores: 500_000_000, memoryWorkingSetBytes: 1024 }],
    ['a counter going backwards counts as no use', [s(0, 9e9), s(2000, 1e9)], { timestamp: 2000, windowMs: 2000, cpuNanoCores: 0, memoryWorkingSetBytes: 1024 }],
  ])('%s', (_what, samples, want) => {
    const sampler = new UsageSampler(1000);
    for (const x of samples) sampler.record('c1', x);
    expect(sampler.rate('c1')).toEqual(want);
    expect(sampler.hasRate('c1')).toBe(want !== undefined);
  });

  test('retain forgets containers that are gone', () => {
    const sampler = new UsageSampler();
    sampler.record('a', s(0, 0));
    sampler.record('a', s(100, 100));
    sampler.record('b', s(0, 0));
    sampler.record('b', s(100, 100));
    sampler.retain(new Set(['b']));
    expect(sampler.rate('a')).toBeUndefined();
    expect(sampler.rate('b')).toBeDefined();
  });
});
