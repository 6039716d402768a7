/**
 * Kubernetes' defaults for the fields mk supports (the defaults.go of each API group in Kubernetes). `applyDefaults`
 * is pure: it returns a defaulted copy and never touches its input. Pod templates inside workload
 * kinds get the pod defaults too, as in Kubernetes. An empty string counts as unset.
 */
import type {
  AnyObject,
  Container,
  CronJob,
  DaemonSet,
  Deployment,
  Endpoints,
  HTTPGetAction,
  HorizontalPodAutoscaler,
  HPAScalingRules,
  Job,
  JobSpec,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaimSpec,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicaSet,
  Secret,
  Service,
  StatefulSet,
  LifecycleHandler,
  PersistentVolumeClaim,
} from './types';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** 0644, the default mode of configMap and secret volume files. */
export const DEFAULT_VOLUME_MODE = 0o644;

const unset = (v: unknown): boolean => v === undefined || v === null || v === '';

/** `Always` for `:latest` or no tag, else `IfNotPresent` (a digest counts as pinned). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagStart = image.indexOf(':', lastSlash + 1);
  if (tagStart < 0) return 'Always';
  return image.slice(tagStart + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(h: HTTPGetAction | undefined): void {
  if (!h) return;
  if (unset(h.path)) h.path = '/';
  if (unset(h.scheme)) h.scheme = 'HTTP';
}

function defaultHandler(h: LifecycleHandler | undefined): void {
  defaultHTTPGet(h?.httpGet);
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHTTPGet(p.httpGet);
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  if (unset(c.imagePullPolicy) && typeof c.image === 'string') c.imagePullPolicy = defaultPullPolicy(c.image);
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  if (unset(c.terminationMessagePolicy)) c.terminationMessagePolicy = 'File';
  for (const p of c.ports ?? []) {
    if (unset(p.protocol)) p.protocol = 'TCP';
    if (hostNetwork && !p.hostPort) p.hostPort = p.containerPort;
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.fieldRef;
    if (ref && unset(ref.apiVersion)) ref.apiVersion = 'v1';
  }
  // Requests default to limits, resource by resource.
  const limits = c.resources?.limits;
  if (c.resources && limits && Object.keys(limits).length > 0) {
    const requests = { ...(c.resources.requests ?? {}) };
    for (const [name, q] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = q;
    c.resources.requests = requests;
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHandler(c.lifecycle?.postStart);
  defaultHandler(c.lifecycle?.preStop);
}

function defaultPodSpec(spec: PodSpec | undefined): void {
  if (!spec) return;
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (unset(spec.schedulerName)) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  spec.enableServiceLinks ??= true;
  if (!unset(spec.serviceAccountName) && unset(spec.serviceAccount)) spec.serviceAccount = spec.serviceAccountName;
  else if (!unset(spec.serviceAccount) && unset(spec.serviceAccountName)) spec.serviceAccountName = spec.serviceAccount;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const v of spec.volumes ?? []) {
    const hasSource = v.emptyDir || v.hostPath || v.configMap || v.secret || v.persistentVolumeClaim;
    if (!hasSource) v.emptyDir = {};
    if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
    if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
    if (v.hostPath) v.hostPath.type ??= '';
  }
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  defaultPodSpec(t?.spec);
}

function defaultPVCSpec(spec: PersistentVolumeClaimSpec | undefined): void {
  if (spec && unset(spec.volumeMode)) spec.volumeMode = 'Filesystem';
}

function defaultJobSpec(spec: JobSpec | undefined): void {
  if (!spec) return;
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
  spec.suspend ??= false;
  defaultTemplate(spec.template);
}

function defaultScalingRules(rules: HPAScalingRules | undefined, up: boolean): HPAScalingRules {
  const r: HPAScalingRules = { ...(rules ?? {}) };
  r.stabilizationWindowSeconds ??= up ? 0 : 300;
  if (unset(r.selectPolicy)) r.selectPolicy = 'Max';
  r.policies ??= up
    ? [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ]
    : [{ type: 'Percent', value: 100, periodSeconds: 15 }];
  return r;
}

const base64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

type Defaulter<T> = (obj: T) => void;

const defaulters: { [K in AnyObject['kind']]?: Defaulter<Extract<AnyObject, { kind: K }>> } = {
  Pod: (p: Pod) => defaultPodSpec(p.spec),
  Namespace: (ns: Namespace) => {
    ns.status = { ...(ns.status ?? {}) };
    if (unset(ns.status.phase)) ns.status.phase = 'Active';
  },
  Node: (n: Node) => {
    if (n.status?.capacity && !n.status.allocatable) n.status.allocatable = { ...n.status.capacity };
  },
  Service: (s: Service) => {
    const spec = s.spec;
    if (!spec) return;
    if (unset(spec.type)) spec.type = 'ClusterIP';
    if (unset(spec.sessionAffinity)) spec.sessionAffinity = 'None';
    if (spec.sessionAffinity === 'ClientIP') {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800, ...(spec.sessionAffinityConfig?.clientIP ?? {}) } };
    }
    for (const p of spec.ports ?? []) {
      if (unset(p.protocol)) p.protocol = 'TCP';
      if (unset(p.targetPort) || p.targetPort === 0) p.targetPort = p.port;
    }
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && unset(spec.externalTrafficPolicy)) {
      spec.externalTrafficPolicy = 'Cluster';
    }
    if (spec.type !== 'ExternalName' && unset(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = 'Cluster';
  },
  Endpoints: (e: Endpoints) => {
    for (const subset of e.subsets ?? []) for (const p of subset.ports ?? []) if (unset(p.protocol)) p.protocol = 'TCP';
  },
  Secret: (s: Secret) => {
    if (unset(s.type)) s.type = 'Opaque';
    if (s.stringData) {
      const data = { ...(s.data ?? {}) };
      for (const [k, v] of Object.entries(s.stringData)) data[k] = base64(v);
      s.data = data;
      delete s.stringData;
    }
  },
  PersistentVolume: (pv: PersistentVolume) => {
    if (pv.spec) {
      if (unset(pv.spec.persistentVolumeReclaimPolicy)) pv.spec.persistentVolumeReclaimPolicy = 'Retain';
      if (unset(pv.spec.volumeMode)) pv.spec.volumeMode = 'Filesystem';
    }
    pv.status = { ...(pv.status ?? {}) };
    if (unset(pv.status.phase)) pv.status.phase = 'Pending';
  },
  PersistentVolumeClaim: (pvc: PersistentVolumeClaim) => {
    defaultPVCSpec(pvc.spec);
    pvc.status = { ...(pvc.status ?? {}) };
    if (unset(pvc.status.phase)) pvc.status.phase = 'Pending';
  },
  Deployment: (d: Deployment) => {
    const spec = d.spec;
    if (!spec) return;
    spec.replicas ??= 1;
    spec.strategy = { ...(spec.strategy ?? {}) };
    if (unset(spec.strategy.type)) spec.strategy.type = 'RollingUpdate';
    if (spec.strategy.type === 'RollingUpdate') {
      const ru = { ...(spec.strategy.rollingUpdate ?? {}) };
      if (unset(ru.maxUnavailable)) ru.maxUnavailable = '25%';
      if (unset(ru.maxSurge)) ru.maxSurge = '25%';
      spec.strategy.rollingUpdate = ru;
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultTemplate(spec.template);
  },
  ReplicaSet: (rs: ReplicaSet) => {
    if (!rs.spec) return;
    rs.spec.replicas ??= 1;
    defaultTemplate(rs.spec.template);
  },
  DaemonSet: (ds: DaemonSet) => {
    const spec = ds.spec;
    if (!spec) return;
    spec.updateStrategy = { ...(spec.updateStrategy ?? {}) };
    if (unset(spec.updateStrategy.type)) spec.updateStrategy.type = 'RollingUpdate';
    if (spec.updateStrategy.type === 'RollingUpdate') {
      const ru = { ...(spec.updateStrategy.rollingUpdate ?? {}) };
      if (unset(ru.maxUnavailable)) ru.maxUnavailable = 1;
      if (unset(ru.maxSurge)) ru.maxSurge = 0;
      spec.updateStrategy.rollingUpdate = ru;
    }
    spec.revisionHistoryLimit ??= 10;
    defaultTemplate(spec.template);
  },
  StatefulSet: (ss: StatefulSet) => {
    const spec = ss.spec;
    if (!spec) return;
    spec.replicas ??= 1;
    if (unset(spec.podManagementPolicy)) spec.podManagementPolicy = 'OrderedReady';
    spec.updateStrategy = { ...(spec.updateStrategy ?? {}) };
    if (unset(spec.updateStrategy.type)) spec.updateStrategy.type = 'RollingUpdate';
    if (spec.updateStrategy.type === 'RollingUpdate') {
      spec.updateStrategy.rollingUpdate = { partition: 0, ...(spec.updateStrategy.rollingUpdate ?? {}) };
    }
    spec.revisionHistoryLimit ??= 10;
    spec.persistentVolumeClaimRetentionPolicy = {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
      ...(spec.persistentVolumeClaimRetentionPolicy ?? {}),
    };
    for (const t of spec.volumeClaimTemplates ?? []) defaultPVCSpec(t.spec);
    defaultTemplate(spec.template);
  },
  Job: (j: Job) => defaultJobSpec(j.spec),
  CronJob: (cj: CronJob) => {
    const spec = cj.spec;
    if (!spec) return;
    if (unset(spec.concurrencyPolicy)) spec.concurrencyPolicy = 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    defaultTemplate(spec.jobTemplate?.spec?.template);
  },
  HorizontalPodAutoscaler: (hpa: HorizontalPodAutoscaler) => {
    const spec = hpa.spec;
    if (!spec) return;
    spec.minReplicas ??= 1;
    if (!spec.metrics || spec.metrics.length === 0) {
      spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
    }
    if (spec.behavior) {
      spec.behavior = {
        scaleUp: defaultScalingRules(spec.behavior.scaleUp, true),
        scaleDown: defaultScalingRules(spec.behavior.scaleDown, false),
      };
    }
  },
};

/** A defaulted copy of `obj` (Kubernetes' defaults for every supported field). */
export function applyDefaults<T extends AnyObject>(obj: T): T {
  const copy = structuredClone(obj);
  const defaulter = (Object.hasOwn(defaulters, copy.kind) ? defaulters[copy.kind] : undefined) as Defaulter<T> | undefined; // picked by the object's own kind
  defaulter?.(copy);
  return copy;
}

/** A defaulted copy of a pod spec (for code that builds pods from templates). */
export function defaultedPodSpec(spec: PodSpec): PodSpec {
  const copy = structuredClone(spec);
  defaultPodSpec(copy);
  return copy;
}

/**
 * What the API server does to a new Job without `manualSelector: true`: a selector on the Job's
 * uid, and the matching labels on its pod template. Returns a copy; needs metadata.uid.
 */
export function withGeneratedJobSelector(job: Job): Job {
  if (job.spec.manualSelector === true || !job.metadata.uid) return job;
  const uid = job.metadata.uid;
  const name = job.metadata.name ?? '';
  const copy = structuredClone(job);
  copy.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  const meta = { ...(copy.spec.template.metadata ?? {}) };
  meta.labels = {
    ...(meta.labels ?? {}),
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  copy.spec.template.metadata = meta;
  return copy;
}
