import { Command, CommanderError, InvalidArgumentError as CommanderInvalidArgument } from 'commander';
import { InvalidArgumentError, parseDuration } from '@mk/shared';
import { parseUrlList } from './urls';

/**
 * mk-store's configuration, from etcd's own flags (names, meanings and defaults), so scripts
 * written for etcd start mk-store unchanged. Unknown flags and bad values are refused with a
 * message naming the flag.
 */
export interface StoreConfig {
  name: string;
  dataDir: string;
  listenClientUrls: string[];
  advertiseClientUrls: string[];
  listenPeerUrls: string[];
  initialAdvertisePeerUrls: string[];
  /** name → peer URLs */
  initialCluster: Map<string, string[]>;
  initialClusterState: 'new' | 'existing';
  initialClusterToken: string;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  snapshotCount: number;
  maxRequestBytes: number;
  /** etcd's --experimental-watch-progress-notify-interval (default 10 minutes). */
  watchProgressNotifyMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** `--help` was given: the message is the usage text to print. */
export class HelpRequested extends Error {}

function positiveInt(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0) {
      throw new CommanderInvalidArgument(`${flag} must be a positive integer, got '${v}'`);
    }
    return n;
  };
}

/** Parses `--initial-cluster m1=http://a:2380,m2=http://b:2380` (a name may repeat for several URLs). */
export function parseInitialCluster(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--initial-cluster: '${part}' is not name=url`);
    const name = part.slice(0, eq);
    const urls = parseUrlList(part.slice(eq + 1), '--initial-cluster');
    out.set(name, [...(out.get(name) ?? []), ...urls]);
  }
  if (out.size === 0) throw new InvalidArgumentError('--initial-cluster: no members given');
  return out;
}

export function parseStoreArgs(argv: string[]): StoreConfig {
  const program = new Command('mk-store')
    .description('A Raft-replicated MVCC key-value store that speaks the etcd v3 API (flags as etcd)')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .option('--name <name>', 'human-readable name for this member', 'default')
    .option('--data-dir <dir>', 'path to the data directory (default: ${name}.etcd)')
    .option('--listen-client-urls <urls>', 'URLs to listen on for client traffic', 'http://localhost:2379')
    .option('--advertise-client-urls <urls>', "this member's client URLs to advertise", 'http://localhost:2379')
    .option('--listen-peer-urls <urls>', 'URLs to listen on for peer traffic', 'http://localhost:2380')
    .option('--initial-advertise-peer-urls <urls>', "this member's peer URLs to advertise", 'http://localhost:2380')
    .option('--initial-cluster <list>', 'initial cluster configuration for bootstrapping', 'default=http://localhost:2380')
    .option('--initial-cluster-state <state>', "'new' when bootstrapping a cluster, 'existing' to join one", 'new')
    .option('--initial-cluster-token <token>', 'initial cluster token, distinguishing clusters', 'etcd-cluster')
    .option('--heartbeat-interval <ms>', 'time (ms) of a heartbeat interval', positiveInt('--heartbeat-interval'), 100)
    .option('--election-timeout <ms>', 'time (ms) for an election to timeout', positiveInt('--election-timeout'), 1000)
    .option('--snapshot-count <n>', 'number of committed transactions to trigger a snapshot to disk', positiveInt('--snapshot-count'), 100000)
    .option('--max-request-bytes <n>', 'maximum client request size in bytes the server will accept', positiveInt('--max-request-bytes'), 1572864)
    .option('--experimental-watch-progress-notify-interval <duration>', 'duration of periodic watch progress notifications (Go syntax: 10m, 5s, 500ms)', '10m')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .allowExcessArguments(false);
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed') throw new HelpRequested(program.helpInformation());
      throw new InvalidArgumentError(e.message.replace(/^error: /, ''));
    }
    throw e;
  }
  const o = program.opts<{
    name: string;
    dataDir?: string;
    listenClientUrls: string;
    advertiseClientUrls: string;
    listenPeerUrls: string;
    initialAdvertisePeerUrls: string;
    initialCluster: string;
    initialClusterState: string;
    initialClusterToken: string;
    heartbeatInterval: number;
    electionTimeout: number;
    snapshotCount: number;
    maxRequestBytes: number;
    experimentalWatchProgressNotifyInterval: string;
    logLevel: string;
  }>();

  if (o.initialClusterState !== 'new' && o.initialClusterState !== 'existing') {
    throw new InvalidArgumentError(`--initial-cluster-state must be 'new' or 'existing', got '${o.initialClusterState}'`);
  }
  if (!['debug', 'info', 'warn', 'error'].includes(o.logLevel)) {
    throw new InvalidArgumentError(`--log-level must be debug, info, warn or error, got '${o.logLevel}'`);
  }
  // etcd's own rules for the timing flags.
  if (o.electionTimeout < 5 * o.heartbeatInterval) {
    throw new InvalidArgumentError(
      `--election-timeout[${o.electionTimeout}ms] should be at least as 5 times as --heartbeat-interval[${o.heartbeatInterval}ms]`,
    );
  }
  if (o.electionTimeout > 50000) throw new InvalidArgumentError(`--election-timeout[${o.electionTimeout}ms] is too long, and should be set less than 50 seconds`);

  const cfg: StoreConfig = {
    name: o.name,
    dataDir: o.dataDir ?? `${o.name}.etcd`,
    listenClientUrls: parseUrlList(o.listenClientUrls, '--listen-client-urls'),
    advertiseClientUrls: parseUrlList(o.advertiseClientUrls, '--advertise-client-urls'),
    listenPeerUrls: parseUrlList(o.listenPeerUrls, '--listen-peer-urls'),
    initialAdvertisePeerUrls: parseUrlList(o.initialAdvertisePeerUrls, '--initial-advertise-peer-urls'),
    initialCluster: parseInitialCluster(o.initialCluster),
    initialClusterState: o.initialClusterState,
    initialClusterToken: o.initialClusterToken,
    heartbeatIntervalMs: o.heartbeatInterval,
    electionTimeoutMs: o.electionTimeout,
    snapshotCount: o.snapshotCount,
    maxRequestBytes: o.maxRequestBytes,
    watchProgressNotifyMs: positiveDuration(o.experimentalWatchProgressNotifyInterval, '--experimental-watch-progress-notify-interval'),
    logLevel: o.logLevel as StoreConfig['logLevel'],
  };
  const mine = cfg.initialCluster.get(cfg.name);
  if (!mine) {
    throw new InvalidArgumentError(`couldn't find local name "${cfg.name}" in the initial cluster configuration (--initial-cluster)`);
  }
  const advertised = [...cfg.initialAdvertisePeerUrls].sort().join(',');
  if ([...mine].sort().join(',') !== advertised) {
    throw new InvalidArgumentError(
      `--initial-cluster has ${cfg.name}=${mine.join(',')} but missing from --initial-advertise-peer-urls=${cfg.initialAdvertisePeerUrls.join(',')}`,
    );
  }
  return cfg;
}

/** etcd's duration flags: Go syntax, no bare numbers, and here more than zero. */
function positiveDuration(v: string, flag: string): number {
  const ms = parseDuration(v, { flag, bare: 'refuse' });
  if (!(ms > 0)) throw new InvalidArgumentError(`invalid argument ${JSON.stringify(v)} for ${JSON.stringify(flag)} flag: must be more than zero`);
  return Math.max(1, Math.round(ms));
}
