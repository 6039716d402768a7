import { InvalidArgumentError } from '@mk/shared';
import { isPercent, resolveFenceposts, resolvePort, scaledValue } from './intstr';

describe('scaledValue', () => {
  test.each([
    [5, 10, true, 5],
    ['25%', 10, true, 3], // 2.5 up
    ['25%', 10, false, 2], // 2.5 down
    ['25%', 4, true, 1],
    ['0%', 10, true, 0],
    ['100%', 7, false, 7],
    ['33%', 3, false, 0],
    ['33%', 3, true, 1],
  ] as const)('%j of %d (round up: %s) = %d', (v, total, up, expected) => {
    expect(scaledValue(v, total, up)).toBe(expected);
  });

  test('strings that are not percentages are refused', () => {
    expect(() => scaledValue('abc', 10, true)).toThrow('invalid value for IntOrString: invalid type: string is not a percentage');
    expect(() => scaledValue('a%', 10, true)).toThrow(InvalidArgumentError);
    expect(isPercent('25%')).toBe(true);
    expect(isPercent('25')).toBe(false);
    expect(isPercent(25)).toBe(false);
  });
});

describe('resolveFenceposts (Deployment rolling update bounds)', () => {
  test.each([
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 1, 1, 0],
    [1, 0, 3, 1, 0],
    [0, 0, 3, 0, 1], // both zero: unavailable becomes 1
    ['0%', '0%', 3, 0, 1],
    [undefined, undefined, 5, 0, 1],
    ['50%', '50%', 3, 2, 1],
  ] as const)('surge %j unavailable %j of %d → %d/%d', (surge, unavailable, desired, s, u) => {
    expect(resolveFenceposts(surge, unavailable, desired)).toEqual({ surge: s, unavailable: u });
  });
});

test('resolvePort: numbers, numeric strings and named ports', () => {
  const ports = [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }];
  expect(resolvePort(80, ports)).toBe(80);
  expect(resolvePort('8443', ports)).toBe(8443);
  expect(resolvePort('http', ports)).toBe(8080);
  expect(resolvePort('metrics', ports)).toBeUndefined();
});
