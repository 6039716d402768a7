/**
 * metrics.k8s.io's shapes (what metrics-server serves and `kubectl top` reads), as mkapi.Metrics
 * answers them: usage quantities as strings, CPU in millicores ("12m"), memory in Ki ("3456Ki").
 */

export interface ResourceUsage {
  cpu: string;
  memory: string;
}

export interface ContainerMetrics {
  name: string;
  usage: ResourceUsage;
}

export interface PodMetrics {
  kind: 'PodMetrics';
  apiVersion: 'metrics.k8s.io/v1beta1';
  metadata: { name: string; namespace: string };
  /** RFC 3339: the end of the window. */
  timestamp: string;
  /** The window the CPU rate is measured over, as a duration ("1s", "10.5s"). */
  window: string;
  containers: ContainerMetrics[];
}

export interface NodeMetrics {
  kind: 'NodeMetrics';
  apiVersion: 'metrics.k8s.io/v1beta1';
  metadata: { name: string };
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}

export interface MetricsList<T> {
  kind: 'PodMetricsList' | 'NodeMetricsList';
  apiVersion: 'metrics.k8s.io/v1beta1';
  items: T[];
  /** Nodes whose kubelet did not answer in time: their pods (or they) are missing from items. */
  unreachableNodes: string[];
}

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';
