import { ApiError } from '@mk/client';
import { testContext } from '../testing/context';
import { apiResources } from './api-resources';
import { version } from './version';

describe('api-resources', () => {
  test('from the server\'s discovery, by group then name, as kubectl prints them', async () => {
    const t = testContext();
    expect(await apiResources(t.ctx)).toBe(0);
    expect(t.out()).toBe(`NAME                       SHORTNAMES   APIVERSION               NAMESPACED   KIND
configmaps                 cm           v1                       true         ConfigMap
endpoints                  ep           v1                       true         Endpoints
events                     ev           v1                       true         Event
namespaces                 ns           v1                       false        Namespace
nodes                      no           v1                       false        Node
persistentvolumeclaims     pvc          v1                       true         PersistentVolumeClaim
persistentvolumes          pv           v1                       false        PersistentVolume
pods                       po           v1                       true         Pod
secrets                                 v1                       true         Secret
services                   svc          v1                       true         Service
daemonsets                 ds           apps/v1                  true         DaemonSet
deployments                deploy       apps/v1                  true         Deployment
replicasets                rs           apps/v1                  true         ReplicaSet
statefulsets               sts          apps/v1                  true         StatefulSet
horizontalpodautoscalers   hpa          autoscaling/v2           true         HorizontalPodAutoscaler
cronjobs                   cj           batch/v1                 true         CronJob
jobs                                    batch/v1                 true         Job
leases                                  coordination.k8s.io/v1   true         Lease
`);
    expect(t.client.calls.map((c) => c.method)).toEqual(['apiResources']);
  });

  test('filters, -o name, -o wide', async () => {
    const t = testContext();
    expect(await apiResources(t.ctx, { namespaced: 'false', output: 'name' })).toBe(0);
    expect(t.out()).toBe('namespaces\nnodes\npersistentvolumes\n');
    const g = testContext();
    expect(await apiResources(g.ctx, { apiGroup: 'batch', output: 'wide', noHeaders: true })).toBe(0);
    expect(g.out()).toBe(
      'cronjobs   cj    batch/v1   true   CronJob   [create delete get list patch update watch]\n' + //
        'jobs             batch/v1   true   Job       [create delete get list patch update watch]\n',
    );
  });
});

describe('version', () => {
  test('client and server', async () => {
    const t = testContext();
    expect(await version(t.ctx)).toBe(0);
    expect(t.out()).toBe('Client Version: v0.1.0\nServer Version: v0.1.0\n');
    const c = testContext({ clientError: new Error('no API server configured') });
    expect(await version(c.ctx, { client: true })).toBe(0);
    expect(c.out()).toBe('Client Version: v0.1.0\n');
    const j = testContext();
    expect(await version(j.ctx, { output: 'json' })).toBe(0);
    expect(JSON.parse(j.out())).toMatchObject({ clientVersion: { gitVersion: 'v0.1.0' }, serverVersion: { gitVersion: 'v0.1.0', store: 'mk-store' } });
  });

  test('an unreachable server: the client version, then the error, exit 1', async () => {
    const t = testContext();
    t.client.fail('version', ApiError.unavailable('no API server answered (10.0.0.1:6443); last error: no answer within 10s (--request-timeout)'));
    expect(await version(t.ctx)).toBe(1);
    expect(t.out()).toBe('Client Version: v0.1.0\n');
    expect(t.err()).toBe('error: unable to connect to the server at 10.0.0.1:6443: no answer within 10s (--request-timeout)\n');
  });
});
