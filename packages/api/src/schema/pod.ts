import type * as t from '../types/pod';
import { arr, bool, int, intOrString, map, obj, oneOf, quantity, req, str, stringList, stringMap, time } from './dsl';
import { conditionStatus, labelSelectorSchema, localObjectReferenceSchema, objectMetaSchema } from './meta';

export const protocol = () => oneOf<t.Protocol>('TCP', 'UDP', 'SCTP');
export const resourceList = () => map(quantity());
export const taintEffect = () => oneOf<t.TaintEffect>('NoSchedule', 'PreferNoSchedule', 'NoExecute');

const envVarSource = obj<t.EnvVarSource>('EnvVarSource', {
  configMapKeyRef: obj<t.ConfigMapKeySelector>('ConfigMapKeySelector', {
    name: str(),
    key: req(str()),
    optional: bool(),
  }),
  secretKeyRef: obj<t.SecretKeySelector>('SecretKeySelector', { name: str(), key: req(str()), optional: bool() }),
  fieldRef: obj<t.ObjectFieldSelector>('ObjectFieldSelector', { apiVersion: str(), fieldPath: req(str()) }),
  resourceFieldRef: obj<t.ResourceFieldSelector>('ResourceFieldSelector', {
    containerName: str(),
    resource: req(str()),
    divisor: quantity(),
  }),
});

const envVar = obj<t.EnvVar>('EnvVar', { name: req(str()), value: str(), valueFrom: envVarSource });

const envFromSource = obj<t.EnvFromSource>('EnvFromSource', {
  prefix: str(),
  configMapRef: obj<t.ConfigMapEnvSource>('ConfigMapEnvSource', { name: str(), optional: bool() }),
  secretRef: obj<t.SecretEnvSource>('SecretEnvSource', { name: str(), optional: bool() }),
});

const containerPort = obj<t.ContainerPort>('ContainerPort', {
  name: str(),
  containerPort: req(int()),
  hostPort: int(),
  hostIP: str(),
  protocol: protocol(),
});

export const resourceRequirementsSchema = obj<t.ResourceRequirements>('ResourceRequirements', {
  requests: resourceList(),
  limits: resourceList(),
});

const volumeMount = obj<t.VolumeMount>('VolumeMount', {
  name: req(str()),
  mountPath: req(str()),
  subPath: str(),
  readOnly: bool(),
});

const httpGet = obj<t.HTTPGetAction>('HTTPGetAction', {
  path: str(),
  port: req(intOrString()),
  host: str(),
  scheme: oneOf('HTTP', 'HTTPS'),
  httpHeaders: arr(obj<t.HTTPHeader>('HTTPHeader', { name: req(str()), value: str() })),
});
const tcpSocket = obj<t.TCPSocketAction>('TCPSocketAction', { port: req(intOrString()), host: str() });
const exec = obj<t.ExecAction>('ExecAction', { command: stringList() });

const probe = obj<t.Probe>('Probe', {
  exec,
  httpGet,
  tcpSocket,
  initialDelaySeconds: int(),
  timeoutSeconds: int(),
  periodSeconds: int(),
  successThreshold: int(),
  failureThreshold: int(),
  terminationGracePeriodSeconds: int(),
});

const lifecycleHandler = obj<t.LifecycleHandler>('LifecycleHandler', { exec, httpGet, tcpSocket });

const securityContext = obj<t.SecurityContext>('SecurityContext', {
  runAsUser: int(),
  runAsGroup: int(),
  runAsNonRoot: bool(),
  privileged: bool(),
  readOnlyRootFilesystem: bool(),
  allowPrivilegeEscalation: bool(),
  capabilities: obj<t.Capabilities>('Capabilities', { add: stringList(), drop: stringList() }),
});

export const containerSchema = obj<t.Container>('Container', {
  name: req(str()),
  image: req(str()),
  imagePullPolicy: oneOf('Always', 'IfNotPresent', 'Never'),
  command: stringList(),
  args: stringList(),
  workingDir: str(),
  env: arr(envVar),
  envFrom: arr(envFromSource),
  ports: arr(containerPort),
  resources: resourceRequirementsSchema,
  volumeMounts: arr(volumeMount),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: obj<t.Lifecycle>('Lifecycle', { postStart: lifecycleHandler, preStop: lifecycleHandler }),
  securityContext,
  terminationMessagePath: str(),
  terminationMessagePolicy: oneOf('File', 'FallbackToLogsOnError'),
  stdin: bool(),
  stdinOnce: bool(),
  tty: bool(),
});

const keyToPath = obj<t.KeyToPath>('KeyToPath', { key: req(str()), path: req(str()), mode: int() });

export const hostPathSchema = obj<t.HostPathVolumeSource>('HostPathVolumeSource', {
  path: req(str()),
  type: oneOf('', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'),
});

const volume = obj<t.Volume>('Volume', {
  name: req(str()),
  emptyDir: obj<t.EmptyDirVolumeSource>('EmptyDirVolumeSource', { medium: oneOf('', 'Memory'), sizeLimit: quantity() }),
  hostPath: hostPathSchema,
  configMap: obj<t.ConfigMapVolumeSource>('ConfigMapVolumeSource', {
    name: req(str()),
    items: arr(keyToPath),
    defaultMode: int(),
    optional: bool(),
  }),
  secret: obj<t.SecretVolumeSource>('SecretVolumeSource', {
    secretName: req(str()),
    items: arr(keyToPath),
    defaultMode: int(),
    optional: bool(),
  }),
  persistentVolumeClaim: obj<t.PersistentVolumeClaimVolumeSource>('PersistentVolumeClaimVolumeSource', {
    claimName: req(str()),
    readOnly: bool(),
  }),
});

const nodeSelectorRequirement = obj<t.NodeSelectorRequirement>('NodeSelectorRequirement', {
  key: req(str()),
  operator: req(oneOf('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt')),
  values: stringList(),
});

export const nodeSelectorTermSchema = obj<t.NodeSelectorTerm>('NodeSelectorTerm', {
  matchExpressions: arr(nodeSelectorRequirement),
  matchFields: arr(nodeSelectorRequirement),
});

export const nodeSelectorSchema = obj<t.NodeSelector>('NodeSelector', {
  nodeSelectorTerms: req(arr(nodeSelectorTermSchema)),
});

const podAffinityTerm = obj<t.PodAffinityTerm>('PodAffinityTerm', {
  labelSelector: labelSelectorSchema,
  namespaces: stringList(),
  namespaceSelector: labelSelectorSchema,
  topologyKey: req(str()),
});

const podAffinity = obj<t.PodAffinity>('PodAffinity', {
  requiredDuringSchedulingIgnoredDuringExecution: arr(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: arr(
    obj<t.WeightedPodAffinityTerm>('WeightedPodAffinityTerm', {
      weight: req(int()),
      podAffinityTerm: req(podAffinityTerm),
    }),
  ),
});

const affinity = obj<t.Affinity>('Affinity', {
  nodeAffinity: obj<t.NodeAffinity>('NodeAffinity', {
    requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorSchema,
    preferredDuringSchedulingIgnoredDuringExecution: arr(
      obj<t.PreferredSchedulingTerm>('PreferredSchedulingTerm', {
        weight: req(int()),
        preference: req(nodeSelectorTermSchema),
      }),
    ),
  }),
  podAffinity,
  podAntiAffinity: podAffinity,
});

const toleration = obj<t.Toleration>('Toleration', {
  key: str(),
  operator: oneOf('Exists', 'Equal'),
  value: str(),
  effect: taintEffect(),
  tolerationSeconds: int(),
});

export const podSpecSchema = obj<t.PodSpec>('PodSpec', {
  containers: req(arr(containerSchema)),
  initContainers: arr(containerSchema),
  volumes: arr(volume),
  restartPolicy: oneOf('Always', 'OnFailure', 'Never'),
  terminationGracePeriodSeconds: int(),
  activeDeadlineSeconds: int(),
  dnsPolicy: oneOf('ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'),
  dnsConfig: obj<t.PodDNSConfig>('PodDNSConfig', {
    nameservers: stringList(),
    searches: stringList(),
    options: arr(obj<t.PodDNSConfigOption>('PodDNSConfigOption', { name: str(), value: str() })),
  }),
  nodeSelector: stringMap(),
  nodeName: str(),
  serviceAccountName: str(),
  serviceAccount: str(),
  automountServiceAccountToken: bool(),
  hostNetwork: bool(),
  hostPID: bool(),
  hostIPC: bool(),
  hostname: str(),
  subdomain: str(),
  hostAliases: arr(obj<t.HostAlias>('HostAlias', { ip: req(str()), hostnames: stringList() })),
  affinity,
  tolerations: arr(toleration),
  schedulerName: str(),
  priorityClassName: str(),
  priority: int(),
  securityContext: obj<t.PodSecurityContext>('PodSecurityContext', {
    runAsUser: int(),
    runAsGroup: int(),
    runAsNonRoot: bool(),
    fsGroup: int(),
    supplementalGroups: arr(int()),
  }),
  imagePullSecrets: arr(localObjectReferenceSchema),
  enableServiceLinks: bool(),
});

export const podTemplateSpecSchema = obj<t.PodTemplateSpec>('PodTemplateSpec', {
  metadata: objectMetaSchema,
  spec: req(podSpecSchema),
});

const containerState = obj<t.ContainerState>('ContainerState', {
  waiting: obj<t.ContainerStateWaiting>('ContainerStateWaiting', { reason: str(), message: str() }),
  running: obj<t.ContainerStateRunning>('ContainerStateRunning', { startedAt: time() }),
  terminated: obj<t.ContainerStateTerminated>('ContainerStateTerminated', {
    exitCode: int(),
    signal: int(),
    reason: str(),
    message: str(),
    startedAt: time(),
    finishedAt: time(),
    containerID: str(),
  }),
});

const containerStatus = obj<t.ContainerStatus>('ContainerStatus', {
  name: req(str()),
  state: containerState,
  lastState: containerState,
  ready: bool(),
  started: bool(),
  restartCount: int(),
  image: str(),
  imageID: str(),
  containerID: str(),
});

const podIP = obj<t.PodIP>('PodIP', { ip: req(str()) });

const podStatus = obj<t.PodStatus>('PodStatus', {
  phase: oneOf('Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'),
  conditions: arr(
    obj<t.PodCondition>('PodCondition', {
      type: req(str()),
      status: conditionStatus(),
      lastProbeTime: time(),
      lastTransitionTime: time(),
      reason: str(),
      message: str(),
    }),
  ),
  message: str(),
  reason: str(),
  hostIP: str(),
  hostIPs: arr(podIP),
  podIP: str(),
  podIPs: arr(podIP),
  nominatedNodeName: str(),
  startTime: time(),
  initContainerStatuses: arr(containerStatus),
  containerStatuses: arr(containerStatus),
  qosClass: oneOf('Guaranteed', 'Burstable', 'BestEffort'),
});

export const podSchema = obj<t.Pod>('Pod', {
  apiVersion: req(str()),
  kind: req(str()),
  metadata: objectMetaSchema,
  spec: req(podSpecSchema),
  status: podStatus,
});
