import type { ConfigMap, Pod } from '@mk/api';
import { FakeClock, nullLogger } from '@mk/shared';
import { CrashLoopBackOff } from './backoff';
import { PodSyncer, type EventType, type PodProbes } from './pod-sync';
import { FakeRuntime } from './testing/fake-runtime';
import { makePod } from './testing/fixtures';

class RecordingProbes implements PodProbes {
  readonly updates: Array<{ uid: string; ip?: string; running: string[] }> = [];
  readonly removed: string[] = [];
  readonly ready = new Map<string, boolean>();
  update(pod: Pod, podIP: string | undefined, running: ReadonlyMap<string, { id: string }>): void {
    this.updates.push({ uid: pod.metadata.uid ?? '', ...(podIP !== undefined ? { ip: podIP } : {}), running: [...running.keys()] });
  }
  removePod(uid: string): void {
    this.removed.push(uid);
  }
  readiness(): Map<string, boolean> {
    return new Map(this.ready);
  }
  startup(): Map<string, boolean> {
    return new Map();
  }
}

function setup(opts: { configMaps?: ConfigMap[] } = {}) {
  const clock = new FakeClock(1_000_000);
  const runtime = new FakeRuntime(clock);
  const probes = new RecordingProbes();
  const events: string[] = [];
  const syncer = new PodSyncer({
    runtime,
    clock,
    logger: nullLogger,
    backoff: new CrashLoopBackOff(clock),
    probes,
    event: (_pod: Pod, type: EventType, reason: string, message: string) => events.push(`${type} ${reason} ${message}`),
    references: async () => ({
      configMaps: new Map((opts.configMaps ?? []).map((c) => [c.metadata.name ?? '', c])),
      secrets: new Map(),
    }),
    prepareVolumes: async (pod) => new Map((pod.spec.volumes ?? []).map((v) => [v.name, `/var/lib/mk/pods/${pod.metadata.uid}/volumes/${v.name}`])),
    sandboxNetwork: () => ({ network: 'mk-pods', dns: { servers: ['10.244.1.1'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] } }),
    hostIP: () => '10.213.0.11',
  });
  return { clock, runtime, probes, events, syncer };
}

const created = (runtime: FakeRuntime, name: string) => [...runtime.containers.values()].filter((c) => c.name === name);

describe('PodSyncer', () => {
  it('starts a new pod: sandbox, then each container, and reports it Running with its IP', async () => {
    const { runtime, events, syncer, probes } = setup();
    runtime.images.add('web:1').add('side:1');
    const pod = makePod([
      { name: 'web', image: 'web:1', env: [{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-y' }], args: ['--a=$(B)'] },
      { name: 'side', image: 'side:1', imagePullPolicy: 'IfNotPresent' },
    ]);
    const r = await syncer.sync(pod);
    expect(runtime.calls.filter((c) => !c.startsWith('exec'))).toEqual([
      'createSandbox p',
      'createContainer web c2',
      'startContainer c2',
      'createContainer side c3',
      'startContainer c3',
    ]);
    expect(r.status.phase).toBe('Running');
    expect(r.status.podIP).toBe('10.244.0.2');
    expect(r.status.hostIP).toBe('10.213.0.11');
    expect(r.allStopped).toBe(false);
    expect(events).toEqual([
      'Normal Pulled Container image "web:1" already present on machine',
      'Normal Created Created container web',
      'Normal Started Started container web',
      'Normal Pulled Container image "side:1" already present on machine',
      'Normal Created Created container side',
      'Normal Started Started container side',
    ]);
    expect(probes.updates.at(-1)).toEqual({ uid: 'uid-1', ip: '10.244.0.2', running: ['web', 'side'] });
  });

  it('a second sync of a running pod does nothing', async () => {
    const { runtime, syncer } = setup();
    runtime.images.add('web:1');
    const pod = makePod([{ name: 'web', image: 'web:1' }]);
    await syncer.sync(pod);
    const before = runtime.calls.length;
    await syncer.sync(pod);
    expect(runtime.calls.slice(before)).toEqual([]);
  });

  it('restarts a crashed container at once, then waits out the back-off (CrashLoopBackOff)', async () => {
    const { runtime, syncer, clock, events } = setup();
    runtime.images.add('web:1');
    const pod = makePod([{ name: 'web', image: 'web:1' }]);
    await syncer.sync(pod);
    runtime.exit(created(runtime, 'web')[0]!.id, 1);
    await syncer.sync(pod);
    expect(created(runtime, 'web').map((c) => c.attempt)).toEqual([0, 1]);
    clock.advance(1000);
    runtime.exit(created(runtime, 'web')[1]!.id, 1);
    const r = await syncer.sync(pod);
    expect(created(runtime, 'web')).toHaveLength(2);
    expect(r.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(r.status.containerStatuses?.[0]?.restartCount).toBe(1);
    expect(r.requeueAfterMs).toBeGreaterThan(0);
    expect(events.at(-1)).toMatch(/^Warning BackOff Back-off restarting failed container web in pod p_default\(uid-1\)$/);
    clock.advance(r.requeueAfterMs!);
    await syncer.sync(pod);
    expect(created(runtime, 'web').map((c) => c.attempt)).toEqual([0, 1, 2]);
  });

  it('pulls a missing image, and reports ErrImagePull then ImagePullBackOff when the pull fails', async () => {
    const { runtime, syncer, events } = setup();
    const pod = makePod([{ name: 'web', image: 'web:1', imagePullPolicy: 'IfNotPresent' }]);
    await syncer.sync(pod);
    expect(runtime.calls).toContain('pullImage web:1');
    expect(events.slice(0, 2)).toEqual(['Normal Pulling Pulling image "web:1"', expect.stringMatching(/^Normal Pulled Successfully pulled image "web:1" in \d+ms$/)]);

    const b = setup();
    b.runtime.pullImage = async (image: string) => {
      throw new Error(`pull access denied for ${image}`);
    };
    const p2 = makePod([{ name: 'web', image: 'gone:1' }]);
    const first = await b.syncer.sync(p2);
    expect(first.status.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'ErrImagePull', message: 'Failed to pull image "gone:1": pull access denied for gone:1' });
    const second = await b.syncer.sync(p2);
    expect(second.status.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "gone:1"' });
    expect(second.status.phase).toBe('Pending');
  });

  it('never pulls with imagePullPolicy Never', async () => {
    const { runtime, syncer } = setup();
    const r = await syncer.sync(makePod([{ name: 'web', image: 'web:1', imagePullPolicy: 'Never' }]));
    expect(runtime.calls).not.toContain('pullImage web:1');
    expect(r.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImageNeverPull');
  });

  it('env from a missing ConfigMap is CreateContainerConfigError; present, it is used', async () => {
    const pod = makePod([{ name: 'web', image: 'web:1', env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } }] }]);
    const a = setup();
    a.runtime.images.add('web:1');
    const r = await a.syncer.sync(pod);
    expect(r.status.containerStatuses?.[0]?.state?.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' });
    expect(a.events).toContain('Warning Failed Error: configmap "cfg" not found');

    const b = setup({ configMaps: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { mode: 'fast' } }] });
    b.runtime.images.add('web:1');
    await b.syncer.sync(pod);
    expect(created(b.runtime, 'web')).toHaveLength(1);
  });

  it('a deleted pod: containers stop with the deletion grace, then the sandbox; allStopped', async () => {
    const { runtime, syncer, probes, events } = setup();
    runtime.images.add('web:1');
    const pod = makePod([{ name: 'web', image: 'web:1' }]);
    await syncer.sync(pod);
    const deleting: Pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 7 } };
    const r = await syncer.sync(deleting);
    const id = created(runtime, 'web')[0]!.id;
    expect(runtime.calls).toContain(`stopContainer ${id} 7`);
    expect(runtime.calls.at(-1)).toBe('stopSandbox sb1');
    expect(events).toContain('Normal Killing Stopping container web');
    expect(r.allStopped).toBe(true);
    expect(probes.removed).toEqual(['uid-1']);
  });

  it('a liveness failure kills the container at the next sync, which restarts it', async () => {
    const { runtime, syncer, events } = setup();
    runtime.images.add('web:1');
    const pod = makePod([{ name: 'web', image: 'web:1' }], { terminationGracePeriodSeconds: 3 });
    await syncer.sync(pod);
    const id = created(runtime, 'web')[0]!.id;
    syncer.killUnhealthy(id, 'Container web failed liveness probe, will be restarted');
    await syncer.sync(pod);
    expect(runtime.calls).toContain(`stopContainer ${id} 3`);
    expect(events).toContain('Normal Killing Container web failed liveness probe, will be restarted');
    expect(created(runtime, 'web').map((c) => [c.attempt, c.state])).toEqual([
      [0, 'exited'],
      [1, 'running'],
    ]);
  });

  it('a pod that never restarts and finished is Succeeded and gives up its sandbox', async () => {
    const { runtime, syncer } = setup();
    runtime.images.add('job:1');
    const pod = makePod([{ name: 'job', image: 'job:1' }], { restartPolicy: 'Never' });
    await syncer.sync(pod);
    runtime.exit(created(runtime, 'job')[0]!.id, 0);
    const r = await syncer.sync(pod);
    expect(r.status.phase).toBe('Succeeded');
    expect(runtime.sandboxes.get('sb1')?.state).toBe('notready');
    expect(created(runtime, 'job')).toHaveLength(1);
  });

  it('removeAll stops and removes every container and sandbox of a uid', async () => {
    const { runtime, syncer } = setup();
    runtime.images.add('web:1');
    await syncer.sync(makePod([{ name: 'web', image: 'web:1' }]));
    await syncer.removeAll('uid-1', 2);
    expect(runtime.containers.size).toBe(0);
    expect(runtime.sandboxes.size).toBe(0);
  });
});
