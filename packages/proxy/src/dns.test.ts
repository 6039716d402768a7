import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Endpoints, Service } from '@mk/api';
import { DnsServer, RCODE, type ClusterDnsView, type RcodeName } from './dns';
import { endpoints, service } from './testing/objects';

const services: Service[] = [
  service('default', 'web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }),
  service('shop', 'db', { clusterIP: 'None', ports: [{ port: 5432 }] }),
  service('shop', 'nobody', { clusterIP: 'None', ports: [{ port: 5432 }] }),
  service('shop', 'ext', { type: 'ExternalName', externalName: 'db.example.org' }),
  service('shop', 'many', { clusterIP: 'None', ports: [{ port: 80 }] }),
];
const eps: Endpoints[] = [
  endpoints('shop', 'db', [{ ready: ['10.244.1.2', '10.244.2.3'], notReady: ['10.244.3.4'], ports: [{ port: 5432 }], hostnames: { '10.244.2.3': 'db-1' } }]),
  endpoints('shop', 'many', [{ ready: Array.from({ length: 60 }, (_, i) => `10.244.9.${i + 1}`), ports: [{ port: 80 }] }]),
];
const view: ClusterDnsView = {
  service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
  endpoints: (ns, name) => eps.find((e) => e.metadata.namespace === ns && e.metadata.name === name),
  hasNamespace: (ns) => services.some((s) => s.metadata.namespace === ns),
};

const rcodeName = (flags: number): RcodeName => (Object.keys(RCODE) as RcodeName[]).find((k) => RCODE[k] === (flags & 0xf))!;

let server: DnsServer;
let port: number;
let client: dgram.Socket;
let nextId = 1;

beforeAll(async () => {
  server = new DnsServer({ view, domain: 'cluster.local', host: '127.0.0.1', port: 0 });
  port = await server.start();
  client = dgram.createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  client.close();
  await server.stop();
});

/** Sends raw bytes over UDP; resolves with the reply, or undefined after `waitMs` without one. */
function udpRaw(msg: Buffer, waitMs = 300): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const onMessage = (reply: Buffer) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(reply);
    };
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      resolve(undefined);
    }, waitMs);
    client.on('message', onMessage);
    client.send(msg, port, '127.0.0.1');
  });
}

async function query(name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}) {
  const id = nextId++;
  const reply = await udpRaw(dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }], ...extra }), 5000);
  if (!reply) throw new Error(`no reply for ${name}`);
  const p = dnsPacket.decode(reply);
  expect(p.id).toBe(id);
  return { p, rcode: rcodeName(p.flags ?? 0), data: (p.answers ?? []).map((a) => `${a.type} ${'data' in a ? (typeof a.data === 'object' ? JSON.stringify(a.data) : String(a.data)) : ''}`) };
}

describe('cluster DNS over UDP', () => {
  it.each<[string, dnsPacket.RecordType, RcodeName, string[]]>([
    ['web.default.svc.cluster.local', 'A', 'NOERROR', ['A 10.96.0.10']],
    ['WEB.Default.svc.cluster.local.', 'A', 'NOERROR', ['A 10.96.0.10']],
    ['web.default.svc.cluster.local', 'AAAA', 'NOERROR', []],
    ['web.default.svc.cluster.local', 'TXT', 'NOERROR', []],
    ['db.shop.svc.cluster.local', 'A', 'NOERROR', ['A 10.244.1.2', 'A 10.244.2.3']],
    ['db-1.db.shop.svc.cluster.local', 'A', 'NOERROR', ['A 10.244.2.3']],
    ['db-9.db.shop.svc.cluster.local', 'A', 'NXDOMAIN', []],
    ['nobody.shop.svc.cluster.local', 'A', 'NOERROR', []],
    ['ext.shop.svc.cluster.local', 'A', 'NOERROR', ['CNAME db.example.org']],
    ['_http._tcp.web.default.svc.cluster.local', 'SRV', 'NOERROR', ['SRV {"priority":0,"weight":100,"port":80,"target":"web.default.svc.cluster.local"}']],
    ['_dns._udp.web.default.svc.cluster.local', 'SRV', 'NOERROR', ['SRV {"priority":0,"weight":100,"port":53,"target":"web.default.svc.cluster.local"}']],
    ['_dns._tcp.web.default.svc.cluster.local', 'SRV', 'NXDOMAIN', []],
    ['10-244-1-7.shop.pod.cluster.local', 'A', 'NOERROR', ['A 10.244.1.7']],
    ['10-244-1-999.shop.pod.cluster.local', 'A', 'NXDOMAIN', []],
    ['missing.default.svc.cluster.local', 'A', 'NXDOMAIN', []],
    ['web.nons.svc.cluster.local', 'A', 'NXDOMAIN', []],
    ['default.svc.cluster.local', 'A', 'NOERROR', []],
    ['nons.svc.cluster.local', 'A', 'NXDOMAIN', []],
    ['web.default.svc.cluster.local.default.svc.cluster.local', 'A', 'NXDOMAIN', []],
    ['web.cluster.local', 'A', 'NXDOMAIN', []],
    ['cluster.local', 'A', 'NOERROR', []],
    ['example.com', 'A', 'REFUSED', []],
    ['web.default.svc.cluster.local.example.com', 'A', 'REFUSED', []],
    ['notcluster.local', 'A', 'REFUSED', []],
  ])('%s %s → %s %j', async (name, type, rcode, data) => {
    const r = await query(name, type);
    expect(r.rcode).toBe(rcode);
    expect(r.data).toEqual(data);
    expect(r.p.flag_aa).toBe(true);
    expect(r.p.flag_rd).toBe(true);
    expect(r.p.questions).toEqual([{ name: name.replace(/\.$/, ''), type, class: 'IN' }]); // the case as asked (dns-packet drops the root dot)
    for (const a of r.p.answers ?? []) expect('ttl' in a ? a.ttl : undefined).toBe(5);
  });

  it('gives SRV answers the target address as an additional record', async () => {
    const r = await query('_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect((r.p.additionals ?? []).map((a) => [a.type, a.name, 'data' in a ? a.data : undefined])).toEqual([['A', 'web.default.svc.cluster.local', '10.96.0.10']]);
  });

  it('truncates an answer too large for 512 bytes (TC set), and sends it whole over TCP', async () => {
    const r = await query('many.shop.svc.cluster.local');
    expect(r.p.flag_tc).toBe(true);
    expect(r.data).toEqual([]);
    const tcp = await tcpQuery([dnsPacket.encode({ id: 77, type: 'query', questions: [{ name: 'many.shop.svc.cluster.local', type: 'A' }] })]);
    expect(tcp).toHaveLength(1);
    expect(tcp[0]!.flag_tc).toBe(false);
    expect(tcp[0]!.answers).toHaveLength(60);
  });

  it('honours a larger EDNS UDP size', async () => {
    const r = await query('many.shop.svc.cluster.local', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
    expect(r.p.flag_tc).toBe(false);
    expect(r.data).toHaveLength(60);
  });

  it('answers FORMERR to garbage with a readable header, drops what has none, and keeps serving', async () => {
    const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), Buffer.from([0x3f, 0x61])]);
    const reply = await udpRaw(garbage, 5000);
    expect(reply).toBeDefined();
    expect(reply!.readUInt16BE(0)).toBe(0x1234);
    expect(rcodeName(reply!.readUInt16BE(2))).toBe('FORMERR');
    expect(await udpRaw(Buffer.from([1, 2, 3]))).toBeUndefined();
    // A response (QR set) is never answered: no reflection loops.
    const response = dnsPacket.encode({ id: 9, type: 'response', questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }] });
    expect(await udpRaw(response)).toBeUndefined();
    // Two questions in one query: FORMERR.
    const two = dnsPacket.encode({ id: 10, type: 'query', questions: [{ name: 'a.cluster.local', type: 'A' }, { name: 'b.cluster.local', type: 'A' }] });
    expect(rcodeName((await udpRaw(two, 5000))!.readUInt16BE(2))).toBe('FORMERR');
    expect((await query('web.default.svc.cluster.local')).data).toEqual(['A 10.96.0.10']);
  });

  it('answers NOTIMP to another opcode', async () => {
    const q = dnsPacket.encode({ id: 11, type: 'query', flags: 2 << 11, questions: [{ name: 'web.default.svc.cluster.local', type: 'A' }] });
    const reply = await udpRaw(q, 5000);
    expect(rcodeName(reply!.readUInt16BE(2))).toBe('NOTIMP');
  });
});

/** Sends each message over one TCP connection (2-byte length framing, all in one write); resolves with the replies. */
function tcpQuery(messages: Buffer[]): Promise<dnsPacket.DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const replies: dnsPacket.DecodedPacket[] = [];
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length === messages.length) {
        sock.end();
        resolve(replies);
      }
    });
    sock.write(Buffer.concat(messages.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
  });
}

describe('cluster DNS over TCP', () => {
  it('answers several framed queries on one connection, in order', async () => {
    const names = ['web.default.svc.cluster.local', 'missing.default.svc.cluster.local', 'example.com'];
    const replies = await tcpQuery(names.map((name, i) => dnsPacket.encode({ id: 100 + i, type: 'query', questions: [{ name, type: 'A' }] })));
    expect(replies.map((p) => [p.id, rcodeName(p.flags ?? 0), (p.answers ?? []).length])).toEqual([
      [100, 'NOERROR', 1],
      [101, 'NXDOMAIN', 0],
      [102, 'REFUSED', 0],
    ]);
  });
});
