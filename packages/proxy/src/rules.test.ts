import type { Endpoints, Service } from '@mk/api';
import { buildCleanup, buildRules, endpointChain, isProxyChain, readyEndpoints, serviceChain, type RulesOptions } from './rules';
import { endpoints, service } from './testing/objects';

const opts: RulesOptions = { clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' };

const web = service('default', 'web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] });
const webEps = endpoints('default', 'web', [{ ready: ['10.244.1.3', '10.244.1.2'], notReady: ['10.244.1.9'], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
const webSvc = serviceChain(web, web.spec.ports![0]!);
const sep = (ip: string, port = 8080) => endpointChain(web, web.spec.ports![0]!, { ip, port });

/** The lines of one table's section of the restore input. */
function section(text: string, table: 'nat' | 'filter'): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`*${table}`);
  return lines.slice(start + 1, lines.indexOf('COMMIT', start));
}

describe('buildRules', () => {
  it('writes a NodePort service with two ready endpoints exactly as kube-proxy shapes it', () => {
    const r = buildRules([web], [webEps], { ...opts, existingNatChains: ['MK-SERVICES', 'MK-SVC-STALESTALESTALE2', 'KUBE-SVC-X'] });
    expect(r.restore).toBe(
      [
        '*nat',
        ':MK-SERVICES - [0:0]',
        ':MK-NODEPORTS - [0:0]',
        ':MK-POSTROUTING - [0:0]',
        ':MK-MARK-MASQ - [0:0]',
        `:${webSvc} - [0:0]`,
        `:${sep('10.244.1.2')} - [0:0]`,
        `:${sep('10.244.1.3')} - [0:0]`,
        ':MK-SVC-STALESTALESTALE2 - [0:0]',
        `-A MK-SERVICES -m comment --comment "default/web:http cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 -j ${webSvc}`,
        '-A MK-SERVICES -m comment --comment "mk-proxy: nodeports; must be last" -m addrtype --dst-type LOCAL -j MK-NODEPORTS',
        '-A MK-NODEPORTS -m comment --comment default/web:http -p tcp -m tcp --dport 30080 -j MK-MARK-MASQ',
        `-A MK-NODEPORTS -m comment --comment default/web:http -p tcp -m tcp --dport 30080 -j ${webSvc}`,
        '-A MK-MARK-MASQ -j MARK --or-mark 0x4000',
        '-A MK-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A MK-POSTROUTING -j MARK --xor-mark 0x4000',
        '-A MK-POSTROUTING -m comment --comment "mk-proxy: service traffic requiring SNAT" -j MASQUERADE',
        `-A ${webSvc} -m comment --comment "default/web:http cluster IP" -p tcp -m tcp ! -s 10.244.0.0/16 -d 10.96.0.10/32 --dport 80 -j MK-MARK-MASQ`,
        `-A ${webSvc} -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep('10.244.1.2')}`,
        `-A ${webSvc} -m comment --comment "default/web:http -> 10.244.1.3:8080" -j ${sep('10.244.1.3')}`,
        `-A ${sep('10.244.1.2')} -m comment --comment default/web:http -s 10.244.1.2/32 -j MK-MARK-MASQ`,
        `-A ${sep('10.244.1.2')} -m comment --comment default/web:http -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080`,
        `-A ${sep('10.244.1.3')} -m comment --comment default/web:http -s 10.244.1.3/32 -j MK-MARK-MASQ`,
        `-A ${sep('10.244.1.3')} -m comment --comment default/web:http -p tcp -m tcp -j DNAT --to-destination 10.244.1.3:8080`,
        '-X MK-SVC-STALESTALESTALE2',
        'COMMIT',
        '*filter',
        ':MK-SERVICES - [0:0]',
        ':MK-SERVICE-GUARD - [0:0]',
        '-A MK-SERVICE-GUARD -m comment --comment "mk-proxy: service IP not NATed" -d 10.96.0.0/12 -j REJECT --reject-with icmp-port-unreachable',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(r.ruleCounts).toEqual({ nat: 15, filter: 1 });
    expect(r.servicePorts).toBe(1);
  });

  it('names chains by a stable hash of namespace/name:port and protocol', () => {
    expect(webSvc).toMatch(/^MK-SVC-[A-Z2-7]{16}$/);
    expect(sep('10.244.1.2')).toMatch(/^MK-SEP-[A-Z2-7]{16}$/);
    const again = service('default', 'web', { clusterIP: '10.96.0.99', ports: [{ name: 'http', port: 81 }] });
    expect(serviceChain(again, again.spec.ports![0]!)).toBe(webSvc);
    const udp = service('default', 'web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'UDP' }] });
    expect(serviceChain(udp, udp.spec.ports![0]!)).not.toBe(webSvc);
    const otherNs = service('other', 'web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] });
    expect(serviceChain(otherNs, otherNs.spec.ports![0]!)).not.toBe(webSvc);
  });

  it.each([
    [2, ['0.5000000000', undefined]],
    [3, ['0.3333333333', '0.5000000000', undefined]],
    [4, ['0.2500000000', '0.3333333333', '0.5000000000', undefined]],
  ])('spreads %i endpoints with probabilities 1/(n-i), the last rule unconditional', (n, probabilities) => {
    const ips = Array.from({ length: n }, (_, i) => `10.244.2.${i + 1}`);
    const r = buildRules([web], [endpoints('default', 'web', [{ ready: ips, ports: [{ name: 'http', port: 8080 }] }])], opts);
    const jumps = section(r.restore, 'nat').filter((l) => l.startsWith(`-A ${webSvc} `) && l.includes('-j MK-SEP-'));
    expect(jumps.map((l) => /--probability (\S+)/.exec(l)?.[1])).toEqual(probabilities);
    expect(jumps.map((l) => /-j (\S+)$/.exec(l)?.[1])).toEqual(ips.map((ip) => sep(ip)));
  });

  const noEndpointCases: Array<[string, Service, Endpoints[], string[]]> = [
    [
      'tcp, no Endpoints object: tcp-reset',
      service('ns1', 'a', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] }),
      [],
      ['-A MK-SERVICES -m comment --comment "ns1/a has no endpoints" -p tcp -m tcp -d 10.96.0.20/32 --dport 80 -j REJECT --reject-with tcp-reset'],
    ],
    [
      'udp, only not-ready addresses: icmp-port-unreachable',
      service('ns1', 'dns', { clusterIP: '10.96.0.21', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
      [endpoints('ns1', 'dns', [{ notReady: ['10.244.1.5'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }])],
      ['-A MK-SERVICES -m comment --comment "ns1/dns:dns has no endpoints" -p udp -m udp -d 10.96.0.21/32 --dport 53 -j REJECT --reject-with icmp-port-unreachable'],
    ],
    [
      'NodePort: its node port is refused too',
      service('ns1', 'np', { type: 'NodePort', clusterIP: '10.96.0.22', ports: [{ port: 80, nodePort: 31000 }] }),
      [endpoints('ns1', 'np', [])],
      [
        '-A MK-SERVICES -m comment --comment "ns1/np has no endpoints" -p tcp -m tcp -d 10.96.0.22/32 --dport 80 -j REJECT --reject-with tcp-reset',
        '-A MK-SERVICES -m comment --comment "ns1/np has no endpoints" -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 31000 -j REJECT --reject-with tcp-reset',
      ],
    ],
  ];
  it.each(noEndpointCases)('rejects a service port with no ready endpoint (%s), with no nat chain for it', (_, svc, eps, filterRules) => {
    const r = buildRules([svc], eps, opts);
    expect(section(r.restore, 'filter').filter((l) => l.startsWith('-A MK-SERVICES '))).toEqual(filterRules);
    expect(r.natChains).toEqual(['MK-SERVICES', 'MK-NODEPORTS', 'MK-POSTROUTING', 'MK-MARK-MASQ']);
    expect(section(r.restore, 'nat').filter((l) => l.startsWith('-A MK-SERVICES '))).toHaveLength(1); // only the NodePorts jump
  });

  it.each<[string, Service]>([
    ['headless', service('ns1', 'h', { clusterIP: 'None', ports: [{ port: 80 }] })],
    ['ExternalName', service('ns1', 'x', { type: 'ExternalName', externalName: 'db.example.org', ports: [{ port: 80 }] })],
    ['not yet allocated', service('ns1', 'p', { ports: [{ port: 80 }] })],
  ])('writes nothing for a %s service', (_, svc) => {
    const r = buildRules([svc], [endpoints('ns1', svc.metadata.name!, [{ ready: ['10.244.1.1'], ports: [{ port: 80 }] }])], opts);
    expect(r.restore).toBe(buildRules([], [], opts).restore);
    expect(r.servicePorts).toBe(0);
  });

  it('deletes only stale MK-SVC/MK-SEP chains, never fixed or foreign ones', () => {
    const r = buildRules([web], [webEps], { ...opts, existingNatChains: [webSvc, 'MK-SEP-GONEGONEGONEGONE', 'MK-NODEPORTS', 'MK-HOSTPORTS', 'KUBE-SEP-X', 'DOCKER'] });
    expect(r.restore.split('\n').filter((l) => l.startsWith('-X '))).toEqual(['-X MK-SEP-GONEGONEGONEGONE']);
  });

  it('orders services by namespace/name whatever the input order', () => {
    const a = service('a', 's', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] });
    const b = service('b', 's', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] });
    expect(buildRules([b, a], [], opts).restore).toBe(buildRules([a, b], [], opts).restore);
  });
});

describe('readyEndpoints', () => {
  const cases: Array<[string, Service['spec']['ports'], Endpoints, Array<{ ip: string; port: number }>]> = [
    [
      'named targetPort: the Endpoints port of the same name',
      [{ name: 'web', port: 80, targetPort: 'http' }],
      endpoints('n', 's', [
        { ready: ['10.0.0.2'], ports: [{ name: 'web', port: 8080 }] },
        { ready: ['10.0.0.1'], ports: [{ name: 'web', port: 9090 }] },
      ]),
      [
        { ip: '10.0.0.1', port: 9090 },
        { ip: '10.0.0.2', port: 8080 },
      ],
    ],
    [
      'unnamed port, numeric targetPort, unnamed Endpoints port',
      [{ port: 80, targetPort: 8080 }],
      endpoints('n', 's', [{ ready: ['10.0.0.1'], notReady: ['10.0.0.2'], ports: [{ port: 8080 }] }]),
      [{ ip: '10.0.0.1', port: 8080 }],
    ],
    [
      'another protocol does not match',
      [{ name: 'dns', port: 53, protocol: 'UDP' }],
      endpoints('n', 's', [{ ready: ['10.0.0.1'], ports: [{ name: 'dns', port: 53, protocol: 'TCP' }] }]),
      [],
    ],
    [
      'a port name the subset lacks',
      [{ name: 'metrics', port: 9100 }],
      endpoints('n', 's', [{ ready: ['10.0.0.1'], ports: [{ name: 'web', port: 8080 }] }]),
      [],
    ],
    [
      'an address listed twice counts once; 10.0.0.10 sorts after 10.0.0.9',
      [{ port: 80 }],
      endpoints('n', 's', [
        { ready: ['10.0.0.10', '10.0.0.9'], ports: [{ port: 80 }] },
        { ready: ['10.0.0.9'], ports: [{ port: 80 }] },
      ]),
      [
        { ip: '10.0.0.9', port: 80 },
        { ip: '10.0.0.10', port: 80 },
      ],
    ],
  ];
  it.each(cases)('%s', (_, ports, eps, want) => {
    expect(readyEndpoints(ports![0]!, eps)).toEqual(want);
  });
});

describe('buildCleanup', () => {
  it('flushes then deletes only our chains, per table', () => {
    const svc = 'MK-SVC-CDGGSHYLG3RE2FKL';
    expect(buildCleanup({ nat: ['MK-SERVICES', svc, 'DOCKER', 'MK-HOSTPORTS', 'MK-SVC-A'], filter: ['MK-SERVICE-GUARD', 'KUBE-FORWARD', 'MK-NODEPORTS'] })).toBe(
      ['*nat', ':MK-SERVICES - [0:0]', `:${svc} - [0:0]`, '-X MK-SERVICES', `-X ${svc}`, 'COMMIT', '*filter', ':MK-SERVICE-GUARD - [0:0]', '-X MK-SERVICE-GUARD', 'COMMIT', ''].join('\n'),
    );
    expect(buildCleanup({ nat: ['DOCKER'] })).toBe('');
  });
});

describe('isProxyChain', () => {
  it.each<[string, 'nat' | 'filter' | undefined, boolean]>([
    ['MK-SERVICES', 'nat', true],
    ['MK-SERVICES', 'filter', true],
    ['MK-SERVICE-GUARD', 'filter', true],
    ['MK-SERVICE-GUARD', 'nat', false],
    ['MK-SVC-CDGGSHYLG3RE2FKL', 'nat', true],
    ['MK-SEP-CDGGSHYLG3RE2FKL', undefined, true],
    ['MK-SVC-CDGGSHYLG3RE2FKL', 'filter', false],
    ['MK-SVC-SHORT', 'nat', false],
    ['MK-HOSTPORTS', 'nat', false],
    ['KUBE-SERVICES', 'nat', false],
  ])('%s in %s: %s', (name, table, ours) => {
    expect(isProxyChain(name, table)).toBe(ours);
  });
});
