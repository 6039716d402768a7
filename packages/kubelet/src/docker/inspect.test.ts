import { LABEL_ATTEMPT, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, containerLabels } from '../runtime';
import { containerFromInspect, containerState, dockerTime, sandboxFromInspect, type InspectLike } from './inspect';
import { LABEL_SANDBOX, LABEL_SANDBOX_ID, attemptFromLabels, podRefFromLabels } from './labels';

const pod = { uid: 'u1', name: 'kubia', namespace: 'default' };
const ZERO = '0001-01-01T00:00:00Z';

function inspect(over: Partial<InspectLike> & { labels?: Record<string, string>; status?: string; exitCode?: number; started?: string; finished?: string; networkMode?: string; ip?: string }): InspectLike {
  const status = over.status ?? 'running';
  return {
    Id: over.Id ?? 'c1',
    Created: '2026-11-22T08:00:00.123456789Z',
    Image: 'sha256:abc',
    State: {
      Status: status,
      Running: status === 'running',
      ExitCode: over.exitCode ?? 0,
      StartedAt: over.started ?? '2026-11-22T08:00:01.5Z',
      FinishedAt: over.finished ?? ZERO,
    },
    Config: { Image: 'mk.local/web:1', Labels: over.labels ?? {} },
    HostConfig: { NetworkMode: over.networkMode ?? 'container:sb1' },
    NetworkSettings: { Networks: over.ip === undefined ? {} : { [over.networkMode ?? 'pods']: { IPAddress: over.ip } } },
  };
}

describe('dockerTime', () => {
  test.each([
    ['2026-11-22T08:00:00Z', Date.UTC(2026, 10, 22, 8, 0, 0)],
    ['2026-11-22T08:00:00.123456789Z', Date.UTC(2026, 10, 22, 8, 0, 0, 123)],
    ['2026-11-22T08:00:00.5Z', Date.UTC(2026, 10, 22, 8, 0, 0, 500)],
    [ZERO, undefined],
    ['', undefined],
    [undefined, undefined],
    ['yesterday', undefined],
  ])('%j → %j', (input, expected) => {
    expect(dockerTime(input)).toBe(expected);
  });
});

describe('containerState', () => {
  test.each([
    ['created', 'created'],
    ['running', 'running'],
    ['paused', 'running'],
    ['restarting', 'running'],
    ['exited', 'exited'],
    ['dead', 'exited'],
    ['removing', 'exited'],
  ])('%s → %s', (status, state) => {
    expect(containerState(status)).toBe(state);
  });
});

describe('labels', () => {
  test('the pod comes back from its three labels, or not at all', () => {
    expect(podRefFromLabels(containerLabels(pod, 'web', 2))).toEqual(pod);
    expect(podRefFromLabels({ [LABEL_POD_UID]: 'u1', [LABEL_POD_NAME]: 'kubia' })).toBeUndefined();
    expect(podRefFromLabels(undefined)).toBeUndefined();
  });

  test.each([
    [{ [LABEL_ATTEMPT]: '4' }, 4],
    [{ [LABEL_ATTEMPT]: 'x' }, 0],
    [{ [LABEL_ATTEMPT]: '-1' }, 0],
    [{}, 0],
  ])('attempt of %j is %d', (labels, attempt) => {
    expect(attemptFromLabels(labels)).toBe(attempt);
  });
});

describe('containerFromInspect', () => {
  const labels = { ...containerLabels(pod, 'web', 2), [LABEL_SANDBOX_ID]: 'sb1', extra: 'x' };

  test('a running container', () => {
    expect(containerFromInspect(inspect({ labels }))).toEqual({
      id: 'c1',
      name: 'web',
      podUid: 'u1',
      sandboxId: 'sb1',
      state: 'running',
      createdAt: Date.UTC(2026, 10, 22, 8, 0, 0, 123),
      startedAt: Date.UTC(2026, 10, 22, 8, 0, 1, 500),
      attempt: 2,
      image: 'mk.local/web:1',
      imageId: 'sha256:abc',
      labels,
    });
  });

  test('an exited container has its exit code and finish time', () => {
    const c = containerFromInspect(inspect({ labels, status: 'exited', exitCode: 137, finished: '2026-11-22T08:00:09Z' }));
    expect(c).toMatchObject({ state: 'exited', exitCode: 137, finishedAt: Date.UTC(2026, 10, 22, 8, 0, 9) });
  });

  test('a finish stamped before the start (Docker, a short run) is the start', () => {
    const c = containerFromInspect(inspect({ labels, status: 'exited', started: '2026-11-22T08:00:01.005Z', finished: '2026-11-22T08:00:01.004Z' }));
    expect(c?.finishedAt).toBe(c?.startedAt);
  });

  test('a created container has no start, finish or exit code', () => {
    const c = containerFromInspect(inspect({ labels, status: 'created', started: ZERO }));
    expect(c?.state).toBe('created');
    expect(c).not.toHaveProperty('startedAt');
    expect(c).not.toHaveProperty('finishedAt');
    expect(c).not.toHaveProperty('exitCode');
  });

  test('without the sandbox label, the sandbox comes from the network mode', () => {
    const { [LABEL_SANDBOX_ID]: _omit, ...rest } = labels;
    expect(containerFromInspect(inspect({ labels: rest, networkMode: 'container:sb9' }))?.sandboxId).toBe('sb9');
  });

  test('sandboxes and strangers are not containers', () => {
    expect(containerFromInspect(inspect({ labels: { ...labels, [LABEL_SANDBOX]: 'true' } }))).toBeUndefined();
    expect(containerFromInspect(inspect({ labels: { app: 'other' } }))).toBeUndefined();
  });
});

describe('sandboxFromInspect', () => {
  const labels = {
    [LABEL_SANDBOX]: 'true',
    [LABEL_POD_UID]: 'u1',
    [LABEL_POD_NAME]: 'kubia',
    [LABEL_POD_NAMESPACE]: 'default',
    [LABEL_ATTEMPT]: '1',
  };

  test('a running pause on a pod network is ready with its IP', () => {
    expect(sandboxFromInspect(inspect({ labels, networkMode: 'pods', ip: '10.244.1.7' }))).toEqual({
      id: 'c1',
      pod,
      state: 'ready',
      ip: '10.244.1.7',
      createdAt: Date.UTC(2026, 10, 22, 8, 0, 0, 123),
      labels,
    });
  });

  test.each([
    ['stopped', { status: 'exited', networkMode: 'pods', ip: '10.244.1.7' }, 'notready'],
    ['on the host network', { networkMode: 'host', ip: '' }, 'ready'],
    ['without an address yet', { networkMode: 'pods', ip: '' }, 'ready'],
  ] as const)('%s: no IP', (_what, over, state) => {
    const s = sandboxFromInspect(inspect({ labels, ...over }));
    expect(s?.state).toBe(state);
    expect(s).not.toHaveProperty('ip');
  });

  test('a container without the sandbox label is not a sandbox', () => {
    expect(sandboxFromInspect(inspect({ labels: containerLabels(pod, 'web', 0) }))).toBeUndefined();
  });
});
