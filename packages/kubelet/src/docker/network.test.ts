import { planPodNetwork, validatePodNetworkSpec, type PodNetworkSpec } from './network';

const spec: PodNetworkSpec = { name: 'mk-pods', subnet: '10.244.1.0/24', gateway: '10.244.1.1', bridge: 'mk-br0' };

describe('validatePodNetworkSpec', () => {
  test('a good spec passes', () => {
    expect(() => validatePodNetworkSpec(spec)).not.toThrow();
    expect(() => validatePodNetworkSpec({ ...spec, subnet: '10.244.0.0/16', gateway: '10.244.255.254' })).not.toThrow();
  });

  test.each([
    [{ name: '-x' }, /pod network name "-x"/],
    [{ bridge: 'a-bridge-name-too-long' }, /bridge name "a-bridge-name-too-long" must be 1-15/],
    [{ bridge: '' }, /bridge name ""/],
    [{ subnet: '10.244.1.0' }, /subnet "10.244.1.0" is not an IPv4 CIDR/],
    [{ subnet: '10.244.1.0/31' }, /at most \/30/],
    [{ subnet: '10.244.1.300/24' }, /subnet address "10.244.1.300" is not an IPv4 address/],
    [{ subnet: '10.244.1.5/24' }, /subnet 10.244.1.5\/24 has host bits set/],
    [{ gateway: '10.244.2.1' }, /gateway 10.244.2.1 is not a host address inside 10.244.1.0\/24/],
    [{ gateway: '10.244.1.0' }, /gateway 10.244.1.0 is not a host address/],
    [{ gateway: '10.244.1.255' }, /gateway 10.244.1.255 is not a host address/],
    [{ gateway: 'gw' }, /gateway "gw" is not an IPv4 address/],
  ])('%j is refused', (over, message) => {
    expect(() => validatePodNetworkSpec({ ...spec, ...over })).toThrow(message);
  });
});

describe('planPodNetwork', () => {
  test.each([
    [undefined, 'create'],
    [{ subnets: ['10.244.1.0/24'], containers: 3 }, 'keep'],
    [{ subnets: ['10.99.0.0/24'], containers: 0 }, 'recreate'],
    [{ subnets: [], containers: 0 }, 'recreate'],
  ] as const)('%j → %s', (existing, plan) => {
    expect(planPodNetwork(spec, existing === undefined ? undefined : { subnets: [...existing.subnets], containers: existing.containers })).toBe(plan);
  });

  test('another subnet in use is an error saying what to do', () => {
    expect(() => planPodNetwork(spec, { subnets: ['10.99.0.0/24'], containers: 2 })).toThrow(
      'Docker network mk-pods exists with subnet 10.99.0.0/24, not 10.244.1.0/24, and 2 container(s) use it: remove them (or the network) first',
    );
  });
});
