/**
 * CronJob schedules: the standard 5-field cron format (minute hour day-of-month month day-of-week)
 * and the @yearly/@monthly/@weekly/@daily/@hourly macros, with the same parsing rules and error
 * messages as the library Kubernetes uses (robfig/cron). `next` works in UTC and takes the time as
 * a parameter, so the CronJob controller stays testable with a fake clock.
 */
import { InvalidArgumentError } from '@mk/shared';

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const days: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const fieldBounds: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: months },
  { min: 0, max: 6, names: days },
];

const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  values: Set<number>;
  /** Written as `*` or `?` (possibly with a step): matters for the day-of-month/day-of-week rule. */
  star: boolean;
}

function parseNumber(s: string, b: Bounds, spec: string): number {
  const lower = s.toLowerCase();
  const named = b.names && Object.hasOwn(b.names, lower) ? b.names[lower] : undefined;
  if (named !== undefined) return named;
  if (!/^[0-9]+$/.test(s)) throw cronError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`, spec);
  return Number(s);
}

function cronError(message: string, spec: string): InvalidArgumentError {
  return new InvalidArgumentError(message, { schedule: spec });
}

function parseField(expr: string, b: Bounds, spec: string): Field {
  const values = new Set<number>();
  let star = false;
  for (const part of expr.split(',')) {
    const slash = part.split('/');
    if (slash.length > 2) throw cronError(`too many slashes: ${part}`, spec);
    const range = (slash[0] ?? '').split('-');
    if (range.length > 2) throw cronError(`too many hyphens: ${part}`, spec);
    let start: number;
    let end: number;
    if (range[0] === '*' || range[0] === '?') {
      if (range.length > 1) throw cronError(`too many hyphens: ${part}`, spec);
      start = b.min;
      end = b.max;
      star = true;
    } else {
      start = parseNumber(range[0] ?? '', b, spec);
      end = range.length === 2 ? parseNumber(range[1] ?? '', b, spec) : start;
    }
    let step = 1;
    if (slash.length === 2) {
      step = parseNumber(slash[1] ?? '', { min: 0, max: 0 }, spec);
      if (step <= 0) throw cronError(`step of range should be a positive number: ${part}`, spec);
      // "N/step" means N through the maximum.
      if (range.length === 1 && range[0] !== '*' && range[0] !== '?') end = b.max;
    }
    if (start < b.min) throw cronError(`beginning of range (${start}) below minimum (${b.min}): ${part}`, spec);
    if (end > b.max) throw cronError(`end of range (${end}) above maximum (${b.max}): ${part}`, spec);
    if (start > end) throw cronError(`beginning of range (${start}) beyond end of range (${end}): ${part}`, spec);
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return { values, star };
}

export class CronSchedule {
  private constructor(
    readonly spec: string,
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
  ) {}

  /** Parses a schedule; throws InvalidArgumentError with robfig/cron's message. */
  static parse(spec: string): CronSchedule {
    const trimmed = spec.trim();
    if (/^(CRON_)?TZ=/.test(trimmed)) {
      throw cronError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead', spec);
    }
    let expr = trimmed;
    if (trimmed.startsWith('@')) {
      const m = Object.hasOwn(macros, trimmed.toLowerCase()) ? macros[trimmed.toLowerCase()] : undefined;
      if (!m) throw cronError(`unrecognized descriptor: ${trimmed}`, spec);
      expr = m;
    }
    const parts = expr.split(/\s+/).filter((p) => p !== '');
    if (parts.length !== 5) throw cronError(`expected exactly 5 fields, found ${parts.length}: ${spec}`, spec);
    const [mi, h, dom, mo, dow] = parts.map((p, i) => parseField(p, fieldBounds[i] as Bounds, spec)) as [Field, Field, Field, Field, Field];
    return new CronSchedule(spec, mi, h, dom, mo, dow);
  }

  private dayMatches(d: Date): boolean {
    const domMatch = this.dom.values.has(d.getUTCDate());
    const dowMatch = this.dow.values.has(d.getUTCDay());
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  /** The first activation strictly after `after` (ms since epoch, UTC), or undefined within 5 years. */
  next(after: number): number | undefined {
    const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000); // next whole minute
    const limit = t.getUTCFullYear() + 5;
    while (t.getUTCFullYear() <= limit) {
      if (!this.month.values.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!this.dayMatches(t)) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!this.hour.values.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!this.minute.values.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      return t.getTime();
    }
    return undefined;
  }
}

/** Parses a cron schedule; see CronSchedule. */
export function parseCronSchedule(spec: string): CronSchedule {
  return CronSchedule.parse(spec);
}
