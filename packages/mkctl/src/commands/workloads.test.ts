import type { Deployment, Service } from '@mk/api';
import { testContext } from '../testing/context';
import { deployment, runningPod } from '../testing/fixtures';
import { expose, scale, setImage } from './workloads';

describe('scale, expose, set image (the kubia walkthrough)', () => {
  test('scale a deployment; refuse pods; --current-replicas precondition', async () => {
    const t = testContext();
    t.client.add(deployment('kubia', { replicas: 1 }), runningPod('p'));
    expect(await scale(t.ctx, ['deploy', 'kubia'], { replicas: '3' })).toBe(0);
    expect(t.out()).toBe('deployment.apps/kubia scaled\n');
    expect((t.client.stored('deployments', 'default', 'kubia') as Deployment).spec.replicas).toBe(3);
    expect(await scale(t.ctx, ['deploy/kubia'], { replicas: '5', currentReplicas: '1' })).toBe(1);
    expect(t.err()).toBe('error: Expected replicas to be 1, was 3\n');
    expect(await scale(t.ctx, ['pod', 'p'], { replicas: '2' })).toBe(1);
    expect(t.err()).toContain('error: cannot scale pods (only deployments, replicasets and statefulsets have replicas)\n');
    expect(await scale(t.ctx, ['deploy', 'kubia'], {})).toBe(1);
    expect(t.err()).toContain('error: required flag(s) "replicas" not set\n');
  });

  test('expose a deployment: its selector, its labels, the port given or found', async () => {
    const t = testContext();
    const d = deployment('kubia');
    d.metadata.labels = { app: 'kubia' };
    d.spec.template.spec.containers[0]!.ports = [{ containerPort: 8080 }];
    t.client.add(d);
    expect(await expose(t.ctx, ['deployment', 'kubia'], { port: '80', targetPort: '8080', type: 'NodePort' })).toBe(0);
    expect(t.out()).toBe('service/kubia exposed\n');
    const svc = t.client.stored('services', 'default', 'kubia') as Service;
    expect(svc.spec).toMatchObject({ type: 'NodePort', selector: { app: 'kubia' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
    expect(svc.metadata.labels).toEqual({ app: 'kubia' });
    expect(await expose(t.ctx, ['deploy/kubia'], { name: 'kubia-http' })).toBe(0);
    expect((t.client.stored('services', 'default', 'kubia-http') as Service).spec.ports).toMatchObject([{ port: 8080 }]);
    expect(await expose(t.ctx, ['deploy', 'kubia'], {})).toBe(1);
    expect(t.err()).toBe('Error from server (AlreadyExists): services "kubia" already exists\n');
  });

  test('set image on a deployment\'s template; an unknown container is an error', async () => {
    const t = testContext();
    t.client.add(deployment('kubia', { image: 'luksa/kubia:v1' }));
    expect(await setImage(t.ctx, ['deployment/kubia', 'web=luksa/kubia:v2'])).toBe(0);
    expect(t.out()).toBe('deployment.apps/kubia image updated\n');
    expect((t.client.stored('deployments', 'default', 'kubia') as Deployment).spec.template.spec.containers[0]?.image).toBe('luksa/kubia:v2');
    expect(await setImage(t.ctx, ['deployment', 'kubia', 'nope=x'])).toBe(1);
    expect(t.err()).toBe('error: unable to find container named "nope"\n');
    expect(await setImage(t.ctx, ['deployment', 'kubia', '*=luksa/kubia:v3'])).toBe(0);
    expect((t.client.stored('deployments', 'default', 'kubia') as Deployment).spec.template.spec.containers[0]?.image).toBe('luksa/kubia:v3');
  });
});
