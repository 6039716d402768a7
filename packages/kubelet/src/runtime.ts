/**
 * The container runtime as the kubelet sees it (DESIGN.md, kubelet). The Docker adapter (step 5)
 * implements it; the pure core and its tests use testing/fake-runtime.ts.
 */

/** Labels every sandbox and container carries, so a restarted kubelet finds and adopts them. */
export const LABEL_POD_UID = 'io.mk.pod.uid';
export const LABEL_POD_NAME = 'io.mk.pod.name';
export const LABEL_POD_NAMESPACE = 'io.mk.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.mk.container.name';
export const LABEL_ATTEMPT = 'io.mk.container.attempt';

export interface PodRef {
  uid: string;
  name: string;
  namespace: string;
}

export type SandboxState = 'ready' | 'notready';

/** The pause container holding a pod's network namespace and IP. */
export interface RuntimeSandbox {
  id: string;
  pod: PodRef;
  state: SandboxState;
  /** The pod's IP inside the node's pod CIDR; absent when not ready. */
  ip?: string;
  /** ms since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
}

/** The resolv.conf a pod gets (Kubernetes' ClusterFirst DNS policy). */
export interface SandboxDns {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface SandboxConfig {
  pod: PodRef;
  hostname?: string;
  /** Share the node's network namespace instead of getting a pod IP. */
  hostNetwork?: boolean;
  /** The runtime's pod network the sandbox joins (Docker: a bridge network); the runtime's default when absent. */
  network?: string;
  dns?: SandboxDns;
  labels?: Record<string, string>;
}

export type RuntimeContainerState = 'created' | 'running' | 'exited';

/** The runtime's view of one container. Times are ms since the epoch. */
export interface RuntimeContainer {
  id: string;
  /** The container's name in the pod spec. */
  name: string;
  podUid: string;
  sandboxId: string;
  state: RuntimeContainerState;
  exitCode?: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** 0 for the first run, +1 for every restart. */
  attempt: number;
  image: string;
  imageId?: string;
  labels: Record<string, string>;
}

export interface ContainerMount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

export interface ContainerConfig {
  pod: PodRef;
  sandboxId: string;
  name: string;
  attempt: number;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  mounts?: ContainerMount[];
  /** CPU limit in millicores. */
  cpuMillis?: number;
  memoryBytes?: number;
  tty?: boolean;
  stdin?: boolean;
  labels?: Record<string, string>;
}

export interface ContainerFilter {
  podUid?: string;
  name?: string;
  state?: RuntimeContainerState;
}

export interface ExecOptions {
  command: string[];
  tty?: boolean;
  stdin?: boolean;
  /** Gives up (rejects) after this many ms. */
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One piece of an exec session's or a log's output. */
export interface OutputChunk {
  /** 1 = stdout, 2 = stderr (with a tty everything is stdout). */
  stream: 1 | 2;
  data: Buffer;
}

export interface ExecStreamOptions {
  command: string[];
  tty?: boolean;
  /** Open the process's stdin; `write`/`closeInput` feed it. */
  stdin?: boolean;
}

/** A running exec (`mkctl exec`): output as it comes, input when asked for, and its exit code. */
export interface ExecSession {
  output: AsyncIterable<OutputChunk>;
  write(data: Buffer): void;
  closeInput(): void;
  resize?(rows: number, cols: number): Promise<void>;
  /** Resolves once the process ended (after the last output chunk). */
  exitCode: Promise<number>;
  /** Stops reading; the process itself may keep running (as with docker exec). */
  cancel(): void;
}

/** Resource use of one container at one moment. */
export interface ContainerStats {
  /** ms since the epoch. */
  timestamp: number;
  /** Cumulative CPU time used, in nanoseconds (rates come from two samples). */
  cpuUsageNanos: number;
  /** Working set: memory in use minus inactive page cache, in bytes. */
  memoryWorkingSetBytes: number;
}

export interface LogOptions {
  /** Ends a followed log at once (the reader went away), even while the container is quiet. */
  signal?: AbortSignal;
  follow?: boolean;
  tailLines?: number;
  sinceMs?: number;
  timestamps?: boolean;
}

/** Everything the kubelet asks of a container runtime. Every method may reject. */
export interface ContainerRuntime {
  createSandbox(config: SandboxConfig): Promise<RuntimeSandbox>;
  stopSandbox(id: string): Promise<void>;
  removeSandbox(id: string): Promise<void>;
  listSandboxes(filter?: { podUid?: string }): Promise<RuntimeSandbox[]>;

  createContainer(config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]>;
  /** Undefined when there is no such container. */
  inspectContainer(id: string): Promise<RuntimeContainer | undefined>;

  imagePresent(image: string): Promise<boolean>;
  pullImage(image: string): Promise<void>;

  /** Runs a command to completion and buffers its output (probes). */
  exec(id: string, options: ExecOptions): Promise<ExecResult>;
  /** Starts an interactive command (`mkctl exec`). */
  execStream(id: string, options: ExecStreamOptions): Promise<ExecSession>;
  /** The log as lines; with `follow`, the iterator keeps going until the container exits. */
  logs(id: string, options?: LogOptions): AsyncIterable<string>;
  /** Undefined when the container is not running. */
  stats(id: string): Promise<ContainerStats | undefined>;
}

/** The labels a container of `pod` carries. */
export function containerLabels(pod: PodRef, name: string, attempt: number): Record<string, string> {
  return {
    [LABEL_POD_UID]: pod.uid,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_POD_NAMESPACE]: pod.namespace,
    [LABEL_CONTAINER_NAME]: name,
    [LABEL_ATTEMPT]: String(attempt),
  };
}
