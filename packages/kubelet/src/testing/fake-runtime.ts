/** An in-memory ContainerRuntime for tests: containers change state only when the test says so. */
import type { Clock } from '@mk/shared';
import {
  containerLabels,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStats,
  type ExecOptions,
  type ExecSession,
  type ExecStreamOptions,
  type OutputChunk,
  type ExecResult,
  type LogOptions,
  type RuntimeContainer,
  type RuntimeSandbox,
  type SandboxConfig,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from '../runtime';

export class FakeRuntime implements ContainerRuntime {
  readonly sandboxes = new Map<string, RuntimeSandbox>();
  readonly containers = new Map<string, RuntimeContainer>();
  readonly images = new Set<string>();
  readonly logLines = new Map<string, string[]>();
  /** Every call, in order, e.g. `start c1`. */
  readonly calls: string[] = [];
  private seq = 0;
  private ipSeq = 2;

  constructor(private readonly clock: Clock) {}

  async createSandbox(config: SandboxConfig): Promise<RuntimeSandbox> {
    const id = `sb${++this.seq}`;
    this.calls.push(`createSandbox ${config.pod.name}`);
    const sandbox: RuntimeSandbox = {
      id,
      pod: config.pod,
      state: 'ready',
      ip: `10.244.0.${this.ipSeq++}`,
      createdAt: this.clock.now(),
      labels: {
        ...config.labels,
        [LABEL_POD_UID]: config.pod.uid,
        [LABEL_POD_NAME]: config.pod.name,
        [LABEL_POD_NAMESPACE]: config.pod.namespace,
      },
    };
    this.sandboxes.set(id, sandbox);
    return { ...sandbox };
  }

  async stopSandbox(id: string): Promise<void> {
    this.calls.push(`stopSandbox ${id}`);
    const sandbox = this.sandboxes.get(id);
    if (sandbox === undefined) throw new Error(`no sandbox ${id}`);
    sandbox.state = 'notready';
    delete sandbox.ip;
  }

  async removeSandbox(id: string): Promise<void> {
    this.calls.push(`removeSandbox ${id}`);
    this.sandboxes.delete(id);
  }

  async listSandboxes(filter?: { podUid?: string }): Promise<RuntimeSandbox[]> {
    return [...this.sandboxes.values()]
      .filter((s) => filter?.podUid === undefined || s.pod.uid === filter.podUid)
      .map((s) => ({ ...s }));
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    if (!this.sandboxes.has(config.sandboxId)) throw new Error(`no sandbox ${config.sandboxId}`);
    if (!this.images.has(config.image)) throw new Error(`no such image: ${config.image}`);
    const id = `c${++this.seq}`;
    this.calls.push(`createContainer ${config.name} ${id}`);
    this.containers.set(id, {
      id,
      name: config.name,
      podUid: config.pod.uid,
      sandboxId: config.sandboxId,
      state: 'created',
      createdAt: this.clock.now(),
      attempt: config.attempt,
      image: config.image,
      imageId: `sha256:${config.image}`,
      labels: { ...config.labels, ...containerLabels(config.pod, config.name, config.attempt) },
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.calls.push(`startContainer ${id}`);
    const c = this.mustGet(id);
    if (c.state !== 'created') throw new Error(`container ${id} is ${c.state}`);
    c.state = 'running';
    c.startedAt = this.clock.now();
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    this.calls.push(`stopContainer ${id} ${graceSeconds}`);
    const c = this.mustGet(id);
    if (c.state === 'running') this.exit(id, 137);
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`removeContainer ${id}`);
    this.containers.delete(id);
  }

  async listContainers(filter?: ContainerFilter): Promise<RuntimeContainer[]> {
    return [...this.containers.values()]
      .filter(
        (c) =>
          (filter?.podUid === undefined || c.podUid === filter.podUid) &&
          (filter?.name === undefined || c.name === filter.name) &&
          (filter?.state === undefined || c.state === filter.state),
      )
      .map((c) => ({ ...c }));
  }

  async inspectContainer(id: string): Promise<RuntimeContainer | undefined> {
    const c = this.containers.get(id);
    return c === undefined ? undefined : { ...c };
  }

  async imagePresent(image: string): Promise<boolean> {
    return this.images.has(image);
  }

  async pullImage(image: string): Promise<void> {
    this.calls.push(`pullImage ${image}`);
    this.images.add(image);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    this.calls.push(`exec ${id} ${options.command.join(' ')}`);
    const c = this.mustGet(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  async execStream(id: string, options: ExecStreamOptions): Promise<ExecSession> {
    this.calls.push(`execStream ${id} ${options.command.join(' ')}`);
    const c = this.mustGet(id);
    if (c.state !== 'running') throw new Error(`container ${id} is not running`);
    // Echoes its input to stdout, then exits 0 once the input is closed (or at once without stdin).
    const chunks: OutputChunk[] = [];
    let wake: (() => void) | undefined;
    let closed = options.stdin !== true;
    let exit!: (code: number) => void;
    const exitCode = new Promise<number>((resolve) => (exit = resolve));
    if (closed) exit(0);
    async function* output(): AsyncIterable<OutputChunk> {
      for (;;) {
        const next = chunks.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (closed) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    const poke = (): void => {
      wake?.();
      wake = undefined;
    };
    return {
      output: output(),
      write: (data) => {
        chunks.push({ stream: 1, data });
        poke();
      },
      closeInput: () => {
        closed = true;
        exit(0);
        poke();
      },
      exitCode,
      cancel: () => {
        closed = true;
        poke();
      },
    };
  }

  /** Stats per container id, set by the test. */
  readonly statsById = new Map<string, ContainerStats>();

  async stats(id: string): Promise<ContainerStats | undefined> {
    return this.containers.get(id)?.state === 'running' ? this.statsById.get(id) : undefined;
  }

  async *logs(id: string, options?: LogOptions): AsyncIterable<string> {
    this.mustGet(id);
    const lines = this.logLines.get(id) ?? [];
    const tail = options?.tailLines;
    yield* tail === undefined ? lines : lines.slice(Math.max(0, lines.length - tail));
  }

  /** Test hook: the container's process exits with `exitCode`. */
  exit(id: string, exitCode: number): void {
    const c = this.mustGet(id);
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = this.clock.now();
  }

  private mustGet(id: string): RuntimeContainer {
    const c = this.containers.get(id);
    if (c === undefined) throw new Error(`no container ${id}`);
    return c;
  }
}
