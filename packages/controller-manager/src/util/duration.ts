/** Go-style durations as Kubernetes flags take them ("40s", "500ms", "1m30s"); a bare number is milliseconds. */
const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(s: string): number {
  const t = s.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  if (t === '') throw new Error('empty duration');
  while (i < t.length) {
    re.lastIndex = i;
    const m = re.exec(t);
    if (!m) throw new Error(`invalid duration ${JSON.stringify(s)} (e.g. 8s, 500ms, 1m30s)`);
    ms += Number(m[1]) * UNITS[m[2]!]!;
    i = re.lastIndex;
  }
  return Math.round(ms);
}
