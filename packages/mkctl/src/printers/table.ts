/**
 * `mkctl get` tables: kubectl's columns per kind (k8s.io/kubernetes/pkg/printers/internalversion),
 * with -o wide's extra columns, NAMESPACE first under -A, label columns and --show-labels last.
 */
import {
  canonicalQuantity,
  formatLabels,
  type KubeObject,
  type ResourceInfo,
  selectorFromLabelSelector,
  type ConfigMap,
  type Container,
  type CronJob,
  type DaemonSet,
  type Deployment,
  type Endpoints,
  type Event,
  type HorizontalPodAutoscaler,
  type Job,
  type LabelSelector,
  type Lease,
  type Namespace,
  type Node,
  type PersistentVolume,
  type PersistentVolumeAccessMode,
  type PersistentVolumeClaim,
  type Pod,
  type ReplicaSet,
  type Secret,
  type Service,
  type StatefulSet,
} from '@mk/api';
import { objectName } from '../resources';
import { humanDuration, parseTime, since } from '../time';

export interface RowOptions {
  wide: boolean;
  /** The clock's now, ms since the epoch. */
  now: number;
}

interface KindTable {
  headers: string[];
  wideHeaders: string[];
  row(obj: KubeObject, o: RowOptions): string[];
}

const str = (n: number | undefined): string => String(n ?? 0);

// ---- pods ----

/** kubectl's READY, STATUS and RESTARTS of a pod (printPod). */
export function podSummary(pod: Pod, now: number): { ready: string; status: string; restarts: string } {
  const status = pod.status ?? {};
  let restarts = 0;
  let lastRestart: number | undefined;
  const total = pod.spec?.containers?.length ?? 0;
  let readyContainers = 0;
  let reason: string = status.phase ?? '';
  if (status.reason) reason = status.reason;

  const noteRestart = (finishedAt: string | undefined): void => {
    const t = parseTime(finishedAt);
    if (t !== undefined && (lastRestart === undefined || t > lastRestart)) lastRestart = t;
  };

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  const initCount = pod.spec?.initContainers?.length ?? 0;
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    noteRestart(c.lastState?.terminated?.finishedAt);
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
      else reason = `Init:${term.reason}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = 0;
    lastRestart = undefined;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      noteRestart(c.lastState?.terminated?.finishedAt);
      const waiting = c.state?.waiting;
      const term = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  return { ready: `${readyContainers}/${total}`, status: reason, restarts: restartsStr };
}

const podTable: KindTable = {
  headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
  wideHeaders: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
  row(obj, o) {
    const pod = obj as Pod;
    const s = podSummary(pod, o.now);
    const cells = [pod.metadata.name ?? '', s.ready, s.status, s.restarts, since(pod.metadata.creationTimestamp, o.now)];
    if (o.wide) {
      const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || '<none>';
      cells.push(ip, pod.spec?.nodeName || '<none>', pod.status?.nominatedNodeName || '<none>', '<none>');
    }
    return cells;
  },
};

// ---- workloads ----

function containerCells(containers: readonly Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image).join(',')];
}

/** A LabelSelector as kubectl's SELECTOR column of workloads prints it (`metav1.LabelSelectorAsSelector`). */
function selectorString(ls: LabelSelector | undefined): string {
  try {
    return selectorFromLabelSelector(ls).toString();
  } catch {
    return '<invalid>';
  }
}

/** metav1.FormatLabelSelector: `<none>` when empty. */
function formatSelector(ls: LabelSelector | undefined): string {
  if (!ls) return '<none>';
  const s = selectorString(ls);
  return s === '' ? '<none>' : s;
}

const deploymentTable: KindTable = {
  headers: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  row(obj, o) {
    const d = obj as Deployment;
    const st = d.status ?? {};
    const cells = [d.metadata.name ?? '', `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, str(st.updatedReplicas), str(st.availableReplicas), since(d.metadata.creationTimestamp, o.now)];
    if (o.wide) cells.push(...containerCells(d.spec?.template?.spec?.containers), selectorString(d.spec?.selector));
    return cells;
  },
};

const replicaSetTable: KindTable = {
  headers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  row(obj, o) {
    const rs = obj as ReplicaSet;
    const cells = [rs.metadata.name ?? '', str(rs.spec?.replicas), str(rs.status?.replicas), str(rs.status?.readyReplicas), since(rs.metadata.creationTimestamp, o.now)];
    if (o.wide) cells.push(...containerCells(rs.spec?.template?.spec?.containers), selectorString(rs.spec?.selector));
    return cells;
  },
};

const daemonSetTable: KindTable = {
  headers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  row(obj, o) {
    const ds = obj as DaemonSet;
    const st = ds.status;
    const cells = [
      ds.metadata.name ?? '',
      str(st?.desiredNumberScheduled),
      str(st?.currentNumberScheduled),
      str(st?.numberReady),
      str(st?.updatedNumberScheduled),
      str(st?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      since(ds.metadata.creationTimestamp, o.now),
    ];
    if (o.wide) cells.push(...containerCells(ds.spec?.template?.spec?.containers), selectorString(ds.spec?.selector));
    return cells;
  },
};

const statefulSetTable: KindTable = {
  headers: ['NAME', 'READY', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES'],
  row(obj, o) {
    const ss = obj as StatefulSet;
    const cells = [ss.metadata.name ?? '', `${ss.status?.readyReplicas ?? 0}/${ss.spec?.replicas ?? 0}`, since(ss.metadata.creationTimestamp, o.now)];
    if (o.wide) cells.push(...containerCells(ss.spec?.template?.spec?.containers));
    return cells;
  },
};

function hasCondition(conds: readonly { type: string; status: string }[] | undefined, type: string): boolean {
  return (conds ?? []).some((c) => c.type === type && c.status === 'True');
}

const jobTable: KindTable = {
  headers: ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  row(obj, o) {
    const job = obj as Job;
    const st = job.status ?? {};
    let completions: string;
    if (job.spec?.completions !== undefined) completions = `${st.succeeded ?? 0}/${job.spec.completions}`;
    else {
      const parallelism = job.spec?.parallelism ?? 0;
      completions = parallelism > 1 ? `${st.succeeded ?? 0}/1 of ${parallelism}` : `${st.succeeded ?? 0}/1`;
    }
    const start = parseTime(st.startTime);
    const end = parseTime(st.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? o.now) - start);
    let status = 'Running';
    if (hasCondition(st.conditions, 'Complete')) status = 'Complete';
    else if (hasCondition(st.conditions, 'Failed')) status = 'Failed';
    else if (job.metadata.deletionTimestamp) status = 'Terminating';
    else if (hasCondition(st.conditions, 'Suspended')) status = 'Suspended';
    else if (hasCondition(st.conditions, 'FailureTarget')) status = 'FailureTarget';
    const cells = [job.metadata.name ?? '', status, completions, duration, since(job.metadata.creationTimestamp, o.now)];
    if (o.wide) cells.push(...containerCells(job.spec?.template?.spec?.containers), formatSelector(job.spec?.selector));
    return cells;
  },
};

const cronJobTable: KindTable = {
  headers: ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
  wideHeaders: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
  row(obj, o) {
    const cj = obj as CronJob;
    const suspend = cj.spec?.suspend === undefined ? '<unset>' : cj.spec.suspend ? 'True' : 'False';
    const last = cj.status?.lastScheduleTime ? since(cj.status.lastScheduleTime, o.now) : '<none>';
    const cells = [cj.metadata.name ?? '', cj.spec?.schedule ?? '', '<none>', suspend, String(cj.status?.active?.length ?? 0), last, since(cj.metadata.creationTimestamp, o.now)];
    if (o.wide) cells.push(...containerCells(cj.spec?.jobTemplate?.spec?.template?.spec?.containers), formatSelector(cj.spec?.jobTemplate?.spec?.selector));
    return cells;
  },
};

const hpaTable: KindTable = {
  headers: ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
  wideHeaders: [],
  row(obj, o) {
    const hpa = obj as HorizontalPodAutoscaler;
    const ref = hpa.spec?.scaleTargetRef;
    return [
      hpa.metadata.name ?? '',
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      hpaTargets(hpa),
      hpa.spec?.minReplicas === undefined ? '<unset>' : String(hpa.spec.minReplicas),
      str(hpa.spec?.maxReplicas),
      str(hpa.status?.currentReplicas),
      since(hpa.metadata.creationTimestamp, o.now),
    ];
  },
};

function q(v: string | undefined): string {
  if (v === undefined) return '0';
  try {
    return canonicalQuantity(v);
  } catch {
    return v;
  }
}

/** kubectl's formatHPAMetrics. */
function hpaTargets(hpa: HorizontalPodAutoscaler): string {
  const specs = hpa.spec?.metrics ?? [];
  const statuses = hpa.status?.currentMetrics ?? [];
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses[i];
    if (spec.type === 'Pods' && spec.pods) {
      const current = st?.pods ? q(st.pods.current.averageValue) : '<unknown>';
      list.push(`${current}/${q(spec.pods.target.averageValue)}`);
    } else if (spec.type === 'Resource' && spec.resource) {
      const t = spec.resource.target;
      if (t.averageValue !== undefined) {
        const current = st?.resource ? q(st.resource.current.averageValue) : '<unknown>';
        list.push(`${spec.resource.name}: ${current}/${q(t.averageValue)}`);
      } else {
        const u = st?.resource?.current.averageUtilization;
        const current = u !== undefined ? `${u}%` : '<unknown>';
        const target = t.averageUtilization !== undefined ? `${t.averageUtilization}%` : '<auto>';
        list.push(`${spec.resource.name}: ${current}/${target}`);
      }
    } else {
      list.push('<unknown type>');
    }
  });
  if (list.length > 2) return `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...`;
  return list.join(', ');
}

// ---- services, endpoints, config ----

function servicePorts(svc: Service): string {
  const s = (svc.spec?.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
  return s === '' ? '<none>' : s;
}

function serviceExternalIP(svc: Service, wide: boolean): string {
  const external = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = [...new Set((svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter((x) => x))].sort();
      let lb = ingress.join(',');
      if (!wide && lb.length > 16) lb = `${lb.slice(0, 13)}...`;
      if (external.length) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

const serviceTable: KindTable = {
  headers: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
  wideHeaders: ['SELECTOR'],
  row(obj, o) {
    const svc = obj as Service;
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || '<none>';
    const cells = [svc.metadata.name ?? '', svc.spec?.type ?? 'ClusterIP', clusterIP, serviceExternalIP(svc, o.wide), servicePorts(svc), since(svc.metadata.creationTimestamp, o.now)];
    if (o.wide) cells.push(formatLabels(svc.spec?.selector));
    return cells;
  },
};

const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** kubectl's formatEndpoints: up to three `ip:port`, then `+ N more...`; only ports named in `ports`, if given. */
export function formatEndpoints(ep: Endpoints | undefined, ports?: ReadonlySet<string>): string {
  const subsets = ep?.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    if (!ss.ports || ss.ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ss.ports) {
      if (ports && !ports.has(port.name ?? '')) continue;
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(hostPort(a.ip, port.port));
      }
    }
  }
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<none>' : ret;
}

const endpointsTable: KindTable = {
  headers: ['NAME', 'ENDPOINTS', 'AGE'],
  wideHeaders: [],
  row: (obj, o) => [obj.metadata.name ?? '', formatEndpoints(obj as Endpoints), since(obj.metadata.creationTimestamp, o.now)],
};

const configMapTable: KindTable = {
  headers: ['NAME', 'DATA', 'AGE'],
  wideHeaders: [],
  row(obj, o) {
    const cm = obj as ConfigMap;
    const n = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
    return [cm.metadata.name ?? '', String(n), since(cm.metadata.creationTimestamp, o.now)];
  },
};

const secretTable: KindTable = {
  headers: ['NAME', 'TYPE', 'DATA', 'AGE'],
  wideHeaders: [],
  row(obj, o) {
    const s = obj as Secret;
    return [s.metadata.name ?? '', s.type ?? 'Opaque', String(Object.keys(s.data ?? {}).length), since(s.metadata.creationTimestamp, o.now)];
  },
};

const namespaceTable: KindTable = {
  headers: ['NAME', 'STATUS', 'AGE'],
  wideHeaders: [],
  row: (obj, o) => [obj.metadata.name ?? '', (obj as Namespace).status?.phase ?? '', since(obj.metadata.creationTimestamp, o.now)],
};

// ---- nodes ----

/** kubectl's node roles: `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role`. */
export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return [...roles].sort();
}

/** `Ready`, `NotReady`, `Unknown`, with `,SchedulingDisabled`. */
export function nodeStatus(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

const nodeTable: KindTable = {
  headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
  wideHeaders: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
  row(obj, o) {
    const node = obj as Node;
    const roles = nodeRoles(node).join(',') || '<none>';
    const info = node.status?.nodeInfo;
    const cells = [node.metadata.name ?? '', nodeStatus(node), roles, since(node.metadata.creationTimestamp, o.now), info?.kubeletVersion ?? ''];
    if (o.wide) {
      const addr = (t: string): string => node.status?.addresses?.find((a) => a.type === t)?.address ?? '<none>';
      cells.push(addr('InternalIP'), addr('ExternalIP'), info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.containerRuntimeVersion || '<unknown>');
    }
    return cells;
  },
};

// ---- events ----

/** kubectl's event source: `component, host`, `<unknown>` without a component. */
export function eventSource(e: Event): string {
  const component = e.source?.component || e.reportingComponent || '';
  const instance = e.source?.host || e.reportingInstance || '';
  if (!component) return '<unknown>';
  return instance ? `${component}, ${instance}` : component;
}

const eventTable: KindTable = {
  headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  wideHeaders: [],
  row(obj, o) {
    const e = obj as Event;
    const first = e.firstTimestamp ? since(e.firstTimestamp, o.now) : since(e.eventTime, o.now);
    let last = e.lastTimestamp ? since(e.lastTimestamp, o.now) : first;
    let count = e.count ?? 0;
    if (e.series) {
      last = since(e.series.lastObservedTime, o.now);
      count = e.series.count ?? 0;
    } else if (count === 0) count = 1;
    const kind = (e.involvedObject?.kind ?? '').toLowerCase();
    const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
    const message = (e.message ?? '').trim();
    if (o.wide) return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject?.fieldPath ?? '', eventSource(e), message, first, String(count), e.metadata.name ?? ''];
    return [last, e.type ?? '', e.reason ?? '', target, message];
  },
};

// ---- storage, leases ----

export function accessModes(modes: readonly PersistentVolumeAccessMode[] | undefined): string {
  const m = new Set(modes ?? []);
  const out: string[] = [];
  if (m.has('ReadWriteOnce')) out.push('RWO');
  if (m.has('ReadOnlyMany')) out.push('ROX');
  if (m.has('ReadWriteMany')) out.push('RWX');
  if (m.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

const pvTable: KindTable = {
  headers: ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE'],
  wideHeaders: ['VOLUMEMODE'],
  row(obj, o) {
    const pv = obj as PersistentVolume;
    const claim = pv.spec?.claimRef ? `${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}` : '';
    const phase = pv.metadata.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');
    const cells = [
      pv.metadata.name ?? '',
      q(pv.spec?.capacity?.storage),
      accessModes(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      phase,
      claim,
      pv.spec?.storageClassName ?? '',
      '<unset>',
      pv.status?.reason ?? '',
      since(pv.metadata.creationTimestamp, o.now),
    ];
    if (o.wide) cells.push(pv.spec?.volumeMode ?? '<unset>');
    return cells;
  },
};

const pvcTable: KindTable = {
  headers: ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'],
  wideHeaders: ['VOLUMEMODE'],
  row(obj, o) {
    const pvc = obj as PersistentVolumeClaim;
    const phase = pvc.metadata.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
    const bound = !!pvc.spec?.volumeName;
    const cells = [
      pvc.metadata.name ?? '',
      phase,
      pvc.spec?.volumeName ?? '',
      bound ? q(pvc.status?.capacity?.storage) : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      pvc.spec?.storageClassName ?? '',
      '<unset>',
      since(pvc.metadata.creationTimestamp, o.now),
    ];
    if (o.wide) cells.push(pvc.spec?.volumeMode ?? '<unset>');
    return cells;
  },
};

const leaseTable: KindTable = {
  headers: ['NAME', 'HOLDER', 'AGE'],
  wideHeaders: [],
  row: (obj, o) => [obj.metadata.name ?? '', (obj as Lease).spec?.holderIdentity ?? '', since(obj.metadata.creationTimestamp, o.now)],
};

const genericTable: KindTable = {
  headers: ['NAME', 'AGE'],
  wideHeaders: [],
  row: (obj, o) => [obj.metadata.name ?? '', since(obj.metadata.creationTimestamp, o.now)],
};

const tables: Record<string, KindTable> = {
  Pod: podTable,
  Deployment: deploymentTable,
  ReplicaSet: replicaSetTable,
  DaemonSet: daemonSetTable,
  StatefulSet: statefulSetTable,
  Job: jobTable,
  CronJob: cronJobTable,
  HorizontalPodAutoscaler: hpaTable,
  Service: serviceTable,
  Endpoints: endpointsTable,
  ConfigMap: configMapTable,
  Secret: secretTable,
  Namespace: namespaceTable,
  Node: nodeTable,
  Event: eventTable,
  PersistentVolume: pvTable,
  PersistentVolumeClaim: pvcTable,
  Lease: leaseTable,
};

export interface TableSettings {
  wide: boolean;
  /** -A: a NAMESPACE column first (namespaced kinds only). */
  withNamespace: boolean;
  /** Names as `kind.group/name` (several types were asked for). */
  withKind: boolean;
  showLabels: boolean;
  /** -L: one column per label key. */
  labelColumns: readonly string[];
}

/** The table of one resource type: its header and a row per object. */
export class ResourceTable {
  private readonly table: KindTable;

  constructor(
    readonly info: ResourceInfo,
    private readonly settings: TableSettings,
  ) {
    this.table = tables[info.kind] ?? genericTable;
  }

  private get withNamespace(): boolean {
    return this.settings.withNamespace && this.info.namespaced;
  }

  header(): string[] {
    const s = this.settings;
    const wideHeaders = s.wide ? (this.info.kind === 'Event' ? ['SUBOBJECT', 'SOURCE', 'MESSAGE', 'FIRST SEEN', 'COUNT', 'NAME'] : this.table.wideHeaders) : [];
    let cols = [...this.table.headers];
    if (s.wide && this.info.kind === 'Event') cols = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', ...wideHeaders];
    else cols.push(...wideHeaders);
    if (this.withNamespace) cols.unshift('NAMESPACE');
    for (const l of s.labelColumns) cols.push((l.split('/').pop() ?? l).toUpperCase());
    if (s.showLabels) cols.push('LABELS');
    return cols;
  }

  row(obj: KubeObject, now: number): string[] {
    const s = this.settings;
    const cells = this.table.row(obj, { wide: s.wide, now });
    // The NAME column of kinds that have one: `kind.group/name` when several types print.
    if (s.withKind && this.info.kind !== 'Event' && cells.length > 0) cells[0] = objectName(this.info, cells[0] ?? '');
    if (this.withNamespace) cells.unshift(obj.metadata.namespace ?? '');
    for (const l of s.labelColumns) cells.push(obj.metadata.labels?.[l] ?? '');
    if (s.showLabels) cells.push(formatLabels(obj.metadata.labels));
    return cells;
  }
}
