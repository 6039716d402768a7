/**
 * The API client mkctl uses for real: @mk/client's ApiClient with one pass over the servers per
 * request, each attempt getting its share of --request-timeout, and a hard deadline on the whole
 * request so that unreachable servers fail within the timeout instead of hanging.
 */
import type { KubeObject } from '@mk/api';
import { ApiClient, ApiError, type NodeMetricsOptions, type PodExecOptions, type PodLogsOptions, type PodMetricsOptions, type WatchEvent, type WatchHandle, type WatchOptions } from '@mk/client';
import type { MkClient } from './context';
import { humanDuration } from './time';

// ApiClient must keep satisfying the interface the commands are written against.
const _satisfies: (c: ApiClient) => MkClient = (c) => c;
void _satisfies;

export interface RealClientOptions {
  servers: readonly string[];
  /** The whole request's budget; 0 = no limit. */
  requestTimeoutMs: number;
}

const NO_LIMIT_MS = 24 * 3600 * 1000;

export class RealClient implements MkClient {
  readonly api: ApiClient;
  private readonly totalMs: number;

  constructor(private readonly opts: RealClientOptions) {
    this.totalMs = opts.requestTimeoutMs > 0 ? opts.requestTimeoutMs : NO_LIMIT_MS;
    // Each server gets its share, so that a dead first server leaves time to try the others.
    const perAttempt = Math.max(1000, Math.floor(this.totalMs / Math.max(1, opts.servers.length)));
    this.api = new ApiClient({ servers: opts.servers, timeoutMs: perAttempt, retry: { rounds: 1 } });
  }

  private deadline<T>(p: Promise<T>): Promise<T> {
    if (this.opts.requestTimeoutMs <= 0) return p;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(ApiError.timeout(`no API server answered (${this.opts.servers.join(', ')}); last error: no answer within ${humanDuration(this.totalMs)} (--request-timeout)`)),
        this.totalMs,
      );
    });
    return Promise.race([p, expired]).finally(() => clearTimeout(timer));
  }

  get(resource: string, namespace: string, name: string) {
    return this.deadline(this.api.get<KubeObject>(resource, namespace, name));
  }
  listAll(resource: string, opts?: Parameters<ApiClient['listAll']>[1]) {
    return this.deadline(this.api.listAll<KubeObject>(resource, opts));
  }
  create(resource: string, obj: KubeObject, opts?: Parameters<ApiClient['create']>[2]) {
    return this.deadline(this.api.create<KubeObject>(resource, obj, opts));
  }
  update(resource: string, obj: KubeObject, opts?: Parameters<ApiClient['update']>[2]) {
    return this.deadline(this.api.update<KubeObject>(resource, obj, opts));
  }
  patch(resource: string, namespace: string, name: string, patch: unknown, opts?: Parameters<ApiClient['patch']>[4]) {
    return this.deadline(this.api.patch<KubeObject>(resource, namespace, name, patch, opts));
  }
  delete(resource: string, namespace: string, name: string, opts?: Parameters<ApiClient['delete']>[3]) {
    return this.deadline(this.api.delete<KubeObject>(resource, namespace, name, opts));
  }
  watch(resource: string, opts: WatchOptions, handler: (event: WatchEvent<KubeObject>) => void): WatchHandle {
    return this.api.watch<KubeObject>(resource, opts, handler);
  }
  version() {
    return this.deadline(this.api.version());
  }
  apiResources() {
    return this.deadline(this.api.apiResources());
  }
  // Streams have no overall deadline (a follow lasts as long as the user wants); connecting does.
  podLogs(namespace: string, name: string, opts?: PodLogsOptions): AsyncIterable<Buffer> {
    return this.api.podLogs(namespace, name, { connectTimeoutMs: this.totalMs, ...opts });
  }
  podExec(namespace: string, name: string, opts: PodExecOptions) {
    return this.api.podExec(namespace, name, { connectTimeoutMs: this.totalMs, ...opts });
  }
  podMetrics(opts?: PodMetricsOptions) {
    return this.deadline(this.api.podMetrics(opts));
  }
  nodeMetrics(opts?: NodeMetricsOptions) {
    return this.deadline(this.api.nodeMetrics(opts));
  }

  close(): void {
    this.api.close();
  }
}
