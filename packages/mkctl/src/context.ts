/**
 * What every command runs with. Commands never touch process.*, the network or the real clock
 * directly: `src/bin/mkctl.ts` builds a context from the real world, the tests build one around
 * an in-memory fake client (src/testing).
 */
import type {
  APIResource,
  CreateOptions,
  DeleteOptions,
  ListOptions,
  MetricsList,
  NodeMetrics,
  NodeMetricsOptions,
  ObjectList,
  PatchOptions,
  PodExecOptions,
  PodExecSession,
  PodLogsOptions,
  PodMetrics,
  PodMetricsOptions,
  VersionInfo,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from '@mk/client';
import type { KubeObject } from '@mk/api';
import type { Clock } from '@mk/shared';

/**
 * The part of @mk/client's ApiClient that mkctl uses. ApiClient satisfies it (checked in
 * src/real-client.ts); the tests use FakeClient (src/testing/fake-client.ts).
 */
export interface MkClient {
  get(resource: string, namespace: string, name: string): Promise<KubeObject>;
  /** Every page of a list. */
  listAll(resource: string, opts?: ListOptions): Promise<ObjectList<KubeObject>>;
  create(resource: string, obj: KubeObject, opts?: CreateOptions): Promise<KubeObject>;
  update(resource: string, obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  /** RFC 7386 merge patch. */
  patch(resource: string, namespace: string, name: string, patch: unknown, opts?: PatchOptions): Promise<KubeObject>;
  delete(resource: string, namespace: string, name: string, opts?: DeleteOptions): Promise<KubeObject>;
  watch(resource: string, opts: WatchOptions, handler: (event: WatchEvent<KubeObject>) => void): WatchHandle;
  version(): Promise<VersionInfo>;
  apiResources(): Promise<APIResource[]>;
  /** A container's log, chunk by chunk; stopping the iteration cancels it. */
  podLogs(namespace: string, name: string, opts?: PodLogsOptions): AsyncIterable<Buffer>;
  podExec(namespace: string, name: string, opts: PodExecOptions): Promise<PodExecSession>;
  podMetrics(opts?: PodMetricsOptions): Promise<MetricsList<PodMetrics>>;
  nodeMetrics(opts?: NodeMetricsOptions): Promise<MetricsList<NodeMetrics>>;
}

/** The process's byte streams and terminal, for `logs` and `exec` (whose output may be any bytes). */
export interface Terminal {
  writeOut(data: Uint8Array): void;
  writeErr(data: Uint8Array): void;
  /** stdin, chunk by chunk, until end of file. */
  stdin(): AsyncIterable<Buffer>;
  readonly stdinIsTTY: boolean;
  /** Puts the terminal into raw mode (`exec -t`); the function returned restores it. */
  makeRaw(): () => void;
  /** The terminal's size, when stdout is one. */
  size(): { rows: number; cols: number } | undefined;
  /** Calls `f` whenever the terminal is resized; the function returned stops that. */
  onResize(f: () => void): () => void;
}

export interface Writer {
  write(text: string): void;
}

/** File access, injectable so `apply -f` and `config` can be tested without a disk. */
export interface Io {
  readFile(path: string): string;
  /** Throws (ENOENT, ...) like fs.statSync. */
  isDirectory(path: string): boolean;
  /** Entry names, unsorted. */
  readDir(path: string): string[];
  exists(path: string): boolean;
  /** Writes a file, creating its directory. */
  writeFile(path: string, text: string): void;
  readStdin(): Promise<string>;
}

export interface CommandContext {
  /** The API client; resolving it may throw (no server configured, bad config file). */
  readonly client: MkClient;
  /** The namespace to use: -n, else the context's, else "default". */
  readonly namespace: string;
  /** True when -n/--namespace was given on the command line. */
  readonly namespaceFromFlag: boolean;
  readonly out: Writer;
  readonly err: Writer;
  readonly clock: Clock;
  readonly io: Io;
  /** The config file `mkctl config` reads and writes (--mkconfig, $MKCONFIG, ~/.mk/config). */
  readonly configPath: string;
  /** The --context flag, when given. */
  readonly contextName?: string;
  /** Times are printed in the local zone (kubectl's way); tests print UTC. */
  readonly localTime: boolean;
  /** Resolves when the user interrupts (Ctrl-C): ends `get --watch`. */
  readonly interrupted: Promise<void>;
  /** mkctl's own version (`mkctl version`). */
  readonly clientVersion: string;
  readonly terminal: Terminal;
}
