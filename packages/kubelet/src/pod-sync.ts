/**
 * One sync of one pod (Kubernetes' kubelet SyncPod / SyncTerminatingPod): read what the runtime
 * holds for the pod, decide with computePodActions, carry the actions out (images, volumes, sandbox,
 * containers, kills), then compute the pod's status from what the runtime holds afterwards. The
 * caller (kubelet.ts) serializes syncs per pod, writes the status and deletes finished pods.
 * Everything that touches the outside world comes in through `PodSyncDeps`, so this runs against
 * FakeRuntime in unit tests and DockerRuntime in the daemon.
 */
import type { Container, Pod, PodStatus } from '@mk/api';
import type { Clock, Logger } from '@mk/shared';
import type { CrashLoopBackOff } from './backoff';
import {
  containerEnv,
  ContainerConfigError,
  containerLimits,
  containerMounts,
  expandVars,
  type PodReferences,
  type VolumePaths,
} from './container-config';
import {
  containerLabels,
  type ContainerRuntime,
  type PodRef,
  type RuntimeContainer,
  type RuntimeSandbox,
  type SandboxConfig,
} from './runtime';
import { attemptsOf, computePodStatus, type WaitingReason } from './status';
import { computePodActions, type PodAction } from './sync';

export type EventType = 'Normal' | 'Warning';

/** Probe results for status, and the hook that starts/stops probe workers. */
export interface PodProbes {
  update(pod: Pod, podIP: string | undefined, running: ReadonlyMap<string, { id: string; startedAt: number }>): void;
  removePod(uid: string): void;
  readiness(uid: string): Map<string, boolean>;
  startup(uid: string): Map<string, boolean>;
}

export interface PodSyncDeps {
  runtime: ContainerRuntime;
  clock: Clock;
  logger: Logger;
  backoff: CrashLoopBackOff;
  probes: PodProbes;
  event(pod: Pod, type: EventType, reason: string, message: string): void;
  /** The ConfigMaps and Secrets the pod refers to (fetched from the API). */
  references(pod: Pod): Promise<PodReferences>;
  /** Makes the pod's volumes ready: volume name → host path. */
  prepareVolumes(pod: Pod, refs: PodReferences): Promise<VolumePaths>;
  /** Network and DNS of a new sandbox; throws when the node's pod network is not ready. */
  sandboxNetwork(pod: Pod): Pick<SandboxConfig, 'network' | 'dns' | 'hostNetwork'>;
  /** Called after a sandbox started (e.g. hairpin mode on its bridge port). */
  sandboxStarted?(sandbox: RuntimeSandbox): Promise<void>;
  hostIP(): string | undefined;
}

export interface PodSyncResult {
  status: PodStatus;
  /** Sync again after this long (a back-off ends), if nothing else wakes the pod first. */
  requeueAfterMs?: number;
  /** Every container and sandbox of the pod has stopped (a deleted pod may now be removed). */
  allStopped: boolean;
  /** How long each step took, in ms (`list`, each action type, `status`): for slow-sync logs. */
  timings: Record<string, number>;
}

/** Image pull back-off per image, like Kubernetes' ImagePullBackOff (10 s doubling to 5 min). */
class ImageBackOff {
  private readonly entries = new Map<string, { until: number; delayMs: number }>();
  constructor(
    private readonly clock: Clock,
    private readonly initialMs = 10_000,
    private readonly maxMs = 300_000,
  ) {}
  blockedFor(image: string): number {
    const e = this.entries.get(image);
    return e === undefined ? 0 : Math.max(0, e.until - this.clock.now());
  }
  failed(image: string): void {
    const prior = this.entries.get(image);
    const delayMs = prior === undefined ? this.initialMs : Math.min(this.maxMs, prior.delayMs * 2);
    this.entries.set(image, { until: this.clock.now() + delayMs, delayMs });
  }
  succeeded(image: string): void {
    this.entries.delete(image);
  }
}

function podRef(pod: Pod): PodRef {
  return { uid: pod.metadata.uid ?? '', name: pod.metadata.name ?? '', namespace: pod.metadata.namespace ?? 'default' };
}

function pullPolicy(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy !== undefined) return c.imagePullPolicy;
  const lastPart = c.image.split('/').pop() ?? '';
  const tag = lastPart.includes('@') ? 'digest' : lastPart.includes(':') ? lastPart.split(':').pop() : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export class PodSyncer {
  private readonly images: ImageBackOff;
  /** Liveness failures waiting for the next sync to kill the container: container id → message. */
  private readonly unhealthy = new Map<string, string>();

  constructor(private readonly deps: PodSyncDeps) {
    this.images = new ImageBackOff(deps.clock);
  }

  /**
   * A liveness or startup probe failed: the next sync of the pod kills the container. `message` is
   * the Killing event's text (`Container web failed liveness probe, will be restarted`).
   */
  killUnhealthy(containerId: string, message: string): void {
    this.unhealthy.set(containerId, message);
  }

  async sync(pod: Pod): Promise<PodSyncResult> {
    const d = this.deps;
    const uid = pod.metadata.uid ?? '';
    const waiting = new Map<string, WaitingReason>();
    let requeueAfterMs: number | undefined;
    const requeue = (ms: number): void => {
      requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms);
    };

    const timings: Record<string, number> = {};
    const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const at = d.clock.now();
      try {
        return await fn();
      } finally {
        timings[what] = (timings[what] ?? 0) + d.clock.now() - at;
      }
    };
    let state = await timed('list', () => this.state(uid));
    if (await this.killUnhealthyContainers(pod, state.containers)) state = await this.state(uid);

    const planned = computePodActions(pod, state, d.backoff, d.clock.now());
    for (const [name, w] of planned.waiting) {
      waiting.set(name, w);
      d.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${name} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${uid})`);
    }
    if (planned.waiting.size > 0) requeue(this.backoffRemaining(pod, state.containers));

    let sandbox = newestReady(state.sandboxes);
    // ConfigMaps, Secrets and volumes are read once per sync, when a sandbox or container needs them.
    let inputs: Promise<{ refs: PodReferences; volumes: VolumePaths }> | undefined;
    const configInputs = () =>
      (inputs ??= d.references(pod).then(async (refs) => ({ refs, volumes: await d.prepareVolumes(pod, refs) })));
    for (const action of planned.actions) {
      try {
        const made = await timed(action.type, () => this.perform(pod, action, sandbox, configInputs, waiting));
        if (made !== undefined) sandbox = made;
      } catch (e) {
        const message = (e as Error).message;
        if (action.type === 'createSandbox') {
          d.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${message}`);
          requeue(2000);
          break; // nothing else can start without it
        }
        if (action.type === 'startContainer') {
          if (!waiting.has(action.name)) waiting.set(action.name, { reason: 'CreateContainerError', message });
          requeue(2000);
          continue;
        }
        d.logger.warn('pod action failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, action: action.type, error: message });
        requeue(1000);
      }
    }

    if (planned.actions.length > 0) state = await timed('list', () => this.state(uid));
    sandbox = newestReady(state.sandboxes);
    const running = new Map<string, { id: string; startedAt: number }>();
    for (const c of state.containers) {
      if (c.state === 'running' && (sandbox === undefined || c.sandboxId === sandbox.id)) running.set(c.name, { id: c.id, startedAt: c.startedAt ?? c.createdAt });
    }
    const deleting = pod.metadata.deletionTimestamp !== undefined;
    const hostNetwork = pod.spec.hostNetwork === true;
    const podIP = hostNetwork ? d.hostIP() : sandbox?.ip;
    if (deleting) d.probes.removePod(uid);
    else d.probes.update(pod, podIP, running);

    const hostIP = d.hostIP();
    const status = computePodStatus({
      pod,
      ...(sandbox !== undefined ? { sandbox: hostNetwork && podIP !== undefined ? { ...sandbox, ip: podIP } : sandbox } : {}),
      containers: state.containers,
      ...(hostIP !== undefined ? { hostIP } : {}),
      now: d.clock.now(),
      readiness: d.probes.readiness(uid),
      startup: d.probes.startup(uid),
      waiting,
      backoff: d.backoff,
    });

    // A pod that finished for good gives up its sandbox (its IP); its containers stay for logs.
    const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
    if (terminal && !deleting) {
      d.probes.removePod(uid);
      for (const s of state.sandboxes) if (s.state === 'ready') await d.runtime.stopSandbox(s.id).catch(() => undefined);
    }
    const allStopped = state.containers.every((c) => c.state !== 'running') && state.sandboxes.every((s) => s.state !== 'ready');
    return { status, allStopped, timings, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
  }

  /** Stops and removes everything the runtime holds for `uid` (a pod that no longer exists here). */
  async removeAll(uid: string, graceSeconds: number): Promise<void> {
    const { runtime, probes } = this.deps;
    probes.removePod(uid);
    const { sandboxes, containers } = await this.state(uid);
    await Promise.all(containers.filter((c) => c.state === 'running').map((c) => runtime.stopContainer(c.id, graceSeconds)));
    for (const c of containers) await runtime.removeContainer(c.id);
    for (const s of sandboxes) {
      if (s.state === 'ready') await runtime.stopSandbox(s.id);
      await runtime.removeSandbox(s.id);
    }
  }

  /** Kills the containers a liveness probe condemned; true when it killed any. */
  private async killUnhealthyContainers(pod: Pod, containers: readonly RuntimeContainer[]): Promise<boolean> {
    let killed = false;
    for (const c of containers) {
      const message = this.unhealthy.get(c.id);
      if (message === undefined) continue;
      this.unhealthy.delete(c.id);
      if (c.state !== 'running') continue;
      const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
      this.deps.event(pod, 'Normal', 'Killing', message);
      await this.deps.runtime.stopContainer(c.id, grace);
      killed = true;
    }
    return killed;
  }

  private async state(uid: string): Promise<{ sandboxes: RuntimeSandbox[]; containers: RuntimeContainer[] }> {
    const [sandboxes, containers] = await Promise.all([
      this.deps.runtime.listSandboxes({ podUid: uid }),
      this.deps.runtime.listContainers({ podUid: uid }),
    ]);
    return { sandboxes, containers };
  }

  /** How long until the first container in CrashLoopBackOff may restart (judged by each one's latest attempt). */
  private backoffRemaining(pod: Pod, containers: readonly RuntimeContainer[]): number {
    const uid = pod.metadata.uid ?? '';
    let min = Infinity;
    for (const spec of pod.spec.containers) {
      const latest = attemptsOf(containers, spec.name)[0];
      if (latest?.state !== 'exited' || latest.finishedAt === undefined) continue;
      const ran = latest.startedAt !== undefined ? latest.finishedAt - latest.startedAt : undefined;
      const s = this.deps.backoff.check(uid, latest.name, latest.finishedAt, ran);
      if (s.inBackOff) min = Math.min(min, s.remainingMs);
    }
    return Number.isFinite(min) ? min + 50 : 1000;
  }

  /** Carries out one action; returns the new sandbox when it made one. */
  private async perform(
    pod: Pod,
    action: PodAction,
    sandbox: RuntimeSandbox | undefined,
    inputs: () => Promise<{ refs: PodReferences; volumes: VolumePaths }>,
    waiting: Map<string, WaitingReason>,
  ): Promise<RuntimeSandbox | undefined> {
    const d = this.deps;
    const ref = podRef(pod);
    switch (action.type) {
      case 'killContainer':
        d.event(pod, 'Normal', 'Killing', `Stopping container ${action.name}`);
        await d.runtime.stopContainer(action.containerId, action.graceSeconds);
        return undefined;
      case 'removeContainer':
        await d.runtime.removeContainer(action.containerId);
        return undefined;
      case 'killSandbox':
        await d.runtime.stopSandbox(action.sandboxId);
        return undefined;
      case 'createSandbox': {
        // Volumes first: a pod whose volumes cannot be made gets no sandbox yet.
        await inputs().catch((e: unknown) => {
          if (e instanceof ContainerConfigError) d.event(pod, 'Warning', 'FailedMount', (e as Error).message);
          throw e;
        });
        const made = await d.runtime.createSandbox({
          pod: ref,
          hostname: pod.spec.hostname ?? ref.name,
          ...d.sandboxNetwork(pod),
        });
        await d.sandboxStarted?.(made);
        return made;
      }
      case 'startContainer': {
        const spec = pod.spec.containers.find((c) => c.name === action.name);
        if (spec === undefined || sandbox === undefined) return undefined;
        if (!(await this.ensureImage(pod, spec, waiting))) return undefined;
        let config;
        try {
          const { refs, volumes } = await inputs();
          const env = containerEnv(pod, spec, refs, { podIP: sandbox.ip, hostIP: d.hostIP() });
          const expand = (s: string): string => expandVars(s, env);
          config = {
            pod: ref,
            sandboxId: sandbox.id,
            name: spec.name,
            attempt: action.attempt,
            image: spec.image,
            ...(spec.command ? { command: spec.command.map(expand) } : {}),
            ...(spec.args ? { args: spec.args.map(expand) } : {}),
            env: Object.fromEntries(env),
            ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
            mounts: containerMounts(spec, volumes),
            ...containerLimits(spec),
            ...(spec.tty ? { tty: true } : {}),
            ...(spec.stdin ? { stdin: true } : {}),
            labels: containerLabels(ref, spec.name, action.attempt),
          };
        } catch (e) {
          if (!(e instanceof ContainerConfigError)) throw e;
          waiting.set(spec.name, { reason: 'CreateContainerConfigError', message: e.message });
          d.event(pod, 'Warning', 'Failed', `Error: ${e.message}`);
          return undefined;
        }
        const id = await d.runtime.createContainer(config);
        d.event(pod, 'Normal', 'Created', `Created container ${spec.name}`);
        await d.runtime.startContainer(id);
        d.event(pod, 'Normal', 'Started', `Started container ${spec.name}`);
        if (action.restart) d.backoff.next(ref.uid, spec.name, action.ranMs);
        return undefined;
      }
    }
  }

  /** Makes the container's image present as its pull policy says; false (with a waiting reason) when it is not. */
  private async ensureImage(pod: Pod, spec: Container, waiting: Map<string, WaitingReason>): Promise<boolean> {
    const d = this.deps;
    const image = spec.image;
    const policy = pullPolicy(spec);
    const present = await d.runtime.imagePresent(image);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        d.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return true;
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      waiting.set(spec.name, { reason: 'ErrImageNeverPull', message });
      d.event(pod, 'Warning', 'ErrImageNeverPull', message);
      return false;
    }
    const blocked = this.images.blockedFor(image);
    if (blocked > 0) {
      const message = `Back-off pulling image "${image}"`;
      waiting.set(spec.name, { reason: 'ImagePullBackOff', message });
      d.event(pod, 'Normal', 'BackOff', message);
      return false;
    }
    d.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = d.clock.now();
    try {
      await d.runtime.pullImage(image);
    } catch (e) {
      this.images.failed(image);
      const message = `Failed to pull image "${image}": ${(e as Error).message}`;
      waiting.set(spec.name, { reason: 'ErrImagePull', message });
      d.event(pod, 'Warning', 'Failed', message);
      return false;
    }
    this.images.succeeded(image);
    d.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${d.clock.now() - started}ms`);
    return true;
  }
}

function newestReady(sandboxes: readonly RuntimeSandbox[]): RuntimeSandbox | undefined {
  return [...sandboxes].filter((s) => s.state === 'ready').sort((a, b) => b.createdAt - a.createdAt)[0];
}
