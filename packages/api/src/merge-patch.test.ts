import { applyMergePatch, createMergePatch, createThreeWayMergePatch, isEmptyPatch, jsonEqual } from './merge-patch';

describe('applyMergePatch: RFC 7386 Appendix A', () => {
  test.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, result) => {
    const before = JSON.stringify(target);
    expect(applyMergePatch(target, patch)).toEqual(result);
    expect(JSON.stringify(target)).toBe(before); // input untouched
  });

  test('RFC 7386 section 3 example', () => {
    const target = { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'This will be unchanged' };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    expect(applyMergePatch(target, patch)).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });
});

describe('createMergePatch', () => {
  test.each([
    [{ a: 1 }, { a: 1 }, {}],
    [{ a: 1 }, { a: 2 }, { a: 2 }],
    [{ a: 1 }, {}, { a: null }],
    [{}, { a: { b: 1 } }, { a: { b: 1 } }],
    [{ a: { b: 1, c: 2 } }, { a: { b: 1 } }, { a: { c: null } }],
    [{ a: [1, 2] }, { a: [1, 2] }, {}],
    [{ a: [1, 2] }, { a: [2, 1] }, { a: [2, 1] }],
    [{ a: { x: 1 } }, { a: 'str' }, { a: 'str' }],
    [{ spec: { replicas: 3, template: { image: 'a' } } }, { spec: { replicas: 5, template: { image: 'a' } } }, { spec: { replicas: 5 } }],
  ])('%j → %j: %j', (original, modified, patch) => {
    const p = createMergePatch(original, modified);
    expect(p).toEqual(patch);
    expect(applyMergePatch(original, p)).toEqual(modified);
    expect(isEmptyPatch(p)).toBe(Object.keys(patch).length === 0);
  });

  test('key order does not matter', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toBe(true);
    expect(isEmptyPatch(createMergePatch({ a: 1, b: 2 }, { b: 2, a: 1 }))).toBe(true);
  });
});

describe('createThreeWayMergePatch (kubectl apply)', () => {
  const lastApplied = { metadata: { labels: { app: 'web', old: 'x' } }, spec: { replicas: 3, image: 'web:1' } };
  const live = {
    metadata: { labels: { app: 'web', old: 'x' }, uid: 'u1' },
    spec: { replicas: 5, image: 'web:1', clusterIP: '10.0.0.1' }, // replicas scaled by someone else
    status: { ready: 5 },
  };

  test('removes fields dropped from the configuration, keeps fields set by others', () => {
    const manifest = { metadata: { labels: { app: 'web' } }, spec: { replicas: 3, image: 'web:2' } };
    const patch = createThreeWayMergePatch(lastApplied, manifest, live);
    expect(patch).toEqual({ metadata: { labels: { old: null } }, spec: { replicas: 3, image: 'web:2' } });
    expect(applyMergePatch(live, patch)).toEqual({
      metadata: { labels: { app: 'web' }, uid: 'u1' },
      spec: { replicas: 3, image: 'web:2', clusterIP: '10.0.0.1' },
      status: { ready: 5 },
    });
  });

  test('unchanged configuration against an unchanged live object is an empty patch', () => {
    const liveSame = { ...live, spec: { ...live.spec, replicas: 3 } };
    expect(isEmptyPatch(createThreeWayMergePatch(lastApplied, lastApplied, liveSame))).toBe(true);
  });

  test('an added empty object is kept', () => {
    expect(createThreeWayMergePatch({}, { spec: { emptyDir: {} } }, { spec: {} })).toEqual({ spec: { emptyDir: {} } });
  });
});

test('"__proto__" keys are plain data', () => {
  const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
  const out = applyMergePatch({}, patch) as Record<string, unknown>;
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
});

test('createMergePatch handles "__proto__" keys as data', () => {
  const a = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
  const b = JSON.parse('{"b": 1}') as unknown;
  const p = createMergePatch(a, b) as Record<string, unknown>;
  expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
  expect(JSON.stringify(p)).toBe('{"__proto__":null,"b":1}');
});
