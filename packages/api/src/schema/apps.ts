import type * as t from '../types/apps';
import { arr, bool, int, intOrString, obj, oneOf, req, str, time } from './dsl';
import { conditionStatus, labelSelectorSchema, objectMetaSchema } from './meta';
import { podTemplateSpecSchema } from './pod';
import { persistentVolumeClaimTemplateSchema } from './core';

const top = { apiVersion: req(str()), kind: req(str()), metadata: objectMetaSchema };

/** Condition with lastTransitionTime only; ReplicaSet, DaemonSet and StatefulSet conditions share it. */
const condition = (name: string) =>
  obj<t.ReplicaSetCondition>(name, {
    type: req(str()),
    status: conditionStatus(),
    lastTransitionTime: time(),
    reason: str(),
    message: str(),
  });

export const deploymentSchema = obj<t.Deployment>('Deployment', {
  ...top,
  spec: req(
    obj<t.DeploymentSpec>('DeploymentSpec', {
      replicas: int(),
      selector: req(labelSelectorSchema),
      template: req(podTemplateSpecSchema),
      strategy: obj<t.DeploymentStrategy>('DeploymentStrategy', {
        type: oneOf('Recreate', 'RollingUpdate'),
        rollingUpdate: obj<t.RollingUpdateDeployment>('RollingUpdateDeployment', {
          maxUnavailable: intOrString(),
          maxSurge: intOrString(),
        }),
      }),
      minReadySeconds: int(),
      revisionHistoryLimit: int(),
      paused: bool(),
      progressDeadlineSeconds: int(),
    }),
  ),
  status: obj<t.DeploymentStatus>('DeploymentStatus', {
    observedGeneration: int(),
    replicas: int(),
    updatedReplicas: int(),
    readyReplicas: int(),
    availableReplicas: int(),
    unavailableReplicas: int(),
    conditions: arr(
      obj<t.DeploymentCondition>('DeploymentCondition', {
        type: req(str()),
        status: conditionStatus(),
        lastUpdateTime: time(),
        lastTransitionTime: time(),
        reason: str(),
        message: str(),
      }),
    ),
    collisionCount: int(),
  }),
});

export const replicaSetSchema = obj<t.ReplicaSet>('ReplicaSet', {
  ...top,
  spec: req(
    obj<t.ReplicaSetSpec>('ReplicaSetSpec', {
      replicas: int(),
      minReadySeconds: int(),
      selector: req(labelSelectorSchema),
      template: req(podTemplateSpecSchema),
    }),
  ),
  status: obj<t.ReplicaSetStatus>('ReplicaSetStatus', {
    replicas: int(),
    fullyLabeledReplicas: int(),
    readyReplicas: int(),
    availableReplicas: int(),
    observedGeneration: int(),
    conditions: arr(condition('ReplicaSetCondition')),
  }),
});

export const daemonSetSchema = obj<t.DaemonSet>('DaemonSet', {
  ...top,
  spec: req(
    obj<t.DaemonSetSpec>('DaemonSetSpec', {
      selector: req(labelSelectorSchema),
      template: req(podTemplateSpecSchema),
      updateStrategy: obj<t.DaemonSetUpdateStrategy>('DaemonSetUpdateStrategy', {
        type: oneOf('RollingUpdate', 'OnDelete'),
        rollingUpdate: obj<t.RollingUpdateDaemonSet>('RollingUpdateDaemonSet', {
          maxUnavailable: intOrString(),
          maxSurge: intOrString(),
        }),
      }),
      minReadySeconds: int(),
      revisionHistoryLimit: int(),
    }),
  ),
  status: obj<t.DaemonSetStatus>('DaemonSetStatus', {
    currentNumberScheduled: int(),
    numberMisscheduled: int(),
    desiredNumberScheduled: int(),
    numberReady: int(),
    observedGeneration: int(),
    updatedNumberScheduled: int(),
    numberAvailable: int(),
    numberUnavailable: int(),
    collisionCount: int(),
    conditions: arr(condition('DaemonSetCondition')),
  }),
});

export const statefulSetSchema = obj<t.StatefulSet>('StatefulSet', {
  ...top,
  spec: req(
    obj<t.StatefulSetSpec>('StatefulSetSpec', {
      replicas: int(),
      selector: req(labelSelectorSchema),
      template: req(podTemplateSpecSchema),
      volumeClaimTemplates: arr(persistentVolumeClaimTemplateSchema),
      serviceName: str(),
      podManagementPolicy: oneOf('OrderedReady', 'Parallel'),
      updateStrategy: obj<t.StatefulSetUpdateStrategy>('StatefulSetUpdateStrategy', {
        type: oneOf('RollingUpdate', 'OnDelete'),
        rollingUpdate: obj<t.RollingUpdateStatefulSetStrategy>('RollingUpdateStatefulSetStrategy', {
          partition: int(),
          maxUnavailable: intOrString(),
        }),
      }),
      revisionHistoryLimit: int(),
      minReadySeconds: int(),
      persistentVolumeClaimRetentionPolicy: obj<t.StatefulSetPersistentVolumeClaimRetentionPolicy>(
        'StatefulSetPersistentVolumeClaimRetentionPolicy',
        { whenDeleted: oneOf('Retain', 'Delete'), whenScaled: oneOf('Retain', 'Delete') },
      ),
    }),
  ),
  status: obj<t.StatefulSetStatus>('StatefulSetStatus', {
    observedGeneration: int(),
    replicas: int(),
    readyReplicas: int(),
    currentReplicas: int(),
    updatedReplicas: int(),
    availableReplicas: int(),
    currentRevision: str(),
    updateRevision: str(),
    collisionCount: int(),
    conditions: arr(condition('StatefulSetCondition')),
  }),
});
