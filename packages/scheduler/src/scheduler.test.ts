/**
 * Scheduling cycles end to end against a fake API: informers list and watch the fake backend, the
 * daemon schedules, bindings and events land in the backend and the recorder.
 */
import type { Lease, Pod } from '@mk/api';
import { ApiError } from '@mk/client';
import { FakeClock, SeededRng } from '@mk/shared';
import { SchedulerDaemon } from './daemon';
import { FakeBackend, type FakeClient, RecordingRecorder } from './testing/fake-api';
import { makeNode, makePod } from './testing/fixtures';

const flush = async (rounds = 30) => {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
};

interface Setup {
  backend: FakeBackend;
  clock: FakeClock;
}

function daemon(s: Setup, client: FakeClient, o: { leaderElect?: boolean; seed?: number; maxConcurrentBinds?: number } = {}) {
  const recorder = new RecordingRecorder();
  const d = new SchedulerDaemon({
    api: client,
    recorder,
    clock: s.clock,
    rng: new SeededRng(o.seed ?? 1),
    leaderElection: {
      enabled: o.leaderElect ?? false,
      namespace: 'kube-system',
      name: 'mk-scheduler',
      identity: client.name,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 500,
    },
    scheduler: { ...(o.maxConcurrentBinds ? { maxConcurrentBinds: o.maxConcurrentBinds } : {}) },
  });
  return { d, recorder };
}

function setup(): Setup {
  const backend = new FakeBackend();
  backend.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  backend.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  return { backend, clock: new FakeClock(1_700_000_000_000) };
}

const nodeOf = (s: Setup, name: string) => s.backend.pod('default', name)?.spec.nodeName;

/** Moves the fake clock in small steps, letting async work run in between. */
async function step(s: Setup, ms: number, by = 100) {
  for (let t = 0; t < ms; t += by) {
    s.clock.advance(Math.min(by, ms - t));
    await flush(5);
  }
}

describe('Scheduler against a fake API', () => {
  it('binds pending pods respecting resources, nodeSelector and taints; records Scheduled', async () => {
    const s = setup();
    s.backend.addNode(makeNode('node1', { cpu: '4', labels: { disk: 'ssd' } }));
    s.backend.addNode(makeNode('node2', { cpu: '2' }));
    s.backend.addNode(makeNode('cp1', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
    const { d, recorder } = daemon(s, s.backend.client('s1'));
    await d.start();
    s.backend.addPod(makePod('big', { cpu: '3' }));
    s.backend.addPod(makePod('ssd', { cpu: '100m', nodeSelector: { disk: 'ssd' } }));
    s.backend.addPod(makePod('mid', { cpu: '1500m' }));
    s.backend.addPod(makePod('other-scheduler', { schedulerName: 'my-scheduler' }));
    s.backend.addPod(makePod('tolerant', { cpu: '6', tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] }));
    await flush();
    expect(nodeOf(s, 'big')).toBe('node1');
    expect(nodeOf(s, 'ssd')).toBe('node1');
    expect(nodeOf(s, 'mid')).toBe('node2'); // node1 has 900m left after big and ssd
    expect(nodeOf(s, 'tolerant')).toBe('cp1');
    expect(nodeOf(s, 'other-scheduler')).toBeUndefined();
    expect(recorder.events).toContain('Normal Scheduled default/big: Successfully assigned default/big to node1');
    expect(recorder.events.filter((e) => e.includes('Scheduled')).length).toBe(4);
    await d.stop();
  });

  it('an unschedulable pod gets FailedScheduling and PodScheduled=False, and is bound once a node fits', async () => {
    const s = setup();
    s.backend.addNode(makeNode('node1', { cpu: '1' }));
    s.backend.addNode(makeNode('node2', { cpu: '1' }));
    s.backend.addNode(makeNode('cp1', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
    const { d, recorder } = daemon(s, s.backend.client('s1'));
    await d.start();
    s.backend.addPod(makePod('web-1', { cpu: '2' }));
    await flush();
    const msg = '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.';
    expect(recorder.events).toEqual([`Warning FailedScheduling default/web-1: ${msg}`]);
    const cond = s.backend.pod('default', 'web-1')?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message: msg });
    expect(d.current()!.queue.where('default/web-1')).toBe('unschedulable');
    // An unrelated change (a namespace) does not wake it; a new node does, after its back-off.
    s.backend.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
    await flush();
    expect(d.current()!.queue.where('default/web-1')).toBe('unschedulable');
    s.backend.addNode(makeNode('node3', { cpu: '4' }));
    await flush();
    await step(s, 1000);
    expect(nodeOf(s, 'web-1')).toBe('node3');
    expect(recorder.events.at(-1)).toBe('Normal Scheduled default/web-1: Successfully assigned default/web-1 to node3');
    await d.stop();
  });

  it('a freed node wakes a pod rejected for resources (pod deleted)', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1', { cpu: '2' }));
    s.backend.addPod(makePod('hog', { cpu: '2', nodeName: 'n1', phase: 'Running' }));
    const { d } = daemon(s, s.backend.client('s1'));
    await d.start();
    s.backend.addPod(makePod('p', { cpu: '1' }));
    await flush();
    expect(d.current()!.queue.where('default/p')).toBe('unschedulable');
    s.backend.remove('pods', 'default', 'hog');
    await flush();
    await step(s, 1000);
    expect(nodeOf(s, 'p')).toBe('n1');
    await d.stop();
  });

  it('assumed pods count before their binding is confirmed', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1', { cpu: '4' }));
    const client = s.backend.client('s1');
    client.holdBinds = true;
    const { d, recorder } = daemon(s, client);
    await d.start();
    s.backend.addPod(makePod('a', { cpu: '3' }));
    s.backend.addPod(makePod('b', { cpu: '3' }));
    await flush();
    expect(d.current()!.cache.isAssumed('default/a')).toBe(true);
    expect(recorder.events).toEqual(['Warning FailedScheduling default/b: 0/1 nodes are available: 1 Insufficient cpu.']);
    client.releaseBinds();
    await flush();
    expect(nodeOf(s, 'a')).toBe('n1');
    expect(d.current()!.cache.isAssumed('default/a')).toBe(false);
    await d.stop();
  });

  it('a failed binding forgets the assumption and retries after the back-off', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1', { cpu: '4' }));
    const client = s.backend.client('s1');
    client.bindErrors = [ApiError.unavailable('the API server went away')];
    const { d, recorder } = daemon(s, client);
    await d.start();
    s.backend.addPod(makePod('p', { cpu: '3' }));
    await flush();
    const core = d.current()!;
    expect(core.cache.getPod('default/p')).toBeUndefined();
    expect(core.cache.getNode('n1')!.requested.milliCPU).toBe(0);
    expect(core.queue.where('default/p')).toBe('backoff');
    expect(recorder.events).toEqual(['Warning FailedScheduling default/p: Binding rejected: the API server went away']);
    await step(s, 1000);
    expect(nodeOf(s, 'p')).toBe('n1');
    await d.stop();
  });

  it('a binding refused for good (already bound, gone) is not retried', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1'));
    const client = s.backend.client('s1');
    client.bindErrors = [ApiError.conflict('pods', 'p', 'pod p is already assigned to node "elsewhere"')];
    const { d } = daemon(s, client);
    await d.start();
    s.backend.addPod(makePod('p'));
    await flush();
    expect(d.current()!.queue.where('default/p')).toBeUndefined();
    expect(d.current()!.cache.getPod('default/p')).toBeUndefined();
    await d.stop();
  });

  it('deleted and terminal pods are not scheduled; pods bound by others are accounted', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1', { cpu: '2' }));
    const { d } = daemon(s, s.backend.client('s1'));
    await d.start();
    s.backend.addPod(makePod('going', { deleting: true }));
    s.backend.addPod(makePod('done', { phase: 'Succeeded' }));
    s.backend.addPod(makePod('elsewhere', { cpu: '1500m', nodeName: 'n1', phase: 'Running' }));
    s.backend.addPod(makePod('p', { cpu: '1' }));
    await flush();
    expect(nodeOf(s, 'going')).toBeUndefined();
    expect(nodeOf(s, 'done')).toBeUndefined();
    expect(nodeOf(s, 'p')).toBeUndefined();
    expect(d.current()!.queue.where('default/p')).toBe('unschedulable');
    await d.stop();
  });

  it('replicas of one ReplicaSet are spread over the nodes', async () => {
    const s = setup();
    for (const n of ['n1', 'n2', 'n3']) s.backend.addNode(makeNode(n));
    const { d } = daemon(s, s.backend.client('s1'));
    await d.start();
    for (let i = 1; i <= 6; i++) s.backend.addPod(makePod(`web-${i}`, { ownerUid: 'rs-web', cpu: '100m' }));
    await flush();
    const per = new Map<string, number>();
    for (let i = 1; i <= 6; i++) per.set(nodeOf(s, `web-${i}`)!, (per.get(nodeOf(s, `web-${i}`)!) ?? 0) + 1);
    expect([...per.values()]).toEqual([2, 2, 2]);
    await d.stop();
  });

  it('the window of bindings in flight narrows when bindings are slow and widens when they are fast', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1', { cpu: '100', pods: '1000' }));
    const client = s.backend.client('s1');
    client.holdBinds = true;
    const { d } = daemon(s, client, { maxConcurrentBinds: 50 });
    await d.start();
    for (let i = 0; i < 100; i++) s.backend.addPod(makePod(`p${i}`));
    await flush();
    const sent = () => client.calls.filter((c) => c.startsWith('bind')).length;
    expect(sent()).toBe(16); // the initial window; the other pods wait in the queue, not assumed
    expect(d.current()!.queue.counts().active).toBe(84);
    s.clock.advance(1000); // all 16 take 1 s (> 300 ms): one decrease per interval, ×0.75
    client.releaseBinds();
    await flush();
    expect(d.current()!.bindLimit()).toBe(12);
    expect(sent()).toBe(16 + 12);
    client.releaseBinds(); // 12 fast ones (0 ms): +1 each
    await flush();
    expect(d.current()!.bindLimit()).toBe(24);
    expect(sent()).toBe(16 + 12 + 24);
    client.holdBinds = false;
    client.releaseBinds();
    await flush(300);
    expect(d.current()!.bindLimit()).toBe(50); // capped at the maximum
    expect(s.backend.binds.length).toBe(100);
    await d.stop();
  });

  it('the same seed gives the same placements', async () => {
    const run = async (seed: number) => {
      const s = setup();
      for (let i = 0; i < 8; i++) s.backend.addNode(makeNode(`n${i}`));
      const { d } = daemon(s, s.backend.client('s1'), { seed });
      await d.start();
      for (let i = 0; i < 20; i++) s.backend.addPod(makePod(`p${i}`));
      await flush();
      await d.stop();
      return Array.from({ length: 20 }, (_, i) => nodeOf(s, `p${i}`));
    };
    const a = await run(42);
    expect(a.every((n) => n !== undefined)).toBe(true);
    expect(await run(42)).toEqual(a);
  });
});

describe('leader election', () => {
  it('only the leader schedules; when it loses the lease it stops at once and sends no held binding; the standby takes over', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1', { cpu: '8' }));
    const ca = s.backend.client('a');
    const cb = s.backend.client('b');
    const a = daemon(s, ca, { leaderElect: true, maxConcurrentBinds: 1 });
    const b = daemon(s, cb, { leaderElect: true });
    await a.d.start();
    await b.d.start();
    await step(s, 600);
    expect(a.d.isLeader()).toBe(true);
    expect(b.d.isLeader()).toBe(false);
    expect(s.backend.get<Lease>('leases', 'kube-system', 'mk-scheduler')?.spec?.holderIdentity).toBe('a');

    s.backend.addPod(makePod('p0'));
    await flush();
    expect(s.backend.binds).toEqual(['default/p0→n1 by a']);

    // p1's binding is sent and held; p2 waits for a binding slot (one at a time).
    ca.holdBinds = true;
    s.backend.addPod(makePod('p1'));
    s.backend.addPod(makePod('p2'));
    await flush();
    expect(ca.calls.filter((c) => c.startsWith('bind'))).toEqual(['bind default/p0', 'bind default/p1']);

    // a is cut off: it stops within the renew deadline, before its lease can expire for b.
    ca.cut = true;
    let aStoppedAt = 0;
    for (let t = 0; t < 2500 && a.d.isLeader(); t += 100) {
      await step(s, 100);
      aStoppedAt = t + 100;
    }
    expect(a.d.isLeader()).toBe(false);
    expect(aStoppedAt).toBeLessThanOrEqual(2100);
    expect(b.d.isLeader()).toBe(false);
    ca.releaseBinds(); // p1's answer arrives after the end: ignored
    await flush();
    expect(ca.calls.filter((c) => c.startsWith('bind'))).toEqual(['bind default/p0', 'bind default/p1']); // p2 never sent

    await step(s, 3000);
    expect(b.d.isLeader()).toBe(true);
    expect(s.backend.get<Lease>('leases', 'kube-system', 'mk-scheduler')?.spec?.holderIdentity).toBe('b');
    await flush();
    s.backend.addPod(makePod('p3'));
    await flush();
    expect(s.backend.binds.slice(1).sort()).toEqual(['default/p1→n1 by b', 'default/p2→n1 by b', 'default/p3→n1 by b']);
    await a.d.stop();
    await b.d.stop();
  });

  it('stop() releases the lease so the standby takes over without waiting for expiry', async () => {
    const s = setup();
    s.backend.addNode(makeNode('n1'));
    const a = daemon(s, s.backend.client('a'), { leaderElect: true });
    const b = daemon(s, s.backend.client('b'), { leaderElect: true });
    await a.d.start();
    await b.d.start();
    await step(s, 600);
    expect(a.d.isLeader()).toBe(true);
    await a.d.stop();
    await step(s, 1100); // the released lease has a 1 s duration
    expect(b.d.isLeader()).toBe(true);
    const pod: Pod = makePod('after');
    s.backend.addPod(pod);
    await flush();
    expect(nodeOf(s, 'after')).toBe('n1');
    await b.d.stop();
  });
});
