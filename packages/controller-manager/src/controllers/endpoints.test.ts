import type { Endpoints, Pod, Service } from '@mk/api';
import { nullLogger } from '@mk/shared';
import { FakeCluster } from '../testing/fake-cluster';
import { NS, podFixture, serviceFixture } from '../testing/fixtures';
import { drain } from '../testing/queue';
import { nullRecorder } from '../types';
import { EndpointsController } from './endpoints';

function setup() {
  const cluster = new FakeCluster();
  const ec = new EndpointsController({ client: cluster, informers: cluster, clock: cluster.clock, logger: nullLogger, recorder: nullRecorder });
  return { cluster, ec };
}

const web = { app: 'web' };
const ep = (c: FakeCluster, name = 'web') => c.object<Endpoints>('endpoints', `${NS}/${name}`);

describe('Endpoints controller', () => {
  it('lists ready pods in addresses and the others in notReadyAddresses, with node and pod reference, sorted by IP', async () => {
    const { cluster, ec } = setup();
    cluster.add(serviceFixture('web', web));
    cluster.add(
      podFixture('b', { labels: web, node: 'n2', ip: '10.244.2.5', ready: true }),
      podFixture('a', { labels: web, node: 'n1', ip: '10.244.1.10', ready: true }),
      podFixture('c', { labels: web, node: 'n1', ip: '10.244.1.9', ready: false }),
      podFixture('other', { labels: { app: 'db' }, node: 'n1', ip: '10.244.1.3', ready: true }),
    );
    await ec.sync(`${NS}/web`);
    expect(ep(cluster)).toMatchObject({
      metadata: { name: 'web', namespace: NS, labels: { svc: 'web' } },
      subsets: [
        {
          addresses: [
            { ip: '10.244.1.10', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: NS, name: 'a', uid: 'pod-a' } },
            { ip: '10.244.2.5', nodeName: 'n2', targetRef: { kind: 'Pod', namespace: NS, name: 'b', uid: 'pod-b' } },
          ],
          notReadyAddresses: [{ ip: '10.244.1.9', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: NS, name: 'c', uid: 'pod-c' } }],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
      ],
    });
  });

  it.each([
    ['without an IP', { labels: web, node: 'n1', ready: true }],
    ['terminating', { labels: web, node: 'n1', ready: true, ip: '10.0.0.1', deleting: true }],
    ['finished', { labels: web, node: 'n1', ready: false, ip: '10.0.0.1', phase: 'Succeeded' as const }],
  ])('leaves out a pod %s', async (_what, opts) => {
    const { cluster, ec } = setup();
    cluster.add(serviceFixture('web', web), podFixture('x', opts));
    await ec.sync(`${NS}/web`);
    expect(ep(cluster)!.subsets).toBeUndefined();
  });

  it('resolves a named targetPort per pod and groups pods by the ports they serve', async () => {
    const { cluster, ec } = setup();
    cluster.add(
      serviceFixture('web', web, [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9100, protocol: 'TCP' },
      ]),
    );
    cluster.add(
      podFixture('v1', { labels: web, node: 'n1', ip: '10.0.0.1', ready: true, containerPorts: [{ name: 'http', containerPort: 8080 }] }),
      podFixture('v2', { labels: web, node: 'n1', ip: '10.0.0.2', ready: true, containerPorts: [{ name: 'http', containerPort: 8081 }] }),
      podFixture('none', { labels: web, node: 'n1', ip: '10.0.0.3', ready: true }),
    );
    await ec.sync(`${NS}/web`);
    const subsets = ep(cluster)!.subsets!;
    const summary = subsets.map((s) => [s.addresses!.map((a) => a.ip), s.ports!.map((p) => `${p.name}:${p.port}`)]);
    expect(summary).toEqual(
      expect.arrayContaining([
        [['10.0.0.1'], ['http:8080', 'metrics:9100']],
        [['10.0.0.2'], ['http:8081', 'metrics:9100']],
        [['10.0.0.3'], ['metrics:9100']],
      ]),
    );
    expect(subsets).toHaveLength(3);
  });

  it('writes nothing when nothing changed, and updates when a pod becomes ready', async () => {
    const { cluster, ec } = setup();
    cluster.add(serviceFixture('web', web), podFixture('a', { labels: web, node: 'n1', ip: '10.0.0.1', ready: false }));
    await ec.sync(`${NS}/web`);
    cluster.clearActions();
    await ec.sync(`${NS}/web`);
    expect(cluster.writes()).toEqual([]);
    cluster.modify<Pod>('pods', `${NS}/a`, (p) => (p.status!.conditions = [{ type: 'Ready', status: 'True' }]));
    expect(await drain(ec)).toContain(`${NS}/web`);
    await ec.sync(`${NS}/web`);
    expect(cluster.writes().map((a) => a.verb)).toEqual(['update']);
    expect(ep(cluster)!.subsets![0]!.addresses).toHaveLength(1);
  });

  it('ignores Services without a selector (user-managed Endpoints) and deletes the Endpoints of a deleted Service', async () => {
    const { cluster, ec } = setup();
    cluster.add(serviceFixture('manual', undefined));
    cluster.add({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'manual', namespace: NS }, subsets: [{ addresses: [{ ip: '1.2.3.4' }] }] } as Endpoints);
    await ec.sync(`${NS}/manual`);
    expect(cluster.writes()).toEqual([]);
    cluster.add(serviceFixture('web', web));
    await ec.sync(`${NS}/web`);
    cluster.remove('services', `${NS}/web`);
    await ec.sync(`${NS}/web`);
    expect(ep(cluster)).toBeUndefined();
  });

  it('publishNotReadyAddresses lists every pod as ready', async () => {
    const { cluster, ec } = setup();
    const svc: Service = serviceFixture('web', web);
    svc.spec.publishNotReadyAddresses = true;
    cluster.add(svc, podFixture('a', { labels: web, node: 'n1', ip: '10.0.0.1', ready: false }));
    await ec.sync(`${NS}/web`);
    expect(ep(cluster)!.subsets![0]!.addresses).toHaveLength(1);
  });

  it('a pod event enqueues the Services selecting the pod (old labels too)', async () => {
    const { cluster, ec } = setup();
    cluster.add(serviceFixture('web', web), serviceFixture('db', { app: 'db' }));
    await drain(ec);
    cluster.add(podFixture('a', { labels: web }));
    expect(await drain(ec)).toEqual([`${NS}/web`]);
    cluster.modify<Pod>('pods', `${NS}/a`, (p) => (p.metadata.labels = { app: 'db' }));
    expect((await drain(ec)).sort()).toEqual([`${NS}/db`, `${NS}/web`]);
  });

  it('puts back an Endpoints someone else changed', async () => {
    const { cluster, ec } = setup();
    cluster.add(serviceFixture('web', web), podFixture('a', { labels: web, node: 'n1', ip: '10.0.0.1', ready: true }));
    await ec.sync(`${NS}/web`);
    await drain(ec);
    cluster.modify<Endpoints>('endpoints', `${NS}/web`, (e) => (e.subsets = []));
    expect(await drain(ec)).toEqual([`${NS}/web`]);
    await ec.sync(`${NS}/web`);
    expect(ep(cluster)!.subsets![0]!.addresses![0]!.ip).toBe('10.0.0.1');
  });
});
