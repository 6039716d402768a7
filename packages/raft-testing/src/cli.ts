import { DEFAULT_OPTIONS, PROFILES, Profile, SimStats, Simulation, SimulationFailure, SimulationOptions, addStats, emptyStats, resolveOptions } from './simulation';

export const USAGE = `usage: mk-raft-sim [--seeds N] [--start-seed S] [--steps N] [--nodes N] [--profile P]
                   [--pre-vote on|off] [--check-quorum on|off]
                   [--no-membership] [--no-snapshots] [--no-liveness]
       mk-raft-sim --seed S [same options] [--trace]

Runs seeded Raft cluster simulations and checks safety after every step.
  --seeds N        how many seeds to run (default 100)
  --start-seed S   first seed of the sweep (default 1)
  --steps N        random actions per run before the liveness phase (default ${DEFAULT_OPTIONS.steps})
  --nodes N        founding members (default ${DEFAULT_OPTIONS.nodes})
  --profile P      fault profile: ${Object.keys(PROFILES).join(' or ')} (default ${DEFAULT_OPTIONS.profile})
  --pre-vote on|off, --check-quorum on|off   pin a Raft feature (default: each seed draws it, 80% on)
  --seed S         run one seed only
  --trace          with --seed: print every action of the run
  --no-membership, --no-snapshots, --no-liveness   switch a part of the simulation off
Prints one JSON object of summed figures; on a violation prints the seed and its trace, exits 1.`;

export interface CliArgs {
  seeds: number;
  startSeed: number;
  /** Set when one seed was asked for with --seed. */
  seed?: number;
  trace: boolean;
  help: boolean;
  options: Partial<SimulationOptions>;
}

export class UsageError extends Error {}

/** Parses argv (without node and the script). Throws UsageError naming the bad flag. */
export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { seeds: 100, startSeed: 1, trace: false, help: false, options: {} };
  const intFlag = (flag: string, value: string | undefined, min: number): number => {
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`${flag} must be an integer >= ${min}, got '${value}'`);
    }
    return n;
  };
  const onOff = (flag: string, value: string | undefined): boolean => {
    if (value === 'on') return true;
    if (value === 'off') return false;
    throw new UsageError(`${flag} must be 'on' or 'off', got ${value === undefined ? 'nothing' : `'${value}'`}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    switch (flag) {
      case '--seeds':
        args.seeds = intFlag(flag, argv[++i], 1);
        break;
      case '--start-seed':
        args.startSeed = intFlag(flag, argv[++i], 0);
        break;
      case '--seed':
        args.seed = intFlag(flag, argv[++i], 0);
        break;
      case '--steps':
        args.options.steps = intFlag(flag, argv[++i], 0);
        break;
      case '--nodes':
        args.options.nodes = intFlag(flag, argv[++i], 1);
        break;
      case '--profile': {
        const p = argv[++i];
        if (p === undefined || !Object.hasOwn(PROFILES, p)) {
          throw new UsageError(`--profile must be one of ${Object.keys(PROFILES).join(', ')}, got ${p === undefined ? 'nothing' : `'${p}'`}`);
        }
        args.options.profile = p as Profile;
        break;
      }
      case '--pre-vote':
        args.options.preVote = onOff(flag, argv[++i]);
        break;
      case '--check-quorum':
        args.options.checkQuorum = onOff(flag, argv[++i]);
        break;
      case '--trace':
        args.trace = true;
        break;
      case '--no-membership':
        args.options.membership = false;
        break;
      case '--no-snapshots':
        args.options.snapshots = false;
        break;
      case '--no-liveness':
        args.options.liveness = false;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new UsageError(`unknown flag '${flag}'`);
    }
  }
  if (args.trace && args.seed === undefined) throw new UsageError('--trace needs --seed S (one run)');
  return args;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Seconds since some fixed point; only for the seeds/s figure, never asserted. */
  seconds(): number;
}

/** Runs the CLI; returns the exit code. */
export function runCli(argv: string[], io: CliIo): number {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`mk-raft-sim: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const first = args.seed ?? args.startSeed;
  const count = args.seed === undefined ? args.seeds : 1;
  const total: SimStats = emptyStats();
  const started = io.seconds();
  for (let seed = first; seed < first + count; seed++) {
    const sim = new Simulation(seed, { ...args.options, fullTrace: args.trace });
    try {
      addStats(total, sim.run());
    } catch (e) {
      if (!(e instanceof SimulationFailure)) throw e;
      if (args.trace) io.out(sim.traceLines().join('\n'));
      io.err(e.message);
      return 1;
    }
    if (args.trace) io.out(sim.traceLines().join('\n'));
  }
  const elapsed = io.seconds() - started;
  const options = resolveOptions(args.options);
  io.out(
    JSON.stringify(
      {
        startSeed: first,
        seeds: count,
        nodes: options.nodes,
        stepsPerRun: options.steps,
        profile: options.profile,
        ...total,
        seconds: Number(elapsed.toFixed(2)),
        seedsPerSecond: elapsed > 0 ? Number((count / elapsed).toFixed(1)) : null,
      },
      null,
      2,
    ),
  );
  return 0;
}
