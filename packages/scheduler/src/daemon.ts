/**
 * The shell around the core: informers for pods, nodes and namespaces run all the time (a standby
 * keeps its caches warm); leader election on a Lease decides when a Scheduler runs. Each term of
 * leadership gets a fresh Scheduler built from the informers' caches; losing the lease stops it at
 * once (no more cycles, no binding not yet sent is sent), and the daemon stays a candidate.
 */
import type { Namespace, Node, Pod } from '@mk/api';
import {
  type EventHandler,
  Informer,
  LeaderElector,
  type LeaseApi,
  type ListerWatcher,
  deletedObject,
} from '@mk/client';
import { type Clock, type Logger, type Rng, nullLogger } from '@mk/shared';
import { type EventRecorderLike, Scheduler, type SchedulerApi, type SchedulerObserver, type SchedulerOptions } from './scheduler';

export interface LeaderElectionConfig {
  enabled: boolean;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** What the daemon needs from the API: list/watch for informers, lease verbs, bind and patch. */
export interface DaemonApi extends SchedulerApi, LeaseApi {
  resource<T extends Pod | Node | Namespace>(plural: string): ListerWatcher<T>;
}

export interface SchedulerDaemonOptions {
  api: DaemonApi;
  recorder: EventRecorderLike;
  clock: Clock;
  rng: Rng;
  logger?: Logger;
  leaderElection: LeaderElectionConfig;
  /** Passed to each term's Scheduler. */
  scheduler?: Pick<
    SchedulerOptions,
    | 'schedulerName'
    | 'percentageOfNodesToScore'
    | 'initialBackoffMs'
    | 'maxBackoffMs'
    | 'maxUnschedulableMs'
    | 'maxConcurrentBinds'
    | 'bindLatencyTargetMs'
    | 'plugins'
    | 'yieldToEventLoop'
  >;
  observer?: SchedulerObserver;
  /** Called when a term starts and ends (tests, logs). */
  onLeadershipChange?: (leading: boolean) => void;
}

/** Pods that will not run again are no concern of the scheduler (as kube-scheduler's informer). */
export const POD_FIELD_SELECTOR = 'status.phase!=Succeeded,status.phase!=Failed';

export class SchedulerDaemon {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly namespaces: Informer<Namespace>;
  private readonly log: Logger;
  private readonly elector: LeaderElector | undefined;
  private core: Scheduler | undefined;
  private started = false;
  private stopped = false;
  /** Terms of leadership so far. */
  terms = 0;

  constructor(private readonly o: SchedulerDaemonOptions) {
    this.log = o.logger ?? nullLogger;
    const informerOpts = { clock: o.clock, logger: this.log, freeze: false };
    // freeze: false: the scheduler never modifies what it is given (it copies to assume), and
    // freezing every pod costs at 10,000 pods.
    this.pods = new Informer<Pod>(o.api.resource<Pod>('pods'), { ...informerOpts, name: 'pods', fieldSelector: POD_FIELD_SELECTOR });
    this.nodes = new Informer<Node>(o.api.resource<Node>('nodes'), { ...informerOpts, name: 'nodes' });
    this.namespaces = new Informer<Namespace>(o.api.resource<Namespace>('namespaces'), { ...informerOpts, name: 'namespaces' });
    this.pods.addEventHandler(this.forward<Pod>((s) => s.onPodAdd.bind(s), (s) => s.onPodUpdate.bind(s), (s) => s.onPodDelete.bind(s)));
    this.nodes.addEventHandler(this.forward<Node>((s) => s.onNodeAdd.bind(s), (s) => s.onNodeUpdate.bind(s), (s) => s.onNodeDelete.bind(s)));
    this.namespaces.addEventHandler(
      this.forward<Namespace>((s) => s.onNamespaceAdd.bind(s), (s) => s.onNamespaceUpdate.bind(s), (s) => s.onNamespaceDelete.bind(s)),
    );
    const le = o.leaderElection;
    if (le.enabled) {
      this.elector = new LeaderElector({
        api: o.api,
        namespace: le.namespace,
        name: le.name,
        identity: le.identity,
        leaseDurationMs: le.leaseDurationMs,
        renewDeadlineMs: le.renewDeadlineMs,
        retryPeriodMs: le.retryPeriodMs,
        clock: o.clock,
        logger: this.log,
        onStartedLeading: () => this.startTerm(),
        onStoppedLeading: () => this.endTerm('lost the lease'),
      });
    }
  }

  /** Starts the informers; once they are synced, contends for the lease (or starts scheduling). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.namespaces.start();
    this.nodes.start();
    this.pods.start();
    const synced = await Promise.all([this.namespaces.waitForSync(), this.nodes.waitForSync(), this.pods.waitForSync()]);
    if (this.stopped || synced.includes(false)) return;
    this.log.info('caches synced', { nodes: this.nodes.store.size, pods: this.pods.store.size });
    if (this.elector) this.elector.start();
    else this.startTerm();
  }

  /** Stops scheduling, gives the lease up (so a standby takes over at once), stops the informers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.endTerm('shutting down');
    await this.elector?.stop();
    this.pods.stop();
    this.nodes.stop();
    this.namespaces.stop();
  }

  isLeader(): boolean {
    return this.core !== undefined;
  }

  /** True once the pod, node and namespace informers have listed everything. */
  synced(): boolean {
    return this.pods.hasSynced() && this.nodes.hasSynced() && this.namespaces.hasSynced();
  }

  /** The leader last observed on the lease ('' when none or leader election is off). */
  leader(): string {
    return this.elector?.getLeader() ?? '';
  }

  /** The running Scheduler, while leading. */
  current(): Scheduler | undefined {
    return this.core;
  }

  private startTerm(): void {
    if (this.stopped || this.core) return;
    this.terms++;
    const core = new Scheduler({
      ...this.o.scheduler,
      api: this.o.api,
      recorder: this.o.recorder,
      clock: this.o.clock,
      rng: this.o.rng,
      logger: this.log,
      lookupPod: (ns, name) => this.pods.store.getByName(ns, name),
      ...(this.o.observer ? { observer: this.o.observer } : {}),
    });
    for (const ns of this.namespaces.store.list()) core.onNamespaceAdd(ns);
    for (const node of this.nodes.store.list()) core.onNodeAdd(node);
    for (const pod of this.pods.store.list()) core.onPodAdd(pod);
    this.core = core;
    this.log.info('started scheduling', { term: this.terms, nodes: core.cache.nodeCount(), pending: core.queue.counts().active });
    this.o.onLeadershipChange?.(true);
    void core.run();
  }

  private endTerm(why: string): void {
    const core = this.core;
    if (!core) return;
    this.core = undefined;
    core.stop();
    this.log.warn('stopped scheduling', { why, bindingsAbandoned: core.pendingBindings() });
    this.o.onLeadershipChange?.(false);
  }

  private forward<T>(
    add: (s: Scheduler) => (obj: T) => void,
    update: (s: Scheduler) => (oldObj: T, obj: T) => void,
    del: (s: Scheduler) => (obj: T) => void,
  ): EventHandler<T> {
    return {
      onAdd: (obj) => {
        if (this.core) add(this.core)(obj);
      },
      onUpdate: (oldObj, obj) => {
        if (this.core) update(this.core)(oldObj, obj);
      },
      onDelete: (obj) => {
        if (this.core) del(this.core)(deletedObject(obj));
      },
    };
  }
}
