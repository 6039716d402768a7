#!/usr/bin/env node
/**
 * mk-proxy: runs on every node. Services and their ready endpoints become iptables rules (nat and
 * filter, MK- chains), and cluster DNS answers `<svc>.<ns>.svc.<domain>` from the same caches.
 *   mk-proxy --mkconfig /etc/mk/proxy.conf --node-name node-1
 *   mk-proxy --cleanup        # remove every MK- chain and jump, then exit
 * On SIGTERM/SIGINT it removes its rules before exiting. Durations take Go's syntax (1s, 500ms).
 */
import http from 'node:http';
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { type Endpoints, type Service, isValidCIDR } from '@mk/api';
import { ApiClient, Informer, loadClientConfig, parseServerList } from '@mk/client';
import { FlagError, createWinstonLogger, durationFlag as duration, formatDuration, httpEndpoints, listenHttp, parseListenAddress, systemClock } from '@mk/shared';
import { DnsServer, checkClusterDomain, storeView } from '../dns';
import { ExecIptables } from '../iptables';
import { ProxyMetrics } from '../metrics';
import { Proxier, cleanupRules } from '../proxier';

/** The API server's default --service-cluster-ip-range (packages/apiserver/src/bin/mk-apiserver.ts). */
const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';

interface Flags {
  server?: string;
  mkconfig?: string;
  context?: string;
  nodeName: string;
  clusterCidr: string;
  serviceClusterIpRange: string;
  dnsListen: string;
  clusterDomain: string;
  minSyncPeriod: number;
  syncPeriod: number;
  apiTimeout: number;
  httpListen: string;
  logLevel: string;
  cleanup: boolean;
}

/** An IPv4 CIDR (iptables, not ip6tables, carries the rules). */
function ipv4Cidr(flag: string): (v: string) => string {
  return (v) => {
    if (isValidCIDR(v).length > 0 || v.includes(':')) throw new FlagError(`${flag} must be an IPv4 CIDR like 10.96.0.0/12, got ${JSON.stringify(v)}`);
    return v;
  };
}

async function main(): Promise<void> {
  const program = new Command('mk-proxy')
    .description('mk node proxy: Services as iptables rules (ClusterIP, NodePort) over their ready endpoints, and cluster DNS')
    .option('--server <list>', 'API servers, comma-separated host:port (default: --mkconfig, $MKCONFIG, ~/.mk/config)')
    .option('--mkconfig <file>', 'the client config file (contexts of API servers), instead of $MKCONFIG or ~/.mk/config')
    .option('--context <name>', "the config file's context to use (default: its current-context)")
    .option('--node-name <name>', 'this node (logs)', hostname())
    .addOption(new Option('--cluster-cidr <cidr>', "the pods' CIDR: service traffic from outside it (the node itself) is masqueraded").default('10.244.0.0/16').argParser(ipv4Cidr('--cluster-cidr')))
    .addOption(
      new Option('--service-cluster-ip-range <cidr>', "the API server's service CIDR: traffic still addressed to it after NAT is rejected")
        .default(DEFAULT_SERVICE_CIDR)
        .argParser(ipv4Cidr('--service-cluster-ip-range')),
    )
    .option('--dns-listen <host:port>', "where cluster DNS listens, UDP and TCP ('' = off)", '0.0.0.0:53')
    .option('--cluster-domain <domain>', 'the cluster DNS domain', 'cluster.local')
    .addOption(new Option('--min-sync-period <duration>', 'syncs of the rules start at least this far apart').default(1000, '1s').argParser(duration('--min-sync-period')))
    .addOption(new Option('--sync-period <duration>', 'the rules are rewritten at least this often').default(30_000, '30s').argParser(duration('--sync-period')))
    .addOption(new Option('--api-timeout <duration>', 'deadline of each API call').default(10_000, '10s').argParser(duration('--api-timeout')))
    .option('--http-listen <host:port>', "where /healthz, /readyz and /metrics listen ('' = off)", '127.0.0.1:10256')
    .addOption(new Option('--log-level <level>', 'error, warn, info or debug').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .option('--cleanup', 'remove every MK- chain and jump this proxy made, then exit', false)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();

  const iptables = new ExecIptables();
  if (f.cleanup) {
    try {
      const r = await cleanupRules(iptables);
      process.stdout.write(`mk-proxy: removed ${r.jumps} jump(s) and ${r.chains.length} chain(s)${r.chains.length ? `: ${r.chains.join(' ')}` : ''}\n`);
      process.exit(0);
    } catch (e) {
      process.stderr.write(`mk-proxy: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }

  let servers: string[];
  let httpListen: { host: string; port: number } | undefined;
  let dnsListen: { host: string; port: number } | undefined;
  let domain: string;
  try {
    if (!(f.syncPeriod > 0)) throw new Error('--sync-period must be more than 0');
    if (f.minSyncPeriod > f.syncPeriod) throw new Error('--min-sync-period must not be longer than --sync-period');
    domain = checkClusterDomain(f.clusterDomain);
    httpListen = f.httpListen === '' ? undefined : parseListenAddress('--http-listen', f.httpListen);
    dnsListen = f.dnsListen === '' ? undefined : parseListenAddress('--dns-listen', f.dnsListen);
    const env = f.mkconfig ? { ...process.env, MKCONFIG: f.mkconfig } : process.env;
    servers = loadClientConfig({ ...(f.server ? { servers: parseServerList(f.server) } : {}), ...(f.context ? { context: f.context } : {}), env }).servers;
  } catch (e) {
    const msg = (e as Error).message.replace(/^cluster domain/, '--cluster-domain: cluster domain');
    process.stderr.write(`mk-proxy: ${msg}\n`);
    process.exit(2);
  }

  const logger = createWinstonLogger(f.logLevel, { component: 'mk-proxy', node: f.nodeName });
  const client = new ApiClient({ servers, timeoutMs: f.apiTimeout, logger });
  const metrics = new ProxyMetrics();
  const services = new Informer<Service>(client.resource<Service>('services'), { clock: systemClock, logger, name: 'services' });
  const endpoints = new Informer<Endpoints>(client.resource<Endpoints>('endpoints'), { clock: systemClock, logger, name: 'endpoints' });
  const proxier = new Proxier({
    iptables,
    clock: systemClock,
    logger,
    services,
    endpoints,
    clusterCIDR: f.clusterCidr,
    serviceCIDR: f.serviceClusterIpRange,
    minSyncPeriodMs: f.minSyncPeriod,
    syncPeriodMs: f.syncPeriod,
    observer: metrics,
  });
  const dns = dnsListen ? new DnsServer({ view: storeView(services.store, endpoints.store), domain, host: dnsListen.host, port: dnsListen.port, logger, observer: metrics }) : undefined;

  let server: http.Server | undefined;
  if (httpListen) {
    server = http.createServer(
      httpEndpoints({
        metrics: metrics.registry,
        readiness: [
          {
            name: 'informers-synced',
            check: () => {
              if (!services.hasSynced() || !endpoints.hasSynced()) throw new Error('the service and endpoints caches are not synced yet');
            },
          },
          {
            name: 'proxy-rules',
            check: () => {
              const stale = proxier.staleness();
              if (stale) throw new Error(stale);
            },
          },
        ],
      }),
    );
    await listenHttp(server, httpListen.host, httpListen.port).catch((e: unknown) => {
      process.stderr.write(`mk-proxy: --http-listen: ${(e as Error).message}\n`);
      process.exit(1);
    });
  }

  let stopping = false;
  const shutdown = (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down: removing the rules', { signal });
    void (async () => {
      let code = exitCode;
      await proxier.stop();
      services.stop();
      endpoints.stop();
      try {
        const r = await cleanupRules(iptables);
        logger.info('rules removed', { jumps: r.jumps, chains: r.chains.length });
      } catch (e) {
        logger.error('removing the rules failed', { error: (e as Error).message });
        code = 1;
      }
      await dns?.stop();
      server?.close();
      client.close();
      process.exit(code);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  logger.info('starting', {
    servers: servers.join(','),
    clusterCIDR: f.clusterCidr,
    serviceCIDR: f.serviceClusterIpRange,
    dns: f.dnsListen,
    clusterDomain: domain,
    minSyncPeriod: formatDuration(f.minSyncPeriod),
    syncPeriod: formatDuration(f.syncPeriod),
    http: f.httpListen,
  });
  services.start();
  endpoints.start();
  if (!(await services.waitForSync()) || !(await endpoints.waitForSync())) return; // stopped first
  if (stopping) return;
  if (dns) {
    try {
      const port = await dns.start();
      logger.info('cluster DNS listening', { host: dnsListen!.host, port });
    } catch (e) {
      process.stderr.write(`mk-proxy: --dns-listen: ${(e as Error).message}\n`);
      shutdown('dns-failed', 1);
      return;
    }
  }
  proxier.start();
}

void main();
