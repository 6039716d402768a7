import type { PodPhase, RestartPolicy } from '@mk/api';
import { FakeClock } from '@mk/shared';
import { CrashLoopBackOff } from './backoff';
import type { RuntimeContainer } from './runtime';
import { computePodStatus, rfc3339, type StatusInput } from './status';
import { ctr, exited, makePod, running, sandbox } from './testing/fixtures';

const NOW = 3_000_000;

describe('computePodStatus: phase (getPhase)', () => {
  const cases: Array<[string, RestartPolicy, RuntimeContainer[], PodPhase]> = [
    ['nothing created yet', 'Always', [], 'Pending'],
    ['one running, one not created', 'Always', [running('a')], 'Pending'],
    ['one created, one running', 'Always', [ctr('a', { state: 'created' }), running('b')], 'Pending'],
    ['both running', 'Always', [running('a'), running('b')], 'Running'],
    ['one running, one exited 0, Never', 'Never', [running('a'), exited('b', 0)], 'Running'],
    ['all exited 0, Never', 'Never', [exited('a', 0), exited('b', 0)], 'Succeeded'],
    ['all exited 0, OnFailure', 'OnFailure', [exited('a', 0), exited('b', 0)], 'Succeeded'],
    ['one failed, Never', 'Never', [exited('a', 0), exited('b', 1)], 'Failed'],
    ['one failed, OnFailure (restarts)', 'OnFailure', [exited('a', 0), exited('b', 1)], 'Running'],
    ['all exited 0, Always (restarts)', 'Always', [exited('a', 0), exited('b', 0)], 'Running'],
  ];
  it.each(cases)('%s (%s) → %s', (_name, restartPolicy, containers, phase) => {
    const pod = makePod([{ name: 'a' }, { name: 'b' }], { restartPolicy });
    expect(computePodStatus({ pod, containers, now: NOW, sandbox: sandbox() }).phase).toBe(phase);
  });

  it('a terminal phase never changes', () => {
    const pod = makePod([{ name: 'a' }], { restartPolicy: 'Always' });
    pod.status = { phase: 'Failed' };
    expect(computePodStatus({ pod, containers: [running('a')], now: NOW }).phase).toBe('Failed');
  });
});

describe('computePodStatus: container statuses', () => {
  const pod = makePod([{ name: 'a' }], { restartPolicy: 'Always' });
  const base: Omit<StatusInput, 'containers'> = { pod, now: NOW, sandbox: sandbox() };

  it('no container yet: waiting ContainerCreating', () => {
    const [s] = computePodStatus({ ...base, containers: [] }).containerStatuses ?? [];
    expect(s).toEqual({
      name: 'a',
      image: 'a-image',
      imageID: '',
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      started: false,
    });
  });

  it.each(['ErrImagePull', 'ImagePullBackOff'])('image trouble from the worker: waiting %s', (reason) => {
    const [s] =
      computePodStatus({ ...base, containers: [], waiting: new Map([['a', { reason, message: 'nope' }]]) })
        .containerStatuses ?? [];
    expect(s?.state).toEqual({ waiting: { reason, message: 'nope' } });
  });

  it('running, second attempt: lastState holds the previous exit', () => {
    const containers = [
      exited('a', 2, { attempt: 0, startedAt: 500_000, finishedAt: 600_000 }),
      running('a', { attempt: 1, startedAt: 1_000_000 }),
    ];
    const [s] = computePodStatus({ ...base, containers }).containerStatuses ?? [];
    expect(s).toEqual({
      name: 'a',
      image: 'a-image',
      imageID: 'sha256:a',
      restartCount: 1,
      containerID: 'docker://a-1',
      state: { running: { startedAt: rfc3339(1_000_000) } },
      lastState: {
        terminated: {
          exitCode: 2,
          reason: 'Error',
          startedAt: rfc3339(500_000),
          finishedAt: rfc3339(600_000),
          containerID: 'docker://a-0',
        },
      },
      ready: true,
      started: true,
    });
  });

  it('exited and in back-off: waiting CrashLoopBackOff, lastState terminated', () => {
    const clock = new FakeClock(NOW);
    const backoff = new CrashLoopBackOff(clock);
    backoff.next('uid-1', 'a');
    backoff.next('uid-1', 'a'); // 20 s
    const containers = [exited('a', 1, { attempt: 1, startedAt: NOW - 6_000, finishedAt: NOW - 5_000 })];
    const [s] = computePodStatus({ ...base, containers, backoff }).containerStatuses ?? [];
    expect(s?.state).toEqual({
      waiting: {
        reason: 'CrashLoopBackOff',
        message: 'back-off 20s restarting failed container=a pod=p_default(uid-1)',
      },
    });
    expect(s?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error', containerID: 'docker://a-1' });
    expect(s?.restartCount).toBe(1);
  });

  it('exited, not restarted (Never): terminated Completed', () => {
    const p = makePod([{ name: 'a' }], { restartPolicy: 'Never' });
    const [s] = computePodStatus({ ...base, pod: p, containers: [exited('a', 0)] }).containerStatuses ?? [];
    expect(s?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(s?.ready).toBe(false);
  });

  it.each([
    ['no probes', {}, undefined, undefined, true, true],
    ['readiness unknown', { readinessProbe: {} }, undefined, undefined, false, true],
    ['readiness failing', { readinessProbe: {} }, false, undefined, false, true],
    ['readiness passing', { readinessProbe: {} }, true, undefined, true, true],
    ['startup pending', { startupProbe: {}, readinessProbe: {} }, true, undefined, false, false],
    ['startup passed', { startupProbe: {} }, undefined, true, true, true],
  ])('probes: %s', (_name, probes, readiness, startup, ready, started) => {
    const p = makePod([{ name: 'a', ...probes }]);
    const [s] =
      computePodStatus({
        ...base,
        pod: p,
        containers: [running('a')],
        ...(readiness !== undefined ? { readiness: new Map([['a', readiness]]) } : {}),
        ...(startup !== undefined ? { startup: new Map([['a', startup]]) } : {}),
      }).containerStatuses ?? [];
    expect([s?.ready, s?.started]).toEqual([ready, started]);
  });
});

describe('computePodStatus: conditions, IPs, startTime', () => {
  it('Ready/ContainersReady follow the containers; lastTransitionTime is kept when unchanged', () => {
    const pod = makePod([{ name: 'a' }, { name: 'b', readinessProbe: {} }]);
    const first = computePodStatus({ pod, containers: [running('a'), running('b')], now: NOW, sandbox: sandbox(), hostIP: '192.168.1.10' });
    const cond = (t: string, s = first) => s.conditions?.find((c) => c.type === t);
    expect(cond('Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [b]',
      lastTransitionTime: rfc3339(NOW),
    });
    expect(cond('PodScheduled')?.status).toBe('True');
    expect(cond('Initialized')?.status).toBe('True');
    expect(first).toMatchObject({ podIP: '10.244.1.5', hostIP: '192.168.1.10', startTime: rfc3339(NOW) });

    pod.status = first;
    const later = NOW + 60_000;
    const second = computePodStatus({
      pod,
      containers: [running('a'), running('b')],
      now: later,
      sandbox: sandbox(),
      readiness: new Map([['b', true]]),
    });
    expect(cond('Ready', second)).toEqual({ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(later) });
    expect(cond('ContainersReady', second)?.status).toBe('True');
    expect(cond('PodScheduled', second)?.lastTransitionTime).toBe(rfc3339(NOW));
    expect(second.startTime).toBe(rfc3339(NOW));
  });

  it('a completed pod: Ready False with reason PodCompleted', () => {
    const pod = makePod([{ name: 'a' }], { restartPolicy: 'Never' });
    const s = computePodStatus({ pod, containers: [exited('a', 0)], now: NOW });
    expect(s.phase).toBe('Succeeded');
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('no podIP while the sandbox is not ready and none was reported', () => {
    const pod = makePod([{ name: 'a' }]);
    const s = computePodStatus({ pod, containers: [], now: NOW, sandbox: sandbox({ state: 'notready' }) });
    expect(s.podIP).toBeUndefined();
  });
});

describe('computePodStatus: back-off resets after a long run', () => {
  it('a container that ran 10 min restarts without waiting: state stays terminated', () => {
    const clock = new FakeClock(NOW);
    const backoff = new CrashLoopBackOff(clock);
    backoff.next('uid-1', 'a');
    backoff.next('uid-1', 'a');
    const pod = makePod([{ name: 'a' }]);
    const containers = [exited('a', 1, { attempt: 1, startedAt: NOW - 700_000, finishedAt: NOW - 5_000 })];
    const [s] = computePodStatus({ pod, containers, now: NOW, backoff }).containerStatuses ?? [];
    expect(s?.state?.terminated?.exitCode).toBe(1);
  });
});
