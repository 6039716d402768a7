#!/usr/bin/env node
/**
 * mk-controller-manager: the control loops (ReplicaSet, Deployment, garbage collector, Endpoints,
 * node lifecycle, node IPAM), leader-elected through the Lease kube-system/mk-controller-manager.
 *   mk-controller-manager --server 127.0.0.1:6443,127.0.0.1:7443 --http-listen 127.0.0.1:10257
 * Run one on every control-plane node: one leads, the others wait, ready to take over.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { ApiClient, EventRecorder, LEADER_ELECTION_DEFAULTS, LeaderElector, loadClientConfig, parseServerList } from '@mk/client';
import { boolFlag as bool, createWinstonLogger, durationFlag as duration, httpEndpoints, intFlag, listenHttp, systemClock, type HttpEndpointsOptions } from '@mk/shared';
import type { Controller } from '../controller';
import { NODE_IPAM_DEFAULTS } from '../controllers/node-ipam';
import { NODE_LIFECYCLE_DEFAULTS } from '../controllers/node-lifecycle';
import { FencedClient, LeadershipFence } from '../fenced-client';
import { SharedInformers } from '../informers';
import { type ControllerName, ControllerManager, selectControllers } from '../manager';
import { ControllerManagerMetrics } from '../metrics';
import type { Recorder } from '../types';
import { CidrSet } from '../util/cidr';

interface Flags {
  server?: string;
  mkconfig?: string;
  controllers: string;
  leaderElect: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  leaderElectResourceNamespace: string;
  leaderElectResourceName: string;
  nodeMonitorGracePeriod: number;
  nodeMonitorPeriod: number;
  nodeStartupGracePeriod: number;
  podEvictionTimeout: number;
  terminatingPodForceDeleteAfter: number;
  allocateNodeCidrs: boolean;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  concurrentReplicasetSyncs?: number;
  concurrentDeploymentSyncs?: number;
  concurrentEndpointSyncs?: number;
  concurrentGcSyncs?: number;
  requestTimeout: number;
  logLevel: string;
  httpListen: string;
}

const positiveInt = (flag: string) => intFlag(flag, 1);

function parseFlags(argv: string[]): Flags {
  const d = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  const program = new Command('mk-controller-manager')
    .description("mk's control loops: ReplicaSet, Deployment, garbage collector, Endpoints, node lifecycle, node IPAM (leader-elected)")
    .option('--server <list>', 'API servers, comma-separated host:port (default: the mkconfig file)')
    .option('--mkconfig <file>', 'connection settings file (default: $MKCONFIG, then ~/.mk/config)')
    .option('--controllers <list>', "controllers to run: names, '*' for all, '-name' to leave one out (replicaset, deployment, garbagecollector, endpoint, nodelifecycle, nodeipam)", '*')
    .addOption(new Option('--leader-elect [bool]', 'elect a leader among the controller managers before acting').default(true).argParser(bool('--leader-elect')))
    .addOption(new Option('--leader-elect-lease-duration <duration>', 'how long a lease lasts without renewal').default(LEADER_ELECTION_DEFAULTS.leaseDurationMs, '3s').argParser(duration('--leader-elect-lease-duration')))
    .addOption(new Option('--leader-elect-renew-deadline <duration>', 'a leader that cannot renew for this long stops acting').default(LEADER_ELECTION_DEFAULTS.renewDeadlineMs, '2s').argParser(duration('--leader-elect-renew-deadline')))
    .addOption(new Option('--leader-elect-retry-period <duration>', 'how often to try to acquire or renew').default(LEADER_ELECTION_DEFAULTS.retryPeriodMs, '500ms').argParser(duration('--leader-elect-retry-period')))
    .option('--leader-elect-resource-namespace <ns>', 'namespace of the leader Lease', 'kube-system')
    .option('--leader-elect-resource-name <name>', 'name of the leader Lease', 'mk-controller-manager')
    .addOption(new Option('--node-monitor-grace-period <duration>', 'a node silent this long becomes Ready=Unknown (Kubernetes: 40s)').default(NODE_LIFECYCLE_DEFAULTS.nodeMonitorGracePeriodMs, d(NODE_LIFECYCLE_DEFAULTS.nodeMonitorGracePeriodMs)).argParser(duration('--node-monitor-grace-period')))
    .addOption(new Option('--node-monitor-period <duration>', 'how often every node is checked').default(NODE_LIFECYCLE_DEFAULTS.nodeMonitorPeriodMs, d(NODE_LIFECYCLE_DEFAULTS.nodeMonitorPeriodMs)).argParser(duration('--node-monitor-period')))
    .addOption(new Option('--node-startup-grace-period <duration>', 'time a new node gets to post its first status').default(NODE_LIFECYCLE_DEFAULTS.nodeStartupGracePeriodMs, d(NODE_LIFECYCLE_DEFAULTS.nodeStartupGracePeriodMs)).argParser(duration('--node-startup-grace-period')))
    .addOption(new Option('--pod-eviction-timeout <duration>', 'pods without a toleration leave a not-ready/unreachable node after this').default(NODE_LIFECYCLE_DEFAULTS.podEvictionTimeoutMs, d(NODE_LIFECYCLE_DEFAULTS.podEvictionTimeoutMs)).argParser(duration('--pod-eviction-timeout')))
    .addOption(new Option('--terminating-pod-force-delete-after <duration>', 'pods terminating on an unreachable node are force-deleted after this').default(NODE_LIFECYCLE_DEFAULTS.terminatingPodForceDeleteAfterMs, d(NODE_LIFECYCLE_DEFAULTS.terminatingPodForceDeleteAfterMs)).argParser(duration('--terminating-pod-force-delete-after')))
    .addOption(new Option('--allocate-node-cidrs [bool]', 'give each node a pod CIDR (the nodeipam controller)').default(true).argParser(bool('--allocate-node-cidrs')))
    .option('--cluster-cidr <cidr>', 'the CIDR node pod CIDRs come from', NODE_IPAM_DEFAULTS.clusterCidr)
    .addOption(new Option('--node-cidr-mask-size <n>', 'prefix length of each node pod CIDR').default(NODE_IPAM_DEFAULTS.nodeCidrMaskSize).argParser(positiveInt('--node-cidr-mask-size')))
    .addOption(new Option('--concurrent-replicaset-syncs <n>', 'ReplicaSet workers (default 5)').argParser(positiveInt('--concurrent-replicaset-syncs')))
    .addOption(new Option('--concurrent-deployment-syncs <n>', 'Deployment workers (default 5)').argParser(positiveInt('--concurrent-deployment-syncs')))
    .addOption(new Option('--concurrent-endpoint-syncs <n>', 'Endpoints workers (default 5)').argParser(positiveInt('--concurrent-endpoint-syncs')))
    .addOption(new Option('--concurrent-gc-syncs <n>', 'garbage collector workers (default 20)').argParser(positiveInt('--concurrent-gc-syncs')))
    .addOption(new Option('--request-timeout <duration>', 'deadline of each API request').default(10_000, '10s').argParser(duration('--request-timeout')))
    .addOption(new Option('--log-level <level>', 'error, warn, info or debug').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .option('--http-listen <host:port>', "where /healthz, /readyz and /metrics listen ('' = off)", '127.0.0.1:10257')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  return program.opts<Flags>();
}

function fail(message: string): never {
  process.stderr.write(`mk-controller-manager: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv);
  let servers: string[];
  let controllers: Set<ControllerName>;
  try {
    servers = loadClientConfig({ ...(f.server ? { servers: parseServerList(f.server) } : {}), env: f.mkconfig ? { ...process.env, MKCONFIG: f.mkconfig } : process.env }).servers;
    controllers = selectControllers(f.controllers);
    if (!f.allocateNodeCidrs) controllers.delete('nodeipam');
    if (controllers.has('nodeipam')) new CidrSet(f.clusterCidr, f.nodeCidrMaskSize); // checks both
    if (f.leaderElect && !(f.leaderElectRenewDeadline < f.leaderElectLeaseDuration && f.leaderElectRetryPeriod < f.leaderElectRenewDeadline)) {
      throw new Error('leader election needs retry period < renew deadline < lease duration');
    }
  } catch (e) {
    fail((e as Error).message);
  }
  const identity = `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const logger = createWinstonLogger(f.logLevel, { component: 'mk-controller-manager', identity });
  const client = new ApiClient({ servers, timeoutMs: f.requestTimeout, logger: logger.child({ part: 'client' }) });

  // One leadership term at a time; writes are fenced to the term that made them, and to a
  // lease renewed within the renew deadline.
  const fence = f.leaderElect ? new LeadershipFence(systemClock, f.leaderElectRenewDeadline) : LeadershipFence.withoutElection(systemClock);
  let manager: ControllerManager | undefined;
  let stopping: Promise<void> | undefined;

  const startLeading = () => {
    const myTerm = fence.begin();
    const fenced = new FencedClient(client, () => fence.mayWrite(myTerm));
    const events = new EventRecorder(fenced, 'controller-manager', hostname(), { clock: systemClock, logger });
    const recorder: Recorder = { event: (obj, type, reason, message) => events.event(obj, type, reason, message) };
    const informers = new SharedInformers({ client, clock: systemClock, logger });
    const m = new ControllerManager(
      { client: fenced, informers, clock: systemClock, logger, recorder },
      {
        controllers,
        workers: {
          ...(f.concurrentReplicasetSyncs ? { replicaset: f.concurrentReplicasetSyncs } : {}),
          ...(f.concurrentDeploymentSyncs ? { deployment: f.concurrentDeploymentSyncs } : {}),
          ...(f.concurrentEndpointSyncs ? { endpoint: f.concurrentEndpointSyncs } : {}),
          ...(f.concurrentGcSyncs ? { garbagecollector: f.concurrentGcSyncs } : {}),
        },
        nodeLifecycle: {
          nodeMonitorGracePeriodMs: f.nodeMonitorGracePeriod,
          nodeMonitorPeriodMs: f.nodeMonitorPeriod,
          nodeStartupGracePeriodMs: f.nodeStartupGracePeriod,
          podEvictionTimeoutMs: f.podEvictionTimeout,
          terminatingPodForceDeleteAfterMs: f.terminatingPodForceDeleteAfter,
        },
        ipam: { clusterCidr: f.clusterCidr, nodeCidrMaskSize: f.nodeCidrMaskSize },
      },
    );
    manager = m;
    const startedAt = Date.now();
    void m.start().then(
      (ok) => ok && logger.info('controllers running', { controllers: [...controllers], cachesSyncedMs: Date.now() - startedAt }),
      (e: unknown) => logger.error('controllers failed to start', { error: (e as Error).message }),
    );
  };
  const stopLeading = () => {
    fence.end(); // refuses every write of this term at once
    const m = manager;
    manager = undefined;
    if (m) void m.stop().then(() => logger.info('controllers stopped'));
  };

  const elector = f.leaderElect
    ? new LeaderElector({
        api: fence.leaseApi(client),
        namespace: f.leaderElectResourceNamespace,
        name: f.leaderElectResourceName,
        identity,
        leaseDurationMs: f.leaderElectLeaseDuration,
        renewDeadlineMs: f.leaderElectRenewDeadline,
        retryPeriodMs: f.leaderElectRetryPeriod,
        clock: systemClock,
        logger,
        onStartedLeading: startLeading,
        onStoppedLeading: stopLeading,
      })
    : undefined;

  const metrics = new ControllerManagerMetrics({
    leading: () => fence.isLeading(),
    controllers: (): Iterable<Controller> => manager?.controllers.values() ?? [],
  });
  let server: http.Server | undefined;
  if (f.httpListen) {
    try {
      server = await serveHttp(f.httpListen, {
        metrics: metrics.registry,
        // A standby is ready (to take over); a leader once its caches are synced.
        readiness: [
          {
            name: 'controllers',
            check: () => {
              if (fence.isLeading() && !manager?.isRunning()) throw new Error('leading; caches not synced yet');
            },
          },
        ],
        json: { '/leader': () => ({ identity, leading: fence.isLeading(), leader: elector?.getLeader() ?? identity, term: fence.currentTerm() }) },
      });
    } catch (e) {
      logger.error('cannot serve http', { error: (e as Error).message });
      fail((e as Error).message);
    }
  }

  if (elector) elector.start();
  else startLeading();
  logger.info('started', { servers, controllers: [...controllers], leaderElect: f.leaderElect });

  const shutdown = (signal: string) => {
    if (stopping) return;
    logger.info('shutting down', { signal });
    stopping = (async () => {
      if (elector) await elector.stop();
      else stopLeading();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      client.close();
    })();
    const hard = setTimeout(() => process.exit(1), 10_000);
    hard.unref();
    void stopping.then(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function serveHttp(listen: string, o: HttpEndpointsOptions): Promise<http.Server> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) fail(`--http-listen must be host:port, got ${JSON.stringify(listen)}`);
  const server = http.createServer(httpEndpoints(o));
  await listenHttp(server, host, port);
  return server;
}

void main();
