import { InvalidArgumentError } from '@mk/shared';
import { exampleManifest } from './examples';

const KUBIA_MANIFEST = exampleManifest('kubia.yaml');
import { ManifestError, parseManifests, parseManifestsSettled } from './manifests';
import type { ConfigMap, Deployment, Pod, Service } from './types';

function errorOf(text: string, file = 'web.yaml'): ManifestError {
  try {
    parseManifests(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as ManifestError;
  }
  throw new Error('expected an error');
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('documents and lines', () => {
  test('the kubia Deployment + Service', () => {
    const ms = parseManifests(KUBIA_MANIFEST, 'kubia.yaml');
    expect(ms.map((m) => [m.object.kind, m.object.metadata.name, m.fileName, m.line])).toEqual([
      ['Deployment', 'kubia', 'kubia.yaml', 4],
      ['Service', 'kubia', 'kubia.yaml', 56],
    ]);
    const d = ms[0]?.object as Deployment;
    expect(d.spec.template.spec.containers[0]?.resources?.limits?.cpu).toBe('0.5');
    const s = ms[1]?.object as Service;
    expect(s.spec.ports?.[0]).toEqual({ port: 80, targetPort: 8080 });
  });

  test('2nd and 3rd documents carry their own lines; empty documents are skipped', () => {
    const text = ['---', cm('a'), '---', '# only a comment', '---', cm('b'), '---', '', '---', cm('c')].join('\n');
    const ms = parseManifests(text, 'f.yaml');
    expect(ms.map((m) => [m.object.metadata.name, m.line])).toEqual([
      ['a', 2],
      ['b', 10],
      ['c', 18],
    ]);
  });

  test('an empty file has no objects', () => {
    expect(parseManifests('', 'empty.yaml')).toEqual([]);
    expect(parseManifests('# nothing\n---\n', 'empty.yaml')).toEqual([]);
  });

  test('JSON', () => {
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { a: 'b' } }, null, 2);
    const [m] = parseManifests(json, 'c.json');
    expect(m?.object).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { a: 'b' } });
    expect(m?.line).toBe(1);
  });

  test('List kinds are unwrapped, each item with its line', () => {
    const text = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: one
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: two
`;
    expect(parseManifests(text, 'l.yaml').map((m) => [m.object.metadata.name, m.line])).toEqual([
      ['one', 4],
      ['two', 8],
    ]);
    const podList = `{"apiVersion":"v1","kind":"PodList","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[]}}]}`;
    expect(parseManifests(podList, 'p.json').map((m) => m.object.kind)).toEqual(['Pod']);
  });

  test('YAML 1.1 as Kubernetes reads it: octal modes, yes/no booleans, timestamps stay strings', () => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
  creationTimestamp: 2024-05-01T12:00:00Z
spec:
  hostNetwork: yes
  containers:
  - name: c
    image: busybox
    tty: on
  volumes:
  - name: cfg
    configMap:
      name: cfg
      defaultMode: 0644
`;
    const pod = parseManifests(text, 'p.yaml')[0]?.object as Pod;
    expect(pod.spec.volumes?.[0]?.configMap?.defaultMode).toBe(0o644);
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.containers[0]?.tty).toBe(true);
    expect(pod.metadata.creationTimestamp).toBe('2024-05-01T12:00:00Z');
  });

  test('anchors and merge keys', () => {
    const text = `apiVersion: v1
kind: ConfigMap
metadata:
  name: m
  labels: &l {app: web}
  annotations:
    <<: *l
    note: x
`;
    const c = parseManifests(text, 'm.yaml')[0]?.object as ConfigMap;
    expect(c.metadata.annotations).toEqual({ app: 'web', note: 'x' });
  });
});

describe('errors name file and line', () => {
  test('malformed YAML', () => {
    const text = `${cm('a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [b\n`;
    const e = errorOf(text);
    expect(e.fileName).toBe('web.yaml');
    expect(e.message).toMatch(/^web\.yaml:\d+: /);
    expect(e.line).toBeGreaterThanOrEqual(9);
    expect(e.message).not.toContain('\n');
  });

  test('duplicate keys', () => {
    const e = errorOf('apiVersion: v1\nkind: ConfigMap\nkind: Secret\n');
    expect(e.message).toBe('web.yaml:3: Map keys must be unique');
  });

  test('decode error in the 3rd document points at the field', () => {
    const deploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "3"
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        imagee: nginx
`;
    const text = `${cm('a')}---\n${cm('b')}---\n${deploy}`;
    const e = errorOf(text);
    expect(e.documentLine).toBe(11);
    expect(e.line).toBe(16); // spec.replicas
    expect(e.message).toBe(
      'web.yaml:16: error decoding Deployment "web": [spec.replicas: expected integer, got string, spec.template.spec.containers[0].imagee: unknown field]',
    );
    expect(e.errors.map((x) => [x.path, x.line])).toEqual([
      ['spec.replicas', 16],
      ['spec.template.spec.containers[0].imagee', 25],
    ]);
  });

  test('unknown kind points at the document', () => {
    const e = errorOf(`${cm('a')}---\napiVersion: v1\nkind: Foo\nmetadata:\n  name: x\n`);
    expect(e.message).toBe('web.yaml:6: no kind "Foo" is registered for version "v1"');
    expect(e.line).toBe(6);
  });

  test('a document that is not an object', () => {
    expect(errorOf('just a string\n').message).toBe('web.yaml:1: expected object, got string');
  });

  test('settled parsing reports each document on its own', () => {
    const text = `${cm('a')}---\napiVersion: v1\nkind: Foo\n---\n${cm('c')}`;
    const entries = parseManifestsSettled(text, 'x.yaml');
    expect(entries.map((e) => e.ok)).toEqual([true, false, true]);
    const bad = entries[1];
    expect(bad && !bad.ok && bad.error.message).toBe('x.yaml:6: no kind "Foo" is registered for version "v1"');
  });
});
