/**
 * client-go's ControllerExpectations (with UID tracking for deletions): after a controller asks
 * for N creations or for the deletion of given pods, it does not act on that owner again until the
 * informer has shown it those changes — otherwise a sync running on a cache that has not caught
 * up would create (or delete) the same pods twice. Expectations expire after `ttlMs` (5 minutes,
 * as Kubernetes) in case an event is lost.
 */
import type { Clock } from '@mk/shared';

interface Expectation {
  adds: number;
  dels: number;
  /** Keys of the pods whose deletion is expected (a deletion of another pod does not count). */
  deleting: Set<string>;
  timestamp: number;
}

export const EXPECTATIONS_TTL_MS = 5 * 60_000;

export class ControllerExpectations {
  private readonly items = new Map<string, Expectation>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
  ) {}

  /** True when the controller may act on `key`: nothing expected, all observed, or expired. */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.dels <= 0) return true;
    return this.clock.now() - e.timestamp > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    this.items.set(key, { adds: n, dels: 0, deleting: new Set(), timestamp: this.clock.now() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.items.set(key, { adds: 0, dels: podKeys.length, deleting: new Set(podKeys), timestamp: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e) e.adds--;
  }

  /** A pod's deletion was seen (or will never happen); counts once per expected pod. */
  deletionObserved(key: string, podKey: string): void {
    const e = this.items.get(key);
    if (e && e.deleting.delete(podKey)) e.dels--;
  }

  /** Forgets `key` (its owner is gone). */
  delete(key: string): void {
    this.items.delete(key);
  }

  /** For tests and debugging. */
  get(key: string): { adds: number; dels: number } | undefined {
    const e = this.items.get(key);
    return e ? { adds: e.adds, dels: e.dels } : undefined;
  }
}
