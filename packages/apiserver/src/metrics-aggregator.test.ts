import type { Node, Pod } from '@mk/api';
import type { mkkubelet } from '@mk/proto';
import { formatCpu, formatMemory, formatWindow, nodeMetricsItems, podMetricsItems } from './metrics-aggregator';

const pod = (name: string, nodeName: string | undefined, namespace = 'default'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, uid: `uid-${name}` },
  spec: { containers: [{ name: 'app', image: 'x' }], ...(nodeName ? { nodeName } : {}) },
});
const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
const usage = (cpuNanoCores: number, memoryWorkingSetBytes: number, timestampMs = Date.parse('2024-05-01T12:00:00.250Z'), windowMs = 10_000) => ({
  cpuNanoCores,
  memoryWorkingSetBytes,
  timestampMs,
  windowMs,
});

describe('metrics arithmetic', () => {
  test.each([
    [0, '0m'],
    [1, '1m'],
    [1_000_000, '1m'],
    [12_300_000, '13m'],
    [2_000_000_000, '2000m'],
    [-5, '0m'],
  ])('cpu %d ns/s → %s', (n, want) => expect(formatCpu(n)).toBe(want));

  test.each([
    [0, '0Ki'],
    [1, '1Ki'],
    [3_538_944, '3456Ki'],
    [1 << 30, '1048576Ki'],
  ])('memory %d bytes → %s', (n, want) => expect(formatMemory(n)).toBe(want));

  test.each([
    [1000, '1s'],
    [10_500, '10.5s'],
    [200, '0.2s'],
  ])('window %d ms → %s', (n, want) => expect(formatWindow(n)).toBe(want));
});

describe('podMetricsItems / nodeMetricsItems', () => {
  const summaries = new Map<string, mkkubelet.IStatsSummary>([
    [
      'n1',
      {
        node: usage(1_500_000_000, 2 * 2 ** 30),
        pods: [
          { namespace: 'default', name: 'web', uid: 'uid-web', containers: [{ name: 'app', usage: usage(12_000_000, 4 << 20) }, { name: 'side', usage: usage(1, 1, undefined, 200) }] },
          { namespace: 'default', name: 'old', uid: 'uid-other', containers: [{ name: 'app', usage: usage(1, 1) }] },
        ],
      },
    ],
    ['n2', { pods: [{ namespace: 'kube-system', name: 'dns', uid: 'uid-dns', containers: [{ name: 'app', usage: usage(3_000_000, 1024) }] }] }],
  ]);

  test('pods measured on their node, sorted; others (another uid, no node, no answer) left out', () => {
    const items = podMetricsItems([pod('dns', 'n2', 'kube-system'), pod('web', 'n1'), pod('old', 'n1'), pod('pending', undefined), pod('lost', 'n3')], summaries);
    expect(items).toEqual([
      {
        kind: 'PodMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: 'web', namespace: 'default' },
        timestamp: '2024-05-01T12:00:00Z',
        window: '10s',
        containers: [
          { name: 'app', usage: { cpu: '12m', memory: '4096Ki' } },
          { name: 'side', usage: { cpu: '1m', memory: '1Ki' } },
        ],
      },
      expect.objectContaining({ metadata: { name: 'dns', namespace: 'kube-system' }, containers: [{ name: 'app', usage: { cpu: '3m', memory: '1Ki' } }] }),
    ]);
  });

  test('nodes whose kubelet measured the node', () => {
    expect(nodeMetricsItems([node('n2'), node('n1')], summaries)).toEqual([
      { kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'n1' }, timestamp: '2024-05-01T12:00:00Z', window: '10s', usage: { cpu: '1500m', memory: '2097152Ki' } },
    ]);
  });
});
