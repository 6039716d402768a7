/**
 * The kubelet's prober (Kubernetes' pkg/kubelet/prober): one worker per (pod, container, probe
 * kind) probes a running container every period and turns streaks of results into the
 * container's `started` and `ready` flags, and liveness (or startup) failure into a kill.
 *
 * Rules, as Kubernetes' worker.doProbe:
 * - The first probe runs `initialDelaySeconds` after the container started, then one every
 *   `periodSeconds` counted from the end of the previous one, so a worker's probes never overlap.
 * - A result changes only after `successThreshold` successes / `failureThreshold` failures in a row.
 * - Readiness starts false; a container without a readiness probe is ready once started. A
 *   container with a startup probe is not started until it succeeds; until then its liveness and
 *   readiness probes do not run, and once it succeeded it runs no more. Liveness starts as
 *   success.
 * - A failed liveness or startup probe (past its threshold) asks for a kill once; the worker
 *   then holds until the pod worker reports a new container id, which resets everything.
 * - Every failed probe is reported as an `Unhealthy` event; while the pod is being deleted,
 *   liveness and startup probes pause (no kills during graceful termination).
 */
import type { Container, Pod, Probe } from '@mk/api';
import type { Clock, Logger } from '@mk/shared';
import type { ContainerRuntime } from '../runtime';
import { nodeProbeTransport } from './node-transport';
import {
  resolveProbePort,
  runExecProbe,
  runHttpProbe,
  runTcpProbe,
  type ProbeOutcome,
  type ProbeTransport,
} from './probes';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

const KIND_LABEL: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** What the pod worker knows of a running container. `startedAt` is ms since the epoch. */
export interface RunningContainerInfo {
  id: string;
  startedAt: number;
}

export interface ProbeManagerOptions {
  runtime: Pick<ContainerRuntime, 'exec'>;
  clock: Clock;
  logger: Logger;
  /** The network for httpGet and tcpSocket probes; node:http/net when absent. */
  transport?: ProbeTransport;
  /** A pod's readiness or startup results changed: its status must be recomputed. */
  onChange: (podUid: string) => void;
  /** A probe failed: record an `Unhealthy` event with `message` (e.g. "Liveness probe failed: ..."). */
  onUnhealthy: (pod: Pod, containerName: string, kind: ProbeKind, message: string) => void;
  /**
   * A liveness or startup probe failed `failureThreshold` times in a row: kill container
   * `containerId` so it is restarted. Called once per failure streak; `message` is the reason
   * Kubernetes gives ("Container web failed liveness probe, will be restarted").
   */
  onLivenessFailure: (pod: Pod, containerName: string, containerId: string, message: string) => void;
}

/** A probe's timing with Kubernetes' defaults (0 counts as unset, as in Kubernetes' defaulting). */
export interface ProbeTiming {
  initialDelayMs: number;
  timeoutMs: number;
  periodMs: number;
  successThreshold: number;
  failureThreshold: number;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}

export function probeTiming(probe: Probe, kind: ProbeKind): ProbeTiming {
  return {
    initialDelayMs: Math.max(0, probe.initialDelaySeconds ?? 0) * 1000,
    timeoutMs: positiveOr(probe.timeoutSeconds, 1) * 1000,
    periodMs: positiveOr(probe.periodSeconds, 10) * 1000,
    // Validation insists on 1 for liveness and startup; a pod that skipped validation gets 1 anyway.
    successThreshold: kind === 'readiness' ? positiveOr(probe.successThreshold, 1) : 1,
    failureThreshold: positiveOr(probe.failureThreshold, 3),
  };
}

function probeOf(spec: Container, kind: ProbeKind): Probe | undefined {
  switch (kind) {
    case 'liveness':
      return spec.livenessProbe;
    case 'readiness':
      return spec.readinessProbe;
    case 'startup':
      return spec.startupProbe;
  }
}

/** What workers need from their manager. */
interface WorkerHost {
  clock: Clock;
  /** Runs one probe of `target`; never rejects. */
  execute(target: ContainerProbes, probe: Probe, timing: ProbeTiming): Promise<ProbeOutcome>;
  changed(uid: string): void;
  unhealthy(pod: Pod, containerName: string, kind: ProbeKind, message: string): void;
  livenessFailure(pod: Pod, containerName: string, containerId: string, message: string): void;
}

interface PodEntry {
  pod: Pod;
  podIP: string | undefined;
  containers: Map<string, ContainerProbes>;
}

/** The probe state of one container (one container id); replaced when the id changes. */
class ContainerProbes {
  started: boolean;
  ready = false;
  private readonly workers = new Map<ProbeKind, ProbeWorker>();

  constructor(
    readonly host: WorkerHost,
    readonly entry: PodEntry,
    public spec: Container,
    readonly id: string,
    readonly startedAt: number,
  ) {
    this.started = spec.startupProbe === undefined;
  }

  /** Readiness as the pod status needs it: the probe's result, or "started" without a probe. */
  get readyForStatus(): boolean {
    return this.spec.readinessProbe === undefined ? this.started : this.started && this.ready;
  }

  start(): void {
    if (!this.started) this.startWorker('startup');
    else this.startAfterStartup();
  }

  stop(): void {
    for (const w of this.workers.values()) w.stop();
    this.workers.clear();
  }

  private startAfterStartup(): void {
    this.startWorker('liveness');
    this.startWorker('readiness');
  }

  private startWorker(kind: ProbeKind): void {
    const probe = probeOf(this.spec, kind);
    if (probe === undefined) return;
    const worker = new ProbeWorker(this, kind, probe, probeTiming(probe, kind));
    this.workers.set(kind, worker);
    worker.start();
  }

  /** A worker's result passed its threshold. */
  setResult(worker: ProbeWorker, success: boolean): void {
    const uid = this.entry.pod.metadata.uid ?? '';
    if (worker.kind === 'readiness') {
      if (this.ready === success) return;
      this.ready = success;
      this.host.changed(uid);
    } else if (worker.kind === 'startup') {
      if (!success || this.started) return;
      // Started: the startup probe is done for this container; liveness and readiness begin.
      this.started = true;
      worker.stop();
      this.workers.delete('startup');
      this.startAfterStartup();
      this.host.changed(uid);
    }
  }
}

/** Probes one container for one kind until stopped. */
class ProbeWorker {
  private cancelTimer: (() => void) | undefined;
  private stopped = false;
  /** After a liveness/startup kill: nothing more to do for this container. */
  private onHold = false;
  private lastResult: ProbeOutcome['result'] | undefined;
  private run = 0;

  constructor(
    private readonly target: ContainerProbes,
    readonly kind: ProbeKind,
    private readonly probe: Probe,
    private readonly timing: ProbeTiming,
  ) {}

  start(): void {
    const clock = this.target.host.clock;
    const firstAt = this.target.startedAt + this.timing.initialDelayMs;
    this.schedule(Math.max(0, firstAt - clock.now()));
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.onHold) return;
    this.cancelTimer = this.target.host.clock.setTimer(ms, () => {
      this.cancelTimer = undefined;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const { entry } = this.target;
    const terminating = entry.pod.metadata.deletionTimestamp !== undefined;
    if (!(terminating && this.kind !== 'readiness')) {
      const outcome = await this.target.host.execute(this.target, this.probe, this.timing);
      if (this.stopped) return;
      this.record(outcome);
    }
    this.schedule(this.timing.periodMs);
  }

  private record(outcome: ProbeOutcome): void {
    const { host, entry, spec, id } = this.target;
    if (outcome.result === 'failure') {
      host.unhealthy(entry.pod, spec.name, this.kind, `${KIND_LABEL[this.kind]} probe failed: ${outcome.output}`);
    }
    if (this.lastResult === outcome.result) this.run++;
    else {
      this.lastResult = outcome.result;
      this.run = 1;
    }
    const threshold = outcome.result === 'success' ? this.timing.successThreshold : this.timing.failureThreshold;
    if (this.run < threshold) return;
    const success = outcome.result === 'success';
    this.target.setResult(this, success);
    if (!success && this.kind !== 'readiness') {
      this.onHold = true;
      this.run = 0;
      host.livenessFailure(entry.pod, spec.name, id, `Container ${spec.name} failed ${this.kind} probe, will be restarted`);
    }
  }
}

export class ProbeManager {
  private readonly logger: Logger;
  private readonly transport: ProbeTransport;
  private readonly pods = new Map<string, PodEntry>();
  private readonly host: WorkerHost;
  private stopped = false;

  constructor(private readonly options: ProbeManagerOptions) {
    this.logger = options.logger.child({ component: 'prober' });
    this.transport = options.transport ?? nodeProbeTransport;
    this.host = {
      clock: options.clock,
      execute: (target, probe, timing) => this.execute(target, probe, timing),
      changed: (uid) => {
        if (!this.stopped) options.onChange(uid);
      },
      unhealthy: (pod, containerName, kind, message) => {
        this.logger.info('probe failed', { pod: pod.metadata.name, container: containerName, kind, message });
        options.onUnhealthy(pod, containerName, kind, message);
      },
      livenessFailure: (pod, containerName, containerId, message) => {
        this.logger.info('container unhealthy, killing', { pod: pod.metadata.name, container: containerName, containerId });
        options.onLivenessFailure(pod, containerName, containerId, message);
      },
    };
  }

  /**
   * What the pod worker saw after a sync: `running` maps each running container's name to its
   * id and start time. Starts workers for new containers, resets those whose id changed (a
   * restart), stops those no longer running. Idempotent. The maps `readiness`/`startup` reflect
   * the update at once; `onChange` is only called for results that change later.
   */
  update(pod: Pod, podIP: string | undefined, running: ReadonlyMap<string, RunningContainerInfo>): void {
    if (this.stopped) return;
    const uid = pod.metadata.uid;
    if (uid === undefined || uid === '') {
      throw new Error(`ProbeManager.update: pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''} has no metadata.uid`);
    }
    let entry = this.pods.get(uid);
    if (entry === undefined) {
      entry = { pod, podIP, containers: new Map() };
      this.pods.set(uid, entry);
    }
    entry.pod = pod;
    entry.podIP = podIP;
    const specNames = new Set<string>();
    for (const spec of pod.spec.containers) {
      specNames.add(spec.name);
      const now = running.get(spec.name);
      const current = entry.containers.get(spec.name);
      if (current !== undefined && current.id === now?.id) {
        current.spec = spec;
        continue;
      }
      current?.stop();
      entry.containers.delete(spec.name);
      if (now === undefined) continue;
      const fresh = new ContainerProbes(this.host, entry, spec, now.id, now.startedAt);
      entry.containers.set(spec.name, fresh);
      fresh.start();
    }
    for (const [name, c] of entry.containers) {
      if (!specNames.has(name)) {
        c.stop();
        entry.containers.delete(name);
      }
    }
    if (entry.containers.size === 0) this.pods.delete(uid);
  }

  removePod(uid: string): void {
    const entry = this.pods.get(uid);
    if (entry === undefined) return;
    for (const c of entry.containers.values()) c.stop();
    this.pods.delete(uid);
  }

  /**
   * Whether each running container of the pod is ready: its readiness probe's result, or, without
   * one, whether it started. Containers that do not run are absent.
   */
  readiness(uid: string): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const [name, c] of this.pods.get(uid)?.containers ?? []) out.set(name, c.readyForStatus);
    return out;
  }

  /** Whether each running container of the pod started (its startup probe succeeded, or it has none). */
  startup(uid: string): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const [name, c] of this.pods.get(uid)?.containers ?? []) out.set(name, c.started);
    return out;
  }

  /** Stops every worker; later updates are ignored. */
  stop(): void {
    this.stopped = true;
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  private async execute(target: ContainerProbes, probe: Probe, timing: ProbeTiming): Promise<ProbeOutcome> {
    try {
      return await this.runProbe(target, probe, timing);
    } catch (error) {
      this.logger.error('probe crashed', { container: target.spec.name, error: String(error) });
      return { result: 'failure', output: `probe error: ${String(error)}` };
    }
  }

  private async runProbe(target: ContainerProbes, probe: Probe, timing: ProbeTiming): Promise<ProbeOutcome> {
    const failure = (output: string): ProbeOutcome => ({ result: 'failure', output });
    const deps = { transport: this.transport, clock: this.options.clock, runtime: this.options.runtime };
    if (probe.exec !== undefined) {
      const command = probe.exec.command ?? [];
      if (command.length === 0) return failure('exec probe has no command');
      return runExecProbe(deps, target.id, command, timing.timeoutMs);
    }
    const action = probe.httpGet ?? probe.tcpSocket;
    if (action === undefined) return failure('probe has no handler: set exec, httpGet or tcpSocket');
    const port = resolveProbePort(target.spec, action.port);
    if ('error' in port) return failure(port.error);
    const host = action.host !== undefined && action.host !== '' ? action.host : target.entry.podIP;
    if (host === undefined) return failure('the pod has no IP address yet');
    if (probe.httpGet !== undefined) {
      const { scheme, path, httpHeaders } = probe.httpGet;
      return runHttpProbe(deps, { host, port: port.port, scheme, path, httpHeaders }, timing.timeoutMs);
    }
    return runTcpProbe(deps, { host, port: port.port }, timing.timeoutMs);
  }
}
