/**
 * The proxier's loop: Service and Endpoints changes mark the rules dirty; one full sync (list the
 * nat chains, write every MK- chain with one `iptables-restore --noflush`, ensure the jumps from
 * the built-in chains) runs at most once per `minSyncPeriodMs`, and at least every `syncPeriodMs`
 * (repairing whatever someone else flushed). A failed sync is retried with exponential back-off;
 * changes that arrive meanwhile wait for the retry. `cleanupRules()` removes every jump and MK-
 * chain (on exit, and `mk-proxy --cleanup`).
 *
 * All timing comes from the injected Clock; all iptables calls go through the injected driver.
 */
import type { Endpoints, Service } from '@mk/api';
import type { EventHandler } from '@mk/client';
import { type Clock, type Logger, nullLogger } from '@mk/shared';
import type { Iptables } from './iptables';
import { JUMPS, buildCleanup, buildRules, isProxyChain } from './rules';

/** What the proxier needs from an informer (an `Informer<T>` fits). */
export interface ProxySource<T> {
  readonly store: { list(): T[] };
  addEventHandler(handler: EventHandler<T>): () => void;
}

export interface SyncResult {
  ok: boolean;
  durationMs: number;
  /** Rules written per table (when ok). */
  ruleCounts?: { nat: number; filter: number };
  servicePorts?: number;
  error?: string;
}

export interface ProxierObserver {
  syncDone(result: SyncResult): void;
}

export interface ProxierOptions {
  iptables: Iptables;
  clock: Clock;
  logger?: Logger;
  services: ProxySource<Service>;
  endpoints: ProxySource<Endpoints>;
  clusterCIDR: string;
  serviceCIDR: string;
  /** Syncs start at least this far apart (default 1 s). */
  minSyncPeriodMs?: number;
  /** A sync runs at least this often, changes or not (default 30 s). */
  syncPeriodMs?: number;
  /** Back-off after a failed sync: initial (default 1 s), doubling up to max (default `syncPeriodMs`). */
  retry?: { initialMs?: number; maxMs?: number };
  observer?: ProxierObserver;
}

export class Proxier {
  private readonly logger: Logger;
  private readonly minSyncPeriodMs: number;
  private readonly syncPeriodMs: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private started = false;
  private stopped = false;
  private dirty = false;
  private running: Promise<void> | undefined;
  private cancelTimer: (() => void) | undefined;
  private timerDue = Infinity;
  /** The earliest a sync may start (rate limit or back-off). */
  private notBefore = 0;
  private failures = 0;
  private syncs = 0;
  private succeeded = false;
  private lastSuccessAt: number | undefined;
  private lastResult: SyncResult | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly o: ProxierOptions) {
    this.logger = o.logger ?? nullLogger;
    this.minSyncPeriodMs = o.minSyncPeriodMs ?? 1000;
    this.syncPeriodMs = o.syncPeriodMs ?? 30_000;
    if (!(this.minSyncPeriodMs >= 0)) throw new RangeError(`minSyncPeriodMs must be >= 0, got ${this.minSyncPeriodMs}`);
    if (!(this.syncPeriodMs > 0)) throw new RangeError(`syncPeriodMs must be > 0, got ${this.syncPeriodMs}`);
    this.retryInitialMs = o.retry?.initialMs ?? 1000;
    this.retryMaxMs = o.retry?.maxMs ?? this.syncPeriodMs;
  }

  /** Subscribes to the sources and syncs as soon as allowed. Call once the informers have synced. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const handler = <T>(): EventHandler<T> => ({
      onAdd: () => this.requestSync(),
      // An informer's resync delivers (obj, obj): nothing changed.
      onUpdate: (a, b) => a !== b && this.requestSync(),
      onDelete: () => this.requestSync(),
    });
    this.unsubscribe.push(this.o.services.addEventHandler(handler<Service>()), this.o.endpoints.addEventHandler(handler<Endpoints>()));
    this.requestSync();
  }

  /** Stops syncing; resolves once a sync in flight has finished. The rules stay (see cleanupRules). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    await this.running;
  }

  /** Something changed: sync as soon as the rate limit (or a failure's back-off) allows. */
  requestSync(): void {
    if (!this.started || this.stopped) return;
    this.dirty = true;
    if (this.running) return; // the sync in flight reschedules when it ends
    this.schedule(Math.max(0, this.notBefore - this.o.clock.now()));
  }

  /** Syncs done so far (successful or not). */
  syncCount(): number {
    return this.syncs;
  }

  /** True once a sync has succeeded. */
  hasSynced(): boolean {
    return this.succeeded;
  }

  /**
   * Why the rules may not match the caches (undefined: they do, as far as we know): no sync has
   * succeeded yet, or none for two sync periods (kube-proxy's healthz rule).
   */
  staleness(): string | undefined {
    if (this.lastSuccessAt === undefined) return `no sync has succeeded yet${this.lastResult?.error ? ` (last error: ${this.lastResult.error})` : ''}`;
    const age = this.o.clock.now() - this.lastSuccessAt;
    if (age > 2 * this.syncPeriodMs) return `the last successful sync was ${Math.round(age / 1000)} s ago${this.lastResult?.error ? ` (last error: ${this.lastResult.error})` : ''}`;
    return undefined;
  }

  lastSync(): SyncResult | undefined {
    return this.lastResult;
  }

  private schedule(delayMs: number): void {
    const due = this.o.clock.now() + delayMs;
    if (this.cancelTimer && this.timerDue <= due) return;
    this.cancelTimer?.();
    this.timerDue = due;
    this.cancelTimer = this.o.clock.setTimer(delayMs, () => {
      this.cancelTimer = undefined;
      this.timerDue = Infinity;
      this.running = this.runSync().finally(() => (this.running = undefined));
    });
  }

  private async runSync(): Promise<void> {
    if (this.stopped) return;
    this.dirty = false;
    const start = this.o.clock.now();
    let result: SyncResult;
    try {
      const r = await this.sync();
      result = { ok: true, durationMs: this.o.clock.now() - start, ...r };
      this.failures = 0;
      this.succeeded = true;
      this.lastSuccessAt = this.o.clock.now();
      this.notBefore = start + this.minSyncPeriodMs;
      this.logger.debug('synced proxy rules', { servicePorts: r.servicePorts, natRules: r.ruleCounts.nat, filterRules: r.ruleCounts.filter, ms: result.durationMs });
    } catch (e) {
      this.failures++;
      const backoff = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** Math.min(this.failures - 1, 30));
      result = { ok: false, durationMs: this.o.clock.now() - start, error: (e as Error).message };
      this.notBefore = Math.max(start + this.minSyncPeriodMs, this.o.clock.now() + backoff);
      this.dirty = true;
      this.logger.warn('syncing proxy rules failed; retrying', { error: result.error, failures: this.failures, retryInMs: this.notBefore - this.o.clock.now() });
    }
    this.syncs++;
    this.lastResult = result;
    this.o.observer?.syncDone(result);
    if (this.stopped) return;
    const now = this.o.clock.now();
    // Dirty (changed meanwhile, or failed): as soon as allowed; else the periodic resync.
    this.schedule(this.dirty ? Math.max(0, this.notBefore - now) : Math.max(this.syncPeriodMs - (now - start), 0));
  }

  private async sync(): Promise<{ ruleCounts: { nat: number; filter: number }; servicePorts: number }> {
    const ipt = this.o.iptables;
    const existingNatChains = await ipt.chains('nat');
    const rules = buildRules(this.o.services.store.list(), this.o.endpoints.store.list(), {
      clusterCIDR: this.o.clusterCIDR,
      serviceCIDR: this.o.serviceCIDR,
      existingNatChains,
    });
    await ipt.restore(rules.restore);
    // After the restore: a jump needs its target chain to exist.
    for (const j of JUMPS) if (!(await ipt.check(j.table, j.chain, j.args))) await ipt.insert(j.table, j.chain, j.args);
    return { ruleCounts: rules.ruleCounts, servicePorts: rules.servicePorts };
  }
}

/**
 * Removes every jump from the built-in chains into ours (every copy) and every chain of ours in nat
 * and filter (`isProxyChain`). Returns what it removed; throws naming what it could not.
 */
export async function cleanupRules(ipt: Iptables): Promise<{ jumps: number; chains: string[] }> {
  const errors: string[] = [];
  let jumps = 0;
  for (const j of JUMPS) {
    try {
      // A crash between check and insert can leave two copies.
      for (let i = 0; i < 100 && (await ipt.delete(j.table, j.chain, j.args)); i++) jumps++;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const chains: string[] = [];
  const byTable: { nat?: string[]; filter?: string[] } = {};
  for (const table of ['nat', 'filter'] as const) {
    try {
      byTable[table] = (await ipt.chains(table)).filter((c) => isProxyChain(c, table));
      chains.push(...byTable[table]!.map((c) => `${table}/${c}`));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const input = buildCleanup(byTable);
  if (input) {
    try {
      await ipt.restore(input);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(`cleanup incomplete: ${errors.join('; ')}`);
  return { jumps, chains };
}
