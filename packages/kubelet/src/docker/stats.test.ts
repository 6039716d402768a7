import { statsFromDocker } from './stats';

const NOW = 1_800_000_000_000;

describe('statsFromDocker', () => {
  test.each([
    [
      'cgroup v1: usage minus total_inactive_file',
      { read: '2026-11-22T08:00:00.5Z', cpu_stats: { cpu_usage: { total_usage: 5e9 } }, memory_stats: { usage: 10_000, stats: { total_inactive_file: 3_000, inactive_file: 1_000 } } },
      { timestamp: Date.UTC(2026, 10, 22, 8, 0, 0, 500), cpuUsageNanos: 5e9, memoryWorkingSetBytes: 7_000 },
    ],
    [
      'cgroup v2: usage minus inactive_file',
      { read: '2026-11-22T08:00:00Z', cpu_stats: { cpu_usage: { total_usage: 7 } }, memory_stats: { usage: 10_000, stats: { inactive_file: 4_000 } } },
      { timestamp: Date.UTC(2026, 10, 22, 8, 0, 0), cpuUsageNanos: 7, memoryWorkingSetBytes: 6_000 },
    ],
    [
      'never below 0',
      { read: '2026-11-22T08:00:00Z', cpu_stats: { cpu_usage: { total_usage: 7 } }, memory_stats: { usage: 1_000, stats: { total_inactive_file: 4_000 } } },
      { timestamp: Date.UTC(2026, 10, 22, 8, 0, 0), cpuUsageNanos: 7, memoryWorkingSetBytes: 0 },
    ],
    [
      'no page-cache numbers: all of usage; a zero read time: now',
      { read: '0001-01-01T00:00:00Z', cpu_stats: { cpu_usage: { total_usage: 7 } }, memory_stats: { usage: 1_000 } },
      { timestamp: NOW, cpuUsageNanos: 7, memoryWorkingSetBytes: 1_000 },
    ],
  ])('%s', (_what, stats, expected) => {
    expect(statsFromDocker(stats, NOW)).toEqual(expected);
  });

  test('a container that is not running has no numbers', () => {
    expect(statsFromDocker({ read: '0001-01-01T00:00:00Z', cpu_stats: { cpu_usage: {} }, memory_stats: {} }, NOW)).toBeUndefined();
  });
});
