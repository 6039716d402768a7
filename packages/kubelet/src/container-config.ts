/**
 * From a pod's container spec to what the runtime is asked to create (Kubernetes' kuberuntime
 * generateContainerConfig): env with fieldRef / configMapKeyRef / secretKeyRef / envFrom and
 * $(VAR) expansion, command and args, resource limits and volume mounts. Pure: ConfigMaps and
 * Secrets are fetched by the caller and handed in.
 */
import type { ConfigMap, Container, EnvVar, Pod, Secret } from '@mk/api';
import { parseQuantity } from '@mk/api';
import type { ContainerMount } from './runtime';

/** The objects a pod's env and volumes refer to, by name; undefined = does not exist. */
export interface PodReferences {
  configMaps: ReadonlyMap<string, ConfigMap | undefined>;
  secrets: ReadonlyMap<string, Secret | undefined>;
}

/** A container that cannot be created as specified (Kubernetes: CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

/** The ConfigMaps and Secrets `pod` names in env, envFrom and volumes. */
export function referencedObjects(pod: Pod): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const c of pod.spec.containers) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const f of c.envFrom ?? []) {
      if (f.configMapRef?.name) configMaps.add(f.configMapRef.name);
      if (f.secretRef?.name) secrets.add(f.secretRef.name);
    }
  }
  for (const v of pod.spec.volumes ?? []) {
    if (v.configMap?.name) configMaps.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
  }
  return { configMaps, secrets };
}

const decodeBase64 = (v: string): string => Buffer.from(v, 'base64').toString('utf8');

/** Kubernetes' $(VAR) expansion: $$ escapes, unknown references stay as written. */
export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  return input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : m;
  });
}

function fieldValue(pod: Pod, fieldPath: string, podIP: string | undefined, hostIP: string | undefined): string {
  const m = pod.metadata;
  const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
  if (label) return m.labels?.[label[1]!] ?? '';
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(fieldPath);
  if (annotation) return m.annotations?.[annotation[1]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? 'default';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return podIP ?? '';
    case 'status.hostIP':
      return hostIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath ${JSON.stringify(fieldPath)}`);
  }
}

function envValue(pod: Pod, e: EnvVar, refs: PodReferences, vars: ReadonlyMap<string, string>, ips: { podIP?: string; hostIP?: string }): string | undefined {
  if (e.valueFrom === undefined) return expandVars(e.value ?? '', vars);
  const src = e.valueFrom;
  if (src.fieldRef) return fieldValue(pod, src.fieldRef.fieldPath, ips.podIP, ips.hostIP);
  if (src.configMapKeyRef) {
    const { name = '', key, optional } = src.configMapKeyRef;
    const cm = refs.configMaps.get(name);
    const v = cm?.data?.[key] ?? (cm?.binaryData?.[key] !== undefined ? decodeBase64(cm.binaryData[key]) : undefined);
    if (v !== undefined) return v;
    if (optional === true) return undefined;
    throw new ContainerConfigError(cm === undefined ? `configmap "${name}" not found` : `couldn't find key ${key} in ConfigMap ${pod.metadata.namespace ?? 'default'}/${name}`);
  }
  if (src.secretKeyRef) {
    const { name = '', key, optional } = src.secretKeyRef;
    const secret = refs.secrets.get(name);
    const v = secret?.data?.[key];
    if (v !== undefined) return decodeBase64(v);
    if (optional === true) return undefined;
    throw new ContainerConfigError(secret === undefined ? `secret "${name}" not found` : `couldn't find key ${key} in Secret ${pod.metadata.namespace ?? 'default'}/${name}`);
  }
  throw new ContainerConfigError(`env ${e.name}: unsupported valueFrom (resourceFieldRef)`);
}

/** The container's environment, in Kubernetes' order: envFrom first, then env (later wins). */
export function containerEnv(pod: Pod, c: Container, refs: PodReferences, ips: { podIP?: string; hostIP?: string }): Map<string, string> {
  const vars = new Map<string, string>();
  for (const f of c.envFrom ?? []) {
    const prefix = f.prefix ?? '';
    if (f.configMapRef) {
      const { name = '', optional } = f.configMapRef;
      const cm = refs.configMaps.get(name);
      if (cm === undefined && optional !== true) throw new ContainerConfigError(`configmap "${name}" not found`);
      for (const [k, v] of Object.entries(cm?.data ?? {})) vars.set(prefix + k, v);
    }
    if (f.secretRef) {
      const { name = '', optional } = f.secretRef;
      const secret = refs.secrets.get(name);
      if (secret === undefined && optional !== true) throw new ContainerConfigError(`secret "${name}" not found`);
      for (const [k, v] of Object.entries(secret?.data ?? {})) vars.set(prefix + k, decodeBase64(v));
    }
  }
  for (const e of c.env ?? []) {
    const v = envValue(pod, e, refs, vars, ips);
    if (v !== undefined) vars.set(e.name, v);
  }
  return vars;
}

/** CPU limit in millicores and memory limit in bytes; undefined when not limited. */
export function containerLimits(c: Container): { cpuMillis?: number; memoryBytes?: number } {
  const limits = c.resources?.limits ?? {};
  const out: { cpuMillis?: number; memoryBytes?: number } = {};
  if (limits.cpu !== undefined) out.cpuMillis = parseQuantity(limits.cpu).milliValue();
  if (limits.memory !== undefined) out.memoryBytes = parseQuantity(limits.memory).value();
  return out;
}

/** Where each of the pod's volumes lives on the node (volume name → host path). */
export type VolumePaths = ReadonlyMap<string, string>;

export function containerMounts(c: Container, volumes: VolumePaths): ContainerMount[] {
  return (c.volumeMounts ?? []).map((m) => {
    const base = volumes.get(m.name);
    if (base === undefined) throw new ContainerConfigError(`volumeMount ${m.name}: no volume of that name is ready in the pod`);
    if (m.subPath !== undefined && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..'))) {
      throw new ContainerConfigError(`volumeMount ${m.name}: subPath ${JSON.stringify(m.subPath)} must be a relative path without '..'`);
    }
    return {
      hostPath: m.subPath ? `${base}/${m.subPath}` : base,
      containerPath: m.mountPath,
      ...(m.readOnly === true ? { readOnly: true } : {}),
    };
  });
}
