/** Objects for the tests, shaped like what the API server stores (defaults applied). */
import type { Deployment, Event, KubeObject, Node, Pod, ReplicaSet, Service } from '@mk/api';

export const T0 = '2024-05-01T12:00:00Z';

/** A timestamp `seconds` before 2024-05-01T12:00:00Z. */
export function ago(seconds: number): string {
  return new Date(Date.parse(T0) - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function pod(name: string, opts: Partial<{ namespace: string; age: number; labels: Record<string, string>; status: Pod['status']; nodeName: string; containers: Pod['spec']['containers']; deleting: boolean; owner: KubeObject }> = {}): Pod {
  const p: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(opts.age ?? 60),
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.deleting ? { deletionTimestamp: ago(0), deletionGracePeriodSeconds: 30 } : {}),
      ...(opts.owner ? { ownerReferences: [{ apiVersion: opts.owner.apiVersion, kind: opts.owner.kind, name: opts.owner.metadata.name ?? '', uid: opts.owner.metadata.uid ?? '', controller: true }] } : {}),
    },
    spec: { containers: opts.containers ?? [{ name: 'web', image: 'nginx:1.25' }], ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) },
  };
  if (opts.status) p.status = opts.status;
  return p;
}

/** A running pod with all containers ready. */
export function runningPod(name: string, opts: Parameters<typeof pod>[1] & { ip?: string; restarts?: number; lastRestart?: number } = {}): Pod {
  const containers = opts.containers ?? [{ name: 'web', image: 'nginx:1.25' }];
  return pod(name, {
    ...opts,
    containers,
    nodeName: opts.nodeName ?? 'node-1',
    status: {
      phase: 'Running',
      podIP: opts.ip ?? '10.244.1.5',
      podIPs: [{ ip: opts.ip ?? '10.244.1.5' }],
      hostIP: '192.168.1.11',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready: true,
        restartCount: opts.restarts ?? 0,
        image: c.image,
        imageID: `docker-pullable://${c.image}`,
        containerID: `docker://${c.name}0123`,
        state: { running: { startedAt: ago(50) } },
        ...(opts.lastRestart !== undefined ? { lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(opts.lastRestart) } } } : {}),
      })),
    },
  });
}

export function deployment(name: string, opts: Partial<{ replicas: number; ready: number; age: number; image: string; uid: string }> = {}): Deployment {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', uid: opts.uid ?? `uid-${name}`, creationTimestamp: ago(opts.age ?? 300), generation: 1 },
    spec: {
      replicas: opts.replicas ?? 3,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: opts.image ?? 'nginx:1.25' }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
    },
    status: { replicas: opts.replicas ?? 3, updatedReplicas: opts.replicas ?? 3, readyReplicas: opts.ready ?? 3, availableReplicas: opts.ready ?? 3 },
  };
}

export function replicaSet(name: string, owner: Deployment, opts: Partial<{ replicas: number; image: string }> = {}): ReplicaSet {
  const template = structuredClone(owner.spec.template);
  template.metadata = { labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': name.split('-').pop() ?? '' } };
  if (opts.image) template.spec.containers[0]!.image = opts.image;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: ago(300),
      labels: template.metadata.labels ?? {},
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: true }],
    },
    spec: { replicas: opts.replicas ?? 3, selector: { matchLabels: template.metadata.labels ?? {} }, template },
    status: { replicas: opts.replicas ?? 3, readyReplicas: opts.replicas ?? 3 },
  };
}

export function service(name: string, spec: Partial<Service['spec']> = {}, age = 3600): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `uid-svc-${name}`, creationTimestamp: ago(age) },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: name }, sessionAffinity: 'None', ...spec },
  };
}

export function node(name: string, opts: Partial<{ ready: boolean; roles: string[]; age: number; unschedulable: boolean; ip: string }> = {}): Node {
  const labels: Record<string, string> = { 'kubernetes.io/hostname': name };
  for (const r of opts.roles ?? []) labels[`node-role.kubernetes.io/${r}`] = '';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, creationTimestamp: ago(opts.age ?? 86400 * 3), labels },
    spec: { podCIDR: '10.244.1.0/24', ...(opts.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: { cpu: '2', memory: '4039876Ki', pods: '110' },
      allocatable: { cpu: '2', memory: '3937476Ki', pods: '110' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: ago(10), lastTransitionTime: ago(3600) }],
      addresses: [
        { type: 'InternalIP', address: opts.ip ?? '192.168.1.11' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        machineID: 'm1',
        systemUUID: 's1',
        bootID: 'b1',
        kernelVersion: '6.1.0-18-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'docker://24.0.7',
        kubeletVersion: 'v0.1.0',
        kubeProxyVersion: 'v0.1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function event(name: string, involved: KubeObject, opts: { type?: 'Normal' | 'Warning'; reason: string; message: string; from: string; first: number; last?: number; count?: number }): Event {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: involved.metadata.namespace ?? 'default', creationTimestamp: ago(opts.first) },
    involvedObject: { apiVersion: involved.apiVersion, kind: involved.kind, name: involved.metadata.name ?? '', namespace: involved.metadata.namespace ?? '', ...(involved.metadata.uid ? { uid: involved.metadata.uid } : {}) },
    reason: opts.reason,
    message: opts.message,
    source: { component: opts.from },
    firstTimestamp: ago(opts.first),
    lastTimestamp: ago(opts.last ?? opts.first),
    count: opts.count ?? 1,
    type: opts.type ?? 'Normal',
  };
}
