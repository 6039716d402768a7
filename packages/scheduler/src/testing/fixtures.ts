/** Builders of Nodes and Pods for the scheduler's tests. */
import type { Affinity, ContainerPort, Node, Pod, Taint, Toleration } from '@mk/api';
import { SchedulerCache } from '../cache';
import type { Snapshot } from '../framework/types';
import { type PodInfo, newPodInfo } from '../pod-info';

export interface NodeSpecLite {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** The Ready condition's status; null: no Ready condition at all. */
  ready?: 'True' | 'False' | 'Unknown' | null;
  extra?: Record<string, string>;
}

export function makeNode(name: string, o: NodeSpecLite = {}): Node {
  const allocatable = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra };
  const ready = o.ready === undefined ? 'True' : o.ready;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: ready === null ? [] : [{ type: 'Ready', status: ready }],
    },
  };
}

export interface PodSpecLite {
  namespace?: string;
  cpu?: string;
  memory?: string;
  /** More containers' requests. */
  containers?: Array<{ cpu?: string; memory?: string; ports?: ContainerPort[] }>;
  initContainers?: Array<{ cpu?: string; memory?: string }>;
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  ports?: ContainerPort[];
  nodeName?: string;
  priority?: number;
  ownerUid?: string;
  schedulerName?: string;
  uid?: string;
  resourceVersion?: string;
  extra?: Record<string, string>;
  deleting?: boolean;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
}

function requests(cpu?: string, memory?: string, extra?: Record<string, string>): Record<string, string> | undefined {
  const r: Record<string, string> = { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}), ...extra };
  return Object.keys(r).length ? r : undefined;
}

export function makePod(name: string, o: PodSpecLite = {}): Pod {
  const main = { name: 'c', image: 'kubia', resources: { requests: requests(o.cpu, o.memory, o.extra) }, ...(o.ports ? { ports: o.ports } : {}) };
  const more = (o.containers ?? []).map((c, i) => ({ name: `c${i + 1}`, image: 'kubia', resources: { requests: requests(c.cpu, c.memory) }, ...(c.ports ? { ports: c.ports } : {}) }));
  const init = (o.initContainers ?? []).map((c, i) => ({ name: `init${i}`, image: 'busybox', resources: { requests: requests(c.cpu, c.memory) } }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: o.resourceVersion ?? '1',
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.ownerUid ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.ownerUid, controller: true }] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      containers: [main, ...more],
      ...(init.length ? { initContainers: init } : {}),
      schedulerName: o.schedulerName ?? 'default-scheduler',
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
    },
    status: { phase: o.phase ?? 'Pending' },
  };
}

export function podInfo(name: string, o: PodSpecLite = {}): PodInfo {
  return newPodInfo(makePod(name, o));
}

/** A cache with these nodes and bound pods, and a Snapshot over it. */
export function snapshotOf(nodes: Node[], pods: Pod[] = [], nsLabels: Record<string, Record<string, string>> = {}): { cache: SchedulerCache; snapshot: Snapshot } {
  const cache = new SchedulerCache();
  for (const n of nodes) cache.addNode(n);
  for (const p of pods) cache.addPod(newPodInfo(p));
  const snapshot: Snapshot = {
    get nodes() {
      return cache.nodeList();
    },
    getNode: (name) => cache.getNode(name),
    namespaceLabels: (ns) => nsLabels[ns],
    podsWithAffinity: () => cache.podsWithAffinity(),
    podsWithRequiredAntiAffinity: () => cache.podsWithRequiredAntiAffinity(),
  };
  return { cache, snapshot };
}
