/**
 * The kubelet's Node object, as Kubernetes' kubelet builds it (pkg/kubelet/nodestatus): pure, from
 * what the host reports and what the API holds. The node agent (node-agent.ts) registers it and posts
 * it; the controller manager's node lifecycle controller reads the Ready condition and the Lease.
 */
import type { Node, NodeCondition, NodeStatus, NodeSystemInfo } from '@mk/api';
import { rfc3339 } from './status';

export interface HostFacts {
  nodeName: string;
  internalIP: string;
  hostname: string;
  cpuCores: number;
  memoryBytes: number;
  maxPods: number;
  /** The port of the kubelet's API (logs, exec, stats). */
  kubeletPort: number;
  nodeInfo: NodeSystemInfo;
  labels: Record<string, string>;
}

/** What the kubelet currently knows about its own health. */
export interface NodeHealth {
  /** The runtime answers and the pod network is set up. */
  runtimeReady: boolean;
  networkReady: boolean;
  /** Why not, for the Ready condition's message. */
  problems: string[];
}

/** Memory in Kubernetes' quantity form, in Ki as the kubelet reports it. */
export function memoryQuantity(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

/** A new Node for registration: labels, no spec (the controller manager assigns the pod CIDR). */
export function nodeForRegistration(facts: HostFacts): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: facts.nodeName,
      labels: {
        'kubernetes.io/hostname': facts.nodeName,
        'kubernetes.io/os': facts.nodeInfo.operatingSystem,
        'kubernetes.io/arch': facts.nodeInfo.architecture,
        ...facts.labels,
      },
    },
    spec: {},
  };
}

/** A condition that keeps its transition time while its status stays. */
function condition(prior: readonly NodeCondition[] | undefined, now: number, c: Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>): NodeCondition {
  const old = prior?.find((p) => p.type === c.type);
  const at = rfc3339(now);
  return {
    ...c,
    lastHeartbeatTime: at,
    lastTransitionTime: old !== undefined && old.status === c.status && old.lastTransitionTime !== undefined ? old.lastTransitionTime : at,
  };
}

export function nodeConditions(prior: readonly NodeCondition[] | undefined, health: NodeHealth, now: number): NodeCondition[] {
  const ready = health.runtimeReady && health.networkReady;
  return [
    condition(prior, now, { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' }),
    condition(prior, now, { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' }),
    condition(prior, now, { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' }),
    ready
      ? condition(prior, now, { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' })
      : condition(prior, now, { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: health.problems.join('; ') || 'kubelet is not ready' }),
  ];
}

/** The status the kubelet posts: capacity, addresses, endpoints, system info, conditions. */
export function nodeStatus(prior: Node | undefined, facts: HostFacts, health: NodeHealth, now: number): NodeStatus {
  const resources = {
    cpu: String(facts.cpuCores),
    memory: memoryQuantity(facts.memoryBytes),
    pods: String(facts.maxPods),
  };
  return {
    ...(prior?.status ?? {}),
    capacity: resources,
    allocatable: { ...resources },
    addresses: [
      { type: 'InternalIP', address: facts.internalIP },
      { type: 'Hostname', address: facts.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: facts.kubeletPort } },
    nodeInfo: facts.nodeInfo,
    conditions: nodeConditions(prior?.status?.conditions, health, now),
  };
}
