import type { KubeObject } from '@mk/api';
import { ApiError } from '@mk/client';
import { testContext } from '../testing/context';
import { deployment, runningPod, service } from '../testing/fixtures';
import { deleteCommand } from './delete';

describe('delete', () => {
  test('by type and names: kubectl\'s message per object; missing ones are errors', async () => {
    const t = testContext();
    t.client.add(runningPod('web'), runningPod('db'), deployment('api'));
    expect(await deleteCommand(t.ctx, ['pods', 'web', 'db', 'nope'])).toBe(1);
    expect(t.out()).toBe('pod "web" deleted\npod "db" deleted\n');
    expect(t.err()).toBe('Error from server (NotFound): pods "nope" not found\n');
    expect(await deleteCommand(t.ctx, ['deploy/api'])).toBe(0);
    expect(t.out()).toContain('deployment.apps "api" deleted\n');
    expect(t.client.stored('deployments', 'default', 'api')).toBeUndefined();
  });

  test('--cascade, --grace-period, --now and --force reach the server', async () => {
    const t = testContext();
    t.client.add(deployment('a'), runningPod('b'), runningPod('c'), runningPod('d'));
    await deleteCommand(t.ctx, ['deploy', 'a'], { cascade: 'foreground' });
    await deleteCommand(t.ctx, ['pod', 'b'], { gracePeriod: '5', cascade: 'orphan' });
    await deleteCommand(t.ctx, ['pod', 'c'], { now: true });
    await deleteCommand(t.ctx, ['pod', 'd'], { force: true, gracePeriod: '0' });
    const opts = t.client.calls.filter((c) => c.method === 'delete').map((c) => c.opts);
    expect(opts).toEqual([{ propagationPolicy: 'Foreground' }, { propagationPolicy: 'Orphan', gracePeriodSeconds: 5 }, { gracePeriodSeconds: 1 }, { gracePeriodSeconds: 0 }]);
    expect(t.err()).toBe(
      'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    );
    const bad = testContext();
    expect(await deleteCommand(bad.ctx, ['pod', 'x'], { cascade: 'sometimes' })).toBe(1);
    expect(bad.err()).toBe('error: invalid cascade value (sometimes). Must be "background", "foreground", or "orphan"\n');
  });

  test('-l deletes what matches; nothing matching says so', async () => {
    const t = testContext();
    t.client.add(runningPod('a', { labels: { app: 'web' } }), runningPod('b', { labels: { app: 'web' } }), runningPod('c', { labels: { app: 'db' } }));
    expect(await deleteCommand(t.ctx, ['pods'], { selector: 'app=web', output: 'name' })).toBe(0);
    expect(t.out()).toBe('pod/a\npod/b\n');
    expect(t.client.stored('pods', 'default', 'c')).toBeDefined();
    const none = testContext();
    expect(await deleteCommand(none.ctx, ['pods'], { selector: 'app=nope' })).toBe(0);
    expect(none.err()).toBe('No resources found in default namespace.\n');
  });

  test('-f deletes the objects of a file', async () => {
    const file = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: nginx}]\n';
    const t = testContext({ files: { '/m/web.yaml': file } });
    t.client.add(service('web'), deployment('web'));
    expect(await deleteCommand(t.ctx, [], { filename: ['/m/web.yaml'] })).toBe(0);
    expect(t.out()).toBe('service "web" deleted\ndeployment.apps "web" deleted\n');
  });

  test('waits until the object is gone (the default), unless --wait=false', async () => {
    const t = testContext();
    const p = runningPod('web');
    t.client.add(p);
    // A pod with a grace period: the first delete marks it, it disappears later.
    const realDelete = t.client.delete.bind(t.client);
    t.client.delete = async (resource, ns, name, opts) => {
      const obj = (await t.client.get(resource, ns, name)) as KubeObject;
      setTimeout(() => void realDelete(resource, ns, name, opts), 0);
      return { ...obj, metadata: { ...obj.metadata, deletionTimestamp: '2024-05-01T12:00:00Z' } };
    };
    const done = deleteCommand(t.ctx, ['pod', 'web']);
    for (let i = 0; i < 5 && t.out() === ''; i++) await new Promise((r) => setImmediate(r));
    expect(t.out()).toBe('pod "web" deleted\n');
    await new Promise((r) => setTimeout(r, 5));
    t.clock.advance(1000);
    expect(await done).toBe(0);
    const gets = t.client.calls.filter((c) => c.method === 'get').length;
    expect(gets).toBeGreaterThanOrEqual(2);

    const nowait = testContext();
    nowait.client.add(runningPod('web'));
    expect(await deleteCommand(nowait.ctx, ['pod', 'web'], { wait: false })).toBe(0);
    expect(nowait.client.calls.filter((c) => c.method === 'get')).toHaveLength(0);
  });

  test('usage errors and --ignore-not-found', async () => {
    const t = testContext();
    expect(await deleteCommand(t.ctx, [])).toBe(1);
    expect(t.err()).toContain('error: You must provide one or more resources by argument or filename.\n');
    const noName = testContext();
    expect(await deleteCommand(noName.ctx, ['pods'])).toBe(1);
    expect(noName.err()).toBe('error: resource(s) were provided, but no name was specified\n');
    const ignore = testContext();
    expect(await deleteCommand(ignore.ctx, ['pod', 'nope'], { ignoreNotFound: true })).toBe(0);
    expect(ignore.out() + ignore.err()).toBe('');
  });

  test('a server that refuses: its reason and message', async () => {
    const t = testContext();
    t.client.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } } as KubeObject);
    t.client.fail('delete', ApiError.of('Forbidden', 'namespaces "default" is forbidden: this namespace may not be deleted'));
    expect(await deleteCommand(t.ctx, ['ns', 'default'])).toBe(1);
    expect(t.err()).toBe('Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted\n');
  });
});
