import { InvalidArgumentError } from '@mk/shared';
import { checkFieldSelector, fieldSelectorMatches, objectFields, parseFieldSelector, supportedFieldLabels } from './fields';
import type { Event, Node, Pod, Secret } from './types';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'nginx' }], nodeName: 'node-a', restartPolicy: 'Always' },
  status: { phase: 'Running', podIP: '10.1.0.5' },
};
const pending: Pod = { ...pod, metadata: { name: 'web-2', namespace: 'prod' }, spec: { containers: [] }, status: { phase: 'Pending' } };

describe('parseFieldSelector', () => {
  test.each([
    ['', [true, true]],
    ['metadata.name=web-1', [true, false]],
    ['metadata.name==web-1', [true, false]],
    ['metadata.namespace!=default', [false, true]],
    ['spec.nodeName=', [false, true]], // unscheduled pods
    ['spec.nodeName!=', [true, false]],
    ['status.phase=Running', [true, false]],
    ['status.phase!=Running,metadata.namespace=prod', [false, true]],
    ['status.podIP=10.1.0.5', [true, false]],
  ])('%j', (sel, expected) => {
    const s = parseFieldSelector(sel);
    checkFieldSelector('Pod', s);
    expect([pod, pending].map((p) => fieldSelectorMatches(p, s))).toEqual(expected);
  });

  test('escapes', () => {
    const s = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
    expect(s.requirements[0]?.value).toBe('a,b=c\\d');
    expect(s.toString()).toBe('metadata.name=a\\,b\\=c\\\\d');
    expect(s.requiresExactMatch('metadata.name')).toBe('a,b=c\\d');
  });

  test.each([
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['=x', "can't understand '=x'"],
    ['a=b\\x', 'invalid escape sequence'],
  ])('%j is an error: %s', (sel, message) => {
    expect(() => parseFieldSelector(sel)).toThrow(InvalidArgumentError);
    expect(() => parseFieldSelector(sel)).toThrow(message);
  });
});

describe('supported fields per kind', () => {
  test('unsupported field labels are refused like Kubernetes', () => {
    expect(() => checkFieldSelector('Pod', parseFieldSelector('spec.foo=x'))).toThrow('field label not supported: spec.foo');
    expect(() => checkFieldSelector('ConfigMap', parseFieldSelector('data.x=1'))).toThrow('field label not supported: data.x');
    expect(() => checkFieldSelector('Node', parseFieldSelector('metadata.namespace=x'))).toThrow(
      'field label not supported: metadata.namespace',
    );
  });

  test.each([
    ['Pod', ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'status.phase', 'status.podIP']],
    ['Event', ['involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid', 'reason', 'type']],
    ['Secret', ['type']],
    ['Node', ['metadata.name', 'spec.unschedulable']],
    ['ConfigMap', ['metadata.name', 'metadata.namespace']],
  ])('%s supports %j', (kind, fields) => {
    expect(supportedFieldLabels(kind)).toEqual(expect.arrayContaining(fields));
  });

  test('object field sets', () => {
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      type: 'Normal',
    };
    expect(objectFields(ev)).toMatchObject({
      'involvedObject.kind': 'Pod',
      'involvedObject.name': 'web-1',
      'involvedObject.uid': 'u1',
      reason: 'Scheduled',
      type: 'Normal',
    });
    const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true } };
    expect(objectFields(node)).toEqual({ 'metadata.name': 'n1', 'spec.unschedulable': 'true' });
    const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls' };
    expect(fieldSelectorMatches(secret, parseFieldSelector('type=kubernetes.io/tls'))).toBe(true);
    expect(objectFields(pod)['spec.hostNetwork']).toBe('false');
  });
});
