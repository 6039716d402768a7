import type { Pod, RestartPolicy } from '@mk/api';
import { FakeClock } from '@mk/shared';
import { CrashLoopBackOff } from './backoff';
import type { RuntimeContainer, RuntimeSandbox } from './runtime';
import { computePodActions, type PodAction } from './sync';
import { ctr, exited, makePod, running, sandbox } from './testing/fixtures';

const NOW = 3_000_000;
const start = (name: string, attempt = 0, restart = false, ranMs?: number): PodAction => ({
  type: 'startContainer',
  name,
  attempt,
  restart,
  ...(ranMs !== undefined ? { ranMs } : {}),
});
const kill = (id: string, name: string, graceSeconds: number, reason: string): PodAction => ({
  type: 'killContainer',
  containerId: id,
  name,
  graceSeconds,
  reason,
});

function actions(pod: Pod, sandboxes: RuntimeSandbox[], containers: RuntimeContainer[], backoff?: CrashLoopBackOff) {
  return computePodActions(pod, { sandboxes, containers }, backoff, NOW);
}

describe('computePodActions', () => {
  const cases: Array<[string, RestartPolicy, RuntimeSandbox[], RuntimeContainer[], PodAction[]]> = [
    ['a new pod: sandbox, then every container', 'Always', [], [], [{ type: 'createSandbox' }, start('a'), start('b')]],
    ['all running: nothing', 'Always', [sandbox()], [running('a'), running('b')], []],
    ['one missing: start it', 'Always', [sandbox()], [running('a')], [start('b')]],
    [
      'a container not in the spec is killed',
      'Always',
      [sandbox()],
      [running('a'), running('b'), running('old')],
      [kill('old-0', 'old', 30, 'NotInSpec')],
    ],
    ['exited 0, Always: restart', 'Always', [sandbox()], [running('a'), exited('b', 0, { startedAt: 1_999_000 })], [start('b', 1, true, 1_000)]],
    ['exited 0, OnFailure: stays', 'OnFailure', [sandbox()], [running('a'), exited('b', 0)], []],
    ['exited 1, OnFailure: restart', 'OnFailure', [sandbox()], [running('a'), exited('b', 1, { startedAt: 1_999_000 })], [start('b', 1, true, 1_000)]],
    ['exited 1, Never: stays', 'Never', [sandbox()], [running('a'), exited('b', 1)], []],
    [
      'sandbox died: kill its containers, new sandbox, restart them',
      'Always',
      [sandbox({ state: 'notready' })],
      [running('a'), exited('b', 0, { startedAt: 1_999_000 })],
      [kill('a-0', 'a', 30, 'SandboxChanged'), { type: 'createSandbox' }, start('a', 1, true), start('b', 1, true, 1_000)],
    ],
    [
      'sandbox died, Never, already ran: only the kill',
      'Never',
      [sandbox({ state: 'notready' })],
      [running('a'), exited('b', 0)],
      [kill('a-0', 'a', 30, 'SandboxChanged')],
    ],
    [
      'two ready sandboxes: the older goes',
      'Always',
      [sandbox({ id: 'old', createdAt: 0 }), sandbox({ id: 'new', createdAt: 5 })],
      [running('a'), running('b')],
      [{ type: 'killSandbox', sandboxId: 'old' }],
    ],
    [
      'created but never started: replaced',
      'Always',
      [sandbox()],
      [running('a'), ctr('b', { state: 'created', attempt: 2 })],
      [{ type: 'removeContainer', containerId: 'b-2', name: 'b' }, start('b', 2)],
    ],
    [
      'dead attempts older than the previous one are removed',
      'Always',
      [sandbox()],
      [running('a'), exited('b', 1, { attempt: 0 }), exited('b', 1, { attempt: 1 }), running('b', { attempt: 2 })],
      [{ type: 'removeContainer', containerId: 'b-0', name: 'b' }],
    ],
  ];
  it.each(cases)('%s (%s)', (_name, restartPolicy, sandboxes, containers, expected) => {
    const pod = makePod([{ name: 'a' }, { name: 'b' }], { restartPolicy });
    expect(actions(pod, sandboxes, containers).actions).toEqual(expected);
  });

  it('a container in back-off is not started; it waits with CrashLoopBackOff', () => {
    const clock = new FakeClock(NOW);
    const backoff = new CrashLoopBackOff(clock);
    backoff.next('uid-1', 'b'); // 10 s from now on
    const pod = makePod([{ name: 'a' }, { name: 'b' }]);
    const b = exited('b', 1, { startedAt: NOW - 3_000, finishedAt: NOW - 2_000 });
    const r = actions(pod, [sandbox()], [running('a'), b], backoff);
    expect(r.actions).toEqual([]);
    expect(r.waiting.get('b')).toEqual({
      reason: 'CrashLoopBackOff',
      message: 'back-off 10s restarting failed container=b pod=p_default(uid-1)',
    });
    clock.advance(8_000);
    const later = computePodActions(pod, { sandboxes: [sandbox()], containers: [running('a'), b] }, backoff, clock.now());
    expect(later.actions).toEqual([start('b', 1, true, 1_000)]);
    expect(later.waiting.size).toBe(0);
  });

  it('a pod being deleted: every running container killed with the deletion grace, then the sandbox', () => {
    const pod = makePod([{ name: 'a' }, { name: 'b' }], { terminationGracePeriodSeconds: 60 });
    pod.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    pod.metadata.deletionGracePeriodSeconds = 5;
    expect(actions(pod, [sandbox()], [running('a'), exited('b', 0)]).actions).toEqual([
      kill('a-0', 'a', 5, 'Killing'),
      { type: 'killSandbox', sandboxId: 'sb1' },
    ]);
    delete pod.metadata.deletionGracePeriodSeconds;
    expect(actions(pod, [sandbox()], [running('a')]).actions[0]).toEqual(kill('a-0', 'a', 60, 'Killing'));
  });

  it.each(['Succeeded', 'Failed'] as const)('a %s pod: nothing', (phase) => {
    const pod = makePod([{ name: 'a' }, { name: 'b' }]);
    pod.status = { phase };
    expect(actions(pod, [], []).actions).toEqual([]);
  });
});
