/**
 * Cluster DNS on each node, answered from the Service and Endpoints caches:
 *
 *   <svc>.<ns>.svc.<domain>            A: the ClusterIP; headless: the ready endpoint IPs;
 *                                      ExternalName: a CNAME (not followed: there is no upstream)
 *   <hostname>.<svc>.<ns>.svc.<domain> A: a headless service's endpoint with that hostname
 *   _<port>._<proto>.<svc>.<ns>.svc.<domain>  SRV: the named port, target <svc>.<ns>.svc.<domain>
 *   <a-b-c-d>.<ns>.pod.<domain>        A: a.b.c.d
 *
 * A name that exists but has no record of the asked type: NOERROR, no answers. An unknown name
 * inside the domain: NXDOMAIN. A name outside it: REFUSED; nothing is forwarded off the node (this
 * machine has no outside network, and a cluster DNS must not leak queries). TTL 5 s.
 *
 * `answer()` is pure (bytes in, bytes out); `DnsServer` puts it on UDP and TCP (RFC 1035 2-byte
 * length framing). A malformed query gets FORMERR when its header is readable, else is dropped;
 * never a crash.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Endpoints, Service } from '@mk/api';
import { type Logger, nullLogger } from '@mk/shared';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type RcodeName = keyof typeof RCODE;

export const DNS_TTL_SECONDS = 5;
/** Without EDNS a UDP answer holds at most 512 bytes (RFC 1035). */
const UDP_DEFAULT_SIZE = 512;

/** What DNS reads: the informers' caches. */
export interface ClusterDnsView {
  service(namespace: string, name: string): Service | undefined;
  endpoints(namespace: string, name: string): Endpoints | undefined;
  /** Whether any service lives in the namespace (so `<ns>.svc.<domain>` exists). */
  hasNamespace(namespace: string): boolean;
}

export interface DnsOptions {
  /** e.g. cluster.local */
  domain: string;
  ttlSeconds?: number;
}

export interface Resolution {
  rcode: RcodeName;
  answers: dnsPacket.Answer[];
  additionals: dnsPacket.Answer[];
}

const NO: Resolution = { rcode: 'NXDOMAIN', answers: [], additionals: [] };
const EMPTY: Resolution = { rcode: 'NOERROR', answers: [], additionals: [] };

/** dns-packet decodes qtype 255 as 'ANY', which its RecordType omits. */
const isAny = (type: string): boolean => type === 'ANY';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Validates a `--cluster-domain`: lower-case labels, no leading/trailing dot. */
export function checkClusterDomain(domain: string): string {
  const d = domain.replace(/\.$/, '').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(d)) {
    throw new Error(`cluster domain ${JSON.stringify(domain)} is not a DNS name like cluster.local`);
  }
  return d;
}

/** The records for one question (name compared case-insensitively, trailing dot ignored). */
export function resolve(question: dnsPacket.Question, view: ClusterDnsView, opts: DnsOptions): Resolution {
  const domain = opts.domain;
  const ttl = opts.ttlSeconds ?? DNS_TTL_SECONDS;
  const name = question.name.replace(/\.$/, '').toLowerCase();
  if (name !== domain && !name.endsWith(`.${domain}`)) return { ...EMPTY, rcode: 'REFUSED' };
  const labels = name === domain ? [] : name.slice(0, -(domain.length + 1)).split('.');
  const a = (owner: string, ips: string[]): dnsPacket.Answer[] => ips.map((ip) => ({ type: 'A', name: owner, ttl, class: 'IN', data: ip }));
  const wantsA = question.type === 'A' || isAny(question.type);
  const addresses = (owner: string, ips: string[]): Resolution => ({ rcode: 'NOERROR', answers: wantsA ? a(owner, ips) : [], additionals: [] });

  if (labels.length === 0) return EMPTY;
  const kind = labels[labels.length - 1];
  if (kind === 'pod') {
    if (labels.length === 1) return EMPTY;
    if (labels.length !== 3) return NO;
    const ip = labels[0]!.replace(/-/g, '.');
    return IPV4.test(ip) ? addresses(question.name, [ip]) : NO;
  }
  if (kind !== 'svc') return NO;
  if (labels.length === 1) return EMPTY;
  const ns = labels[labels.length - 2]!;
  if (labels.length === 2) return view.hasNamespace(ns) ? EMPTY : NO;
  const svcName = labels[labels.length - 3]!;
  const svc = view.service(ns, svcName);
  if (!svc) return NO;
  const svcOwner = `${svcName}.${ns}.svc.${domain}`;
  const headless = svc.spec.clusterIP === 'None';
  const endpointIps = (pred: (hostname: string | undefined) => boolean) => {
    const out: string[] = [];
    for (const s of view.endpoints(ns, svcName)?.subsets ?? []) {
      const addrs = [...(s.addresses ?? []), ...(svc.spec.publishNotReadyAddresses ? (s.notReadyAddresses ?? []) : [])];
      for (const ad of addrs) if (pred(ad.hostname) && !out.includes(ad.ip)) out.push(ad.ip);
    }
    return out;
  };

  if (labels.length === 3) {
    if (svc.spec.type === 'ExternalName') {
      const target = (svc.spec.externalName ?? '').replace(/\.$/, '');
      if (!target) return EMPTY;
      return { rcode: 'NOERROR', answers: [{ type: 'CNAME', name: question.name, ttl, class: 'IN', data: target }], additionals: [] };
    }
    if (headless) return addresses(question.name, endpointIps(() => true));
    if (!svc.spec.clusterIP) return EMPTY; // not allocated yet
    return addresses(question.name, [svc.spec.clusterIP]);
  }
  if (labels.length === 4) {
    // <hostname>.<svc>: a headless service's pod.
    if (!headless) return NO;
    const ips = endpointIps((h) => h === labels[0]);
    return ips.length > 0 ? addresses(question.name, ips) : NO;
  }
  if (labels.length === 5 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
    const portName = labels[0]!.slice(1);
    const proto = labels[1]!.slice(1);
    const port = (svc.spec.ports ?? []).find((p) => p.name?.toLowerCase() === portName && (p.protocol ?? 'TCP').toLowerCase() === proto);
    if (!port) return NO;
    if (question.type !== 'SRV' && !isAny(question.type)) return EMPTY;
    const ips = headless ? endpointIps(() => true) : svc.spec.clusterIP ? [svc.spec.clusterIP] : [];
    return {
      rcode: 'NOERROR',
      answers: [{ type: 'SRV', name: question.name, ttl, class: 'IN', data: { priority: 0, weight: 100, port: port.port, target: svcOwner } }],
      additionals: a(svcOwner, ips),
    };
  }
  return NO;
}

/** Header fields dns-packet decodes but its types omit. */
const opcodeOf = (flags: number) => (flags >> 11) & 0xf;
const QR = 0x8000;

export interface AnswerResult {
  /** The response bytes; undefined: drop (unreadable, or not a query). */
  response?: Buffer;
  rcode?: RcodeName;
}

/**
 * A response to one DNS message. `maxSize` bounds the response (UDP: 512 or the client's EDNS
 * size); a larger answer is sent truncated (TC) so the client retries over TCP.
 */
export function answer(query: Buffer, view: ClusterDnsView, opts: DnsOptions & { maxSize?: number }): AnswerResult {
  if (query.length < 12 || (query.readUInt16BE(2) & QR) !== 0) return {}; // no header, or a response: never answer those
  const id = query.readUInt16BE(0);
  const rd = query.readUInt16BE(2) & dnsPacket.RECURSION_DESIRED;
  const reply = (rcode: RcodeName, rest: Partial<dnsPacket.Packet> = {}, extraFlags = 0): AnswerResult => ({
    rcode,
    response: dnsPacket.encode({ id, type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER | rd | extraFlags | RCODE[rcode], questions: [], ...rest }),
  });
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(query);
  } catch {
    return reply('FORMERR');
  }
  if (opcodeOf(packet.flags ?? 0) !== 0) return reply('NOTIMP');
  const questions = packet.questions ?? [];
  if (questions.length !== 1) return reply('FORMERR', { questions });
  const q = questions[0]!;
  if (q.class && q.class !== 'IN' && q.class !== 'ANY') return reply('REFUSED', { questions });
  const r = resolve(q, view, opts);
  const full = reply(r.rcode, { questions, answers: r.answers, additionals: r.additionals });
  const opt = (packet.additionals ?? []).find((x): x is dnsPacket.OptAnswer => x.type === 'OPT');
  const limit = opts.maxSize === undefined ? Infinity : Math.max(opts.maxSize, opt?.udpPayloadSize ?? 0, UDP_DEFAULT_SIZE);
  if (full.response!.length <= limit) return full;
  return reply(r.rcode, { questions }, dnsPacket.TRUNCATED_RESPONSE);
}

export interface DnsObserver {
  query(transport: 'udp' | 'tcp', rcode: RcodeName | 'dropped'): void;
}

export interface DnsServerOptions extends DnsOptions {
  view: ClusterDnsView;
  host: string;
  /** 0: the kernel picks one (UDP's, then TCP on the same number). */
  port: number;
  logger?: Logger;
  observer?: DnsObserver;
  /** Idle TCP connections are closed after this long (default 10 s). */
  tcpIdleMs?: number;
}

/** UDP and TCP on one host:port. */
export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly logger: Logger;

  constructor(private readonly o: DnsServerOptions) {
    this.logger = o.logger ?? nullLogger;
  }

  /** Listens on UDP and TCP; resolves with the port. */
  async start(): Promise<number> {
    const udp = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    this.udp = udp;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', (e) => reject(new Error(`DNS cannot listen on udp ${this.o.host}:${this.o.port}: ${e.message}`)));
      udp.bind(this.o.port, this.o.host, () => resolve());
    });
    udp.on('error', (e) => this.logger.warn('dns udp socket error', { error: e.message }));
    udp.on('message', (msg, rinfo) => {
      const r = this.safeAnswer(msg, UDP_DEFAULT_SIZE);
      this.o.observer?.query('udp', r.rcode ?? 'dropped');
      if (r.response) udp.send(r.response, rinfo.port, rinfo.address);
    });
    const port = udp.address().port;
    const tcp = net.createServer((sock) => this.serveTcp(sock));
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', (e) => reject(new Error(`DNS cannot listen on tcp ${this.o.host}:${port}: ${e.message}`)));
      tcp.listen(port, this.o.host, () => resolve());
    });
    return port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  private safeAnswer(msg: Buffer, maxSize?: number): AnswerResult {
    try {
      return answer(msg, this.o.view, { domain: this.o.domain, ttlSeconds: this.o.ttlSeconds, maxSize });
    } catch (e) {
      // A bug of ours must not take the node's DNS down: say SERVFAIL if the header is readable.
      this.logger.warn('dns answer failed', { error: (e as Error).message });
      if (msg.length < 12) return {};
      const id = msg.readUInt16BE(0);
      return { rcode: 'SERVFAIL', response: dnsPacket.encode({ id, type: 'response', flags: RCODE.SERVFAIL, questions: [] }) };
    }
  }

  private serveTcp(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.setTimeout(this.o.tcpIdleMs ?? 10_000, () => sock.destroy());
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        const r = this.safeAnswer(msg);
        this.o.observer?.query('tcp', r.rcode ?? 'dropped');
        if (!r.response) {
          sock.destroy();
          return;
        }
        const head = Buffer.alloc(2);
        head.writeUInt16BE(r.response.length);
        sock.write(Buffer.concat([head, r.response]));
      }
    });
  }
}

/** A ClusterDnsView over informer caches (`Informer.store` fits). */
export function storeView(
  services: { getByName(ns: string, name: string): Service | undefined; byIndex(index: string, value: string): Service[] },
  endpoints: { getByName(ns: string, name: string): Endpoints | undefined },
): ClusterDnsView {
  return {
    service: (ns, name) => services.getByName(ns, name),
    endpoints: (ns, name) => endpoints.getByName(ns, name),
    hasNamespace: (ns) => services.byIndex('namespace', ns).length > 0,
  };
}
