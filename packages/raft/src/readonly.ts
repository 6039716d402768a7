import { NodeId } from './types';

/** A ReadIndex request the leader is confirming with a heartbeat round (thesis §6.4). */
interface PendingRead {
  /** The commit index when the request arrived: the read point if leadership is confirmed. */
  index: number;
  /** The node that asked (the leader itself, or a follower that forwarded the request). */
  from: NodeId;
  requestCtx: Uint8Array;
  acks: Set<NodeId>;
}

export interface ConfirmedRead {
  index: number;
  from: NodeId;
  requestCtx: Uint8Array;
}

/** Hex form of a request context, used as a map key and carried in heartbeats. */
export function ctxKey(ctx: Uint8Array): string {
  let s = '';
  for (const b of ctx) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

/**
 * Pending ReadIndex requests in arrival order. A heartbeat carries the newest request's context;
 * a quorum of acks for it confirms that request and every earlier one.
 */
export class ReadOnly {
  private readonly pending = new Map<string, PendingRead>();
  private queue: string[] = [];

  add(index: number, from: NodeId, requestCtx: Uint8Array): void {
    const key = ctxKey(requestCtx);
    if (this.pending.has(key)) return;
    this.pending.set(key, { index, from, requestCtx, acks: new Set() });
    this.queue.push(key);
  }

  /** Records an ack for `ctx`; returns the set of voters that acked it, or undefined if unknown. */
  recvAck(id: NodeId, ctx: Uint8Array): Set<NodeId> | undefined {
    const p = this.pending.get(ctxKey(ctx));
    if (!p) return undefined;
    p.acks.add(id);
    return p.acks;
  }

  /** Releases the request for `ctx` and every request queued before it. */
  advance(ctx: Uint8Array): ConfirmedRead[] {
    const key = ctxKey(ctx);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    return released.map((k) => {
      const p = this.pending.get(k)!;
      this.pending.delete(k);
      return { index: p.index, from: p.from, requestCtx: p.requestCtx };
    });
  }

  /** The newest pending request's context, sent along with heartbeats. */
  lastPendingCtx(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.requestCtx;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
