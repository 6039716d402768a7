/**
 * Pod resource arithmetic shared by the scheduler, the kubelet and the HPA: effective requests
 * and limits (Kubernetes' resourcehelper) and the QoS class.
 */
import { Quantity } from './quantity';
import type { Container, PodSpec, QOSClass, ResourceList } from './types';

export type ResourceQuantities = Record<string, Quantity>;

function add(into: ResourceQuantities, list: ResourceList | undefined): void {
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = Quantity.parse(value);
    const cur = into[name];
    into[name] = cur ? cur.add(q) : q;
  }
}

function maxInto(into: ResourceQuantities, list: ResourceList | undefined): void {
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = Quantity.parse(value);
    const cur = into[name];
    if (!cur || q.cmp(cur) > 0) into[name] = q;
  }
}

function effective(spec: PodSpec, which: 'requests' | 'limits'): ResourceQuantities {
  const sum: ResourceQuantities = {};
  for (const c of spec.containers ?? []) add(sum, c.resources?.[which]);
  // Init containers run one at a time before the others: the pod needs the largest of them.
  for (const c of spec.initContainers ?? []) maxInto(sum, c.resources?.[which]);
  return sum;
}

/** What the pod asks for: sum over containers, at least the largest init container's. */
export function podRequests(spec: PodSpec): ResourceQuantities {
  return effective(spec, 'requests');
}

/** The pod's limits, computed the same way (a resource without limits is absent). */
export function podLimits(spec: PodSpec): ResourceQuantities {
  return effective(spec, 'limits');
}

const qosResources = ['cpu', 'memory'];

/** Guaranteed, Burstable or BestEffort, from cpu and memory requests and limits (Kubernetes' GetPodQOS). */
export function podQOSClass(spec: PodSpec): QOSClass {
  const all: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of all) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const r of qosResources) {
      const req = requests[r];
      const lim = limits[r];
      if ((req !== undefined && !Quantity.parse(req).isZero()) || (lim !== undefined && !Quantity.parse(lim).isZero())) anySet = true;
      if (lim === undefined) guaranteed = false;
      else if (req !== undefined && !Quantity.parse(req).equals(Quantity.parse(lim))) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
