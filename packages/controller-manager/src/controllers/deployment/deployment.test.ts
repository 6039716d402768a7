import { type Deployment, type Pod, type ReplicaSet, podIsReady } from '@mk/api';
import { SeededRng } from '@mk/shared';
import type { Controller } from '../../controller';
import { deploymentFixture, rsFixture } from '../../testing/fixtures';
import { WorkloadSim } from '../../testing/workloads';
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from './util';

const active = (pods: Pod[]) => pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded');
const imageOf = (p: { spec: { containers: { image: string }[] } }) => p.spec.containers[0]!.image;
const setImage = (image: string) => (d: Deployment) => {
  d.spec.template.spec.containers[0]!.image = image;
};

async function deployed(replicas: number, extra: Partial<Deployment['spec']> = {}) {
  const sim = new WorkloadSim();
  sim.cluster.add(deploymentFixture('web', replicas, extra));
  await sim.converge();
  return sim;
}

function replicaSets(sim: WorkloadSim): ReplicaSet[] {
  return sim.cluster.list<ReplicaSet>('replicasets');
}

function cond(d: Deployment, type: string) {
  return d.status?.conditions?.find((c) => c.type === type);
}

describe('Deployment controller: first rollout', () => {
  it('creates one ReplicaSet <name>-<hash> with the pod-template-hash label, revision 1, and reaches replicas ready pods', async () => {
    const sim = await deployed(5);
    const [rs, ...more] = replicaSets(sim);
    expect(more).toHaveLength(0);
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'deploy-web', controller: true, blockOwnerDeletion: true }]);
    expect(rs!.metadata.annotations).toMatchObject({ [REVISION_ANNOTATION]: '1', 'deployment.kubernetes.io/desired-replicas': '5', 'deployment.kubernetes.io/max-replicas': '7' });
    expect(active(sim.pods()).filter(podIsReady)).toHaveLength(5);
    const d = sim.deployment('web');
    expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 5, unavailableReplicas: 0 });
    expect(cond(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(cond(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "web-${hash}" has successfully progressed.` });
  });

  it('the hash is stable for equal templates and differs for different ones', async () => {
    const a = await deployed(1);
    const b = await deployed(1);
    expect(replicaSets(a)[0]!.metadata.name).toBe(replicaSets(b)[0]!.metadata.name);
    const c = new WorkloadSim();
    c.cluster.add(deploymentFixture('web', 1, {}, 'kubia:v2'));
    await c.settle();
    expect(replicaSets(c)[0]!.metadata.name).not.toBe(replicaSets(a)[0]!.metadata.name);
  });

  it('records NewReplicaSetCreated, then ReplicaSetUpdated while pods come up, and Available False below the minimum', async () => {
    const sim = new WorkloadSim();
    sim.cluster.add(deploymentFixture('web', 4));
    await sim.settle();
    let d = sim.deployment('web');
    expect(cond(d, 'Progressing')?.reason).toMatch(/NewReplicaSetCreated|ReplicaSetUpdated/);
    expect(cond(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    sim.makeReady(sim.pods()[0]!);
    await sim.settle();
    d = sim.deployment('web');
    expect(cond(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    expect(d.status).toMatchObject({ replicas: 4, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 3 });
  });
});

describe('Deployment controller: RollingUpdate keeps maxSurge and maxUnavailable at every step', () => {
  const cases: Array<[number, number | string, number | string, number, number]> = [
    // replicas, maxSurge, maxUnavailable, → surge, unavailable (resolved)
    [10, 3, 2, 3, 2],
    [10, '25%', '25%', 3, 2],
    [5, 1, 0, 1, 0],
    [5, 0, 1, 0, 1],
    [3, 0, 0, 0, 1],
    [4, '50%', '50%', 2, 2],
  ];
  it.each(cases)('replicas %i, maxSurge %p, maxUnavailable %p', async (replicas, surge, unavailable, maxSurge, maxUnav) => {
    const sim = await deployed(replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } });
    const violations: string[] = [];
    let moments = 0;
    const check = () => {
      moments++;
      const pods = active(sim.pods());
      const available = pods.filter(podIsReady).length;
      if (pods.length > replicas + maxSurge) violations.push(`${pods.length} pods > ${replicas} + ${maxSurge}`);
      if (available < replicas - maxUnav) violations.push(`${available} available < ${replicas} - ${maxUnav}`);
    };
    sim.cluster.informer<Pod>('pods').addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    const rsBefore = replicaSets(sim)[0]!;
    sim.edit('web', setImage('kubia:v2'));
    // Step by step: after every controller reaction, the "kubelet" does one thing — finish one
    // deletion or make one pod ready, alternating which so that both orders occur.
    let steps = 0;
    for (; steps < 500; steps++) {
      await sim.settle();
      check();
      const dying = sim.pods().filter((p) => p.metadata.deletionTimestamp);
      const waiting = active(sim.pods()).filter((p) => !podIsReady(p));
      if (dying.length === 0 && waiting.length === 0) break;
      if (dying.length > 0 && (steps % 2 === 0 || waiting.length === 0)) sim.finishDeletion(dying[0]!);
      else sim.makeReady(waiting[0]!);
    }
    expect(violations).toEqual([]);
    expect(moments).toBeGreaterThan(replicas * 2);
    const pods = active(sim.pods());
    expect(pods).toHaveLength(replicas);
    expect(pods.every((p) => imageOf(p) === 'kubia:v2' && podIsReady(p))).toBe(true);
    const d = sim.deployment('web');
    expect(d.status).toMatchObject({ observedGeneration: 2, replicas, updatedReplicas: replicas, availableReplicas: replicas, unavailableReplicas: 0 });
    expect(cond(d, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('2');
    // The old ReplicaSet is kept (history), scaled to zero.
    const old = sim.cluster.object<ReplicaSet>('replicasets', `default/${rsBefore.metadata.name}`)!;
    expect(old.spec.replicas).toBe(0);
  });

  it.each(Array.from({ length: Number(process.env.MK_CM_SEEDS ?? 8) }, (_, i) => i + 1))('holds with caches lagging behind the server in random order (seed %i)', async (seed) => {
    const replicas = 6;
    const maxSurge = 2;
    const maxUnav = 1;
    const sim = await deployed(replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable: maxUnav } } });
    const rng = new SeededRng(seed);
    const violations: string[] = [];
    // The observer looks at the server's state after every write (what a watcher would see).
    sim.cluster.onChange((resource) => {
      if (resource !== 'pods') return;
      const pods = active(sim.pods());
      const available = pods.filter(podIsReady).length;
      if (pods.length > replicas + maxSurge) violations.push(`${pods.length} pods`);
      if (available < replicas - maxUnav) violations.push(`${available} available`);
    });
    sim.cluster.autoFlush = false;
    sim.edit('web', setImage('kubia:v2'));
    const controllers: Controller[] = [sim.dc, sim.rsc];
    const done = () => {
      const pods = sim.pods();
      return pods.length === replicas && pods.every((p) => imageOf(p) === 'kubia:v2' && podIsReady(p) && !p.metadata.deletionTimestamp);
    };
    let steps = 0;
    for (; steps < 5000 && !done(); steps++) {
      const r = rng.next();
      if (r < 0.35) {
        sim.cluster.flushResource(['pods', 'replicasets', 'deployments'][rng.int(3)]!);
      } else if (r < 0.75) {
        const c = controllers[rng.int(2)]!;
        if (c.queue.len() === 0) continue;
        const key = (await c.queue.get())!;
        try {
          await c.sync(key);
        } catch {
          c.queue.done(key);
          c.queue.add(key); // retried (a Conflict on a stale cache, say)
          continue;
        }
        c.queue.done(key);
      } else if (r < 0.88) {
        const waiting = active(sim.pods()).filter((p) => !podIsReady(p));
        if (waiting.length > 0) sim.makeReady(waiting[rng.int(waiting.length)]!);
      } else {
        const dying = sim.pods().filter((p) => p.metadata.deletionTimestamp);
        if (dying.length > 0) sim.finishDeletion(dying[rng.int(dying.length)]!);
      }
    }
    expect(violations).toEqual([]);
    expect(done()).toBe(true);
  });

  it('surges first: the first step creates maxSurge new pods and deletes maxUnavailable old ones', async () => {
    const sim = await deployed(10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    sim.edit('web', setImage('kubia:v2'));
    const sizes = () => replicaSets(sim).sort((a, b) => Number(a.metadata.annotations![REVISION_ANNOTATION]) - Number(b.metadata.annotations![REVISION_ANNOTATION])).map((rs) => rs.spec.replicas);
    // One sync: the new ReplicaSet is created with maxSurge replicas, the old one loses maxUnavailable.
    await sim.dc.sync('default/web');
    expect(sizes()).toEqual([8, 3]);
    // Once the old ReplicaSet has deleted its 2 pods, 2 more new ones fit under 10 + 3.
    await sim.settle();
    expect(sizes()).toEqual([8, 5]);
    const pods = active(sim.pods());
    expect(pods.filter((p) => imageOf(p) === 'kubia:v2')).toHaveLength(5);
    expect(pods.filter((p) => imageOf(p) === 'kubia:v1')).toHaveLength(8);
    expect(sim.recorder.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message.replace(/web-\w+/, 'rs'))).toEqual([
      'Scaled up replica set rs from 0 to 10',
      'Scaled up replica set rs from 0 to 3',
      'Scaled down replica set rs from 10 to 8',
      'Scaled up replica set rs from 3 to 5',
    ]);
  });

  it('an unhealthy old ReplicaSet is scaled down first and does not block the rollout', async () => {
    const sim = await deployed(4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    // Two old pods go unready (a broken dependency, say).
    for (const p of sim.pods().slice(0, 2)) {
      sim.cluster.modify<Pod>('pods', `default/${p.metadata.name}`, (x) => {
        x.status!.conditions = [{ type: 'Ready', status: 'False' }];
      });
    }
    sim.edit('web', setImage('kubia:v2'));
    await sim.converge();
    expect(active(sim.pods()).every((p) => imageOf(p) === 'kubia:v2')).toBe(true);
  });
});

describe('Deployment controller: Recreate', () => {
  it('scales the old ReplicaSet to zero, waits for its pods to be gone, then brings up the new one', async () => {
    const sim = await deployed(3, { strategy: { type: 'Recreate' } });
    const mixed: string[] = [];
    sim.cluster.informer<Pod>('pods').addEventHandler({
      onAdd: () => {
        const images = new Set(sim.pods().map(imageOf));
        if (images.size > 1) mixed.push([...images].join(','));
      },
    });
    sim.edit('web', setImage('kubia:v2'));
    await sim.settle();
    expect(replicaSets(sim)).toHaveLength(1); // no new ReplicaSet while old pods exist
    expect(sim.pods().every((p) => p.metadata.deletionTimestamp)).toBe(true);
    for (const p of sim.pods().slice(0, 2)) sim.finishDeletion(p);
    await sim.settle();
    expect(replicaSets(sim)).toHaveLength(1); // one old pod still terminating
    sim.finishDeletion(sim.pods()[0]!);
    await sim.settle();
    expect(replicaSets(sim)).toHaveLength(2);
    await sim.converge();
    expect(mixed).toEqual([]);
    expect(active(sim.pods()).map(imageOf)).toEqual(['kubia:v2', 'kubia:v2', 'kubia:v2']);
  });
});

describe('Deployment controller: rollback', () => {
  it('a template equal to an old ReplicaSet re-uses it with the next revision and keeps the old one in revision-history', async () => {
    const sim = await deployed(3);
    const v1 = replicaSets(sim)[0]!;
    sim.edit('web', setImage('kubia:v2'));
    await sim.converge();
    expect(replicaSets(sim)).toHaveLength(2);
    // `rollout undo`: copy revision 1's template back, without its pod-template-hash label.
    const template = structuredClone(v1.spec.template);
    delete template.metadata!.labels!['pod-template-hash'];
    sim.edit('web', (d) => (d.spec.template = template));
    await sim.converge();
    const rss = replicaSets(sim);
    expect(rss).toHaveLength(2); // no third ReplicaSet
    const back = sim.cluster.object<ReplicaSet>('replicasets', `default/${v1.metadata.name}`)!;
    expect(back.metadata.uid).toBe(v1.metadata.uid);
    expect(back.spec.replicas).toBe(3);
    expect(back.metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(back.metadata.annotations?.[REVISION_HISTORY_ANNOTATION]).toBe('1');
    expect(sim.deployment('web').metadata.annotations?.[REVISION_ANNOTATION]).toBe('3');
    expect(active(sim.pods()).map(imageOf)).toEqual(['kubia:v1', 'kubia:v1', 'kubia:v1']);
  });
});

describe('Deployment controller: scaling', () => {
  it.each([
    [3, 6],
    [6, 2],
    [4, 0],
  ])('from %i to %i replicas scales the one ReplicaSet', async (from, to) => {
    const sim = await deployed(from);
    sim.edit('web', (d) => (d.spec.replicas = to));
    await sim.converge();
    expect(active(sim.pods())).toHaveLength(to);
    expect(replicaSets(sim)[0]!.spec.replicas).toBe(to);
    expect(replicaSets(sim)[0]!.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe(String(to));
  });

  it('scales every ReplicaSet proportionally in the middle of a rollout', async () => {
    const sim = await deployed(10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    sim.edit('web', setImage('kubia:v2'));
    await sim.settle(); // old RS 8, new RS 5 (none ready yet)
    const before = new Map(replicaSets(sim).map((rs) => [rs.metadata.name, rs.spec.replicas]));
    sim.edit('web', (d) => (d.spec.replicas = 20));
    await sim.settle();
    const after = replicaSets(sim).map((rs) => [rs.spec.replicas, before.get(rs.metadata.name)]);
    const total = replicaSets(sim).reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    expect(total).toBe(20 + 3); // the new replicas + maxSurge
    // Each grew by its share of 13 → 23 (Kubernetes' GetProportion): 8 → 14, 5 → 9.
    expect(after.sort((a, b) => b[0]! - a[0]!)).toEqual([
      [14, 8],
      [9, 5],
    ]);
    await sim.converge();
    expect(active(sim.pods())).toHaveLength(20);
  });
});

describe('Deployment controller: paused', () => {
  it('does not roll out while paused, still scales, and rolls out when resumed', async () => {
    const sim = await deployed(2);
    sim.edit('web', (d) => {
      d.spec.paused = true;
      setImage('kubia:v2')(d);
    });
    await sim.converge();
    expect(replicaSets(sim)).toHaveLength(1);
    expect(cond(sim.deployment('web'), 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    sim.edit('web', (d) => (d.spec.replicas = 4));
    await sim.converge();
    expect(active(sim.pods()).map(imageOf)).toEqual(['kubia:v1', 'kubia:v1', 'kubia:v1', 'kubia:v1']);
    sim.edit('web', (d) => (d.spec.paused = false));
    await sim.settle();
    expect(cond(sim.deployment('web'), 'Progressing')?.reason).toMatch(/DeploymentResumed|NewReplicaSetCreated|ReplicaSetUpdated/);
    await sim.converge();
    expect(active(sim.pods()).map(imageOf)).toEqual(['kubia:v2', 'kubia:v2', 'kubia:v2', 'kubia:v2']);
  });
});

describe('Deployment controller: progress deadline', () => {
  it('marks ProgressDeadlineExceeded when nothing moves for progressDeadlineSeconds, and is woken up for it', async () => {
    const sim = await deployed(2, { progressDeadlineSeconds: 10 });
    sim.edit('web', setImage('kubia:broken'));
    await sim.settle();
    // New pods never become ready. The controller asked to be woken after the deadline.
    sim.cluster.clock.advance(12_000);
    await sim.settle();
    const d = sim.deployment('web');
    expect(cond(d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(sim.recorder.reasons()).toContain('ProgressDeadlineExceeded');
    // Old pods are still serving.
    expect(active(sim.pods()).filter((p) => imageOf(p) === 'kubia:v1' && podIsReady(p)).length).toBeGreaterThanOrEqual(1);
  });

  it('a rollout that keeps making progress does not time out', async () => {
    const sim = await deployed(3, { progressDeadlineSeconds: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    sim.edit('web', setImage('kubia:v2'));
    for (let i = 0; i < 50; i++) {
      await sim.settle();
      sim.cluster.clock.advance(6000);
      const dying = sim.pods().find((p) => p.metadata.deletionTimestamp);
      if (dying) sim.finishDeletion(dying);
      const waiting = active(sim.pods()).find((p) => !podIsReady(p));
      if (waiting) sim.makeReady(waiting);
      if (!dying && !waiting) break;
    }
    await sim.settle();
    expect(cond(sim.deployment('web'), 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });
});

describe('Deployment controller: history', () => {
  it('deletes scaled-down ReplicaSets beyond revisionHistoryLimit, oldest revisions first', async () => {
    const sim = await deployed(1, { revisionHistoryLimit: 2 });
    for (const v of ['v2', 'v3', 'v4', 'v5']) {
      sim.edit('web', setImage(`kubia:${v}`));
      await sim.converge();
    }
    const rss = replicaSets(sim).sort((a, b) => Number(a.metadata.annotations![REVISION_ANNOTATION]) - Number(b.metadata.annotations![REVISION_ANNOTATION]));
    expect(rss.map((rs) => rs.metadata.annotations![REVISION_ANNOTATION])).toEqual(['3', '4', '5']);
    expect(rss.map((rs) => imageOf(rs.spec.template))).toEqual(['kubia:v3', 'kubia:v4', 'kubia:v5']);
  });
});

describe('Deployment controller: ownership', () => {
  it('adopts a matching orphan ReplicaSet and releases one whose labels stopped matching', async () => {
    const sim = new WorkloadSim();
    const d = deploymentFixture('web', 2);
    const orphan = rsFixture('web-manual', 0, { app: 'web', 'pod-template-hash': 'x' });
    const stray = { ...rsFixture('web-stray', 0, { app: 'other' }), metadata: { ...rsFixture('web-stray', 0, { app: 'other' }).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'deploy-web', controller: true }] } };
    sim.cluster.add(d, orphan, stray);
    await sim.converge();
    expect(sim.cluster.object<ReplicaSet>('replicasets', 'default/web-manual')!.metadata.ownerReferences?.[0]?.uid).toBe('deploy-web');
    expect(sim.cluster.object<ReplicaSet>('replicasets', 'default/web-stray')!.metadata.ownerReferences).toBeUndefined();
  });

  it('a Deployment being deleted only updates its status', async () => {
    const sim = await deployed(2);
    sim.cluster.clearActions();
    sim.edit('web', (d) => {
      d.metadata.deletionTimestamp = '2024-05-01T12:00:00Z';
      d.metadata.finalizers = ['foregroundDeletion'];
      setImage('kubia:v2')(d);
    });
    await sim.settle();
    expect(sim.cluster.writes().filter((a) => a.resource === 'replicasets')).toHaveLength(0);
  });

  it('an empty selector selects nothing and only records observedGeneration', async () => {
    const sim = new WorkloadSim();
    sim.cluster.add(deploymentFixture('all', 2, { selector: {} }));
    await sim.settle();
    expect(replicaSets(sim)).toHaveLength(0);
    expect(sim.deployment('all').status?.observedGeneration).toBe(1);
    expect(sim.recorder.reasons()).toContain('SelectingAll');
  });
});
