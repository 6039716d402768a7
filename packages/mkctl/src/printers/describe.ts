/**
 * `mkctl describe` output, laid out as kubectl's describers lay it out (k8s.io/kubectl/pkg/describe):
 * text written at indentation levels through Go's tabwriter (minwidth 0, padding 2), so the same
 * blocks line up the same way.
 */
import {
  canonicalQuantity,
  type ConfigMap,
  type Container,
  type ContainerState,
  type CronJob,
  type DaemonSet,
  type HorizontalPodAutoscaler,
  type HPAScalingRules,
  type Job,
  type StatefulSet,
  type ContainerStatus,
  type Deployment,
  type Endpoints,
  type EnvVar,
  type Event,
  type IntOrString,
  type KubeObject,
  type LabelSelector,
  type Lease,
  type Namespace,
  type Node,
  type Pod,
  type PodTemplateSpec,
  podLimits,
  podQOSClass,
  podRequests,
  type Probe,
  Quantity,
  type ReplicaSet,
  type ResourceList,
  type Secret,
  selectorFromLabelSelector,
  type Service,
  type Taint,
  type Toleration,
  type Volume,
} from '@mk/api';
import { TabWriter } from '../tabwriter';
import { formatRFC1123Z, parseTime, since } from '../time';
import { formatEndpoints, nodeRoles } from './table';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface DescribeSettings {
  now: number;
  /** Print times in the local zone (else UTC). */
  localTime: boolean;
}

/**
 * kubectl's PrefixWriter: text at an indentation level of two spaces per level, aligned by
 * describe's tabwriter — or, with `aligned` false, with its tabs left as they are (kubectl's bare
 * `describe.NewPrefixWriter(buf)`, as `rollout history --revision` prints a pod template).
 */
export class PrefixWriter {
  private text = '';
  private readonly tw: TabWriter | undefined;

  constructor(aligned = true) {
    this.tw = aligned ? TabWriter.forDescribe((s) => (this.text += s)) : undefined;
  }

  write(level: number, text: string): void {
    this.emit('  '.repeat(level) + text);
  }

  writeLine(text: string): void {
    this.emit(`${text}\n`);
  }

  flush(): void {
    this.tw?.flush();
  }

  toString(): string {
    this.tw?.flush();
    return this.text;
  }

  private emit(text: string): void {
    if (this.tw) this.tw.write(text);
    else this.text += text;
  }
}

const L0 = 0;
const L1 = 1;
const L2 = 2;
const L3 = 3;

function sortedKeys(m: Readonly<Record<string, unknown>> | undefined): string[] {
  return Object.keys(m ?? {}).sort();
}

function printLabelsMultilineWithIndent(w: PrefixWriter, initialIndent: string, title: string, innerIndent: string, labels: Record<string, string> | undefined): void {
  w.write(L0, `${initialIndent}${title}:${innerIndent}`);
  const keys = sortedKeys(labels);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(L0, `${initialIndent}${innerIndent}`);
    w.write(L0, `${k}=${labels?.[k] ?? ''}\n`);
  });
}

export function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined): void {
  printLabelsMultilineWithIndent(w, '', title, '\t', labels);
}

const MAX_ANNOTATION_LEN = 140;

export function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined): void {
  w.write(L0, `${title}:\t`);
  const keys = sortedKeys(annotations).filter((k) => k !== LAST_APPLIED);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(L0, '\t');
    const value = (annotations?.[key] ?? '').replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(L0, `${key}:\n`);
      for (const s of value.split('\n')) {
        const short = s.length > MAX_ANNOTATION_LEN - 2 ? `${s.slice(0, MAX_ANNOTATION_LEN - 2)}...` : s;
        w.write(L0, `\t  ${short}\n`);
      }
    } else {
      w.write(L0, `${key}: ${value}\n`);
    }
  });
}

function taintString(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

function printTaintsMultiline(w: PrefixWriter, title: string, taints: readonly Taint[] | undefined): void {
  w.write(L0, `${title}:\t`);
  const list = [...(taints ?? [])];
  if (list.length === 0) {
    w.writeLine('<none>');
    return;
  }
  list.sort((a, b) => {
    const ka = `${a.effect},${a.key}`;
    const kb = `${b.effect},${b.key}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  list.forEach((t, i) => {
    if (i !== 0) w.write(L0, '\t');
    w.write(L0, `${taintString(t)}\n`);
  });
}

function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: readonly Toleration[] | undefined): void {
  w.write(L0, `${title}:\t`);
  const list = [...(tolerations ?? [])];
  if (list.length === 0) {
    w.writeLine('<none>');
    return;
  }
  list.sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  list.forEach((t, i) => {
    if (i !== 0) w.write(L0, '\t');
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    w.write(L0, `${s}\n`);
  });
}

const boolStr = (b: boolean | undefined): string => (b ? 'True' : 'False');
const goBool = (b: boolean | undefined): string => (b ? 'true' : 'false');

function quantity(v: string | undefined): string {
  if (v === undefined) return '0';
  try {
    return canonicalQuantity(v);
  } catch {
    return v;
  }
}

/** An IntOrString as Go prints it. */
const intOrString = (v: IntOrString | undefined): string => (v === undefined ? '0' : String(v));

// ---- events ----

function eventTime(e: Event): number {
  return parseTime(e.series?.lastObservedTime) ?? parseTime(e.lastTimestamp) ?? parseTime(e.eventTime) ?? 0;
}

/** kubectl's DescribeEvents: `Events:  <none>`, or a table in its own alignment block. */
export function describeEvents(events: readonly Event[], w: PrefixWriter, s: DescribeSettings): void {
  if (events.length === 0) {
    w.write(L0, 'Events:\t<none>\n');
    return;
  }
  w.flush();
  const sorted = [...events].sort((a, b) => eventTime(a) - eventTime(b));
  w.write(L0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(L1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const first = e.eventTime ? since(e.eventTime, s.now) : since(e.firstTimestamp, s.now);
    let interval: string;
    if (e.series) interval = `${since(e.series.lastObservedTime, s.now)} (x${e.series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${since(e.lastTimestamp, s.now)} (x${e.count} over ${first})`;
    else interval = first;
    const source = e.source?.component || e.reportingComponent || '';
    w.write(L1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${(e.message ?? '').trim()}\n`);
  }
}

// ---- containers ----

function probeString(p: Probe): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const g = p.httpGet;
    const host = g.host ?? '';
    const port = String(g.port);
    const hostPort = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    const scheme = (g.scheme ?? '').toLowerCase();
    const path = g.path ?? '';
    return `http-get ${scheme ? `${scheme}:` : ''}//${hostPort}${path && !path.startsWith('/') ? `/${path}` : path} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${String(p.tcpSocket.port)} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeResources(res: { limits?: ResourceList; requests?: ResourceList } | undefined, w: PrefixWriter, level: number): void {
  if (!res) return;
  const limits = sortedKeys(res.limits);
  if (limits.length > 0) w.write(level, 'Limits:\n');
  for (const k of limits) w.write(level + 1, `${k}:\t${quantity(res.limits?.[k])}\n`);
  const requests = sortedKeys(res.requests);
  if (requests.length > 0) w.write(level, 'Requests:\n');
  for (const k of requests) w.write(level + 1, `${k}:\t${quantity(res.requests?.[k])}\n`);
}

function describeStatus(name: string, state: ContainerState | undefined, w: PrefixWriter, s: DescribeSettings): void {
  if (state?.running) {
    w.write(L2, `${name}:\tRunning\n`);
    w.write(L3, `Started:\t${formatRFC1123Z(state.running.startedAt, s.localTime)}\n`);
  } else if (state?.waiting) {
    w.write(L2, `${name}:\tWaiting\n`);
    if (state.waiting.reason) w.write(L3, `Reason:\t${state.waiting.reason}\n`);
  } else if (state?.terminated) {
    const t = state.terminated;
    w.write(L2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(L3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(L3, `Message:\t${t.message}\n`);
    w.write(L3, `Exit Code:\t${t.exitCode}\n`);
    if ((t.signal ?? 0) > 0) w.write(L3, `Signal:\t${t.signal}\n`);
    w.write(L3, `Started:\t${formatRFC1123Z(t.startedAt, s.localTime)}\n`);
    w.write(L3, `Finished:\t${formatRFC1123Z(t.finishedAt, s.localTime)}\n`);
  } else {
    w.write(L2, `${name}:\tWaiting\n`);
  }
}

/** The value of a pod field (`metadata.name`, `metadata.labels['app']`, ...) for fieldRef env vars. */
function podFieldValue(pod: Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2] ?? ''] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    default:
      return '';
  }
}

function resourceFieldValue(container: Container, resource: string, divisor: string | undefined): string {
  const [which, name] = resource.split('.') as [string, string | undefined];
  const list = which === 'limits' ? container.resources?.limits : container.resources?.requests;
  const raw = name ? list?.[name] : undefined;
  if (raw === undefined) return '0';
  try {
    const q = Quantity.parse(raw);
    const d = Quantity.parse(divisor ?? '1');
    if (d.isZero()) return '0';
    return String(Math.ceil(q.approximate() / d.approximate()));
  } catch {
    return '';
  }
}

function describeEnv(container: Container, pod: Pod | undefined, w: PrefixWriter): void {
  const env: EnvVar[] = container.env ?? [];
  w.write(L2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    if (!e.valueFrom) {
      (e.value ?? '').split('\n').forEach((s, i) => w.write(L3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
      continue;
    }
    const f = e.valueFrom;
    if (f.fieldRef) {
      const value = pod ? podFieldValue(pod, f.fieldRef.fieldPath) : '';
      w.write(L3, `${e.name}:\t${value} (${f.fieldRef.apiVersion ?? 'v1'}:${f.fieldRef.fieldPath})\n`);
    } else if (f.resourceFieldRef) {
      const r = f.resourceFieldRef.resource;
      let value = resourceFieldValue(container, r, f.resourceFieldRef.divisor);
      if (value === '0' && (r === 'limits.cpu' || r === 'limits.memory')) value = 'node allocatable';
      w.write(L3, `${e.name}:\t${value} (${r})\n`);
    } else if (f.secretKeyRef) {
      w.write(L3, `${e.name}:\t<set to the key '${f.secretKeyRef.key}' in secret '${f.secretKeyRef.name ?? ''}'>\tOptional: ${goBool(f.secretKeyRef.optional)}\n`);
    } else if (f.configMapKeyRef) {
      w.write(L3, `${e.name}:\t<set to the key '${f.configMapKeyRef.key}' of config map '${f.configMapKeyRef.name ?? ''}'>\tOptional: ${goBool(f.configMapKeyRef.optional)}\n`);
    }
  }
}

function describeContainers(
  label: string,
  containers: readonly Container[],
  statuses: readonly ContainerStatus[] | undefined,
  pod: Pod | undefined,
  w: PrefixWriter,
  space: string,
  s: DescribeSettings,
): void {
  const byName = new Map((statuses ?? []).map((st) => [st.name, st]));
  w.write(L0, `${space}${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  for (const c of containers) {
    const status = byName.get(c.name);
    w.write(L1, `${space ? ' ' : ''}${c.name}:\n`);
    if (status) w.write(L2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(L2, `Image:\t${c.image}\n`);
    if (status) w.write(L2, `Image ID:\t${status.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(L2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${ports || '<none>'}\n`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`).join(', ');
    w.write(L2, hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${hostPorts || '<none>'}\n`);
    if (c.command?.length) {
      w.write(L2, 'Command:\n');
      for (const x of c.command) for (const line of x.split('\n')) w.write(L3, `${line}\n`);
    }
    if (c.args?.length) {
      w.write(L2, 'Args:\n');
      for (const x of c.args) for (const line of x.split('\n')) w.write(L3, `${line}\n`);
    }
    if (status) {
      describeStatus('State', status.state, w, s);
      if (status.lastState?.terminated) describeStatus('Last State', status.lastState, w, s);
      w.write(L2, `Ready:\t${boolStr(status.ready)}\n`);
      w.write(L2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    describeResources(c.resources, w, L2);
    if (c.livenessProbe) w.write(L2, `Liveness:\t${probeString(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(L2, `Readiness:\t${probeString(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(L2, `Startup:\t${probeString(c.startupProbe)}\n`);
    if (c.envFrom?.length) {
      w.write(L2, 'Environment Variables from:\n');
      for (const e of c.envFrom) {
        const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
        const ref = e.configMapRef ?? e.secretRef;
        const optional = goBool(ref?.optional);
        w.write(L3, e.prefix ? `${ref?.name ?? ''}\t${from} with prefix '${e.prefix}'\tOptional: ${optional}\n` : `${ref?.name ?? ''}\t${from}\tOptional: ${optional}\n`);
      }
    }
    describeEnv(c, pod, w);
    const mounts = [...(c.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
    w.write(L2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(L3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function describeVolumes(volumes: readonly Volume[] | undefined, w: PrefixWriter, space: string): void {
  const list = volumes ?? [];
  if (list.length === 0) {
    w.write(L0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(L0, `${space}Volumes:\n`);
  for (const v of list) {
    w.write(L1, `${space ? ' ' : ''}${v.name}:\n`);
    if (v.hostPath) {
      w.write(L2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    } else if (v.emptyDir) {
      let size = '<unset>';
      try {
        if (v.emptyDir.sizeLimit && Quantity.parse(v.emptyDir.sizeLimit).sign() > 0) size = quantity(v.emptyDir.sizeLimit);
      } catch {
        size = v.emptyDir.sizeLimit ?? '<unset>';
      }
      w.write(L2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${size}\n`);
    } else if (v.secret) {
      w.write(L2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${goBool(v.secret.optional)}\n`);
    } else if (v.configMap) {
      w.write(L2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${goBool(v.configMap.optional)}\n`);
    } else if (v.persistentVolumeClaim) {
      w.write(
        L2,
        `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${v.persistentVolumeClaim.claimName}\n    ReadOnly:\t${goBool(v.persistentVolumeClaim.readOnly)}\n`,
      );
    } else {
      w.write(L1, '<unknown>\n');
    }
  }
}

function describePodTemplate(template: PodTemplateSpec | undefined, w: PrefixWriter, s: DescribeSettings): void {
  w.write(L0, 'Pod Template:\n');
  if (!template) {
    w.write(L1, '<unset>');
    return;
  }
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) printAnnotationsMultiline(w, '  Annotations', template.metadata?.annotations);
  const spec = template.spec;
  if (spec.serviceAccountName) w.write(L1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) describeContainers('Init Containers', spec.initContainers, undefined, undefined, w, '  ', s);
  describeContainers('Containers', spec.containers ?? [], undefined, undefined, w, '  ', s);
  describeVolumes(spec.volumes, w, '  ');
  if (spec.priorityClassName) w.write(L1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}

/**
 * A pod template as `rollout history --revision=N` and `rollout undo --dry-run` print it: kubectl's
 * DescribePodTemplate through a bare PrefixWriter (tabs not aligned).
 */
export function podTemplateText(template: PodTemplateSpec | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter(false);
  describePodTemplate(template, w, s);
  return w.toString();
}

function controlledBy(obj: KubeObject): string {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : '';
}

function selectorText(ls: LabelSelector | undefined): string {
  try {
    return selectorFromLabelSelector(ls).toString();
  } catch (e) {
    return `<error: ${(e as Error).message}>`;
  }
}

// ---- the describers ----

export function describePod(pod: Pod, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const st = pod.status ?? {};
  w.write(L0, `Name:\t${pod.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${pod.metadata.namespace ?? ''}\n`);
  if (pod.spec.priority !== undefined) w.write(L0, `Priority:\t${pod.spec.priority}\n`);
  if (pod.spec.priorityClassName) w.write(L0, `Priority Class Name:\t${pod.spec.priorityClassName}\n`);
  if (pod.spec.serviceAccountName) w.write(L0, `Service Account:\t${pod.spec.serviceAccountName}\n`);
  w.write(L0, pod.spec.nodeName ? `Node:\t${pod.spec.nodeName}/${st.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (st.startTime) w.write(L0, `Start Time:\t${formatRFC1123Z(st.startTime, s.localTime)}\n`);
  printLabelsMultiline(w, 'Labels', pod.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', pod.metadata.annotations);
  if (pod.metadata.deletionTimestamp && st.phase !== 'Failed' && st.phase !== 'Succeeded') {
    w.write(L0, `Status:\tTerminating (lasts ${since(pod.metadata.deletionTimestamp, s.now)})\n`);
    w.write(L0, `Termination Grace Period:\t${pod.metadata.deletionGracePeriodSeconds ?? 0}s\n`);
  } else {
    w.write(L0, `Status:\t${st.phase ?? ''}\n`);
  }
  if (st.reason) w.write(L0, `Reason:\t${st.reason}\n`);
  if (st.message) w.write(L0, `Message:\t${st.message}\n`);
  w.write(L0, `IP:\t${st.podIP ?? ''}\n`);
  const ips = st.podIPs ?? [];
  if (ips.length === 0) w.write(L0, 'IPs:\t<none>\n');
  else {
    w.write(L0, 'IPs:\n');
    for (const ip of ips) w.write(L1, `IP:\t${ip.ip}\n`);
  }
  const owner = controlledBy(pod);
  if (owner) w.write(L0, `Controlled By:\t${owner}\n`);
  if (st.nominatedNodeName) w.write(L0, `NominatedNodeName:\t${st.nominatedNodeName}\n`);
  if (pod.spec.initContainers?.length) describeContainers('Init Containers', pod.spec.initContainers, st.initContainerStatuses, pod, w, '', s);
  describeContainers('Containers', pod.spec.containers ?? [], st.containerStatuses, pod, w, '', s);
  if (st.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\n');
    for (const c of st.conditions) w.write(L1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(pod.spec.volumes, w, '');
  w.write(L0, `QoS Class:\t${st.qosClass ?? podQOSClass(pod.spec)}\n`);
  printLabelsMultiline(w, 'Node-Selectors', pod.spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', pod.spec.tolerations);
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export interface DeploymentExtras {
  oldReplicaSets: readonly ReplicaSet[];
  newReplicaSet?: ReplicaSet;
}

function replicaSetsByLabels(list: readonly ReplicaSet[]): string {
  const s = list.map((rs) => `${rs.metadata.name ?? ''} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`).join(', ');
  return s === '' ? '<none>' : s;
}

export function describeDeployment(d: Deployment, extras: DeploymentExtras, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const st = d.status ?? {};
  w.write(L0, `Name:\t${d.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${d.metadata.namespace ?? ''}\n`);
  w.write(L0, `CreationTimestamp:\t${formatRFC1123Z(d.metadata.creationTimestamp, s.localTime)}\n`);
  printLabelsMultiline(w, 'Labels', d.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', d.metadata.annotations);
  w.write(L0, `Selector:\t${selectorText(d.spec.selector)}\n`);
  w.write(
    L0,
    `Replicas:\t${d.spec.replicas ?? 0} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable\n`,
  );
  w.write(L0, `StrategyType:\t${d.spec.strategy?.type ?? ''}\n`);
  w.write(L0, `MinReadySeconds:\t${d.spec.minReadySeconds ?? 0}\n`);
  const ru = d.spec.strategy?.rollingUpdate;
  if (ru) w.write(L0, `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable)} max unavailable, ${intOrString(ru.maxSurge)} max surge\n`);
  describePodTemplate(d.spec.template, w, s);
  if (st.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(L1, '----\t------\t------\n');
    for (const c of st.conditions) w.write(L1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  if (extras.oldReplicaSets.length > 0 || extras.newReplicaSet) {
    w.write(L0, `OldReplicaSets:\t${replicaSetsByLabels(extras.oldReplicaSets)}\n`);
    w.write(L0, `NewReplicaSet:\t${replicaSetsByLabels(extras.newReplicaSet ? [extras.newReplicaSet] : [])}\n`);
  }
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export interface PodCounts {
  running: number;
  waiting: number;
  succeeded: number;
  failed: number;
}

export function describeReplicaSet(rs: ReplicaSet, pods: PodCounts, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${rs.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${rs.metadata.namespace ?? ''}\n`);
  const sel = selectorText(rs.spec.selector);
  w.write(L0, `Selector:\t${sel === '' ? '<none>' : sel}\n`);
  printLabelsMultiline(w, 'Labels', rs.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', rs.metadata.annotations);
  const owner = controlledBy(rs);
  if (owner) w.write(L0, `Controlled By:\t${owner}\n`);
  w.write(L0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${rs.spec.replicas ?? 0} desired\n`);
  w.write(L0, 'Pods Status:\t');
  w.write(L0, `${pods.running} Running / ${pods.waiting} Waiting / ${pods.succeeded} Succeeded / ${pods.failed} Failed\n`);
  describePodTemplate(rs.spec.template, w, s);
  if (rs.status?.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(L1, '----\t------\t------\n');
    for (const c of rs.status.conditions) w.write(L1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export function describeService(svc: Service, endpoints: Endpoints | undefined, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const spec = svc.spec;
  w.write(L0, `Name:\t${svc.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${svc.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', svc.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', svc.metadata.annotations);
  const selector = Object.entries(spec.selector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  w.write(L0, `Selector:\t${selector || '<none>'}\n`);
  w.write(L0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy) w.write(L0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(L0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`);
  w.write(L0, `IP:\t${spec.clusterIP ?? ''}\n`);
  w.write(L0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`);
  if (spec.externalIPs?.length) w.write(L0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(L0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`);
  if (spec.externalName) w.write(L0, `External Name:\t${spec.externalName}\n`);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length) w.write(L0, `LoadBalancer Ingress:\t${ingress.map((i) => i.ip || i.hostname || '').join(', ')}\n`);
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const proto = p.protocol ?? 'TCP';
    w.write(L0, `Port:\t${name}\t${p.port}/${proto}\n`);
    w.write(L0, `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`);
    if (p.nodePort) w.write(L0, `NodePort:\t${name}\t${p.nodePort}/${proto}\n`);
    w.write(L0, `Endpoints:\t${formatEndpoints(endpoints, new Set([p.name ?? '']))}\n`);
  }
  w.write(L0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(L0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy) w.write(L0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export interface NodeExtras {
  /** The pods on the node that are not Succeeded or Failed. */
  pods: readonly Pod[];
  lease?: Lease;
  leaseError?: string;
}

const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods']);

export function describeNode(node: Node, extras: NodeExtras, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const st = node.status ?? {};
  w.write(L0, `Name:\t${node.metadata.name ?? ''}\n`);
  const roles = nodeRoles(node);
  w.write(L0, `Roles:\t${roles.length ? roles.join(',') : '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', node.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', node.metadata.annotations);
  w.write(L0, `CreationTimestamp:\t${formatRFC1123Z(node.metadata.creationTimestamp, s.localTime)}\n`);
  printTaintsMultiline(w, 'Taints', node.spec?.taints);
  w.write(L0, `Unschedulable:\t${goBool(node.spec?.unschedulable)}\n`);
  if (extras.lease) {
    const l = extras.lease.spec ?? {};
    w.write(L0, 'Lease:\n');
    w.write(L1, `HolderIdentity:\t${l.holderIdentity ?? '<unset>'}\n`);
    w.write(L1, `AcquireTime:\t${l.acquireTime ? formatRFC1123Z(l.acquireTime, s.localTime) : '<unset>'}\n`);
    w.write(L1, `RenewTime:\t${l.renewTime ? formatRFC1123Z(l.renewTime, s.localTime) : '<unset>'}\n`);
  } else if (extras.leaseError) {
    w.write(L0, `Lease:\tFailed to get lease: ${extras.leaseError}\n`);
  }
  if (st.conditions?.length) {
    w.write(L0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(L1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of st.conditions) {
      w.write(L1, `${c.type} \t${c.status} \t${formatRFC1123Z(c.lastHeartbeatTime, s.localTime)} \t${formatRFC1123Z(c.lastTransitionTime, s.localTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
    }
  }
  w.write(L0, 'Addresses:\n');
  for (const a of st.addresses ?? []) w.write(L1, `${a.type}:\t${a.address}\n`);
  const printResourceList = (list: ResourceList): void => {
    for (const k of sortedKeys(list)) w.write(L0, `  ${k}:\t${quantity(list[k])}\n`);
  };
  if (Object.keys(st.capacity ?? {}).length) {
    w.write(L0, 'Capacity:\n');
    printResourceList(st.capacity ?? {});
  }
  if (Object.keys(st.allocatable ?? {}).length) {
    w.write(L0, 'Allocatable:\n');
    printResourceList(st.allocatable ?? {});
  }
  const info = st.nodeInfo;
  w.write(L0, 'System Info:\n');
  w.write(L0, `  Machine ID:\t${info?.machineID ?? ''}\n`);
  w.write(L0, `  System UUID:\t${info?.systemUUID ?? ''}\n`);
  w.write(L0, `  Boot ID:\t${info?.bootID ?? ''}\n`);
  w.write(L0, `  Kernel Version:\t${info?.kernelVersion ?? ''}\n`);
  w.write(L0, `  OS Image:\t${info?.osImage ?? ''}\n`);
  w.write(L0, `  Operating System:\t${info?.operatingSystem ?? ''}\n`);
  w.write(L0, `  Architecture:\t${info?.architecture ?? ''}\n`);
  w.write(L0, `  Container Runtime Version:\t${info?.containerRuntimeVersion ?? ''}\n`);
  w.write(L0, `  Kubelet Version:\t${info?.kubeletVersion ?? ''}\n`);
  w.write(L0, `  Kube-Proxy Version:\t${info?.kubeProxyVersion ?? ''}\n`);
  if (node.spec?.podCIDR) w.write(L0, `PodCIDR:\t${node.spec.podCIDR}\n`);
  if (node.spec?.podCIDRs?.length) w.write(L0, `PodCIDRs:\t${node.spec.podCIDRs.join(',')}\n`);
  if (node.spec?.providerID) w.write(L0, `ProviderID:\t${node.spec.providerID}\n`);
  describeNodeResource(node, extras.pods, w, s);
  if (events) describeEvents(events, w, s);
  return w.toString();
}

function describeNodeResource(node: Node, pods: readonly Pod[], w: PrefixWriter, s: DescribeSettings): void {
  const st = node.status ?? {};
  const allocatable = Object.keys(st.allocatable ?? {}).length ? (st.allocatable ?? {}) : (st.capacity ?? {});
  const alloc = (name: string): Quantity => {
    try {
      return Quantity.parse(allocatable[name] ?? '0');
    } catch {
      return Quantity.zero;
    }
  };
  const pct = (part: number, whole: number): number => (whole === 0 ? 0 : Math.trunc((part / whole) * 100));
  const cpuAlloc = alloc('cpu').milliValue();
  const memAlloc = alloc('memory').value();
  w.write(L0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(L1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(L1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const totalReq: Record<string, Quantity> = {};
  const totalLim: Record<string, Quantity> = {};
  for (const pod of pods) {
    const req = podRequests(pod.spec);
    const lim = podLimits(pod.spec);
    for (const [k, v] of Object.entries(req)) totalReq[k] = totalReq[k] ? totalReq[k].add(v) : v;
    for (const [k, v] of Object.entries(lim)) totalLim[k] = totalLim[k] ? totalLim[k].add(v) : v;
    const cr = req.cpu ?? Quantity.zero;
    const cl = lim.cpu ?? Quantity.zero;
    const mr = req.memory ?? Quantity.zero;
    const ml = lim.memory ?? Quantity.zero;
    w.write(
      L1,
      `${pod.metadata.namespace ?? ''}\t${pod.metadata.name ?? ''}\t\t${cr} (${pct(cr.milliValue(), cpuAlloc)}%)\t${cl} (${pct(cl.milliValue(), cpuAlloc)}%)\t${mr} (${pct(mr.value(), memAlloc)}%)\t${ml} (${pct(ml.value(), memAlloc)}%)\t${since(pod.metadata.creationTimestamp, s.now)}\n`,
    );
  }
  w.write(L0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(L1, 'Resource\tRequests\tLimits\n');
  w.write(L1, '--------\t--------\t------\n');
  const row = (name: string, value: (q: Quantity) => number, whole: number): void => {
    const r = totalReq[name] ?? Quantity.zero;
    const l = totalLim[name] ?? Quantity.zero;
    w.write(L1, `${name}\t${r} (${pct(value(r), whole)}%)\t${l} (${pct(value(l), whole)}%)\n`);
  };
  row('cpu', (q) => q.milliValue(), cpuAlloc);
  row('memory', (q) => q.value(), memAlloc);
  row('ephemeral-storage', (q) => q.value(), alloc('ephemeral-storage').value());
  const names = Object.keys(allocatable).sort();
  for (const name of names.filter((n) => n.startsWith('hugepages-'))) row(name, (q) => q.value(), alloc(name).value());
  for (const name of names.filter((n) => !n.startsWith('hugepages-') && !STANDARD_RESOURCES.has(n))) {
    w.write(L1, `${name}\t${totalReq[name] ?? Quantity.zero}\t${totalLim[name] ?? Quantity.zero}\n`);
  }
}

function podsStatus(w: PrefixWriter, pods: PodCounts): void {
  w.write(L0, `Pods Status:\t${pods.running} Running / ${pods.waiting} Waiting / ${pods.succeeded} Succeeded / ${pods.failed} Failed\n`);
}

export function describeDaemonSet(ds: DaemonSet, pods: PodCounts, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const st = ds.status;
  w.write(L0, `Name:\t${ds.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${ds.metadata.namespace ?? ''}\n`);
  w.write(L0, `Selector:\t${selectorText(ds.spec.selector)}\n`);
  const nodeSelector = Object.entries(ds.spec.template?.spec?.nodeSelector ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  w.write(L0, `Node-Selector:\t${nodeSelector || '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', ds.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ds.metadata.annotations);
  w.write(L0, `Desired Number of Nodes Scheduled: ${st?.desiredNumberScheduled ?? 0}\n`);
  w.write(L0, `Current Number of Nodes Scheduled: ${st?.currentNumberScheduled ?? 0}\n`);
  w.write(L0, `Number of Nodes Scheduled with Up-to-date Pods: ${st?.updatedNumberScheduled ?? 0}\n`);
  w.write(L0, `Number of Nodes Scheduled with Available Pods: ${st?.numberAvailable ?? 0}\n`);
  w.write(L0, `Number of Nodes Misscheduled: ${st?.numberMisscheduled ?? 0}\n`);
  podsStatus(w, pods);
  describePodTemplate(ds.spec.template, w, s);
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export function describeStatefulSet(ss: StatefulSet, pods: PodCounts, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${ss.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${ss.metadata.namespace ?? ''}\n`);
  w.write(L0, `CreationTimestamp:\t${formatRFC1123Z(ss.metadata.creationTimestamp, s.localTime)}\n`);
  w.write(L0, `Selector:\t${selectorText(ss.spec.selector)}\n`);
  printLabelsMultiline(w, 'Labels', ss.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ss.metadata.annotations);
  w.write(L0, `Replicas:\t${ss.spec.replicas ?? 0} desired | ${ss.status?.replicas ?? 0} total\n`);
  w.write(L0, `Update Strategy:\t${ss.spec.updateStrategy?.type ?? ''}\n`);
  const ru = ss.spec.updateStrategy?.rollingUpdate;
  if (ru?.partition !== undefined) {
    w.write(L1, `Partition:\t${ru.partition}\n`);
    if (ru.maxUnavailable !== undefined) w.write(L1, `MaxUnavailable:\t${intOrString(ru.maxUnavailable)}\n`);
  }
  podsStatus(w, pods);
  describePodTemplate(ss.spec.template, w, s);
  const claims = ss.spec.volumeClaimTemplates ?? [];
  if (claims.length === 0) w.write(L0, 'Volume Claims:\t<none>\n');
  else {
    w.write(L0, 'Volume Claims:\n');
    for (const pvc of claims) {
      w.write(L1, `Name:\t${pvc.metadata?.name ?? ''}\n`);
      w.write(L1, `StorageClass:\t${pvc.spec.storageClassName ?? ''}\n`);
      printLabelsMultilineWithIndent(w, '  ', 'Labels', '\t', pvc.metadata?.labels);
      printLabelsMultilineWithIndent(w, '  ', 'Annotations', '\t', pvc.metadata?.annotations);
      const storage = pvc.spec.resources?.requests?.storage;
      w.write(L1, `Capacity:\t${storage !== undefined ? quantity(storage) : '<default>'}\n`);
      w.write(L1, `Access Modes:\t[${(pvc.spec.accessModes ?? []).join(' ')}]\n`);
    }
  }
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export function describeJob(job: Job, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const spec = job.spec;
  const st = job.status ?? {};
  w.write(L0, `Name:\t${job.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${job.metadata.namespace ?? ''}\n`);
  w.write(L0, `Selector:\t${selectorText(spec.selector)}\n`);
  printLabelsMultiline(w, 'Labels', job.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', job.metadata.annotations);
  const owner = controlledBy(job);
  if (owner) w.write(L0, `Controlled By:\t${owner}\n`);
  if (spec.parallelism !== undefined) w.write(L0, `Parallelism:\t${spec.parallelism}\n`);
  w.write(L0, `Completions:\t${spec.completions !== undefined ? spec.completions : '<unset>'}\n`);
  if (spec.completionMode) w.write(L0, `Completion Mode:\t${spec.completionMode}\n`);
  if (spec.suspend !== undefined) w.write(L0, `Suspend:\t${goBool(spec.suspend)}\n`);
  if (spec.backoffLimit !== undefined) w.write(L0, `Backoff Limit:\t${spec.backoffLimit}\n`);
  if (spec.ttlSecondsAfterFinished !== undefined) w.write(L0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}\n`);
  if (st.startTime) w.write(L0, `Start Time:\t${formatRFC1123Z(st.startTime, s.localTime)}\n`);
  if (st.completionTime) w.write(L0, `Completed At:\t${formatRFC1123Z(st.completionTime, s.localTime)}\n`);
  const start = parseTime(st.startTime);
  const end = parseTime(st.completionTime);
  if (start !== undefined && end !== undefined) w.write(L0, `Duration:\t${since(st.startTime, end)}\n`);
  if (spec.activeDeadlineSeconds !== undefined) w.write(L0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s\n`);
  if (st.ready === undefined) w.write(L0, `Pods Statuses:\t${st.active ?? 0} Active / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed\n`);
  else w.write(L0, `Pods Statuses:\t${st.active ?? 0} Active (${st.ready} Ready) / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed\n`);
  if (spec.completionMode === 'Indexed') w.write(L0, `Completed Indexes:\t${st.completedIndexes || '<none>'}\n`);
  describePodTemplate(spec.template, w, s);
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export function describeCronJob(cj: CronJob, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const spec = cj.spec;
  const unset = (v: number | undefined, suffix = ''): string => (v === undefined ? '<unset>' : `${v}${suffix}`);
  w.write(L0, `Name:\t${cj.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${cj.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', cj.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', cj.metadata.annotations);
  w.write(L0, `Schedule:\t${spec.schedule}\n`);
  w.write(L0, `Concurrency Policy:\t${spec.concurrencyPolicy ?? ''}\n`);
  w.write(L0, `Suspend:\t${spec.suspend === undefined ? '<unset>' : boolStr(spec.suspend)}\n`);
  w.write(L0, `Successful Job History Limit:\t${unset(spec.successfulJobsHistoryLimit)}\n`);
  w.write(L0, `Failed Job History Limit:\t${unset(spec.failedJobsHistoryLimit)}\n`);
  w.write(L0, `Starting Deadline Seconds:\t${unset(spec.startingDeadlineSeconds, 's')}\n`);
  const jt = spec.jobTemplate.spec;
  w.write(L0, `Selector:\t${jt.selector ? selectorText(jt.selector) : '<unset>'}\n`);
  w.write(L0, `Parallelism:\t${unset(jt.parallelism)}\n`);
  w.write(L0, `Completions:\t${unset(jt.completions)}\n`);
  if (jt.activeDeadlineSeconds !== undefined) w.write(L0, `Active Deadline Seconds:\t${jt.activeDeadlineSeconds}s\n`);
  describePodTemplate(jt.template, w, s);
  w.write(L0, `Last Schedule Time:\t${cj.status?.lastScheduleTime ? formatRFC1123Z(cj.status.lastScheduleTime, s.localTime) : '<unset>'}\n`);
  const active = cj.status?.active ?? [];
  w.write(L0, 'Active Jobs:\t');
  w.writeLine(active.length === 0 ? '<none>' : active.map((j) => j.name ?? '').join(', '));
  if (events) describeEvents(events, w, s);
  return w.toString();
}

function printDirectionBehavior(w: PrefixWriter, direction: string, rules: HPAScalingRules | undefined): void {
  if (!rules) return;
  w.write(L1, `${direction}:\n`);
  if (rules.stabilizationWindowSeconds !== undefined) w.write(L2, `Stabilization Window: ${rules.stabilizationWindowSeconds} seconds\n`);
  if (rules.policies?.length) {
    w.write(L2, `Select Policy: ${rules.selectPolicy ?? 'Max'}\n`);
    w.write(L2, 'Policies:\n');
    for (const p of rules.policies) w.write(L3, `- Type: ${p.type}\tValue: ${p.value}\tPeriod: ${p.periodSeconds} seconds\n`);
  }
}

export function describeHPA(hpa: HorizontalPodAutoscaler, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  const spec = hpa.spec;
  const st = hpa.status;
  w.write(L0, `Name:\t${hpa.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${hpa.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', hpa.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', hpa.metadata.annotations);
  w.write(L0, `CreationTimestamp:\t${formatRFC1123Z(hpa.metadata.creationTimestamp, s.localTime)}\n`);
  w.write(L0, `Reference:\t${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}\n`);
  w.write(L0, 'Metrics:\t( current / target )\n');
  (spec.metrics ?? []).forEach((m, i) => {
    const cur = st?.currentMetrics?.[i];
    if (m.type === 'Pods' && m.pods) {
      const current = cur?.pods ? quantity(cur.pods.current.averageValue) : '<unknown>';
      w.write(L1, `${JSON.stringify(m.pods.metric.name)} on pods:\t${current} / ${quantity(m.pods.target.averageValue)}\n`);
    } else if (m.type === 'Resource' && m.resource) {
      w.write(L1, `resource ${m.resource.name} on pods`);
      const t = m.resource.target;
      if (t.averageValue !== undefined) {
        const current = cur?.resource ? quantity(cur.resource.current.averageValue) : '<unknown>';
        w.write(L0, `:\t${current} / ${quantity(t.averageValue)}\n`);
      } else {
        const u = cur?.resource?.current.averageUtilization;
        const current = u !== undefined ? `${u}% (${quantity(cur?.resource?.current.averageValue)})` : '<unknown>';
        const target = t.averageUtilization !== undefined ? `${t.averageUtilization}%` : '<auto>';
        w.write(L1, `(as a percentage of request):\t${current} / ${target}\n`);
      }
    } else {
      w.write(L1, `<unknown metric type ${JSON.stringify(m.type)}>\n`);
    }
  });
  w.write(L0, `Min replicas:\t${spec.minReplicas === undefined ? '<unset>' : spec.minReplicas}\n`);
  w.write(L0, `Max replicas:\t${spec.maxReplicas}\n`);
  if (spec.behavior) {
    w.write(L0, 'Behavior:\n');
    printDirectionBehavior(w, 'Scale Up', spec.behavior.scaleUp);
    printDirectionBehavior(w, 'Scale Down', spec.behavior.scaleDown);
  }
  w.write(L0, `${spec.scaleTargetRef.kind} pods:\t`);
  w.write(L0, `${st?.currentReplicas ?? 0} current / ${st?.desiredReplicas ?? 0} desired\n`);
  if (st?.conditions?.length) {
    w.write(L0, 'Conditions:\n');
    w.write(L1, 'Type\tStatus\tReason\tMessage\n');
    w.write(L1, '----\t------\t------\t-------\n');
    for (const c of st.conditions) w.write(L1, `${c.type}\t${c.status}\t${c.reason ?? ''}\t${c.message ?? ''}\n`);
  }
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export function describeNamespace(ns: Namespace): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${ns.metadata.name ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', ns.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ns.metadata.annotations);
  w.write(L0, `Status:\t${ns.status?.phase ?? ''}\n`);
  if (ns.status?.conditions?.length) {
    w.write(L0, 'Conditions:\n');
    w.write(L1, 'Type\tStatus\tLastTransitionTime\tReason\tMessage\n');
    w.write(L1, '----\t------\t------------------\t------\t-------\n');
    for (const c of ns.status.conditions) w.write(L1, `${c.type}\t${c.status}\t${formatRFC1123Z(c.lastTransitionTime, false)}\t${c.reason ?? ''}\t${c.message ?? ''}\n`);
  }
  return w.toString();
}

export function describeConfigMap(cm: ConfigMap, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${cm.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${cm.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', cm.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', cm.metadata.annotations);
  w.write(L0, '\nData\n====\n');
  for (const k of sortedKeys(cm.data)) {
    w.write(L0, `${k}:\n----\n`);
    w.write(L0, `${cm.data?.[k] ?? ''}\n`);
    w.write(L0, '\n');
  }
  w.write(L0, '\nBinaryData\n====\n');
  for (const k of sortedKeys(cm.binaryData)) w.write(L0, `${k}: ${Buffer.from(cm.binaryData?.[k] ?? '', 'base64').length} bytes\n`);
  w.write(L0, '\n');
  if (events) describeEvents(events, w, s);
  return w.toString();
}

export function describeSecret(secret: Secret): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${secret.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${secret.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', secret.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', secret.metadata.annotations);
  w.write(L0, `\nType:\t${secret.type ?? ''}\n`);
  w.write(L0, '\nData\n====\n');
  for (const k of sortedKeys(secret.data)) w.write(L0, `${k}:\t${Buffer.from(secret.data?.[k] ?? '', 'base64').length} bytes\n`);
  return w.toString();
}

export function describeEndpoints(ep: Endpoints, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${ep.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${ep.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', ep.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ep.metadata.annotations);
  w.write(L0, 'Subsets:\n');
  for (const ss of ep.subsets ?? []) {
    w.write(L1, `Addresses:\t${(ss.addresses ?? []).map((a) => a.ip).join(',') || '<none>'}\n`);
    w.write(L1, `NotReadyAddresses:\t${(ss.notReadyAddresses ?? []).map((a) => a.ip).join(',') || '<none>'}\n`);
    if (ss.ports?.length) {
      w.write(L1, 'Ports:\n');
      w.write(L2, 'Name\tPort\tProtocol\n');
      w.write(L2, '----\t----\t--------\n');
      for (const p of ss.ports) w.write(L2, `${p.name || '<unset>'}\t${p.port}\t${p.protocol ?? 'TCP'}\n`);
    }
    w.write(L0, '\n');
  }
  if (events) describeEvents(events, w, s);
  return w.toString();
}

// ---- the generic describer ----

const ACRONYMS = new Set(['API', 'URL', 'UID', 'OSB', 'GUID']);

/** fatih/camelcase's split: runs of lower case, upper case (minus a following word's first letter), digits. */
function camelSplit(s: string): string[] {
  const runs: string[] = [];
  const kind = (c: string): number => (/[a-z]/.test(c) ? 1 : /[A-Z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 4);
  let last = -1;
  for (const c of s) {
    const k = kind(c);
    if (k === last && runs.length) runs[runs.length - 1] += c;
    else runs.push(c);
    last = k;
  }
  // "HTTPServer" → ["HTTP", "Server"]: an upper run followed by a lower run gives its last letter away.
  for (let i = 0; i < runs.length - 1; i++) {
    const a = runs[i] as string;
    const b = runs[i + 1] as string;
    if (/^[A-Z]+$/.test(a) && /^[a-z]+$/.test(b)) {
      runs[i + 1] = a.slice(-1) + b;
      runs[i] = a.slice(0, -1);
    }
  }
  return runs.filter((r) => r !== '');
}

/** kubectl's smartLabelFor: `apiVersion` → `API Version`, `creationTimestamp` → `Creation Timestamp`. */
export function smartLabelFor(field: string): string {
  if (/[^A-Za-z-]/.test(field)) return field;
  return camelSplit(field)
    .filter((p) => p !== '_')
    .map((p) => (ACRONYMS.has(p.toUpperCase()) ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1)))
    .join(' ');
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  return String(v);
}

function printUnstructuredContent(w: PrefixWriter, level: number, content: Record<string, unknown>, skipPrefix: string, skip: ReadonlySet<string>): void {
  for (const field of Object.keys(content).sort()) {
    const value = content[field];
    const path = `${skipPrefix}.${field}`;
    if (skip.has(path)) continue;
    if (isRecord(value)) {
      w.write(level, `${smartLabelFor(field)}:\n`);
      printUnstructuredContent(w, level + 1, value, path, skip);
    } else if (Array.isArray(value)) {
      w.write(level, `${smartLabelFor(field)}:\n`);
      for (const child of value) {
        if (isRecord(child)) printUnstructuredContent(w, level + 1, child, path, skip);
        else w.write(level + 1, `${goValue(child)}\n`);
      }
    } else {
      w.write(level, `${smartLabelFor(field)}:\t${goValue(value)}\n`);
    }
  }
}

export function describeGeneric(obj: KubeObject, events: readonly Event[] | undefined, s: DescribeSettings): string {
  const w = new PrefixWriter();
  w.write(L0, `Name:\t${obj.metadata.name ?? ''}\n`);
  w.write(L0, `Namespace:\t${obj.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', obj.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', obj.metadata.annotations);
  const skip = new Set(['.metadata.managedFields', '.metadata.name', '.metadata.namespace', '.metadata.labels', '.metadata.annotations']);
  printUnstructuredContent(w, L0, obj as unknown as Record<string, unknown>, '', skip);
  if (events) describeEvents(events, w, s);
  return w.toString();
}
