import { InvalidArgumentError } from '@mk/shared';
import { parseCronSchedule } from './cron';

const t = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('next activation (UTC)', () => {
  test.each([
    ['*/5 * * * *', '2024-05-01T12:03:10Z', '2024-05-01T12:05:00.000Z'],
    ['*/5 * * * *', '2024-05-01T12:05:00Z', '2024-05-01T12:10:00.000Z'], // strictly after
    ['0 * * * *', '2024-05-01T12:00:00Z', '2024-05-01T13:00:00.000Z'],
    ['30 2 * * *', '2024-05-01T03:00:00Z', '2024-05-02T02:30:00.000Z'],
    ['0 0 1 * *', '2024-05-15T00:00:00Z', '2024-06-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2023-03-01T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0 9 * * MON-FRI', '2024-05-04T10:00:00Z', '2024-05-06T09:00:00.000Z'], // Saturday → Monday
    ['0 0 * * 0', '2024-05-01T00:00:00Z', '2024-05-05T00:00:00.000Z'],
    ['0 0 13 * 5', '2024-05-01T00:00:00Z', '2024-05-03T00:00:00.000Z'], // day-of-month OR day-of-week
    ['0 0 1,15 * *', '2024-05-02T00:00:00Z', '2024-05-15T00:00:00.000Z'],
    ['0 0 * JAN *', '2024-05-02T00:00:00Z', '2025-01-01T00:00:00.000Z'],
    ['5-10/2 * * * *', '2024-05-01T00:06:00Z', '2024-05-01T00:07:00.000Z'],
    ['@hourly', '2024-05-01T12:30:00Z', '2024-05-01T13:00:00.000Z'],
    ['@daily', '2024-05-01T12:30:00Z', '2024-05-02T00:00:00.000Z'],
    ['@weekly', '2024-05-01T12:30:00Z', '2024-05-05T00:00:00.000Z'],
    ['@monthly', '2024-05-01T12:30:00Z', '2024-06-01T00:00:00.000Z'],
    ['@yearly', '2024-05-01T12:30:00Z', '2025-01-01T00:00:00.000Z'],
    ['0 0 31 2 *', '2024-05-01T00:00:00Z', undefined], // never
  ])('%s after %s → %s', (spec, after, expected) => {
    expect(iso(parseCronSchedule(spec).next(t(after)))).toBe(expected);
  });
});

describe('errors (robfig/cron messages)', () => {
  test.each([
    ['* * * *', 'expected exactly 5 fields, found 4: * * * *'],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['x * * * *', 'failed to parse int from x'],
    ['@every 5m', 'unrecognized descriptor: @every 5m'],
    ['TZ=UTC 0 * * * *', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
  ])('%j → %s', (spec, message) => {
    expect(() => parseCronSchedule(spec)).toThrow(InvalidArgumentError);
    expect(() => parseCronSchedule(spec)).toThrow(message);
  });
});

test('names of Object.prototype members are not month or day names', () => {
  expect(() => parseCronSchedule('0 0 * constructor *')).toThrow('failed to parse int from constructor');
  expect(() => parseCronSchedule('@constructor')).toThrow('unrecognized descriptor: @constructor');
});
