/**
 * A TCP proxy on 127.0.0.1 in front of a server, to fail connections the way a crashed process or
 * a dead network does: `cut()` resets every open connection at once and stops listening, so the
 * client sees its connection die (not a server's orderly shutdown) and further connects refused.
 */
import * as net from 'node:net';

export class TcpProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: () => { host: string; port: number }) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = net.createServer((client) => {
      const { host, port } = this.target();
      const upstream = net.connect(port, host);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.pipe(to);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Resets every connection and refuses new ones. */
  cut(): void {
    this.server?.close();
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
  }
}
