import { FixedRng, SeededRng } from '@mk/shared';
import { makeNode, makePod, podInfo, snapshotOf } from '../testing/fixtures';
import { Framework, NO_NODES_AVAILABLE, type ScheduleResult, fitErrorMessage, numFeasibleNodesToFind } from './framework';
import { unresolvable, unschedulable } from './types';

function failure(r: ScheduleResult) {
  if (r.ok || r.kind !== 'unschedulable') throw new Error(`expected unschedulable, got ${JSON.stringify(r)}`);
  return r;
}

describe('the "0/N nodes are available" message', () => {
  it("is Kubernetes' for the issue's example", () => {
    const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };
    const nodes = [makeNode('cp1', { taints: [cp] }), makeNode('node1', { cpu: '1' }), makeNode('node2', { cpu: '1' })];
    const { snapshot } = snapshotOf(nodes);
    const r = failure(new Framework({ rng: new FixedRng() }).schedule(podInfo('web-1', { cpu: '2' }), snapshot));
    expect(r.message).toBe('0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
    expect([...r.unschedulablePlugins].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
  });

  it.each([
    ['counts sorted as strings (sort.Strings), so 10 comes before 2', [['Insufficient memory', 2], ['Insufficient cpu', 10]], '0/12 nodes are available: 10 Insufficient cpu, 2 Insufficient memory.'],
    ['same count: by reason', [['node(s) were unschedulable', 1], ['Insufficient cpu', 1]], '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.'],
    ['no reasons', [], '0/0 nodes are available:'],
  ] as Array<[string, Array<[string, number]>, string]>)('%s', (_name, counts, want) => {
    const statuses = counts.flatMap(([reason, n]) => Array.from({ length: n }, () => unschedulable('X', reason)));
    const total = counts.reduce((s, [, n]) => s + n, 0);
    expect(fitErrorMessage(total, statuses)).toBe(want);
  });

  it('a node with several reasons counts in each', () => {
    const nodes = [makeNode('a', { cpu: '1', memory: '1Gi' }), makeNode('b', { cpu: '1', memory: '8Gi' })];
    const { snapshot } = snapshotOf(nodes);
    const r = failure(new Framework({ rng: new FixedRng() }).schedule(podInfo('p', { cpu: '2', memory: '2Gi' }), snapshot));
    expect(r.message).toBe('0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.');
  });

  it('only the first failing filter of a node is its reason', () => {
    const nodes = [makeNode('a', { unschedulable: true, cpu: '1' })];
    const { snapshot } = snapshotOf(nodes);
    expect(failure(new Framework({ rng: new FixedRng() }).schedule(podInfo('p', { cpu: '2' }), snapshot)).message).toBe('0/1 nodes are available: 1 node(s) were unschedulable.');
  });

  it('a PreFilter rejection is the whole message', () => {
    const { snapshot } = snapshotOf([makeNode('a'), makeNode('b')]);
    const pod = podInfo('p', {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'a', operator: 'Nope' as 'In' }] }, topologyKey: 'x' }] } },
    });
    const r = failure(new Framework({ rng: new FixedRng() }).schedule(pod, snapshot));
    expect(r.message).toBe('0/2 nodes are available: invalid pod affinity: "Nope" is not a valid label selector operator.');
    expect(r.preFilterMessage).toBeDefined();
    expect(r.nodeStatuses.size).toBe(2);
  });

  it('no nodes at all', () => {
    const { snapshot } = snapshotOf([]);
    expect(failure(new Framework({ rng: new FixedRng() }).schedule(podInfo('p'), snapshot)).message).toBe(NO_NODES_AVAILABLE);
  });

  it('a filter that throws is an error, not unschedulable', () => {
    const { snapshot } = snapshotOf([makeNode('a')]);
    const broken = { name: 'Broken', events: [], filter: () => { throw new Error('boom'); } };
    const r = new Framework({ rng: new FixedRng(), plugins: { filters: [broken], scorers: [] } }).schedule(podInfo('p'), snapshot);
    expect(r).toEqual({ ok: false, kind: 'error', message: 'scheduling default/p: boom' });
  });

  it('statuses of Unschedulable and UnschedulableAndUnresolvable read the same', () => {
    expect(fitErrorMessage(2, [unschedulable('A', 'x'), unresolvable('B', 'x')])).toBe('0/2 nodes are available: 2 x.');
  });
});

describe('scoring and choosing', () => {
  it('the weighted sum picks the best node; explain shows each plugin', () => {
    const nodes = [makeNode('busy', { cpu: '4', memory: '4Gi' }), makeNode('idle', { cpu: '4', memory: '4Gi' })];
    const { snapshot } = snapshotOf(nodes, [makePod('x', { nodeName: 'busy', cpu: '3', memory: '3Gi' })]);
    const r = new Framework({ rng: new FixedRng() }).schedule(podInfo('p', { cpu: '500m', memory: '512Mi' }), snapshot, { explain: true });
    if (!r.ok) throw new Error(r.message);
    expect(r.nodeName).toBe('idle');
    const idle = r.scores!.find((s) => s.node === 'idle')!;
    expect(idle.plugins).toEqual({ NodeResourcesLeastAllocated: 87, NodeResourcesBalancedAllocation: 100 });
    expect(idle.total).toBe(87 + 100);
  });

  it('ties are broken by the Rng: the same seed, the same choices; every tied node is possible', () => {
    const nodes = Array.from({ length: 10 }, (_, i) => makeNode(`n${i}`));
    const run = (seed: number) => {
      const { snapshot } = snapshotOf(nodes);
      const fw = new Framework({ rng: new SeededRng(seed) });
      return Array.from({ length: 50 }, (_, i) => {
        const r = fw.schedule(podInfo(`p${i}`), snapshot);
        if (!r.ok) throw new Error(r.message);
        return r.nodeName;
      });
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(new Set(run(7)).size).toBe(10);
  });

  it('reservoir sampling: with a fixed Rng of 0 the last tied node wins, with 0.99 the first', () => {
    const { snapshot } = snapshotOf([makeNode('a'), makeNode('b'), makeNode('c')]);
    const pick = (v: number) => {
      const r = new Framework({ rng: new FixedRng(v) }).schedule(podInfo('p'), snapshot);
      return r.ok ? r.nodeName : r.message;
    };
    expect(pick(0)).toBe('c');
    expect(pick(0.99)).toBe('a');
  });

  it('one feasible node is chosen without scoring', () => {
    const { snapshot } = snapshotOf([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '8' })]);
    const r = new Framework({ rng: new FixedRng() }).schedule(podInfo('p', { cpu: '2' }), snapshot);
    expect(r).toEqual({ ok: true, nodeName: 'b', evaluatedNodes: 2, feasibleNodes: 1 });
  });
});

describe('how many nodes are evaluated', () => {
  it.each([
    [50, 0, 50],
    [100, 0, 100],
    [1000, 0, 420],
    [5000, 0, 500],
    [5000, 10, 500],
    [1000, 5, 100],
    [1000, 100, 1000],
    [6000, 0, 300], // 50 - 48 = 2% → at least 5%
  ])('%d nodes at %d%% → %d', (n, pct, want) => {
    expect(numFeasibleNodesToFind(n, pct)).toBe(want);
  });

  it('filtering stops once enough nodes fit and the next cycle starts where it stopped', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => makeNode(`n${String(i).padStart(3, '0')}`));
    const { snapshot } = snapshotOf(nodes);
    const fw = new Framework({ rng: new FixedRng(), percentageOfNodesToScore: 50 });
    const a = fw.schedule(podInfo('p1'), snapshot);
    const b = fw.schedule(podInfo('p2'), snapshot);
    expect(a.ok && a.evaluatedNodes).toBe(100);
    expect(b.ok && b.evaluatedNodes).toBe(100);
    // FixedRng(0): the last of the tied nodes, n099 in the first half, n199 in the second.
    expect(a.ok && a.nodeName).toBe('n099');
    expect(b.ok && b.nodeName).toBe('n199');
  });

  it('an unschedulable pod is checked against every node', () => {
    const nodes = Array.from({ length: 300 }, (_, i) => makeNode(`n${i}`, { cpu: '1' }));
    const { snapshot } = snapshotOf(nodes);
    const r = failure(new Framework({ rng: new FixedRng() }).schedule(podInfo('p', { cpu: '2' }), snapshot));
    expect(r.message).toBe('0/300 nodes are available: 300 Insufficient cpu.');
  });
});
