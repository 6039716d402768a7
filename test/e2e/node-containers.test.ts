/**
 * README command 1 for real: `scripts/cluster up` starts three node containers (each a store member,
 * API server, scheduler, controller manager, kubelet on its own dockerd, and proxy), the kubia example
 * runs on them and answers through a NodePort, and `scripts/cluster down --purge` leaves nothing.
 * The cluster gets its own MK_HOME, HOME (no ~/.mk/config link), Docker network, subnet and container
 * names, so it never meets a user's cluster. The node image is cached (built only when its recipe
 * changes: the first run on a machine spends about a minute on it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, Pod } from '@mk/api';
import { ApiClient } from '@mk/client';
import { requireDocker } from './support/node-cluster';
import { ROOT, eventually, pidAlive, run } from './support/processes';

jest.setTimeout(300_000);

const CLUSTER = path.join(ROOT, 'scripts/cluster');
const tag = `mkt-${process.pid.toString(36)}`;
const network = `${tag}-nodes`;
const prefix = `${tag}-`;
const home = mkdtempSync(path.join(os.tmpdir(), 'mk-node-containers-'));
const NODE_PORT = 30124;
let subnet = '';
let env: NodeJS.ProcessEnv = {};
let client: ApiClient | undefined;
let upOutput = '';

/** A 172.30.N.0/24 no route of this machine touches (the script checks again and refuses a clash). */
async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show'])).stdout;
  for (let n = 100; n < 250; n++) {
    if (!routes.includes(`172.30.${n}.`)) return `172.30.${n}`;
  }
  throw new Error('no free 172.30.N.0/24 for the nodes network (ip -4 route shows 172.30.100-249 all in use)');
}

function cluster(args: string[], timeoutMs = 60_000, withEnv: NodeJS.ProcessEnv = env): ReturnType<typeof run> {
  return run('bash', [CLUSTER, ...args], { env: withEnv, timeoutMs, cwd: ROOT });
}

/** Clusters of earlier runs killed before their cleanup (network mkt-<pid base 36>-nodes, pid gone). */
async function sweepStaleClusters(): Promise<void> {
  const nets = (await run('docker', ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  for (const net of nets) {
    const m = /^(mkt-([0-9a-z]+))-nodes$/.exec(net);
    if (!m || pidAlive(parseInt(m[2]!, 36))) continue;
    const subnetOf = (await run('docker', ['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', net])).stdout.trim().replace(/\.0\/24$/, '');
    const r = await cluster(['down', '--purge'], 120_000, { ...process.env, HOME: home, MK_HOME: path.join(home, 'stale'), MK_NODES_NETWORK: net, MK_NODES_SUBNET: subnetOf, MK_NODE_PREFIX: `${m[1]}-` });
    if (r.code !== 0) throw new Error(`removing the stale cluster ${net} failed: ${r.stderr}`);
  }
}

function mkctl(args: string[]): ReturnType<typeof run> {
  return run(process.execPath, [path.join(ROOT, 'packages/mkctl/dist/bin/mkctl.js'), ...args], { env, timeoutMs: 30_000 });
}

function nodeIp(i: number): string {
  return `${subnet}.${11 + i}`;
}

async function httpGet(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return await r.text();
  } catch {
    return undefined;
  }
}

/** What `down` must leave: no container, network or volume of this cluster, no guard rule. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const ps = await run('docker', ['ps', '-a', '--filter', `label=io.mk.cluster=${network}`, '--format', '{{.Names}}']);
  if (ps.stdout.trim() !== '') found.push(`containers: ${ps.stdout.trim()}`);
  if ((await run('docker', ['network', 'inspect', network])).code === 0) found.push(`network ${network}`);
  const vols = (await run('docker', ['volume', 'ls', '-q', '--filter', `name=${network}-`])).stdout.trim();
  if (vols !== '') found.push(`volumes: ${vols}`);
  const rules = (await run('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`mk-cluster-guard:${network}`));
  if (rules.length > 0) found.push(`guard rules: ${rules.join('; ')}`);
  return found;
}

beforeAll(async () => {
  await requireDocker();
  await sweepStaleClusters();
  subnet = await freeSubnet();
  env = { ...process.env, HOME: home, MK_HOME: home, MKCONFIG: path.join(home, 'config'), MK_NODES_NETWORK: network, MK_NODES_SUBNET: subnet, MK_NODE_PREFIX: prefix, MK_LOG_LEVEL: 'warn' };
  const up = await cluster(['up'], 280_000);
  upOutput = `${up.stdout}\n${up.stderr}`;
  if (up.code !== 0) throw new Error(`scripts/cluster up failed (exit ${up.code}):\n${upOutput.slice(-6000)}`);
  client = new ApiClient({ servers: [0, 1, 2].map((i) => `${nodeIp(i)}:6443`), timeoutMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  // Cleans up even when a test failed before the `down` test ran (a second down is harmless).
  await cluster(['down', '--purge'], 120_000).catch(() => undefined);
  rmSync(home, { recursive: true, force: true });
});

describe('scripts/cluster: three node containers', () => {
  it('up brings three Ready nodes at the fixed addresses and writes the mkctl config', async () => {
    expect(upOutput).toContain('Three nodes are Ready');
    const nodes = (await client!.list<Node>('nodes')).items;
    const rows = nodes
      .map((n) => [n.metadata.name, n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, n.status?.conditions?.find((c) => c.type === 'Ready')?.status])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rows).toEqual([0, 1, 2].map((i) => [`node${i + 1}`, nodeIp(i), 'True']));
    expect(readFileSync(path.join(home, 'config'), 'utf8')).toContain(`servers: [${[0, 1, 2].map((i) => `${nodeIp(i)}:6443`).join(', ')}]`);
    const status = await cluster(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout.match(/\| +true +\|/g)).toHaveLength(1); // one store leader among three members
    expect(status.stdout).toMatch(/mk-scheduler\s+node[123]/);
  });

  it('runs the kubia example on several nodes and answers through a NodePort on every node', async () => {
    const apply = await mkctl(['apply', '-f', path.join(ROOT, 'deploy/examples/')]);
    expect(apply.stderr).toBe('');
    expect(apply.stdout).toBe('deployment.apps/kubia created\nservice/kubia created\n');
    const expose = await mkctl(['expose', 'deployment', 'kubia', '--type', 'NodePort', '--name', 'kubia-nodeport', '--port', '80', '--target-port', '8080', '--node-port', String(NODE_PORT)]);
    expect(expose.stdout).toBe('service/kubia-nodeport exposed\n');

    let pods: Pod[] = [];
    await eventually(
      'three kubia pods Running and Ready',
      async () => {
        pods = (await client!.list<Pod>('pods', { namespace: 'default', labelSelector: { app: 'kubia' } })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
        return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
      },
      120_000,
    );
    const nodesUsed = new Set(pods.map((p) => p.spec.nodeName));
    expect(nodesUsed.size).toBeGreaterThanOrEqual(2);

    const names = new Set(pods.map((p) => p.metadata.name));
    const seen = new Set<string>();
    await eventually(
      `every pod answers through ${subnet}.1x:${NODE_PORT} (seen so far: ${[...seen].join(' ')})`,
      async () => {
        for (let i = 0; i < 3; i++) {
          const body = await httpGet(`http://${nodeIp(i)}:${NODE_PORT}/`);
          const m = /^You've hit (\S+)\n$/.exec(body ?? '');
          if (m) {
            expect(names).toContain(m[1]);
            seen.add(m[1]!);
          }
        }
        return seen.size === 3;
      },
      60_000,
    );
  });

  it('down --purge removes containers, network, volumes and the host guard', async () => {
    // No client may outlive the nodes' network: without its bridge their addresses route off the machine.
    client?.close();
    client = undefined;
    const down = await cluster(['down', '--purge'], 120_000);
    expect(down.code).toBe(0);
    expect(await leftovers()).toEqual([]);
  });
});
