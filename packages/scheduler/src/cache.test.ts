import { SchedulerCache } from './cache';
import { newPodInfo } from './pod-info';
import { makeNode, makePod, podInfo } from './testing/fixtures';

describe('SchedulerCache: assume, confirm, forget', () => {
  function setup() {
    const cache = new SchedulerCache();
    cache.addNode(makeNode('n1', { cpu: '4' }));
    cache.addNode(makeNode('n2', { cpu: '4' }));
    return cache;
  }

  it('an assumed pod takes its resources at once', () => {
    const cache = setup();
    cache.assumePod(podInfo('p', { cpu: '3' }), 'n1');
    expect(cache.isAssumed('default/p')).toBe(true);
    expect(cache.getNode('n1')!.requested.milliCPU).toBe(3000);
    expect(cache.getNode('n1')!.pods.get('default/p')!.nodeName).toBe('n1');
  });

  it('forget takes the assumption back', () => {
    const cache = setup();
    cache.assumePod(podInfo('p', { cpu: '3' }), 'n1');
    cache.forgetPod('default/p');
    expect(cache.isAssumed('default/p')).toBe(false);
    expect(cache.getPod('default/p')).toBeUndefined();
    expect(cache.getNode('n1')!.requested.milliCPU).toBe(0);
    expect(cache.getNode('n1')!.pods.size).toBe(0);
  });

  it("the informer's bound pod confirms it; forget then changes nothing", () => {
    const cache = setup();
    cache.assumePod(podInfo('p', { cpu: '3' }), 'n1');
    cache.finishBinding('default/p');
    cache.addPod(newPodInfo(makePod('p', { cpu: '3', nodeName: 'n1', resourceVersion: '2' })));
    expect(cache.isAssumed('default/p')).toBe(false);
    cache.forgetPod('default/p');
    expect(cache.getNode('n1')!.requested.milliCPU).toBe(3000);
    expect(cache.podCount()).toBe(1);
  });

  it('a confirmation on another node than assumed moves the pod', () => {
    const cache = setup();
    cache.assumePod(podInfo('p', { cpu: '3' }), 'n1');
    cache.addPod(newPodInfo(makePod('p', { cpu: '3', nodeName: 'n2' })));
    expect(cache.getNode('n1')!.requested.milliCPU).toBe(0);
    expect(cache.getNode('n2')!.requested.milliCPU).toBe(3000);
  });

  it('assuming a pod twice is refused', () => {
    const cache = setup();
    cache.assumePod(podInfo('p'), 'n1');
    expect(() => cache.assumePod(podInfo('p'), 'n2')).toThrow(/already in the scheduler cache/);
  });

  it('removing a pod frees its resources and ports', () => {
    const cache = setup();
    cache.addPod(newPodInfo(makePod('p', { cpu: '1', nodeName: 'n1', ports: [{ containerPort: 80, hostPort: 80 }] })));
    expect(cache.getNode('n1')!.usedPorts.size).toBe(1);
    cache.removePod('default/p');
    expect(cache.getNode('n1')!.requested.milliCPU).toBe(0);
    expect(cache.getNode('n1')!.usedPorts.size).toBe(0);
  });

  it('pods of an unknown node wait in a node-less NodeInfo, never offered to plugins', () => {
    const cache = setup();
    cache.addPod(newPodInfo(makePod('p', { cpu: '1', nodeName: 'later' })));
    expect(cache.nodeList().map((n) => n.name)).toEqual(['n1', 'n2']);
    cache.addNode(makeNode('later'));
    expect(cache.getNode('later')!.requested.milliCPU).toBe(1000);
    expect(cache.nodeList().map((n) => n.name)).toEqual(['later', 'n1', 'n2']);
  });

  it('a removed node with pods keeps them until they go', () => {
    const cache = setup();
    cache.addPod(newPodInfo(makePod('p', { cpu: '1', nodeName: 'n1' })));
    cache.removeNode('n1');
    expect(cache.getNode('n1')).toBeUndefined();
    expect(cache.nodeList().map((n) => n.name)).toEqual(['n2']);
    cache.addNode(makeNode('n1'));
    expect(cache.getNode('n1')!.pods.size).toBe(1);
  });

  it('counts pods with affinity terms through assume, forget, confirm and remove', () => {
    const cache = setup();
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'kubernetes.io/hostname' }] } };
    cache.assumePod(podInfo('p', { affinity: anti }), 'n1');
    expect([cache.podsWithAffinity(), cache.podsWithRequiredAntiAffinity()]).toEqual([1, 1]);
    cache.forgetPod('default/p');
    expect([cache.podsWithAffinity(), cache.podsWithRequiredAntiAffinity()]).toEqual([0, 0]);
    cache.assumePod(podInfo('p', { affinity: anti }), 'n1');
    cache.addPod(newPodInfo(makePod('p', { affinity: anti, nodeName: 'n1' })));
    cache.addPod(newPodInfo(makePod('q', { nodeName: 'n2' })));
    expect([cache.podsWithAffinity(), cache.podsWithRequiredAntiAffinity()]).toEqual([1, 1]);
    cache.removePod('default/p');
    expect([cache.podsWithAffinity(), cache.podsWithRequiredAntiAffinity()]).toEqual([0, 0]);
  });
});
