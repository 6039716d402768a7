/**
 * The kubelet's own gRPC service (proto/mkkubelet/kubelet.proto): the API servers relay
 * `mkctl logs` and `mkctl exec` here, and ask for the usage behind `mkctl top`. It reads the
 * runtime only (the ContainerRuntime interface), so the Docker adapter and the fake serve alike.
 */
import * as grpc from '@grpc/grpc-js';
import type { Pod } from '@mk/api';
import { ApiError, toGrpcError } from '@mk/client';
import { addService, type mkapi, type mkkubelet, type ServiceImplementation, services } from '@mk/proto';
import type { Clock, Logger } from '@mk/shared';
import { type ContainerRuntime, type ExecSession, LABEL_POD_NAME, LABEL_POD_NAMESPACE, type RuntimeContainer } from '../runtime';
import { chooseContainer } from './container-lookup';
import { type UsageRate, UsageSampler } from './usage-sampler';

/** The node's own cumulative usage (cgroup root / /proc), for `mkctl top nodes`. */
export interface NodeUsage {
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
  /** When it was read, ms since the epoch (default: the clock's now when the call returns). */
  timestamp?: number;
}

export interface KubeletServiceDeps {
  runtime: ContainerRuntime;
  /** The pod as the kubelet knows it (its informer's cache); undefined when not on this node. */
  getPod: (namespace: string, name: string) => Pod | undefined | Promise<Pod | undefined>;
  clock: Clock;
  logger: Logger;
  nodeUsage?: () => Promise<NodeUsage>;
  /** When a series has one sample only, wait this long for a second (default 200 ms). */
  firstSampleGapMs?: number;
  /** Later CPU windows are at least this long (default 1000 ms). */
  minWindowMs?: number;
}

type KubeletImplementation = ServiceImplementation<typeof services.mkkubelet.Kubelet>;
type LogsCall = grpc.ServerWritableStream<mkapi.PodLogsRequest, mkapi.LogChunk.$Properties>;
type ExecCall = grpc.ServerDuplexStream<mkapi.ExecInput, mkapi.ExecOutput.$Properties>;

const NODE_SERIES = '';

/** Writes one message, waiting while the transport's buffer is full (or until the call ends). */
export function writeMessage<T>(call: grpc.ServerWritableStream<unknown, T> | grpc.ServerDuplexStream<unknown, T>, message: T): Promise<void> {
  if (call.write(message)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}

/** Fails a streaming call with the error's Status in the `mk-status` trailer. */
function failCall(call: LogsCall | ExecCall, e: unknown, logger: Logger, what: string): void {
  const status = toGrpcError(e);
  if (status.code === grpc.status.INTERNAL || status.code === grpc.status.UNKNOWN) logger.error(`${what} failed`, { error: status.details });
  call.emit('error', status);
}

/** The grpc-js handlers of mkkubelet.Kubelet. */
export function createKubeletService(deps: KubeletServiceDeps): KubeletImplementation {
  const { runtime, clock, logger } = deps;
  const sampler = new UsageSampler(deps.minWindowMs ?? 1000);
  const firstSampleGapMs = deps.firstSampleGapMs ?? 200;

  async function findContainer(namespace: string, name: string, container: string, previous: boolean): Promise<{ pod: Pod; container: RuntimeContainer }> {
    const pod = await deps.getPod(namespace, name);
    if (pod === undefined) throw ApiError.notFound('pods', name);
    const runs = await runtime.listContainers({ podUid: pod.metadata.uid ?? '' });
    return { pod, container: chooseContainer(pod, runs, { container, previous }) };
  }

  async function serveLogs(call: LogsCall): Promise<void> {
    const req = call.request;
    let cancelled = false;
    let iterator: AsyncIterator<string> | undefined;
    const aborter = new AbortController();
    let onCancel!: () => void;
    const cancellation = new Promise<IteratorResult<string>>((resolve) => (onCancel = () => resolve({ done: true, value: undefined })));
    call.on('cancelled', () => {
      cancelled = true;
      onCancel();
      aborter.abort();
      // Stops the runtime's follow. (An async generator handles return() only once its pending
      // next() settles, i.e. at the next line or when the container exits; the loop below does
      // not wait for that.)
      void iterator?.return?.().catch(() => undefined);
    });
    try {
      const { container } = await findContainer(req.namespace, req.name, req.container, req.previous);
      if (cancelled) return;
      iterator = runtime
        .logs(container.id, {
          follow: req.follow && !req.previous,
          ...(req.tailLines !== null && req.tailLines !== undefined ? { tailLines: Math.max(0, req.tailLines) } : {}),
          ...(req.sinceSeconds > 0 ? { sinceMs: clock.now() - req.sinceSeconds * 1000 } : {}),
          timestamps: req.timestamps,
          signal: aborter.signal,
        })
        [Symbol.asyncIterator]();
      for (;;) {
        const next = await Promise.race([iterator.next(), cancellation]);
        if (next.done || cancelled) break;
        const line = next.value.endsWith('\n') ? next.value : `${next.value}\n`;
        await writeMessage(call, { data: Buffer.from(line) });
      }
      if (!cancelled) call.end();
    } catch (e) {
      if (!cancelled) failCall(call, e, logger, 'logs');
    }
  }

  function serveExec(call: ExecCall): void {
    let started = false;
    let failed = false;
    let cancelled = false;
    let inputEnded = false;
    let wantsStdin = false;
    let stdinClosed = false;
    let session: ExecSession | undefined;
    const pending: mkapi.ExecInput[] = [];

    const fail = (e: unknown): void => {
      if (failed || cancelled) return;
      failed = true;
      session?.cancel();
      failCall(call, e, logger, 'exec');
    };
    const closeStdin = (): void => {
      if (!wantsStdin || stdinClosed || session === undefined) return;
      stdinClosed = true;
      session.closeInput();
    };
    const apply = (s: ExecSession, m: mkapi.ExecInput): void => {
      switch (m.input) {
        case 'stdin':
          if (wantsStdin && !stdinClosed) s.write(Buffer.from(m.stdin ?? []));
          return;
        case 'closeStdin':
          closeStdin();
          return;
        case 'resize':
          if (m.resize && s.resize) s.resize(m.resize.rows ?? 0, m.resize.cols ?? 0).catch((e: unknown) => logger.debug('exec resize failed', { error: (e as Error).message }));
          return;
        case 'start':
          fail(ApiError.badRequest('exec: start may be sent only once, as the first message'));
          return;
        default:
          return;
      }
    };

    const begin = async (start: mkapi.IExecStart): Promise<void> => {
      const command = start.command ?? [];
      if (command.length === 0) throw ApiError.badRequest('you must specify at least one command for the container');
      const { pod, container } = await findContainer(start.namespace ?? '', start.name ?? '', start.container ?? '', false);
      if (container.state !== 'running') throw ApiError.badRequest(`container "${container.name}" in pod "${pod.metadata.name}" is not running`);
      wantsStdin = start.stdin === true;
      const s = await runtime.execStream(container.id, { command, tty: start.tty === true, stdin: wantsStdin });
      session = s;
      if (cancelled || failed) {
        s.cancel();
        return;
      }
      for (const m of pending.splice(0)) apply(s, m);
      if (inputEnded) closeStdin();
      for await (const chunk of s.output) {
        if (cancelled || failed) return;
        await writeMessage(call, chunk.stream === 2 ? { stderr: chunk.data } : { stdout: chunk.data });
      }
      const code = await s.exitCode;
      if (cancelled || failed) return;
      await writeMessage(call, { exit: { code } });
      call.end();
    };

    call.on('data', (m: mkapi.ExecInput) => {
      if (failed || cancelled) return;
      if (!started) {
        started = true;
        if (m.input !== 'start' || !m.start) return fail(ApiError.badRequest('exec: the first message must be start'));
        begin(m.start).catch(fail);
        return;
      }
      if (session) apply(session, m);
      else pending.push(m);
    });
    call.on('end', () => {
      inputEnded = true;
      if (!started) return fail(ApiError.badRequest('exec: the stream ended before start'));
      closeStdin();
    });
    call.on('cancelled', () => {
      cancelled = true;
      session?.cancel();
    });
    call.on('error', () => undefined);
  }

  /** Samples every running container (and the node); true when each has a rate now. */
  async function sampleAll(running: readonly RuntimeContainer[]): Promise<boolean> {
    await Promise.all(
      running.map(async (c) => {
        const s = await runtime.stats(c.id).catch(() => undefined);
        if (s !== undefined) sampler.record(c.id, s);
      }),
    );
    if (deps.nodeUsage) {
      const n = await deps.nodeUsage().catch(() => undefined);
      if (n !== undefined) sampler.record(NODE_SERIES, { cpuUsageNanos: n.cpuUsageNanos, memoryWorkingSetBytes: n.memoryWorkingSetBytes, timestamp: n.timestamp ?? clock.now() });
    }
    return running.every((c) => sampler.hasRate(c.id)) && (deps.nodeUsage === undefined || sampler.hasRate(NODE_SERIES));
  }

  async function stats(): Promise<mkkubelet.IStatsSummary> {
    const running = await runtime.listContainers({ state: 'running' });
    sampler.retain(new Set([NODE_SERIES, ...running.map((c) => c.id)]));
    if (!(await sampleAll(running))) {
      // A series seen for the first time: a second sample a moment later gives its first rate.
      await new Promise<void>((resolve) => clock.setTimer(firstSampleGapMs, resolve));
      await sampleAll(running);
    }
    const pods = new Map<string, mkkubelet.IPodStats & { containers: mkkubelet.IContainerStats[] }>();
    for (const c of [...running].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const rate = sampler.rate(c.id);
      const namespace = c.labels[LABEL_POD_NAMESPACE];
      const name = c.labels[LABEL_POD_NAME];
      if (rate === undefined || namespace === undefined || name === undefined) continue;
      let pod = pods.get(c.podUid);
      if (pod === undefined) pods.set(c.podUid, (pod = { namespace, name, uid: c.podUid, containers: [] }));
      pod.containers.push({ name: c.name, usage: usageMessage(rate) });
    }
    const node = sampler.rate(NODE_SERIES);
    const byName = [...pods.values()].sort((a, b) => ((a.namespace ?? '') + '/' + (a.name ?? '') < (b.namespace ?? '') + '/' + (b.name ?? '') ? -1 : 1));
    return { ...(node ? { node: usageMessage(node) } : {}), pods: byName };
  }

  return {
    Logs: (call) => void serveLogs(call),
    Exec: (call) => serveExec(call),
    Stats: (_call, callback) => {
      stats().then(
        (summary) => callback(null, summary),
        (e: unknown) => {
          logger.error('stats failed', { error: e instanceof Error ? e.message : String(e) });
          callback(toGrpcError(e));
        },
      );
    },
  };
}

function usageMessage(r: UsageRate): mkkubelet.IUsage {
  return { timestampMs: r.timestamp, windowMs: r.windowMs, cpuNanoCores: r.cpuNanoCores, memoryWorkingSetBytes: r.memoryWorkingSetBytes };
}

export interface KubeletServer {
  /** The port it listens on (the one asked for, or the one picked for port 0). */
  port: number;
  /** Stops at once: open log follows and exec sessions are cancelled. */
  close(): void;
}

/** Serves mkkubelet.Kubelet on `listen` (host:port; port 0 = any). */
export async function startKubeletServer(listen: string, deps: KubeletServiceDeps): Promise<KubeletServer> {
  const server = new grpc.Server();
  addService(server, services.mkkubelet.Kubelet, createKubeletService(deps));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new Error(`kubelet server cannot listen on ${listen}: ${err.message}`)) : resolve(p))),
  );
  return { port, close: () => server.forceShutdown() };
}
