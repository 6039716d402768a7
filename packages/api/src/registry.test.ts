import { NotFoundError } from '@mk/shared';
import {
  findResource,
  formatApiResources,
  isKnownKind,
  qualifiedResource,
  resolveResource,
  resourceByPlural,
  resourceForKind,
  resources,
  resourcesInCategory,
} from './registry';
import { kindSchemas } from './schema';

describe('the resource table', () => {
  test.each([
    ['v1', 'Namespace', 'namespaces', ['ns'], false, true],
    ['v1', 'Node', 'nodes', ['no'], false, true],
    ['v1', 'Pod', 'pods', ['po'], true, true],
    ['v1', 'Service', 'services', ['svc'], true, true],
    ['v1', 'Endpoints', 'endpoints', ['ep'], true, false],
    ['v1', 'ConfigMap', 'configmaps', ['cm'], true, false],
    ['v1', 'Secret', 'secrets', [], true, false],
    ['v1', 'Event', 'events', ['ev'], true, false],
    ['v1', 'PersistentVolume', 'persistentvolumes', ['pv'], false, true],
    ['v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', ['pvc'], true, true],
    ['apps/v1', 'Deployment', 'deployments', ['deploy'], true, true],
    ['apps/v1', 'ReplicaSet', 'replicasets', ['rs'], true, true],
    ['apps/v1', 'DaemonSet', 'daemonsets', ['ds'], true, true],
    ['apps/v1', 'StatefulSet', 'statefulsets', ['sts'], true, true],
    ['batch/v1', 'Job', 'jobs', [], true, true],
    ['batch/v1', 'CronJob', 'cronjobs', ['cj'], true, true],
    ['autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', ['hpa'], true, true],
    ['coordination.k8s.io/v1', 'Lease', 'leases', [], true, false],
  ])('%s %s', (apiVersion, kind, plural, shortNames, namespaced, hasStatus) => {
    const r = resourceForKind(kind, apiVersion);
    expect(r).toMatchObject({ apiVersion, kind, resource: plural, shortNames, namespaced, hasStatus, singular: kind.toLowerCase() });
    expect(resourceByPlural(plural)).toBe(r);
    expect(isKnownKind(kind)).toBe(true);
  });

  test('every kind has a schema and every schema a kind', () => {
    expect(resources.map((r) => r.kind).sort()).toEqual(Object.keys(kindSchemas).sort());
  });

  test('apiVersion must match when given', () => {
    expect(resourceForKind('Deployment', 'extensions/v1beta1')).toBeUndefined();
    expect(resourceForKind('Foo')).toBeUndefined();
    expect(isKnownKind('constructor')).toBe(false);
  });
});

describe('names a kubectl user may type', () => {
  test.each([
    ['po', 'pods'],
    ['pod', 'pods'],
    ['pods', 'pods'],
    ['Pod', 'pods'],
    ['PODS', 'pods'],
    ['deploy', 'deployments'],
    ['deployment', 'deployments'],
    ['Deployment', 'deployments'],
    ['deployments.apps', 'deployments'],
    ['deployment.apps', 'deployments'],
    ['deployments.v1.apps', 'deployments'],
    ['Deployment.apps', 'deployments'],
    ['svc', 'services'],
    ['services.v1', 'services'],
    ['hpa', 'horizontalpodautoscalers'],
    ['horizontalpodautoscalers.autoscaling', 'horizontalpodautoscalers'],
    ['leases.coordination.k8s.io', 'leases'],
    ['cj', 'cronjobs'],
    ['ep', 'endpoints'],
    ['no', 'nodes'],
  ])('%s → %s', (name, plural) => {
    expect(findResource(name)?.resource).toBe(plural);
  });

  test.each(['foo', '', 'deployments.batch', 'pods.apps', 'deployments.v2.apps'])('%j is not a resource', (name) => {
    expect(findResource(name)).toBeUndefined();
  });

  test('resolveResource throws kubectl\'s error', () => {
    expect(() => resolveResource('foo')).toThrow(NotFoundError);
    expect(() => resolveResource('foo')).toThrow('the server doesn\'t have a resource type "foo"');
  });

  test('categories and qualified names', () => {
    expect(resourcesInCategory('all').map((r) => r.resource)).toEqual([
      'pods',
      'services',
      'deployments',
      'replicasets',
      'daemonsets',
      'statefulsets',
      'jobs',
      'cronjobs',
      'horizontalpodautoscalers',
    ]);
    expect(qualifiedResource(resolveResource('deploy'))).toBe('deployments.apps');
    expect(qualifiedResource(resolveResource('po'))).toBe('pods');
  });
});

test('api-resources table', () => {
  const lines = formatApiResources().split('\n');
  expect(lines[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
  expect(lines).toHaveLength(resources.length + 1);
  expect(lines.find((l) => l.startsWith('deployments '))).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/);
  expect(lines.find((l) => l.startsWith('secrets '))).toMatch(/^secrets\s+v1\s+true\s+Secret$/);
  // Columns line up: KIND starts at the same offset on every line.
  const kindCol = (lines[0] as string).indexOf('KIND');
  for (const l of lines.slice(1)) expect(l.slice(kindCol)).toMatch(/^[A-Z]/);
});
