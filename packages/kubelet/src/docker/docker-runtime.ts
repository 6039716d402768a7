/**
 * The ContainerRuntime on a real dockerd (DESIGN.md, kubelet): a pod is a pause container holding
 * its network and IPC namespaces (the sandbox) plus one Docker container per container spec that
 * joins them. Everything carries runtime.ts's labels, so a new instance (a restarted kubelet) finds
 * and adopts what an earlier one started. The pure parts live beside it: names.ts, labels.ts,
 * inspect.ts, streams.ts, stats.ts, errors.ts, network.ts.
 */
import Docker from 'dockerode';
import { writeFile } from 'node:fs/promises';
import type { Duplex, Readable } from 'node:stream';
import { ErrorCode, FailedPreconditionError, InvalidArgumentError, MkError, NotFoundError, nullLogger, type Logger } from '@mk/shared';
import {
  LABEL_ATTEMPT,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  containerLabels,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStats,
  type ExecOptions,
  type ExecResult,
  type ExecSession,
  type ExecStreamOptions,
  type LogOptions,
  type OutputChunk,
  type RuntimeContainer,
  type RuntimeSandbox,
  type SandboxConfig,
} from '../runtime';
import { dockerMessage, dockerStatusCode, isNotFound, pullError, runtimeError } from './errors';
import { containerFromInspect, containerState, sandboxFromInspect } from './inspect';
import { LABEL_SANDBOX, LABEL_SANDBOX_ID, attemptFromLabels } from './labels';
import { containerDockerName, normalizeImageRef, sandboxDockerName } from './names';
import { planPodNetwork, validatePodNetworkSpec, type PodNetworkSpec } from './network';
import { resolvConf } from './resolv-conf';
import { statsFromDocker } from './stats';
import { FrameDemuxer, LogLines, dockerSince, splitTimestamp, stampAfter } from './streams';

export interface DockerRuntimeOptions {
  /** dockerd's API socket; default /var/run/docker.sock. */
  socketPath?: string;
  /** The sandbox image; default mk.local/pause:1 (scripts/images builds it). */
  pauseImage?: string;
  /** The Docker network a sandbox joins when its config names none; default `bridge`. */
  defaultNetwork?: string;
  logger?: Logger;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
export const DEFAULT_PAUSE_IMAGE = 'mk.local/pause:1';
/** The pause process exits at once on SIGTERM; this only bounds a stuck one. */
const SANDBOX_STOP_GRACE_SECONDS = 2;
/** How long an exec's exit code may lag behind the end of its output in Docker's bookkeeping. */
const EXEC_EXIT_WAIT_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class DockerRuntime implements ContainerRuntime {
  readonly socketPath: string;
  readonly pauseImage: string;
  readonly defaultNetwork: string;
  private readonly docker: Docker;
  private readonly log: Logger;
  /**
   * Inspect results by container id, reused by listContainers while Docker's list still shows the
   * container in the same state (what we read from inspect does not change within a state), so a
   * relist costs one list call plus an inspect per container that changed.
   */
  private readonly inspected = new Map<string, RuntimeContainer>();
  private readonly inspectedSandboxes = new Map<string, RuntimeSandbox>();

  constructor(options: DockerRuntimeOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
    this.pauseImage = options.pauseImage ?? DEFAULT_PAUSE_IMAGE;
    this.defaultNetwork = options.defaultNetwork ?? 'bridge';
    this.docker = new Docker({ socketPath: this.socketPath });
    this.log = (options.logger ?? nullLogger).child({ component: 'docker-runtime' });
  }

  /** Rejects (Unavailable) when dockerd does not answer. */
  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw runtimeError('pinging Docker', e, this.socketPath);
    }
  }

  /** dockerd's version (the node's containerRuntimeVersion is `docker://<it>`). */
  async version(): Promise<string> {
    try {
      return (await this.docker.version()).Version;
    } catch (e) {
      throw runtimeError('asking Docker its version', e, this.socketPath);
    }
  }

  // ---- sandboxes ----

  async createSandbox(config: SandboxConfig): Promise<RuntimeSandbox> {
    const { pod } = config;
    const earlier = await this.listSandboxes({ podUid: pod.uid });
    const attempt = earlier.reduce((next, s) => Math.max(next, attemptFromLabels(s.labels) + 1), 0);
    const name = sandboxDockerName(pod, attempt);
    const network = config.hostNetwork === true ? 'host' : (config.network ?? this.defaultNetwork);
    const hostConfig: Docker.HostConfig = {
      NetworkMode: network,
      // The pod's containers join this IPC namespace, as they join its network namespace.
      IpcMode: 'shareable',
      RestartPolicy: { Name: 'no' },
    };
    if (config.dns !== undefined) {
      hostConfig.Dns = config.dns.servers;
      hostConfig.DnsSearch = config.dns.searches;
      hostConfig.DnsOptions = config.dns.options;
    }
    const action = `creating sandbox ${name}`;
    let id: string;
    const t0 = Date.now();
    try {
      const created = await this.docker.createContainer({
        name,
        Image: this.pauseImage,
        // Docker refuses a hostname with the host's network: the pod then has the node's.
        ...(config.hostname !== undefined && config.hostNetwork !== true ? { Hostname: config.hostname } : {}),
        Labels: {
          ...config.labels,
          [LABEL_SANDBOX]: 'true',
          [LABEL_POD_UID]: pod.uid,
          [LABEL_POD_NAME]: pod.name,
          [LABEL_POD_NAMESPACE]: pod.namespace,
          [LABEL_ATTEMPT]: String(attempt),
        },
        HostConfig: hostConfig,
      });
      id = created.id;
    } catch (e) {
      if (isNotFound(e) && /image/i.test(dockerMessage(e))) {
        throw new NotFoundError(
          `${action}: pause image ${this.pauseImage} is not on this node (scripts/images builds it): ${dockerMessage(e)}`,
        );
      }
      throw runtimeError(action, e, this.socketPath);
    }
    const t1 = Date.now();
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      await this.forceRemove(id);
      throw runtimeError(`starting sandbox ${name}`, e, this.socketPath);
    }
    this.log.info('sandbox started', { pod: `${pod.namespace}/${pod.name}`, id, network, createMs: t1 - t0, startMs: Date.now() - t1 });
    const info = await this.inspectOrFail(id, `inspecting sandbox ${name}`);
    if (config.dns !== undefined) {
      // Docker's file, bind-mounted as /etc/resolv.conf into the sandbox and every container that
      // joins it: rewritten in place (same inode), as dockershim did, so the pod asks the cluster's
      // DNS server itself rather than Docker's embedded resolver on user-defined networks.
      try {
        await writeFile(info.ResolvConfPath, resolvConf(config.dns));
      } catch (e) {
        await this.forceRemove(id);
        throw new MkError(ErrorCode.Internal, `writing the resolv.conf of sandbox ${name} (${info.ResolvConfPath}): ${(e as Error).message}`);
      }
    }
    const sandbox = sandboxFromInspect(info);
    if (sandbox === undefined) throw new MkError(ErrorCode.Internal, `sandbox ${name} lost its labels`);
    return sandbox;
  }

  async stopSandbox(id: string): Promise<void> {
    await this.stopContainer(id, SANDBOX_STOP_GRACE_SECONDS);
  }

  async removeSandbox(id: string): Promise<void> {
    await this.removeContainer(id);
  }

  async listSandboxes(filter?: { podUid?: string }): Promise<RuntimeSandbox[]> {
    const labels = [`${LABEL_SANDBOX}=true`];
    if (filter?.podUid !== undefined) labels.push(`${LABEL_POD_UID}=${filter.podUid}`);
    const summaries = await this.list(labels, 'listing sandboxes');
    const sandboxes: RuntimeSandbox[] = [];
    const seen = new Set<string>();
    for (const summary of summaries) {
      seen.add(summary.Id);
      // A sandbox is inspected again only when its state changed (the kubelet relists every second).
      let sandbox = this.inspectedSandboxes.get(summary.Id);
      const ready = summary.State === 'running';
      if (sandbox === undefined || (sandbox.state === 'ready') !== ready) {
        const info = await this.inspectOrUndefined(summary.Id);
        sandbox = info === undefined ? undefined : sandboxFromInspect(info);
        if (sandbox === undefined) this.inspectedSandboxes.delete(summary.Id);
        else this.inspectedSandboxes.set(summary.Id, sandbox);
      }
      if (sandbox !== undefined) sandboxes.push({ ...sandbox, pod: { ...sandbox.pod }, labels: { ...sandbox.labels } });
    }
    for (const [id, sb] of this.inspectedSandboxes) {
      if ((filter?.podUid === undefined || sb.pod.uid === filter.podUid) && !seen.has(id)) this.inspectedSandboxes.delete(id);
    }
    return sandboxes;
  }

  // ---- containers ----

  async createContainer(config: ContainerConfig): Promise<string> {
    const { pod } = config;
    const name = containerDockerName(pod, config.name, config.attempt);
    const action = `creating container ${name}`;
    const sandbox = await this.inspectOrUndefined(config.sandboxId);
    if (sandbox === undefined) throw new NotFoundError(`${action}: no sandbox ${config.sandboxId}`);
    if (!sandbox.State.Running) {
      throw new FailedPreconditionError(`${action}: sandbox ${config.sandboxId} is not running (${sandbox.State.Status})`);
    }
    const binds = (config.mounts ?? []).map((m) => {
      if (m.hostPath.includes(':') || m.containerPath.includes(':')) {
        throw new InvalidArgumentError(`${action}: mount paths may not contain ':' (${m.hostPath} → ${m.containerPath})`);
      }
      return `${m.hostPath}:${m.containerPath}${m.readOnly === true ? ':ro' : ''}`;
    });
    const hostConfig: Docker.HostConfig = {
      // Sharing the sandbox's network namespace is what gives a pod one IP and one localhost.
      NetworkMode: `container:${config.sandboxId}`,
      IpcMode: `container:${config.sandboxId}`,
      RestartPolicy: { Name: 'no' },
      Binds: binds,
    };
    if (config.cpuMillis !== undefined) hostConfig.NanoCpus = Math.round(config.cpuMillis * 1e6);
    if (config.memoryBytes !== undefined) hostConfig.Memory = config.memoryBytes;
    const nonEmpty = (list: string[] | undefined): string[] | undefined =>
      list !== undefined && list.length > 0 ? list : undefined;
    // Kubernetes: command replaces the image's ENTRYPOINT (and drops its CMD, as Docker does when
    // given an Entrypoint), args replace CMD; either unset keeps the image's.
    const entrypoint = nonEmpty(config.command);
    const cmd = nonEmpty(config.args);
    try {
      const created = await this.docker.createContainer({
        name,
        Image: config.image,
        ...(entrypoint !== undefined ? { Entrypoint: entrypoint } : {}),
        ...(cmd !== undefined ? { Cmd: cmd } : {}),
        Env: Object.entries(config.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(config.workingDir !== undefined && config.workingDir !== '' ? { WorkingDir: config.workingDir } : {}),
        Tty: config.tty === true,
        OpenStdin: config.stdin === true,
        Labels: {
          ...config.labels,
          ...containerLabels(pod, config.name, config.attempt),
          [LABEL_SANDBOX_ID]: config.sandboxId,
        },
        HostConfig: hostConfig,
      });
      this.log.debug('container created', { name, id: created.id });
      return created.id;
    } catch (e) {
      throw runtimeError(action, e, this.socketPath);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      throw runtimeError(`starting container ${id}`, e, this.socketPath);
    }
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    // Docker sends the stop signal (SIGTERM unless the image says otherwise), then SIGKILL after t.
    const t = Math.max(0, Math.ceil(graceSeconds));
    try {
      await this.docker.getContainer(id).stop({ t });
    } catch (e) {
      // Gone, or already stopped: the goal is reached.
      if (isNotFound(e) || dockerStatusCode(e) === 304) return;
      throw runtimeError(`stopping container ${id}`, e, this.socketPath);
    }
  }

  async removeContainer(id: string): Promise<void> {
    this.inspected.delete(id);
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (e) {
      if (isNotFound(e) || /already in progress/i.test(dockerMessage(e))) return;
      throw runtimeError(`removing container ${id}`, e, this.socketPath);
    }
  }

  async listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]> {
    const labels = [filter?.name === undefined ? LABEL_CONTAINER_NAME : `${LABEL_CONTAINER_NAME}=${filter.name}`];
    if (filter?.podUid !== undefined) labels.push(`${LABEL_POD_UID}=${filter.podUid}`);
    const summaries = await this.list(labels, 'listing containers');
    const seen = new Set<string>();
    const containers: RuntimeContainer[] = [];
    for (const summary of summaries) {
      seen.add(summary.Id);
      let container = this.inspected.get(summary.Id);
      if (container === undefined || container.state !== containerState(summary.State)) {
        container = await this.inspectContainer(summary.Id);
      }
      if (container !== undefined && (filter?.state === undefined || container.state === filter.state)) {
        containers.push(cloneContainer(container));
      }
    }
    // Forget containers removed behind our back (within what this list covered).
    for (const [id, c] of this.inspected) {
      const covered =
        (filter?.podUid === undefined || c.podUid === filter.podUid) && (filter?.name === undefined || c.name === filter.name);
      if (covered && !seen.has(id)) this.inspected.delete(id);
    }
    return containers;
  }

  async inspectContainer(id: string): Promise<RuntimeContainer | undefined> {
    const info = await this.inspectOrUndefined(id);
    const container = info === undefined ? undefined : containerFromInspect(info);
    if (container === undefined) {
      this.inspected.delete(id);
      return undefined;
    }
    this.inspected.set(container.id, container);
    return cloneContainer(container);
  }

  // ---- images ----

  async imagePresent(image: string): Promise<boolean> {
    const ref = normalizeImageRef(image);
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw runtimeError(`inspecting image ${ref}`, e, this.socketPath);
    }
  }

  async pullImage(image: string): Promise<void> {
    const ref = normalizeImageRef(image);
    const fail = (e: unknown): MkError => pullError(ref, e);
    this.log.info('pulling image', { image: ref });
    let progress: NodeJS.ReadableStream;
    try {
      progress = await this.docker.pull(ref);
    } catch (e) {
      throw fail(e);
    }
    // The answer is a stream of JSON progress events; a failure midway is an event with `error`.
    const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>((resolve, reject) => {
      this.docker.modem.followProgress(progress, (err: Error | null, output: Array<{ error?: string }>) =>
        err !== null ? reject(fail(err)) : resolve(output),
      );
    });
    const failed = events.find((e) => e.error !== undefined || e.errorDetail !== undefined);
    if (failed !== undefined) throw fail(new Error(failed.errorDetail?.message ?? failed.error ?? 'unknown error'));
  }

  // ---- exec, logs, stats ----

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    const what = `exec in container ${id} (${options.command.join(' ')})`;
    const tty = options.tty === true;
    // A buffered exec has no input to give, so `options.stdin` opens nothing (see execStream).
    let execution: Docker.Exec;
    let socket: Duplex;
    try {
      execution = await this.docker
        .getContainer(id)
        .exec({ Cmd: options.command, AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: tty });
      socket = await execution.start({ hijack: true, stdin: false, Tty: tty });
    } catch (e) {
      throw runtimeError(what, e, this.socketPath);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const demuxer = tty ? undefined : new FrameDemuxer();
    const collect = (data: Buffer): void => {
      for (const c of demuxer === undefined ? [{ stream: 1, data }] : demuxer.push(data)) (c.stream === 2 ? err : out).push(c.data);
    };
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const ended = new Promise<void>((resolve, reject) => {
      socket.on('data', collect);
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
      socket.once('error', (e) => reject(runtimeError(what, e, this.socketPath)));
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      if (options.timeoutMs === undefined) return;
      timer = setTimeout(() => {
        socket.destroy();
        // Like Docker's own exec, the process itself keeps running: there is no exec kill in the API.
        reject(new MkError(ErrorCode.DeadlineExceeded, `${what} timed out after ${options.timeoutMs} ms`));
      }, options.timeoutMs);
    });
    try {
      await Promise.race([ended, timedOut]);
      const exitCode = await Promise.race([this.execExitCode(execution, what, deadline), timedOut]);
      return { exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
    } finally {
      clearTimeout(timer);
      timedOut.catch(() => undefined);
    }
  }

  async execStream(id: string, options: ExecStreamOptions): Promise<ExecSession> {
    const what = `exec in container ${id} (${options.command.join(' ')})`;
    const tty = options.tty === true;
    const stdin = options.stdin === true;
    let execution: Docker.Exec;
    let socket: Duplex;
    try {
      execution = await this.docker
        .getContainer(id)
        .exec({ Cmd: options.command, AttachStdin: stdin, AttachStdout: true, AttachStderr: true, Tty: tty });
      socket = await execution.start({ hijack: true, stdin, Tty: tty });
    } catch (e) {
      throw runtimeError(what, e, this.socketPath);
    }
    let cancelled = false;
    let outputEnded!: () => void;
    const outputDone = new Promise<void>((resolve) => (outputEnded = resolve));
    const socketPath = this.socketPath;
    async function* output(): AsyncGenerator<OutputChunk> {
      const demuxer = tty ? undefined : new FrameDemuxer();
      try {
        for await (const data of socket as AsyncIterable<Buffer>) {
          if (demuxer === undefined) yield { stream: 1, data };
          else yield* demuxer.push(data);
        }
      } catch (e) {
        if (!cancelled) throw runtimeError(what, e, socketPath);
      } finally {
        outputEnded();
      }
    }
    // The exit code is Docker's once the output ended (read the output to get there).
    const exitCode = outputDone.then(() =>
      cancelled
        ? Promise.reject(new MkError(ErrorCode.Cancelled, `${what} was cancelled`))
        : this.execExitCode(execution, what, undefined),
    );
    exitCode.catch(() => undefined);
    return {
      output: output(),
      write: (data) => {
        socket.write(data);
      },
      closeInput: () => {
        // Half-close: the process sees the end of its input; its output keeps coming.
        socket.end();
      },
      resize: async (rows, cols) => {
        try {
          await execution.resize({ h: rows, w: cols });
        } catch (e) {
          throw runtimeError(`resizing ${what}`, e, socketPath);
        }
      },
      exitCode,
      cancel: () => {
        cancelled = true;
        socket.destroy();
        outputEnded();
      },
    };
  }

  async *logs(id: string, options: LogOptions = {}): AsyncIterable<string> {
    const info = await this.inspectOrFail(id, `reading the log of container ${id}`);
    const tty = info.Config.Tty;
    if (options.tailLines === 0 && options.follow !== true) return;
    const wanted = {
      stdout: true,
      stderr: true,
      // Docker's default tail is all lines.
      ...(options.tailLines !== undefined ? { tail: options.tailLines } : {}),
      ...(options.sinceMs !== undefined ? { since: options.sinceMs / 1000 } : {}),
    };
    if (options.follow !== true) {
      yield* await this.readLog(id, { ...wanted, timestamps: options.timestamps === true }, tty, false);
      return;
    }
    // Followed with timestamps (dropped unless asked for), to know where to pick up afterwards.
    let stream: Readable;
    try {
      // dockerode types it as NodeJS.ReadableStream; it is the HTTP response, a Readable.
      stream = (await this.docker.getContainer(id).logs({ ...wanted, timestamps: true, follow: true })) as unknown as Readable;
    } catch (e) {
      throw runtimeError(`following the log of container ${id}`, e, this.socketPath);
    }
    let last: string | undefined;
    const seen = (line: string): string => {
      const { stamp, text } = splitTimestamp(line);
      if (stamp !== undefined) last = stamp;
      return options.timestamps === true ? line : text;
    };
    const lines = new LogLines(tty);
    const abort = (): void => {
      stream.destroy();
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    if (options.signal?.aborted === true) abort();
    try {
      // Docker ends a followed log when the container stops (or `signal` ends it here).
      for await (const data of stream as AsyncIterable<Buffer>) for (const line of lines.push(data)) yield seen(line);
      for (const line of lines.end()) yield seen(line);
    } catch (e) {
      if (options.signal?.aborted !== true) throw e;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      stream.destroy();
    }
    if (options.signal?.aborted === true) return;
    // Docker 20.10 may end a followed log before its last entry (a final line without a newline
    // at least): whatever a plain read has after the last line seen comes too.
    const since = last;
    const rest = await this.readLog(
      id,
      since === undefined ? { ...wanted, timestamps: true } : { stdout: true, stderr: true, timestamps: true, since: dockerSince(since) },
      tty,
      true,
    );
    for (const line of rest) {
      const { stamp } = splitTimestamp(line);
      if (since === undefined || (stamp !== undefined && stampAfter(stamp, since))) yield seen(line);
    }
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const info = await this.inspectOrUndefined(id);
    if (info === undefined || !info.State.Running) return undefined;
    try {
      // one-shot: no second sample for precpu_stats, which we do not use (rates come from two calls).
      const stats = await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true });
      return statsFromDocker(stats, Date.now());
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw runtimeError(`reading stats of container ${id}`, e, this.socketPath);
    }
  }

  // ---- the pod network (not part of ContainerRuntime: the daemon sets it up at start) ----

  /**
   * A Docker bridge network `spec.name` with the node's pod CIDR on a bridge named `spec.bridge`.
   * Kept when it exists with the same subnet; replaced when its subnet differs and no container
   * uses it; otherwise a FailedPrecondition error.
   */
  async ensurePodNetwork(spec: PodNetworkSpec): Promise<void> {
    validatePodNetworkSpec(spec);
    const action = `ensuring pod network ${spec.name} (${spec.subnet})`;
    try {
      const existing = await this.findNetwork(spec.name);
      const plan = planPodNetwork(
        spec,
        existing === undefined
          ? undefined
          : {
              subnets: (existing.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter((s) => s !== ''),
              containers: Object.keys(existing.Containers ?? {}).length,
            },
      );
      if (plan === 'keep') return;
      if (plan === 'recreate' && existing !== undefined) {
        this.log.warn('replacing pod network with another subnet', { network: spec.name, subnet: spec.subnet });
        await this.docker.getNetwork(existing.Id).remove();
      }
      await this.docker.createNetwork({
        Name: spec.name,
        CheckDuplicate: true,
        Driver: 'bridge',
        Internal: spec.internal === true,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
        Options: { 'com.docker.network.bridge.name': spec.bridge },
        Labels: { 'io.mk.network': 'pods' },
      });
      this.log.info('pod network created', { network: spec.name, subnet: spec.subnet, bridge: spec.bridge });
    } catch (e) {
      throw runtimeError(action, e, this.socketPath);
    }
  }

  /** Removes the Docker network; nothing to do when it is gone. */
  async removePodNetwork(name: string): Promise<void> {
    try {
      await this.docker.getNetwork(name).remove();
    } catch (e) {
      if (isNotFound(e)) return;
      throw runtimeError(`removing pod network ${name}`, e, this.socketPath);
    }
  }

  // ---- helpers ----

  private async list(labels: string[], action: string): Promise<Docker.ContainerInfo[]> {
    try {
      return await this.docker.listContainers({ all: true, filters: { label: labels } });
    } catch (e) {
      throw runtimeError(action, e, this.socketPath);
    }
  }

  private async inspectOrUndefined(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw runtimeError(`inspecting container ${id}`, e, this.socketPath);
    }
  }

  private async inspectOrFail(id: string, action: string): Promise<Docker.ContainerInspectInfo> {
    const info = await this.inspectOrUndefined(id);
    if (info === undefined) throw new NotFoundError(`${action}: no such container ${id}`);
    return info;
  }

  /** A whole log at once, as lines; none when the container is gone and `goneIsEmpty`. */
  private async readLog(
    id: string,
    query: { stdout: boolean; stderr: boolean; timestamps: boolean; tail?: number; since?: number },
    tty: boolean,
    goneIsEmpty: boolean,
  ): Promise<string[]> {
    let buffer: Buffer;
    try {
      buffer = await this.docker.getContainer(id).logs({ ...query, follow: false });
    } catch (e) {
      if (goneIsEmpty && isNotFound(e)) return [];
      throw runtimeError(`reading the log of container ${id}`, e, this.socketPath);
    }
    const lines = new LogLines(tty);
    return [...lines.push(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))), ...lines.end()];
  }

  private async forceRemove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true });
    } catch (e) {
      this.log.warn('could not remove a container that failed to start', { id, error: dockerMessage(e) });
    }
  }

  /** Docker's name filter matches substrings: find the network named exactly `name`. */
  private async findNetwork(name: string): Promise<Docker.NetworkInspectInfo | undefined> {
    const networks = await this.docker.listNetworks({ filters: { name: [name] } });
    const match = networks.find((n) => n.Name === name);
    if (match === undefined) return undefined;
    // The list leaves Containers empty; inspect fills it in.
    return (await this.docker.getNetwork(match.Id).inspect()) as Docker.NetworkInspectInfo;
  }

  /** The exec's exit code once Docker has recorded that it ended. */
  private async execExitCode(execution: Docker.Exec, what: string, deadline: number | undefined): Promise<number> {
    const giveUp = Math.min(deadline ?? Infinity, Date.now() + EXEC_EXIT_WAIT_MS);
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      let info: Docker.ExecInspectInfo;
      try {
        info = await execution.inspect();
      } catch (e) {
        throw runtimeError(`inspecting ${what}`, e, this.socketPath);
      }
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      if (Date.now() >= giveUp) {
        throw new MkError(ErrorCode.DeadlineExceeded, `${what}: its output ended but the process is still running`);
      }
      await sleep(wait);
    }
  }
}

function cloneContainer(c: RuntimeContainer): RuntimeContainer {
  return { ...c, labels: { ...c.labels } };
}
