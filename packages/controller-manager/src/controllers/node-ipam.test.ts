import type { Node } from '@mk/api';
import { ApiError } from '@mk/client';
import { nullLogger } from '@mk/shared';
import { FakeCluster } from '../testing/fake-cluster';
import { nodeFixture } from '../testing/fixtures';
import { runQueue } from '../testing/queue';
import { nullRecorder } from '../types';
import { CidrSet } from '../util/cidr';
import { NodeIpamController } from './node-ipam';

function setup(opts: { clusterCidr?: string; nodeCidrMaskSize?: number } = {}, existing: Node[] = []) {
  const cluster = new FakeCluster();
  cluster.add(...existing);
  const ipam = new NodeIpamController({ client: cluster, informers: cluster, clock: cluster.clock, logger: nullLogger, recorder: nullRecorder }, opts);
  return { cluster, ipam };
}

const cidrOf = (c: FakeCluster, n: string) => c.object<Node>('nodes', n)!.spec?.podCIDR;

describe('node IPAM', () => {
  it('gives every node a distinct /24 of 10.244.0.0/16 in podCIDR and podCIDRs', async () => {
    const { cluster, ipam } = setup();
    for (let i = 0; i < 20; i++) cluster.add(nodeFixture(`n${i}`, 'True'));
    await runQueue(ipam);
    const cidrs = Array.from({ length: 20 }, (_, i) => cidrOf(cluster, `n${i}`));
    expect(new Set(cidrs).size).toBe(20);
    expect(cidrs[0]).toBe('10.244.0.0/24');
    expect(cidrs.every((c) => /^10\.244\.\d+\.0\/24$/.test(c!))).toBe(true);
    expect(cluster.object<Node>('nodes', 'n3')!.spec!.podCIDRs).toEqual([cidrOf(cluster, 'n3')]);
  });

  it('rebuilds the allocations from the nodes that have one (a restart or a new leader)', async () => {
    const { cluster, ipam } = setup({}, [nodeFixture('old1', 'True', undefined, { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] }), nodeFixture('old2', 'True', undefined, { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] })]);
    cluster.add(nodeFixture('new', 'True'));
    await runQueue(ipam);
    expect(cidrOf(cluster, 'new')).toBe('10.244.2.0/24');
    expect(cluster.writes().map((a) => a.name)).toEqual(['new']);
  });

  it('frees the subnet of a deleted node', async () => {
    const { cluster, ipam } = setup({ clusterCidr: '10.0.0.0/23', nodeCidrMaskSize: 24 });
    cluster.add(nodeFixture('a', 'True'), nodeFixture('b', 'True'));
    await runQueue(ipam);
    cluster.add(nodeFixture('c', 'True'));
    await expect(runQueue(ipam)).rejects.toThrow(/no pod CIDR left in 10.0.0.0\/23/);
    const freed = cidrOf(cluster, 'a');
    cluster.remove('nodes', 'a');
    await ipam.sync('c');
    expect(cidrOf(cluster, 'c')).toBe(freed);
  });

  it('retries a failed write with the same subnet', async () => {
    const { cluster, ipam } = setup();
    cluster.add(nodeFixture('a', 'True'));
    cluster.fail('update', 'nodes', () => ApiError.unavailable('down'));
    await expect(ipam.sync('a')).rejects.toThrow('down');
    cluster.add(nodeFixture('b', 'True'));
    await ipam.sync('b');
    await ipam.sync('a');
    expect(cidrOf(cluster, 'a')).toBe('10.244.0.0/24');
    expect(cidrOf(cluster, 'b')).toBe('10.244.1.0/24');
  });
});

describe('CidrSet', () => {
  it('cuts, allocates round-robin, occupies and releases', () => {
    const s = new CidrSet('192.168.0.0/22', 24);
    expect(s.capacity).toBe(4);
    expect(s.occupy('192.168.1.0/24')).toBe(true);
    expect(s.occupy('10.0.0.0/24')).toBe(false);
    expect(s.occupy('192.168.1.0/25')).toBe(false);
    expect([s.allocateNext(), s.allocateNext(), s.allocateNext(), s.allocateNext()]).toEqual(['192.168.0.0/24', '192.168.2.0/24', '192.168.3.0/24', undefined]);
    s.release('192.168.2.0/24');
    expect(s.allocateNext()).toBe('192.168.2.0/24');
    expect(s.allocated).toBe(4);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', 'x/8', '10.0.0.256/24'])('refuses %s', (c) => {
    expect(() => new CidrSet(c, 24)).toThrow();
  });

  it('refuses a mask size shorter than the cluster prefix', () => {
    expect(() => new CidrSet('10.0.0.0/16', 8)).toThrow(/between/);
  });
});
