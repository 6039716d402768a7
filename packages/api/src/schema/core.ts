import type * as t from '../types/core';
import { arr, bool, bytes, int, intOrString, map, obj, oneOf, req, str, stringList, stringMap, time } from './dsl';
import { conditionStatus, labelSelectorSchema, objectMetaSchema, objectReferenceSchema } from './meta';
import { hostPathSchema, nodeSelectorSchema, protocol, resourceList, taintEffect } from './pod';

const top = { apiVersion: req(str()), kind: req(str()), metadata: objectMetaSchema };

export const namespaceSchema = obj<t.Namespace>('Namespace', {
  ...top,
  spec: obj<t.NamespaceSpec>('NamespaceSpec', { finalizers: stringList() }),
  status: obj<t.NamespaceStatus>('NamespaceStatus', {
    phase: oneOf('Active', 'Terminating'),
    conditions: arr(
      obj<t.NamespaceCondition>('NamespaceCondition', {
        type: req(str()),
        status: conditionStatus(),
        lastTransitionTime: time(),
        reason: str(),
        message: str(),
      }),
    ),
  }),
});

export const nodeSchema = obj<t.Node>('Node', {
  ...top,
  spec: obj<t.NodeSpec>('NodeSpec', {
    podCIDR: str(),
    podCIDRs: stringList(),
    providerID: str(),
    unschedulable: bool(),
    taints: arr(
      obj<t.Taint>('Taint', { key: req(str()), value: str(), effect: req(taintEffect()), timeAdded: time() }),
    ),
  }),
  status: obj<t.NodeStatus>('NodeStatus', {
    capacity: resourceList(),
    allocatable: resourceList(),
    phase: str(),
    conditions: arr(
      obj<t.NodeCondition>('NodeCondition', {
        type: req(str()),
        status: conditionStatus(),
        lastHeartbeatTime: time(),
        lastTransitionTime: time(),
        reason: str(),
        message: str(),
      }),
    ),
    addresses: arr(
      obj<t.NodeAddress>('NodeAddress', {
        type: req(oneOf('Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS')),
        address: req(str()),
      }),
    ),
    daemonEndpoints: obj<t.NodeDaemonEndpoints>('NodeDaemonEndpoints', {
      kubeletEndpoint: obj<t.DaemonEndpoint>('DaemonEndpoint', { Port: int() }),
    }),
    nodeInfo: obj<t.NodeSystemInfo>('NodeSystemInfo', {
      machineID: str(),
      systemUUID: str(),
      bootID: str(),
      kernelVersion: str(),
      osImage: str(),
      containerRuntimeVersion: str(),
      kubeletVersion: str(),
      kubeProxyVersion: str(),
      operatingSystem: str(),
      architecture: str(),
    }),
    images: arr(obj<t.ContainerImage>('ContainerImage', { names: stringList(), sizeBytes: int() })),
  }),
});

export const serviceSchema = obj<t.Service>('Service', {
  ...top,
  spec: req(
    obj<t.ServiceSpec>('ServiceSpec', {
      type: oneOf('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
      selector: stringMap(),
      ports: arr(
        obj<t.ServicePort>('ServicePort', {
          name: str(),
          protocol: protocol(),
          appProtocol: str(),
          port: req(int()),
          targetPort: intOrString(),
          nodePort: int(),
        }),
      ),
      clusterIP: str(),
      clusterIPs: stringList(),
      externalIPs: stringList(),
      externalName: str(),
      sessionAffinity: oneOf('None', 'ClientIP'),
      sessionAffinityConfig: obj<t.SessionAffinityConfig>('SessionAffinityConfig', {
        clientIP: obj<NonNullable<t.SessionAffinityConfig['clientIP']>>('ClientIPConfig', { timeoutSeconds: int() }),
      }),
      externalTrafficPolicy: oneOf('Cluster', 'Local'),
      internalTrafficPolicy: oneOf('Cluster', 'Local'),
      publishNotReadyAddresses: bool(),
      loadBalancerIP: str(),
      ipFamilies: arr(oneOf('IPv4', 'IPv6')),
      ipFamilyPolicy: oneOf('SingleStack', 'PreferDualStack', 'RequireDualStack'),
    }),
  ),
  status: obj<t.ServiceStatus>('ServiceStatus', {
    loadBalancer: obj<NonNullable<t.ServiceStatus['loadBalancer']>>('LoadBalancerStatus', {
      ingress: arr(obj<t.LoadBalancerIngress>('LoadBalancerIngress', { ip: str(), hostname: str() })),
    }),
  }),
});

const endpointAddress = obj<t.EndpointAddress>('EndpointAddress', {
  ip: req(str()),
  hostname: str(),
  nodeName: str(),
  targetRef: objectReferenceSchema,
});

export const endpointsSchema = obj<t.Endpoints>('Endpoints', {
  ...top,
  subsets: arr(
    obj<t.EndpointSubset>('EndpointSubset', {
      addresses: arr(endpointAddress),
      notReadyAddresses: arr(endpointAddress),
      ports: arr(
        obj<t.EndpointPort>('EndpointPort', { name: str(), port: req(int()), protocol: protocol(), appProtocol: str() }),
      ),
    }),
  ),
});

export const configMapSchema = obj<t.ConfigMap>('ConfigMap', {
  ...top,
  data: stringMap(),
  binaryData: map(bytes()),
  immutable: bool(),
});

export const secretSchema = obj<t.Secret>('Secret', {
  ...top,
  type: str(),
  data: map(bytes()),
  stringData: stringMap(),
  immutable: bool(),
});

export const eventSchema = obj<t.Event>('Event', {
  ...top,
  involvedObject: req(objectReferenceSchema),
  reason: str(),
  message: str(),
  source: obj<t.EventSource>('EventSource', { component: str(), host: str() }),
  firstTimestamp: time(),
  lastTimestamp: time(),
  count: int(),
  type: oneOf('Normal', 'Warning'),
  eventTime: time(),
  series: obj<t.EventSeries>('EventSeries', { count: int(), lastObservedTime: time() }),
  action: str(),
  related: objectReferenceSchema,
  reportingComponent: str(),
  reportingInstance: str(),
});

const accessModes = () => arr(oneOf('ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'));

export const persistentVolumeSchema = obj<t.PersistentVolume>('PersistentVolume', {
  ...top,
  spec: req(
    obj<t.PersistentVolumeSpec>('PersistentVolumeSpec', {
      capacity: resourceList(),
      accessModes: accessModes(),
      hostPath: hostPathSchema,
      local: obj<t.LocalVolumeSource>('LocalVolumeSource', { path: req(str()), fsType: str() }),
      claimRef: objectReferenceSchema,
      persistentVolumeReclaimPolicy: oneOf('Retain', 'Delete', 'Recycle'),
      storageClassName: str(),
      volumeMode: oneOf('Filesystem', 'Block'),
      mountOptions: stringList(),
      nodeAffinity: obj<t.VolumeNodeAffinity>('VolumeNodeAffinity', { required: nodeSelectorSchema }),
    }),
  ),
  status: obj<t.PersistentVolumeStatus>('PersistentVolumeStatus', {
    phase: oneOf('Pending', 'Available', 'Bound', 'Released', 'Failed'),
    message: str(),
    reason: str(),
  }),
});

export const persistentVolumeClaimSpecSchema = obj<t.PersistentVolumeClaimSpec>('PersistentVolumeClaimSpec', {
  accessModes: accessModes(),
  selector: labelSelectorSchema,
  resources: obj<t.VolumeResourceRequirements>('VolumeResourceRequirements', {
    requests: resourceList(),
    limits: resourceList(),
  }),
  volumeName: str(),
  storageClassName: str(),
  volumeMode: oneOf('Filesystem', 'Block'),
});

export const persistentVolumeClaimStatusSchema = obj<t.PersistentVolumeClaimStatus>('PersistentVolumeClaimStatus', {
  phase: oneOf('Pending', 'Bound', 'Lost'),
  accessModes: accessModes(),
  capacity: resourceList(),
  conditions: arr(
    obj<t.PersistentVolumeClaimCondition>('PersistentVolumeClaimCondition', {
      type: req(str()),
      status: conditionStatus(),
      lastProbeTime: time(),
      lastTransitionTime: time(),
      reason: str(),
      message: str(),
    }),
  ),
});

export const persistentVolumeClaimSchema = obj<t.PersistentVolumeClaim>('PersistentVolumeClaim', {
  ...top,
  spec: req(persistentVolumeClaimSpecSchema),
  status: persistentVolumeClaimStatusSchema,
});

export const persistentVolumeClaimTemplateSchema = obj<t.PersistentVolumeClaimTemplate>('PersistentVolumeClaim', {
  apiVersion: str(),
  kind: str(),
  metadata: objectMetaSchema,
  spec: req(persistentVolumeClaimSpecSchema),
  status: persistentVolumeClaimStatusSchema,
});
