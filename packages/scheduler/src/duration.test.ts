import { formatDuration, parseDuration } from './duration';

describe('durations for flags', () => {
  it.each([
    ['3s', 3000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['3000', 3000],
    ['0', 0],
    ['250us', 0.25],
  ])('%s → %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it.each(['', 's', '3x', '3s5', '-1s', 'ms'])('%j is refused', (s) => {
    expect(() => parseDuration(s)).toThrow(/invalid duration/);
  });

  it.each([
    [3000, '3s'],
    [500, '500ms'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [0, '0s'],
  ])('%d ms prints as %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });
});
