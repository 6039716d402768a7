/** The labels mk puts on Docker containers beyond runtime.ts's pod labels, and reading them back. */
import { LABEL_ATTEMPT, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, type PodRef } from '../runtime';

/** Marks a pause container holding a pod's namespaces. */
export const LABEL_SANDBOX = 'io.mk.sandbox';
/** On a container: the sandbox whose namespaces it joined. */
export const LABEL_SANDBOX_ID = 'io.mk.sandbox.id';

/** The pod a sandbox or container belongs to; undefined when a label is missing (not mk's). */
export function podRefFromLabels(labels: Readonly<Record<string, string>> | undefined): PodRef | undefined {
  const uid = labels?.[LABEL_POD_UID];
  const name = labels?.[LABEL_POD_NAME];
  const namespace = labels?.[LABEL_POD_NAMESPACE];
  if (uid === undefined || name === undefined || namespace === undefined) return undefined;
  return { uid, name, namespace };
}

/** The attempt label as a number; 0 when missing or not a count. */
export function attemptFromLabels(labels: Readonly<Record<string, string>> | undefined): number {
  const value = labels?.[LABEL_ATTEMPT];
  if (value === undefined || !/^\d+$/.test(value)) return 0;
  return Number(value);
}

export function isSandboxLabels(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[LABEL_SANDBOX] === 'true';
}
