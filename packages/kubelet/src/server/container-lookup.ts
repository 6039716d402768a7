/**
 * Which runtime container `kubectl logs` / `kubectl exec` mean, with kubectl's messages: the
 * container named (or the pod's only one), in its current run or (`previous`) the run before.
 */
import type { Pod } from '@mk/api';
import { ApiError } from '@mk/client';
import type { RuntimeContainer } from '../runtime';

export interface ContainerChoice {
  /** The container's name in the spec; empty = the pod's only container. */
  container: string;
  /** The newest terminated run before the current one (`logs --previous`). */
  previous?: boolean;
}

/** The spec name the request means, or a BadRequest naming the choices. */
export function containerNameFor(pod: Pod, requested: string): string {
  const name = pod.metadata.name;
  const containers = pod.spec.containers.map((c) => c.name);
  const all = [...(pod.spec.initContainers ?? []).map((c) => c.name), ...containers];
  if (requested === '') {
    if (containers.length === 1) return containers[0]!;
    throw ApiError.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
  }
  if (!all.includes(requested)) throw ApiError.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

/**
 * The runtime container of `choice` among the pod's containers (`containers`: every run of every
 * container of the pod, in any order). The current run is the one with the highest attempt.
 */
export function chooseContainer(pod: Pod, containers: readonly RuntimeContainer[], choice: ContainerChoice): RuntimeContainer {
  const podName = pod.metadata.name;
  const name = containerNameFor(pod, choice.container);
  const runs = containers.filter((c) => c.name === name).sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  const current = runs[0];
  if (choice.previous) {
    const previous = current === undefined ? undefined : runs.find((c) => c.attempt < current.attempt && c.state === 'exited');
    if (previous === undefined) throw ApiError.badRequest(`previous terminated container "${name}" in pod "${podName}" not found`);
    return previous;
  }
  if (current === undefined) throw ApiError.badRequest(`container "${name}" in pod "${podName}" is waiting to start: ContainerCreating`);
  return current;
}
