import type { KubeObject, Pod, ReplicaSet } from '@mk/api';
import { nullLogger } from '@mk/shared';
import { FakeCluster } from '../testing/fake-cluster';
import { NS, deploymentFixture, podFixture, rsFixture } from '../testing/fixtures';
import { runQueue } from '../testing/queue';
import { nullRecorder } from '../types';
import { GarbageCollector } from './garbage-collector';

function setup() {
  const cluster = new FakeCluster();
  const gc = new GarbageCollector({ client: cluster, informers: cluster, clock: cluster.clock, logger: nullLogger, recorder: nullRecorder }, ['pods', 'replicasets', 'deployments', 'configmaps']);
  return { cluster, gc };
}

const T = '2024-05-01T12:00:00Z';
const deleting = <T extends KubeObject>(o: T, finalizers: string[]): T => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: T, finalizers } });
const writes = (c: FakeCluster) => c.writes().map((a) => `${a.verb} ${a.resource} ${a.name}${a.options?.propagationPolicy ? ` ${a.options.propagationPolicy}` : ''}`);

describe('garbage collector: background', () => {
  it('deletes dependents whose owner is gone, after a live read confirms it (one read for many)', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 2);
    cluster.add(podFixture('a', { owner: rs }), podFixture('b', { owner: rs }));
    await runQueue(gc);
    expect(writes(cluster).sort()).toEqual(['delete pods a Background', 'delete pods b Background']);
    expect(cluster.actions.filter((a) => a.verb === 'get')).toHaveLength(1);
    expect(cluster.writes().every((a) => a.options?.preconditions?.uid?.startsWith('pod-'))).toBe(true);
  });

  it('deletes the dependents when the owner is deleted', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 2);
    cluster.add(rs, podFixture('a', { owner: rs }));
    expect(await runQueue(gc)).toEqual([]); // owner known and alive: nothing to look at
    cluster.remove('replicasets', `${NS}/web`);
    await runQueue(gc);
    expect(writes(cluster)).toEqual(['delete pods a Background']);
  });

  it('leaves a dependent alone when the owner exists but the cache has not seen it yet', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 1);
    cluster.autoFlush = false;
    cluster.add(podFixture('a', { owner: rs }));
    await cluster.create('replicasets', { ...rs, metadata: { name: 'web', namespace: NS } });
    // The pod references the uid the fake gave the created ReplicaSet.
    const created = cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!;
    cluster.modify<Pod>('pods', `${NS}/a`, (p) => (p.metadata.ownerReferences![0]!.uid = created.metadata.uid!));
    cluster.flushResource('pods');
    cluster.clearActions();
    await runQueue(gc);
    expect(writes(cluster)).toEqual([]);
    expect(cluster.actions.map((a) => a.verb)).toEqual(['get']);
  });

  it('an owner with the same name but another uid is gone', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add({ ...rs, metadata: { ...rs.metadata, uid: 'a-new-one' } });
    cluster.add(podFixture('a', { owner: rs }));
    await runQueue(gc);
    expect(writes(cluster)).toEqual(['delete pods a Background']);
  });

  it('with one owner gone and one alive, only the reference to the gone one is removed', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 1);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: NS, uid: 'cm-cfg' } } as KubeObject;
    cluster.add(cm);
    const pod = podFixture('a', { owner: rs });
    pod.metadata.ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'cm-cfg' });
    cluster.add(pod);
    await runQueue(gc);
    expect(writes(cluster)).toEqual(['patch pods a']);
    expect(cluster.object<Pod>('pods', `${NS}/a`)!.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'cm-cfg' }]);
  });

  it('cascades down a chain: Deployment → ReplicaSet → pods', async () => {
    const { cluster, gc } = setup();
    const d = deploymentFixture('web', 1);
    const rs = { ...rsFixture('web-x', 1), metadata: { ...rsFixture('web-x', 1).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }] } };
    cluster.add(d, rs, podFixture('p', { owner: rs }));
    cluster.remove('deployments', `${NS}/web`);
    await runQueue(gc);
    expect(writes(cluster)).toEqual(['delete replicasets web-x Background', 'delete pods p Background']);
    expect(cluster.list('pods')).toHaveLength(0);
  });
});

describe('garbage collector: foreground', () => {
  it('deletes the dependents, waits for the blocking ones, then removes the finalizer', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 2);
    cluster.add(rs);
    cluster.add(podFixture('a', { owner: rs, node: 'n1' }), podFixture('b', { owner: rs, node: 'n1' }));
    const loose = podFixture('loose', { owner: rs, node: 'n1' });
    loose.metadata.ownerReferences![0]!.blockOwnerDeletion = false;
    cluster.add(loose);
    await runQueue(gc);
    cluster.modify<ReplicaSet>('replicasets', `${NS}/web`, (r) => Object.assign(r, deleting(r, ['foregroundDeletion'])));
    await runQueue(gc);
    // Pods on a node are deleted gracefully: they are still there (terminating), so the owner waits.
    expect(writes(cluster).sort()).toEqual(['delete pods a Background', 'delete pods b Background', 'delete pods loose Background']);
    expect(cluster.object('replicasets', `${NS}/web`)).toBeDefined();
    cluster.clearActions();
    cluster.remove('pods', `${NS}/a`);
    await runQueue(gc);
    expect(writes(cluster)).toEqual([]);
    cluster.remove('pods', `${NS}/b`);
    await runQueue(gc);
    // `loose` (blockOwnerDeletion false) does not hold the owner back.
    expect(writes(cluster)).toEqual(['patch replicasets web']);
    expect(cluster.object('replicasets', `${NS}/web`)).toBeUndefined();
  });

  it('deletes a dependent that has dependents of its own in the foreground too', async () => {
    const { cluster, gc } = setup();
    const d = deploymentFixture('web', 1);
    const rs = { ...rsFixture('web-x', 1), metadata: { ...rsFixture('web-x', 1).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }] } };
    cluster.add(deleting(d, ['foregroundDeletion']), rs, podFixture('p', { owner: rs, node: 'n1' }));
    await runQueue(gc);
    expect(writes(cluster)[0]).toBe('delete replicasets web-x Foreground');
    expect(writes(cluster)).toContain('delete pods p Background');
    expect(cluster.object('deployments', `${NS}/web`)).toBeDefined();
    cluster.remove('pods', `${NS}/p`); // the kubelet finished
    await runQueue(gc);
    expect(cluster.object('replicasets', `${NS}/web-x`)).toBeUndefined();
    expect(cluster.object('deployments', `${NS}/web`)).toBeUndefined();
  });

  it('an owner with no dependents loses the finalizer at once', async () => {
    const { cluster, gc } = setup();
    cluster.add(deleting(rsFixture('web', 0), ['foregroundDeletion']));
    await runQueue(gc);
    expect(cluster.object('replicasets', `${NS}/web`)).toBeUndefined();
  });

  it('a dependent with another, living owner only drops the reference to the waiting one', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 1);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: NS, uid: 'cm-cfg' } } as KubeObject;
    const pod = podFixture('shared', { owner: rs, node: 'n1' });
    pod.metadata.ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cfg', uid: 'cm-cfg' });
    cluster.add(cm, deleting(rs, ['foregroundDeletion']), pod);
    await runQueue(gc);
    expect(cluster.object<Pod>('pods', `${NS}/shared`)!.metadata.deletionTimestamp).toBeUndefined();
    expect(cluster.object('replicasets', `${NS}/web`)).toBeUndefined();
  });
});

describe('garbage collector: orphan', () => {
  it('removes the owner reference from every dependent, then the orphan finalizer', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 2);
    cluster.add(deleting(rs, ['orphan']), podFixture('a', { owner: rs }), podFixture('b', { owner: rs }));
    await runQueue(gc);
    expect(writes(cluster).sort()).toEqual(['patch pods a', 'patch pods b', 'patch replicasets web']);
    expect(cluster.object<Pod>('pods', `${NS}/a`)!.metadata.ownerReferences).toBeUndefined();
    expect(cluster.object<Pod>('pods', `${NS}/b`)!.metadata.deletionTimestamp).toBeUndefined();
    expect(cluster.object('replicasets', `${NS}/web`)).toBeUndefined();
  });

  it('keeps the finalizer while a dependent cannot be updated (retried)', async () => {
    const { cluster, gc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(deleting(rs, ['orphan']), podFixture('a', { owner: rs }));
    cluster.fail('patch', 'pods', () => new Error('apiserver hiccup'));
    await expect(runQueue(gc)).rejects.toThrow('hiccup');
    expect(cluster.object('replicasets', `${NS}/web`)).toBeDefined();
    gc.enqueue(rs.metadata.uid!);
    await runQueue(gc);
    expect(cluster.object('replicasets', `${NS}/web`)).toBeUndefined();
  });
});
