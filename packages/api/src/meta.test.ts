import {
  controllerRef,
  getCondition,
  isBeingDeleted,
  isControlledBy,
  keyOf,
  labelsMatch,
  newOwnerRef,
  objectKey,
  objectReference,
  podIsActive,
  podIsAvailable,
  podIsReady,
  podIsTerminal,
  removeCondition,
  setCondition,
  splitObjectKey,
  withDefaultNamespace,
} from './meta';
import type { Deployment, Namespace, Pod, PodCondition, ReplicaSet } from './types';

const rs: ReplicaSet = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-1', resourceVersion: '42' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [] } } },
};

function pod(extra: Partial<Pod> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-abc-1', namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'i' }] },
    ...extra,
  };
}

describe('keys', () => {
  test.each([
    ['default', 'web', 'default/web'],
    [undefined, 'node-1', 'node-1'],
    ['', 'node-1', 'node-1'],
  ])('objectKey(%j, %j) = %j', (ns, name, key) => {
    expect(objectKey(ns, name)).toBe(key);
    expect(splitObjectKey(key)).toEqual(ns ? { namespace: ns, name } : { name });
  });

  test('keyOf', () => {
    expect(keyOf(rs)).toBe('default/web-abc');
  });

  test('withDefaultNamespace is pure and only touches namespaced kinds', () => {
    const p = pod({ metadata: { name: 'p' } });
    const d = withDefaultNamespace(p);
    expect(d.metadata.namespace).toBe('default');
    expect(p.metadata.namespace).toBeUndefined();
    expect(withDefaultNamespace(p, 'prod').metadata.namespace).toBe('prod');
    const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } };
    expect(withDefaultNamespace(ns)).toBe(ns);
    const inProd = pod({ metadata: { name: 'p', namespace: 'prod' } });
    expect(withDefaultNamespace(inProd)).toBe(inProd);
  });
});

describe('owner references', () => {
  test('newOwnerRef and controllerRef', () => {
    const ref = newOwnerRef(rs);
    expect(ref).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1', controller: true, blockOwnerDeletion: true });
    expect(newOwnerRef(rs, false)).toEqual({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-1' });
    const owned = pod({ metadata: { name: 'p', ownerReferences: [newOwnerRef(rs, false), ref] } });
    expect(controllerRef(owned)).toEqual(ref);
    expect(isControlledBy(owned, rs)).toBe(true);
    expect(isControlledBy(owned, { ...rs, metadata: { ...rs.metadata, uid: 'other' } })).toBe(false);
    expect(isControlledBy(pod(), rs)).toBe(false);
  });

  test('objectReference', () => {
    expect(objectReference(rs, 'spec')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      namespace: 'default',
      name: 'web-abc',
      uid: 'rs-1',
      resourceVersion: '42',
      fieldPath: 'spec',
    });
  });

  test('labelsMatch', () => {
    expect(labelsMatch(rs.spec.selector, pod())).toBe(true);
    expect(labelsMatch({ matchLabels: { app: 'db' } }, pod())).toBe(false);
    expect(labelsMatch(undefined, pod())).toBe(false);
    const d: Deployment['spec']['selector'] = {};
    expect(labelsMatch(d, pod())).toBe(true);
  });
});

describe('conditions', () => {
  const now = '2024-05-01T12:00:00Z';
  const later = '2024-05-01T12:05:00Z';

  test('setCondition adds, replaces, and keeps lastTransitionTime while the status stays', () => {
    const c1 = setCondition<PodCondition>(undefined, { type: 'Ready', status: 'False', reason: 'Starting' }, now);
    expect(c1).toEqual([{ type: 'Ready', status: 'False', reason: 'Starting', lastTransitionTime: now }]);
    const c2 = setCondition(c1, { type: 'Ready', status: 'False', reason: 'StillStarting' }, later);
    expect(c2[0]?.lastTransitionTime).toBe(now);
    expect(c2[0]?.reason).toBe('StillStarting');
    const c3 = setCondition(c2, { type: 'Ready', status: 'True' }, later);
    expect(c3[0]?.lastTransitionTime).toBe(later);
    const c4 = setCondition(c3, { type: 'PodScheduled', status: 'True' }, later);
    expect(c4.map((c) => c.type)).toEqual(['Ready', 'PodScheduled']);
    expect(c3).toHaveLength(1); // inputs untouched
    expect(getCondition(c4, 'PodScheduled')?.status).toBe('True');
    expect(removeCondition(c4, 'Ready').map((c) => c.type)).toEqual(['PodScheduled']);
  });
});

describe('pods', () => {
  const ready = (since: string): Pod => pod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] } });

  test('ready and available', () => {
    expect(podIsReady(pod())).toBe(false);
    expect(podIsReady(ready('2024-05-01T12:00:00Z'))).toBe(true);
    const now = Date.parse('2024-05-01T12:00:10Z');
    expect(podIsAvailable(ready('2024-05-01T12:00:00Z'), 0, now)).toBe(true);
    expect(podIsAvailable(ready('2024-05-01T12:00:00Z'), 10, now)).toBe(true);
    expect(podIsAvailable(ready('2024-05-01T12:00:00Z'), 11, now)).toBe(false);
    expect(podIsAvailable(pod(), 0, now)).toBe(false);
  });

  test('terminal and active', () => {
    expect(podIsTerminal(pod({ status: { phase: 'Succeeded' } }))).toBe(true);
    expect(podIsTerminal(pod({ status: { phase: 'Failed' } }))).toBe(true);
    expect(podIsTerminal(pod({ status: { phase: 'Running' } }))).toBe(false);
    expect(podIsActive(pod())).toBe(true);
    const deleting = pod({ metadata: { name: 'p', deletionTimestamp: '2024-05-01T12:00:00Z' } });
    expect(isBeingDeleted(deleting)).toBe(true);
    expect(podIsActive(deleting)).toBe(false);
  });
});
