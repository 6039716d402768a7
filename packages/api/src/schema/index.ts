/** The schema of every kind, keyed by kind name. */
import type { KindMap, KindName } from '../types';
import type { ObjectSchema, SchemaNode } from './dsl';
import { daemonSetSchema, deploymentSchema, replicaSetSchema, statefulSetSchema } from './apps';
import { horizontalPodAutoscalerSchema } from './autoscaling';
import { leaseSchema } from './coordination';
import { cronJobSchema, jobSchema } from './batch';
import {
  configMapSchema,
  endpointsSchema,
  eventSchema,
  namespaceSchema,
  nodeSchema,
  persistentVolumeClaimSchema,
  persistentVolumeSchema,
  secretSchema,
  serviceSchema,
} from './core';
import { podSchema } from './pod';

export * from './dsl';

export const kindSchemas: { readonly [K in KindName]: ObjectSchema<KindMap[K]> } = {
  Namespace: namespaceSchema,
  Node: nodeSchema,
  Pod: podSchema,
  Service: serviceSchema,
  Endpoints: endpointsSchema,
  ConfigMap: configMapSchema,
  Secret: secretSchema,
  Event: eventSchema,
  PersistentVolume: persistentVolumeSchema,
  PersistentVolumeClaim: persistentVolumeClaimSchema,
  Deployment: deploymentSchema,
  ReplicaSet: replicaSetSchema,
  DaemonSet: daemonSetSchema,
  StatefulSet: statefulSetSchema,
  Job: jobSchema,
  CronJob: cronJobSchema,
  HorizontalPodAutoscaler: horizontalPodAutoscalerSchema,
  Lease: leaseSchema,
};

/** The run-time schema of a kind (undefined when mk does not serve it). */
export function schemaForKind(kind: string): SchemaNode | undefined {
  if (!Object.hasOwn(kindSchemas, kind)) return undefined;
  return kindSchemas[kind as KindName] as unknown as SchemaNode; // typed and untyped forms are the same data
}
