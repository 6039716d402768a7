import { InvalidArgumentError } from './errors';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export interface DurationOptions {
  /** The flag it came from, named in the error as Go's flag package names it. */
  flag?: string;
  /**
   * What a bare number means: milliseconds (mk's daemons), seconds (kubectl's `--timeout`), or
   * nothing (etcd's duration flags refuse it). Default: milliseconds.
   */
  bare?: 'ms' | 's' | 'refuse';
}

/**
 * A duration flag in milliseconds: Go's time.ParseDuration syntax ("3s", "500ms", "1m30s",
 * "1.5h", "250us"), as Kubernetes and etcd flags take them. A bad value is refused with the
 * message those tools print: `invalid argument "5x" for "--timeout" flag: time: invalid duration "5x"`.
 */
export function parseDuration(input: string, opts: DurationOptions = {}): number {
  const s = input.trim();
  const bare = opts.bare ?? 'ms';
  if (/^[0-9]+(\.[0-9]+)?$/.test(s) && (bare !== 'refuse' || s === '0')) return Number(s) * (bare === 's' ? 1000 : 1);
  const re = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  for (re.lastIndex = 0; pos < s.length; ) {
    const m = re.exec(s);
    if (!m) break;
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s === '' || pos !== s.length) {
    const what = `time: invalid duration ${JSON.stringify(input)}`;
    throw new InvalidArgumentError(opts.flag ? `invalid argument ${JSON.stringify(input)} for ${JSON.stringify(opts.flag)} flag: ${what}` : what);
  }
  return total;
}

/** Go's String() of a duration, for logs and help: 3000 → "3s", 500 → "500ms", 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
