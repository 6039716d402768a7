import type { Node } from '@mk/api';
import { memoryQuantity, nodeConditions, nodeForRegistration, nodeStatus, type HostFacts, type NodeHealth } from './node-status';

const facts: HostFacts = {
  nodeName: 'node1',
  internalIP: '10.213.5.11',
  hostname: 'node1',
  cpuCores: 2,
  memoryBytes: 8 * 1024 ** 3,
  maxPods: 110,
  kubeletPort: 10250,
  nodeInfo: {
    machineID: 'm',
    systemUUID: 'u',
    bootID: 'b',
    kernelVersion: '6.1',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    containerRuntimeVersion: 'docker://20.10.24',
    kubeletVersion: 'v0.1.0',
    kubeProxyVersion: 'v0.1.0',
    operatingSystem: 'linux',
    architecture: 'amd64',
  },
  labels: { zone: 'a' },
};
const healthy: NodeHealth = { runtimeReady: true, networkReady: true, problems: [] };

describe('node status', () => {
  it('registers with the well-known labels plus its own', () => {
    expect(nodeForRegistration(facts).metadata.labels).toEqual({
      'kubernetes.io/hostname': 'node1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      zone: 'a',
    });
  });

  it('reports capacity, addresses and the kubelet endpoint', () => {
    const s = nodeStatus(undefined, facts, healthy, 0);
    expect(s.capacity).toEqual({ cpu: '2', memory: '8388608Ki', pods: '110' });
    expect(s.allocatable).toEqual(s.capacity);
    expect(s.addresses).toEqual([
      { type: 'InternalIP', address: '10.213.5.11' },
      { type: 'Hostname', address: 'node1' },
    ]);
    expect(s.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
  });

  it('is Ready only with a runtime and a pod network, and says why not', () => {
    const ready = (h: typeof healthy) => nodeConditions(undefined, h, 0).find((c) => c.type === 'Ready');
    expect(ready(healthy)).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(ready({ runtimeReady: true, networkReady: false, problems: ['no pod CIDR assigned yet'] })).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'no pod CIDR assigned yet',
    });
  });

  it('keeps transition times while a condition holds and moves heartbeats', () => {
    const first = nodeStatus(undefined, facts, healthy, 1000);
    const prior: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' }, status: first };
    const later = nodeConditions(prior.status?.conditions, healthy, 61_000).find((c) => c.type === 'Ready')!;
    expect(later.lastTransitionTime).toBe('1970-01-01T00:00:01Z');
    expect(later.lastHeartbeatTime).toBe('1970-01-01T00:01:01Z');
    const down = nodeConditions(prior.status?.conditions, { ...healthy, runtimeReady: false, problems: [] }, 61_000).find((c) => c.type === 'Ready')!;
    expect(down.lastTransitionTime).toBe('1970-01-01T00:01:01Z');
  });

  it('writes memory in Ki', () => expect(memoryQuantity(1536)).toBe('1Ki'));
});
