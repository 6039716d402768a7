/**
 * deploy/vagrant/Vagrantfile with the docker provider, for real: `vagrant up --provider docker` starts
 * three node containers of mk.local/node, they become three Ready nodes, and `vagrant destroy -f`
 * leaves nothing (containers, their volumes, the nodes' network, the host's guard rules).
 * Its own Docker network, subnet and container names (MK_VAGRANT_*), Vagrant state in a temporary
 * directory (VAGRANT_DOTFILE_PATH, VAGRANT_HOME), so it never meets a user's cluster or scripts/cluster's.
 * VAGRANT_CHECKPOINT_DISABLE: Vagrant would otherwise ask HashiCorp's server for a newer version.
 * The node image must exist (scripts/cluster up builds it and caches it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireDocker } from './support/node-cluster';
import { ROOT, eventually, freePortRun, pidAlive, run } from './support/processes';

jest.setTimeout(240_000);

const VAGRANT_DIR = path.join(ROOT, 'deploy/vagrant');
const DOCKER_HOST = path.join(VAGRANT_DIR, 'docker-host');
const NODES = ['node1', 'node2', 'node3'];
const tag = `mkvt-${process.pid.toString(36)}`;
const network = tag;
const prefix = `${tag}-`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mk-vagrant-'));
let subnet = '';
let env: NodeJS.ProcessEnv = {};
let volumes: string[] = [];
let sshPort = 0;

function vagrantEnv(net: string, sub: string, pre: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    VAGRANT_CWD: VAGRANT_DIR,
    VAGRANT_DOTFILE_PATH: path.join(dir, '.vagrant'),
    VAGRANT_HOME: path.join(dir, 'vagrant.d'),
    VAGRANT_CHECKPOINT_DISABLE: '1',
    MK_VAGRANT_NETWORK: net,
    MK_VAGRANT_SUBNET: sub,
    MK_VAGRANT_PREFIX: pre,
    MK_LOG_LEVEL: 'warn',
    MK_VAGRANT_SSH_PORT: String(sshPort),
  };
}

function vagrant(args: string[], timeoutMs: number): ReturnType<typeof run> {
  return run('vagrant', args, { env, timeoutMs, cwd: dir });
}

async function requireVagrant(): Promise<void> {
  const v = await run('vagrant', ['--version'], { env: { ...process.env, VAGRANT_CHECKPOINT_DISABLE: '1' } }).catch(() => undefined);
  if (!v || v.code !== 0) throw new Error('this test needs vagrant on PATH: `bash scripts/setup` installs it (apt-get install --no-install-recommends vagrant)');
}

/** A 172.30.N.0/24 no route of this machine touches, counted down from 249 (node-containers counts up from 100). */
async function freeSubnet(): Promise<string> {
  const routes = (await run('ip', ['-4', 'route', 'show'])).stdout;
  for (let n = 249; n >= 150; n--) {
    if (!routes.includes(`172.30.${n}.`)) return `172.30.${n}`;
  }
  throw new Error('no free 172.30.N.0/24 for the nodes network (ip -4 route shows 172.30.150-249 all in use)');
}

/** Clusters of earlier runs killed before their destroy (network mkvt-<pid base 36>, pid gone). */
async function sweepStaleClusters(): Promise<void> {
  const nets = (await run('docker', ['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  for (const net of nets) {
    const m = /^mkvt-([0-9a-z]+)$/.exec(net);
    if (!m || pidAlive(parseInt(m[1]!, 36))) continue;
    const ids = (await run('docker', ['ps', '-aq', '--filter', `label=io.mk.cluster=${net}`])).stdout.split('\n').filter((x) => x !== '');
    if (ids.length > 0) await run('docker', ['rm', '-f', '-v', ...ids], { timeoutMs: 60_000 });
    const r = await run(DOCKER_HOST, ['down', net], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`removing the stale cluster ${net} failed: ${r.stderr}`);
  }
}

/** `vagrant ssh node1 -c "mkctl get nodes -o wide"`, as the README says, parsed. */
async function nodesSeenFrom(node: string): Promise<string[][]> {
  const r = await vagrant(['ssh', node, '-c', 'mkctl get nodes -o wide'], 30_000);
  if (r.code !== 0) return [];
  return r.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/));
}

/** What `vagrant destroy` must leave: nothing of this cluster. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const ps = (await run('docker', ['ps', '-a', '--filter', `label=io.mk.cluster=${network}`, '--format', '{{.Names}}'])).stdout.trim();
  if (ps !== '') found.push(`containers: ${ps}`);
  if ((await run('docker', ['network', 'inspect', network])).code === 0) found.push(`network ${network}`);
  for (const v of volumes) if ((await run('docker', ['volume', 'inspect', v])).code === 0) found.push(`volume ${v}`);
  const rules = (await run('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`mk-vagrant-guard:${network}`));
  if (rules.length > 0) found.push(`guard rules: ${rules.join('; ')}`);
  if (existsSync(`/run/lock/mk-vagrant-${network}.lock`)) found.push(`lock file /run/lock/mk-vagrant-${network}.lock`);
  return found;
}

beforeAll(async () => {
  await requireDocker();
  await requireVagrant();
  await sweepStaleClusters();
  subnet = await freeSubnet();
  sshPort = await freePortRun(3); // vagrant ssh: node1..node3 on sshPort..sshPort+2
  env = vagrantEnv(network, subnet, prefix);
});

afterAll(async () => {
  // Cleans up even when a test failed before the destroy test ran (a second destroy is harmless).
  if (env.VAGRANT_CWD) await vagrant(['destroy', '-f'], 120_000).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy/vagrant: the docker provider', () => {
  it('vagrant up --provider docker brings three Ready nodes behind the host guard; vagrant ssh node1 -c "mkctl get nodes" shows them', async () => {
    const up = await vagrant(['up', '--provider', 'docker'], 150_000);
    if (up.code !== 0) throw new Error(`vagrant up failed (exit ${up.code}):\n${`${up.stdout}\n${up.stderr}`.slice(-6000)}`);

    const rules = (await run('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`mk-vagrant-guard:${network}`));
    for (const cidr of ['10.244.0.0/16', '10.96.0.0/16', `${subnet}.0/24`]) expect(rules.some((l) => l.includes(`-A OUTPUT -d ${cidr}`))).toBe(true);

    const status = await vagrant(['status', '--machine-readable'], 60_000);
    const states = status.stdout.split('\n').filter((l) => l.split(',')[2] === 'state').map((l) => l.split(',').slice(1, 4).join(' '));
    expect(states.sort()).toEqual(NODES.map((n) => `${n} state running`));

    let rows: string[][] = [];
    await eventually(
      `three Ready nodes seen through vagrant ssh node1 (last seen: ${JSON.stringify(rows)})`,
      async () => {
        rows = await nodesSeenFrom('node1');
        return rows.length === 3 && rows.every((r) => r[1] === 'Ready');
      },
      120_000,
    );
    expect(rows.map((r) => [r[0], r[1], r[5]]).sort()).toEqual(NODES.map((n, i) => [n, 'Ready', `${subnet}.${11 + i}`]));
  });

  it('vagrant destroy -f leaves no container, volume, network or guard rule', async () => {
    for (const n of NODES) {
      const mounts = await run('docker', ['inspect', '-f', '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}', `${prefix}${n}`]);
      volumes.push(...mounts.stdout.trim().split(/\s+/).filter((v) => v !== ''));
    }
    expect(volumes).toHaveLength(2 * NODES.length); // /var/lib/docker and /var/lib/mk of each node
    const destroy = await vagrant(['destroy', '-f'], 120_000);
    if (destroy.code !== 0) throw new Error(`vagrant destroy failed (exit ${destroy.code}):\n${destroy.stdout}\n${destroy.stderr}`);
    expect(await leftovers()).toEqual([]);
  });
});
