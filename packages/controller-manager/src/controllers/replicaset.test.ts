import type { Pod, ReplicaSet } from '@mk/api';
import { ApiError } from '@mk/client';
import { nullLogger } from '@mk/shared';
import { FakeCluster } from '../testing/fake-cluster';
import { NS, podFixture, rsFixture } from '../testing/fixtures';
import { drain } from '../testing/queue';
import { RecordingRecorder } from '../testing/recorder';
import { ReplicaSetController } from './replicaset';

function setup(opts: { burstReplicas?: number } = {}) {
  const cluster = new FakeCluster();
  const recorder = new RecordingRecorder();
  const rsc = new ReplicaSetController({ client: cluster, informers: cluster, clock: cluster.clock, logger: nullLogger, recorder }, opts);
  return { cluster, rsc, recorder };
}

const T0 = '2024-05-01T11:00:00Z';
const later = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('ReplicaSet controller: scaling', () => {
  it.each([
    [0, 3, 3, 0],
    [1, 3, 2, 0],
    [3, 3, 0, 0],
    [5, 3, 0, 2],
    [4, 0, 0, 4],
  ])('with %i pods and replicas %i: %i creates, %i deletes', async (have, want, creates, deletes) => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', want);
    cluster.add(rs);
    for (let i = 0; i < have; i++) cluster.add(podFixture(`web-${i}`, { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true }));
    await rsc.sync(`${NS}/web`);
    const w = cluster.writes();
    expect(w.filter((a) => a.verb === 'create' && a.resource === 'pods')).toHaveLength(creates);
    expect(w.filter((a) => a.verb === 'delete' && a.resource === 'pods')).toHaveLength(deletes);
    const active = cluster.list<Pod>('pods').filter((p) => !p.metadata.deletionTimestamp);
    expect(active).toHaveLength(want);
  });

  it('creates pods from the template with generateName and a controller reference', async () => {
    const { cluster, rsc, recorder } = setup();
    cluster.add(rsFixture('web', 1));
    await rsc.sync(`${NS}/web`);
    const create = cluster.writes().find((a) => a.verb === 'create')!;
    expect(create.object!.metadata).toEqual({
      generateName: 'web-',
      namespace: NS,
      labels: { app: 'web' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-web', controller: true, blockOwnerDeletion: true }],
    });
    const pod = cluster.list<Pod>('pods')[0]!;
    expect(pod.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(recorder.reasons()).toEqual(['SuccessfulCreate']);
  });

  it('creates in slow-start batches 1, 2, 4, … and stops after a batch with a failure', async () => {
    const { cluster, rsc } = setup();
    cluster.add(rsFixture('web', 10));
    // The 4th create fails: batches are 1 (ok), 2 (ok), 4 (one fails) → no batch of 3 after it.
    let n = 0;
    cluster.fail('create', 'pods', () => ApiError.of('Forbidden', 'exceeded quota'), 1, () => ++n === 4);
    await expect(rsc.sync(`${NS}/web`)).rejects.toThrow('exceeded quota');
    expect(cluster.writes().filter((a) => a.verb === 'create')).toHaveLength(7);
    expect(cluster.list('pods')).toHaveLength(6);
    // The failed and skipped creates are not expected any more: the next sync may act.
    expect(rsc.expectations.satisfied(`${NS}/web`)).toBe(true);
    const rs = cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!;
    expect(rs.status?.conditions?.[0]).toMatchObject({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' });
    cluster.clearActions();
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.verb === 'create')).toHaveLength(4);
    expect(cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!.status?.conditions).toBeUndefined();
  });

  it('a namespace being deleted refuses creates: no failure, nothing expected', async () => {
    const { cluster, rsc, recorder } = setup();
    cluster.add(rsFixture('web', 3));
    cluster.fail('create', 'pods', () => ApiError.of('Forbidden', 'unable to create new content in namespace default because it is being terminated'), 10);
    await rsc.sync(`${NS}/web`);
    expect(rsc.expectations.satisfied(`${NS}/web`)).toBe(true);
    expect(recorder.reasons()).toEqual([]);
  });

  it('caps a sync at burstReplicas creates', async () => {
    const { cluster, rsc } = setup({ burstReplicas: 5 });
    cluster.add(rsFixture('web', 12));
    await rsc.sync(`${NS}/web`);
    expect(cluster.list('pods')).toHaveLength(5);
  });

  it('does not create twice while the cache has not caught up (expectations)', async () => {
    const { cluster, rsc } = setup();
    cluster.add(rsFixture('web', 3));
    cluster.autoFlush = false;
    await rsc.sync(`${NS}/web`);
    expect(cluster.list('pods')).toHaveLength(3);
    await rsc.sync(`${NS}/web`); // cache still empty: a naive controller would create 3 more
    expect(cluster.list('pods')).toHaveLength(3);
    expect(rsc.expectations.get(`${NS}/web`)).toEqual({ adds: 3, dels: 0 });
    cluster.flush(); // the informer delivers the 3 adds → expectations met
    expect(rsc.expectations.satisfied(`${NS}/web`)).toBe(true);
    await rsc.sync(`${NS}/web`);
    expect(cluster.list('pods')).toHaveLength(3);
  });

  it('does not delete twice while the cache has not caught up (UID-tracked deletions)', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs);
    for (const n of ['a', 'b', 'c']) cluster.add(podFixture(n, { labels: { app: 'web' }, owner: rs }));
    cluster.autoFlush = false;
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.verb === 'delete')).toHaveLength(2);
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.verb === 'delete')).toHaveLength(2);
    cluster.flush();
    expect(rsc.expectations.satisfied(`${NS}/web`)).toBe(true);
  });

  it('counts a pod that gets a deletionTimestamp as deleted (graceful deletion)', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs);
    for (const n of ['a', 'b']) cluster.add(podFixture(n, { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true }));
    await rsc.sync(`${NS}/web`);
    const victim = cluster.writes().find((a) => a.verb === 'delete')!.name;
    expect(cluster.object<Pod>('pods', `${NS}/${victim}`)!.metadata.deletionTimestamp).toBeDefined();
    expect(rsc.expectations.satisfied(`${NS}/web`)).toBe(true);
    const status = cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!.status!;
    expect(status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
  });

  it('does nothing but status while the ReplicaSet is being deleted', async () => {
    const { cluster, rsc } = setup();
    cluster.add({ ...rsFixture('web', 3), metadata: { ...rsFixture('web', 3).metadata, deletionTimestamp: T0, finalizers: ['foregroundDeletion'] } });
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.resource === 'pods')).toHaveLength(0);
  });

  it('forgets a ReplicaSet that is gone', async () => {
    const { cluster, rsc } = setup();
    rsc.expectations.expectCreations(`${NS}/gone`, 2);
    await rsc.sync(`${NS}/gone`);
    expect(cluster.writes()).toHaveLength(0);
    expect(rsc.expectations.get(`${NS}/gone`)).toBeUndefined();
  });
});

describe('ReplicaSet controller: which pods go first', () => {
  // Each case: two pods; the first listed must be deleted when scaling 2 → 1.
  const cases: Array<[string, Parameters<typeof podFixture>[1], Parameters<typeof podFixture>[1]]> = [
    ['unscheduled before scheduled', { phase: 'Pending' }, { node: 'n1', phase: 'Pending' }],
    ['pending before unknown', { node: 'n1', phase: 'Pending' }, { node: 'n1', phase: 'Unknown' }],
    ['unknown before running', { node: 'n1', phase: 'Unknown' }, { node: 'n1', phase: 'Running' }],
    ['not ready before ready', { node: 'n1', ready: false }, { node: 'n1', ready: true }],
    ['ready for less time before longer', { node: 'n1', ready: true, readySince: later(60) }, { node: 'n1', ready: true, readySince: later(0) }],
    ['more restarts before fewer', { node: 'n1', ready: false, restarts: 5 }, { node: 'n1', ready: false, restarts: 1 }],
    ['newer before older', { node: 'n1', created: later(10) }, { node: 'n1', created: later(0) }],
  ];
  it.each(cases)('%s', async (_name, first, second) => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs);
    // Added in the "wrong" order so that list order cannot make the test pass.
    cluster.add(podFixture('keep', { ...second, labels: { app: 'web' }, owner: rs }));
    cluster.add(podFixture('victim', { ...first, labels: { app: 'web' }, owner: rs }));
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.verb === 'delete').map((a) => a.name)).toEqual(['victim']);
  });

  it('prefers pods doubled up on a node with their siblings', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 2);
    cluster.add(rs);
    cluster.add(podFixture('alone', { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true, readySince: later(0), created: later(0) }));
    cluster.add(podFixture('pair-1', { labels: { app: 'web' }, owner: rs, node: 'n2', ready: true, readySince: later(0), created: later(0) }));
    cluster.add(podFixture('pair-2', { labels: { app: 'web' }, owner: rs, node: 'n2', ready: true, readySince: later(0), created: later(0) }));
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.verb === 'delete').map((a) => a.name)[0]).toMatch(/^pair-/);
  });

  it('honours controller.kubernetes.io/pod-deletion-cost', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs);
    const cheap = podFixture('cheap', { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true });
    cheap.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': '-10' };
    cluster.add(podFixture('dear', { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true }), cheap);
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.verb === 'delete').map((a) => a.name)).toEqual(['cheap']);
  });
});

describe('ReplicaSet controller: adoption and release', () => {
  it('adopts a matching orphan instead of creating a pod', async () => {
    const { cluster, rsc } = setup();
    cluster.add(rsFixture('web', 1));
    cluster.add(podFixture('orphan', { labels: { app: 'web' }, node: 'n1', ready: true }));
    await rsc.sync(`${NS}/web`);
    const writes = cluster.writes();
    expect(writes.map((a) => `${a.verb} ${a.resource}`)).toEqual(['patch pods', 'updateStatus replicasets']);
    expect(cluster.object<Pod>('pods', `${NS}/orphan`)!.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-web', controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('does not adopt pods controlled by someone else, nor pods being deleted, nor when it is being deleted', async () => {
    const { cluster, rsc } = setup();
    const other = rsFixture('other', 1, { app: 'other' });
    cluster.add(rsFixture('web', 0), other);
    cluster.add(podFixture('theirs', { labels: { app: 'web' }, owner: other }));
    cluster.add(podFixture('dying', { labels: { app: 'web' }, deleting: true, node: 'n1' }));
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes().filter((a) => a.resource === 'pods')).toHaveLength(0);
  });

  it('does not adopt when a live read shows the ReplicaSet is being deleted', async () => {
    const { cluster, rsc } = setup();
    cluster.add(rsFixture('web', 1));
    cluster.add(podFixture('orphan', { labels: { app: 'web' } }));
    cluster.autoFlush = false;
    cluster.modify<ReplicaSet>('replicasets', `${NS}/web`, (rs) => {
      rs.metadata.deletionTimestamp = T0;
      rs.metadata.finalizers = ['foregroundDeletion'];
    });
    await rsc.sync(`${NS}/web`).catch(() => undefined);
    expect(cluster.writes().filter((a) => a.verb === 'patch')).toHaveLength(0);
  });

  it('releases an owned pod whose labels no longer match, and replaces it', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs);
    const pod = podFixture('debug-me', { labels: { app: 'web-debug' }, owner: rs, node: 'n1' });
    pod.metadata.ownerReferences!.push({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm-x' });
    cluster.add(pod);
    await rsc.sync(`${NS}/web`);
    expect(cluster.object<Pod>('pods', `${NS}/debug-me`)!.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'cm-x' }]);
    expect(cluster.writes().filter((a) => a.verb === 'create')).toHaveLength(1);
  });

  it('an adoption on a stale cached pod conflicts and the sync is retried', async () => {
    const { cluster, rsc } = setup();
    cluster.add(rsFixture('web', 1));
    cluster.add(podFixture('orphan', { labels: { app: 'web' } }));
    cluster.autoFlush = false;
    cluster.modify<Pod>('pods', `${NS}/orphan`, (p) => (p.metadata.annotations = { touched: 'yes' }));
    await expect(rsc.sync(`${NS}/web`)).rejects.toThrow(/modified/);
  });
});

describe('ReplicaSet controller: status', () => {
  it('counts replicas, fully labeled, ready and available pods (minReadySeconds) and the observed generation', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 4, { app: 'web' }, { minReadySeconds: 30 });
    rs.spec.template.metadata!.labels = { app: 'web', tier: 'fe' };
    rs.metadata.generation = 7;
    cluster.add(rs);
    const now = cluster.clock.now();
    const ago = (s: number) => new Date(now - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    cluster.add(
      podFixture('a', { labels: { app: 'web', tier: 'fe' }, owner: rs, node: 'n1', ready: true, readySince: ago(60) }),
      podFixture('b', { labels: { app: 'web', tier: 'fe' }, owner: rs, node: 'n1', ready: true, readySince: ago(10) }),
      podFixture('c', { labels: { app: 'web' }, owner: rs, node: 'n1', ready: false }),
      podFixture('d', { labels: { app: 'web' }, owner: rs, node: 'n1', phase: 'Failed' }),
      podFixture('e', { labels: { app: 'web' }, owner: rs, node: 'n1', deleting: true, ready: true }),
    );
    await rsc.sync(`${NS}/web`);
    // d (failed) and e (terminating) are not replicas: one pod is created.
    expect(cluster.writes().filter((a) => a.verb === 'create')).toHaveLength(1);
    expect(cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!.status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 1,
      observedGeneration: 7,
    });
  });

  it('writes no status when nothing changed', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs, podFixture('a', { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true }));
    await rsc.sync(`${NS}/web`);
    cluster.clearActions();
    await rsc.sync(`${NS}/web`);
    expect(cluster.writes()).toHaveLength(0);
  });

  it('requeues after minReadySeconds when ready pods are not yet available', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1, { app: 'web' }, { minReadySeconds: 5 });
    const now = new Date(cluster.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    cluster.add(rs, podFixture('a', { labels: { app: 'web' }, owner: rs, node: 'n1', ready: true, readySince: now }));
    await rsc.sync(`${NS}/web`);
    await drain(rsc);
    expect(cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!.status?.availableReplicas).toBe(0);
    cluster.clock.advance(5000);
    expect(await drain(rsc)).toEqual([`${NS}/web`]);
    await rsc.sync(`${NS}/web`);
    expect(cluster.object<ReplicaSet>('replicasets', `${NS}/web`)!.status?.availableReplicas).toBe(1);
  });
});

describe('ReplicaSet controller: event handlers', () => {
  it('a pod event enqueues its controller, an orphan every matching ReplicaSet', async () => {
    const { cluster, rsc } = setup();
    const rs = rsFixture('web', 1);
    cluster.add(rs, rsFixture('web2', 1, { app: 'web' }), rsFixture('db', 1, { app: 'db' }));
    await drain(rsc);
    cluster.add(podFixture('owned', { labels: { app: 'web' }, owner: rs }));
    expect(await drain(rsc)).toEqual([`${NS}/web`]);
    cluster.add(podFixture('orphan', { labels: { app: 'web' } }));
    expect((await drain(rsc)).sort()).toEqual([`${NS}/web`, `${NS}/web2`]);
  });
});
