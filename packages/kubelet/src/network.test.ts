import type { Node } from '@mk/api';
import { desiredRoutes, gatewayOf, iptablesRules, routePlan } from './network';

const node = (name: string, cidr?: string, ip?: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: cidr ? { podCIDR: cidr } : {},
  status: ip ? { addresses: [{ type: 'InternalIP', address: ip }] } : {},
});

describe('node network plans', () => {
  it.each([
    ['10.244.1.0/24', '10.244.1.1'],
    ['10.244.0.0/16', '10.244.0.1'],
    ['10.244.3.77/24', '10.244.3.1'],
  ])('gateway of %s is %s', (cidr, gw) => expect(gatewayOf(cidr)).toBe(gw));

  it('refuses what is not a CIDR', () => {
    expect(() => gatewayOf('10.244.1.0')).toThrow(/not an IPv4 CIDR/);
    expect(() => gatewayOf('10.244.1.300/24')).toThrow(/not an IPv4 address/);
  });

  it('routes every other node with a pod CIDR and an address, not itself', () => {
    const nodes = [node('n1', '10.244.1.0/24', '10.0.0.11'), node('n2', '10.244.2.0/24', '10.0.0.12'), node('n3', undefined, '10.0.0.13'), node('n4', '10.244.4.0/24')];
    expect(desiredRoutes(nodes, 'n1')).toEqual([{ cidr: '10.244.2.0/24', via: '10.0.0.12' }]);
  });

  it('plans replacements for new or moved routes and removals for gone ones', () => {
    const plan = routePlan(
      [
        { cidr: '10.244.2.0/24', via: '10.0.0.12' },
        { cidr: '10.244.3.0/24', via: '10.0.0.13' },
        { cidr: '10.244.9.0/24', via: '10.0.0.19' },
      ],
      [
        { cidr: '10.244.2.0/24', via: '10.0.0.12' },
        { cidr: '10.244.3.0/24', via: '10.0.0.99' },
        { cidr: '10.244.4.0/24', via: '10.0.0.14' },
      ],
    );
    expect(plan).toEqual({
      replace: [
        { cidr: '10.244.3.0/24', via: '10.0.0.99' },
        { cidr: '10.244.4.0/24', via: '10.0.0.14' },
      ],
      remove: ['10.244.9.0/24'],
    });
  });

  it('keeps pod-to-pod traffic un-NATed except marked flows, and accepts it in FORWARD', () => {
    const rules = iptablesRules('10.244.1.0/24', '10.244.0.0/16');
    const nat = rules.find((r) => r.table === 'nat')!;
    expect(nat.chain).toBe('POSTROUTING');
    expect(nat.spec.join(' ')).toMatch(/^-s 10.244.1.0\/24 -d 10.244.0.0\/16 -m mark ! --mark 0x4000\/0x4000 .* -j RETURN$/);
    expect(rules.filter((r) => r.chain === 'MK-POD-FORWARD').map((r) => r.spec.at(-1))).toEqual(['ACCEPT', 'ACCEPT', 'ACCEPT']);
  });
});
