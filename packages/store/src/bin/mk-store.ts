#!/usr/bin/env node
/**
 * mk-store: a Raft-replicated MVCC key-value store that speaks the etcd v3 gRPC API.
 * Flags are etcd's (see `mk-store --help`); e.g.
 *   mk-store --name m1 --data-dir /var/lib/mk/m1 --listen-client-urls http://127.0.0.1:2379 ...
 */
import { MkError, createWinstonLogger, systemClock, systemRng } from '@mk/shared';
import { HelpRequested, parseStoreArgs } from '../config';
import { StoreServer } from '../server/store-server';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = parseStoreArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof HelpRequested) {
      process.stdout.write(e.message);
      process.exit(0);
    }
    process.stderr.write(`mk-store: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const logger = createWinstonLogger(cfg.logLevel, { member: cfg.name });
  let server: StoreServer;
  try {
    server = await StoreServer.start(cfg, { clock: systemClock, rng: systemRng, logger });
  } catch (e) {
    logger.error('cannot start', { error: (e as Error).message });
    process.stderr.write(`mk-store: ${(e as Error).message}\n`);
    process.exit(e instanceof MkError ? 1 : 3);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
