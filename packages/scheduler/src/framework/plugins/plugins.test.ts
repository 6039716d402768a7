import type { Node, Pod } from '@mk/api';
import { newPodInfo } from '../../pod-info';
import { makeNode, makePod, snapshotOf } from '../../testing/fixtures';
import { CycleState, type CycleContext, type FilterPlugin, type ScorePlugin } from '../types';
import {
  ERR_REASON_AFFINITY_RULES,
  ERR_REASON_ANTI_AFFINITY_RULES,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES,
  ERR_REASON_NODE_NAME,
  ERR_REASON_NODE_PORTS,
  ERR_REASON_POD_NODE_AFFINITY,
  ERR_REASON_UNSCHEDULABLE,
  InterPodAffinity,
  NodeAffinity,
  NodeName,
  NodePorts,
  NodeReady,
  NodeResourcesBalancedAllocation,
  NodeResourcesFit,
  NodeResourcesLeastAllocated,
  NodeUnschedulable,
  SelectorSpread,
  TaintToleration,
  leastRequestedScore,
} from '.';

/** Runs one filter plugin (PreFilter then Filter) for `pod` on each node; the reasons per node ([] = fits). */
function filter(plugin: FilterPlugin, pod: Pod, nodes: Node[], bound: Pod[] = [], nsLabels: Record<string, Record<string, string>> = {}): Record<string, string[]> {
  const { snapshot } = snapshotOf(nodes, bound, nsLabels);
  const ctx: CycleContext = { state: new CycleState(), snapshot };
  const pi = newPodInfo(pod);
  const pre = plugin.preFilter?.(ctx, pi);
  const out: Record<string, string[]> = {};
  for (const n of snapshot.nodes) {
    if (pre === 'skip') out[n.name] = [];
    else if (pre) out[n.name] = [...pre.reasons];
    else out[n.name] = [...(plugin.filter(ctx, pi, n)?.reasons ?? [])];
  }
  return out;
}

/** Runs one score plugin over the nodes; normalized scores by node name (undefined when skipped). */
function score(plugin: ScorePlugin, pod: Pod, nodes: Node[], bound: Pod[] = []): Record<string, number> | undefined {
  const { snapshot } = snapshotOf(nodes, bound);
  const ctx: CycleContext = { state: new CycleState(), snapshot };
  const pi = newPodInfo(pod);
  if (plugin.preScore?.(ctx, pi, snapshot.nodes) === 'skip') return undefined;
  const scores = snapshot.nodes.map((n) => plugin.score(ctx, pi, n));
  plugin.normalizeScore?.(ctx, pi, scores);
  return Object.fromEntries(snapshot.nodes.map((n, i) => [n.name, scores[i]!]));
}

const FITS: string[] = [];

describe('NodeUnschedulable', () => {
  const cases: Array<[string, Pod, Node, string[]]> = [
    ['schedulable node', makePod('p'), makeNode('n1'), FITS],
    ['cordoned node', makePod('p'), makeNode('n1', { unschedulable: true }), [ERR_REASON_UNSCHEDULABLE]],
    [
      'cordoned node, pod tolerates node.kubernetes.io/unschedulable',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }),
      makeNode('n1', { unschedulable: true }),
      FITS,
    ],
    ['cordoned node, tolerate-everything toleration', makePod('p', { tolerations: [{ operator: 'Exists' }] }), makeNode('n1', { unschedulable: true }), FITS],
    [
      'cordoned node, toleration for NoExecute only',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] }),
      makeNode('n1', { unschedulable: true }),
      [ERR_REASON_UNSCHEDULABLE],
    ],
  ];
  it.each(cases)('%s', (_name, pod, node, want) => {
    expect(filter(new NodeUnschedulable(), pod, [node]).n1).toEqual(want);
  });
});

describe('NodeName', () => {
  it.each([
    ['no nodeName: every node', undefined, 'n1', FITS],
    ['the named node', 'n1', 'n1', FITS],
    ['another node', 'n2', 'n1', [ERR_REASON_NODE_NAME]],
  ])('%s', (_name, nodeName, node, want) => {
    expect(filter(new NodeName(), makePod('p', nodeName ? { nodeName } : {}), [makeNode(node)])[node]).toEqual(want);
  });
});

describe('TaintToleration', () => {
  const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' as const };
  const cases: Array<[string, Pod, Node, string[]]> = [
    ['no taints', makePod('p'), makeNode('n1'), FITS],
    ['NoSchedule, no toleration', makePod('p'), makeNode('n1', { taints: [cp] }), ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }']],
    ['NoSchedule tolerated by Exists on the key', makePod('p', { tolerations: [{ key: cp.key, operator: 'Exists' }] }), makeNode('n1', { taints: [cp] }), FITS],
    [
      'Equal needs the same value',
      makePod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
      makeNode('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      ['node(s) had untolerated taint {dedicated: db}'],
    ],
    [
      'Equal with the same value',
      makePod('p', { tolerations: [{ key: 'dedicated', value: 'db' }] }),
      makeNode('n1', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      FITS,
    ],
    [
      'NoExecute needs a toleration too',
      makePod('p', { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] }),
      makeNode('n1', { taints: [{ key: 'k', effect: 'NoExecute' }] }),
      ['node(s) had untolerated taint {k: }'],
    ],
    ['PreferNoSchedule does not filter', makePod('p'), makeNode('n1', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), FITS],
    [
      'the first untolerated taint is named',
      makePod('p', { tolerations: [{ key: 'a', operator: 'Exists' }] }),
      makeNode('n1', { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'x', effect: 'NoSchedule' }] }),
      ['node(s) had untolerated taint {b: x}'],
    ],
  ];
  it.each(cases)('filter: %s', (_name, pod, node, want) => {
    expect(filter(new TaintToleration(), pod, [node]).n1).toEqual(want);
  });

  it('score: fewer untolerated PreferNoSchedule taints score higher (reverse-normalized)', () => {
    const nodes = [
      makeNode('n0'),
      makeNode('n1', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] }),
      makeNode('n2', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] }),
    ];
    expect(score(new TaintToleration(), makePod('p'), nodes)).toEqual({ n0: 100, n1: 50, n2: 0 });
    const tolerant = makePod('p', { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] });
    expect(score(new TaintToleration(), tolerant, nodes)).toEqual({ n0: 100, n1: 100, n2: 0 });
    expect(score(new TaintToleration(), makePod('p'), [makeNode('n0'), makeNode('n1')])).toBeUndefined();
  });
});

describe('NodeReady', () => {
  const cases: Array<[string, Pod, Node, string[]]> = [
    ['Ready True', makePod('p'), makeNode('n1'), FITS],
    ['Ready False', makePod('p'), makeNode('n1', { ready: 'False' }), ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
    ['no Ready condition (just registered)', makePod('p'), makeNode('n1', { ready: null }), ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']],
    ['Ready Unknown', makePod('p'), makeNode('n1', { ready: 'Unknown' }), ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']],
    [
      'Ready False, pod tolerates not-ready:NoSchedule',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] }),
      makeNode('n1', { ready: 'False' }),
      FITS,
    ],
    [
      "Ready False, pod tolerates not-ready only for NoExecute (Kubernetes' default toleration)",
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] }),
      makeNode('n1', { ready: 'False' }),
      ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
    ],
    [
      'Ready Unknown, pod tolerates unreachable',
      makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }] }),
      makeNode('n1', { ready: 'Unknown' }),
      FITS,
    ],
  ];
  it.each(cases)('%s', (_name, pod, node, want) => {
    expect(filter(new NodeReady(), pod, [node]).n1).toEqual(want);
  });
});

describe('NodeAffinity', () => {
  const node = makeNode('n1', { labels: { disk: 'ssd', zone: 'a', gen: '5' } });
  const term = (key: string, operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt', values?: string[]) => ({
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] } },
  });
  const cases: Array<[string, Pod, string[]]> = [
    ['nothing required', makePod('p'), FITS],
    ['nodeSelector matches', makePod('p', { nodeSelector: { disk: 'ssd' } }), FITS],
    ['nodeSelector value differs', makePod('p', { nodeSelector: { disk: 'hdd' } }), [ERR_REASON_POD_NODE_AFFINITY]],
    ['nodeSelector key missing', makePod('p', { nodeSelector: { gpu: 'yes' } }), [ERR_REASON_POD_NODE_AFFINITY]],
    ['In', makePod('p', { affinity: term('zone', 'In', ['a', 'b']) }), FITS],
    ['In, other values', makePod('p', { affinity: term('zone', 'In', ['b']) }), [ERR_REASON_POD_NODE_AFFINITY]],
    ['NotIn', makePod('p', { affinity: term('zone', 'NotIn', ['b']) }), FITS],
    ['NotIn on a missing key matches', makePod('p', { affinity: term('rack', 'NotIn', ['r1']) }), FITS],
    ['Exists', makePod('p', { affinity: term('disk', 'Exists') }), FITS],
    ['DoesNotExist', makePod('p', { affinity: term('disk', 'DoesNotExist') }), [ERR_REASON_POD_NODE_AFFINITY]],
    ['Gt', makePod('p', { affinity: term('gen', 'Gt', ['4']) }), FITS],
    ['Lt', makePod('p', { affinity: term('gen', 'Lt', ['4']) }), [ERR_REASON_POD_NODE_AFFINITY]],
    ['Gt on a non-integer label', makePod('p', { affinity: term('zone', 'Gt', ['1']) }), [ERR_REASON_POD_NODE_AFFINITY]],
    [
      'terms are ORed',
      makePod('p', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }],
            },
          },
        },
      }),
      FITS,
    ],
    [
      'an empty term matches nothing',
      makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }),
      [ERR_REASON_POD_NODE_AFFINITY],
    ],
    [
      'matchFields metadata.name',
      makePod('p', {
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } },
      }),
      FITS,
    ],
    ['nodeSelector and affinity must both match', makePod('p', { nodeSelector: { disk: 'ssd' }, affinity: term('zone', 'In', ['b']) }), [ERR_REASON_POD_NODE_AFFINITY]],
  ];
  it.each(cases)('filter: %s', (_name, pod, want) => {
    expect(filter(new NodeAffinity(), pod, [node]).n1).toEqual(want);
  });

  it('score: preferred terms add their weights, normalized to the best node', () => {
    const nodes = [makeNode('a', { labels: { disk: 'ssd', zone: 'a' } }), makeNode('b', { labels: { disk: 'ssd' } }), makeNode('c')];
    const pod = makePod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
            { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      },
    });
    expect(score(new NodeAffinity(), pod, nodes)).toEqual({ a: 100, b: 75, c: 0 });
    expect(score(new NodeAffinity(), makePod('q'), nodes)).toBeUndefined();
  });
});

describe('NodePorts', () => {
  const bound = [makePod('web', { nodeName: 'n1', ports: [{ containerPort: 80, hostPort: 8080 }] })];
  const cases: Array<[string, Pod, string[]]> = [
    ['no host ports', makePod('p', { ports: [{ containerPort: 80 }] }), FITS],
    ['free port', makePod('p', { ports: [{ containerPort: 80, hostPort: 8081 }] }), FITS],
    ['same port and protocol', makePod('p', { ports: [{ containerPort: 80, hostPort: 8080 }] }), [ERR_REASON_NODE_PORTS]],
    ['same port, UDP', makePod('p', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] }), FITS],
    ['same port on a specific IP conflicts with 0.0.0.0', makePod('p', { ports: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }] }), [ERR_REASON_NODE_PORTS]],
    ['in a second container', makePod('p', { containers: [{ ports: [{ containerPort: 1, hostPort: 8080 }] }] }), [ERR_REASON_NODE_PORTS]],
  ];
  it.each(cases)('%s', (_name, pod, want) => {
    expect(filter(new NodePorts(), pod, [makeNode('n1')], bound).n1).toEqual(want);
  });

  it('different specific IPs do not conflict', () => {
    const b = [makePod('web', { nodeName: 'n1', ports: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.1' }] })];
    expect(filter(new NodePorts(), makePod('p', { ports: [{ containerPort: 80, hostPort: 8080, hostIP: '10.0.0.2' }] }), [makeNode('n1')], b).n1).toEqual(FITS);
    expect(filter(new NodePorts(), makePod('p', { ports: [{ containerPort: 80, hostPort: 8080 }] }), [makeNode('n1')], b).n1).toEqual([ERR_REASON_NODE_PORTS]);
  });
});

describe('NodeResourcesFit', () => {
  const node = makeNode('n1', { cpu: '2', memory: '4Gi', pods: '3', extra: { 'nvidia.com/gpu': '1' } });
  const bound = [makePod('a', { nodeName: 'n1', cpu: '1500m', memory: '1Gi' })];
  const cases: Array<[string, Pod, Pod[], string[]]> = [
    ['fits', makePod('p', { cpu: '500m', memory: '3Gi' }), bound, FITS],
    ['cpu', makePod('p', { cpu: '501m' }), bound, ['Insufficient cpu']],
    ['memory', makePod('p', { memory: '3073Mi' }), bound, ['Insufficient memory']],
    ['both, in this order', makePod('p', { cpu: '1', memory: '4Gi' }), bound, ['Insufficient cpu', 'Insufficient memory']],
    ['no requests fit anywhere with room for a pod', makePod('p'), bound, FITS],
    ['too many pods', makePod('p'), [...bound, makePod('b', { nodeName: 'n1' }), makePod('c', { nodeName: 'n1' })], ['Too many pods']],
    ['too many pods and cpu', makePod('p', { cpu: '1' }), [...bound, makePod('b', { nodeName: 'n1' }), makePod('c', { nodeName: 'n1' })], ['Too many pods', 'Insufficient cpu']],
    ['extended resource fits', makePod('p', { extra: { 'nvidia.com/gpu': '1' } }), bound, FITS],
    ['extended resource', makePod('p', { extra: { 'nvidia.com/gpu': '2' } }), bound, ['Insufficient nvidia.com/gpu']],
    ['unknown extended resource', makePod('p', { extra: { 'example.com/foo': '1' } }), [], ['Insufficient example.com/foo']],
    ['init containers: the largest, not the sum', makePod('p', { cpu: '100m', initContainers: [{ cpu: '400m' }, { cpu: '500m' }] }), bound, FITS],
    ['init container larger than the containers', makePod('p', { cpu: '100m', initContainers: [{ cpu: '600m' }] }), bound, ['Insufficient cpu']],
    ['containers are summed', makePod('p', { cpu: '300m', containers: [{ cpu: '300m' }] }), bound, ['Insufficient cpu']],
    ['terminal pods do not count', makePod('p', { cpu: '1' }), [makePod('done', { nodeName: 'n1', cpu: '2', phase: 'Succeeded' })], FITS],
  ];
  it.each(cases)('%s', (_name, pod, b, want) => {
    // The cache of a real scheduler never holds terminal pods; the fixture adds what it is given,
    // so terminal ones are filtered here as the Scheduler's handlers do.
    const live = b.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    expect(filter(new NodeResourcesFit(), pod, [node], live).n1).toEqual(want);
  });
});

describe('NodeResourcesLeastAllocated and BalancedAllocation', () => {
  it.each([
    [0, 4000, 100],
    [1000, 4000, 75],
    [4000, 4000, 0],
    [5000, 4000, 0],
    [1, 3, 66],
  ])('leastRequestedScore(%d, %d) = %d', (req, cap, want) => {
    expect(leastRequestedScore(req, cap)).toBe(want);
  });

  it('least allocated: the emptier node scores higher; pods without requests count 100m/200Mi', () => {
    const nodes = [makeNode('a', { cpu: '4', memory: '4Gi' }), makeNode('b', { cpu: '4', memory: '4Gi' })];
    const bound = [makePod('x', { nodeName: 'a', cpu: '2', memory: '2Gi' })];
    // a: cpu (2000+1000)/4000 used → 25, memory (2Gi+1Gi)/4Gi → 25 → 25; b: 75, 75 → 75
    expect(score(new NodeResourcesLeastAllocated(), makePod('p', { cpu: '1', memory: '1Gi' }), nodes, bound)).toEqual({ a: 25, b: 75 });
    // No requests: 100m of 4000 → 97; 200Mi of 4Gi → 95 → (97 + 95) / 2 = 96 on b.
    expect(score(new NodeResourcesLeastAllocated(), makePod('p'), nodes, bound)!.b).toBe(96);
  });

  it('balanced allocation: 100 × (1 − |cpu fraction − memory fraction| / 2); best-effort pods skipped', () => {
    const nodes = [makeNode('a', { cpu: '4', memory: '4Gi' })];
    expect(score(new NodeResourcesBalancedAllocation(), makePod('p', { cpu: '2', memory: '2Gi' }), nodes)).toEqual({ a: 100 });
    expect(score(new NodeResourcesBalancedAllocation(), makePod('p', { cpu: '4' }), nodes)).toEqual({ a: 50 });
    expect(score(new NodeResourcesBalancedAllocation(), makePod('p', { cpu: '1', memory: '3Gi' }), nodes)).toEqual({ a: 75 });
    expect(score(new NodeResourcesBalancedAllocation(), makePod('p'), nodes)).toBeUndefined();
  });
});

describe('InterPodAffinity', () => {
  const nodes = [
    makeNode('n1', { labels: { zone: 'a' } }),
    makeNode('n2', { labels: { zone: 'a' } }),
    makeNode('n3', { labels: { zone: 'b' } }),
  ];
  const hostname = 'kubernetes.io/hostname';
  const anti = (labels: Record<string, string>, topologyKey = hostname) => ({
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey }] },
  });
  const aff = (labels: Record<string, string>, topologyKey = hostname) => ({
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey }] },
  });
  const web1 = makePod('web-1', { nodeName: 'n1', labels: { app: 'web' } });

  it.each<[string, Pod, Pod[], Record<string, string[]>]>([
    ['no terms, no placed anti-affinity: skipped', makePod('p'), [web1], { n1: FITS, n2: FITS, n3: FITS }],
    [
      'anti-affinity by hostname keeps off the node with a match',
      makePod('web-2', { labels: { app: 'web' }, affinity: anti({ app: 'web' }) }),
      [web1],
      { n1: [ERR_REASON_ANTI_AFFINITY_RULES], n2: FITS, n3: FITS },
    ],
    [
      'anti-affinity by zone keeps off the whole zone',
      makePod('web-2', { affinity: anti({ app: 'web' }, 'zone') }),
      [web1],
      { n1: [ERR_REASON_ANTI_AFFINITY_RULES], n2: [ERR_REASON_ANTI_AFFINITY_RULES], n3: FITS },
    ],
    [
      'anti-affinity only within the namespace by default',
      makePod('web-2', { namespace: 'other', affinity: anti({ app: 'web' }) }),
      [web1],
      { n1: FITS, n2: FITS, n3: FITS },
    ],
    [
      'symmetry: a placed pod refuses neighbours it is anti-affine to',
      makePod('db', { labels: { app: 'db' } }),
      [makePod('cache', { nodeName: 'n2', labels: { app: 'cache' }, affinity: anti({ app: 'db' }) })],
      { n1: FITS, n2: [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES], n3: FITS },
    ],
    [
      'affinity: only where a match runs',
      makePod('sidecar', { affinity: aff({ app: 'web' }) }),
      [web1],
      { n1: FITS, n2: [ERR_REASON_AFFINITY_RULES], n3: [ERR_REASON_AFFINITY_RULES] },
    ],
    [
      'affinity by zone',
      makePod('sidecar', { affinity: aff({ app: 'web' }, 'zone') }),
      [web1],
      { n1: FITS, n2: FITS, n3: [ERR_REASON_AFFINITY_RULES] },
    ],
    [
      'affinity with no match anywhere, not matching itself',
      makePod('sidecar', { affinity: aff({ app: 'web' }) }),
      [],
      { n1: [ERR_REASON_AFFINITY_RULES], n2: [ERR_REASON_AFFINITY_RULES], n3: [ERR_REASON_AFFINITY_RULES] },
    ],
    [
      'the first pod of a self-affine group may go anywhere',
      makePod('web-1', { labels: { app: 'web' }, affinity: aff({ app: 'web' }) }),
      [],
      { n1: FITS, n2: FITS, n3: FITS },
    ],
  ])('%s', (_name, pod, bound, want) => {
    expect(filter(new InterPodAffinity(), pod, nodes, bound)).toEqual(want);
  });

  it('namespaceSelector picks namespaces by their labels', () => {
    const pod = makePod('p', {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, namespaceSelector: { matchLabels: { team: 'x' } }, topologyKey: hostname }] } },
    });
    const bound = [makePod('w', { namespace: 'tx', nodeName: 'n1', labels: { app: 'web' } }), makePod('w', { namespace: 'ty', nodeName: 'n2', labels: { app: 'web' } })];
    expect(filter(new InterPodAffinity(), pod, nodes, bound, { tx: { team: 'x' }, ty: { team: 'y' } })).toEqual({ n1: [ERR_REASON_ANTI_AFFINITY_RULES], n2: FITS, n3: FITS });
  });

  it('an invalid selector makes the pod unschedulable with the parse error', () => {
    const pod = makePod('p', {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'Bogus' as 'In' }] }, topologyKey: hostname }] } },
    });
    expect(filter(new InterPodAffinity(), pod, nodes).n1![0]).toMatch(/^invalid pod affinity: "Bogus" is not a valid label selector operator/);
  });

  it('score: preferred anti-affinity pushes away, preferred affinity pulls, min-max normalized', () => {
    const preferAway = makePod('web-2', {
      labels: { app: 'web' },
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' } }] } },
    });
    expect(score(new InterPodAffinity(), preferAway, nodes, [web1])).toEqual({ n1: 0, n2: 0, n3: 100 });
    const preferNear = makePod('side', {
      affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: hostname } }] } },
    });
    expect(score(new InterPodAffinity(), preferNear, nodes, [web1])).toEqual({ n1: 100, n2: 0, n3: 0 });
    // A placed pod's preferences towards the incoming one count too (symmetry).
    const placedPrefersDbNear = makePod('app', {
      nodeName: 'n3',
      affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: hostname } }] } },
    });
    expect(score(new InterPodAffinity(), makePod('db', { labels: { app: 'db' } }), nodes, [placedPrefersDbNear])).toEqual({ n1: 0, n2: 0, n3: 100 });
    expect(score(new InterPodAffinity(), makePod('plain'), nodes, [web1])).toBeUndefined();
  });
});

describe('SelectorSpread', () => {
  it('favours nodes with fewer replicas of the same controller', () => {
    const nodes = [makeNode('n1'), makeNode('n2'), makeNode('n3')];
    const bound = [
      makePod('r1', { nodeName: 'n1', ownerUid: 'rs-1' }),
      makePod('r2', { nodeName: 'n1', ownerUid: 'rs-1' }),
      makePod('r3', { nodeName: 'n2', ownerUid: 'rs-1' }),
      makePod('other', { nodeName: 'n3', ownerUid: 'rs-2' }),
      makePod('going', { nodeName: 'n3', ownerUid: 'rs-1', deleting: true }),
    ];
    expect(score(new SelectorSpread(), makePod('r4', { ownerUid: 'rs-1' }), nodes, bound)).toEqual({ n1: 0, n2: 50, n3: 100 });
    expect(score(new SelectorSpread(), makePod('r1', { ownerUid: 'rs-9' }), nodes, bound)).toEqual({ n1: 100, n2: 100, n3: 100 });
    expect(score(new SelectorSpread(), makePod('lone'), nodes, bound)).toBeUndefined();
  });
});
