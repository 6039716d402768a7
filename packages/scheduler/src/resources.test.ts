import { makeNode, makePod } from './testing/fixtures';
import { DEFAULT_MEMORY_REQUEST, nodeAllocatable, podNonZeroRequests, podRequestResources } from './resources';

describe('resources as numbers', () => {
  it('pod requests: containers summed, init containers by the largest', () => {
    const pod = makePod('p', { cpu: '250m', memory: '64Mi', containers: [{ cpu: '250m', memory: '64Mi' }], initContainers: [{ cpu: '1', memory: '16Mi' }] });
    const r = podRequestResources(pod.spec);
    expect(r.milliCPU).toBe(1000);
    expect(r.memory).toBe(128 * 1024 * 1024);
  });

  it('scoring requests: 100m and 200Mi for a container that requests nothing', () => {
    expect(podNonZeroRequests(makePod('p').spec)).toEqual({ milliCPU: 100, memory: DEFAULT_MEMORY_REQUEST });
    expect(podNonZeroRequests(makePod('p', { cpu: '1', containers: [{}] }).spec)).toEqual({ milliCPU: 1100, memory: 2 * DEFAULT_MEMORY_REQUEST });
  });

  it('node allocatable, falling back to capacity; extended resources as whole units', () => {
    const n = makeNode('n', { cpu: '3500m', memory: '1Gi', pods: '10', extra: { 'nvidia.com/gpu': '2' } });
    expect(nodeAllocatable(n)).toMatchObject({ milliCPU: 3500, memory: 1024 ** 3, allowedPodNumber: 10 });
    expect(nodeAllocatable(n).scalar.get('nvidia.com/gpu')).toBe(2);
    const capOnly = { ...n, status: { capacity: { cpu: '2' } } };
    expect(nodeAllocatable(capOnly).milliCPU).toBe(2000);
  });
});
