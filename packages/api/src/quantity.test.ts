import { InvalidArgumentError } from '@mk/shared';
import { canonicalQuantity, compareQuantities, parseQuantity, Quantity, QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR, quantityError } from './quantity';

describe('parseQuantity → canonical string', () => {
  test.each([
    ['100m', '100m'],
    ['0.5', '500m'],
    ['1', '1'],
    ['1000', '1k'],
    ['1024', '1024'],
    ['1500m', '1500m'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['128Mi', '128Mi'],
    ['1Gi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['2048Ki', '2Mi'],
    ['0.5Ki', '512'],
    ['1G', '1G'],
    ['1000M', '1G'],
    ['1.5M', '1500k'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1E3', '1e3'],
    ['1e-3', '1e-3'],
    ['12e6', '12e6'],
    ['0', '0'],
    ['0Mi', '0'],
    ['-1', '-1'],
    ['-100m', '-100m'],
    ['+1', '1'],
    ['1.', '1'],
    ['.5', '500m'],
    ['1n', '1n'],
    ['0.1n', '1n'], // precision below nano rounds up
    ['1u', '1u'],
    ['1k', '1k'],
    ['1E', '1E'],
    ['1Ei', '1Ei'],
    ['007', '7'],
  ])('%s → %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  test('numbers (as JSON may carry them) parse like their text', () => {
    expect(canonicalQuantity(0.5)).toBe('500m');
    expect(canonicalQuantity(2)).toBe('2');
    expect(canonicalQuantity(1e21)).toBe('1e21');
  });
});

describe('values', () => {
  test.each([
    ['100m', 100, 1],
    ['0.5', 500, 1],
    ['2', 2000, 2],
    ['1.5', 1500, 2], // Value() rounds up
    ['128Mi', 128 * 1024 * 1024 * 1000, 128 * 1024 * 1024],
    ['1G', 1e12, 1e9],
    ['1n', 1, 1], // MilliValue() rounds up too
    ['-1.5', -1500, -1],
  ])('%s: milli %d, value %d', (input, milli, value) => {
    const q = parseQuantity(input);
    expect(q.milliValue()).toBe(milli);
    expect(q.value()).toBe(value);
  });

  test('exact arithmetic', () => {
    const sum = parseQuantity('0.1').add(parseQuantity('0.2'));
    expect(sum.toString()).toBe('300m');
    expect(sum.equals(parseQuantity('300m'))).toBe(true);
    expect(parseQuantity('1Gi').sub(parseQuantity('512Mi')).toString()).toBe('512Mi');
    expect(parseQuantity('1').neg().toString()).toBe('-1');
    expect(Quantity.fromMilli(250).toString()).toBe('250m');
    expect(Quantity.fromValue(1024, 'BinarySI').toString()).toBe('1Ki');
    expect(Quantity.zero.isZero()).toBe(true);
    expect(parseQuantity('1.5Gi').nanos).toBe(1610612736n * 1_000_000_000n);
    expect(JSON.stringify({ q: parseQuantity('1000') })).toBe('{"q":"1k"}');
  });

  test.each([
    ['1', '1000m', 0],
    ['1Gi', '1G', 1],
    ['500m', '0.5', 0],
    ['100m', '0.2', -1],
    ['1Ki', '1024', 0],
    ['-1', '0', -1],
  ])('compare %s with %s → %d', (a, b, expected) => {
    expect(compareQuantities(a, b)).toBe(expected);
  });
});

describe('errors', () => {
  test.each(['', 'abc', '1.2.3', '--1', '1 Gi', ' 1', 'Gi', '.', '+', '1e', '1Gb', 'm'])('%j is malformed', (input) => {
    const err = quantityError(input);
    expect(err === QUANTITY_FORMAT_ERROR || err === QUANTITY_SUFFIX_ERROR).toBe(true);
    expect(() => parseQuantity(input)).toThrow(InvalidArgumentError);
  });

  test('unknown suffix vs wrong format', () => {
    expect(quantityError('1K')).toBe(QUANTITY_SUFFIX_ERROR);
    expect(quantityError('1mi')).toBe(QUANTITY_SUFFIX_ERROR);
    expect(quantityError('x1')).toBe(QUANTITY_FORMAT_ERROR);
    expect(quantityError('1e99999')).toMatch(/exponent out of range/);
    expect(QUANTITY_FORMAT_ERROR).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  test('round trip: canonical strings parse to the same value and print the same', () => {
    for (const s of ['1', '250m', '1536Mi', '7Gi', '3e9', '999n', '12345k', '1Ei', '2E']) {
      const q = parseQuantity(s);
      const again = parseQuantity(q.toString());
      expect(again.equals(q)).toBe(true);
      expect(again.toString()).toBe(q.toString());
    }
  });
});
