import type { Message, NodeId } from '@mk/raft';
import type { Rng } from '@mk/shared';

/** Seeded faults of the simulated network. Rates are probabilities per message. */
export interface NetworkFaults {
  /** A sent message is lost. */
  dropRate: number;
  /** A sent message is delivered twice (the copy with its own latency). */
  duplicateRate: number;
  /** A sent message gets extra delay, uniform in [1, maxExtraDelay] network ticks. */
  delayRate: number;
  maxExtraDelay: number;
  /** A delivery picks a random deliverable message instead of the oldest one. */
  reorderRate: number;
  /** Every message takes a latency uniform in [minLatency, maxLatency] network ticks. */
  minLatency: number;
  maxLatency: number;
}

export const NO_FAULTS: NetworkFaults = {
  dropRate: 0,
  duplicateRate: 0,
  delayRate: 0,
  maxExtraDelay: 0,
  reorderRate: 0,
  minLatency: 1,
  maxLatency: 1,
};

export interface NetworkStats {
  sent: number;
  delivered: number;
  /** Lost at send time (dropRate) or at delivery (the endpoints were partitioned apart). */
  dropped: number;
  partitionDropped: number;
  duplicated: number;
  delayed: number;
  reordered: number;
}

interface InFlight {
  msg: Message;
  deliverAt: number;
}

/** What `deliverNext` hands back: a message to step, or one the partition swallowed. */
export interface Delivery {
  msg: Message;
  /** True when the endpoints are in different partition groups: the message is lost. */
  partitioned: boolean;
}

/**
 * A network of in-flight messages, each with a delivery time in network ticks. Faults come from
 * the injected Rng only, so a seed replays every drop, copy, delay and reordering.
 */
export class SimNetwork {
  now = 0;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, partitionDropped: 0, duplicated: 0, delayed: 0, reordered: 0 };
  /** In send order, so the first deliverable one is the oldest. */
  private inFlight: InFlight[] = [];
  /** Partition group of each node; nodes not listed are in group 0. Empty map: no partition. */
  private groups = new Map<NodeId, number>();

  constructor(
    private readonly rng: Rng,
    public faults: NetworkFaults,
  ) {}

  /** Puts `msg` on the wire; returns false if it was lost at once (dropRate). */
  send(msg: Message): boolean {
    this.stats.sent++;
    if (this.rng.next() < this.faults.dropRate) {
      this.stats.dropped++;
      return false;
    }
    this.enqueue(msg);
    if (this.rng.next() < this.faults.duplicateRate) {
      this.stats.duplicated++;
      this.enqueue(msg);
    }
    return true;
  }

  /** Network time moves on; messages whose delivery time has come become deliverable. */
  advance(ticks = 1): void {
    this.now += ticks;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  deliverableCount(): number {
    let n = 0;
    for (const f of this.inFlight) if (f.deliverAt <= this.now) n++;
    return n;
  }

  /**
   * Takes one deliverable message off the wire: the oldest, or (reorderRate) a random one.
   * A message between partitioned nodes comes back marked `partitioned` and counts as dropped,
   * even if it was sent before the partition began.
   */
  deliverNext(): Delivery | undefined {
    const deliverable: number[] = [];
    for (let i = 0; i < this.inFlight.length; i++) if (this.inFlight[i]!.deliverAt <= this.now) deliverable.push(i);
    if (deliverable.length === 0) return undefined;
    let pick = 0;
    if (deliverable.length > 1 && this.rng.next() < this.faults.reorderRate) {
      pick = this.rng.int(deliverable.length);
      if (pick !== 0) this.stats.reordered++;
    }
    const [f] = this.inFlight.splice(deliverable[pick]!, 1);
    const msg = f!.msg;
    if (this.groupOf(msg.from) !== this.groupOf(msg.to)) {
      this.stats.dropped++;
      this.stats.partitionDropped++;
      return { msg, partitioned: true };
    }
    this.stats.delivered++;
    return { msg, partitioned: false };
  }

  /** Every in-flight message regardless of its delivery time, oldest first (for quiescing). */
  takeAll(): Delivery[] {
    const all = this.inFlight;
    this.inFlight = [];
    return all.map((f) => {
      const partitioned = this.groupOf(f.msg.from) !== this.groupOf(f.msg.to);
      if (partitioned) {
        this.stats.dropped++;
        this.stats.partitionDropped++;
      } else {
        this.stats.delivered++;
      }
      return { msg: f.msg, partitioned };
    });
  }

  /** Splits the nodes: `groupOf` maps each node to its group; unlisted nodes are in group 0. */
  partition(groupOf: Map<NodeId, number>): void {
    this.groups = new Map(groupOf);
  }

  heal(): void {
    this.groups = new Map();
  }

  get partitioned(): boolean {
    return this.groups.size > 0;
  }

  groupOf(id: NodeId): number {
    return this.groups.get(id) ?? 0;
  }

  private enqueue(msg: Message): void {
    const f = this.faults;
    let latency = f.minLatency + this.rng.int(f.maxLatency - f.minLatency + 1);
    if (f.maxExtraDelay > 0 && this.rng.next() < f.delayRate) {
      this.stats.delayed++;
      latency += 1 + this.rng.int(f.maxExtraDelay);
    }
    this.inFlight.push({ msg, deliverAt: this.now + latency });
  }
}
