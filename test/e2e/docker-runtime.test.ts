/**
 * The Docker adapter of mk-kubelet (packages/kubelet/src/docker) against the host's real dockerd:
 * sandboxes and containers sharing a network namespace on a Docker bridge network made for this
 * run, exec, logs, stop with grace, stats, adoption by a new runtime instance, images.
 *
 * Safety: the pod network is a Docker *internal* bridge on a random free 10.2xx.y.0/24 (checked
 * against every route and address), so nothing in it can reach past the bridge, and a guard
 * REJECTs the subnet on the outside interface as well. The one image pull goes to a closed port
 * on 127.0.0.1. Every container (found by its pod-uid label) and the network are removed at the
 * end, even on failure; leftovers of a killed run (owner pid gone) are swept at the start.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PodRef, RuntimeContainer } from '@mk/kubelet';
import { DockerRuntime, type PodNetworkSpec } from '../../packages/kubelet/src/docker';
import { installGuard, type Guard } from './support/guard';
import { ipToInt, usedRanges } from './support/netns';
import { ROOT, eventually, freePort, pidAlive, run } from './support/processes';

jest.setTimeout(120_000);

/** Marks what this run made, so a later run can sweep it once this process is gone. */
const OWNER_LABEL = 'io.mk.test.owner';
// Not `mkt-<pid36>-<xx>`: test/e2e/support/netns.ts sweeps links named so whose pid is gone, and
// would take this run's bridge (`mkdk-<pid36>-<xx>`) for one of its own.
const NETWORK_PREFIX = 'mkdk-';
const tag = `${process.pid.toString(36)}-${randomInt(36 ** 2).toString(36)}`;
const ownerLabels = { [OWNER_LABEL]: String(process.pid) };

let runtime: DockerRuntime;
let guard: Guard | undefined;
let network: PodNetworkSpec;
let spareSubnets: Array<{ subnet: string; gateway: string }>;
let sharedDir: string;
const podUids = new Set<string>();

function newPod(name: string): PodRef {
  const pod = { uid: randomUUID(), name, namespace: 'e2e' };
  podUids.add(pod.uid);
  return pod;
}

async function docker(args: string[]): Promise<string> {
  const r = await run('docker', args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** Free /24s in 10.200.0.0–10.249.255.0: no route or address of this machine overlaps them. */
async function freeSubnets(count: number): Promise<Array<{ subnet: string; gateway: string }>> {
  const used = await usedRanges();
  const picked: Array<{ subnet: string; gateway: string }> = [];
  for (let i = 0; i < 200 && picked.length < count; i++) {
    const prefix = `10.${200 + randomInt(50)}.${randomInt(256)}`;
    const lo = ipToInt(`${prefix}.0`);
    if (used.some(([a, b]) => a <= lo + 255 && lo <= b) || picked.some((p) => p.subnet === `${prefix}.0/24`)) continue;
    picked.push({ subnet: `${prefix}.0/24`, gateway: `${prefix}.1` });
  }
  if (picked.length < count) throw new Error('no free /24 in 10.200.0.0-10.249.255.255 (every one collides with a route)');
  return picked;
}

/** Containers and networks a run of this test left behind when it was killed (its pid is gone). */
async function sweepStale(): Promise<void> {
  const rows = await docker(['ps', '-a', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.ID}} {{.Label "${OWNER_LABEL}"}}`]);
  const stale = rows
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .filter(([, pid]) => Number(pid) !== process.pid && !pidAlive(Number(pid)))
    .map(([id]) => id!);
  if (stale.length > 0) await docker(['rm', '-f', ...stale]);
  const nets = await docker(['network', 'ls', '--filter', `name=${NETWORK_PREFIX}`, '--format', '{{.Name}}']);
  for (const name of nets.split('\n').filter(Boolean)) {
    const pid = parseInt(name.slice(NETWORK_PREFIX.length).split('-')[0] ?? '', 36);
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) await docker(['network', 'rm', name]).catch(() => undefined);
  }
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

async function waitExited(id: string): Promise<RuntimeContainer> {
  let last: RuntimeContainer | undefined;
  await eventually(`container ${id} exits`, async () => {
    last = await runtime.inspectContainer(id);
    return last?.state === 'exited';
  });
  return last!;
}

/** Creates and starts a container of `pod` in `sandboxId` from the busybox image. */
async function startBusybox(
  pod: PodRef,
  sandboxId: string,
  name: string,
  script: string,
  extra: { attempt?: number; mounts?: Array<{ hostPath: string; containerPath: string; readOnly?: boolean }> } = {},
): Promise<string> {
  const id = await runtime.createContainer({
    pod,
    sandboxId,
    name,
    attempt: extra.attempt ?? 0,
    image: 'mk.local/busybox:1',
    command: ['sh', '-c', script],
    ...(extra.mounts ? { mounts: extra.mounts } : {}),
    labels: ownerLabels,
  });
  await runtime.startContainer(id);
  return id;
}

beforeAll(async () => {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).catch((e: Error) => ({ code: 1, stdout: '', stderr: e.message }));
  if (info.code !== 0) {
    throw new Error(`\`docker info\` failed: no Docker engine answers (\`bash scripts/setup\` installs and starts it): ${info.stderr.trim()}`);
  }
  const images = await run('bash', [path.join(ROOT, 'scripts/images')], { timeoutMs: 180_000 });
  if (images.code !== 0) throw new Error(`scripts/images failed (exit ${images.code}):\n${images.stderr}`);
  await sweepStale();
  const [main, ...spare] = await freeSubnets(3);
  spareSubnets = spare;
  network = { name: `${NETWORK_PREFIX}${tag}`, subnet: main!.subnet, gateway: main!.gateway, bridge: `${NETWORK_PREFIX}${tag}`, internal: true };
  guard = await installGuard({ cidrs: [main!.subnet, ...spare.map((s) => s.subnet)], tag: `${NETWORK_PREFIX}${tag}` });
  runtime = new DockerRuntime();
  await runtime.ensurePodNetwork(network);
  sharedDir = mkdtempSync(path.join(tmpdir(), NETWORK_PREFIX));
});

afterAll(async () => {
  const errors: string[] = [];
  for (const uid of podUids) {
    try {
      const ids = await docker(['ps', '-aq', '--filter', `label=io.mk.pod.uid=${uid}`]);
      if (ids !== '') await docker(['rm', '-f', ...ids.split('\n')]);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (runtime !== undefined && network !== undefined) await runtime.removePodNetwork(network.name).catch((e: Error) => errors.push(e.message));
  await guard?.remove().catch((e: Error) => errors.push(e.message));
  if (sharedDir !== undefined) rmSync(sharedDir, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(`cleanup: ${errors.join('; ')}`);
});

describe('DockerRuntime on the real dockerd', () => {
  const web = newPod('kubia-test');
  let sandboxId: string;
  let webId: string;
  let clientId: string;

  test('a sandbox joins the pod network with the hostname and DNS it was given', async () => {
    const sandbox = await runtime.createSandbox({
      pod: web,
      hostname: 'kubia-test',
      network: network.name,
      dns: { servers: ['10.96.0.10'], searches: ['e2e.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
      labels: ownerLabels,
    });
    sandboxId = sandbox.id;
    expect(sandbox.state).toBe('ready');
    expect(sandbox.pod).toEqual(web);
    expect(sandbox.ip).toMatch(new RegExp(`^${network.subnet.split('.').slice(0, 3).join('\\.')}\\.\\d+$`));
    expect(await docker(['inspect', '-f', '{{.Name}}', sandbox.id])).toBe(`/mk_POD_kubia-test_e2e_${web.uid}_0`);
  });

  test('two containers share localhost and an emptyDir-like host directory', async () => {
    webId = await runtime.createContainer({
      pod: web,
      sandboxId,
      name: 'web',
      attempt: 0,
      image: 'mk.local/web:1',
      mounts: [{ hostPath: sharedDir, containerPath: '/shared' }],
      labels: ownerLabels,
    });
    await runtime.startContainer(webId);
    clientId = await startBusybox(
      web,
      sandboxId,
      'client',
      // The server may need a moment to bind: retry a bounded number of times.
      'for i in $(seq 100); do wget -qO- http://127.0.0.1:8080/ > /shared/answer && break; sleep 0.1; done; ' +
        'cat /shared/answer; hostname > /shared/hostname; cp /etc/resolv.conf /shared/resolv.conf',
      { mounts: [{ hostPath: sharedDir, containerPath: '/shared' }] },
    );
    const client = await waitExited(clientId);
    expect(client.exitCode).toBe(0);
    expect(readFileSync(path.join(sharedDir, 'answer'), 'utf8')).toBe("You've hit kubia-test\n");
    expect(await collect(runtime.logs(clientId))).toEqual(["You've hit kubia-test"]);
    // Containers take the sandbox's hostname and resolv.conf.
    expect(readFileSync(path.join(sharedDir, 'hostname'), 'utf8')).toBe('kubia-test\n');
    const resolv = readFileSync(path.join(sharedDir, 'resolv.conf'), 'utf8');
    expect(resolv).toMatch(/^nameserver 10\.96\.0\.10$/m);
    expect(resolv).toMatch(/^search e2e\.svc\.cluster\.local svc\.cluster\.local$/m);
    expect(resolv).toMatch(/^options ndots:5$/m);
    // The web container sees what the client wrote into the shared directory.
    const seen = await runtime.exec(webId, { command: ['cat', '/shared/hostname'] });
    expect(seen).toEqual({ exitCode: 0, stdout: 'kubia-test\n', stderr: '' });

    const c = await runtime.inspectContainer(clientId);
    expect(c).toMatchObject({ name: 'client', podUid: web.uid, sandboxId, state: 'exited', exitCode: 0, attempt: 0, image: 'mk.local/busybox:1' });
    expect(c!.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(c!.startedAt).toBeGreaterThan(0);
    expect(c!.finishedAt).toBeGreaterThanOrEqual(c!.startedAt!);
    expect(await docker(['inspect', '-f', '{{.Name}}', clientId])).toBe(`/mk_client_kubia-test_e2e_${web.uid}_0`);
  });

  test('a second container with the same name and attempt is refused by name', async () => {
    await expect(
      runtime.createContainer({ pod: web, sandboxId, name: 'client', attempt: 0, image: 'mk.local/busybox:1', labels: ownerLabels }),
    ).rejects.toThrow(/creating container mk_client_kubia-test_e2e_.*_0: .*already in use/);
  });

  test('a missing image or sandbox is named in the error', async () => {
    await expect(
      runtime.createContainer({ pod: web, sandboxId, name: 'ghost', attempt: 0, image: 'mk.local/no-such-image:1', labels: ownerLabels }),
    ).rejects.toThrow(/No such image: mk\.local\/no-such-image:1/);
    await expect(
      runtime.createContainer({ pod: web, sandboxId: 'f'.repeat(64), name: 'ghost', attempt: 0, image: 'mk.local/busybox:1' }),
    ).rejects.toThrow(/no sandbox f{64}/);
  });

  test('command, args, env and workingDir follow Kubernetes semantics', async () => {
    const run1 = await runtime.createContainer({
      pod: web,
      sandboxId,
      name: 'env',
      attempt: 0,
      image: 'mk.local/busybox:1',
      command: ['sh', '-c'],
      args: ['echo "$GREETING from $(pwd)"; echo to-stderr >&2'],
      env: { GREETING: 'hello world' },
      workingDir: '/tmp',
      labels: ownerLabels,
    });
    // args alone replace the image's CMD (busybox: sh) and keep its (empty) ENTRYPOINT. (No
    // newline at the end: the log's last line still comes out.)
    const run2 = await runtime.createContainer({
      pod: web, sandboxId, name: 'args', attempt: 0, image: 'mk.local/busybox:1', args: ['printf', 'args only'], labels: ownerLabels,
    });
    // command alone replaces the image's ENTRYPOINT (web: /serve).
    const run3 = await runtime.createContainer({
      pod: web, sandboxId, name: 'command', attempt: 0, image: 'mk.local/web:1', command: ['echo', 'command only'], labels: ownerLabels,
    });
    for (const id of [run1, run2, run3]) await runtime.startContainer(id);
    for (const id of [run1, run2, run3]) expect((await waitExited(id)).exitCode).toBe(0);
    // stdout and stderr are two pipes: their order in the log is not defined.
    expect((await collect(runtime.logs(run1))).sort()).toEqual(['hello world from /tmp', 'to-stderr']);
    expect(await collect(runtime.logs(run2))).toEqual(['args only']);
    expect(await collect(runtime.logs(run3))).toEqual(['command only']);
  });

  test('exec returns the exit code and stdout/stderr apart, and gives up after its timeout', async () => {
    const r = await runtime.exec(webId, { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(r).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
    await expect(runtime.exec(webId, { command: ['sleep', '30'], timeoutMs: 300 })).rejects.toThrow(
      /exec in container [0-9a-f]+ \(sleep 30\) timed out after 300 ms/,
    );
    await expect(runtime.exec(clientId, { command: ['true'] })).rejects.toThrow(/is not running/);
  });

  test('execStream feeds stdin, streams output and reports the exit code', async () => {
    const session = await runtime.execStream(webId, { command: ['cat'], stdin: true });
    const output = session.output[Symbol.asyncIterator]();
    session.write(Buffer.from('hello through stdin\n'));
    let seen = '';
    while (!seen.includes('hello through stdin\n')) {
      const next = await output.next();
      if (next.done === true) break;
      expect(next.value.stream).toBe(1);
      seen += next.value.data.toString();
    }
    expect(seen).toBe('hello through stdin\n');
    session.closeInput();
    expect((await output.next()).done).toBe(true);
    expect(await session.exitCode).toBe(0);

    const failing = await runtime.execStream(webId, { command: ['sh', '-c', 'echo bye >&2; exit 7'] });
    const chunks: Array<{ stream: number; text: string }> = [];
    for await (const c of failing.output) chunks.push({ stream: c.stream, text: c.data.toString() });
    expect(chunks).toEqual([{ stream: 2, text: 'bye\n' }]);
    expect(await failing.exitCode).toBe(7);

    const tty = await runtime.execStream(webId, { command: ['sh', '-c', 'read line; echo "got $line"; exit 4'], tty: true, stdin: true });
    await tty.resize!(40, 120);
    tty.write(Buffer.from('abc\n'));
    let ttyOut = '';
    for await (const c of tty.output) ttyOut += c.data.toString();
    // A TTY echoes the input and ends lines with \r\n.
    expect(ttyOut).toContain('got abc\r\n');
    expect(await tty.exitCode).toBe(4);
  });

  test('logs: lines, tail, timestamps, since, and follow until the container exits', async () => {
    const go = path.join(sharedDir, 'go');
    const stop = path.join(sharedDir, 'stop');
    const id = await startBusybox(
      web,
      sandboxId,
      'logger',
      'echo first; echo err-line >&2; while [ ! -e /shared/go ]; do sleep 0.05; done; echo second; ' +
        'while [ ! -e /shared/stop ]; do sleep 0.05; done; echo last; printf partial',
      { mounts: [{ hostPath: sharedDir, containerPath: '/shared' }] },
    );
    const follow = runtime.logs(id, { follow: true })[Symbol.asyncIterator]();
    const firstTwo = [(await follow.next()).value, (await follow.next()).value].sort();
    expect(firstTwo).toEqual(['err-line', 'first']);
    writeFileSync(go, '');
    expect(await follow.next()).toEqual({ done: false, value: 'second' });
    writeFileSync(stop, '');
    expect(await follow.next()).toEqual({ done: false, value: 'last' });
    // Docker 20.10's own follow tends to drop a last line without a newline; the runtime's does not.
    expect(await follow.next()).toEqual({ done: false, value: 'partial' });
    expect((await follow.next()).done).toBe(true);

    const exited = await waitExited(id);
    const all = await collect(runtime.logs(id));
    expect([...all].sort()).toEqual(['err-line', 'first', 'last', 'partial', 'second']);
    expect(all.indexOf('second')).toBeLessThan(all.indexOf('last'));
    expect(await collect(runtime.logs(id, { tailLines: 2 }))).toEqual(['last', 'partial']);
    expect(await collect(runtime.logs(id, { tailLines: 0 }))).toEqual([]);
    const stamped = await collect(runtime.logs(id, { timestamps: true, tailLines: 1 }));
    expect(stamped).toHaveLength(1);
    expect(stamped[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z partial$/);
    expect(await collect(runtime.logs(id, { sinceMs: exited.finishedAt! + 60_000 }))).toEqual([]);
    // Following an exited container's log gives what is there and ends.
    const followedTail = await collect(runtime.logs(id, { follow: true, tailLines: 1, timestamps: true }));
    expect(followedTail).toHaveLength(1);
    expect(followedTail[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z partial$/);
    expect(await collect(runtime.logs(id, { follow: true, tailLines: 2 }))).toEqual(['last', 'partial']);
    expect(existsSync(stop)).toBe(true);
  });

  test('a followed log of a quiet container ends when its reader aborts', async () => {
    const id = await startBusybox(web, sandboxId, 'quiet', 'echo hello; exec sleep 3600');
    const aborter = new AbortController();
    const follow = runtime.logs(id, { follow: true, signal: aborter.signal })[Symbol.asyncIterator]();
    expect(await follow.next()).toEqual({ done: false, value: 'hello' });
    const pending = follow.next();
    aborter.abort();
    // Ends without another line and while the container still runs.
    expect((await pending).done).toBe(true);
    expect((await runtime.inspectContainer(id))?.state).toBe('running');
    await runtime.stopContainer(id, 0);
  });

  test('stop: a container that handles SIGTERM exits 0 within its grace; one that ignores it is killed', async () => {
    const polite = await startBusybox(web, sandboxId, 'polite', "trap 'exit 0' TERM; echo ready; while :; do sleep 0.05; done");
    const stubborn = await startBusybox(web, sandboxId, 'stubborn', "trap '' TERM; echo ready; while :; do sleep 0.05; done");
    for (const id of [polite, stubborn]) {
      await eventually(`${id} has installed its trap`, async () => (await collect(runtime.logs(id))).includes('ready'));
    }
    await runtime.stopContainer(polite, 30);
    await runtime.stopContainer(stubborn, 1);
    expect(await runtime.inspectContainer(polite)).toMatchObject({ state: 'exited', exitCode: 0 });
    expect(await runtime.inspectContainer(stubborn)).toMatchObject({ state: 'exited', exitCode: 137 });
    // Stopping or removing what is stopped or gone is not an error.
    await runtime.stopContainer(polite, 1);
    await runtime.removeContainer(polite);
    await runtime.removeContainer(polite);
    await runtime.stopContainer(polite, 1);
    expect(await runtime.inspectContainer(polite)).toBeUndefined();
  });

  test('stats: numbers for a running container, undefined for an exited one', async () => {
    const s = await runtime.stats(webId);
    expect(s).toBeDefined();
    expect(s!.cpuUsageNanos).toBeGreaterThan(0);
    expect(s!.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(s!.timestamp).toBeGreaterThan(0);
    expect(await runtime.stats(clientId)).toBeUndefined();
    expect(await runtime.stats('f'.repeat(64))).toBeUndefined();
  });

  test('a new runtime instance (a restarted kubelet) finds the sandbox and every container by pod uid', async () => {
    const fresh = new DockerRuntime();
    const before = await runtime.listSandboxes({ podUid: web.uid });
    const sandboxes = await fresh.listSandboxes({ podUid: web.uid });
    expect(sandboxes).toEqual(before);
    expect(sandboxes.map((s) => s.id)).toEqual([sandboxId]);
    expect(sandboxes[0]).toMatchObject({ pod: web, state: 'ready' });
    const containers = await fresh.listContainers({ podUid: web.uid });
    expect(containers.map((c) => c.name).sort()).toEqual(['args', 'client', 'command', 'env', 'logger', 'quiet', 'stubborn', 'web']);
    expect(containers.every((c) => c.podUid === web.uid && c.sandboxId === sandboxId)).toBe(true);
    expect((await fresh.listContainers({ podUid: web.uid, state: 'running' })).map((c) => c.id)).toEqual([webId]);
    expect((await fresh.listContainers({ podUid: web.uid, name: 'client' })).map((c) => c.id)).toEqual([clientId]);
    expect(await fresh.listContainers({ podUid: randomUUID() })).toEqual([]);
    // Listed twice (the second from its cache) gives the same answer.
    expect(await fresh.listContainers({ podUid: web.uid })).toEqual(containers);
  });

  test('a stopped sandbox is not ready and has no IP; the next one gets the next attempt', async () => {
    const pod = newPod('short-lived');
    const first = await runtime.createSandbox({ pod, network: network.name, labels: ownerLabels });
    await runtime.stopSandbox(first.id);
    const [stopped] = await runtime.listSandboxes({ podUid: pod.uid });
    expect(stopped).toMatchObject({ id: first.id, state: 'notready' });
    expect(stopped!.ip).toBeUndefined();
    const second = await runtime.createSandbox({ pod, network: network.name, labels: ownerLabels });
    expect(await docker(['inspect', '-f', '{{.Name}}', second.id])).toBe(`/mk_POD_short-lived_e2e_${pod.uid}_1`);
    await runtime.removeSandbox(first.id);
    await runtime.removeSandbox(first.id);
    expect((await runtime.listSandboxes({ podUid: pod.uid })).map((s) => s.id)).toEqual([second.id]);
  });

  test("a host-network sandbox shares the node's network: no pod IP of its own", async () => {
    const pod = newPod('host-net');
    const sandbox = await runtime.createSandbox({
      pod,
      hostname: 'ignored',
      hostNetwork: true,
      dns: { servers: ['10.96.0.10'], searches: ['e2e.svc.cluster.local'], options: [] },
      labels: ownerLabels,
    });
    expect(sandbox.state).toBe('ready');
    expect(sandbox.ip).toBeUndefined();
    expect(await docker(['inspect', '-f', '{{.HostConfig.NetworkMode}}', sandbox.id])).toBe('host');
    const id = await startBusybox(pod, sandbox.id, 'probe', 'cat /etc/resolv.conf; hostname');
    expect((await waitExited(id)).exitCode).toBe(0);
    const lines = await collect(runtime.logs(id));
    expect(lines).toContain('nameserver 10.96.0.10');
    expect(lines[lines.length - 1]).toBe((await run('hostname', [])).stdout.trim());
  });

  test('images: present, absent, and a pull that cannot reach its registry says so', async () => {
    expect(await runtime.imagePresent('mk.local/busybox:1')).toBe(true);
    expect(await runtime.imagePresent('mk.local/busybox')).toBe(false); // means :latest
    expect(await runtime.imagePresent('mk.local/no-such-image:1')).toBe(false);
    const port = await freePort();
    await expect(runtime.pullImage(`127.0.0.1:${port}/mk-missing:1`)).rejects.toThrow(
      new RegExp(`pulling image 127\\.0\\.0\\.1:${port}/mk-missing:1 failed: .*connection refused.*registry is not reachable`),
    );
  });

  test('ensurePodNetwork: idempotent, refuses another subnet while in use, replaces an unused one', async () => {
    const id = await docker(['network', 'inspect', '-f', '{{.Id}}', network.name]);
    await runtime.ensurePodNetwork(network);
    expect(await docker(['network', 'inspect', '-f', '{{.Id}}', network.name])).toBe(id);
    const [spareA, spareB] = spareSubnets;
    await expect(runtime.ensurePodNetwork({ ...network, ...spareA! })).rejects.toThrow(
      new RegExp(`Docker network ${network.name} exists with subnet ${network.subnet.replace(/\./g, '\\.')}, not .* container\\(s\\) use it`),
    );
    const unused = { ...network, ...spareA!, name: `${network.name}-b`, bridge: `${network.bridge}b` };
    try {
      await runtime.ensurePodNetwork(unused);
      await runtime.ensurePodNetwork({ ...unused, ...spareB! });
      expect(await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', unused.name])).toBe(spareB!.subnet);
    } finally {
      await runtime.removePodNetwork(unused.name);
    }
    await runtime.removePodNetwork(unused.name);
    await expect(runtime.ensurePodNetwork({ ...network, bridge: 'much-too-long-bridge' })).rejects.toThrow(/bridge name "much-too-long-bridge"/);
  });

  test('the web image (kubia) exits 0 on SIGTERM, well within its grace', async () => {
    await runtime.stopContainer(webId, 30);
    expect(await runtime.inspectContainer(webId)).toMatchObject({ state: 'exited', exitCode: 0 });
  });
});
