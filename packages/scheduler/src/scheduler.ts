/**
 * The scheduler core (Kubernetes' Scheduler.scheduleOne and its event handlers): informer events
 * go into the queue and the cache; the loop pops a pod, runs the plugins over the cache, assumes
 * the pod on the chosen node, and binds it in the background through the API. A binding that
 * fails takes the assumption back and retries the pod after its back-off.
 *
 * One Scheduler lives for one leadership term: stop() ends it at once — the loop stops, bindings
 * not yet sent are never sent, results of those in flight are ignored — and the next term starts
 * a new one from the informers' caches.
 *
 * Time, randomness and logging are injected; the only other I/O is through `api` and `recorder`.
 */
import { type Namespace, type Node, type Pod, DEFAULT_SCHEDULER_NAME, getCondition, podIsTerminal, setCondition } from '@mk/api';
import { type Clock, type Logger, type Rng, nullLogger } from '@mk/shared';
import { SchedulerCache } from './cache';
import { type FitFailure, Framework, type ScheduleError, type ScheduleResult } from './framework/framework';
import type { PluginSet } from './framework/plugins';
import type { ClusterEvent, Snapshot } from './framework/types';
import { type PodInfo, newPodInfo } from './pod-info';
import { type QueuedPodInfo, SchedulingQueue } from './queue';

/** The API calls the scheduler makes (an ApiClient has them). */
export interface SchedulerApi {
  bind(namespace: string, name: string, nodeName: string, uid?: string): Promise<unknown>;
  patch(resource: string, namespace: string, name: string, patch: unknown, opts?: { subresource?: string }): Promise<unknown>;
}

/** Where Scheduled / FailedScheduling go (an EventRecorder). */
export interface EventRecorderLike {
  event(obj: { apiVersion?: string; kind?: string; metadata: Pod['metadata'] }, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Hooks for metrics; every one optional. */
export interface SchedulerObserver {
  /** One scheduling cycle ended: a node was chosen, none fits, or an error. */
  attempt?(result: 'scheduled' | 'unschedulable' | 'error', durationMs: number): void;
  /** A binding was written; `sinceFirstAttemptMs`: from the pod's first pop to now. */
  bound?(pod: PodInfo, nodeName: string, attempts: number, sinceFirstAttemptMs: number, bindMs: number): void;
  bindFailed?(pod: PodInfo, error: string): void;
}

export interface SchedulerOptions {
  api: SchedulerApi;
  recorder: EventRecorderLike;
  clock: Clock;
  rng: Rng;
  logger?: Logger;
  /** Pods whose spec.schedulerName is this are ours (default "default-scheduler"). */
  schedulerName?: string;
  plugins?: PluginSet;
  /** See FrameworkOptions (0: Kubernetes' adaptive default). */
  percentageOfNodesToScore?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  /**
   * Bindings in flight at most (default 200); the loop waits for a free slot before its next
   * cycle. Within this the window adapts to the binding latency (see bindLatencyTargetMs).
   */
  maxConcurrentBinds?: number;
  /**
   * Bindings slower than this shrink the window of bindings in flight (×0.75, at most once per
   * this long); faster ones widen it by one each, up to maxConcurrentBinds. Keeps the API's write
   * latency — and with it the lease renewals that wait behind the bindings — bounded on a slow
   * store. 0: no adaptation, always maxConcurrentBinds. Default 300 ms.
   */
  bindLatencyTargetMs?: number;
  /** The pod as the informer has it now (for requeueing after a failed binding). */
  lookupPod?: (namespace: string, name: string) => Pod | undefined;
  /** How the loop lets other work run between pods (default: setImmediate). */
  yieldToEventLoop?: () => Promise<void>;
  observer?: SchedulerObserver;
}

type Labels = Readonly<Record<string, string>> | undefined;

const defaultYield = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Bindings in flight at the start of a term, before the window has seen any latency. */
const INITIAL_BIND_WINDOW = 16;
const MIN_BIND_WINDOW = 4;

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function readyStatus(n: Node): string | undefined {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/** Kubernetes' timestamps: RFC 3339, whole seconds. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Bindings the API refused for good: the pod is gone, replaced, already bound or being deleted. */
function bindingIsFinal(e: unknown): boolean {
  const reason = (e as { reason?: unknown } | null)?.reason;
  return reason === 'NotFound' || reason === 'Conflict' || reason === 'Gone';
}

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly schedulerName: string;
  private readonly api: SchedulerApi;
  private readonly recorder: EventRecorderLike;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly observer: SchedulerObserver;
  private readonly lookupPod: ((namespace: string, name: string) => Pod | undefined) | undefined;
  private readonly yieldToEventLoop: () => Promise<void>;
  private readonly maxConcurrentBinds: number;
  private readonly bindLatencyTargetMs: number;
  /** The adaptive limit of bindings in flight (fractional; its floor counts). */
  private bindWindow: number;
  private lastWindowDecrease = -Infinity;
  private readonly namespaces = new Map<string, Labels>();
  private readonly snapshot: Snapshot;
  private bindsInFlight = 0;
  private bindWaiters: Array<() => void> = [];
  private capacityWaiters: Array<() => void> = [];
  private pendingBinds = new Set<Promise<void>>();
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(o: SchedulerOptions) {
    this.api = o.api;
    this.recorder = o.recorder;
    this.clock = o.clock;
    this.log = o.logger ?? nullLogger;
    this.observer = o.observer ?? {};
    this.schedulerName = o.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.lookupPod = o.lookupPod;
    this.yieldToEventLoop = o.yieldToEventLoop ?? defaultYield;
    this.maxConcurrentBinds = Math.max(1, o.maxConcurrentBinds ?? 200);
    this.bindLatencyTargetMs = Math.max(0, o.bindLatencyTargetMs ?? 300);
    this.bindWindow = this.bindLatencyTargetMs > 0 ? Math.min(INITIAL_BIND_WINDOW, this.maxConcurrentBinds) : this.maxConcurrentBinds;
    this.framework = new Framework({ rng: o.rng, ...(o.plugins ? { plugins: o.plugins } : {}), percentageOfNodesToScore: o.percentageOfNodesToScore ?? 0 });
    const pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>();
    for (const p of this.framework.plugins()) pluginEvents.set(p.name, new Set(p.events));
    this.queue = new SchedulingQueue({
      clock: o.clock,
      logger: this.log,
      pluginEvents,
      ...(o.initialBackoffMs !== undefined ? { initialBackoffMs: o.initialBackoffMs } : {}),
      ...(o.maxBackoffMs !== undefined ? { maxBackoffMs: o.maxBackoffMs } : {}),
      ...(o.maxUnschedulableMs !== undefined ? { maxUnschedulableMs: o.maxUnschedulableMs } : {}),
    });
    const cache = this.cache;
    const namespaces = this.namespaces;
    this.snapshot = {
      get nodes() {
        return cache.nodeList();
      },
      getNode: (name) => cache.getNode(name),
      namespaceLabels: (ns) => namespaces.get(ns),
      podsWithAffinity: () => cache.podsWithAffinity(),
      podsWithRequiredAntiAffinity: () => cache.podsWithRequiredAntiAffinity(),
    };
  }

  isStopped(): boolean {
    return this.stopped;
  }

  // ---- informer event handlers ----

  /** Is this pending pod ours to schedule? */
  responsibleFor(pod: Pod): boolean {
    return (pod.spec.schedulerName || DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  onPodAdd(pod: Pod): void {
    if (this.stopped) return;
    const key = podKey(pod);
    if (pod.spec.nodeName) {
      if (podIsTerminal(pod)) return;
      this.queue.delete(key);
      this.cache.addPod(newPodInfo(pod));
      this.queue.moveAllToActiveOrBackoff('AssignedPodAdd');
      return;
    }
    if (this.cache.isAssumed(key)) return; // being bound right now
    if (this.wantsScheduling(pod)) this.queue.add(newPodInfo(pod));
  }

  onPodUpdate(oldPod: Pod, pod: Pod): void {
    if (this.stopped) return;
    const rv = pod.metadata.resourceVersion;
    if (rv !== undefined && rv === oldPod.metadata.resourceVersion) return; // a resync: nothing new
    const key = podKey(pod);
    if (pod.spec.nodeName) {
      if (podIsTerminal(pod)) {
        this.removeAssigned(key);
        return;
      }
      const wasAssigned = this.cache.getPod(key) !== undefined && !this.cache.isAssumed(key);
      this.queue.delete(key);
      this.cache.updatePod(newPodInfo(pod));
      if (!wasAssigned) this.queue.moveAllToActiveOrBackoff('AssignedPodAdd');
      else if (!sameJson(oldPod.metadata.labels, pod.metadata.labels)) this.queue.moveAllToActiveOrBackoff('AssignedPodUpdate');
      return;
    }
    if (this.cache.isAssumed(key)) return; // our binding is on its way
    if (this.cache.getPod(key)) this.removeAssigned(key); // unbound again (should not happen)
    if (this.wantsScheduling(pod)) this.queue.update(newPodInfo(pod));
    else this.queue.delete(key);
  }

  onPodDelete(pod: Pod): void {
    if (this.stopped) return;
    const key = podKey(pod);
    this.queue.delete(key);
    this.removeAssigned(key);
  }

  onNodeAdd(node: Node): void {
    if (this.stopped) return;
    this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoff('NodeAdd');
  }

  onNodeUpdate(oldNode: Node, node: Node): void {
    if (this.stopped) return;
    this.cache.updateNode(node);
    const events: ClusterEvent[] = [];
    if (!sameJson(oldNode.status?.allocatable, node.status?.allocatable)) events.push('NodeAllocatableChange');
    if (!sameJson(oldNode.metadata.labels, node.metadata.labels)) events.push('NodeLabelChange');
    if (!sameJson(oldNode.spec?.taints, node.spec?.taints)) events.push('NodeTaintChange');
    if (readyStatus(oldNode) !== readyStatus(node)) events.push('NodeConditionChange');
    if ((oldNode.spec?.unschedulable ?? false) !== (node.spec?.unschedulable ?? false)) events.push('NodeSpecUnschedulableChange');
    for (const e of events) this.queue.moveAllToActiveOrBackoff(e);
  }

  onNodeDelete(node: Node): void {
    if (this.stopped) return;
    this.cache.removeNode(node.metadata.name ?? '');
  }

  onNamespaceAdd(ns: Namespace): void {
    if (this.stopped) return;
    this.namespaces.set(ns.metadata.name ?? '', ns.metadata.labels);
    this.queue.moveAllToActiveOrBackoff('NamespaceChange');
  }

  onNamespaceUpdate(_old: Namespace, ns: Namespace): void {
    if (this.stopped) return;
    const name = ns.metadata.name ?? '';
    const changed = !sameJson(this.namespaces.get(name), ns.metadata.labels);
    this.namespaces.set(name, ns.metadata.labels);
    if (changed) this.queue.moveAllToActiveOrBackoff('NamespaceChange');
  }

  onNamespaceDelete(ns: Namespace): void {
    this.namespaces.delete(ns.metadata.name ?? '');
  }

  private wantsScheduling(pod: Pod): boolean {
    return this.responsibleFor(pod) && !pod.metadata.deletionTimestamp && !podIsTerminal(pod);
  }

  private removeAssigned(key: string): void {
    if (!this.cache.getPod(key)) return;
    this.cache.removePod(key);
    this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
  }

  // ---- the loop ----

  /** Schedules until stop(); resolves when the loop has ended. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    this.log.info('scheduling loop started', { schedulerName: this.schedulerName });
    while (!this.stopped) {
      // Back-pressure: the next pod waits in the queue (not assumed) while every binding slot is
      // busy, so a slow API server slows scheduling down instead of piling up assumed pods.
      if (this.bindsInFlight >= this.bindLimit()) {
        await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
        continue;
      }
      const q = this.queue.tryPop() ?? (await this.queue.pop());
      if (!q || this.stopped) break;
      this.scheduleOne(q);
      await this.yieldToEventLoop();
    }
    this.log.info('scheduling loop stopped');
  }

  /** One cycle for a popped pod (synchronous: nothing changes the cache meanwhile). */
  scheduleOne(q: QueuedPodInfo): ScheduleResult | undefined {
    const pi = q.podInfo;
    if (pi.pod.metadata.deletionTimestamp || this.cache.getPod(pi.key)) {
      this.queue.done(pi.key);
      return undefined;
    }
    const cycle = this.queue.schedulingCycle();
    const start = this.clock.now();
    const result = this.framework.schedule(pi, this.snapshot);
    const ms = this.clock.now() - start;
    if (!result.ok) {
      this.observer.attempt?.(result.kind === 'unschedulable' ? 'unschedulable' : 'error', ms);
      this.handleFailure(q, result, cycle);
      return result;
    }
    this.observer.attempt?.('scheduled', ms);
    this.cache.assumePod(pi, result.nodeName);
    this.queue.done(pi.key);
    this.log.debug('pod assumed', { pod: pi.key, node: result.nodeName, evaluated: result.evaluatedNodes, feasible: result.feasibleNodes });
    const p = this.bind(q, result.nodeName);
    this.pendingBinds.add(p);
    void p.finally(() => this.pendingBinds.delete(p));
    return result;
  }

  private handleFailure(q: QueuedPodInfo, result: FitFailure | ScheduleError, cycle: number): void {
    const pi = q.podInfo;
    if (result.kind === 'unschedulable') {
      this.log.info('unable to schedule pod; no fit; waiting', { pod: pi.key, message: result.message });
      this.queue.addUnschedulable(q, result.unschedulablePlugins, cycle);
    } else {
      this.log.warn('error scheduling pod; retrying', { pod: pi.key, error: result.message });
      this.queue.addBackoff(q);
    }
    this.recorder.event(podRef(pi.pod), 'Warning', 'FailedScheduling', result.message);
    this.setUnschedulableCondition(pi.pod, result.kind === 'unschedulable' ? 'Unschedulable' : 'SchedulerError', result.message);
  }

  /** PodScheduled=False with the reason, written only when it changes (as Kubernetes does). */
  private setUnschedulableCondition(pod: Pod, reason: string, message: string): void {
    const cur = getCondition(pod.status?.conditions, 'PodScheduled');
    if (cur && cur.status === 'False' && cur.reason === reason && cur.message === message) return;
    const conditions = setCondition(pod.status?.conditions, { type: 'PodScheduled', status: 'False', reason, message }, rfc3339(this.clock.now()));
    const patch = { metadata: { resourceVersion: pod.metadata.resourceVersion }, status: { conditions } };
    this.api.patch('pods', pod.metadata.namespace ?? '', pod.metadata.name ?? '', patch, { subresource: 'status' }).catch((e: unknown) => {
      this.log.debug('could not update the PodScheduled condition', { pod: podKey(pod), error: (e as Error).message });
    });
  }

  // ---- binding ----

  private async bind(q: QueuedPodInfo, nodeName: string): Promise<void> {
    const pi = q.podInfo;
    await this.acquireBindSlot();
    if (this.stopped) return; // leadership lost: a binding not sent is never sent
    const start = this.clock.now();
    try {
      await this.api.bind(pi.namespace, pi.name, nodeName, pi.uid);
    } catch (e) {
      this.adaptBindWindow(this.clock.now() - start);
      this.releaseBindSlot();
      if (this.stopped) return;
      this.bindingFailed(q, nodeName, e);
      return;
    }
    this.adaptBindWindow(this.clock.now() - start);
    this.releaseBindSlot();
    if (this.stopped) return;
    const now = this.clock.now();
    this.cache.finishBinding(pi.key);
    this.recorder.event(podRef(pi.pod), 'Normal', 'Scheduled', `Successfully assigned ${pi.key} to ${nodeName}`);
    this.observer.bound?.(pi, nodeName, q.attempts, now - (q.initialAttemptTimestamp ?? start), now - start);
  }

  private bindingFailed(q: QueuedPodInfo, nodeName: string, e: unknown): void {
    const pi = q.podInfo;
    const message = (e as Error).message;
    this.cache.forgetPod(pi.key);
    this.observer.bindFailed?.(pi, message);
    // A pod gone, replaced or already bound is not retried: the informer tells what became of it.
    if (bindingIsFinal(e)) {
      this.log.info('binding refused; not retrying', { pod: pi.key, node: nodeName, error: message });
      return;
    }
    let podInfo = pi;
    if (this.lookupPod) {
      const latest = this.lookupPod(pi.namespace, pi.name);
      if (!latest || latest.metadata.uid !== pi.uid || latest.spec.nodeName || !this.wantsScheduling(latest)) return;
      podInfo = newPodInfo(latest);
    }
    this.log.warn('binding failed; retrying after back-off', { pod: pi.key, node: nodeName, error: message });
    this.recorder.event(podRef(pi.pod), 'Warning', 'FailedScheduling', `Binding rejected: ${message}`);
    this.queue.addBackoff({ ...q, podInfo });
  }

  /** The bindings allowed in flight now. */
  bindLimit(): number {
    return Math.max(1, Math.floor(this.bindWindow));
  }

  /** AIMD on the binding latency: +1 per fast binding, ×0.75 (once per target interval) when slow. */
  private adaptBindWindow(latencyMs: number): void {
    const target = this.bindLatencyTargetMs;
    if (target <= 0) return;
    const now = this.clock.now();
    if (latencyMs > target) {
      if (now - this.lastWindowDecrease < target) return;
      this.lastWindowDecrease = now;
      this.bindWindow = Math.max(Math.min(MIN_BIND_WINDOW, this.maxConcurrentBinds), this.bindWindow * 0.75);
      this.log.debug('bindings slow; window narrowed', { latencyMs, window: this.bindLimit() });
    } else {
      this.bindWindow = Math.min(this.maxConcurrentBinds, this.bindWindow + 1);
    }
  }

  private acquireBindSlot(): Promise<void> {
    if (this.bindsInFlight < this.bindLimit()) {
      this.bindsInFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.bindWaiters.push(() => {
        this.bindsInFlight++;
        resolve();
      }),
    );
  }

  private releaseBindSlot(): void {
    this.bindsInFlight--;
    const next = this.bindWaiters.shift();
    if (next) next();
    else for (const w of this.capacityWaiters.splice(0)) w();
  }

  /** Bindings started and not finished (sent or waiting for a slot). */
  pendingBindings(): number {
    return this.pendingBinds.size;
  }

  /** Resolves when every binding started so far has finished (tests). */
  async flushBindings(): Promise<void> {
    while (this.pendingBinds.size > 0) await Promise.all([...this.pendingBinds]);
  }

  /** Ends this scheduler at once: no more cycles, no more bindings sent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.close();
    // Waiting bindings wake up, see `stopped` and give up without sending.
    for (const w of this.bindWaiters.splice(0)) w();
    for (const w of this.capacityWaiters.splice(0)) w();
  }
}

function podKey(pod: Pod): string {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

function podRef(pod: Pod): { apiVersion: string; kind: string; metadata: Pod['metadata'] } {
  const m = pod.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
  };
}
