/** Objects for controller tests, defaulted the way the API server would store them. */
import { type Deployment, type KubeObject, type Node, type Pod, type PodCondition, type ReplicaSet, type Service, newOwnerRef } from '@mk/api';

export const NS = 'default';

export function rsFixture(name: string, replicas: number, labels: Record<string, string> = { app: name }, extra: Partial<ReplicaSet['spec']> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: NS, uid: `rs-${name}`, generation: 1, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'kubia:v1' }] } },
      ...extra,
    },
  };
}

export interface PodOpts {
  labels?: Record<string, string>;
  owner?: KubeObject;
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown' | 'Succeeded' | 'Failed';
  ready?: boolean;
  /** When the pod became Ready (RFC 3339). */
  readySince?: string;
  created?: string;
  restarts?: number;
  ip?: string;
  deleting?: boolean;
  containerPorts?: { name?: string; containerPort: number }[];
  tolerations?: Pod['spec']['tolerations'];
}

export function podFixture(name: string, o: PodOpts = {}): Pod {
  const conditions: PodCondition[] = [];
  if (o.ready !== undefined) conditions.push({ type: 'Ready', status: o.ready ? 'True' : 'False', ...(o.readySince ? { lastTransitionTime: o.readySince } : {}) });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      uid: `pod-${name}`,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.owner ? { ownerReferences: [newOwnerRef(o.owner)] } : {}),
      ...(o.created ? { creationTimestamp: o.created } : {}),
      ...(o.deleting ? { deletionTimestamp: '2024-05-01T12:00:30Z', deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'kubia:v1', ...(o.containerPorts ? { ports: o.containerPorts } : {}) }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
    status: {
      phase: o.phase ?? (o.node ? 'Running' : 'Pending'),
      ...(conditions.length ? { conditions } : {}),
      ...(o.ip ? { podIP: o.ip } : {}),
      ...(o.restarts !== undefined ? { containerStatuses: [{ name: 'c', ready: o.ready ?? false, restartCount: o.restarts, image: 'kubia:v1', imageID: '' }] } : {}),
    },
  };
}

export function deploymentFixture(name: string, replicas: number, extra: Partial<Deployment['spec']> = {}, image = 'kubia:v1'): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, uid: `deploy-${name}`, generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
  };
}

export function serviceFixture(name: string, selector: Record<string, string> | undefined, ports: Service['spec']['ports'] = [{ port: 80, targetPort: 8080, protocol: 'TCP' }]): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS, uid: `svc-${name}`, labels: { svc: name } },
    spec: { ...(selector ? { selector } : {}), ports, clusterIP: '10.96.0.10', type: 'ClusterIP' },
  };
}

export function nodeFixture(name: string, ready: 'True' | 'False' | 'Unknown' | undefined, heartbeat?: string, extra: Partial<Node['spec']> = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `node-${name}` },
    spec: { ...extra },
    status: {
      conditions: ready ? [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', ...(heartbeat ? { lastHeartbeatTime: heartbeat, lastTransitionTime: heartbeat } : {}) }] : [],
    },
  };
}
