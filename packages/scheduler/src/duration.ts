/**
 * Durations for flags: Go's time.ParseDuration syntax as Kubernetes' flags take it ("3s",
 * "500ms", "1m30s", "1.5h"), or a bare number of milliseconds ("3000").
 */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds; throws a RangeError naming the input when it is not a duration. */
export function parseDuration(input: string): number {
  const s = input.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) return Number(s);
  if (s === '0') return 0;
  const re = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s === '' || pos !== s.length) throw new RangeError(`invalid duration ${JSON.stringify(input)} (use e.g. 3s, 500ms, 1m30s, or milliseconds)`);
  return total;
}

/** Go's String() of a duration, for logs and help: 3000 → "3s", 500 → "500ms". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}
