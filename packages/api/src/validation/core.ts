/** Validation of the core kinds other than Pod: Service, Endpoints, ConfigMap, Secret, Namespace, Node, Event, PV, PVC. */
import { jsonEqual } from '../merge-patch';
import { Quantity } from '../quantity';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  Secret,
  Service,
} from '../types';
import { type Errs, E, FieldPath, immutable, validateLabels, validateLabelSelector, validateName } from './common';
import { validatePortNumOrName } from './pod';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidLabelValue,
  isValidPortNum,
} from './names';

export const MAX_CONFIG_DATA_BYTES = 1024 * 1024;
const spec = FieldPath.of('spec');

// ---- Service ----

export function validateService(svc: Service): Errs {
  const errs: Errs = [];
  const s = svc.spec;
  if (!s) return errs;
  const type = s.type ?? 'ClusterIP';
  const headless = s.clusterIP === 'None';
  const ports = s.ports ?? [];
  if (ports.length === 0 && type !== 'ExternalName' && !headless) errs.push(E.required(spec.child('ports')));
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    const p = spec.child('ports').index(i);
    if (!port.name && ports.length > 1) errs.push(E.required(p.child('name')));
    if (port.name) {
      errs.push(...validateName(port.name, p.child('name'), isDNS1123Label));
      if (names.has(port.name)) errs.push(E.duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    if (port.port !== undefined) for (const m of isValidPortNum(port.port)) errs.push(E.invalid(p.child('port'), port.port, m));
    if (port.targetPort !== undefined) errs.push(...validatePortNumOrName(port.targetPort, p.child('targetPort')));
    if (port.nodePort !== undefined && port.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') {
        errs.push(E.forbidden(p.child('nodePort'), `may not be used when \`type\` is '${type}'`));
      } else {
        for (const m of isValidPortNum(port.nodePort)) errs.push(E.invalid(p.child('nodePort'), port.nodePort, m));
        const key = `${port.nodePort}/${port.protocol ?? 'TCP'}`;
        if (nodePorts.has(key)) errs.push(E.duplicate(p.child('nodePort'), port.nodePort));
        nodePorts.add(key);
      }
    }
    const key = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (portKeys.has(key)) errs.push(E.duplicate(p, key));
    portKeys.add(key);
  });
  errs.push(...validateLabels(s.selector, spec.child('selector')));
  if (type === 'ExternalName') {
    if (!s.externalName) errs.push(E.required(spec.child('externalName')));
    else for (const m of isDNS1123Subdomain(s.externalName.replace(/\.$/, ''))) errs.push(E.invalid(spec.child('externalName'), s.externalName, m));
    if (s.clusterIP && s.clusterIP !== 'None') errs.push(E.forbidden(spec.child('clusterIP'), "may not be set when `type` is 'ExternalName'"));
  }
  if (s.clusterIP && s.clusterIP !== 'None' && isValidIP(s.clusterIP).length > 0) {
    errs.push(E.invalid(spec.child('clusterIP'), s.clusterIP, "must be empty, 'None', or a valid IP address"));
  }
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    errs.push(E.invalid(spec.child('clusterIP'), s.clusterIP, `may not be set to 'None' for ${type} services`));
  }
  const ips = s.clusterIPs ?? [];
  if (ips.length > 0 && s.clusterIP && ips[0] !== s.clusterIP) {
    errs.push(E.invalid(spec.child('clusterIPs').index(0), ips[0], 'must match `clusterIP`'));
  }
  ips.forEach((ip, i) => {
    if (ip !== 'None' && isValidIP(ip).length > 0) errs.push(E.invalid(spec.child('clusterIPs').index(i), ip, "must be empty, 'None', or a valid IP address"));
  });
  (s.externalIPs ?? []).forEach((ip, i) => {
    for (const m of isValidIP(ip)) errs.push(E.invalid(spec.child('externalIPs').index(i), ip, m));
  });
  if (s.sessionAffinity !== 'ClientIP' && s.sessionAffinityConfig) {
    errs.push(E.invalid(spec.child('sessionAffinityConfig'), s.sessionAffinityConfig, `must not be set when session affinity is ${s.sessionAffinity ?? 'None'}`));
  }
  const timeout = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    errs.push(E.invalid(spec.child('sessionAffinityConfig', 'clientIP', 'timeoutSeconds'), timeout, 'must be greater than 0 and less than 86400'));
  }
  if (s.externalTrafficPolicy && type !== 'NodePort' && type !== 'LoadBalancer') {
    errs.push(E.invalid(spec.child('externalTrafficPolicy'), s.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  return errs;
}

export function validateServiceUpdate(oldSvc: Service, newSvc: Service): Errs {
  const o = oldSvc.spec;
  const n = newSvc.spec;
  if (!o || !n) return [];
  const crossesExternalName = (o.type === 'ExternalName') !== (n.type === 'ExternalName');
  if (o.clusterIP && n.clusterIP && o.clusterIP !== n.clusterIP && !crossesExternalName) {
    return [E.invalid(spec.child('clusterIP'), n.clusterIP, 'field is immutable')];
  }
  return [];
}

// ---- Endpoints ----

export function validateEndpoints(ep: Endpoints): Errs {
  const errs: Errs = [];
  (ep.subsets ?? []).forEach((ss, i) => {
    const p = FieldPath.of('subsets').index(i);
    if ((ss.addresses ?? []).length === 0 && (ss.notReadyAddresses ?? []).length === 0) {
      errs.push(E.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const which of ['addresses', 'notReadyAddresses'] as const) {
      (ss[which] ?? []).forEach((a, j) => {
        const ap = p.child(which).index(j);
        if (a.ip) for (const m of isValidIP(a.ip)) errs.push(E.invalid(ap.child('ip'), a.ip, m));
        errs.push(...validateName(a.nodeName, ap.child('nodeName'), isDNS1123Subdomain));
        errs.push(...validateName(a.hostname, ap.child('hostname'), isDNS1123Label));
      });
    }
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => {
      const pp = p.child('ports').index(j);
      if (!port.name && ports.length > 1) errs.push(E.required(pp.child('name')));
      errs.push(...validateName(port.name, pp.child('name'), isDNS1123Label));
      if (port.port !== undefined) for (const m of isValidPortNum(port.port)) errs.push(E.invalid(pp.child('port'), port.port, m));
    });
  });
  return errs;
}

// ---- ConfigMap, Secret ----

function validateDataKeys(keys: readonly string[], path: FieldPath): Errs {
  return keys.flatMap((k) => isConfigMapKey(k).map((m) => E.invalid(path.key(k), k, m)));
}

export function validateConfigMap(cm: ConfigMap): Errs {
  const errs: Errs = [];
  const data = cm.data ?? {};
  const binary = cm.binaryData ?? {};
  errs.push(...validateDataKeys(Object.keys(data), FieldPath.of('data')));
  errs.push(...validateDataKeys(Object.keys(binary), FieldPath.of('binaryData')));
  for (const k of Object.keys(binary)) {
    if (Object.hasOwn(data, k)) errs.push(E.invalid(FieldPath.of('data').key(k), k, 'duplicate of key present in binaryData'));
  }
  let size = 0;
  for (const v of Object.values(data)) size += Buffer.byteLength(v);
  for (const v of Object.values(binary)) size += Buffer.from(v, 'base64').length;
  if (size > MAX_CONFIG_DATA_BYTES) errs.push(E.tooLong(FieldPath.root, MAX_CONFIG_DATA_BYTES));
  return errs;
}

function immutableDataUpdate<T extends { immutable?: boolean }>(o: T, n: T, fields: readonly (keyof T & string)[]): Errs {
  const errs: Errs = [];
  if (o.immutable !== true) return errs;
  for (const f of fields) {
    if (!jsonEqual(o[f], n[f])) errs.push(E.forbidden(FieldPath.of(f), 'field is immutable when `immutable` is set'));
  }
  if (n.immutable !== true) errs.push(E.forbidden(FieldPath.of('immutable'), 'field is immutable when `immutable` is set'));
  return errs;
}

export function validateConfigMapUpdate(o: ConfigMap, n: ConfigMap): Errs {
  return immutableDataUpdate(o, n, ['data', 'binaryData']);
}

const secretRequiredKeys: Record<string, readonly string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(secret: Secret): Errs {
  const errs: Errs = [];
  const data = secret.data ?? {};
  errs.push(...validateDataKeys(Object.keys(data), FieldPath.of('data')));
  errs.push(...validateDataKeys(Object.keys(secret.stringData ?? {}), FieldPath.of('stringData')));
  let size = 0;
  for (const v of Object.values(data)) size += Buffer.from(v, 'base64').length;
  if (size > MAX_CONFIG_DATA_BYTES) errs.push(E.tooLong(FieldPath.of('data'), MAX_CONFIG_DATA_BYTES));
  const type = secret.type ?? 'Opaque';
  for (const key of Object.hasOwn(secretRequiredKeys, type) ? (secretRequiredKeys[type] ?? []) : []) {
    if (!Object.hasOwn(data, key) && !Object.hasOwn(secret.stringData ?? {}, key)) errs.push(E.required(FieldPath.of('data').key(key)));
  }
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(E.required(FieldPath.of('data').key('username'), 'must specify at least one of username or password'));
  }
  if (type === 'kubernetes.io/service-account-token' && !secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(E.required(FieldPath.of('metadata', 'annotations').key('kubernetes.io/service-account.name')));
  }
  return errs;
}

export function validateSecretUpdate(o: Secret, n: Secret): Errs {
  const errs = immutable(o.type ?? 'Opaque', n.type ?? 'Opaque', FieldPath.of('type'));
  errs.push(...immutableDataUpdate(o, n, ['data']));
  return errs;
}

// ---- Node ----

export function validateNode(node: Node): Errs {
  const errs: Errs = [];
  const s = node.spec;
  if (!s) return errs;
  const seen = new Set<string>();
  (s.taints ?? []).forEach((t, i) => {
    const p = spec.child('taints').index(i);
    if (t.key) for (const m of isQualifiedName(t.key)) errs.push(E.invalid(p.child('key'), t.key, m));
    if (t.value) for (const m of isValidLabelValue(t.value)) errs.push(E.invalid(p.child('value'), t.value, m));
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.push(E.duplicate(p, key));
    seen.add(key);
  });
  if (s.podCIDR) for (const m of isValidCIDR(s.podCIDR)) errs.push(E.invalid(spec.child('podCIDR'), s.podCIDR, m));
  (s.podCIDRs ?? []).forEach((c, i) => {
    for (const m of isValidCIDR(c)) errs.push(E.invalid(spec.child('podCIDRs').index(i), c, m));
  });
  const first = s.podCIDRs?.[0];
  if (s.podCIDR && first !== undefined && first !== s.podCIDR) {
    errs.push(E.invalid(spec.child('podCIDRs').index(0), first, 'must match `spec.podCIDR`'));
  }
  return errs;
}

export function validateNodeUpdate(o: Node, n: Node): Errs {
  const errs: Errs = [];
  if (o.spec?.podCIDR && o.spec.podCIDR !== n.spec?.podCIDR) {
    errs.push(E.forbidden(spec.child('podCIDR'), 'node updates may not change podCIDR except from "" to valid'));
  }
  if ((o.spec?.podCIDRs ?? []).length > 0 && !jsonEqual(o.spec?.podCIDRs, n.spec?.podCIDRs)) {
    errs.push(E.forbidden(spec.child('podCIDRs'), 'node updates may not change podCIDR except from "" to valid'));
  }
  if (o.spec?.providerID && o.spec.providerID !== n.spec?.providerID) {
    errs.push(E.forbidden(spec.child('providerID'), 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

// ---- Event ----

export function validateEvent(ev: Event): Errs {
  const errs: Errs = [];
  const ns = ev.involvedObject?.namespace;
  if (ns && ev.metadata.namespace && ns !== ev.metadata.namespace) {
    errs.push(E.invalid(FieldPath.of('involvedObject', 'namespace'), ns, 'does not match event.namespace'));
  }
  if (ev.count !== undefined && ev.count < 0) errs.push(E.invalid(FieldPath.of('count'), ev.count, 'must be greater than or equal to 0'));
  return errs;
}

// ---- PersistentVolume, PersistentVolumeClaim ----

function positiveStorage(value: string | undefined, path: FieldPath): Errs {
  if (value === undefined) return [];
  const q = Quantity.tryParse(value);
  return typeof q !== 'string' && q.sign() <= 0 ? [E.invalid(path, value, 'must be greater than zero')] : [];
}

export function validatePersistentVolume(pv: PersistentVolume): Errs {
  const errs: Errs = [];
  const s = pv.spec;
  if (!s) return errs;
  const capacity = s.capacity ?? {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) errs.push(E.required(spec.child('capacity')));
  else if (!('storage' in capacity) || keys.length > 1) errs.push(E.notSupported(spec.child('capacity'), keys, ['storage']));
  errs.push(...positiveStorage(capacity.storage, spec.child('capacity').key('storage')));
  if ((s.accessModes ?? []).length === 0) errs.push(E.required(spec.child('accessModes')));
  const sources = (['hostPath', 'local'] as const).filter((k) => s[k] !== undefined);
  if (sources.length === 0) errs.push(E.required(spec, 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(E.forbidden(spec.child(extra), 'may not specify more than 1 volume type'));
  if (s.local && !s.nodeAffinity?.required) errs.push(E.required(spec.child('nodeAffinity'), 'Local volume requires node affinity'));
  errs.push(...validateName(s.storageClassName, spec.child('storageClassName'), isDNS1123Subdomain));
  return errs;
}

export function validatePersistentVolumeUpdate(o: PersistentVolume, n: PersistentVolume): Errs {
  const source = (pv: PersistentVolume) => ({ hostPath: pv.spec?.hostPath, local: pv.spec?.local });
  return jsonEqual(source(o), source(n))
    ? []
    : [E.forbidden(spec.child('persistentvolumesource'), 'spec.persistentvolumesource is immutable after creation')];
}

export function validatePVCSpec(s: PersistentVolumeClaimSpec, path: FieldPath): Errs {
  const errs: Errs = [];
  if ((s.accessModes ?? []).length === 0) errs.push(E.required(path.child('accessModes')));
  const storage = s.resources?.requests?.storage;
  if (storage === undefined) errs.push(E.required(path.child('resources').key('storage')));
  errs.push(...positiveStorage(storage, path.child('resources').key('storage')));
  errs.push(...validateLabelSelector(s.selector, path.child('selector')));
  errs.push(...validateName(s.storageClassName, path.child('storageClassName'), isDNS1123Subdomain));
  return errs;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim): Errs {
  return pvc.spec ? validatePVCSpec(pvc.spec, spec) : [];
}

export function validatePersistentVolumeClaimUpdate(o: PersistentVolumeClaim, n: PersistentVolumeClaim): Errs {
  if (!o.spec || !n.spec) return [];
  // Mutable: the storage request, and volumeName from "" (the binder fills it in).
  const normalize = (s: PersistentVolumeClaimSpec, volumeName: string | undefined): unknown => ({
    ...s,
    resources: { ...(s.resources ?? {}), requests: { ...(s.resources?.requests ?? {}), storage: undefined } },
    volumeName,
  });
  const volumeName = o.spec.volumeName ? n.spec.volumeName : o.spec.volumeName;
  if (jsonEqual(JSON.parse(JSON.stringify(normalize(o.spec, o.spec.volumeName))), JSON.parse(JSON.stringify(normalize(n.spec, volumeName))))) {
    return [];
  }
  return [E.forbidden(spec, 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims')];
}
