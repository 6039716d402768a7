/**
 * A deterministic little cluster for workload tests: the FakeCluster, the ReplicaSet and
 * Deployment controllers, and a "kubelet" the test drives by hand (make a pod ready, finish a
 * graceful deletion). `settle()` runs both controllers' queues until nothing is left to do.
 */
import { type Deployment, type Pod, setCondition } from '@mk/api';
import { nullLogger } from '@mk/shared';
import { DeploymentController } from '../controllers/deployment/controller';
import { ReplicaSetController } from '../controllers/replicaset';
import type { Controller } from '../controller';
import { FakeCluster } from './fake-cluster';
import { RecordingRecorder } from './recorder';
import { rfc3339 } from '../util/time';

export class WorkloadSim {
  readonly cluster = new FakeCluster();
  readonly recorder = new RecordingRecorder();
  readonly rsc: ReplicaSetController;
  readonly dc: DeploymentController;
  private nodeSeq = 0;

  constructor() {
    const ctx = { client: this.cluster, informers: this.cluster, clock: this.cluster.clock, logger: nullLogger, recorder: this.recorder };
    this.rsc = new ReplicaSetController(ctx);
    this.dc = new DeploymentController(ctx);
  }

  /** Syncs every queued key of both controllers until both queues are empty; a failing sync fails the test. */
  async settle(maxRounds = 200): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      let worked = false;
      for (const c of [this.dc, this.rsc] as Controller[]) {
        while (c.queue.len() > 0) {
          const key = await c.queue.get();
          if (key === undefined) break;
          worked = true;
          try {
            await c.sync(key);
          } finally {
            c.queue.done(key);
          }
        }
      }
      if (!worked) return;
    }
    throw new Error('controllers did not settle');
  }

  pods(): Pod[] {
    return this.cluster.list<Pod>('pods');
  }

  /** The scheduler and kubelet: bind a pending pod to a node and make it Running and Ready. */
  makeReady(pod: Pod): void {
    const now = rfc3339(this.cluster.clock.now());
    this.cluster.modify<Pod>('pods', `${pod.metadata.namespace}/${pod.metadata.name}`, (p) => {
      p.spec.nodeName ??= `n${(this.nodeSeq++ % 3) + 1}`;
      p.status = {
        ...(p.status ?? {}),
        phase: 'Running',
        podIP: `10.244.0.${(this.nodeSeq % 250) + 2}`,
        conditions: setCondition(p.status?.conditions, { type: 'Ready', status: 'True' }, now),
      };
    });
  }

  /** Binds a pending pod to a node without making it ready. */
  bind(pod: Pod): void {
    this.cluster.modify<Pod>('pods', `${pod.metadata.namespace}/${pod.metadata.name}`, (p) => {
      p.spec.nodeName ??= `n${(this.nodeSeq++ % 3) + 1}`;
      p.status = { ...(p.status ?? {}), phase: 'Running' };
    });
  }

  /** The kubelet finishing a graceful deletion. */
  finishDeletion(pod: Pod): void {
    this.cluster.remove('pods', `${pod.metadata.namespace}/${pod.metadata.name}`);
  }

  /** Makes every pod ready and finishes every deletion, settling in between, until stable. */
  async converge(maxSteps = 500): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      await this.settle();
      const dying = this.pods().find((p) => p.metadata.deletionTimestamp);
      if (dying) {
        this.finishDeletion(dying);
        continue;
      }
      const waiting = this.pods().find((p) => p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
      if (waiting) {
        this.makeReady(waiting);
        continue;
      }
      return;
    }
    throw new Error('did not converge');
  }

  deployment(name: string): Deployment {
    const d = this.cluster.object<Deployment>('deployments', `default/${name}`);
    if (!d) throw new Error(`no deployment ${name}`);
    return d;
  }

  /** A user's edit of the Deployment (the generation moves when the spec changes, as the API server does). */
  edit(name: string, change: (d: Deployment) => void): void {
    this.cluster.modify<Deployment>('deployments', `default/${name}`, (d) => {
      const before = JSON.stringify(d.spec);
      change(d);
      if (JSON.stringify(d.spec) !== before) d.metadata.generation = (d.metadata.generation ?? 1) + 1;
    });
  }
}
