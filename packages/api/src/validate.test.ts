import { ErrorCode, InvalidArgumentError, MkError } from '@mk/shared';
import { applyDefaults } from './defaults';
import { formatFieldError, ValidationError } from './errors';
import { exampleManifest } from './examples';

const KUBIA_MANIFEST = exampleManifest('kubia.yaml');
import { parseManifests } from './manifests';
import { withDefaultNamespace } from './meta';
import type { AnyObject, CronJob, DaemonSet, Deployment, Job, Pod, Service, StatefulSet } from './types';
import { assertValid, checkObjectSize, MAX_OBJECT_BYTES, validateObject, validateStatusUpdate, validateUpdate } from './validate';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Defaults then validates; the rendered errors. */
function errorsOf<T extends AnyObject>(obj: T): string[] {
  return validateObject(applyDefaults(obj)).map(formatFieldError);
}

function mutate<T>(base: T, fn: (o: T) => void): T {
  const copy = structuredClone(base);
  fn(copy);
  return copy;
}

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ name: 'http', containerPort: 80 }] }] },
};

const deployment: Deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: structuredClone(pod.spec) } },
};

const service: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
};

describe('the kubia manifest decodes, defaults and validates cleanly', () => {
  test.each(parseManifests(KUBIA_MANIFEST, 'kubia.yaml').map((m) => [m.object.kind, m.object]))('%s', (_kind, obj) => {
    expect(validateObject(applyDefaults(withDefaultNamespace(obj)))).toEqual([]);
  });
});

describe('metadata', () => {
  test.each([
    [(o: Pod) => delete o.metadata.name, ['metadata.name: Required value: name or generateName is required']],
    [(o: Pod) => ((o.metadata.name = undefined), (o.metadata.generateName = 'web-')), []],
    [(o: Pod) => (o.metadata.name = 'Web_1'), [`metadata.name: Invalid value: "Web_1": ${SUBDOMAIN_MSG}`]],
    [(o: Pod) => (o.metadata.name = 'a'.repeat(254)), [`metadata.name: Invalid value: "${'a'.repeat(254)}": must be no more than 253 characters`]],
    [(o: Pod) => delete o.metadata.namespace, ['metadata.namespace: Required value']],
    [(o: Pod) => (o.metadata.namespace = 'Prod'), [`metadata.namespace: Invalid value: "Prod": ${LABEL_MSG}`]],
    [
      (o: Pod) => (o.metadata.labels = { 'bad key': 'x' }),
      [
        `metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
      ],
    ],
    [
      (o: Pod) => (o.metadata.labels = { app: '-web' }),
      [
        `metadata.labels: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ],
    [(o: Pod) => (o.metadata.labels = { 'app.kubernetes.io/name': 'web', v: '' }), []],
    [(o: Pod) => (o.metadata.labels = { '/x': 'a' }), ['metadata.labels: Invalid value: "/x": prefix part must be non-empty']],
    [(o: Pod) => (o.metadata.labels = { x: 'a'.repeat(64) }), [`metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]],
    [(o: Pod) => (o.metadata.annotations = { big: 'x'.repeat(256 * 1024) }), ['metadata.annotations: Too long: must have at most 262144 bytes']],
    [(o: Pod) => (o.metadata.finalizers = ['custom']), ['metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']],
    [(o: Pod) => (o.metadata.finalizers = ['example.com/cleanup', 'foregroundDeletion']), []],
    [
      (o: Pod) =>
        (o.metadata.ownerReferences = [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
        ]),
      [
        'metadata.ownerReferences: Invalid value: []string{"ReplicaSet/a", "ReplicaSet/b"}: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b',
      ],
    ],
    [(o: Pod) => (o.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'X', name: 'a', uid: '' }]), ['metadata.ownerReferences[0].uid: Required value']],
  ])('%#', (fn, expected) => {
    expect(errorsOf(mutate(pod, fn))).toEqual(expected);
  });

  test('cluster-scoped kinds refuse a namespace; Namespaces and Services use DNS labels', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', namespace: 'default' } })).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } })).toEqual([`metadata.name: Invalid value: "a.b": ${LABEL_MSG}`]);
    expect(errorsOf(mutate(service, (s) => (s.metadata.name = '1web')))).toEqual([
      `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1.example.com' } })).toEqual([]);
  });
});

describe('Pod spec', () => {
  test.each([
    ['no containers', (o: Pod) => (o.spec.containers = []), ['spec.containers: Required value']],
    ['no image', (o: Pod) => (o.spec.containers[0]!.image = ''), ['spec.containers[0].image: Required value']],
    ['no name', (o: Pod) => delete (o.spec.containers[0] as Partial<Pod['spec']['containers'][0]>).name, ['spec.containers[0].name: Required value']],
    ['bad container name', (o: Pod) => (o.spec.containers[0]!.name = 'Web'), [`spec.containers[0].name: Invalid value: "Web": ${LABEL_MSG}`]],
    [
      'duplicate container names',
      (o: Pod) => o.spec.containers.push({ name: 'web', image: 'x' }),
      ['spec.containers[1].name: Duplicate value: "web"'],
    ],
    [
      'init container name clashes',
      (o: Pod) => (o.spec.initContainers = [{ name: 'web', image: 'x' }]),
      ['spec.containers[0].name: Duplicate value: "web"'],
    ],
    [
      'restartPolicy',
      (o: Pod) => (o.spec.restartPolicy = 'Sometimes' as never),
      ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
    ],
    [
      'imagePullPolicy',
      (o: Pod) => (o.spec.containers[0]!.imagePullPolicy = 'Maybe' as never),
      ['spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"'],
    ],
    [
      'containerPort 0',
      (o: Pod) => (o.spec.containers[0]!.ports = [{ containerPort: 0 }]),
      ['spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ],
    [
      'port protocol',
      (o: Pod) => (o.spec.containers[0]!.ports = [{ containerPort: 80, protocol: 'HTTP' as never }]),
      ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"'],
    ],
    [
      'duplicate port names',
      (o: Pod) => (o.spec.containers[0]!.ports = [{ name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }]),
      ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
    ],
    [
      'bad port name',
      (o: Pod) => (o.spec.containers[0]!.ports = [{ name: 'HTTP', containerPort: 80 }]),
      [
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    ],
    [
      'duplicate host ports',
      (o: Pod) => {
        o.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080 }];
        o.spec.containers.push({ name: 'b', image: 'x', ports: [{ containerPort: 81, hostPort: 8080 }] });
      },
      ['spec.containers[1].ports[0].hostPort: Duplicate value: "8080/TCP"'],
    ],
    [
      'env name',
      (o: Pod) => (o.spec.containers[0]!.env = [{ name: '1X', value: 'a' }]),
      [
        `spec.containers[0].env[0].name: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      ],
    ],
    [
      'env value and valueFrom',
      (o: Pod) => (o.spec.containers[0]!.env = [{ name: 'X', value: 'a', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }]),
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
    ],
    [
      'env valueFrom with two sources',
      (o: Pod) =>
        (o.spec.containers[0]!.env = [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' }, secretKeyRef: { name: 's', key: 'k' } } }]),
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'],
    ],
    [
      'env fieldRef path',
      (o: Pod) => (o.spec.containers[0]!.env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.foo' } } }]),
      [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.foo": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    ],
    [
      'secretKeyRef without key',
      (o: Pod) => (o.spec.containers[0]!.env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 's' } as never } }]),
      ['spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value'],
    ],
    [
      'envFrom without a source',
      (o: Pod) => (o.spec.containers[0]!.envFrom = [{ prefix: 'P_' }]),
      ['spec.containers[0].envFrom[0]: Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
    ],
    [
      'requests above limits',
      (o: Pod) => (o.spec.containers[0]!.resources = { requests: { cpu: '2', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } }),
      ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [
      'negative quantity',
      (o: Pod) => (o.spec.containers[0]!.resources = { requests: { memory: '-1Mi' } }),
      ['spec.containers[0].resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0'],
    ],
    [
      'unknown resource name',
      (o: Pod) => (o.spec.containers[0]!.resources = { requests: { gpu: '1' } }),
      ['spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified'],
    ],
    ['extended resource', (o: Pod) => (o.spec.containers[0]!.resources = { limits: { 'example.com/gpu': '1' } }), []],
    [
      'probe without handler',
      (o: Pod) => (o.spec.containers[0]!.livenessProbe = { periodSeconds: 5 }),
      ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
    ],
    [
      'probe with two handlers',
      (o: Pod) => (o.spec.containers[0]!.readinessProbe = { httpGet: { port: 80 }, tcpSocket: { port: 80 } }),
      ['spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
    ],
    [
      'liveness successThreshold',
      (o: Pod) => (o.spec.containers[0]!.livenessProbe = { tcpSocket: { port: 80 }, successThreshold: 2 }),
      ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
    ],
    [
      'probe port and numbers',
      (o: Pod) => (o.spec.containers[0]!.readinessProbe = { httpGet: { port: 0 }, periodSeconds: -1 }),
      [
        'spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive',
        'spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
      ],
    ],
    [
      'exec probe without command',
      (o: Pod) => (o.spec.containers[0]!.livenessProbe = { exec: {} }),
      ['spec.containers[0].livenessProbe.exec.command: Required value'],
    ],
    [
      'probes on init containers',
      (o: Pod) => (o.spec.initContainers = [{ name: 'init', image: 'x', readinessProbe: { tcpSocket: { port: 1 } } }]),
      ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers'],
    ],
    [
      'volume mount of an unknown volume',
      (o: Pod) => (o.spec.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }]),
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
    [
      'duplicate mount paths',
      (o: Pod) => {
        o.spec.volumes = [{ name: 'a', emptyDir: {} }];
        o.spec.containers[0]!.volumeMounts = [
          { name: 'a', mountPath: '/d' },
          { name: 'a', mountPath: '/d' },
        ];
      },
      ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique'],
    ],
    [
      'duplicate volumes',
      (o: Pod) => (o.spec.volumes = [{ name: 'a', emptyDir: {} }, { name: 'a', hostPath: { path: '/x' } }]),
      ['spec.volumes[1].name: Duplicate value: "a"'],
    ],
    [
      'two volume sources',
      (o: Pod) => (o.spec.volumes = [{ name: 'a', emptyDir: {}, hostPath: { path: '/x' } }]),
      ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'volume sources need their names',
      (o: Pod) => (o.spec.volumes = [{ name: 'a', configMap: {} }, { name: 'b', persistentVolumeClaim: {} as never }, { name: 'c', secret: {} }]),
      ['spec.volumes[0].configMap.name: Required value', 'spec.volumes[1].persistentVolumeClaim.claimName: Required value', 'spec.volumes[2].secret.secretName: Required value'],
    ],
    [
      'bad defaultMode',
      (o: Pod) => (o.spec.volumes = [{ name: 'a', configMap: { name: 'c', defaultMode: 1000 } }]),
      ['spec.volumes[0].configMap.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive'],
    ],
    [
      'affinity',
      (o: Pod) =>
        (o.spec.affinity = {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'x', operator: 'Exists', values: ['a'] }] } }],
          },
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } } } as never] },
        }),
      [
        'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value',
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      ],
    ],
    [
      'tolerations',
      (o: Pod) =>
        (o.spec.tolerations = [
          { key: 'k', operator: 'Exists', value: 'v' },
          { operator: 'Equal', value: 'v' },
          { key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 },
          { operator: 'Exists' },
        ]),
      [
        "spec.tolerations[0].operator: Invalid value: \"Exists\": value must be empty when `operator` is 'Exists'",
        'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      ],
    ],
    [
      'negative grace period, bad activeDeadlineSeconds',
      (o: Pod) => ((o.spec.terminationGracePeriodSeconds = -1), (o.spec.activeDeadlineSeconds = 0)),
      [
        'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0',
        'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
      ],
    ],
    [
      'hostNetwork hostPort must equal containerPort',
      (o: Pod) => ((o.spec.hostNetwork = true), (o.spec.containers[0]!.ports = [{ containerPort: 80, hostPort: 81 }])),
      ['spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true'],
    ],
    [
      'nodeSelector labels',
      (o: Pod) => (o.spec.nodeSelector = { disk: 'ssd!' }),
      [expect.stringMatching(/^spec\.nodeSelector: Invalid value: "ssd!": a valid label must be/)],
    ],
    [
      'dnsPolicy None needs dnsConfig',
      (o: Pod) => (o.spec.dnsPolicy = 'None'),
      ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
    ],
  ])('%s', (_name, fn, expected) => {
    expect(errorsOf(mutate(pod, fn))).toEqual(expected);
  });
});

describe('Pod updates', () => {
  const base = applyDefaults(pod);
  const update = (fn: (p: Pod) => void) => validateUpdate(base, mutate(base, fn)).map(formatFieldError);

  test('image, activeDeadlineSeconds and added tolerations may change', () => {
    expect(update((p) => (p.spec.containers[0]!.image = 'nginx:1.26'))).toEqual([]);
    expect(update((p) => (p.spec.activeDeadlineSeconds = 60))).toEqual([]);
    expect(update((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists' }]))).toEqual([]);
    expect(update((p) => (p.metadata.labels = { app: 'web', extra: 'y' }))).toEqual([]);
  });

  test('anything else in the spec is forbidden', () => {
    const errs = update((p) => (p.spec.containers[0]!.ports = [{ containerPort: 81 }]));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/);
    expect(errs[0]).toContain('changed: spec.containers[0].ports');
    expect(update((p) => (p.spec.nodeName = 'n1'))[0]).toContain('changed: spec.nodeName');
  });

  test('activeDeadlineSeconds may only shrink', () => {
    const withDeadline = mutate(base, (p) => (p.spec.activeDeadlineSeconds = 60));
    expect(validateUpdate(withDeadline, mutate(withDeadline, (p) => (p.spec.activeDeadlineSeconds = 120))).map(formatFieldError)).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value',
    ]);
    expect(validateUpdate(withDeadline, mutate(withDeadline, (p) => (p.spec.activeDeadlineSeconds = 30)))).toEqual([]);
  });

  test('identity metadata is immutable', () => {
    const created = mutate(base, (p) => ((p.metadata.uid = 'u1'), (p.metadata.creationTimestamp = '2024-01-01T00:00:00Z')));
    expect(
      validateUpdate(created, mutate(created, (p) => ((p.metadata.name = 'other'), (p.metadata.uid = 'u2')))).map(formatFieldError),
    ).toEqual(['metadata.name: Invalid value: "other": field is immutable', 'metadata.uid: Invalid value: "u2": field is immutable']);
  });

  test('status updates check the status only', () => {
    const running = mutate(base, (p) => (p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }));
    expect(validateStatusUpdate(base, running)).toEqual([]);
    const bad = mutate(base, (p) => (p.status = { phase: 'Sleeping' as never, conditions: [{ type: 'Ready', status: 'Yes' as never }] }));
    expect(validateStatusUpdate(base, bad).map(formatFieldError)).toEqual([
      'status.phase: Unsupported value: "Sleeping": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown"',
      'status.conditions[0].status: Unsupported value: "Yes": supported values: "True", "False", "Unknown"',
    ]);
  });
});

describe('Deployment', () => {
  test.each([
    ['valid', (_: Deployment) => undefined, []],
    ['negative replicas', (d: Deployment) => (d.spec.replicas = -1), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    ['no selector', (d: Deployment) => delete (d.spec as Partial<Deployment['spec']>).selector, ['spec.selector: Required value']],
    [
      'empty selector',
      (d: Deployment) => (d.spec.selector = {}),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ],
    [
      'selector does not match',
      (d: Deployment) => (d.spec.template.metadata!.labels = { app: 'api' }),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`'],
    ],
    [
      'template without labels',
      (d: Deployment) => delete d.spec.template.metadata,
      ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`'],
    ],
    [
      'restartPolicy must be Always',
      (d: Deployment) => (d.spec.template.spec.restartPolicy = 'OnFailure'),
      ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ],
    ['template errors have full paths', (d: Deployment) => (d.spec.template.spec.containers[0]!.image = ''), ['spec.template.spec.containers[0].image: Required value']],
    [
      'strategy type',
      (d: Deployment) => (d.spec.strategy = { type: 'BlueGreen' as never }),
      ['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"'],
    ],
    [
      'Recreate with rollingUpdate',
      (d: Deployment) => (d.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }),
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    ],
    [
      'maxUnavailable and maxSurge both 0',
      (d: Deployment) => (d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0'],
    ],
    [
      'bad percentages',
      (d: Deployment) => (d.spec.strategy = { rollingUpdate: { maxSurge: 'lots', maxUnavailable: '110%' } }),
      [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"lots\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "110%": must not be greater than 100%',
      ],
    ],
    [
      'progress deadline',
      (d: Deployment) => ((d.spec.minReadySeconds = 10), (d.spec.progressDeadlineSeconds = 5)),
      ['spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds'],
    ],
    [
      'selector expression without values',
      (d: Deployment) => (d.spec.selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In' }] }),
      [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      ],
    ],
  ])('%s', (_name, fn, expected) => {
    expect(errorsOf(mutate(deployment, fn))).toEqual(expected);
  });

  test('the selector is immutable; replicas and template are not', () => {
    const d = applyDefaults(deployment);
    expect(validateUpdate(d, mutate(d, (x) => ((x.spec.replicas = 5), (x.spec.template.spec.containers[0]!.image = 'nginx:2'))))).toEqual([]);
    const changed = mutate(d, (x) => {
      x.spec.selector = { matchLabels: { app: 'web', v: '2' } };
      x.spec.template.metadata!.labels = { app: 'web', v: '2' };
    });
    expect(validateUpdate(d, changed).map(formatFieldError)).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  test('assertValid throws the Kubernetes-shaped error', () => {
    const bad = applyDefaults(mutate(deployment, (d) => (d.spec.replicas = -1)));
    let err: unknown;
    try {
      assertValid(bad, validateObject(bad));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect((err as ValidationError).details).toMatchObject({ kind: 'Deployment', group: 'apps', name: 'web', causes: [{ field: 'spec.replicas', type: 'Invalid' }] });
    const two = applyDefaults(mutate(deployment, (d) => ((d.spec.replicas = -1), (d.spec.revisionHistoryLimit = -1))));
    expect(() => assertValid(two, validateObject(two))).toThrow(
      'Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0]',
    );
    expect(() => assertValid(pod, [])).not.toThrow();
  });
});

describe('other workloads', () => {
  const template = structuredClone(deployment.spec.template);

  test('ReplicaSet and DaemonSet', () => {
    expect(errorsOf({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, template } })).toEqual([]);
    const ds: DaemonSet = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'r', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, template } };
    expect(errorsOf(ds)).toEqual([]);
    expect(errorsOf(mutate(ds, (d) => (d.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } })))).toEqual([
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 1: may not be set when maxSurge is non-zero',
    ]);
    expect(errorsOf(mutate(ds, (d) => (d.spec.selector = {})))[0]).toMatch(/^spec\.selector: Invalid value: .*: empty selector is invalid for daemonset$/);
  });

  test('StatefulSet', () => {
    const ss: StatefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'd' },
      spec: {
        serviceName: 'db',
        selector: { matchLabels: { app: 'web' } },
        template,
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
    expect(errorsOf(ss)).toEqual([]);
    expect(errorsOf(mutate(ss, (s) => (s.spec.volumeClaimTemplates = [{ spec: {} }])))).toEqual([
      'spec.volumeClaimTemplates[0].metadata.name: Required value',
      'spec.volumeClaimTemplates[0].spec.accessModes: Required value',
      'spec.volumeClaimTemplates[0].spec.resources[storage]: Required value',
    ]);
    const d = applyDefaults(ss);
    expect(validateUpdate(d, mutate(d, (s) => (s.spec.replicas = 5)))).toEqual([]);
    expect(validateUpdate(d, mutate(d, (s) => (s.spec.serviceName = 'other'))).map(formatFieldError)).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  test('Job: restartPolicy OnFailure or Never, immutable template', () => {
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'd' },
      spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } }, backoffLimit: 4 },
    };
    expect(errorsOf(job)).toEqual([]);
    expect(errorsOf(mutate(job, (j) => delete j.spec.template.spec.restartPolicy))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
    expect(errorsOf(mutate(job, (j) => (j.spec.parallelism = -1)))).toEqual(['spec.parallelism: Invalid value: -1: must be greater than or equal to 0']);
    const d = applyDefaults(job);
    expect(validateUpdate(d, mutate(d, (j) => (j.spec.template.spec.containers[0]!.image = 'perl:2'))).map(formatFieldError)).toEqual([
      'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable',
    ]);
    expect(validateUpdate(d, mutate(d, (j) => (j.spec.completions = 3))).map(formatFieldError)).toEqual(['spec.completions: Invalid value: 3: field is immutable']);
  });

  test('CronJob: schedule, name length, job template', () => {
    const cj: CronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'hello', namespace: 'd' },
      spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'h', image: 'busybox' }], restartPolicy: 'OnFailure' } } } } },
    };
    expect(errorsOf(cj)).toEqual([]);
    expect(errorsOf(mutate(cj, (c) => (c.spec.schedule = 'every minute')))).toEqual([
      'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: every minute',
    ]);
    expect(errorsOf(mutate(cj, (c) => (c.spec.schedule = '')))).toEqual(['spec.schedule: Required value']);
    expect(errorsOf(mutate(cj, (c) => (c.metadata.name = 'a'.repeat(53))))).toEqual([
      `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
    ]);
    expect(errorsOf(mutate(cj, (c) => (c.spec.concurrencyPolicy = 'Never' as never)))).toEqual([
      'spec.concurrencyPolicy: Unsupported value: "Never": supported values: "Allow", "Forbid", "Replace"',
    ]);
    expect(errorsOf(mutate(cj, (c) => (c.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always')))).toEqual([
      'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });

  test('HorizontalPodAutoscaler', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2' as const,
      kind: 'HorizontalPodAutoscaler' as const,
      metadata: { name: 'web', namespace: 'd' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [{ type: 'Resource' as const, resource: { name: 'cpu', target: { type: 'Utilization' as const, averageUtilization: 50 } } }],
      },
    };
    expect(errorsOf(hpa)).toEqual([]);
    expect(errorsOf(mutate(hpa, (h) => ((h.spec.minReplicas = 0), (h.spec.maxReplicas = 0))))).toEqual([
      'spec.minReplicas: Invalid value: 0: must be greater than or equal to 1',
      'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    ]);
    expect(errorsOf(mutate(hpa, (h) => (h.spec.maxReplicas = 1)))).toEqual(['spec.maxReplicas: Invalid value: 1: must be greater than or equal to `minReplicas`']);
    expect(errorsOf(mutate(hpa, (h) => (h.spec.metrics[0]!.resource.target = { type: 'Utilization' } as never)))).toEqual([
      'spec.metrics[0].resource.target.averageUtilization: Required value: must set averageUtilization when type is Utilization',
    ]);
    expect(errorsOf(mutate(hpa, (h) => (h.spec.metrics = [{ type: 'External' } as never])))).toEqual([
      'spec.metrics[0].type: Unsupported value: "External": supported values: "Resource", "Pods"',
    ]);
    expect(errorsOf(mutate(hpa, (h) => delete (h.spec as Partial<typeof h.spec>).scaleTargetRef))).toEqual(['spec.scaleTargetRef: Required value']);
  });
});

describe('Service', () => {
  test.each([
    ['valid', (_: Service) => undefined, []],
    ['no ports', (s: Service) => (s.spec.ports = []), ['spec.ports: Required value']],
    ['headless without ports', (s: Service) => ((s.spec.ports = []), (s.spec.clusterIP = 'None')), []],
    [
      'bad port',
      (s: Service) => (s.spec.ports = [{ port: 70000, targetPort: 8080 }]),
      ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ],
    [
      'names required with several ports',
      (s: Service) => (s.spec.ports = [{ port: 80 }, { name: 'https', port: 443 }]),
      ['spec.ports[0].name: Required value'],
    ],
    [
      'duplicate names and ports',
      (s: Service) => (s.spec.ports = [{ name: 'a', port: 80 }, { name: 'a', port: 80 }]),
      ['spec.ports[1].name: Duplicate value: "a"', 'spec.ports[1]: Duplicate value: "80/TCP"'],
    ],
    ['named target port', (s: Service) => (s.spec.ports = [{ port: 80, targetPort: 'http' }]), []],
    [
      'bad target port name',
      (s: Service) => (s.spec.ports = [{ port: 80, targetPort: 'http--x' }]),
      ['spec.ports[0].targetPort: Invalid value: "http--x": must not contain consecutive hyphens'],
    ],
    ['nodePort on ClusterIP', (s: Service) => (s.spec.ports = [{ port: 80, nodePort: 30080 }]), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ['NodePort', (s: Service) => ((s.spec.type = 'NodePort'), (s.spec.ports = [{ port: 80, nodePort: 30080 }])), []],
    [
      'type',
      (s: Service) => (s.spec.type = 'Internal' as never),
      ['spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"'],
    ],
    ['ExternalName without a name', (s: Service) => ((s.spec.type = 'ExternalName'), (s.spec.ports = [])), ['spec.externalName: Required value']],
    ['bad clusterIP', (s: Service) => (s.spec.clusterIP = '10.0.0.300'), ["spec.clusterIP: Invalid value: \"10.0.0.300\": must be empty, 'None', or a valid IP address"]],
    [
      'externalTrafficPolicy on ClusterIP',
      (s: Service) => (s.spec.externalTrafficPolicy = 'Local'),
      ["spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer'"],
    ],
    [
      'sessionAffinity',
      (s: Service) => (s.spec.sessionAffinity = 'Sticky' as never),
      ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "None", "ClientIP"'],
    ],
  ])('%s', (_name, fn, expected) => {
    expect(errorsOf(mutate(service, fn))).toEqual(expected);
  });

  test('clusterIP is immutable once set', () => {
    const s = applyDefaults(mutate(service, (x) => (x.spec.clusterIP = '10.96.0.10')));
    expect(validateUpdate(s, mutate(s, (x) => (x.spec.clusterIP = '10.96.0.11'))).map(formatFieldError)).toEqual([
      'spec.clusterIP: Invalid value: "10.96.0.11": field is immutable',
    ]);
    expect(validateUpdate(s, mutate(s, (x) => (x.spec.ports = [{ port: 81, targetPort: 81, protocol: 'TCP' }])))).toEqual([]);
  });
});

describe('config and storage kinds', () => {
  const meta = { name: 'c', namespace: 'd' };

  test('ConfigMap keys, size and immutability', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { 'app.properties': 'x', 'bad key': 'y' } })).toEqual([
      "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: 'x'.repeat(1024 * 1024 + 1) } })).toEqual([
      'Too long: must have at most 1048576 bytes',
    ]);
    const frozen = { apiVersion: 'v1' as const, kind: 'ConfigMap' as const, metadata: meta, data: { a: '1' }, immutable: true };
    expect(validateUpdate(frozen, { ...frozen, data: { a: '2' } }).map(formatFieldError)).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(validateUpdate(frozen, { ...frozen, immutable: false }).map(formatFieldError)).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
  });

  test('Secret types', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'Secret', metadata: meta, stringData: { password: 'x' } })).toEqual([]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })).toEqual([
      'data[tls.key]: Required value',
    ]);
    const s = applyDefaults({ apiVersion: 'v1' as const, kind: 'Secret' as const, metadata: meta, data: {} });
    expect(validateUpdate(s, { ...s, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }).map(formatFieldError)).toEqual([
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
    ]);
  });

  test('PersistentVolume and PersistentVolumeClaim', () => {
    const pv = { apiVersion: 'v1' as const, kind: 'PersistentVolume' as const, metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce' as const], hostPath: { path: '/data' } } };
    expect(errorsOf(pv)).toEqual([]);
    expect(errorsOf({ ...pv, spec: {} })).toEqual(['spec.capacity: Required value', 'spec.accessModes: Required value', 'spec: Required value: must specify a volume type']);
    expect(errorsOf({ ...pv, spec: { ...pv.spec, capacity: { storage: '0' } } })).toEqual(['spec.capacity[storage]: Invalid value: "0": must be greater than zero']);
    const pvc = { apiVersion: 'v1' as const, kind: 'PersistentVolumeClaim' as const, metadata: meta, spec: { accessModes: ['ReadWriteOnce' as const], resources: { requests: { storage: '1Gi' } } } };
    expect(errorsOf(pvc)).toEqual([]);
    expect(errorsOf({ ...pvc, spec: { accessModes: ['ReadWriteSometimes' as never] } })).toEqual([
      'spec.accessModes[0]: Unsupported value: "ReadWriteSometimes": supported values: "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"',
      'spec.resources[storage]: Required value',
    ]);
    const d = applyDefaults(pvc);
    expect(validateUpdate(d, { ...d, spec: { ...d.spec, volumeName: 'pv1' } })).toEqual([]);
    expect(validateUpdate(d, { ...d, spec: { ...d.spec, resources: { requests: { storage: '2Gi' } } } })).toEqual([]);
    expect(validateUpdate(d, { ...d, spec: { ...d.spec, accessModes: ['ReadWriteMany'] } }).map(formatFieldError)).toEqual([
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ]);
  });

  test('Node, Endpoints, Event, Lease', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24', taints: [{ key: 'k', effect: 'NoWhere' as never }] } })).toEqual([
      'spec.taints[0].effect: Unsupported value: "NoWhere": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
    expect(errorsOf({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/33' } })).toEqual([
      'spec.podCIDR: Invalid value: "10.244.1.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
    const node = { apiVersion: 'v1' as const, kind: 'Node' as const, metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24' } };
    expect(validateUpdate(node, { ...node, spec: { podCIDR: '10.244.2.0/24' } }).map(formatFieldError)).toEqual([
      'spec.podCIDR: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
    expect(
      errorsOf({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: meta,
        subsets: [{ addresses: [{ ip: '10.1.0.5' }, { ip: 'ten' }], ports: [{ port: 8080 }] }, { ports: [{ port: 1 }] }],
      }),
    ).toEqual([
      'subsets[0].addresses[1].ip: Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`',
    ]);
    expect(
      errorsOf({ apiVersion: 'v1', kind: 'Event', metadata: meta, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' }, reason: 'X', type: 'Normal' }),
    ).toEqual(['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
    expect(errorsOf({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta, spec: { holderIdentity: 'a', leaseDurationSeconds: 0 } })).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ]);
  });
});

describe('object size', () => {
  test('1.5 MiB limit', () => {
    expect(MAX_OBJECT_BYTES).toBe(1572864);
    expect(() => checkObjectSize({ data: 'x'.repeat(1000) })).not.toThrow();
    let err: unknown;
    try {
      checkObjectSize({ data: 'x'.repeat(MAX_OBJECT_BYTES) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MkError);
    expect((err as MkError).code).toBe(ErrorCode.ResourceExhausted);
    expect((err as Error).message).toMatch(/^request is too large: object is \d+ bytes, limit is 1572864$/);
  });
});

test('names of Object.prototype members are ordinary keys and types', () => {
  const meta = { name: 'c', namespace: 'd' };
  expect(errorsOf({ apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'constructor', data: { toString: 'eA==' } })).toEqual([]);
  expect(errorsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, binaryData: { constructor: 'eA==' } })).toEqual([]);
});
