import { WorkQueue, type WorkQueueOptions } from './queue';

/** Node clamps timer delays above this to 1 ms; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

interface WaitingEntry<T> {
  item: T;
  readyAt: number;
  /** Tie-break: among items due at the same instant, the one scheduled first comes out first. */
  seq: number;
  index: number;
}

/** A binary min-heap on (readyAt, seq) that knows each entry's position (for decrease-key). */
class WaitingHeap<T> {
  private readonly entries: WaitingEntry<T>[] = [];

  get size(): number {
    return this.entries.length;
  }

  peek(): WaitingEntry<T> | undefined {
    return this.entries[0];
  }

  push(entry: WaitingEntry<T>): void {
    entry.index = this.entries.length;
    this.entries.push(entry);
    this.up(entry.index);
  }

  pop(): WaitingEntry<T> | undefined {
    const top = this.entries[0];
    const last = this.entries.pop();
    if (!top || !last) return undefined;
    if (last !== top) {
      last.index = 0;
      this.entries[0] = last;
      this.down(0);
    }
    return top;
  }

  /** Call after lowering `entry.readyAt` (or `seq`). */
  decreased(entry: WaitingEntry<T>): void {
    this.up(entry.index);
  }

  clear(): void {
    this.entries.length = 0;
  }

  private less(a: WaitingEntry<T>, b: WaitingEntry<T>): boolean {
    return a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq);
  }

  private at(i: number): WaitingEntry<T> {
    // Callers only pass indices inside the array.
    return this.entries[i] as WaitingEntry<T>;
  }

  private swap(i: number, j: number): void {
    const a = this.at(i);
    const b = this.at(j);
    this.entries[i] = b;
    this.entries[j] = a;
    b.index = i;
    a.index = j;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.at(i), this.at(parent))) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.entries.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.less(this.at(l), this.at(smallest))) smallest = l;
      if (r < n && this.less(this.at(r), this.at(smallest))) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}

/**
 * client-go's delaying queue: `addAfter(item, ms)` adds the item once `ms` have passed on the
 * injected clock. An item already waiting keeps the earlier of its two deadlines (duplicates
 * coalesce); items due at the same instant come out in the order they were scheduled. One clock
 * timer is armed at a time, for the earliest deadline. Shutdown drops every waiting item.
 */
export class DelayingQueue<T = string> extends WorkQueue<T> {
  private readonly heap = new WaitingHeap<T>();
  private readonly waiting = new Map<T, WaitingEntry<T>>();
  private seq = 0;
  private cancelTimer: (() => void) | undefined;
  private armedFor = Number.NaN;

  constructor(options: WorkQueueOptions) {
    super(options);
  }

  /** Adds `item` after `ms` milliseconds (at once if `ms <= 0`). No-op after shutdown. */
  addAfter(item: T, ms: number): void {
    if (Number.isNaN(ms)) throw new RangeError('addAfter: delay must be a number of ms, got NaN');
    if (this.isShuttingDown()) return;
    this.retriesTotal++;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.clock.now() + ms;
    const existing = this.waiting.get(item);
    if (existing) {
      if (readyAt >= existing.readyAt) return; // the earlier deadline wins
      existing.readyAt = readyAt;
      existing.seq = this.seq++;
      this.heap.decreased(existing);
    } else {
      const entry: WaitingEntry<T> = { item, readyAt, seq: this.seq++, index: -1 };
      this.waiting.set(item, entry);
      this.heap.push(entry);
    }
    this.arm();
  }

  protected override beginShutdown(): void {
    super.beginShutdown();
    this.disarm();
    this.heap.clear();
    this.waiting.clear();
  }

  protected override waitingCount(): number {
    return this.heap.size;
  }

  /** Keeps exactly one timer armed, for the earliest deadline (none if nothing waits). */
  private arm(): void {
    const top = this.heap.peek();
    if (!top) {
      this.disarm();
      return;
    }
    if (this.cancelTimer && this.armedFor === top.readyAt) return;
    this.disarm();
    const delay = Math.min(Math.max(0, top.readyAt - this.clock.now()), MAX_TIMER_MS);
    this.armedFor = top.readyAt;
    this.cancelTimer = this.clock.setTimer(delay, () => {
      this.cancelTimer = undefined;
      this.armedFor = Number.NaN;
      this.fire();
    });
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedFor = Number.NaN;
  }

  /** Moves every due item into the queue, earliest first, then re-arms for the rest. */
  private fire(): void {
    const now = this.clock.now();
    for (let top = this.heap.peek(); top && top.readyAt <= now; top = this.heap.peek()) {
      this.heap.pop();
      this.waiting.delete(top.item);
      this.add(top.item);
    }
    this.arm();
  }
}
