import { podLimits, podQOSClass, podRequests } from './resources';
import type { Container, PodSpec } from './types';

const c = (name: string, resources?: Container['resources']): Container => ({ name, image: 'i', ...(resources ? { resources } : {}) });

describe('podRequests / podLimits', () => {
  test('sum over containers, at least the largest init container', () => {
    const spec: PodSpec = {
      initContainers: [c('init', { requests: { cpu: '2', memory: '10Mi' } })],
      containers: [c('a', { requests: { cpu: '500m', memory: '64Mi' } }), c('b', { requests: { cpu: '250m', memory: '64Mi' } })],
    };
    const r = podRequests(spec);
    expect(r.cpu?.toString()).toBe('2'); // the init container needs more than the sum
    expect(r.memory?.toString()).toBe('128Mi');
    expect(Object.keys(podLimits(spec))).toEqual([]);
  });
});

describe('QoS class', () => {
  test.each([
    [[c('a')], 'BestEffort'],
    [[c('a', { requests: { cpu: '100m' } })], 'Burstable'],
    [[c('a', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'],
    [[c('a', { limits: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'], // requests default to limits
    [[c('a', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } })], 'Burstable'],
    [[c('a', { limits: { cpu: '1', memory: '1Gi' } }), c('b')], 'Burstable'],
    [[c('a', { limits: { cpu: '1' } })], 'Burstable'],
    [[c('a', { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: '1', memory: '1Gi' } })], 'Guaranteed'],
  ] as const)('%j → %s', (containers, qos) => {
    expect(podQOSClass({ containers: [...containers] })).toBe(qos);
  });
});
