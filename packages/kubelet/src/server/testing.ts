/**
 * FakeRuntime with what the kubelet server's tests need beyond it: logs that follow (lines
 * appended by the test reach followers; a follow ends when the container exits or is cancelled),
 * scripted exec answers, and a queue of stats samples per container.
 */
import type { Clock } from '@mk/shared';
import type { ContainerStats, ExecSession, ExecStreamOptions, LogOptions, OutputChunk, PodRef } from '../runtime';
import { FakeRuntime } from '../testing/fake-runtime';

export interface ScriptedExec {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

export class StreamingFakeRuntime extends FakeRuntime {
  /** Log follows that have not ended yet. */
  openFollowers = 0;
  /** Answers for exec commands; undefined = FakeRuntime's (echo stdin, exit 0). */
  onExec: (command: readonly string[]) => ScriptedExec | undefined = () => undefined;
  /** Samples per container id, taken one per stats() call; the last one stays. */
  readonly statsSamples = new Map<string, ContainerStats[]>();
  private readonly wakers = new Set<() => void>();

  constructor(private readonly fakeClock: Clock) {
    super(fakeClock);
  }

  /** A sandbox and one running container per name (first attempt); their ids by name. */
  async startPod(pod: PodRef, names: readonly string[]): Promise<Record<string, string>> {
    const sandbox = await this.createSandbox({ pod });
    const ids: Record<string, string> = {};
    for (const name of names) ids[name] = await this.startAttempt(pod, sandbox.id, name, 0);
    return ids;
  }

  /** Creates and starts attempt `attempt` of container `name`; its id. */
  async startAttempt(pod: PodRef, sandboxId: string, name: string, attempt: number): Promise<string> {
    const image = `${name}-image`;
    this.images.add(image);
    const id = await this.createContainer({ pod, sandboxId, name, attempt, image });
    await this.startContainer(id);
    return id;
  }

  appendLog(id: string, ...lines: string[]): void {
    const log = this.logLines.get(id) ?? [];
    log.push(...lines);
    this.logLines.set(id, log);
    this.wakeAll();
  }

  override exit(id: string, exitCode: number): void {
    super.exit(id, exitCode);
    this.wakeAll();
  }

  override async stats(id: string): Promise<ContainerStats | undefined> {
    const queue = this.statsSamples.get(id);
    if (queue === undefined || this.containers.get(id)?.state !== 'running') return super.stats(id);
    return queue.length > 1 ? queue.shift() : queue[0];
  }

  override async execStream(id: string, options: ExecStreamOptions): Promise<ExecSession> {
    const scripted = this.onExec(options.command);
    if (scripted === undefined) return super.execStream(id, options);
    this.calls.push(`execStream ${id} ${options.command.join(' ')}`);
    if (this.containers.get(id)?.state !== 'running') throw new Error(`container ${id} is not running`);
    const chunks: OutputChunk[] = [];
    if (scripted.stdout) chunks.push({ stream: 1, data: Buffer.from(scripted.stdout) });
    if (scripted.stderr) chunks.push({ stream: options.tty ? 1 : 2, data: Buffer.from(scripted.stderr) });
    return {
      output: (async function* () {
        yield* chunks;
      })(),
      write: () => undefined,
      closeInput: () => undefined,
      exitCode: Promise.resolve(scripted.exitCode),
      cancel: () => undefined,
    };
  }

  override logs(id: string, options?: LogOptions): AsyncIterable<string> {
    if (!this.containers.has(id)) throw new Error(`no container ${id}`);
    const stamp = (line: string): string => (options?.timestamps ? `${new Date(this.fakeClock.now()).toISOString()} ${line}` : line);
    const lines = this.logLines.get(id) ?? [];
    const tail = options?.tailLines;
    let next = tail === undefined ? 0 : Math.max(0, lines.length - tail);
    let ended = false;
    let wake: (() => void) | undefined;
    const follow = options?.follow === true;
    if (follow) this.openFollowers++;
    const end = (): IteratorResult<string> => {
      if (!ended && follow) this.openFollowers--;
      ended = true;
      if (wake) this.wakers.delete(wake);
      wake?.();
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterator<string> = {
      next: async () => {
        for (;;) {
          if (ended) return { done: true, value: undefined };
          const all = this.logLines.get(id) ?? [];
          if (next < all.length) return { done: false, value: stamp(all[next++]!) };
          if (!follow || this.containers.get(id)?.state !== 'running') return end();
          await new Promise<void>((resolve) => {
            wake = resolve;
            this.wakers.add(resolve);
          });
        }
      },
      return: async () => end(),
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  private wakeAll(): void {
    const all = [...this.wakers];
    this.wakers.clear();
    for (const w of all) w();
  }
}
