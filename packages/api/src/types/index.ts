export * from './meta';
export * from './pod';
export * from './core';
export * from './apps';
export * from './batch';
export * from './autoscaling';
export * from './coordination';

import type { Pod } from './pod';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
} from './core';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from './apps';
import type { CronJob, Job } from './batch';
import type { HorizontalPodAutoscaler } from './autoscaling';
import type { Lease } from './coordination';

/** Every kind mk serves, keyed by kind name. */
export interface KindMap {
  Namespace: Namespace;
  Node: Node;
  Pod: Pod;
  Service: Service;
  Endpoints: Endpoints;
  ConfigMap: ConfigMap;
  Secret: Secret;
  Event: Event;
  PersistentVolume: PersistentVolume;
  PersistentVolumeClaim: PersistentVolumeClaim;
  Deployment: Deployment;
  ReplicaSet: ReplicaSet;
  DaemonSet: DaemonSet;
  StatefulSet: StatefulSet;
  Job: Job;
  CronJob: CronJob;
  HorizontalPodAutoscaler: HorizontalPodAutoscaler;
  Lease: Lease;
}

export type KindName = keyof KindMap;
/** Any object of a kind mk serves; narrow it with `obj.kind`. */
export type AnyObject = KindMap[KindName];
