import type { Deployment } from '@mk/api';
import { testContext } from '../testing/context';
import { apply } from './apply';

const LAST = 'kubectl.kubernetes.io/last-applied-configuration';

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: fe
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
`;

describe('apply', () => {
  test('creates what does not exist, with the last-applied annotation', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB } });
    expect(await apply(t.ctx, { filename: ['/m/web.yaml'] })).toBe(0);
    expect(t.out()).toBe('deployment.apps/web created\nservice/web created\n');
    expect(t.err()).toBe('');
    const d = t.client.stored('deployments', 'default', 'web') as Deployment;
    expect(d.metadata.annotations?.[LAST]).toBe(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"web","tier":"fe"},"name":"web","namespace":"default"},' +
        '"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},' +
        '"spec":{"containers":[{"image":"nginx:1.25","name":"web","ports":[{"containerPort":80}]}]}}}}\n',
    );
  });

  test('the same file again: unchanged, although the server defaulted fields inside lists', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB } });
    await apply(t.ctx, { filename: ['/m/web.yaml'] });
    const stored = t.client.stored('deployments', 'default', 'web') as Deployment;
    expect(stored.spec.template.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent'); // the fake server defaults, as the real one does
    const again = testContext({ client: t.client, files: { '/m/web.yaml': WEB } });
    expect(await apply(again.ctx, { filename: ['/m/web.yaml'] })).toBe(0);
    expect(again.out()).toBe('deployment.apps/web unchanged\nservice/web unchanged\n');
    expect(t.client.calls.filter((c) => c.method === 'patch')).toHaveLength(0);
  });

  test('a changed file: configured, with a patch of only what changed', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB } });
    await apply(t.ctx, { filename: ['/m/web.yaml'] });
    const changed = testContext({ client: t.client, files: { '/m/web.yaml': WEB.replace('replicas: 2', 'replicas: 5') } });
    expect(await apply(changed.ctx, { filename: ['/m/web.yaml'] })).toBe(0);
    expect(changed.out()).toBe('deployment.apps/web configured\nservice/web unchanged\n');
    const patch = t.client.calls.find((c) => c.method === 'patch')?.body as { spec: unknown; metadata: { annotations: Record<string, string> } };
    expect(patch.spec).toEqual({ replicas: 5 });
    expect(Object.keys(patch.metadata.annotations)).toEqual([LAST]);
    expect((t.client.stored('deployments', 'default', 'web') as Deployment).spec.replicas).toBe(5);
  });

  test('three-way: a field removed from the file is removed; fields set by others are kept', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB } });
    await apply(t.ctx, { filename: ['/m/web.yaml'] });
    // A controller sets an annotation; someone changes the image by hand.
    await t.client.patch('deployments', 'default', 'web', { metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } } });
    const edited = WEB.replace('    tier: fe\n', '').replace('        ports:\n        - containerPort: 80\n', '');
    const again = testContext({ client: t.client, files: { '/m/web.yaml': edited } });
    expect(await apply(again.ctx, { filename: ['/m/web.yaml'] })).toBe(0);
    expect(again.out()).toBe('deployment.apps/web configured\nservice/web unchanged\n');
    const d = t.client.stored('deployments', 'default', 'web') as Deployment;
    expect(d.metadata.labels).toEqual({ app: 'web' });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.spec.template.spec.containers[0]?.ports).toBeUndefined();
    expect(d.spec.template.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent'); // defaulted again
    const patch = t.client.calls.filter((c) => c.method === 'patch').pop()?.body as { metadata: { labels: unknown } };
    expect(patch.metadata.labels).toEqual({ tier: null });
  });

  test('a YAML error names the file and line; the other documents are still applied; exit 1', async () => {
    const bad = `apiVersion: v1
kind: ConfigMap
metadata:
  name: good
data:
  a: "1"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data:
  a: [1, 2
`;
    const t = testContext({ files: { '/m/cm.yaml': bad } });
    expect(await apply(t.ctx, { filename: ['/m/cm.yaml'] })).toBe(1);
    expect(t.out()).toBe('configmap/good created\n');
    expect(t.err()).toBe('error: error parsing /m/cm.yaml: /m/cm.yaml:14: Flow sequence in block collection must be sufficiently indented and end with a ]\n');
  });

  test('an unknown field: the file, the line of the field, the object and the field', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB.replace('        image: nginx:1.25', '        imagee: nginx:1.25') } });
    expect(await apply(t.ctx, { filename: ['/m/web.yaml'] })).toBe(1);
    expect(t.out()).toBe('service/web created\n');
    expect(t.err()).toBe(
      'error: error validating "/m/web.yaml": /m/web.yaml:20: error decoding Deployment "web": spec.template.spec.containers[0].imagee: unknown field\n',
    );
  });

  test('what the server refuses: kubectl\'s "error when creating" with the server\'s reason', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB.replace('replicas: 2', 'replicas: -1') } });
    expect(await apply(t.ctx, { filename: ['/m/web.yaml'] })).toBe(1);
    expect(t.out()).toBe('service/web created\n');
    expect(t.err()).toBe('Error from server (Invalid): error when creating "/m/web.yaml": Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0\n');
  });

  test('directories (-R for subdirectories) and stdin', async () => {
    const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
    const t = testContext({ files: { '/m/a.yaml': cm('a'), '/m/b.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } }), '/m/notes.txt': 'x', '/m/sub/c.yml': cm('c') } });
    expect(await apply(t.ctx, { filename: ['/m'] })).toBe(0);
    expect(t.out()).toBe('configmap/a created\nconfigmap/b created\n');
    const r = testContext({ client: t.client, files: { '/m/a.yaml': cm('a'), '/m/sub/c.yml': cm('c') } });
    expect(await apply(r.ctx, { filename: ['/m'], recursive: true })).toBe(0);
    expect(r.out()).toBe('configmap/a unchanged\nconfigmap/c created\n');
    const s = testContext({ stdin: cm('d') });
    expect(await apply(s.ctx, { filename: ['-'], output: 'name' })).toBe(0);
    expect(s.out()).toBe('configmap/d\n');
  });

  test('namespaces: the file\'s, else the current; -n must agree with the file', async () => {
    const inFile = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: team-a\n`;
    const t = testContext({ files: { '/m/a.yaml': inFile }, namespace: 'team-b', namespaceFromFlag: true });
    expect(await apply(t.ctx, { filename: ['/m/a.yaml'] })).toBe(1);
    expect(t.err()).toBe(
      'error: the namespace from the provided object "team-a" does not match the namespace "team-b". You must pass \'--namespace=team-a\' to perform this operation.\n',
    );
    const ok = testContext({ files: { '/m/a.yaml': inFile }, namespace: 'team-b' });
    expect(await apply(ok.ctx, { filename: ['/m/a.yaml'] })).toBe(0);
    expect(ok.client.stored('configmaps', 'team-a', 'a')).toBeDefined();
  });

  test('an object created without apply: kubectl\'s warning, then configured', async () => {
    const t = testContext({ files: { '/m/web.yaml': WEB } });
    await t.client.create('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } } as never);
    expect(await apply(t.ctx, { filename: ['/m/web.yaml'] })).toBe(0);
    expect(t.out()).toBe('deployment.apps/web created\nservice/web configured\n');
    expect(t.err()).toBe(
      'Warning: resource services/web is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by mkctl apply. mkctl apply should only be used on resources created declaratively by either mkctl create --save-config or mkctl apply. The missing annotation will be patched automatically.\n',
    );
  });

  test('missing paths, no -f, nothing in the file, dry runs', async () => {
    const t = testContext();
    expect(await apply(t.ctx, { filename: ['/nope.yaml'] })).toBe(1);
    expect(t.err()).toBe('error: the path "/nope.yaml" does not exist\n');
    const none = testContext();
    expect(await apply(none.ctx, {})).toBe(1);
    expect(none.err()).toBe('error: must specify one of -f and -k\n');
    const empty = testContext({ files: { '/m/e.yaml': '---\n' } });
    expect(await apply(empty.ctx, { filename: ['/m/e.yaml'] })).toBe(1);
    expect(empty.err()).toBe('error: no objects passed to apply\n');
    const dry = testContext({ files: { '/m/web.yaml': WEB } });
    expect(await apply(dry.ctx, { filename: ['/m/web.yaml'], dryRun: 'client' })).toBe(0);
    expect(dry.out()).toBe('deployment.apps/web created (dry run)\nservice/web created (dry run)\n');
    expect(dry.client.calls.filter((c) => c.method === 'create')).toHaveLength(0);
  });
});
