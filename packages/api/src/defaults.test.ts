import { applyDefaults, defaultedPodSpec, defaultPullPolicy, withGeneratedJobSelector } from './defaults';
import type {
  CronJob,
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  Job,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodSpec,
  ReplicaSet,
  Secret,
  Service,
  StatefulSet,
} from './types';

const meta = { name: 'x', namespace: 'default' };
const container = { name: 'c', image: 'nginx:1.25' };
const podSpec = (extra: Partial<PodSpec> = {}): PodSpec => ({ containers: [{ ...container }], ...extra });
const template = { metadata: { labels: { app: 'x' } }, spec: podSpec() };

describe('image pull policy', () => {
  test.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/app', 'Always'],
    ['registry.local:5000/app:v2', 'IfNotPresent'],
    ['registry.local:5000/app:latest', 'Always'],
    ['nginx@sha256:0123abcd', 'IfNotPresent'],
  ])('%s → %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});

describe('Pod', () => {
  const pod = (spec: PodSpec): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });

  test('pod-level and container defaults', () => {
    const d = applyDefaults(pod(podSpec()));
    expect(d.spec).toEqual({
      containers: [
        {
          name: 'c',
          image: 'nginx:1.25',
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
    });
  });

  test('set values are kept, empty strings count as unset', () => {
    const d = applyDefaults(
      pod(podSpec({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: '' as never, schedulerName: 'mine' })),
    );
    expect(d.spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, dnsPolicy: 'ClusterFirst', schedulerName: 'mine' });
  });

  test('ports, probes, env, resources', () => {
    const spec = defaultedPodSpec(
      podSpec({
        containers: [
          {
            name: 'c',
            image: 'app',
            ports: [{ containerPort: 8080 }],
            livenessProbe: { httpGet: { port: 8080 } },
            readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 3 },
            startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
            lifecycle: { preStop: { httpGet: { port: 80 } } },
            env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
          },
        ],
      }),
    );
    const c = spec.containers[0]!;
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.readinessProbe).toMatchObject({ periodSeconds: 3, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    expect(c.startupProbe).toMatchObject({ failureThreshold: 30, periodSeconds: 10 });
    expect(c.lifecycle?.preStop?.httpGet).toEqual({ port: 80, path: '/', scheme: 'HTTP' });
    expect(c.env?.[0]?.valueFrom?.fieldRef).toEqual({ fieldPath: 'metadata.name', apiVersion: 'v1' });
    // Requests default to limits, resource by resource.
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
  });

  test('host network copies container ports to host ports', () => {
    const spec = defaultedPodSpec(podSpec({ hostNetwork: true, containers: [{ ...container, ports: [{ containerPort: 53, protocol: 'UDP' }] }] }));
    expect(spec.containers[0]?.ports).toEqual([{ containerPort: 53, protocol: 'UDP', hostPort: 53 }]);
  });

  test('volumes', () => {
    const spec = defaultedPodSpec(
      podSpec({
        volumes: [
          { name: 'a' },
          { name: 'b', configMap: { name: 'cfg' } },
          { name: 'c', secret: { secretName: 's', defaultMode: 0o400 } },
          { name: 'd', hostPath: { path: '/var/log' } },
        ],
      }),
    );
    expect(spec.volumes).toEqual([
      { name: 'a', emptyDir: {} },
      { name: 'b', configMap: { name: 'cfg', defaultMode: 0o644 } },
      { name: 'c', secret: { secretName: 's', defaultMode: 0o400 } },
      { name: 'd', hostPath: { path: '/var/log', type: '' } },
    ]);
  });

  test('init containers are defaulted too; serviceAccount mirrors serviceAccountName', () => {
    const spec = defaultedPodSpec(podSpec({ initContainers: [{ name: 'i', image: 'busybox' }], serviceAccountName: 'sa' }));
    expect(spec.initContainers?.[0]?.imagePullPolicy).toBe('Always');
    expect(spec.serviceAccount).toBe('sa');
  });
});

describe('Service', () => {
  const svc = (spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: meta, spec });

  test('ClusterIP defaults; targetPort = port', () => {
    expect(applyDefaults(svc({ selector: { app: 'x' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] })).spec).toEqual({
      selector: { app: 'x' },
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 53, protocol: 'UDP', targetPort: 'dns' },
      ],
    });
  });

  test('NodePort gets externalTrafficPolicy; ClientIP affinity gets its timeout', () => {
    const s = applyDefaults(svc({ type: 'NodePort', sessionAffinity: 'ClientIP', ports: [{ port: 80, nodePort: 30080 }] })).spec;
    expect(s.externalTrafficPolicy).toBe('Cluster');
    expect(s.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    expect(s.ports?.[0]).toEqual({ port: 80, nodePort: 30080, protocol: 'TCP', targetPort: 80 });
  });

  test('ExternalName gets no traffic policies', () => {
    const s = applyDefaults(svc({ type: 'ExternalName', externalName: 'db.example.com' })).spec;
    expect(s.internalTrafficPolicy).toBeUndefined();
    expect(s.externalTrafficPolicy).toBeUndefined();
  });
});

describe('workloads', () => {
  test('Deployment', () => {
    const d = applyDefaults<Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { selector: { matchLabels: { app: 'x' } }, template } });
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(d.spec.template.spec.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
  });

  test('Deployment: Recreate gets no rollingUpdate; partial rollingUpdate is completed; replicas 0 kept', () => {
    const recreate = applyDefaults<Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: { replicas: 0, selector: {}, template, strategy: { type: 'Recreate' } },
    });
    expect(recreate.spec.strategy).toEqual({ type: 'Recreate' });
    expect(recreate.spec.replicas).toBe(0);
    const partial = applyDefaults<Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: { selector: {}, template, strategy: { rollingUpdate: { maxSurge: 1 } } },
    });
    expect(partial.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } });
  });

  test('ReplicaSet, DaemonSet, StatefulSet', () => {
    const rs = applyDefaults<ReplicaSet>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, spec: { selector: {}, template } });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
    const ds = applyDefaults<DaemonSet>({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: {}, template } });
    expect(ds.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    const ss = applyDefaults<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta,
      spec: {
        selector: {},
        template,
        serviceName: 'db',
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    });
    expect(ss.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(ss.spec.volumeClaimTemplates?.[0]?.spec.volumeMode).toBe('Filesystem');
  });

  test('Job: completions and parallelism 1, backoffLimit 6', () => {
    const job = (spec: Partial<Job['spec']>): Job => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta,
      spec: { template: { spec: podSpec({ restartPolicy: 'Never' }) }, ...spec },
    });
    expect(applyDefaults(job({})).spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false });
    // Parallelism alone: completions stays unset (a work queue).
    expect(applyDefaults(job({ parallelism: 3 })).spec.completions).toBeUndefined();
    expect(applyDefaults(job({ completions: 5 })).spec).toMatchObject({ completions: 5, parallelism: 1 });
    // Pod defaults apply to the template, restartPolicy included when absent (validation then refuses Always).
    expect(applyDefaults(job({ template: { spec: podSpec() } })).spec.template.spec.restartPolicy).toBe('Always');
  });

  test('CronJob', () => {
    const cj = applyDefaults<CronJob>({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta,
      spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: podSpec({ restartPolicy: 'OnFailure' }) } } } },
    });
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
  });

  test('HPA: minReplicas 1, CPU 80% when no metrics, behavior completed when given', () => {
    const hpa = (spec: Partial<HorizontalPodAutoscaler['spec']>): HorizontalPodAutoscaler => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta,
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
    });
    const d = applyDefaults(hpa({}));
    expect(d.spec.minReplicas).toBe(1);
    expect(d.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    expect(d.spec.behavior).toBeUndefined();
    const b = applyDefaults(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } })).spec.behavior;
    expect(b?.scaleDown).toEqual({ stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    expect(b?.scaleUp?.stabilizationWindowSeconds).toBe(0);
    expect(b?.scaleUp?.policies).toHaveLength(2);
  });
});

describe('other kinds', () => {
  test('Secret: type Opaque, stringData merged into data as base64', () => {
    const s = applyDefaults<Secret>({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta,
      data: { user: Buffer.from('admin').toString('base64'), pass: 'b2xk' },
      stringData: { pass: 's3cr3t' },
    });
    expect(s.type).toBe('Opaque');
    expect(s.stringData).toBeUndefined();
    expect(s.data).toEqual({ user: 'YWRtaW4=', pass: Buffer.from('s3cr3t').toString('base64') });
  });

  test('Namespace, Node, PV, PVC', () => {
    expect(applyDefaults<Namespace>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } }).status?.phase).toBe('Active');
    expect(applyDefaults<Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } }).status?.allocatable).toEqual({ cpu: '2' });
    const pv = applyDefaults<PersistentVolume>({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { hostPath: { path: '/d' } } });
    expect(pv.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect(pv.status?.phase).toBe('Pending');
    const pvc = applyDefaults<PersistentVolumeClaim>({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta, spec: {} });
    expect(pvc.spec.volumeMode).toBe('Filesystem');
    expect(pvc.status?.phase).toBe('Pending');
  });
});

describe('purity', () => {
  test('the input is never mutated and the result shares nothing with it', () => {
    const input: Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { selector: {}, template: structuredClone(template) } };
    const snapshot = JSON.stringify(input);
    const out = applyDefaults(input);
    expect(JSON.stringify(input)).toBe(snapshot);
    out.spec.template.spec.containers[0]!.image = 'changed';
    expect(input.spec.template.spec.containers[0]?.image).toBe('nginx:1.25');
  });

  test('defaulting twice changes nothing more', () => {
    const once = applyDefaults<Service>({ apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { ports: [{ port: 80 }] } });
    expect(applyDefaults(once)).toEqual(once);
  });
});

test('generated Job selector', () => {
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
    spec: { template: { metadata: { labels: { team: 'a' } }, spec: podSpec({ restartPolicy: 'Never' }) } },
  };
  const g = withGeneratedJobSelector(job);
  expect(g.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  expect(g.spec.template.metadata?.labels).toEqual({
    team: 'a',
    'batch.kubernetes.io/controller-uid': 'u-1',
    'batch.kubernetes.io/job-name': 'pi',
    'controller-uid': 'u-1',
    'job-name': 'pi',
  });
  expect(job.spec.selector).toBeUndefined();
  expect(withGeneratedJobSelector({ ...job, spec: { ...job.spec, manualSelector: true } }).spec.selector).toBeUndefined();
});
