import { InvalidArgumentError } from '@mk/shared';
import { decodeAs, decodeObject, tryDecodeObject } from './decode';
import { ValidationError, formatFieldError } from './errors';
import type { Deployment, Pod } from './types';

function deployment(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec };
}

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };

/** The rendered field errors of decoding `value`. */
function errorsOf(value: unknown): string[] {
  return tryDecodeObject(value).errors.map(formatFieldError);
}

describe('unknown fields, with their path', () => {
  test.each([
    [{ replicas: 1, replica: 2, selector: {}, template }, ['spec.replica: unknown field']],
    [
      { selector: {}, template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', imagee: 'y' }] } } },
      ['spec.template.spec.containers[1].imagee: unknown field'],
    ],
    [
      { selector: {}, template: { spec: { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, port: 80 }] }] } } },
      ['spec.template.spec.containers[0].ports[0].port: unknown field'],
    ],
    [
      { selector: { matchLabels: { app: 'x' }, matchExpression: [] }, template: { metadata: { label: {} }, spec: { containers: [] } } },
      ['spec.selector.matchExpression: unknown field', 'spec.template.metadata.label: unknown field'],
    ],
    [
      {
        selector: {},
        template: {
          spec: {
            containers: [{ name: 'a', image: 'x', livenessProbe: { httpGet: { port: 80, pth: '/' } } }],
            volumes: [{ name: 'v', emptydir: {} }],
          },
        },
      },
      ['spec.template.spec.containers[0].livenessProbe.httpGet.pth: unknown field', 'spec.template.spec.volumes[0].emptydir: unknown field'],
    ],
  ])('%#', (spec, expected) => {
    expect(errorsOf(deployment(spec))).toEqual(expected);
  });

  test('top-level and metadata fields', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labelz: {} }, data: {}, spec: {} })).toEqual([
      'metadata.labelz: unknown field',
      'spec: unknown field',
    ]);
  });

  test('map keys are never unknown fields', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { anything: 'x' } }, data: { 'any.key': 'v' } })).toEqual([]);
  });
});

describe('wrong JSON types', () => {
  test.each([
    [{ replicas: '3' }, 'spec.replicas: expected integer, got string'],
    [{ replicas: 1.5 }, 'spec.replicas: expected integer, got number'],
    [{ replicas: true }, 'spec.replicas: expected integer, got boolean'],
    [{ paused: 'yes' }, 'spec.paused: expected boolean, got string'],
    [{ selector: 'app=web' }, 'spec.selector: expected object, got string'],
    [{ selector: { matchLabels: { app: 1 } } }, 'spec.selector.matchLabels[app]: expected string, got integer'],
    [{ selector: { matchLabels: ['app'] } }, 'spec.selector.matchLabels: expected object, got array'],
    [{ template: { spec: { containers: { name: 'a' } } } }, 'spec.template.spec.containers: expected array, got object'],
    [{ template: { spec: { containers: [{ name: 'a', args: [1] }] } } }, 'spec.template.spec.containers[0].args[0]: expected string, got integer'],
    [{ strategy: { rollingUpdate: { maxSurge: true } } }, 'spec.strategy.rollingUpdate.maxSurge: expected integer or string, got boolean'],
    [{ strategy: { rollingUpdate: { maxSurge: 1.5 } } }, 'spec.strategy.rollingUpdate.maxSurge: expected integer or string, got number'],
  ])('%j → %s', (spec, expected) => {
    expect(errorsOf(deployment(spec))).toEqual([expected]);
  });

  test('quantities: numbers become strings, garbage is an error', () => {
    const pod = (resources: unknown) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'i', resources }] },
    });
    const decoded = decodeAs(pod({ limits: { cpu: 0.5, memory: '128Mi' }, requests: { cpu: 1 } }), 'Pod');
    expect(decoded.spec.containers[0]?.resources).toEqual({ limits: { cpu: '0.5', memory: '128Mi' }, requests: { cpu: '1' } });
    expect(errorsOf(pod({ limits: { cpu: 'lots' } }))).toEqual([
      `spec.containers[0].resources.limits[cpu]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ]);
    expect(errorsOf(pod({ limits: { cpu: true } }))).toEqual([
      'spec.containers[0].resources.limits[cpu]: expected quantity (string or number), got boolean',
    ]);
  });

  test('times and base64', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', creationTimestamp: 'yesterday' } })).toEqual([
      'metadata.creationTimestamp: expected RFC 3339 time, got "yesterday"',
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', creationTimestamp: '2024-05-01T12:00:00Z' } })).toEqual([]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'not base64!' } })).toEqual([
      'data[password]: expected base64 data, got "not base64!"',
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { password: 'cGFzcw==' } })).toEqual([]);
  });
});

describe('apiVersion and kind', () => {
  test.each([
    [{ apiVersion: 'v1', kind: 'Foo' }, 'no kind "Foo" is registered for version "v1"'],
    [{ apiVersion: 'extensions/v1beta1', kind: 'Deployment' }, 'no kind "Deployment" is registered for version "extensions/v1beta1" (mk serves Deployment as "apps/v1")'],
    [{ apiVersion: 'v1', kind: 'Deployment' }, 'no kind "Deployment" is registered for version "v1" (mk serves Deployment as "apps/v1")'],
    [{ apiVersion: 'v1', kind: 'pod' }, 'no kind "pod" is registered for version "v1" (did you mean "Pod"?)'],
    [{ kind: 'Pod' }, 'apiVersion: Required value'],
    [{ apiVersion: 'v1' }, 'kind: Required value'],
    [{ apiVersion: 1, kind: 'Pod' }, 'apiVersion: expected string, got integer'],
  ])('%j → %s', (value, message) => {
    expect(errorsOf(value)).toEqual([message]);
  });

  test('non-objects', () => {
    expect(errorsOf(['a'])).toEqual(['expected object, got array']);
    expect(errorsOf('text')).toEqual(['expected object, got string']);
    expect(errorsOf(null)).toEqual(['expected object, got null']);
  });
});

describe('decodeObject', () => {
  test('returns a fresh typed object and never mutates its input', () => {
    const input = deployment({ replicas: 2, selector: { matchLabels: { app: 'web' } }, template });
    const snapshot = JSON.stringify(input);
    const d = decodeObject(input) as Deployment;
    expect(d.spec.replicas).toBe(2);
    expect(d).toEqual(input);
    expect(d).not.toBe(input);
    expect(d.spec).not.toBe(input.spec);
    d.spec.replicas = 9;
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  test('metadata is always present', () => {
    const ns = decodeObject({ apiVersion: 'v1', kind: 'Namespace' });
    expect(ns.metadata).toEqual({});
  });

  test('null fields are dropped; nulls inside maps and lists become Go zero values', () => {
    const pod = decodeAs(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', labels: { a: null }, annotations: null },
        spec: { containers: [{ name: 'c', image: 'i', env: null, args: [null, 'x'] }], nodeSelector: null },
        status: null,
      },
      'Pod',
    );
    expect(pod.metadata).toEqual({ name: 'p', labels: { a: '' } });
    expect(pod.spec).toEqual({ containers: [{ name: 'c', image: 'i', args: ['', 'x'] }] });
    expect('status' in pod).toBe(false);
  });

  test('free-form managedFields are kept as is', () => {
    const mf = [{ manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': {} } }];
    const cm = decodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: mf } });
    expect(cm.metadata.managedFields).toEqual(mf);
  });

  test('throws a ValidationError naming the object and listing every error', () => {
    const input = deployment({ replicas: 'three', replica: 1 });
    let err: unknown;
    try {
      decodeObject(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const v = err as ValidationError;
    expect(v.message).toBe('error decoding Deployment "web": [spec.replicas: expected integer, got string, spec.replica: unknown field]');
    expect(v.errors.map((e) => e.type)).toEqual(['TypeMismatch', 'UnknownField']);
    expect(v.details).toMatchObject({ kind: 'Deployment', group: 'apps', name: 'web', causes: [{ field: 'spec.replicas', type: 'TypeMismatch' }, { field: 'spec.replica' }] });
    expect(() => decodeObject(deployment({ replicas: '1' }))).toThrow('error decoding Deployment "web": spec.replicas: expected integer, got string');
  });

  test('decodeAs checks the kind', () => {
    const pod: Pod = decodeAs({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } }, 'Pod');
    expect(pod.kind).toBe('Pod');
    expect(() => decodeAs({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 'Service')).toThrow('kind: Invalid value: "Pod": expected "Service"');
  });

  test('every kind decodes a minimal object', () => {
    const minimal: [string, string][] = [
      ['v1', 'Namespace'], ['v1', 'Node'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Endpoints'], ['v1', 'ConfigMap'],
      ['v1', 'Secret'], ['v1', 'Event'], ['v1', 'PersistentVolume'], ['v1', 'PersistentVolumeClaim'], ['apps/v1', 'Deployment'],
      ['apps/v1', 'ReplicaSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'StatefulSet'], ['batch/v1', 'Job'], ['batch/v1', 'CronJob'],
      ['autoscaling/v2', 'HorizontalPodAutoscaler'], ['coordination.k8s.io/v1', 'Lease'],
    ];
    for (const [apiVersion, kind] of minimal) {
      expect(decodeObject({ apiVersion, kind, metadata: { name: 'x' } }).kind).toBe(kind);
    }
  });
});

test('a "__proto__" map key stays a key', () => {
  const value = JSON.parse('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"__proto__":"x"}}') as unknown;
  const cm = decodeObject(value) as { data?: Record<string, string> };
  expect(Object.getPrototypeOf(cm.data)).toBe(Object.prototype);
  expect(Object.keys(cm.data ?? {})).toEqual(['__proto__']);
});
