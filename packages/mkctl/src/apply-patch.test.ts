import { contained, sortedJson, threeWayPatch } from './apply-patch';

describe('threeWayPatch (kubectl apply)', () => {
  const current = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, annotations: { 'deployment.kubernetes.io/revision': '3' }, uid: 'u1', resourceVersion: '9' },
    spec: {
      replicas: 3,
      template: { spec: { containers: [{ name: 'web', image: 'nginx:1', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80, protocol: 'TCP' }] }], restartPolicy: 'Always' } },
    },
    status: { replicas: 3 },
  };
  const original = { metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } }, spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } } } };

  test('nothing changed: {} (defaults inside lists do not count)', () => {
    expect(threeWayPatch(original, original, current)).toEqual({});
  });

  test('a changed scalar is sent; a removed field is deleted; others\' fields stay', () => {
    const modified = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 5, template: original.spec.template } };
    expect(threeWayPatch(original, modified, current)).toEqual({ metadata: { labels: { tier: null } }, spec: { replicas: 5 } });
  });

  test('a list the file changed replaces the live one whole', () => {
    const modified = { ...original, spec: { ...original.spec, template: { spec: { containers: [{ name: 'web', image: 'nginx:2', ports: [{ containerPort: 80 }] }] } } } };
    expect(threeWayPatch(original, modified, current)).toEqual({ spec: { template: { spec: { containers: modified.spec.template.spec.containers } } } });
    // A field removed inside a list item (ports) is a change of the list, though the live list still "contains" the file's.
    const noPorts = { ...original, spec: { ...original.spec, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } };
    expect(threeWayPatch(original, noPorts, current)).toEqual({ spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } } });
  });

  test('without a last-applied configuration nothing is deleted; a list someone else changed is put back', () => {
    const drifted = structuredClone(current);
    drifted.spec.template.spec.containers[0]!.image = 'nginx:hotfix';
    expect(threeWayPatch(undefined, original, drifted)).toEqual({ spec: { template: { spec: { containers: original.spec.template.spec.containers } } } });
  });

  test('helpers', () => {
    expect(contained([{ a: 1 }], [{ a: 1, b: 2 }])).toBe(true);
    expect(contained([{ a: 1 }], [{ a: 1 }, { a: 2 }])).toBe(false);
    expect(sortedJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});
