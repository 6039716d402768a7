/**
 * The set of controllers one leader runs: built from the shared informers, started once every
 * informer they read has its first list, stopped together. A new leadership term gets a new
 * ControllerManager (fresh caches, fresh queues, expectations and node health).
 */
import type { Controller } from './controller';
import { DeploymentController } from './controllers/deployment/controller';
import { EndpointsController } from './controllers/endpoints';
import { GarbageCollector } from './controllers/garbage-collector';
import { type NodeIpamOptions, NodeIpamController } from './controllers/node-ipam';
import { type NodeLifecycleOptions, NodeLifecycleController } from './controllers/node-lifecycle';
import { ReplicaSetController } from './controllers/replicaset';
import type { ControllerContext, InformerSource } from './types';

export const CONTROLLER_NAMES = ['replicaset', 'deployment', 'garbagecollector', 'endpoint', 'nodelifecycle', 'nodeipam'] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

/** Workers per controller unless told otherwise (Kubernetes' --concurrent-*-syncs defaults). */
export const DEFAULT_WORKERS: Record<ControllerName, number> = {
  replicaset: 5,
  deployment: 5,
  garbagecollector: 20,
  endpoint: 5,
  nodelifecycle: 1,
  nodeipam: 1,
};

/**
 * Kubernetes' --controllers: a comma list of names, `*` for all of them (the default), `-name`
 * to leave one out (`*,-nodeipam`). Unknown names are an error.
 */
export function selectControllers(spec: string): Set<ControllerName> {
  const out = new Set<ControllerName>();
  const off = new Set<string>();
  let all = false;
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const name = raw.startsWith('-') ? raw.slice(1) : raw;
    if (name !== '*' && !(CONTROLLER_NAMES as readonly string[]).includes(name)) {
      throw new Error(`unknown controller ${JSON.stringify(name)} (known: ${CONTROLLER_NAMES.join(', ')})`);
    }
    if (raw === '*') all = true;
    else if (raw.startsWith('-')) off.add(name);
    else out.add(name as ControllerName);
  }
  if (all) for (const n of CONTROLLER_NAMES) out.add(n);
  for (const n of off) out.delete(n as ControllerName);
  return out;
}

export interface ManagedInformers extends InformerSource {
  start(): void;
  waitForSync(): Promise<boolean>;
  stop(): void;
}

export interface ControllerManagerOptions {
  controllers: ReadonlySet<ControllerName>;
  workers?: Partial<Record<ControllerName, number>>;
  nodeLifecycle?: NodeLifecycleOptions;
  ipam?: NodeIpamOptions;
  /** The kinds the garbage collector watches (default: GC_RESOURCES). */
  gcResources?: readonly string[];
}

export class ControllerManager {
  readonly controllers = new Map<ControllerName, Controller>();
  private readonly running: Promise<void>[] = [];
  private stopped = false;
  private startedWorkers = false;

  constructor(
    private readonly ctx: ControllerContext & { informers: ManagedInformers },
    private readonly o: ControllerManagerOptions,
  ) {
    const has = (n: ControllerName) => o.controllers.has(n);
    // Built in this order so handlers of the node controllers see nodes before pods.
    if (has('nodeipam')) this.controllers.set('nodeipam', new NodeIpamController(ctx, o.ipam));
    if (has('nodelifecycle')) this.controllers.set('nodelifecycle', new NodeLifecycleController(ctx, o.nodeLifecycle));
    if (has('replicaset')) this.controllers.set('replicaset', new ReplicaSetController(ctx));
    if (has('deployment')) this.controllers.set('deployment', new DeploymentController(ctx));
    if (has('endpoint')) this.controllers.set('endpoint', new EndpointsController(ctx));
    if (has('garbagecollector')) this.controllers.set('garbagecollector', new GarbageCollector(ctx, o.gcResources));
  }

  /** Starts the informers, waits for their first lists, then the controllers' workers. */
  async start(): Promise<boolean> {
    const log = this.ctx.logger;
    this.ctx.informers.start();
    const synced = await this.ctx.informers.waitForSync();
    if (!synced || this.stopped) return false;
    for (const [name, c] of this.controllers) {
      const workers = this.o.workers?.[name] ?? DEFAULT_WORKERS[name];
      this.running.push(c.run(workers));
      log.info('controller started', { controller: name, workers });
    }
    this.startedWorkers = true;
    return true;
  }

  /** True once the caches are synced and the workers run (until stop). */
  isRunning(): boolean {
    return this.startedWorkers && !this.stopped;
  }

  /** Stops every controller (workers finish the sync they hold) and the informers. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.controllers.values()].map((c) => c.stop()));
    this.ctx.informers.stop();
  }
}
