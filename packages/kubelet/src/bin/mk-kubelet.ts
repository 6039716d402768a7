#!/usr/bin/env node
/**
 * mk-kubelet: the node agent. Runs the pods bound to this node as Docker containers.
 *   mk-kubelet --mkconfig /etc/mk/kubelet.conf --hostname-override node1 --node-ip 10.0.0.11
 * Durations take Go's syntax (10s, 500ms, 5m) or a bare number of milliseconds.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { Command, Option } from 'commander';
import Docker from 'dockerode';
import { EventRecorder, ApiClient, loadClientConfig, parseServerList } from '@mk/client';
import {
  createWinstonLogger,
  durationFlag,
  FlagError,
  httpEndpoints,
  intFlag,
  listenFlag,
  listenHttp,
  systemClock,
  type HostPort,
} from '@mk/shared';
import { DockerRuntime } from '../docker';
import { Kubelet } from '../kubelet';
import { NodeNetwork } from '../network';
import type { HostFacts } from '../node-status';
import { ProbeManager } from '../prober';
import { startKubeletServer, type NodeUsage } from '../server';
import { PodVolumes } from '../volumes';

const KUBELET_VERSION = 'v0.1.0';

interface Flags {
  server?: string;
  mkconfig?: string;
  context?: string;
  hostnameOverride?: string;
  nodeIp?: string;
  nodeLabels: Record<string, string>;
  dockerEndpoint: string;
  rootDir: string;
  listen: HostPort;
  httpListen: string;
  clusterDomain: string;
  clusterDns?: string;
  clusterCidr: string;
  podNetwork: string;
  podBridge: string;
  podNetworkMode: 'bridge' | 'none';
  pauseImage: string;
  maxPods: number;
  nodeLeaseDuration: number;
  nodeLeaseRenewInterval: number;
  nodeStatusUpdateFrequency: number;
  relistPeriod: number;
  crashLoopInitialBackoff: number;
  crashLoopMaxBackoff: number;
  workers: number;
  apiTimeout: number;
  logLevel: string;
}

function labels(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of v.split(',').filter((p) => p !== '')) {
    const m = /^([A-Za-z0-9._/-]+)=([A-Za-z0-9._-]*)$/.exec(part);
    if (!m) throw new FlagError(`--node-labels must be key=value,... got ${JSON.stringify(part)}`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function ipv4(flag: string) {
  return (v: string): string => {
    if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(v) || v.split('.').some((p) => Number(p) > 255)) {
      throw new FlagError(`${flag} must be an IPv4 address, got ${JSON.stringify(v)}`);
    }
    return v;
  };
}

function cidr(flag: string) {
  return (v: string): string => {
    const [ip, bits] = v.split('/');
    if (ip === undefined || bits === undefined || !Number.isInteger(Number(bits)) || Number(bits) > 32) throw new FlagError(`${flag} must be an IPv4 CIDR, got ${JSON.stringify(v)}`);
    ipv4(flag)(ip);
    return v;
  };
}

/** The node's address: the interface of the default route, else the first plain IPv4 interface. */
function detectNodeIP(skip: string[]): string | undefined {
  let defaultDev: string | undefined;
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [dev, dest] = line.split('\t');
      if (dest === '00000000' && dev) defaultDev = dev;
    }
  } catch {
    // No /proc/net/route: fall back to the interface list.
  }
  const ifaces = os.networkInterfaces();
  const v4 = (name: string) => (ifaces[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
  if (defaultDev !== undefined && v4(defaultDev) !== undefined) return v4(defaultDev);
  for (const name of Object.keys(ifaces)) {
    if (skip.includes(name) || /^(docker|br-|veth|mk)/.test(name)) continue;
    const a = v4(name);
    if (a !== undefined) return a;
  }
  return undefined;
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr('/etc/os-release', ''));
  return m?.[1] ?? os.type();
}

/** The host's CPU time and memory in use, as the node's usage for `mkctl top nodes`. */
async function hostUsage(): Promise<NodeUsage> {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait, in USER_HZ (100/s).
  const busy = cpu.reduce((a, b) => a + b, 0) - (cpu[3] ?? 0) - (cpu[4] ?? 0);
  const mem = readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0);
  return { cpuUsageNanos: busy * 10_000_000, memoryWorkingSetBytes: (kb('MemTotal') - kb('MemAvailable')) * 1024 };
}

function parse(argv: string[]): Flags {
  const program = new Command('mk-kubelet')
    .description('mk kubelet: runs the pods bound to this node as Docker containers, probes them and reports their status')
    .option('--server <list>', 'API servers, comma-separated host:port (default: --mkconfig, $MKCONFIG, ~/.mk/config)')
    .option('--mkconfig <file>', 'the client config file (contexts of API servers)')
    .option('--context <name>', "the config file's context to use")
    .option('--hostname-override <name>', 'the Node name (default: the hostname)')
    .addOption(new Option('--node-ip <ip>', "the node's InternalIP (default: the address of the default route's interface)").argParser(ipv4('--node-ip')))
    .addOption(new Option('--node-labels <k=v,...>', 'labels added to the Node at registration').default({}, '').argParser(labels))
    .option('--docker-endpoint <unix:///path>', "dockerd's API socket", 'unix:///var/run/docker.sock')
    .option('--root-dir <dir>', 'where pod volumes live', '/var/lib/mk/kubelet')
    .addOption(new Option('--listen <host:port>', 'the kubelet API (logs, exec, stats) the API server calls').default({ host: '0.0.0.0', port: 10250 }, '0.0.0.0:10250').argParser(listenFlag('--listen')))
    .option('--http-listen <host:port>', "/healthz, /readyz and /metrics ('' = off)", '127.0.0.1:10248')
    .option('--cluster-domain <domain>', 'the DNS domain of Services', 'cluster.local')
    .addOption(new Option('--cluster-dns <ip>', "pods' nameserver (default: this node's pod gateway, where mk-proxy answers DNS)").argParser(ipv4('--cluster-dns')))
    .addOption(new Option('--cluster-cidr <cidr>', 'the range every pod CIDR comes from').default('10.244.0.0/16').argParser(cidr('--cluster-cidr')))
    .option('--pod-network <name>', "the Docker network of this node's pods", 'mk-pods')
    .option('--pod-bridge <name>', "the Linux bridge of this node's pods", 'mk0')
    .addOption(new Option('--pod-network-mode <mode>', 'bridge: a bridge and routes for pod CIDRs; none: hostNetwork pods only').choices(['bridge', 'none']).default('bridge'))
    .option('--pause-image <image>', 'the sandbox image (scripts/images builds it)', 'mk.local/pause:1')
    .addOption(new Option('--max-pods <n>', 'pods this node takes').default(110).argParser(intFlag('--max-pods', 1, 10_000)))
    .addOption(new Option('--node-lease-duration <duration>', "the node Lease's duration").default(40_000, '40s').argParser(durationFlag('--node-lease-duration')))
    .addOption(new Option('--node-lease-renew-interval <duration>', 'how often the Lease is renewed').default(2000, '2s').argParser(durationFlag('--node-lease-renew-interval')))
    .addOption(new Option('--node-status-update-frequency <duration>', 'how often the Node status is posted').default(10_000, '10s').argParser(durationFlag('--node-status-update-frequency')))
    .addOption(new Option('--relist-period <duration>', 'how often the runtime is relisted for changes').default(1000, '1s').argParser(durationFlag('--relist-period')))
    .addOption(new Option('--crash-loop-initial-backoff <duration>', "a crashing container's first restart delay (doubling)").default(10_000, '10s').argParser(durationFlag('--crash-loop-initial-backoff')))
    .addOption(new Option('--crash-loop-max-backoff <duration>', 'the longest restart delay').default(300_000, '5m').argParser(durationFlag('--crash-loop-max-backoff')))
    .addOption(new Option('--workers <n>', 'pods synced at once').default(16).argParser(intFlag('--workers', 1, 256)))
    .addOption(new Option('--api-timeout <duration>', 'deadline of each API call').default(10_000, '10s').argParser(durationFlag('--api-timeout')))
    .addOption(new Option('--log-level <level>', 'error, warn, info or debug').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  const f = program.opts<Flags>();
  if (!f.dockerEndpoint.startsWith('unix://')) throw new Error(`--docker-endpoint must be unix:///path/to/docker.sock, got ${JSON.stringify(f.dockerEndpoint)}`);
  if (!(f.crashLoopInitialBackoff > 0 && f.crashLoopInitialBackoff <= f.crashLoopMaxBackoff)) throw new Error('--crash-loop-initial-backoff must be > 0 and at most --crash-loop-max-backoff');
  if (!(f.nodeLeaseRenewInterval < f.nodeLeaseDuration)) throw new Error('--node-lease-renew-interval must be shorter than --node-lease-duration');
  return f;
}

async function main(): Promise<void> {
  let f: Flags;
  let servers: string[];
  let httpListen: HostPort | undefined;
  try {
    f = parse(process.argv);
    const env = f.mkconfig ? { ...process.env, MKCONFIG: f.mkconfig } : process.env;
    servers = loadClientConfig({ ...(f.server ? { servers: parseServerList(f.server) } : {}), ...(f.context ? { context: f.context } : {}), env }).servers;
    httpListen = f.httpListen === '' ? undefined : listenFlag('--http-listen')(f.httpListen);
  } catch (e) {
    process.stderr.write(`mk-kubelet: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const nodeName = (f.hostnameOverride ?? os.hostname()).toLowerCase();
  const nodeIP = f.nodeIp ?? detectNodeIP([f.podBridge]);
  if (nodeIP === undefined) {
    process.stderr.write('mk-kubelet: no IPv4 address found for the node; give one with --node-ip\n');
    process.exit(2);
  }
  const logger = createWinstonLogger(f.logLevel, { component: 'mk-kubelet', node: nodeName });
  const socketPath = f.dockerEndpoint.slice('unix://'.length);
  const runtime = new DockerRuntime({ socketPath, pauseImage: f.pauseImage, logger });
  const client = new ApiClient({ servers, timeoutMs: f.apiTimeout, logger });
  const recorder = new EventRecorder(client, 'kubelet', nodeName, { logger });

  let kubelet: Kubelet | undefined;
  const server = await startKubeletServer(`${f.listen.host}:${f.listen.port}`, {
    runtime,
    getPod: (ns, name) => kubelet?.getPod(ns, name),
    clock: systemClock,
    logger,
    nodeUsage: hostUsage,
  }).catch((e: unknown) => {
    process.stderr.write(`mk-kubelet: ${(e as Error).message}\n`);
    process.exit(1);
  });

  const dockerVersion = await new Docker({ socketPath })
    .version()
    .then((v) => v.Version)
    .catch(() => 'unknown');
  const facts: HostFacts = {
    nodeName,
    internalIP: nodeIP,
    hostname: nodeName,
    cpuCores: os.cpus().length,
    memoryBytes: os.totalmem(),
    maxPods: f.maxPods,
    kubeletPort: server.port,
    labels: f.nodeLabels,
    nodeInfo: {
      machineID: readOr('/etc/machine-id', ''),
      systemUUID: readOr('/sys/class/dmi/id/product_uuid', ''),
      bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
      kernelVersion: os.release(),
      osImage: osImage(),
      containerRuntimeVersion: `docker://${dockerVersion}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
  const network =
    f.podNetworkMode === 'bridge'
      ? new NodeNetwork({ provider: runtime, clusterCIDR: f.clusterCidr, networkName: f.podNetwork, bridge: f.podBridge, logger })
      : undefined;
  kubelet = new Kubelet({
    nodeName,
    client,
    runtime,
    ...(network !== undefined ? { network } : {}),
    volumes: new PodVolumes(f.rootDir),
    probes: (hooks) => new ProbeManager({ runtime, clock: systemClock, logger, ...hooks }),
    events: recorder,
    clock: systemClock,
    logger,
    facts,
    clusterDomain: f.clusterDomain,
    ...(f.clusterDns !== undefined ? { clusterDNS: [f.clusterDns] } : {}),
    leaseDurationSeconds: Math.max(1, Math.round(f.nodeLeaseDuration / 1000)),
    leaseRenewIntervalMs: f.nodeLeaseRenewInterval,
    statusUpdateIntervalMs: f.nodeStatusUpdateFrequency,
    relistIntervalMs: f.relistPeriod,
    workers: f.workers,
    backoff: { initialMs: f.crashLoopInitialBackoff, maxMs: f.crashLoopMaxBackoff },
  });

  let httpServer: http.Server | undefined;
  if (httpListen !== undefined) {
    const k = kubelet;
    httpServer = http.createServer(
      httpEndpoints({
        readiness: [
          {
            name: 'informers-synced',
            check: () => {
              if (!k.synced()) throw new Error('the pod and node caches are not synced yet');
            },
          },
        ],
      }),
    );
    await listenHttp(httpServer, httpListen.host, httpListen.port).catch((e: unknown) => {
      process.stderr.write(`mk-kubelet: ${(e as Error).message}\n`);
      process.exit(1);
    });
  }
  logger.info('starting', { servers: servers.join(','), nodeIP, kubeletPort: server.port, docker: socketPath, rootDir: f.rootDir });
  await kubelet.start();

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // Pods keep running: a kubelet that stops leaves its containers to the next one, which adopts them.
    logger.info('shutting down; pods keep running', { signal });
    const flushed = Promise.race([recorder.flush(), new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    void kubelet!
      .stop()
      .then(() => flushed)
      .finally(() => {
        server.close();
        httpServer?.close();
        client.close();
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
