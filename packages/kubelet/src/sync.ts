/**
 * What a pod worker does in one sync of a pod, as Kubernetes' kubeGenericRuntimeManager
 * computePodActions decides it: pure, from the pod, what the runtime holds for it, and back-off.
 * The worker carries the actions out in order and, for every start with `restart: true`, records
 * it with `backoff.next(uid, name, ranMs)`.
 */
import type { Pod } from '@mk/api';
import type { CrashLoopBackOff } from './backoff';
import type { RuntimeContainer, RuntimeSandbox } from './runtime';
import { attemptsOf, backOffMessage, shouldRestart, type WaitingReason } from './status';

export const DEFAULT_GRACE_SECONDS = 30;

export type PodAction =
  | { type: 'createSandbox' }
  | { type: 'killSandbox'; sandboxId: string }
  | { type: 'killContainer'; containerId: string; name: string; graceSeconds: number; reason: string }
  | { type: 'removeContainer'; containerId: string; name: string }
  | { type: 'startContainer'; name: string; attempt: number; restart: boolean; ranMs?: number };

export interface RuntimePodState {
  sandboxes: readonly RuntimeSandbox[];
  containers: readonly RuntimeContainer[];
}

export interface PodActions {
  actions: PodAction[];
  /** Why containers that are not started wait (CrashLoopBackOff); feeds computePodStatus. */
  waiting: Map<string, WaitingReason>;
}

function graceSeconds(pod: Pod): number {
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

export function computePodActions(
  pod: Pod,
  state: RuntimePodState,
  backoff: CrashLoopBackOff | undefined,
  now: number,
): PodActions {
  const actions: PodAction[] = [];
  const waiting = new Map<string, WaitingReason>();
  const uid = pod.metadata.uid ?? '';
  const live = state.containers.filter((c) => c.state === 'running');
  const readySandboxes = [...state.sandboxes]
    .filter((s) => s.state === 'ready')
    .sort((a, b) => b.createdAt - a.createdAt);
  const kill = (c: RuntimeContainer, grace: number, reason: string): void => {
    actions.push({ type: 'killContainer', containerId: c.id, name: c.name, graceSeconds: grace, reason });
  };

  // Being deleted: everything stops, containers first, with the deletion's grace period.
  if (pod.metadata.deletionTimestamp !== undefined) {
    const grace = pod.metadata.deletionGracePeriodSeconds ?? graceSeconds(pod);
    for (const c of live) kill(c, grace, 'Killing');
    for (const s of readySandboxes) actions.push({ type: 'killSandbox', sandboxId: s.id });
    return { actions, waiting };
  }
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { actions, waiting };

  const policy = pod.spec.restartPolicy ?? 'Always';
  const specNames = new Set(pod.spec.containers.map((c) => c.name));
  for (const c of live) {
    if (!specNames.has(c.name)) kill(c, graceSeconds(pod), 'NotInSpec');
  }

  const [current, ...extra] = readySandboxes;
  for (const s of extra) actions.push({ type: 'killSandbox', sandboxId: s.id });
  if (current === undefined) {
    // No sandbox, or it died: its containers lost their network, so they go too, and a new one
    // comes up — unless the pod never restarts and already ran (Kubernetes leaves it be).
    const alreadyRan = state.containers.some((c) => specNames.has(c.name));
    for (const c of live) if (specNames.has(c.name)) kill(c, graceSeconds(pod), 'SandboxChanged');
    if (policy === 'Never' && alreadyRan) return { actions, waiting };
    actions.push({ type: 'createSandbox' });
  }
  const sandboxChanged = current === undefined;

  for (const spec of pod.spec.containers) {
    // The latest two attempts stay (the previous one for `logs --previous`); older dead ones go.
    const [latest, , ...older] = attemptsOf(state.containers, spec.name);
    for (const old of older) {
      if (old.state !== 'running') actions.push({ type: 'removeContainer', containerId: old.id, name: old.name });
    }
    if (latest === undefined) {
      actions.push({ type: 'startContainer', name: spec.name, attempt: 0, restart: false });
      continue;
    }
    if (latest.state === 'running') {
      if (sandboxChanged) startAfter(latest);
      continue;
    }
    if (latest.state === 'created') {
      // Created but never started (e.g. the kubelet died in between): replace it.
      actions.push({ type: 'removeContainer', containerId: latest.id, name: latest.name });
      actions.push({ type: 'startContainer', name: spec.name, attempt: latest.attempt, restart: false });
      continue;
    }
    startAfter(latest);
  }
  return { actions, waiting };

  function startAfter(latest: RuntimeContainer): void {
    const exitCode = latest.state === 'running' ? 137 : latest.exitCode;
    if (!shouldRestart(policy, exitCode)) return;
    const ranMs =
      latest.startedAt !== undefined && latest.finishedAt !== undefined
        ? latest.finishedAt - latest.startedAt
        : undefined;
    // A container killed just now because its sandbox died is not in back-off.
    const bo =
      latest.state === 'running' ? undefined : backoff?.check(uid, latest.name, latest.finishedAt ?? now, ranMs);
    if (bo?.inBackOff === true) {
      waiting.set(latest.name, {
        reason: 'CrashLoopBackOff',
        message: backOffMessage(pod, latest.name, bo.delayMs),
      });
      return;
    }
    actions.push({
      type: 'startContainer',
      name: latest.name,
      attempt: latest.attempt + 1,
      restart: true,
      ...(ranMs !== undefined ? { ranMs } : {}),
    });
  }
}
