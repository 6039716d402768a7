import { etcdserverpb } from '@mk/proto';
import { EtcdTestClient, bytes, text } from '../../e2e/support/etcd-client';

export interface WatchedEvent {
  revision: number;
  key: string;
  value: string;
  type: 'put' | 'delete';
}

/** Keeps one watch on the `k/` prefix alive across member failures, resuming after the last revision seen. */
export class ResumingWatcher {
  readonly events: WatchedEvent[] = [];
  private stopped = false;
  private call: ReturnType<EtcdTestClient['watch']['Watch']> | undefined;
  reconnects = 0;

  constructor(private readonly clients: () => EtcdTestClient[]) {}

  start(fromRevision: number): void {
    this.open(fromRevision);
  }

  private open(from: number): void {
    if (this.stopped) return;
    const all = this.clients();
    const client = all[this.reconnects % all.length]!;
    const call = client.watch.Watch();
    this.call = call;
    const retry = () => {
      if (this.call !== call || this.stopped) return;
      this.call = undefined;
      this.reconnects++;
      const last = this.events[this.events.length - 1]?.revision ?? from - 1;
      setTimeout(() => this.open(last + 1), 100);
    };
    call.on('data', (res: etcdserverpb.WatchResponse) => {
      if (res.canceled) return retry();
      for (const e of res.events) {
        this.events.push({
          revision: e.kv?.modRevision ?? 0,
          key: text(e.kv?.key),
          value: text(e.kv?.value),
          type: e.type === 1 ? 'delete' : 'put',
        });
      }
    });
    call.on('error', retry);
    call.on('end', retry);
    call.write({ createRequest: { key: bytes('k/'), rangeEnd: bytes('k0'), startRevision: from } });
  }

  stop(): void {
    this.stopped = true;
    this.call?.cancel();
  }
}
