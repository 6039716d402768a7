import type { Deployment } from '@mk/api';
import { testContext } from '../testing/context';
import { containerNameFor, createDeployment, createFromFiles, createNamespace } from './create';

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n';

describe('create', () => {
  test('-f creates; an existing object is an error (exit 1), unlike apply', async () => {
    const t = testContext({ files: { '/m/cm.yaml': CM } });
    expect(await createFromFiles(t.ctx, { filename: ['/m/cm.yaml'] })).toBe(0);
    expect(t.out()).toBe('configmap/cfg created\n');
    expect(t.client.stored('configmaps', 'default', 'cfg')?.metadata.annotations).toBeUndefined();
    expect(await createFromFiles(t.ctx, { filename: ['/m/cm.yaml'] })).toBe(1);
    expect(t.err()).toBe('Error from server (AlreadyExists): error when creating "/m/cm.yaml": configmaps "cfg" already exists\n');
  });

  test('--save-config stores the last-applied annotation', async () => {
    const t = testContext({ files: { '/m/cm.yaml': CM } });
    expect(await createFromFiles(t.ctx, { filename: ['/m/cm.yaml'], saveConfig: true })).toBe(0);
    expect(t.client.stored('configmaps', 'default', 'cfg')?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBe(
      '{"apiVersion":"v1","data":{"a":"1"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"cfg","namespace":"default"}}\n',
    );
  });

  test('create namespace and create deployment', async () => {
    const t = testContext();
    expect(await createNamespace(t.ctx, 'team-a')).toBe(0);
    expect(await createDeployment(t.ctx, 'kubia', { image: ['luksa/kubia:v1'], replicas: '3', port: '8080' })).toBe(0);
    expect(t.out()).toBe('namespace/team-a created\ndeployment.apps/kubia created\n');
    const d = t.client.stored('deployments', 'default', 'kubia') as Deployment;
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'kubia' } });
    expect(d.spec.template.spec.containers).toMatchObject([{ name: 'kubia', image: 'luksa/kubia:v1', ports: [{ containerPort: 8080 }] }]);
    expect(await createDeployment(t.ctx, 'x', {})).toBe(1);
    expect(t.err()).toBe('error: required flag(s) "image" not set\n');
    expect(containerNameFor('registry.local:5000/team/My_App@sha256:abc')).toBe('my-app');
  });
});
