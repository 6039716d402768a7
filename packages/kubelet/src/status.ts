/**
 * A Pod's status from its spec, what the runtime holds for it, probe results and back-off, as
 * Kubernetes' kubelet computes it (generateAPIPodStatus, getPhase). Pure: `now` is passed in.
 */
import type {
  Container,
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodStatus,
  RestartPolicy,
} from '@mk/api';
import type { CrashLoopBackOff } from './backoff';
import type { RuntimeContainer, RuntimeSandbox } from './runtime';

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface WaitingReason {
  reason: string;
  message?: string;
}

export interface StatusInput {
  pod: Pod;
  /** The pod's current sandbox, if any. */
  sandbox?: RuntimeSandbox;
  /** Every runtime container of this pod, old attempts included. */
  containers: readonly RuntimeContainer[];
  hostIP?: string;
  /** ms since the epoch. */
  now: number;
  /** Readiness probe result per container name (for its current container); absent = not yet known. */
  readiness?: ReadonlyMap<string, boolean>;
  /** Startup probe result per container name; absent = not yet known. */
  startup?: ReadonlyMap<string, boolean>;
  /** Why a container waits, set by the pod worker (ErrImagePull, ImagePullBackOff, ...). */
  waiting?: ReadonlyMap<string, WaitingReason>;
  backoff?: CrashLoopBackOff;
}

/** Whether a container that exited with `exitCode` is restarted under `policy`. */
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number | undefined): boolean {
  const p = policy ?? 'Always';
  if (p === 'Always') return true;
  if (p === 'OnFailure') return exitCode !== 0;
  return false;
}

/** The runtime containers of `name`, newest attempt first. */
export function attemptsOf(containers: readonly RuntimeContainer[], name: string): RuntimeContainer[] {
  return containers
    .filter((c) => c.name === name)
    .sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
}

function terminated(c: RuntimeContainer): ContainerState {
  const exitCode = c.exitCode ?? 0;
  return {
    terminated: {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      ...(c.startedAt !== undefined ? { startedAt: rfc3339(c.startedAt) } : {}),
      ...(c.finishedAt !== undefined ? { finishedAt: rfc3339(c.finishedAt) } : {}),
      containerID: `docker://${c.id}`,
    },
  };
}

/** The back-off message Kubernetes prints. */
export function backOffMessage(pod: Pod, name: string, delayMs: number): string {
  const m = pod.metadata;
  return `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${name} pod=${m.name ?? ''}_${m.namespace ?? 'default'}(${m.uid ?? ''})`;
}

export function containerStatus(input: StatusInput, spec: Container, terminal: boolean): ContainerStatus {
  const [latest, previous] = attemptsOf(input.containers, spec.name);
  const override = input.waiting?.get(spec.name);
  const waitingState = (w: WaitingReason): ContainerState => ({
    waiting: { reason: w.reason, ...(w.message !== undefined ? { message: w.message } : {}) },
  });
  const base = {
    name: spec.name,
    image: spec.image,
    imageID: latest?.imageId ?? '',
    restartCount: latest?.attempt ?? 0,
  };
  if (latest === undefined) {
    return {
      ...base,
      state: waitingState(override ?? { reason: 'ContainerCreating' }),
      lastState: {},
      ready: false,
      started: false,
    };
  }
  const lastState = previous !== undefined && previous.state === 'exited' ? terminated(previous) : {};
  const containerID = `docker://${latest.id}`;
  if (latest.state === 'running') {
    const started = spec.startupProbe === undefined ? true : (input.startup?.get(spec.name) ?? false);
    const ready =
      started && (spec.readinessProbe === undefined ? true : (input.readiness?.get(spec.name) ?? false));
    return {
      ...base,
      containerID,
      state: {
        running: latest.startedAt !== undefined ? { startedAt: rfc3339(latest.startedAt) } : {},
      },
      lastState,
      ready,
      started,
    };
  }
  if (latest.state === 'created') {
    return {
      ...base,
      containerID,
      state: waitingState(override ?? { reason: 'ContainerCreating' }),
      lastState,
      ready: false,
      started: false,
    };
  }
  // Exited: either it waits to be restarted (back-off, image trouble) or it stays terminated.
  const policy = input.pod.spec.restartPolicy;
  if (!terminal && shouldRestart(policy, latest.exitCode)) {
    const uid = input.pod.metadata.uid ?? '';
    const bo = input.backoff?.check(
      uid,
      spec.name,
      latest.finishedAt ?? input.now,
      latest.startedAt !== undefined && latest.finishedAt !== undefined
        ? latest.finishedAt - latest.startedAt
        : undefined,
    );
    const waiting =
      override ??
      (bo?.inBackOff === true
        ? { reason: 'CrashLoopBackOff', message: backOffMessage(input.pod, spec.name, bo.delayMs) }
        : undefined);
    if (waiting !== undefined) {
      return {
        ...base,
        containerID,
        state: waitingState(waiting),
        lastState: terminated(latest),
        ready: false,
        started: false,
      };
    }
  }
  return { ...base, containerID, state: terminated(latest), lastState, ready: false, started: false };
}

/** Kubernetes' getPhase over the container statuses (no init containers). */
export function podPhase(pod: Pod, statuses: readonly ContainerStatus[]): PodPhase {
  const prior = pod.status?.phase;
  if (prior === 'Succeeded' || prior === 'Failed') return prior; // terminal phases never change
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running !== undefined) running++;
    else if (s.state?.terminated !== undefined) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated !== undefined) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    const policy = pod.spec.restartPolicy ?? 'Always';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running'; // OnFailure: the failed ones restart
  }
  return 'Pending';
}

function condition(
  prior: readonly PodCondition[] | undefined,
  now: number,
  c: Omit<PodCondition, 'lastTransitionTime'>,
): PodCondition {
  const old = prior?.find((p) => p.type === c.type);
  const lastTransitionTime =
    old !== undefined && old.status === c.status && old.lastTransitionTime !== undefined
      ? old.lastTransitionTime
      : rfc3339(now);
  return { ...c, lastTransitionTime };
}

/** The whole status the kubelet reports for a pod. */
export function computePodStatus(input: StatusInput): PodStatus {
  const { pod, now } = input;
  const priorTerminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  const containerStatuses = pod.spec.containers.map((c) => containerStatus(input, c, priorTerminal));
  const phase = podPhase(pod, containerStatuses);
  const prior = pod.status?.conditions;
  const unready = containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const readyCond = (type: string): PodCondition =>
    unready.length === 0 && !terminal
      ? condition(prior, now, { type, status: 'True' })
      : condition(prior, now, {
          type,
          status: 'False',
          reason: terminal ? 'PodCompleted' : 'ContainersNotReady',
          ...(terminal ? {} : { message: `containers with unready status: [${unready.join(' ')}]` }),
        });
  const conditions: PodCondition[] = [
    condition(prior, now, { type: 'Initialized', status: 'True' }),
    readyCond('Ready'),
    readyCond('ContainersReady'),
    condition(prior, now, { type: 'PodScheduled', status: 'True' }),
  ];
  const podIP =
    input.sandbox?.state === 'ready' && input.sandbox.ip !== undefined ? input.sandbox.ip : pod.status?.podIP;
  const status: PodStatus = {
    phase,
    conditions,
    startTime: pod.status?.startTime ?? rfc3339(now),
    containerStatuses,
  };
  if (input.hostIP !== undefined) {
    status.hostIP = input.hostIP;
    status.hostIPs = [{ ip: input.hostIP }];
  }
  if (podIP !== undefined) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  if (pod.status?.qosClass !== undefined) status.qosClass = pod.status.qosClass;
  return status;
}
