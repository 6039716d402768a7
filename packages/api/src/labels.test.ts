import { InvalidArgumentError } from '@mk/shared';
import {
  formatLabels,
  formatLabelSelector,
  labelSelectorMatches,
  parseSelector,
  Selector,
  selectorFromLabelSelector,
  selectorFromSet,
} from './labels';

const web = { app: 'web', tier: 'frontend', env: 'prod', release: '3' };
const db = { app: 'db', tier: 'db', env: 'staging' };
const canary = { app: 'web', env: 'prod', canary: 'true' };

describe('parseSelector: matching', () => {
  test.each([
    ['', [true, true, true, true]],
    ['app=web', [true, false, true, false]],
    ['app==web', [true, false, true, false]],
    ['app!=web', [false, true, false, true]], // != matches objects without the key
    ['tier!=db', [true, false, true, true]],
    ['env in (prod,staging)', [true, true, true, false]],
    ['env in (prod, staging)', [true, true, true, false]],
    ['env notin (prod)', [false, true, false, true]],
    ['canary', [false, false, true, false]],
    ['!canary', [true, true, false, true]],
    ['app=web,!canary', [true, false, false, false]],
    ['app=web,tier!=db,env in (prod,staging),!canary', [true, false, false, false]],
    ['release notin (a),app', [true, true, true, false]],
    ['release>2', [true, false, false, false]],
    ['release<2', [false, false, false, false]],
    ['app=', [false, false, false, false]],
    ['  app = web  ', [true, false, true, false]],
  ])('%j', (selector, expected) => {
    const sel = parseSelector(selector);
    expect([web, db, canary, undefined].map((l) => sel.matches(l))).toEqual(expected);
  });

  test('key=  matches the empty value', () => {
    expect(parseSelector('a=').matches({ a: '' })).toBe(true);
  });

  test('qualified keys', () => {
    expect(parseSelector('app.kubernetes.io/name=web').matches({ 'app.kubernetes.io/name': 'web' })).toBe(true);
  });
});

describe('parseSelector: errors', () => {
  test.each([
    ['app in prod', "found 'prod', expected: '('"],
    ['app in (prod', "found end of string, expected: ',' or ')'"],
    ['app web', "found 'web', expected: '=', '==', '!=', 'in', 'notin', ',' or end of string"],
    ['=web', "found '=', expected: a label key or '!'"],
    ['app=web,', "found end of string, expected: a label key or '!'"],
    ['app=web extra', "found 'extra', expected: ',' or end of string"],
    ['!', 'found end of string, expected: a label key'],
    ['app>x', "for 'Gt', 'Lt' operators, exactly one integer value is required"],
    ['app>', 'found end of string, expected: an integer'],
    ['app in ()', "values set can't be empty"],
    ['bad key=x', "found 'key', expected"],
    ['Bad_=x', 'name part must consist of alphanumeric characters'],
    ['a=bad value!', "found 'value'"],
    ['a=-x', 'a valid label must be an empty string or consist of alphanumeric characters'],
    ['a/b/c=x', 'a qualified name must consist of'],
  ])('%j → %s', (selector, message) => {
    expect(() => parseSelector(selector)).toThrow(InvalidArgumentError);
    expect(() => parseSelector(selector)).toThrow(message);
  });

  test('errors quote the whole selector', () => {
    expect(() => parseSelector('app in prod')).toThrow('unable to parse label selector "app in prod": ');
  });
});

describe('toString', () => {
  test.each([
    ['tier!=db,app=web', 'app=web,tier!=db'], // sorted by key
    ['env in (staging,prod)', 'env in (prod,staging)'],
    ['!canary,app', 'app,!canary'],
    ['a==b', 'a==b'],
    ['r>2', 'r>2'],
    ['', ''],
  ])('%j → %j', (input, expected) => {
    const s = parseSelector(input);
    expect(s.toString()).toBe(expected);
    expect(parseSelector(s.toString()).toString()).toBe(expected);
  });
});

describe('LabelSelector (structured) → Selector', () => {
  test('undefined selects nothing, {} selects everything', () => {
    expect(selectorFromLabelSelector(undefined).matches(web)).toBe(false);
    expect(selectorFromLabelSelector(undefined).isNothing()).toBe(true);
    expect(selectorFromLabelSelector(null).matches({})).toBe(false);
    expect(selectorFromLabelSelector({}).matches(web)).toBe(true);
    expect(selectorFromLabelSelector({}).isEverything()).toBe(true);
    expect(Selector.everything().matches(undefined)).toBe(true);
    expect(Selector.nothing().add({ key: 'a', operator: 'exists', values: [] }).matches({ a: '' })).toBe(false);
  });

  test.each([
    [{ matchLabels: { app: 'web' } }, 'app=web', [true, false, true]],
    [{ matchExpressions: [{ key: 'env', operator: 'In' as const, values: ['prod'] }] }, 'env in (prod)', [true, false, true]],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn' as const, values: ['prod'] }] }, 'env notin (prod)', [false, true, false]],
    [{ matchExpressions: [{ key: 'canary', operator: 'Exists' as const }] }, 'canary', [false, false, true]],
    [{ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' as const }] }, '!canary', [true, true, false]],
    [
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' as const }] },
      'app=web,!canary',
      [true, false, false],
    ],
  ])('%j', (ls, str, expected) => {
    const sel = selectorFromLabelSelector(ls);
    expect(sel.toString()).toBe(str);
    expect([web, db, canary].map((l) => sel.matches(l))).toEqual(expected);
    expect([web, db, canary].map((l) => labelSelectorMatches(ls, l))).toEqual(expected);
  });

  test('a bad operator or an In without values is an error', () => {
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Foo' as never }] })).toThrow(
      '"Foo" is not a valid label selector operator',
    );
    expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      "values set can't be empty",
    );
  });

  test('formatLabelSelector and formatLabels print like kubectl', () => {
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' } })).toBe('a=1,b=2');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' as never }] })).toBe('<error>');
    expect(formatLabels({ tier: 'fe', app: 'web' })).toBe('app=web,tier=fe');
    expect(formatLabels(undefined)).toBe('<none>');
  });

  test('selectorFromSet and requiresExactMatch', () => {
    const s = selectorFromSet({ app: 'web', tier: 'fe' });
    expect(s.toString()).toBe('app=web,tier=fe');
    expect(s.requiresExactMatch('app')).toBe('web');
    expect(s.requiresExactMatch('env')).toBeUndefined();
    expect(selectorFromSet({}).isEverything()).toBe(true);
  });
});

test('names of Object.prototype members are ordinary names', () => {
  expect(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'constructor' as never }] })).toThrow(
    '"constructor" is not a valid label selector operator',
  );
  expect(parseSelector('constructor').matches({})).toBe(false);
  expect(parseSelector('!toString').matches({})).toBe(true);
});
