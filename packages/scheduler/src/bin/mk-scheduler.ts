#!/usr/bin/env node
/**
 * mk-scheduler: binds pending pods to nodes. Runs on every control-plane node; only the holder of
 * the Lease kube-system/mk-scheduler schedules.
 *   mk-scheduler --server 127.0.0.1:6443,127.0.0.1:7443
 *   mk-scheduler --mkconfig /etc/mk/scheduler.conf --leader-elect-lease-duration 3s
 * Durations take Go's syntax (3s, 500ms, 1m30s) or a bare number of milliseconds.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { DEFAULT_SCHEDULER_NAME } from '@mk/api';
import { ApiClient, EventRecorder, LEADER_ELECTION_DEFAULTS, loadClientConfig, parseServerList } from '@mk/client';
import { boolFlag as bool, createWinstonLogger, durationFlag as duration, formatDuration, httpEndpoints, intFlag as intIn, listenHttp, parseListenAddress, systemClock, systemRng } from '@mk/shared';
import { SchedulerDaemon } from '../daemon';
import { SchedulerMetrics } from '../metrics';

interface Flags {
  server?: string;
  mkconfig?: string;
  context?: string;
  leaderElect: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  leaderElectResourceNamespace: string;
  leaderElectResourceName: string;
  identity?: string;
  schedulerName: string;
  percentageOfNodesToScore: number;
  podInitialBackoff: number;
  podMaxBackoff: number;
  podMaxUnschedulable: number;
  maxConcurrentBinds: number;
  bindLatencyTarget: number;
  apiTimeout: number;
  logLevel: string;
  httpListen: string;
}

async function main(): Promise<void> {
  const d = LEADER_ELECTION_DEFAULTS;
  const program = new Command('mk-scheduler')
    .description('mk scheduler: binds pending pods to nodes through filter and score plugins; leader-elected')
    .option('--server <list>', 'API servers, comma-separated host:port (default: --mkconfig, $MKCONFIG, ~/.mk/config)')
    .option('--mkconfig <file>', 'the client config file (contexts of API servers), instead of $MKCONFIG or ~/.mk/config')
    .option('--context <name>', "the config file's context to use (default: its current-context)")
    .addOption(new Option('--leader-elect <bool>', 'contend for the lease; only the leader schedules (false: schedule at once)').default(true).argParser(bool('--leader-elect')))
    .addOption(new Option('--leader-elect-lease-duration <duration>', 'how long a lease holds after its last renewal').default(d.leaseDurationMs, formatDuration(d.leaseDurationMs)).argParser(duration('--leader-elect-lease-duration')))
    .addOption(new Option('--leader-elect-renew-deadline <duration>', 'a leader that has not renewed for this long stops scheduling').default(d.renewDeadlineMs, formatDuration(d.renewDeadlineMs)).argParser(duration('--leader-elect-renew-deadline')))
    .addOption(new Option('--leader-elect-retry-period <duration>', 'how often to try to acquire or renew the lease').default(d.retryPeriodMs, formatDuration(d.retryPeriodMs)).argParser(duration('--leader-elect-retry-period')))
    .option('--leader-elect-resource-namespace <ns>', 'namespace of the Lease', 'kube-system')
    .option('--leader-elect-resource-name <name>', 'name of the Lease', 'mk-scheduler')
    .option('--identity <id>', 'this candidate in the Lease (default: <hostname>_<random uuid>)')
    .option('--scheduler-name <name>', 'schedule the pods whose spec.schedulerName is this', DEFAULT_SCHEDULER_NAME)
    .addOption(new Option('--percentage-of-nodes-to-score <pct>', 'stop filtering once this % of the nodes fit (0: adaptive, as Kubernetes)').default(0).argParser(intIn('--percentage-of-nodes-to-score', 0, 100)))
    .addOption(new Option('--pod-initial-backoff <duration>', "a failed pod's first back-off (doubles per attempt)").default(1000, '1s').argParser(duration('--pod-initial-backoff')))
    .addOption(new Option('--pod-max-backoff <duration>', 'the longest back-off').default(10_000, '10s').argParser(duration('--pod-max-backoff')))
    .addOption(new Option('--pod-max-unschedulable <duration>', 'an unschedulable pod is tried again after this long at the latest').default(60_000, '1m0s').argParser(duration('--pod-max-unschedulable')))
    .addOption(new Option('--max-concurrent-binds <n>', 'binding calls in flight at most').default(200).argParser(intIn('--max-concurrent-binds', 1, 10_000)))
    .addOption(new Option('--bind-latency-target <duration>', 'bindings slower than this narrow the window of bindings in flight, faster ones widen it (0: fixed at --max-concurrent-binds)').default(300, '300ms').argParser(duration('--bind-latency-target')))
    .addOption(new Option('--api-timeout <duration>', 'deadline of each API call').default(10_000, '10s').argParser(duration('--api-timeout')))
    .addOption(new Option('--log-level <level>', 'error, warn, info or debug').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .option('--http-listen <host:port>', "where /healthz, /readyz, /metrics and /leader listen ('' = off)", '127.0.0.1:10251')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();

  let servers: string[];
  let listen: { host: string; port: number } | undefined;
  try {
    if (!(f.leaderElectRenewDeadline < f.leaderElectLeaseDuration)) throw new Error('--leader-elect-renew-deadline must be shorter than --leader-elect-lease-duration');
    if (!(f.leaderElectRetryPeriod < f.leaderElectRenewDeadline)) throw new Error('--leader-elect-retry-period must be shorter than --leader-elect-renew-deadline');
    const env = f.mkconfig ? { ...process.env, MKCONFIG: f.mkconfig } : process.env;
    servers = loadClientConfig({ ...(f.server ? { servers: parseServerList(f.server) } : {}), ...(f.context ? { context: f.context } : {}), env }).servers;
    listen = f.httpListen === '' ? undefined : parseListenAddress('--http-listen', f.httpListen);
  } catch (e) {
    process.stderr.write(`mk-scheduler: ${(e as Error).message}\n`);
    process.exit(2);
  }

  const host = hostname();
  const identity = f.identity ?? `${host}_${randomUUID()}`;
  const logger = createWinstonLogger(f.logLevel, { component: 'mk-scheduler', identity });
  const client = new ApiClient({ servers, timeoutMs: f.apiTimeout, logger });
  const recorder = new EventRecorder(client, f.schedulerName, host, { logger });
  let daemon: SchedulerDaemon | undefined;
  const metrics = new SchedulerMetrics({
    queueCounts: () => daemon?.current()?.queue.counts(),
    cacheCounts: () => {
      const c = daemon?.current()?.cache;
      return c ? { nodes: c.nodeCount(), pods: c.podCount(), assumedPods: c.assumedCount() } : undefined;
    },
    isLeader: () => daemon?.isLeader() ?? false,
    bindWindow: () => daemon?.current()?.bindLimit(),
  });
  daemon = new SchedulerDaemon({
    api: client,
    recorder,
    clock: systemClock,
    rng: systemRng,
    logger,
    observer: metrics,
    leaderElection: {
      enabled: f.leaderElect,
      namespace: f.leaderElectResourceNamespace,
      name: f.leaderElectResourceName,
      identity,
      leaseDurationMs: f.leaderElectLeaseDuration,
      renewDeadlineMs: f.leaderElectRenewDeadline,
      retryPeriodMs: f.leaderElectRetryPeriod,
    },
    scheduler: {
      schedulerName: f.schedulerName,
      percentageOfNodesToScore: f.percentageOfNodesToScore,
      initialBackoffMs: f.podInitialBackoff,
      maxBackoffMs: f.podMaxBackoff,
      maxUnschedulableMs: f.podMaxUnschedulable,
      maxConcurrentBinds: f.maxConcurrentBinds,
      bindLatencyTargetMs: f.bindLatencyTarget,
    },
  });

  let server: http.Server | undefined;
  if (listen) {
    const d2 = daemon;
    server = http.createServer(
      httpEndpoints({
        metrics: metrics.registry,
        // Ready once the informers have listed everything (a standby is ready too).
        readiness: [
          {
            name: 'informers-synced',
            check: () => {
              if (!d2.synced()) throw new Error('the pod, node and namespace caches are not synced yet');
            },
          },
        ],
        json: { '/leader': () => ({ identity, leader: d2.leader(), isLeader: d2.isLeader() }) },
      }),
    );
    await listenHttp(server, listen.host, listen.port).catch((e: unknown) => {
      process.stderr.write(`mk-scheduler: ${(e as Error).message}\n`);
      process.exit(1);
    });
  }
  logger.info('starting', {
    servers: servers.join(','),
    leaderElect: f.leaderElect,
    lease: `${f.leaderElectResourceNamespace}/${f.leaderElectResourceName}`,
    leaseDuration: formatDuration(f.leaderElectLeaseDuration),
    renewDeadline: formatDuration(f.leaderElectRenewDeadline),
    retryPeriod: formatDuration(f.leaderElectRetryPeriod),
    schedulerName: f.schedulerName,
    http: f.httpListen,
  });
  void daemon.start();

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    const d3 = daemon!;
    // Events still waiting get up to 2 s (a backlog of them must not hold the exit up).
    const flushed = Promise.race([recorder.flush(), new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    void d3
      .stop()
      .then(() => flushed)
      .finally(() => {
        server?.close();
        client.close();
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
