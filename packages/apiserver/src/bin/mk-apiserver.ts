#!/usr/bin/env node
/**
 * mk-apiserver: the only client of the store; serves Kubernetes-shaped objects over gRPC.
 *   mk-apiserver --etcd-servers 127.0.0.1:2379,127.0.0.1:3379,127.0.0.1:4379 --listen 127.0.0.1:6443
 * Several may run against one store (they keep no state of their own).
 */
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createWinstonLogger, systemClock, systemRng } from '@mk/shared';
import { ApiServer, splitHostPort } from '../api-server';
import { ServiceCidr } from '../registry/allocator';
import { EtcdStore, parseEndpoints } from '../storage';

interface Flags {
  etcdServers: string;
  listen: string;
  httpListen: string;
  serviceClusterIpRange: string;
  etcdRequestTimeout: number;
  logLevel: string;
}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive integer (milliseconds), got ${JSON.stringify(v)}`);
    return n;
  };
}

function hostPort(flag: string, allowEmpty = false) {
  return (v: string): string => {
    if (allowEmpty && v === '') return v;
    try {
      splitHostPort(v);
    } catch {
      throw new InvalidArgumentError(`${flag} must be host:port, got ${JSON.stringify(v)}`);
    }
    return v;
  };
}

async function main(): Promise<void> {
  const program = new Command('mk-apiserver')
    .description('mk API server: Kubernetes-shaped objects over gRPC, stored in mk-store or etcd')
    .requiredOption('--etcd-servers <list>', 'the store: comma-separated host:port (or http://host:port) of its members')
    .addOption(new Option('--listen <host:port>', 'where the gRPC API listens').default('127.0.0.1:6443').argParser(hostPort('--listen')))
    .addOption(new Option('--http-listen <host:port>', "where /healthz, /readyz, /metrics and /version listen ('' = off)").default('127.0.0.1:6444').argParser(hostPort('--http-listen', true)))
    .option('--service-cluster-ip-range <cidr>', 'the CIDR Service cluster IPs come from', '10.96.0.0/12')
    .addOption(new Option('--etcd-request-timeout <ms>', 'deadline of each store request').default(5000).argParser(positiveInt('--etcd-request-timeout')))
    .addOption(new Option('--log-level <level>', 'error, warn, info or debug').choices(['error', 'warn', 'info', 'debug']).default('info'))
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  program.parse(process.argv);
  const f = program.opts<Flags>();

  let endpoints: string[];
  let serviceCidr: ServiceCidr;
  try {
    endpoints = parseEndpoints(f.etcdServers);
    serviceCidr = new ServiceCidr(f.serviceClusterIpRange);
  } catch (e) {
    process.stderr.write(`mk-apiserver: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createWinstonLogger(f.logLevel, { component: 'mk-apiserver', listen: f.listen });
  const store = new EtcdStore({ endpoints, requestTimeoutMs: f.etcdRequestTimeout, logger });
  const server = new ApiServer({
    store,
    listen: f.listen,
    httpListen: f.httpListen,
    serviceCidr,
    clock: systemClock,
    rng: systemRng,
    logger,
    newUid: randomUUID,
    storeDescription: `etcd v3 API at ${endpoints.join(',')}`,
  });
  try {
    await server.start();
  } catch (e) {
    logger.error('cannot start', { error: (e as Error).message });
    process.stderr.write(`mk-apiserver: ${(e as Error).message}\n`);
    process.exit(1);
  }
  logger.info('serving', { grpc: f.listen, http: f.httpListen, store: endpoints.join(',') });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    void server
      .stop()
      .then(() => store.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
