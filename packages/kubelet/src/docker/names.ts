/**
 * Docker names of sandboxes and containers, built as Kubernetes' dockershim built them
 * (`k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`), so that Docker itself refuses a
 * duplicate: two kubelet workers racing to create one attempt get a name conflict, not two containers.
 */
import { InvalidArgumentError } from '@mk/shared';
import type { PodRef } from '../runtime';

export const NAME_PREFIX = 'mk';
/** The container-name slot of a sandbox (dockershim's `POD`: no container spec can be named so, it is uppercase). */
export const SANDBOX_SLOT = 'POD';

// Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]*; '_' separates the fields, so no field may hold one.
const FIELD = /^[a-zA-Z0-9][a-zA-Z0-9.-]*$/;

function field(what: string, value: string): string {
  if (!FIELD.test(value)) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(value)} cannot be part of a Docker name (letters, digits, '.' and '-' only)`,
    );
  }
  return value;
}

function attemptField(attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new InvalidArgumentError(`attempt must be an integer >= 0, got ${attempt}`);
  }
  return String(attempt);
}

/** `mk_<container>_<pod>_<namespace>_<uid>_<attempt>` */
export function containerDockerName(pod: PodRef, container: string, attempt: number): string {
  return [
    NAME_PREFIX,
    field('container name', container),
    field('pod name', pod.name),
    field('namespace', pod.namespace),
    field('pod uid', pod.uid),
    attemptField(attempt),
  ].join('_');
}

/** `mk_POD_<pod>_<namespace>_<uid>_<attempt>`: the n-th sandbox of the pod. */
export function sandboxDockerName(pod: PodRef, attempt: number): string {
  return [
    NAME_PREFIX,
    SANDBOX_SLOT,
    field('pod name', pod.name),
    field('namespace', pod.namespace),
    field('pod uid', pod.uid),
    attemptField(attempt),
  ].join('_');
}

/**
 * The reference Docker stores an image under: a reference without a tag or digest means `:latest`
 * (a ':' before the last '/' is a registry's port, not a tag).
 */
export function normalizeImageRef(image: string): string {
  const ref = image.trim();
  if (ref === '' || /\s/.test(ref)) throw new InvalidArgumentError(`invalid image reference ${JSON.stringify(image)}`);
  if (ref.includes('@')) return ref;
  const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? ref : `${ref}:latest`;
}
