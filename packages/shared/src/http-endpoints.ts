import http from 'node:http';
import { Registry } from 'prom-client';

/** What /readyz checks: each names itself in the answer, as Kubernetes' verbose health does. */
export type ReadinessCheck = { name: string; check: () => Promise<void> | void };

export interface HttpEndpointsOptions {
  metrics: Registry;
  readiness: ReadinessCheck[];
  version: () => Record<string, string>;
}

/**
 * The API server's plain-HTTP side: `/healthz` and `/livez` (the process serves), `/readyz`
 * (every readiness check passes: the store answers, the caches are loaded), `/metrics`
 * (Prometheus text) and `/version`. Append `?verbose` to see each check, like Kubernetes.
 */
export function httpEndpoints(o: HttpEndpointsOptions): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    switch (url.pathname) {
      case '/healthz':
      case '/livez':
        return reply(200, 'ok');
      case '/readyz':
        void readiness(o.readiness).then(({ ok, lines }) => {
          const verbose = url.searchParams.has('verbose');
          const body = verbose || !ok ? `${lines.join('\n')}\n${ok ? 'readyz check passed' : 'readyz check failed'}\n` : 'ok';
          reply(ok ? 200 : 503, body);
        });
        return;
      case '/metrics':
        void o.metrics.metrics().then(
          (text) => reply(200, text, o.metrics.contentType),
          (e: unknown) => reply(500, `metrics: ${(e as Error).message}\n`),
        );
        return;
      case '/version':
        return reply(200, JSON.stringify(o.version(), null, 2) + '\n', 'application/json');
      default:
        return reply(404, `404 page not found: ${url.pathname}\n`);
    }
  };
}

async function readiness(checks: ReadinessCheck[]): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  for (const c of checks) {
    try {
      await c.check();
      lines.push(`[+]${c.name} ok`);
    } catch (e) {
      ok = false;
      lines.push(`[-]${c.name} failed: ${(e as Error).message}`);
    }
  }
  return { ok, lines };
}
