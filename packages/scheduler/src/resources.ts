/**
 * Resource amounts as plain numbers, the scheduler's hot-path form of resource.Quantity (Kubernetes'
 * framework.Resource): CPU in millicores, memory and ephemeral storage in bytes, everything else
 * (extended resources such as `nvidia.com/gpu`, hugepages) in whole units. Quantities are parsed
 * once per pod and per node, never during a scheduling cycle.
 */
import { type Node, type PodSpec, type ResourceList, Quantity, podRequests } from '@mk/api';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** From a node's allocatable `pods`; 0 for pod requests. */
  allowedPodNumber: number;
  /** Any other resource name → whole units. */
  scalar: Map<string, number>;
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

/** Kubernetes' non-zero defaults for scoring a container that requests nothing (schedutil). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function quantity(value: string | undefined): Quantity | undefined {
  if (value === undefined) return undefined;
  const q = Quantity.tryParse(value);
  return typeof q === 'string' ? undefined : q;
}

function addQuantity(into: Resources, name: string, q: Quantity): void {
  switch (name) {
    case 'cpu':
      into.milliCPU += q.milliValue();
      return;
    case 'memory':
      into.memory += q.value();
      return;
    case 'ephemeral-storage':
      into.ephemeralStorage += q.value();
      return;
    case 'pods':
      into.allowedPodNumber += q.value();
      return;
    default:
      into.scalar.set(name, (into.scalar.get(name) ?? 0) + q.value());
  }
}

/** A ResourceList (node allocatable, a container's requests) as numbers; malformed entries count 0. */
export function resourcesFromList(list: ResourceList | undefined): Resources {
  const r = emptyResources();
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = quantity(value);
    if (q) addQuantity(r, name, q);
  }
  return r;
}

/** What a pod requests: the sum over containers, at least the largest init container (Kubernetes' rule). */
export function podRequestResources(spec: PodSpec): Resources {
  const r = emptyResources();
  let requests: Record<string, Quantity>;
  try {
    requests = podRequests(spec);
  } catch {
    return r; // a malformed quantity: validation refuses those; count nothing rather than crash
  }
  for (const [name, q] of Object.entries(requests)) if (name !== 'pods') addQuantity(r, name, q);
  return r;
}

/**
 * The cpu and memory a pod is taken to use when scoring: like podRequests, but a container that
 * requests no cpu counts 100m and one without memory 200Mi (Kubernetes' GetNonzeroRequests), so
 * best-effort pods still spread.
 */
export function podNonZeroRequests(spec: PodSpec): { milliCPU: number; memory: number } {
  const one = (list: ResourceList | undefined): { milliCPU: number; memory: number } => {
    const cpu = quantity(list?.cpu);
    const mem = quantity(list?.memory);
    return {
      milliCPU: cpu && !cpu.isZero() ? cpu.milliValue() : DEFAULT_MILLI_CPU_REQUEST,
      memory: mem && !mem.isZero() ? mem.value() : DEFAULT_MEMORY_REQUEST,
    };
  };
  let milliCPU = 0;
  let memory = 0;
  for (const c of spec.containers ?? []) {
    const r = one(c.resources?.requests);
    milliCPU += r.milliCPU;
    memory += r.memory;
  }
  for (const c of spec.initContainers ?? []) {
    const r = one(c.resources?.requests);
    milliCPU = Math.max(milliCPU, r.milliCPU);
    memory = Math.max(memory, r.memory);
  }
  return { milliCPU, memory };
}

/** A node's allocatable resources (its capacity when it reports no allocatable at all). */
export function nodeAllocatable(node: Node): Resources {
  return resourcesFromList(node.status?.allocatable ?? node.status?.capacity);
}

/** into += r (or -= when sign is -1). */
export function addResources(into: Resources, r: Resources, sign: 1 | -1 = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [name, v] of r.scalar) {
    const next = (into.scalar.get(name) ?? 0) + sign * v;
    if (next === 0) into.scalar.delete(name);
    else into.scalar.set(name, next);
  }
}
