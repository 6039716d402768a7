/**
 * README command 1 for real: `scripts/cluster up` starts three node containers (each a store member,
 * API server, scheduler, controller manager, kubelet on its own dockerd, and proxy), the kubia example
 * runs on them and answers through a NodePort, and `scripts/cluster down --purge` leaves nothing.
 * The cluster gets its own MK_HOME, HOME (no ~/.mk/config link), Docker network, subnet and container
 * names, so it never meets a user's cluster. The node image is cached (built only when its recipe
 * changes: the first run on a machine spends about a minute on it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node, Pod } from '@mk/api';
import type { ApiClient } from '@mk/client';
import { NodeContainers } from './support/node-containers';
import { ROOT, eventually } from './support/processes';

jest.setTimeout(300_000);

const NODE_PORT = 30124;
let cluster: NodeContainers;
let client: ApiClient | undefined;

const nodeIp = (i: number): string => cluster.nodeIp(i);
const mkctl = (args: string[]) => cluster.mkctl(args);

async function httpGet(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return await r.text();
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  cluster = await NodeContainers.up('e');
  client = cluster.client(undefined, 10_000);
});

afterAll(async () => {
  // Cleans up even when a test failed before the `down` test ran (a second down is harmless).
  await cluster?.down().catch(() => undefined);
});

describe('scripts/cluster: three node containers', () => {
  it('up brings three Ready nodes at the fixed addresses and writes the mkctl config', async () => {
    expect(cluster.upOutput).toContain('Three nodes are Ready');
    const nodes = (await client!.list<Node>('nodes')).items;
    const rows = nodes
      .map((n) => [n.metadata.name, n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, n.status?.conditions?.find((c) => c.type === 'Ready')?.status])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(rows).toEqual([0, 1, 2].map((i) => [`node${i + 1}`, nodeIp(i), 'True']));
    expect(readFileSync(path.join(cluster.home, 'config'), 'utf8')).toContain(`servers: [${[0, 1, 2].map((i) => `${nodeIp(i)}:6443`).join(', ')}]`);
    const status = await cluster.cluster(['status']);
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
      `every pod answers through ${cluster.subnet}.1x:${NODE_PORT} (seen so far: ${[...seen].join(' ')})`,
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
    // down() closes every client first: without the bridge a node address would route off the machine.
    client = undefined;
    const down = await cluster.down();
    expect(down.code).toBe(0);
    expect(await cluster.leftovers()).toEqual([]);
  });
});
