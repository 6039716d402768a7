/**
 * The real ProbeTransport: node:http/https/net, one fresh connection per probe (no keep-alive,
 * as Kubernetes' prober), closed as soon as the answer is known.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import {
  ProbeTimeoutError,
  type HttpGetRequest,
  type ProbeTransport,
  type TcpConnectRequest,
} from './probes';

function headersObject(headers: HttpGetRequest['headers']): http.OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prior = out[key];
    out[key] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  return out;
}

function httpGet(request: HttpGetRequest): Promise<{ statusCode: number }> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      host: request.host,
      port: request.port,
      path: request.path,
      method: 'GET',
      headers: headersObject(request.headers),
      agent: false,
      // Idle timeout of the socket: a backstop for the caller's deadline.
      timeout: request.timeoutMs,
      signal: request.signal,
    };
    const req =
      request.scheme === 'HTTPS'
        ? https.request({ ...options, rejectUnauthorized: false }, onResponse)
        : http.request(options, onResponse);
    function onResponse(res: http.IncomingMessage): void {
      resolve({ statusCode: res.statusCode ?? 0 });
      // The body is not looked at: drop the connection.
      res.destroy();
    }
    req.on('timeout', () => req.destroy(new ProbeTimeoutError()));
    req.on('error', reject);
    req.end();
  });
}

function tcpConnect(request: TcpConnectRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: request.host, port: request.port });
    const onAbort = (): void => {
      socket.destroy(new ProbeTimeoutError());
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(request.timeoutMs, () => socket.destroy(new ProbeTimeoutError()));
    socket.once('connect', () => {
      request.signal.removeEventListener('abort', onAbort);
      resolve();
      socket.destroy();
    });
    socket.once('error', (err) => {
      request.signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

export const nodeProbeTransport: ProbeTransport = { httpGet, tcpConnect };
