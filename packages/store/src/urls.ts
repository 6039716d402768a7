import { InvalidArgumentError } from '@mk/shared';

/**
 * etcd-style URLs (`http://127.0.0.1:2379`) as given in flags, and the `host:port` gRPC dials.
 * Only http is supported: mk-store does not do TLS yet.
 */
export function parseUrl(raw: string, flag: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`${flag}: '${raw}' is not a URL (expected e.g. http://127.0.0.1:2379)`);
  }
  if (u.protocol !== 'http:') throw new InvalidArgumentError(`${flag}: '${raw}' uses ${u.protocol.replace(':', '')}; only http is supported`);
  if (!u.port) throw new InvalidArgumentError(`${flag}: '${raw}' has no port`);
  if (u.pathname !== '/' || u.search || u.hash) throw new InvalidArgumentError(`${flag}: '${raw}' must be scheme://host:port only`);
  return u;
}

/** `host:port` for grpc-js, from a URL or an already bare `host:port`. */
export function hostPort(raw: string): string {
  if (!raw.includes('://')) return raw;
  const u = new URL(raw);
  return `${u.hostname.startsWith('[') ? u.hostname : u.hostname}:${u.port}`;
}

/** Parses a comma-separated URL list flag. */
export function parseUrlList(raw: string, flag: string): string[] {
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new InvalidArgumentError(`${flag}: needs at least one URL`);
  return parts.map((p) => {
    const u = parseUrl(p, flag);
    return `${u.protocol}//${u.host}`;
  });
}
