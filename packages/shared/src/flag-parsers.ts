/**
 * Parsers for daemons' command-line flags (commander's `argParser`). They throw a FlagError, which
 * commander reports as "error: option '--x <v>' argument 'v' is invalid. <our message>" and exits,
 * so every daemon names the bad flag and value the same way. (@mk/shared does not depend on
 * commander: its parse-argument handler recognizes the error by `code`.)
 */
import { parseDuration } from './duration';

export class FlagError extends Error {
  /** The code commander's InvalidArgumentError carries; commander turns it into a usage error. */
  readonly code = 'commander.invalidArgument';
  readonly exitCode = 2;
}

/** A Go-style duration (3s, 500ms, 1m30s) or a bare number of milliseconds, in ms. */
export function durationFlag(flag: string): (v: string) => number {
  return (v) => {
    try {
      return parseDuration(v, { flag });
    } catch (e) {
      throw new FlagError((e as Error).message);
    }
  };
}

/** true/false (also 1/0; an empty value, as in `--flag=`, means true). */
export function boolFlag(flag: string): (v: string) => boolean {
  return (v) => {
    if (v === 'true' || v === '1' || v === '') return true;
    if (v === 'false' || v === '0') return false;
    throw new FlagError(`${flag} must be true or false, got ${JSON.stringify(v)}`);
  };
}

export function intFlag(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
      throw new FlagError(`${flag} must be an integer ${range}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces); '' is off (undefined) when `allowOff`. */
export function parseListenAddress(flag: string, v: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new FlagError(`${flag} must be host:port, got ${JSON.stringify(v)}`);
  return { host: m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

export function listenFlag(flag: string): (v: string) => HostPort {
  return (v) => parseListenAddress(flag, v);
}
