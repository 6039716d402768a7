import http from 'node:http';

/** Prometheus text from a registry (prom-client's Registry fits). */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** A readiness check: it names itself in /readyz?verbose, as Kubernetes' verbose health does. */
export type ReadinessCheck = { name: string; check: () => Promise<void> | void };

export interface HttpEndpointsOptions {
  /** Served on /metrics. */
  metrics?: MetricsSource;
  /** Served on /readyz (every check must pass); without it /readyz is /healthz. */
  readiness?: ReadinessCheck[];
  /** More GET routes answering JSON, e.g. `/version`, `/leader`. */
  json?: Record<string, () => unknown>;
}

/**
 * Every daemon's plain-HTTP side: `/healthz` and `/livez` (the process serves), `/readyz`,
 * `/metrics` (Prometheus text) and the JSON routes it is given. `?verbose` on /readyz lists each
 * check, like Kubernetes. Only GET and HEAD.
 */
export function httpEndpoints(o: HttpEndpointsOptions): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    const json = o.json?.[url.pathname];
    if (json) return reply(200, JSON.stringify(json(), null, 2) + '\n', 'application/json');
    switch (url.pathname) {
      case '/healthz':
      case '/livez':
        return reply(200, 'ok');
      case '/readyz':
        void readiness(o.readiness ?? []).then(({ ok, lines }) => {
          const verbose = url.searchParams.has('verbose');
          const body = verbose || !ok ? `${lines.join('\n')}\n${ok ? 'readyz check passed' : 'readyz check failed'}\n` : 'ok';
          reply(ok ? 200 : 503, body);
        });
        return;
      case '/metrics':
        if (!o.metrics) break;
        void o.metrics.metrics().then(
          (text) => reply(200, text, o.metrics!.contentType),
          (e: unknown) => reply(500, `metrics: ${(e as Error).message}\n`),
        );
        return;
    }
    return reply(404, `404 page not found: ${url.pathname}\n`);
  };
}

/** Listens on host:port; resolves with the bound port (0 picks one). */
export function listenHttp(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot listen on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
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
