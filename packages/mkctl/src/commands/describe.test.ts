import type { KubeObject, Pod } from '@mk/api';
import { testContext } from '../testing/context';
import { ago, deployment, event, node, pod, replicaSet, runningPod, service } from '../testing/fixtures';
import { describe as describeCmd } from './describe';

function richPod(): Pod {
  const p: Pod = runningPod('web-1', { labels: { app: 'web', 'pod-template-hash': '5d9f' }, restarts: 1, lastRestart: 300 });
  p.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'hello' };
  p.spec.serviceAccountName = 'default';
  p.spec.priority = 0;
  p.status!.startTime = '2024-05-01T11:59:00Z';
  p.status!.qosClass = 'Burstable';
  p.spec.containers[0] = {
    name: 'web',
    image: 'nginx:1.25',
    ports: [{ containerPort: 80, protocol: 'TCP' }],
    command: ['nginx', '-g', 'daemon off;'],
    resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    livenessProbe: { httpGet: { path: '/healthz', port: 80, scheme: 'HTTP' }, initialDelaySeconds: 3, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
    readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
    env: [
      { name: 'MODE', value: 'prod' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    ],
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'cfg', mountPath: '/etc/nginx/conf.d', readOnly: true },
    ],
  };
  p.spec.volumes = [
    { name: 'data', emptyDir: {} },
    { name: 'cfg', configMap: { name: 'nginx-conf' } },
  ];
  p.spec.tolerations = [
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  return p;
}

describe('describe pod', () => {
  test('kubectl\'s layout: header, containers, conditions, volumes, tolerations, events', async () => {
    const t = testContext();
    const p = richPod();
    t.client.add(
      p,
      event('web-1.b', p, { reason: 'Pulled', message: 'Container image "nginx:1.25" already present on machine', from: 'kubelet', first: 58, last: 20, count: 2 }),
      event('web-1.a', p, { reason: 'Scheduled', message: 'Successfully assigned default/web-1 to node-1', from: 'default-scheduler', first: 60 }),
    );
    expect(await describeCmd(t.ctx, ['pod', 'web-1'])).toBe(0);
    expect(t.out()).toBe(`Name:             web-1
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-1/192.168.1.11
Start Time:       Wed, 01 May 2024 11:59:00 +0000
Labels:           app=web
                  pod-template-hash=5d9f
Annotations:      note: hello
Status:           Running
IP:               10.244.1.5
IPs:
  IP:  10.244.1.5
Containers:
  web:
    Container ID:  docker://web0123
    Image:         nginx:1.25
    Image ID:      docker-pullable://nginx:1.25
    Port:          80/TCP
    Host Port:     0/TCP
    Command:
      nginx
      -g
      daemon off;
    State:          Running
      Started:      Wed, 01 May 2024 11:59:10 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Mon, 01 Jan 0001 00:00:00 +0000
      Finished:     Wed, 01 May 2024 11:55:00 +0000
    Ready:          True
    Restart Count:  1
    Limits:
      memory:  128Mi
    Requests:
      cpu:      100m
      memory:   64Mi
    Liveness:   http-get http://:80/healthz delay=3s timeout=1s period=10s #success=1 #failure=3
    Readiness:  tcp-socket :80 delay=0s timeout=1s period=5s #success=1 #failure=3
    Environment:
      MODE:      prod
      POD_NAME:  web-1 (v1:metadata.name)
      PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false
    Mounts:
      /data from data (rw)
      /etc/nginx/conf.d from cfg (ro)
Conditions:
  Type              Status
  Initialized       True 
  Ready             True 
  ContainersReady   True 
  PodScheduled      True 
Volumes:
  data:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  <unset>
  cfg:
    Type:        ConfigMap (a volume populated by a ConfigMap)
    Name:        nginx-conf
    Optional:    false
QoS Class:       Burstable
Node-Selectors:  <none>
Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                 node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type    Reason     Age                From               Message
  ----    ------     ----               ----               -------
  Normal  Scheduled  60s                default-scheduler  Successfully assigned default/web-1 to node-1
  Normal  Pulled     20s (x2 over 58s)  kubelet            Container image "nginx:1.25" already present on machine
`);
    // Events are found by the object's name, namespace and uid.
    expect(t.client.calls.find((c) => c.resource === 'events')).toMatchObject({
      method: 'list',
      namespace: 'default',
      opts: { fieldSelector: 'involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.uid=uid-web-1' },
    });
  });

  test('a name prefix describes every match, separated by a blank line; no match is NotFound', async () => {
    const t = testContext();
    t.client.add(runningPod('web-a'), runningPod('web-b'), runningPod('db'));
    expect(await describeCmd(t.ctx, ['pods', 'web'], { showEvents: false })).toBe(0);
    const out = t.out();
    expect(out.match(/^Name: /gm)).toHaveLength(2);
    expect(out).toContain('Tolerations:        <none>\n\n\nName:         web-b\n');
    expect(out).not.toContain('Events:');
    const none = testContext();
    expect(await describeCmd(none.ctx, ['pod', 'nope'])).toBe(1);
    expect(none.err()).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  test('no type; nothing to list', async () => {
    const t = testContext();
    expect(await describeCmd(t.ctx, [])).toBe(1);
    expect(t.err()).toContain('error: Required resource not specified.');
    const empty = testContext();
    expect(await describeCmd(empty.ctx, ['pods'])).toBe(0);
    expect(empty.err()).toBe('No resources found in default namespace.\n');
  });
});

describe('describe deployment, service, node', () => {
  test('deployment: template, conditions, old and new ReplicaSets, events', async () => {
    const t = testContext();
    const d = deployment('web', { uid: 'uid-d' });
    d.status!.conditions = [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
    ];
    t.client.add(
      d,
      replicaSet('web-6c4f', d),
      replicaSet('web-5d9f', d, { image: 'nginx:1.24', replicas: 0 }),
      event('web.1', d, { reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-6c4f to 3', from: 'deployment-controller', first: 300 }),
    );
    expect(await describeCmd(t.ctx, ['deploy/web'])).toBe(0);
    expect(t.out()).toBe(`Name:                   web
Namespace:              default
CreationTimestamp:      Wed, 01 May 2024 11:55:00 +0000
Labels:                 <none>
Annotations:            <none>
Selector:               app=web
Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=web
  Containers:
   web:
    Image:         nginx:1.25
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    NewReplicaSetAvailable
OldReplicaSets:  web-5d9f (0/0 replicas created)
NewReplicaSet:   web-6c4f (3/3 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  5m    deployment-controller  Scaled up replica set web-6c4f to 3
`);
  });

  test('service: ports, node ports and endpoints', async () => {
    const t = testContext();
    const ep = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.2.6' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
    } as KubeObject;
    t.client.add(service('web', { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }], type: 'NodePort', externalTrafficPolicy: 'Cluster' }), ep);
    expect(await describeCmd(t.ctx, ['svc', 'web'])).toBe(0);
    expect(t.out()).toBe(`Name:                     web
Namespace:                default
Labels:                   <none>
Annotations:              <none>
Selector:                 app=web
Type:                     NodePort
IP Families:              <none>
IP:                       10.96.0.10
IPs:                      10.96.0.10
Port:                     http  80/TCP
TargetPort:               8080/TCP
NodePort:                 http  30080/TCP
Endpoints:                10.244.1.5:8080,10.244.2.6:8080
Session Affinity:         None
External Traffic Policy:  Cluster
Events:                   <none>
`);
  });

  test('node: lease, conditions, capacity, its non-terminated pods and what they request', async () => {
    const t = testContext();
    const n = node('node-1', { roles: ['worker'] });
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2024-05-01T11:59:55.000000Z' } } as KubeObject;
    const p1 = runningPod('web-1', { nodeName: 'node-1' });
    p1.spec.containers[0]!.resources = { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } };
    const done = runningPod('done', { nodeName: 'node-1' });
    done.status!.phase = 'Succeeded';
    t.client.add(
      n,
      lease,
      p1,
      done,
      runningPod('dns', { namespace: 'kube-system', nodeName: 'node-1' }),
      runningPod('elsewhere', { nodeName: 'node-2' }),
      event('node-1.a', n, { reason: 'NodeReady', message: 'Node node-1 status is now: NodeReady', from: 'kubelet', first: 3600 }),
    );
    expect(await describeCmd(t.ctx, ['nodes', 'node-1'])).toBe(0);
    expect(t.out()).toBe(`Name:               node-1
Roles:              worker
Labels:             kubernetes.io/hostname=node-1
                    node-role.kubernetes.io/worker=
Annotations:        <none>
CreationTimestamp:  Sun, 28 Apr 2024 12:00:00 +0000
Taints:             <none>
Unschedulable:      false
Lease:
  HolderIdentity:  node-1
  AcquireTime:     <unset>
  RenewTime:       Wed, 01 May 2024 11:59:55 +0000
Conditions:
  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message
  ----    ------  -----------------                 ------------------                ------         -------
  Ready   True    Wed, 01 May 2024 11:59:50 +0000   Wed, 01 May 2024 11:00:00 +0000   KubeletReady   kubelet is posting ready status
Addresses:
  InternalIP:  192.168.1.11
  Hostname:    node-1
Capacity:
  cpu:     2
  memory:  4039876Ki
  pods:    110
Allocatable:
  cpu:     2
  memory:  3937476Ki
  pods:    110
System Info:
  Machine ID:                 m1
  System UUID:                s1
  Boot ID:                    b1
  Kernel Version:             6.1.0-18-amd64
  OS Image:                   Debian GNU/Linux 12 (bookworm)
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  docker://24.0.7
  Kubelet Version:            v0.1.0
  Kube-Proxy Version:         v0.1.0
PodCIDR:                      10.244.1.0/24
Non-terminated Pods:          (2 in total)
  Namespace                   Name     CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----     ------------  ----------  ---------------  -------------  ---
  default                     web-1    250m (12%)    500m (25%)  64Mi (1%)        128Mi (3%)     60s
  kube-system                 dns      0 (0%)        0 (0%)      0 (0%)           0 (0%)         60s
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests    Limits
  --------           --------    ------
  cpu                250m (12%)  500m (25%)
  memory             64Mi (1%)   128Mi (3%)
  ephemeral-storage  0 (0%)      0 (0%)
Events:
  Type    Reason     Age   From     Message
  ----    ------     ----  ----     -------
  Normal  NodeReady  60m   kubelet  Node node-1 status is now: NodeReady
`);
  });
});

describe('describe: other kinds', () => {
  test('a kind without its own describer: the generic key: value dump', async () => {
    const t = testContext({ namespace: 'kube-system' });
    t.client.add({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'kube-scheduler', namespace: 'kube-system', uid: 'u-l', resourceVersion: '42', creationTimestamp: '2024-05-01T11:00:00Z', labels: { a: 'b' } },
      spec: { holderIdentity: 'cp-1_abc', leaseDurationSeconds: 15, acquireTime: '2024-05-01T11:00:00.000000Z', leaseTransitions: 2 },
    } as KubeObject);
    expect(await describeCmd(t.ctx, ['leases', 'kube-scheduler'])).toBe(0);
    expect(t.out()).toBe(`Name:         kube-scheduler
Namespace:    kube-system
Labels:       a=b
Annotations:  <none>
API Version:  coordination.k8s.io/v1
Kind:         Lease
Metadata:
  Creation Timestamp:  2024-05-01T11:00:00Z
  Resource Version:    42
  UID:                 u-l
Spec:
  Acquire Time:            2024-05-01T11:00:00.000000Z
  Holder Identity:         cp-1_abc
  Lease Duration Seconds:  15
  Lease Transitions:       2
Events:                    <none>
`);
  });

  test('configmap, secret and namespace', async () => {
    const t = testContext();
    t.client.add(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { 'b.conf': 'x=1\ny=2', a: 'hello' } } as KubeObject,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } } as KubeObject,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } }, status: { phase: 'Active' } } as KubeObject,
    );
    expect(await describeCmd(t.ctx, ['cm', 'cfg'])).toBe(0);
    expect(t.out()).toBe(`Name:         cfg
Namespace:    default
Labels:       <none>
Annotations:  <none>

Data
====
a:
----
hello

b.conf:
----
x=1
y=2


BinaryData
====

Events:  <none>
`);
    const s = testContext();
    s.client.add({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'default' }, type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } } as KubeObject);
    expect(await describeCmd(s.ctx, ['secret', 'db'])).toBe(0);
    expect(s.out()).toBe('Name:         db\nNamespace:    default\nLabels:       <none>\nAnnotations:  <none>\n\nType:  Opaque\n\nData\n====\npassword:  6 bytes\n');
    const n = testContext();
    n.client.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'kubernetes.io/metadata.name': 'team-a' } }, status: { phase: 'Active' } } as KubeObject);
    expect(await describeCmd(n.ctx, ['ns', 'team-a'])).toBe(0);
    expect(n.out()).toBe('Name:         team-a\nLabels:       kubernetes.io/metadata.name=team-a\nAnnotations:  <none>\nStatus:       Active\n');
  });
});

describe('describe: workloads and autoscalers', () => {
  const ds = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'logs', namespace: 'default', uid: 'uid-ds', creationTimestamp: ago(100) },
    spec: {
      selector: { matchLabels: { app: 'logs' } },
      template: { metadata: { labels: { app: 'logs' } }, spec: { containers: [{ name: 'fluentd', image: 'fluentd:v1' }], nodeSelector: { disk: 'ssd' } } },
    },
    status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberMisscheduled: 0, updatedNumberScheduled: 2, numberAvailable: 2 },
  } as KubeObject;

  test('daemonset: node counts and the pods it controls', async () => {
    const t = testContext();
    const other = runningPod('not-ours', { labels: { app: 'logs' } });
    t.client.add(ds, runningPod('logs-a', { owner: ds, labels: { app: 'logs' } }), pod('logs-b', { owner: ds, labels: { app: 'logs' }, status: { phase: 'Pending' } }), other);
    expect(await describeCmd(t.ctx, ['ds', 'logs'], { showEvents: false })).toBe(0);
    expect(t.out()).toBe(`Name:           logs
Namespace:      default
Selector:       app=logs
Node-Selector:  disk=ssd
Labels:         <none>
Annotations:    <none>
Desired Number of Nodes Scheduled: 2
Current Number of Nodes Scheduled: 2
Number of Nodes Scheduled with Up-to-date Pods: 2
Number of Nodes Scheduled with Available Pods: 2
Number of Nodes Misscheduled: 0
Pods Status:  1 Running / 1 Waiting / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  app=logs
  Containers:
   fluentd:
    Image:         fluentd:v1
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  disk=ssd
  Tolerations:     <none>
`);
  });

  test('job', async () => {
    const t = testContext();
    t.client.add({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'default', uid: 'uid-job', creationTimestamp: ago(120) },
      spec: {
        parallelism: 1,
        completions: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        suspend: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-job' } },
        template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] }] } },
      },
      status: { succeeded: 1, startTime: ago(120), completionTime: ago(80), ready: 0 },
    } as KubeObject);
    expect(await describeCmd(t.ctx, ['job', 'pi'])).toBe(0);
    expect(t.out()).toBe(`Name:             pi
Namespace:        default
Selector:         batch.kubernetes.io/controller-uid=uid-job
Labels:           <none>
Annotations:      <none>
Parallelism:      1
Completions:      1
Completion Mode:  NonIndexed
Suspend:          false
Backoff Limit:    6
Start Time:       Wed, 01 May 2024 11:58:00 +0000
Completed At:     Wed, 01 May 2024 11:58:40 +0000
Duration:         40s
Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed
Pod Template:
  Labels:  job-name=pi
  Containers:
   pi:
    Image:      perl:5.34
    Port:       <none>
    Host Port:  <none>
    Command:
      perl
      -Mbignum=bpi
      -wle
      print bpi(2000)
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Events:            <none>
`);
  });

  test('horizontal pod autoscaler: metrics as current / target', async () => {
    const t = testContext();
    t.client.add({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(600) },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
      status: {
        currentReplicas: 2,
        desiredReplicas: 2,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 23, averageValue: '46m' } } }],
        conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' }],
      },
    } as KubeObject);
    expect(await describeCmd(t.ctx, ['hpa', 'web'])).toBe(0);
    expect(t.out()).toBe(`Name:                                                  web
Namespace:                                             default
Labels:                                                <none>
Annotations:                                           <none>
CreationTimestamp:                                     Wed, 01 May 2024 11:50:00 +0000
Reference:                                             Deployment/web
Metrics:                                               ( current / target )
  resource cpu on pods  (as a percentage of request):  23% (46m) / 50%
Min replicas:                                          1
Max replicas:                                          10
Deployment pods:                                       2 current / 2 desired
Conditions:
  Type         Status  Reason            Message
  ----         ------  ------            -------
  AbleToScale  True    ReadyForNewScale  recommended size matches current size
Events:        <none>
`);
  });
});
