/**
 * PodInfo: a pod with everything the plugins need computed once (Kubernetes' framework.PodInfo):
 * resource requests as numbers, host ports, parsed pod (anti-)affinity terms, the controller's uid.
 * Built when the pod enters the queue or the cache; the pod object itself is never modified.
 */
import {
  type Pod,
  type PodAffinityTerm,
  Selector,
  controllerRef,
  selectorFromLabelSelector,
} from '@mk/api';
import { type Resources, podNonZeroRequests, podRequestResources } from './resources';

type Labels = Readonly<Record<string, string>> | undefined;

export interface HostPort {
  /** 0.0.0.0 when the container port names no host IP. */
  ip: string;
  protocol: string;
  port: number;
}

/** A pod (anti-)affinity term, parsed. */
export interface AffinityTerm {
  selector: Selector;
  /** The namespaces listed (or the pod's own when neither list nor selector is given). */
  namespaces: ReadonlySet<string>;
  /** Namespaces whose labels match (absent: only `namespaces`; `{}`: every namespace). */
  namespaceSelector: Selector | undefined;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodInfo {
  readonly pod: Pod;
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Labels;
  readonly nodeName: string;
  readonly priority: number;
  readonly requests: Resources;
  /** cpu and memory with the scoring defaults for containers that request nothing. */
  readonly nonZeroRequests: { milliCPU: number; memory: number };
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
  /** The uid of the owner reference marked controller (ReplicaSet, StatefulSet, …). */
  readonly controllerUid: string | undefined;
  /** Set when the pod's affinity could not be parsed: the pod is then unschedulable with this message. */
  readonly parseError: string | undefined;
}

export const DEFAULT_BIND_ALL_HOST_IP = '0.0.0.0';

function parseTerm(t: PodAffinityTerm, podNamespace: string): AffinityTerm {
  const namespaces = new Set(t.namespaces ?? []);
  let namespaceSelector: Selector | undefined;
  if (t.namespaceSelector) namespaceSelector = selectorFromLabelSelector(t.namespaceSelector);
  if (namespaces.size === 0 && !namespaceSelector) namespaces.add(podNamespace);
  return { selector: selectorFromLabelSelector(t.labelSelector), namespaces, namespaceSelector, topologyKey: t.topologyKey };
}

function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const list of [pod.spec.initContainers, pod.spec.containers]) {
    for (const c of list ?? []) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort || p.hostPort <= 0) continue;
        out.push({ ip: p.hostIP || DEFAULT_BIND_ALL_HOST_IP, protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
  }
  return out;
}

export function newPodInfo(pod: Pod): PodInfo {
  const namespace = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  let parseError: string | undefined;
  let requiredAffinity: AffinityTerm[] = [];
  let requiredAntiAffinity: AffinityTerm[] = [];
  let preferredAffinity: WeightedAffinityTerm[] = [];
  let preferredAntiAffinity: WeightedAffinityTerm[] = [];
  const aff = pod.spec.affinity;
  if (aff?.podAffinity || aff?.podAntiAffinity) {
    try {
      const req = (terms: PodAffinityTerm[] | undefined) => (terms ?? []).map((t) => parseTerm(t, namespace));
      const pref = (terms: { weight: number; podAffinityTerm: PodAffinityTerm }[] | undefined) =>
        (terms ?? []).map((w) => ({ ...parseTerm(w.podAffinityTerm, namespace), weight: w.weight }));
      requiredAffinity = req(aff.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
      requiredAntiAffinity = req(aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
      preferredAffinity = pref(aff.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
      preferredAntiAffinity = pref(aff.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    } catch (e) {
      parseError = `invalid pod affinity: ${(e as Error).message}`;
      requiredAffinity = requiredAntiAffinity = [];
      preferredAffinity = preferredAntiAffinity = [];
    }
  }
  return {
    pod,
    key: namespace ? `${namespace}/${name}` : name,
    namespace,
    name,
    uid: pod.metadata.uid ?? '',
    labels: pod.metadata.labels,
    nodeName: pod.spec.nodeName ?? '',
    priority: pod.spec.priority ?? 0,
    requests: podRequestResources(pod.spec),
    nonZeroRequests: podNonZeroRequests(pod.spec),
    hostPorts: hostPortsOf(pod),
    requiredAffinity,
    requiredAntiAffinity,
    preferredAffinity,
    preferredAntiAffinity,
    controllerUid: controllerRef(pod)?.uid,
    parseError,
  };
}

/** The same pod placed on `nodeName` (what the cache holds for an assumed pod). */
export function withNodeName(pi: PodInfo, nodeName: string): PodInfo {
  return { ...pi, nodeName, pod: { ...pi.pod, spec: { ...pi.pod.spec, nodeName } } };
}

export function hasAffinityTerms(pi: PodInfo): boolean {
  return pi.requiredAffinity.length + pi.requiredAntiAffinity.length + pi.preferredAffinity.length + pi.preferredAntiAffinity.length > 0;
}

/** The labels of a namespace, for namespaceSelector (undefined: unknown namespace). */
export type NamespaceLabels = (namespace: string) => Labels;

/** True when `pod` is selected by the term (its namespace is covered and its labels match). */
export function termMatchesPod(term: AffinityTerm, pod: { namespace: string; labels: Labels }, nsLabels: NamespaceLabels): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (!term.namespaceSelector) return false;
    if (!term.namespaceSelector.isEverything() && !term.namespaceSelector.matches(nsLabels(pod.namespace))) return false;
  }
  return term.selector.matches(pod.labels);
}
