import { JsonPath } from './jsonpath';

const list = {
  kind: 'List',
  items: [
    { metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'web' } }, status: { conditions: [{ type: 'Ready', status: 'True' }], podIP: '10.0.0.1' }, spec: { containers: [{ image: 'nginx' }, { image: 'envoy' }] } },
    { metadata: { name: 'b', labels: {} }, status: { conditions: [{ type: 'Ready', status: 'False' }] }, spec: { containers: [{ image: 'redis' }] } },
  ],
};

describe('JSONPath templates (kubectl -o jsonpath)', () => {
  test.each([
    ['{.kind}', 'List'],
    ['{.items[*].metadata.name}', 'a b'],
    ['{.items[0].metadata.name}', 'a'],
    ['{.items[-1].metadata.name}', 'b'],
    ['{.items[0:1].metadata.name}', 'a'],
    ["{.items[0].metadata.labels['app.kubernetes.io/name']}", 'web'],
    ['{.items[*].spec.containers[*].image}', 'nginx envoy redis'],
    ['{..image}', 'nginx envoy redis'],
    ['{.items[?(@.status.podIP)].metadata.name}', 'a'],
    ['{.items[?(@.status.conditions[0].status=="False")].metadata.name}', 'b'],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}', 'a\tTrue\nb\tFalse\n'],
    ['name: {.items[0].metadata.name}!', 'name: a!'],
    ['{.items[0].status.conditions[0]}', '{"status":"True","type":"Ready"}'],
    ['{.missing.field}', ''],
    ['.kind', 'List'],
  ])('%s', (template, out) => {
    expect(new JsonPath(template).execute(list)).toBe(out);
  });

  test('malformed templates are errors', () => {
    expect(() => new JsonPath('{.items[0}')).toThrow(/error parsing jsonpath/);
    expect(() => new JsonPath('{range .items[*]}{.a}')).toThrow(/range without end/);
  });
});
