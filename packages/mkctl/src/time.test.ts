import { formatRFC1123Z, formatRFC3339, humanDuration, since } from './time';

describe('humanDuration (Kubernetes duration.HumanDuration)', () => {
  test.each([
    [-5, '<invalid>'],
    [-1, '0s'],
    [0, '0s'],
    [5, '5s'],
    [119, '119s'],
    [120, '2m'],
    [182, '3m2s'],
    [600, '10m'],
    [3 * 3600 - 1, '179m'],
    [3 * 3600, '3h'],
    [4 * 3600, '4h'],
    [4 * 3600 + 30 * 60, '4h30m'],
    [8 * 3600, '8h'],
    [47 * 3600, '47h'],
    [48 * 3600, '2d'],
    [51 * 3600, '2d3h'],
    [8 * 86400, '8d'],
    [45 * 86400, '45d'],
    [730 * 86400, '2y'],
    [800 * 86400, '2y70d'],
    [9 * 365 * 86400, '9y'],
  ])('%ss → %s', (seconds, text) => {
    expect(humanDuration(seconds * 1000)).toBe(text);
  });

  test('ages from timestamps; <unknown> without one', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(since('2024-05-01T11:59:55Z', now)).toBe('5s');
    expect(since(undefined, now)).toBe('<unknown>');
  });

  test('RFC 1123 with a numeric zone, as describe prints times', () => {
    expect(formatRFC1123Z('2024-05-01T12:03:04Z', false)).toBe('Wed, 01 May 2024 12:03:04 +0000');
    expect(formatRFC1123Z(undefined, false)).toBe('Mon, 01 Jan 0001 00:00:00 +0000');
  });

  test('RFC 3339 as Go formats time.Now(): Z in UTC, a numeric offset in the local zone', () => {
    const ms = Date.parse('2024-05-01T12:03:04.567Z');
    expect(formatRFC3339(ms, false)).toBe('2024-05-01T12:03:04Z');
    const local = formatRFC3339(ms, true);
    expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(local)).toBe(Date.parse('2024-05-01T12:03:04Z'));
  });
});
