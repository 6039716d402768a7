/**
 * mk-proxy end to end, with real iptables and a real process. Three network namespaces on a
 * bridge (test/e2e/support/netns.ts):
 *
 *   host: test process, 1-member mk-store, API server on the bridge's host address
 *   ├─ hosts[0] "node": the real mk-proxy (rules in its namespace, DNS on <node>:53)
 *   ├─ hosts[1] pod "a": busybox httpd on :8080
 *   └─ hosts[2] pod "b": busybox httpd on :8080
 *
 * Safety: before anything else, a guard REJECTs the service and cluster CIDRs on the host's
 * outside interface (test/e2e/support/guard.ts); the namespaces have no default route. In the node
 * the service CIDR is routed to eth0 (the bridge), so a connection to a ClusterIP has a route to
 * be DNATed on; the pods route it via the node. The proxy's own MK-SERVICE-GUARD rejects whatever
 * is left un-DNATed, and the host's guard would catch it again.
 *
 * Run: npx jest test/e2e/proxy.test.ts --selectProjects e2e
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import type { Endpoints, Service } from '@mk/api';
import { ApiClient } from '@mk/client';
import { ApiServers } from './support/api-servers';
import { type Guard, guardTag, installGuard, sweepStaleGuards } from './support/guard';
import { NetnsNetwork, type NetnsHost } from './support/netns';
import { Daemon, ROOT, eventually, run } from './support/processes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(240_000);

const MK_PROXY = path.join(ROOT, 'packages/proxy/dist/bin/mk-proxy.js');
const SERVICE_CIDR = '10.96.0.0/16';
const CLUSTER_CIDR = '10.244.0.0/16';
const NS = 'default';
const HTTP_PORT = 10256;

let guard: Guard | undefined;
let net: NetnsNetwork | undefined;
let store: StoreCluster | undefined;
let apis: ApiServers | undefined;
let client: ApiClient | undefined;
let proxy: Daemon | undefined;
const pods: Daemon[] = [];
const webRoot = mkdtempSync(path.join(tmpdir(), 'mk-proxy-e2e-'));
let node: NetnsHost;
let podA: NetnsHost;
let podB: NetnsHost;

const inHost = (host: NetnsHost, cmd: string, args: string[], timeoutMs = 15_000) => run(host.spawnPrefix[0]!, [...host.spawnPrefix.slice(1), cmd, ...args], { timeoutMs });
const inNode = (cmd: string, args: string[], timeoutMs = 15_000) => inHost(node, cmd, args, timeoutMs);

/**
 * `busybox wget` from inside the node: the body, or the error. (No `-T`: Debian's busybox 1.35
 * wget segfaults with it; `run`'s timeout bounds a hang instead.)
 */
async function wget(url: string, from?: NetnsHost): Promise<{ ok: boolean; body: string; error: string }> {
  const r = await inHost(from ?? node, 'busybox', ['wget', '-q', '-O', '-', url]);
  return { ok: r.code === 0, body: r.stdout.trim(), error: r.stderr.trim() };
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

async function requireBusybox(): Promise<void> {
  const r = await run('busybox', ['--list']).catch(() => undefined);
  const applets = new Set((r?.stdout ?? '').split('\n'));
  const missing = ['httpd', 'wget'].filter((a) => !applets.has(a));
  if (!r || r.code !== 0 || missing.length > 0) {
    throw new Error(`busybox with httpd and wget is required (missing: ${missing.join(', ') || 'busybox'}); \`bash scripts/setup\` installs busybox-static`);
  }
}

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec };
}

function eps(name: string, ready: string[], notReady: string[] = []): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace: NS },
    subsets: [
      {
        ...(ready.length ? { addresses: ready.map((ip) => ({ ip })) } : {}),
        ...(notReady.length ? { notReadyAddresses: notReady.map((ip) => ({ ip })) } : {}),
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' as const }],
      },
    ],
  };
}

/** The MK- lines of iptables-save in the node. */
async function nodeProxyRules(): Promise<string[]> {
  const r = await inNode('iptables-save', []);
  if (r.code !== 0) throw new Error(`iptables-save in the node failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.includes('MK-'));
}

/** One DNS query over UDP from the host to the node's port 53. */
function dnsQuery(name: string, type: dnsPacket.RecordType = 'A'): Promise<{ rcode: number; answers: string[] }> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer for ${name} from ${node.address}:53`));
    }, 5000);
    sock.on('message', (msg) => {
      const p = dnsPacket.decode(msg);
      if (p.id !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve({ rcode: (p.flags ?? 0) & 0xf, answers: (p.answers ?? []).map((a) => ('data' in a ? String(a.data) : '')) });
    });
    sock.send(dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] }), 53, node.address);
  });
}

/** The real mk-proxy in the node's namespace; resolves once it is ready (rules written). */
async function startProxy(): Promise<Daemon> {
  const [cmd, ...prefix] = node.spawnPrefix;
  const d = Daemon.spawn('mk-proxy', cmd!, [
    ...prefix,
    process.execPath,
    MK_PROXY,
    '--server', apis!.addresses().join(','),
    '--node-name', 'node-1',
    '--cluster-cidr', CLUSTER_CIDR,
    '--service-cluster-ip-range', SERVICE_CIDR,
    '--dns-listen', `${node.address}:53`,
    '--http-listen', `${node.address}:${HTTP_PORT}`,
    '--min-sync-period', '200ms',
    '--log-level', 'debug',
  ]);
  await eventually(`mk-proxy ready`, async () => {
    if (!d.running()) throw new Error(`mk-proxy exited:\n${d.output.slice(-3000)}`);
    return fetch(`http://${node.address}:${HTTP_PORT}/readyz`).then((r) => r.status === 200, () => false);
  });
  return d;
}

beforeAll(async () => {
  await requireBusybox();
  const build = await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'packages/proxy'], { cwd: ROOT, timeoutMs: 180_000 });
  if (build.code !== 0) throw new Error(`building packages/proxy failed:\n${build.stdout}${build.stderr}`);

  // 1. The guard, before any namespace, route or rule exists.
  await sweepStaleGuards();
  guard = await installGuard({ cidrs: [SERVICE_CIDR, CLUSTER_CIDR], tag: guardTag('proxy') });

  // 2. Hosts, store, API server on the bridge's host address.
  net = await NetnsNetwork.create(3);
  [node, podA, podB] = net.hosts as [NetnsHost, NetnsHost, NetnsHost];
  store = await StoreCluster.create(1);
  apis = await ApiServers.start(1, store.endpoints(), { host: net.hostAddress, extraArgs: ['--service-cluster-ip-range', SERVICE_CIDR] });
  client = new ApiClient({ servers: apis.addresses() });

  // 3. The node: forwards (NodePort traffic goes on to the pods), and routes the service CIDR to
  // the bridge so a ClusterIP connection gets as far as the DNAT. It has no default route, so its
  // own guard installs nothing.
  const nodeGuard = await installGuard({ cidrs: [SERVICE_CIDR, CLUSTER_CIDR], tag: guardTag('proxy-node'), netns: node.ns });
  expect(nodeGuard.installed).toEqual([]);
  await inNode('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']).then((r) => {
    if (r.code !== 0) throw new Error(`sysctl ip_forward in the node: ${r.stderr}`);
  });
  await must(node.spawnPrefix[0]!, [...node.spawnPrefix.slice(1), 'ip', 'route', 'add', SERVICE_CIDR, 'dev', 'eth0']);

  // 4. The pods: busybox httpd naming its backend. Their service traffic goes through the node,
  // as a pod's goes through its node's bridge.
  for (const host of [podA, podB]) await must(host.spawnPrefix[0]!, [...host.spawnPrefix.slice(1), 'ip', 'route', 'add', SERVICE_CIDR, 'via', node.address]);
  for (const [name, host] of [['a', podA], ['b', podB]] as const) {
    const dir = path.join(webRoot, name);
    await must('mkdir', ['-p', dir]);
    writeFileSync(path.join(dir, 'index.html'), `backend-${name}\n`);
    const [cmd, ...prefix] = host.spawnPrefix;
    pods.push(Daemon.spawn(`pod-${name}`, cmd!, [...prefix, 'busybox', 'httpd', '-f', '-p', `${host.address}:8080`, '-h', dir]));
  }
  for (const [i, [name, host]] of ([['a', podA], ['b', podB]] as const).entries()) {
    await eventually(`pod ${name} serves`, async () => {
      if (!pods[i]!.running()) throw new Error(`pod ${name}'s httpd exited: ${pods[i]!.output}`);
      return (await wget(`http://${host.address}:8080/`)).body === `backend-${name}`;
    });
  }

  // 5. The proxy, in the node.
  proxy = await startProxy();
});

afterAll(async () => {
  const errors: string[] = [];
  const attempt = async (what: string, f: () => Promise<unknown> | undefined) => {
    try {
      await f();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  await attempt('mk-proxy', () => proxy?.stop('SIGKILL'));
  for (const p of pods) await attempt(p.name, () => p.stop('SIGKILL'));
  client?.close();
  await attempt('api servers', () => apis?.destroy());
  await attempt('store', () => store?.destroy());
  // The namespaces (with the proxy's rules inside them) go before the guard.
  await attempt('network', () => net?.destroy());
  await attempt('guard', () => guard?.remove());
  rmSync(webRoot, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`cleanup: ${errors.join('; ')}`);
});

function dump(): string {
  return `--- mk-proxy\n${proxy?.output.slice(-4000) ?? ''}\n${apis?.outputs() ?? ''}`;
}

describe('mk-proxy', () => {
  let clusterIP: string;
  let nodePort: number;

  it('spreads ClusterIP connections over both ready backends', async () => {
    const created = await client!.create('services', svc('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] }));
    clusterIP = created.spec.clusterIP!;
    nodePort = created.spec.ports![0]!.nodePort!;
    expect(clusterIP).toMatch(/^10\.96\./);
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    await client!.create('endpoints', eps('web', [podA.address, podB.address]));

    await eventually(`http://${clusterIP}/ answers (${dump()})`, async () => (await wget(`http://${clusterIP}:80/`)).ok);
    const seen = new Map<string, number>();
    for (let i = 0; i < 40; i++) {
      const r = await wget(`http://${clusterIP}:80/`);
      expect(r.error).toBe('');
      seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['backend-a', 'backend-b']);
    expect([...seen.values()].reduce((a, b) => a + b)).toBe(40);
  });

  it('stops sending to a backend that is no longer ready', async () => {
    await client!.update('endpoints', { ...(await client!.get<Endpoints>('endpoints', NS, 'web')), subsets: eps('web', [podA.address], [podB.address]).subsets });
    // Once the rules have changed, every request lands on a.
    await eventually('only backend a answers', async () => (await nodeProxyRules()).every((l) => !l.includes(`${podB.address}:8080`)));
    const bodies = new Set<string>();
    for (let i = 0; i < 20; i++) bodies.add((await wget(`http://${clusterIP}:80/`)).body);
    expect([...bodies]).toEqual(['backend-a']);
  });

  it('serves pods whose traffic crosses the node, including a pod reaching itself (hairpin)', async () => {
    for (const from of [podB, podA]) {
      const bodies = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const r = await wget(`http://${clusterIP}:80/`, from);
        expect(r.error).toBe('');
        bodies.add(r.body);
      }
      expect([...bodies]).toEqual(['backend-a']);
    }
  });

  it('reaches the service through its NodePort on the node address, from the host', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`http://${node.address}:${nodePort}/`);
      expect(res.status).toBe(200);
      bodies.add((await res.text()).trim());
    }
    expect([...bodies]).toEqual(['backend-a']);
  });

  it('refuses a connection to a service without endpoints (does not hang)', async () => {
    const empty = await client!.create('services', svc('empty', { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }));
    const ip = empty.spec.clusterIP!;
    await eventually('the empty service has its REJECT rule', async () => (await nodeProxyRules()).some((l) => l.includes(`-d ${ip}/32`) && l.includes('tcp-reset')));
    const r = await wget(`http://${ip}:80/`);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/refused/i);
    // And a port the service does not have is not let out un-NATed: the proxy's guard rejects it.
    const other = await wget(`http://${ip}:81/`);
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/refused|unreachable/i);
  });

  it('answers cluster DNS on the node: the ClusterIP, NXDOMAIN for an unknown name, REFUSED outside the domain', async () => {
    expect(await dnsQuery('web.default.svc.cluster.local')).toEqual({ rcode: 0, answers: [clusterIP] });
    expect(await dnsQuery('nosuch.default.svc.cluster.local')).toEqual({ rcode: 3, answers: [] });
    expect(await dnsQuery('example.com')).toEqual({ rcode: 5, answers: [] });
    // A pod's resolver: busybox nslookup in pod b with the node as its server.
    const r = await inHost(podB, 'busybox', ['nslookup', 'web.default.svc.cluster.local', node.address]);
    expect(r.stdout).toContain(clusterIP);
  });

  it('serves its metrics', async () => {
    const text = await (await fetch(`http://${node.address}:${HTTP_PORT}/metrics`)).text();
    expect(text).toMatch(/mkproxy_sync_proxy_rules_total\{result="success"\} [1-9]/);
    expect(text).toMatch(/kubeproxy_sync_proxy_rules_iptables_total\{table="nat"\} [1-9]/);
    expect(text).toMatch(/mkproxy_dns_queries_total\{transport="udp",rcode="NXDOMAIN"\} [1-9]/);
  });

  it('removes every MK- chain and jump on SIGTERM', async () => {
    expect((await nodeProxyRules()).length).toBeGreaterThan(0);
    await proxy!.stop('SIGTERM');
    expect(await proxy!.waitExit()).toBe(0);
    expect(await nodeProxyRules()).toEqual([]);
  });

  it('leaves its rules when killed -9, and `mk-proxy --cleanup` removes them', async () => {
    proxy = await startProxy();
    await proxy.stop('SIGKILL');
    const left = await nodeProxyRules();
    expect(left.some((l) => l.startsWith(':MK-SVC-'))).toBe(true);
    // The service still works without the process: the rules are the data path.
    expect((await wget(`http://${clusterIP}:80/`)).body).toBe('backend-a');
    const r = await inNode(process.execPath, [MK_PROXY, '--cleanup']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removed 8 jump\(s\) and \d+ chain\(s\)/);
    expect(await nodeProxyRules()).toEqual([]);
  });
});
