/** The scheduler's plain-HTTP side: /healthz and /livez (the process serves), /metrics, /leader. */
import http from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpOptions {
  metrics: Registry;
  /** For /leader: this instance's identity, the leader it last saw, whether it leads. */
  leader: () => { identity: string; leader: string; isLeader: boolean };
}

export function httpHandler(o: HttpOptions): http.RequestListener {
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
      case '/metrics':
        void o.metrics.metrics().then(
          (text) => reply(200, text, o.metrics.contentType),
          (e: unknown) => reply(500, `metrics: ${(e as Error).message}\n`),
        );
        return;
      case '/leader':
        return reply(200, JSON.stringify(o.leader()) + '\n', 'application/json');
      default:
        return reply(404, `404 page not found: ${url.pathname}\n`);
    }
  };
}
