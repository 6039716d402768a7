/** Pod and pod template validation (Kubernetes' ValidatePodSpec and ValidatePodUpdate, the supported parts). */
import { jsonEqual } from '../merge-patch';
import { Quantity } from '../quantity';
import type {
  Affinity,
  Container,
  LifecycleHandler,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ResourceRequirements,
  Toleration,
  Volume,
} from '../types';
import {
  type Errs,
  E,
  FieldPath,
  nonNegative,
  validateAnnotations,
  validateLabels,
  validateLabelSelector,
  validateName,
} from './common';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
} from './names';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const supportedFieldRefPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
const supportedResourceFieldRefs = [
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
];

/** A port that is a number (1-65535) or an IANA service name. */
export function validatePortNumOrName(port: number | string, path: FieldPath): Errs {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => E.invalid(path, port, m));
  if (/^[0-9]+$/.test(port)) return isValidPortNum(Number(port)).map((m) => E.invalid(path, port, m));
  return isValidPortName(port).map((m) => E.invalid(path, port, m));
}

export function validateResources(r: ResourceRequirements | undefined, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!r) return errs;
  const parsed: Record<'limits' | 'requests', Map<string, Quantity>> = { limits: new Map(), requests: new Map() };
  for (const which of ['limits', 'requests'] as const) {
    for (const [name, value] of Object.entries(r[which] ?? {})) {
      const p = path.child(which).key(name);
      if (!standardContainerResources.has(name) && !name.startsWith('hugepages-') && !(name.includes('/') && isQualifiedName(name).length === 0)) {
        errs.push(E.invalid(p, name, 'must be a standard resource type or fully qualified'));
        continue;
      }
      const q = Quantity.tryParse(value);
      if (typeof q === 'string') continue; // decoding reports malformed quantities
      if (q.sign() < 0) errs.push(E.invalid(p, value, 'must be greater than or equal to 0'));
      parsed[which].set(name, q);
    }
  }
  for (const [name, req] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (limit && req.cmp(limit) > 0) {
      errs.push(E.invalid(path.child('requests').key(name), r.requests?.[name] ?? '', `must be less than or equal to ${name} limit of ${limit.toString()}`));
    }
  }
  return errs;
}

function handlerErrors(h: LifecycleHandler | Probe, path: FieldPath): Errs {
  const errs: Errs = [];
  const set = (['exec', 'httpGet', 'tcpSocket'] as const).filter((k) => h[k] !== undefined);
  if (set.length === 0) errs.push(E.required(path, 'must specify a handler type'));
  for (const extra of set.slice(1)) errs.push(E.forbidden(path.child(extra), 'may not specify more than 1 handler type'));
  if (h.exec && (h.exec.command ?? []).length === 0) errs.push(E.required(path.child('exec', 'command')));
  if (h.httpGet) {
    if (!h.httpGet.path) errs.push(E.required(path.child('httpGet', 'path')));
    if (h.httpGet.port !== undefined) errs.push(...validatePortNumOrName(h.httpGet.port, path.child('httpGet', 'port')));
  }
  if (h.tcpSocket && h.tcpSocket.port !== undefined) errs.push(...validatePortNumOrName(h.tcpSocket.port, path.child('tcpSocket', 'port')));
  return errs;
}

function validateProbe(p: Probe | undefined, path: FieldPath, successMustBeOne: boolean): Errs {
  if (!p) return [];
  const errs = handlerErrors(p, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold', 'terminationGracePeriodSeconds'] as const) {
    errs.push(...nonNegative(p[f], path.child(f)));
  }
  if (successMustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(E.invalid(path.child('successThreshold'), p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateContainer(c: Container, path: FieldPath, volumes: ReadonlySet<string>, init: boolean, hostNetwork: boolean): Errs {
  const errs: Errs = [];
  errs.push(...validateName(c.name, path.child('name'), isDNS1123Label));
  if (c.image && c.image.trim() !== c.image) {
    errs.push(E.invalid(path.child('image'), c.image, 'must not have leading or trailing whitespace'));
  }
  // ports
  const portNames = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = path.child('ports').index(i);
    if (port.name) {
      for (const m of isValidPortName(port.name)) errs.push(E.invalid(p.child('name'), port.name, m));
      if (portNames.has(port.name)) errs.push(E.duplicate(p.child('name'), port.name));
      portNames.add(port.name);
    }
    if (port.containerPort !== undefined) {
      for (const m of isValidPortNum(port.containerPort)) errs.push(E.invalid(p.child('containerPort'), port.containerPort, m));
    }
    if (port.hostPort) {
      for (const m of isValidPortNum(port.hostPort)) errs.push(E.invalid(p.child('hostPort'), port.hostPort, m));
      if (hostNetwork && port.hostPort !== port.containerPort) {
        errs.push(E.invalid(p.child('hostPort'), port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
      }
    }
    if (port.hostIP) for (const m of isValidIP(port.hostIP)) errs.push(E.invalid(p.child('hostIP'), port.hostIP, m));
  });
  // env
  (c.env ?? []).forEach((e, i) => {
    const p = path.child('env').index(i);
    if (e.name) for (const m of isEnvVarName(e.name)) errs.push(E.invalid(p.child('name'), e.name, m));
    const from = e.valueFrom;
    if (!from) return;
    const vp = p.child('valueFrom');
    if (e.value) errs.push(E.invalid(vp, '', 'may not be specified when `value` is not empty'));
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((k) => from[k] !== undefined);
    if (sources.length === 0) errs.push(E.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    if (sources.length > 1) errs.push(E.invalid(vp, '', 'may not have more than one field specified at a time'));
    const fieldPath = from.fieldRef?.fieldPath;
    if (fieldPath && !supportedFieldRefPaths.includes(fieldPath) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(fieldPath)) {
      errs.push(E.notSupported(vp.child('fieldRef', 'fieldPath'), fieldPath, supportedFieldRefPaths));
    }
    const resource = from.resourceFieldRef?.resource;
    if (resource && !supportedResourceFieldRefs.includes(resource)) {
      errs.push(E.notSupported(vp.child('resourceFieldRef', 'resource'), resource, supportedResourceFieldRefs));
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const sel = from[ref];
      if (!sel) continue;
      if (!sel.name) errs.push(E.required(vp.child(ref, 'name')));
      if (sel.key) for (const m of isConfigMapKey(sel.key)) errs.push(E.invalid(vp.child(ref, 'key'), sel.key, m));
    }
  });
  (c.envFrom ?? []).forEach((e, i) => {
    const p = path.child('envFrom').index(i);
    if (e.prefix) for (const m of isEnvVarName(e.prefix)) errs.push(E.invalid(p.child('prefix'), e.prefix, m));
    const n = (e.configMapRef ? 1 : 0) + (e.secretRef ? 1 : 0);
    if (n === 0) errs.push(E.invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (n > 1) errs.push(E.invalid(p, '', 'may not have more than one field specified at a time'));
    if (e.configMapRef && !e.configMapRef.name) errs.push(E.required(p.child('configMapRef', 'name')));
    if (e.secretRef && !e.secretRef.name) errs.push(E.required(p.child('secretRef', 'name')));
  });
  errs.push(...validateResources(c.resources, path.child('resources')));
  // volume mounts
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const p = path.child('volumeMounts').index(i);
    if (m.name && !volumes.has(m.name)) errs.push(E.notFound(p.child('name'), m.name));
    if (m.mountPath) {
      if (mountPaths.has(m.mountPath)) errs.push(E.invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
    if (m.subPath) errs.push(...validateLocalPath(m.subPath, p.child('subPath')));
  });
  // probes and lifecycle
  if (init) {
    for (const f of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
      if (c[f]) errs.push(E.forbidden(path.child(f), 'may not be set for init containers'));
    }
  } else {
    errs.push(...validateProbe(c.livenessProbe, path.child('livenessProbe'), true));
    errs.push(...validateProbe(c.readinessProbe, path.child('readinessProbe'), false));
    errs.push(...validateProbe(c.startupProbe, path.child('startupProbe'), true));
    if (c.lifecycle?.postStart) errs.push(...handlerErrors(c.lifecycle.postStart, path.child('lifecycle', 'postStart')));
    if (c.lifecycle?.preStop) errs.push(...handlerErrors(c.lifecycle.preStop, path.child('lifecycle', 'preStop')));
  }
  return errs;
}

/** A relative path without `..` (subPath, volume item paths). */
function validateLocalPath(v: string, path: FieldPath): Errs {
  const errs: Errs = [];
  if (v.startsWith('/')) errs.push(E.invalid(path, v, 'must be a relative path'));
  if (v.split('/').includes('..')) errs.push(E.invalid(path, v, "must not contain '..'"));
  return errs;
}

function validateMode(mode: number | undefined, path: FieldPath): Errs {
  if (mode === undefined || (mode >= 0 && mode <= 0o777)) return [];
  return [E.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive')];
}

const volumeSources = ['emptyDir', 'hostPath', 'configMap', 'secret', 'persistentVolumeClaim'] as const;

function validateVolumes(volumes: readonly Volume[] | undefined, path: FieldPath): { errs: Errs; names: Set<string> } {
  const errs: Errs = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const p = path.index(i);
    if (v.name) {
      errs.push(...validateName(v.name, p.child('name'), isDNS1123Label));
      if (names.has(v.name)) errs.push(E.duplicate(p.child('name'), v.name));
      names.add(v.name);
    }
    const set = volumeSources.filter((k) => v[k] !== undefined);
    if (set.length === 0) errs.push(E.required(p, 'must specify a volume type'));
    for (const extra of set.slice(1)) errs.push(E.forbidden(p.child(extra), 'may not specify more than 1 volume type'));
    for (const src of ['configMap', 'secret'] as const) {
      const s = v[src];
      if (!s) continue;
      errs.push(...validateMode(s.defaultMode, p.child(src, 'defaultMode')));
      (s.items ?? []).forEach((item, j) => {
        const ip = p.child(src, 'items').index(j);
        if (item.key) for (const m of isConfigMapKey(item.key)) errs.push(E.invalid(ip.child('key'), item.key, m));
        if (item.path) errs.push(...validateLocalPath(item.path, ip.child('path')));
        errs.push(...validateMode(item.mode, ip.child('mode')));
      });
    }
    if (v.hostPath?.path && !v.hostPath.path.startsWith('/')) {
      errs.push(E.invalid(p.child('hostPath', 'path'), v.hostPath.path, 'must be an absolute path'));
    }
    const size = v.emptyDir?.sizeLimit;
    if (size !== undefined) {
      const q = Quantity.tryParse(size);
      if (typeof q !== 'string' && q.sign() < 0) errs.push(E.invalid(p.child('emptyDir', 'sizeLimit'), size, 'must be greater than or equal to 0'));
    }
  });
  return { errs, names };
}

function validateNodeSelectorTerm(t: NodeSelectorTerm, path: FieldPath): Errs {
  const errs: Errs = [];
  (t.matchExpressions ?? []).forEach((r, i) => {
    const p = path.child('matchExpressions').index(i);
    const values = r.values ?? [];
    if (r.key) for (const m of isQualifiedName(r.key)) errs.push(E.invalid(p.child('key'), r.key, m));
    if ((r.operator === 'In' || r.operator === 'NotIn') && values.length === 0) {
      errs.push(E.required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && values.length > 0) {
      errs.push(E.forbidden(p.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else if (r.operator === 'Gt' || r.operator === 'Lt') {
      if (values.length !== 1) errs.push(E.required(p.child('values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (!/^-?[0-9]+$/.test(values[0] ?? '')) errs.push(E.invalid(p.child('values').index(0), values[0], 'must be an integer'));
    }
  });
  (t.matchFields ?? []).forEach((r, i) => {
    const p = path.child('matchFields').index(i);
    if (r.key && r.key !== 'metadata.name') errs.push(E.notSupported(p.child('key'), r.key, ['metadata.name']));
    if (r.operator && r.operator !== 'In' && r.operator !== 'NotIn') errs.push(E.notSupported(p.child('operator'), r.operator, ['In', 'NotIn']));
    else if ((r.values ?? []).length !== 1) errs.push(E.required(p.child('values'), 'must be only one value when `operator` is \'In\' or \'NotIn\' for node field selector'));
  });
  return errs;
}

function validateWeight(w: number | undefined, path: FieldPath): Errs {
  return w !== undefined && (w < 1 || w > 100) ? [E.invalid(path, w, 'must be in the range 1-100')] : [];
}

function validatePodAffinityTerm(t: PodAffinityTerm, path: FieldPath): Errs {
  const errs = validateLabelSelector(t.labelSelector, path.child('labelSelector'));
  errs.push(...validateLabelSelector(t.namespaceSelector, path.child('namespaceSelector')));
  (t.namespaces ?? []).forEach((ns, i) => errs.push(...validateName(ns, path.child('namespaces').index(i), isDNS1123Label)));
  if (t.topologyKey) for (const m of isQualifiedName(t.topologyKey)) errs.push(E.invalid(path.child('topologyKey'), t.topologyKey, m));
  return errs;
}

function validateAffinity(a: Affinity | undefined, path: FieldPath): Errs {
  const errs: Errs = [];
  if (!a) return errs;
  const na = a.nodeAffinity;
  if (na) {
    const np = path.child('nodeAffinity');
    (na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).forEach((t, i) =>
      errs.push(...validateNodeSelectorTerm(t, np.child('requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms').index(i))),
    );
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = np.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errs.push(...validateWeight(t.weight, p.child('weight')));
      if (t.preference) errs.push(...validateNodeSelectorTerm(t.preference, p.child('preference')));
    });
  }
  for (const which of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[which];
    if (!pa) continue;
    const pp = path.child(which);
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) =>
      errs.push(...validatePodAffinityTerm(t, pp.child('requiredDuringSchedulingIgnoredDuringExecution').index(i))),
    );
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      const p = pp.child('preferredDuringSchedulingIgnoredDuringExecution').index(i);
      errs.push(...validateWeight(t.weight, p.child('weight')));
      if (t.podAffinityTerm) errs.push(...validatePodAffinityTerm(t.podAffinityTerm, p.child('podAffinityTerm')));
    });
  }
  return errs;
}

export function validateTolerations(tolerations: readonly Toleration[] | undefined, path: FieldPath): Errs {
  const errs: Errs = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = path.index(i);
    if (t.key) for (const m of isQualifiedName(t.key)) errs.push(E.invalid(p.child('key'), t.key, m));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(E.invalid(p.child('operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.operator === 'Exists' && t.value) {
      errs.push(E.invalid(p.child('operator'), t.operator, 'value must be empty when `operator` is \'Exists\''));
    }
    if ((t.operator === 'Equal' || t.operator === undefined) && t.value) {
      for (const m of isValidLabelValue(t.value)) errs.push(E.invalid(p.child('value'), t.value, m));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(E.invalid(p.child('effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
  return errs;
}

/** A pod spec (Kubernetes' ValidatePodSpec, supported fields). */
export function validatePodSpec(spec: PodSpec, path: FieldPath): Errs {
  const errs: Errs = [];
  const { errs: volErrs, names: volumes } = validateVolumes(spec.volumes, path.child('volumes'));
  errs.push(...volErrs);
  const hostNetwork = spec.hostNetwork === true;
  const containerNames = new Set<string>();
  const hostPorts = new Set<string>();
  for (const [field, list, init] of [
    ['initContainers', spec.initContainers ?? [], true],
    ['containers', spec.containers ?? [], false],
  ] as const) {
    list.forEach((c, i) => {
      const p = path.child(field).index(i);
      errs.push(...validateContainer(c, p, volumes, init, hostNetwork));
      if (c.name) {
        if (containerNames.has(c.name)) errs.push(E.duplicate(p.child('name'), c.name));
        containerNames.add(c.name);
      }
      if (init) return;
      (c.ports ?? []).forEach((port, j) => {
        if (!port.hostPort) return;
        const key = `${port.hostPort}/${port.protocol ?? 'TCP'}`;
        if (hostPorts.has(key)) errs.push(E.duplicate(p.child('ports').index(j).child('hostPort'), key));
        hostPorts.add(key);
      });
    });
  }
  errs.push(...nonNegative(spec.terminationGracePeriodSeconds, path.child('terminationGracePeriodSeconds')));
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    errs.push(E.invalid(path.child('activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (spec.dnsPolicy === 'None' && (spec.dnsConfig?.nameservers ?? []).length === 0) {
    errs.push(E.required(path.child('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  const nameservers = spec.dnsConfig?.nameservers ?? [];
  if (nameservers.length > 3) errs.push(E.invalid(path.child('dnsConfig', 'nameservers'), nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => {
    for (const m of isValidIP(ns)) errs.push(E.invalid(path.child('dnsConfig', 'nameservers').index(i), ns, m));
  });
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...validateName(spec.nodeName, path.child('nodeName'), isDNS1123Subdomain));
  errs.push(...validateName(spec.serviceAccountName, path.child('serviceAccountName'), isDNS1123Subdomain));
  errs.push(...validateName(spec.hostname, path.child('hostname'), isDNS1123Label));
  errs.push(...validateName(spec.subdomain, path.child('subdomain'), isDNS1123Label));
  errs.push(...validateAffinity(spec.affinity, path.child('affinity')));
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  (spec.hostAliases ?? []).forEach((h, i) => {
    if (h.ip) for (const m of isValidIP(h.ip)) errs.push(E.invalid(path.child('hostAliases').index(i).child('ip'), h.ip, m));
  });
  return errs;
}

/** A pod template: its labels, annotations and spec. */
export function validatePodTemplate(t: PodTemplateSpec, path: FieldPath): Errs {
  const errs = validateLabels(t.metadata?.labels, path.child('metadata', 'labels'));
  errs.push(...validateAnnotations(t.metadata?.annotations, path.child('metadata', 'annotations')));
  if (t.spec) errs.push(...validatePodSpec(t.spec, path.child('spec')));
  return errs;
}

export function validatePod(pod: Pod): Errs {
  return pod.spec ? validatePodSpec(pod.spec, FieldPath.of('spec')) : [];
}

const podUpdateForbidden =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Paths (up to a few) where two JSON values differ, for the pod update message. */
function differingPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 3 || jsonEqual(a, b)) return;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b) && a.length !== b.length) {
      out.push(path);
      return;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      differingPaths(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`, out);
    }
    return;
  }
  out.push(path);
}

/** What a pod update may change (Kubernetes' ValidatePodUpdate, spec part). */
export function validatePodUpdate(oldPod: Pod, newPod: Pod): Errs {
  const errs: Errs = [];
  const path = FieldPath.of('spec');
  const oldSpec = oldPod.spec;
  const newSpec = newPod.spec;
  if (!oldSpec || !newSpec) return errs;
  if (oldSpec.activeDeadlineSeconds !== undefined) {
    if (newSpec.activeDeadlineSeconds === undefined) {
      errs.push(E.invalid(path.child('activeDeadlineSeconds'), 'null', 'must not update from a positive integer to nil value'));
    } else if (newSpec.activeDeadlineSeconds > oldSpec.activeDeadlineSeconds) {
      errs.push(E.invalid(path.child('activeDeadlineSeconds'), newSpec.activeDeadlineSeconds, 'must be less than or equal to previous value'));
    }
  }
  // Compare with the mutable fields carried over from the old spec.
  const mutated: PodSpec = structuredClone(newSpec);
  const copyImages = (to: Container[] | undefined, from: Container[] | undefined) => {
    if (!to || !from || to.length !== from.length) return;
    to.forEach((c, i) => {
      c.image = (from[i] as Container).image;
    });
  };
  copyImages(mutated.containers, oldSpec.containers);
  copyImages(mutated.initContainers, oldSpec.initContainers);
  mutated.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  if (mutated.activeDeadlineSeconds === undefined) delete mutated.activeDeadlineSeconds;
  const oldTolerations = oldSpec.tolerations ?? [];
  const keepsOld = oldTolerations.every((t) => (newSpec.tolerations ?? []).some((n) => jsonEqual(n, t)));
  if (keepsOld) {
    mutated.tolerations = oldSpec.tolerations;
    if (mutated.tolerations === undefined) delete mutated.tolerations;
  }
  if (!jsonEqual(mutated, oldSpec)) {
    const diff: string[] = [];
    differingPaths(oldSpec, mutated, 'spec', diff);
    errs.push(E.forbidden(path, `${podUpdateForbidden}; changed: ${diff.join(', ')}`));
  }
  return errs;
}
