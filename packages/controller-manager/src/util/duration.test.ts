import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['8s', 8000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
    ['250', 250],
  ])('%s → %i ms', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['', 's', '5x', '-1s', '1s5'])('refuses %p', (s) => expect(() => parseDuration(s)).toThrow());
});
