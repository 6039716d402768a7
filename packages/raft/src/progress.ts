import { ProgressState, ProgressStatus } from './types';

/**
 * The sliding window of appends sent to one follower and not yet acknowledged, recorded by the
 * last index each carried. Bounded: when full, the leader stops sending (flow control).
 */
export class Inflights {
  private readonly buffer: number[] = [];

  constructor(readonly size: number) {}

  add(lastIndex: number): void {
    if (this.full()) throw new Error('raft: cannot add to a full inflight window');
    this.buffer.push(lastIndex);
  }

  /** Frees every append whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.buffer.length && this.buffer[n]! <= to) n++;
    if (n > 0) this.buffer.splice(0, n);
  }

  freeFirstOne(): void {
    this.buffer.shift();
  }

  full(): boolean {
    return this.buffer.length >= this.size;
  }

  count(): number {
    return this.buffer.length;
  }

  reset(): void {
    this.buffer.length = 0;
  }
}

/**
 * The leader's view of one follower: what it is known to hold (`match`), what to send next
 * (`next`), and how to send it (probe one append at a time, stream appends, or wait on a snapshot).
 */
export class Progress {
  state = ProgressState.Probe;
  /** In Probe state: an append was sent and we wait for its answer (or a heartbeat) before another. */
  probeSent = false;
  /** In Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(
    public match: number,
    public next: number,
    maxInflight: number,
  ) {
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      // Resume after the snapshot, or after the match if the follower already got further.
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** A successful AppResp for index `n`. Returns true when it told us something new. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Optimistically assume the follower will accept everything up to `n` (Replicate state). */
  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /**
   * A rejected append at `rejected`; `matchHint` is where the follower suggests to probe. Returns
   * false when the rejection is stale (answers an older append than the one in flight).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader must hold back appends to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  toStatus(): ProgressStatus {
    return { match: this.match, next: this.next, state: this.state, recentActive: this.recentActive, inflight: this.inflights.count() };
  }
}
