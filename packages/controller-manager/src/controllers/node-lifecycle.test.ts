import type { Lease, Node, Pod } from '@mk/api';
import { nullLogger } from '@mk/shared';
import { FakeCluster } from '../testing/fake-cluster';
import { NS, nodeFixture, podFixture } from '../testing/fixtures';
import { RecordingRecorder } from '../testing/recorder';
import { rfc3339 } from '../util/time';
import { NodeLifecycleController, TAINT_NOT_READY, TAINT_UNREACHABLE, tolerates } from './node-lifecycle';

function setup(nodes: string[] = ['n1', 'n2']) {
  const cluster = new FakeCluster();
  const recorder = new RecordingRecorder();
  const nlc = new NodeLifecycleController({ client: cluster, informers: cluster, clock: cluster.clock, logger: nullLogger, recorder });
  const t = rfc3339(cluster.clock.now());
  for (const n of nodes) {
    cluster.add(nodeFixture(n, 'True', t));
    cluster.add({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: n, namespace: 'kube-node-lease' }, spec: { holderIdentity: n, leaseDurationSeconds: 40, renewTime: t } } as Lease);
  }
  const renew = (n: string) =>
    cluster.modify<Lease>('leases', `kube-node-lease/${n}`, (l) => (l.spec!.renewTime = new Date(cluster.clock.now()).toISOString().replace('Z', '000Z')));
  const node = (n: string) => cluster.object<Node>('nodes', n)!;
  const taints = (n: string) => (node(n).spec?.taints ?? []).map((x) => `${x.key}:${x.effect}`);
  /** Advances the clock in 1 s steps, the live nodes renewing their leases, syncing every node each step. */
  const run = async (ms: number, alive: string[]) => {
    for (let t = 0; t < ms; t += 1000) {
      cluster.clock.advance(1000);
      for (const n of alive) renew(n);
      for (const n of nodes) await nlc.sync(n);
    }
  };
  return { cluster, nlc, recorder, renew, node, taints, run };
}

const ready = (p: Pod | undefined) => p?.status?.conditions?.find((c) => c.type === 'Ready')?.status;

describe('node lifecycle: health', () => {
  it('a node that keeps renewing its lease stays Ready', async () => {
    const { run, node, taints } = setup();
    await run(30_000, ['n1', 'n2']);
    expect(node('n1').status!.conditions![0]!.status).toBe('True');
    expect(taints('n1')).toEqual([]);
  });

  it('no heartbeat for the grace period → Ready Unknown with the kubelet message, unreachable taints, pods not Ready', async () => {
    const { cluster, run, node, taints, recorder } = setup();
    cluster.add(podFixture('p', { node: 'n2', ready: true, ip: '10.0.0.1' }));
    await run(7000, ['n1']);
    expect(node('n2').status!.conditions![0]!.status).toBe('True');
    await run(2000, ['n1']);
    const c = node('n2').status!.conditions!;
    expect(c.find((x) => x.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(c.map((x) => x.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    expect(taints('n2')).toEqual([`${TAINT_UNREACHABLE}:NoSchedule`, `${TAINT_UNREACHABLE}:NoExecute`]);
    expect(node('n2').spec!.taints![0]!.timeAdded).toBeDefined();
    expect(ready(cluster.object<Pod>('pods', `${NS}/p`))).toBe('False');
    expect(recorder.reasons()).toContain('NodeNotReady');
    expect(taints('n1')).toEqual([]);
  });

  it('judges by when it saw a heartbeat move, not by the timestamps (clock skew does not matter)', async () => {
    const { cluster, nlc, node } = setup([]);
    // Timestamps an hour in the past (a node whose clock is behind), first seen now.
    const old = rfc3339(cluster.clock.now() - 3600_000);
    cluster.add(nodeFixture('n1', 'True', old), nodeFixture('n2', 'True', old));
    await nlc.sync('n1');
    cluster.clock.advance(5000);
    await nlc.sync('n1');
    expect(node('n1').status!.conditions![0]!.status).toBe('True');
    cluster.clock.advance(4000);
    await nlc.sync('n1');
    expect(node('n1').status!.conditions![0]!.status).toBe('Unknown');
  });

  it('the status heartbeat alone (no Lease) keeps a node alive', async () => {
    const { cluster, nlc, node } = setup([]);
    cluster.add(nodeFixture('n1', 'True', rfc3339(cluster.clock.now())), nodeFixture('n2', 'True'));
    for (let i = 0; i < 20; i++) {
      cluster.clock.advance(1000);
      cluster.modify<Node>('nodes', 'n1', (n) => (n.status!.conditions![0]!.lastHeartbeatTime = rfc3339(cluster.clock.now())));
      await nlc.sync('n1');
    }
    expect(node('n1').status!.conditions![0]!.status).toBe('True');
  });

  it('a node that never posted a Ready condition gets the startup grace period, then Unknown "never updated"', async () => {
    const { cluster, nlc, node } = setup(['n2']);
    cluster.add(nodeFixture('new', undefined));
    await nlc.sync('new');
    cluster.clock.advance(29_000);
    await nlc.sync('new');
    expect(node('new').status!.conditions).toEqual([]);
    cluster.clock.advance(1000);
    await nlc.sync('new');
    expect(node('new').status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated' });
  });

  it('asks to be woken exactly when the grace period runs out', async () => {
    const { cluster, nlc } = setup();
    await nlc.sync('n1');
    while (nlc.queue.len() > 0) nlc.queue.done((await nlc.queue.get())!);
    cluster.clock.advance(7999);
    expect(nlc.queue.len()).toBe(0);
    cluster.clock.advance(2);
    expect(nlc.queue.len()).toBe(1);
  });

  it('Ready=False from the kubelet gives not-ready taints; Ready=True again removes them', async () => {
    const { cluster, nlc, taints } = setup();
    cluster.modify<Node>('nodes', 'n1', (n) => (n.status!.conditions![0]!.status = 'False'));
    await nlc.sync('n1');
    expect(taints('n1')).toEqual([`${TAINT_NOT_READY}:NoSchedule`, `${TAINT_NOT_READY}:NoExecute`]);
    cluster.modify<Node>('nodes', 'n1', (n) => (n.status!.conditions![0]!.status = 'True'));
    await nlc.sync('n1');
    expect(taints('n1')).toEqual([]);
  });

  it('the taints go when the node comes back, other taints stay', async () => {
    const { cluster, run, taints, node, renew, nlc } = setup();
    cluster.modify<Node>('nodes', 'n2', (n) => (n.spec = { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await run(9000, ['n1']);
    expect(taints('n2')).toEqual(['dedicated:NoSchedule', `${TAINT_UNREACHABLE}:NoSchedule`, `${TAINT_UNREACHABLE}:NoExecute`]);
    // The kubelet is back: renews and posts Ready.
    renew('n2');
    cluster.modify<Node>('nodes', 'n2', (n) => {
      n.status!.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: rfc3339(cluster.clock.now()) }];
    });
    await nlc.sync('n2');
    expect(taints('n2')).toEqual(['dedicated:NoSchedule']);
    expect(node('n2').status!.conditions![0]!.status).toBe('True');
  });
});

describe('node lifecycle: eviction', () => {
  const deadNode = async (pods: Pod[]) => {
    const s = setup();
    s.cluster.add(...pods);
    await s.run(9000, ['n1']); // n2 goes Unknown at 8 s; the taint is added then
    s.cluster.clearActions();
    return s;
  };
  const deletes = (c: FakeCluster) => c.writes().filter((a) => a.verb === 'delete').map((a) => `${a.name}${a.options?.gracePeriodSeconds === 0 ? ' (force)' : ''}`);

  it('evicts a pod without a toleration after the pod eviction timeout (2 s)', async () => {
    const { cluster, run } = await deadNode([podFixture('p', { node: 'n2', ready: true })]);
    await run(1000, ['n1']);
    expect(deletes(cluster)).toEqual([]);
    await run(1000, ['n1']);
    expect(deletes(cluster)).toEqual(['p']);
    expect(cluster.object<Pod>('pods', `${NS}/p`)!.metadata.deletionTimestamp).toBeDefined();
  });

  it.each([
    ['tolerationSeconds 2 → after 2 s', [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 2 }], 3000, true],
    ['tolerationSeconds 60 → not within 10 s', [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 60 }], 10_000, false],
    ['tolerated for ever', [{ key: TAINT_UNREACHABLE, operator: 'Exists' as const, effect: 'NoExecute' as const }], 30_000, false],
    ['operator Exists without a key tolerates everything', [{ operator: 'Exists' as const }], 30_000, false],
  ])('a pod with %s', async (_what, tolerations, wait, evicted) => {
    const { cluster, run } = await deadNode([podFixture('p', { node: 'n2', tolerations })]);
    await run(wait, ['n1']);
    expect(deletes(cluster)).toEqual(evicted ? ['p'] : []);
  });

  it('evicts at once for a NoExecute taint that is not ours and not tolerated', async () => {
    const { cluster, nlc } = setup();
    cluster.add(podFixture('p', { node: 'n1' }), podFixture('ok', { node: 'n1', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' }] }));
    cluster.modify<Node>('nodes', 'n1', (n) => (n.spec = { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }));
    await nlc.sync('n1');
    expect(deletes(cluster)).toEqual(['p']);
  });

  it('force-deletes pods stuck terminating on the unreachable node 5 s after their eviction, so replacements are not blocked', async () => {
    const { cluster, run } = await deadNode([podFixture('p', { node: 'n2', ready: true })]);
    await run(2000, ['n1']); // evicted (graceful: deletionTimestamp + 30 s grace nobody will finish)
    expect(deletes(cluster)).toEqual(['p']);
    await run(4000, ['n1']);
    expect(deletes(cluster)).toEqual(['p']);
    await run(1000, ['n1']);
    expect(deletes(cluster)).toEqual(['p', 'p (force)']);
    expect(cluster.object('pods', `${NS}/p`)).toBeUndefined();
  });

  it('evicts nothing while no node at all is Ready (full disruption)', async () => {
    const { cluster, run } = setup(['n1']);
    cluster.add(podFixture('p', { node: 'n1' }));
    await run(30_000, []);
    expect(cluster.writes().filter((a) => a.verb === 'delete')).toEqual([]);
  });

  it('force-deletes pods bound to a node that no longer exists', async () => {
    const { cluster, nlc } = setup();
    cluster.add(podFixture('p', { node: 'gone' }));
    await nlc.sync('gone');
    expect(deletes(cluster)).toEqual(['p (force)']);
  });
});

describe('tolerates', () => {
  it.each([
    [{ key: 'k', operator: 'Equal' as const, value: 'v', effect: 'NoExecute' as const }, true],
    [{ key: 'k', operator: 'Equal' as const, value: 'w', effect: 'NoExecute' as const }, false],
    [{ key: 'k', operator: 'Exists' as const }, true],
    [{ key: 'k', operator: 'Exists' as const, effect: 'NoSchedule' as const }, false],
    [{ key: 'other', operator: 'Exists' as const }, false],
    [{ key: 'k', value: 'v' }, true],
  ])('%j → %s', (tol, want) => {
    expect(tolerates(tol, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(want);
  });
});
