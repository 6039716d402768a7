import { formatDuration, parseDuration } from './duration';

describe('duration flags (Go syntax)', () => {
  it.each([
    ['3s', 3000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['10m', 600_000],
    ['250us', 0.25],
    ['3000', 3000],
    ['0', 0],
  ])('%s is %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

  it('a bare number is seconds for kubectl-style flags and refused by etcd-style ones', () => {
    expect(parseDuration('30', { bare: 's' })).toBe(30_000);
    expect(() => parseDuration('10', { bare: 'refuse', flag: '--experimental-watch-progress-notify-interval' })).toThrow(
      'invalid argument "10" for "--experimental-watch-progress-notify-interval" flag: time: invalid duration "10"',
    );
    expect(parseDuration('0', { bare: 'refuse' })).toBe(0);
  });

  it.each(['', 's', '3x', '3s5', '-1s', 'ms', 'ten minutes', '5s garbage'])('%j is refused, naming the flag', (s) => {
    expect(() => parseDuration(s, { flag: '--timeout' })).toThrow(`invalid argument ${JSON.stringify(s)} for "--timeout" flag: time: invalid duration`);
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
