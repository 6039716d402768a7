import type { KubeObject, Pod } from '@mk/api';
import { ApiError } from '@mk/client';
import { testContext } from '../testing/context';
import { ago, deployment, event, node, pod, replicaSet, runningPod, service } from '../testing/fixtures';
import { get } from './get';

const waiting = (reason: string, restarts = 0): NonNullable<Pod['status']>['containerStatuses'] => [
  { name: 'web', ready: false, restartCount: restarts, image: 'nginx', imageID: '', state: { waiting: { reason } } },
];

/** Pods in the states kubectl's STATUS column tells apart. */
function podZoo(): Pod[] {
  return [
    runningPod('running', { age: 5 }),
    pod('creating', { age: 125, status: { phase: 'Pending', containerStatuses: waiting('ContainerCreating') } }),
    pod('crashing', {
      age: 3600 * 4,
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'web', ready: false, restartCount: 5, image: 'nginx', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(90) } } },
        ],
      },
    }),
    pod('done', {
      age: 86400 * 2 + 3 * 3600,
      status: { phase: 'Succeeded', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
    }),
    pod('killed', { age: 86400 * 45, status: { phase: 'Failed', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, image: 'x', imageID: '', state: { terminated: { exitCode: 137 } } }] } }),
    pod('evicted', { status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } }),
    pod('unscheduled', { status: { phase: 'Pending' } }),
    {
      ...pod('init', {
      status: {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'setup', ready: false, restartCount: 0, image: 'busybox', imageID: '', state: { running: {} } }],
        containerStatuses: waiting('PodInitializing'),
      },
      }),
      spec: { initContainers: [{ name: 'setup', image: 'busybox' }], containers: [{ name: 'web', image: 'nginx' }] },
    },
    { ...pod('initfail', { status: { phase: 'Pending', initContainerStatuses: [{ name: 'setup', ready: false, restartCount: 2, image: 'b', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), spec: { initContainers: [{ name: 'setup', image: 'b' }], containers: [{ name: 'web', image: 'nginx' }] } },
    runningPod('stopping', { deleting: true }),
    runningPod('two', { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] }),
  ];
}

describe('get pods', () => {
  test('STATUS, READY and RESTARTS as kubectl computes them; AGE from the clock', async () => {
    const t = testContext();
    t.client.add(...podZoo());
    expect(await get(t.ctx, ['pods'])).toBe(0);
    expect(t.out()).toBe(
      [
        'NAME          READY   STATUS                  RESTARTS      AGE',
        'crashing      0/1     CrashLoopBackOff        5 (90s ago)   4h',
        'creating      0/1     ContainerCreating       0             2m5s',
        'done          0/1     Completed               0             2d3h',
        'evicted       0/1     Evicted                 0             60s',
        'init          0/1     Init:0/1                0             60s',
        'initfail      0/1     Init:CrashLoopBackOff   2             60s',
        'killed        0/1     ExitCode:137            0             45d',
        'running       1/1     Running                 0             5s',
        'stopping      1/1     Terminating             0             60s',
        'two           2/2     Running                 0             60s',
        'unscheduled   0/1     Pending                 0             60s',
        '',
      ].join('\n'),
    );
    expect(t.err()).toBe('');
  });
});

describe('get: columns and flags', () => {
  test('-o wide adds IP, NODE, NOMINATED NODE, READINESS GATES', async () => {
    const t = testContext();
    t.client.add(runningPod('web-1', { ip: '10.244.1.7' }), pod('pending', { status: { phase: 'Pending' } }));
    expect(await get(t.ctx, ['po'], { output: 'wide' })).toBe(0);
    expect(t.out()).toBe(
      'NAME      READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n' +
        'pending   0/1     Pending   0          60s   <none>       <none>   <none>           <none>\n' +
        'web-1     1/1     Running   0          60s   10.244.1.7   node-1   <none>           <none>\n',
    );
  });

  test('-A lists every namespace with a NAMESPACE column first; --show-labels adds LABELS last', async () => {
    const t = testContext();
    t.client.add(runningPod('web', { labels: { app: 'web', tier: 'fe' } }), runningPod('dns', { namespace: 'kube-system' }));
    expect(await get(t.ctx, ['pods'], { allNamespaces: true, showLabels: true })).toBe(0);
    expect(t.out()).toBe(
      'NAMESPACE     NAME   READY   STATUS    RESTARTS   AGE   LABELS\n' +
        'default       web    1/1     Running   0          60s   app=web,tier=fe\n' +
        'kube-system   dns    1/1     Running   0          60s   <none>\n',
    );
    expect(t.client.calls.find((c) => c.method === 'list')?.namespace).toBe('');
  });

  test('-n: only that namespace; --no-headers; -L label columns', async () => {
    const t = testContext({ namespace: 'kube-system', namespaceFromFlag: true });
    t.client.add(runningPod('web'), runningPod('dns', { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }));
    expect(await get(t.ctx, ['pods'], { noHeaders: true, labelColumns: ['k8s-app'] })).toBe(0);
    expect(t.out()).toBe('dns   1/1   Running   0     60s   kube-dns\n');
  });

  test('-l and --field-selector go to the server', async () => {
    const t = testContext();
    t.client.add(runningPod('a', { labels: { app: 'web' } }), runningPod('b', { labels: { app: 'db' } }));
    expect(await get(t.ctx, ['pods'], { selector: 'app=web', fieldSelector: 'status.phase=Running', output: 'name' })).toBe(0);
    expect(t.out()).toBe('pod/a\n');
    expect(t.client.calls.find((c) => c.method === 'list')?.opts).toMatchObject({ labelSelector: 'app=web', fieldSelector: 'status.phase=Running' });
  });

  test('several types: one table each, names with their kind, a blank line between', async () => {
    const t = testContext();
    const d = deployment('web', { ready: 2 });
    t.client.add(runningPod('web-1'), service('web'), d, replicaSet('web-5d9f', d));
    expect(await get(t.ctx, ['po,svc,deploy'])).toBe(0);
    expect(t.out()).toBe(
      'NAME        READY   STATUS    RESTARTS   AGE\n' +
        'pod/web-1   1/1     Running   0          60s\n' +
        '\n' +
        'NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n' +
        'service/web   ClusterIP   10.96.0.10   <none>        80/TCP    60m\n' +
        '\n' +
        'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n' +
        'deployment.apps/web   2/3     3            2           5m\n',
    );
    const all = testContext();
    all.client.add(d, replicaSet('web-5d9f', d));
    expect(await get(all.ctx, ['all'])).toBe(0);
    expect(all.out()).toBe(
      'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n' +
        'deployment.apps/web   2/3     3            2           5m\n' +
        '\n' +
        'NAME                       DESIRED   CURRENT   READY   AGE\n' +
        'replicaset.apps/web-5d9f   3         3         3       5m\n',
    );
  });

  test('TYPE/NAME and names: found ones print, missing ones are errors (exit 1)', async () => {
    const t = testContext();
    t.client.add(runningPod('web'), deployment('api'));
    expect(await get(t.ctx, ['pod/web', 'deploy/api', 'deploy/nope'])).toBe(1);
    expect(t.out()).toBe(
      'NAME      READY   STATUS    RESTARTS   AGE\n' +
        'pod/web   1/1     Running   0          60s\n' +
        '\n' +
        'NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n' +
        'deployment.apps/api   3/3     3            3           5m\n',
    );
    expect(t.err()).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');

    const one = testContext();
    expect(await get(one.ctx, ['pods', 'web'])).toBe(1);
    expect(one.out()).toBe('');
    expect(one.err()).toBe('Error from server (NotFound): pods "web" not found\n');
    const ignored = testContext();
    expect(await get(ignored.ctx, ['pods', 'web'], { ignoreNotFound: true })).toBe(0);
    expect(ignored.err()).toBe('');
  });

  test('nothing found: kubectl\'s message on stderr, exit 0', async () => {
    const t = testContext();
    expect(await get(t.ctx, ['pods'])).toBe(0);
    expect(t.out()).toBe('');
    expect(t.err()).toBe('No resources found in default namespace.\n');
    const all = testContext();
    expect(await get(all.ctx, ['deployments'], { allNamespaces: true })).toBe(0);
    expect(all.err()).toBe('No resources found\n');
    const nodes = testContext();
    expect(await get(nodes.ctx, ['nodes'])).toBe(0);
    expect(nodes.err()).toBe('No resources found\n');
  });

  test('unknown type, missing type, name with -A', async () => {
    const t = testContext();
    expect(await get(t.ctx, ['foo'])).toBe(1);
    expect(t.err()).toBe('error: the server doesn\'t have a resource type "foo"\n');
    const none = testContext();
    expect(await get(none.ctx, [])).toBe(1);
    expect(none.err()).toContain('error: Required resource not specified.\n');
    const byName = testContext();
    expect(await get(byName.ctx, ['pod', 'web'], { allNamespaces: true })).toBe(1);
    expect(byName.err()).toBe('error: a resource cannot be retrieved by name across all namespaces\n');
  });

  test('an unreachable server: kubectl\'s connection error, exit 1', async () => {
    const t = testContext();
    t.client.fail('list', ApiError.unavailable('no API server answered (127.0.0.1:6443, 127.0.0.1:6444); last error: the API server at 127.0.0.1:6444 is unavailable: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:6444 (2024-05-01T12:00:00.000Z)'));
    expect(await get(t.ctx, ['pods'])).toBe(1);
    expect(t.err()).toBe('error: unable to connect to the server at 127.0.0.1:6443,127.0.0.1:6444: connection refused\n');
  });

  test('a bad -o', async () => {
    const t = testContext();
    expect(await get(t.ctx, ['pods'], { output: 'xml' })).toBe(1);
    expect(t.err()).toBe('error: unable to match a printer suitable for the output format "xml", allowed formats are: json,jsonpath,name,wide,yaml\n');
  });
});

describe('get: -o yaml|json|name|jsonpath', () => {
  const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', uid: 'u1', resourceVersion: '7', creationTimestamp: ago(10) }, data: { 'b.txt': 'yes', a: 'x<y' } } as KubeObject;

  test('one object by name prints as itself, YAML keys sorted', async () => {
    const t = testContext();
    t.client.add(cm);
    expect(await get(t.ctx, ['cm', 'cfg'], { output: 'yaml' })).toBe(0);
    expect(t.out()).toBe(
      'apiVersion: v1\n' +
        'data:\n' +
        '  a: x<y\n' +
        '  b.txt: "yes"\n' +
        'kind: ConfigMap\n' +
        'metadata:\n' +
        '  creationTimestamp: "2024-05-01T11:59:50Z"\n' +
        '  name: cfg\n' +
        '  namespace: default\n' +
        '  resourceVersion: "7"\n' +
        '  uid: u1\n',
    );
  });

  test('a list prints as a List; JSON indented by four with <>& escaped as Go does', async () => {
    const t = testContext();
    t.client.add(cm);
    expect(await get(t.ctx, ['configmaps'], { output: 'json' })).toBe(0);
    expect(JSON.parse(t.out())).toEqual({ apiVersion: 'v1', items: [expect.objectContaining({ kind: 'ConfigMap' })], kind: 'List', metadata: { resourceVersion: '' } });
    expect(t.out()).toContain('\n    "items": [\n        {\n');
    expect(t.out()).toContain('"a": "x\\u003cy"');
    const y = testContext();
    expect(await get(y.ctx, ['pods'], { output: 'yaml' })).toBe(0);
    expect(y.out()).toBe('apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n');
  });

  test('-o name and -o jsonpath', async () => {
    const t = testContext();
    t.client.add(runningPod('a', { ip: '10.0.0.1' }), runningPod('b', { ip: '10.0.0.2' }), deployment('web'));
    expect(await get(t.ctx, ['pods,deploy'], { output: 'name' })).toBe(0);
    expect(t.out()).toBe('pod/a\npod/b\ndeployment.apps/web\n');
    const j = testContext();
    j.client.add(runningPod('a', { ip: '10.0.0.1' }), runningPod('b', { ip: '10.0.0.2' }));
    expect(await get(j.ctx, ['pods'], { output: 'jsonpath={.items[*].metadata.name}' })).toBe(0);
    expect(j.out()).toBe('a b');
    const r = testContext();
    r.client.add(runningPod('a', { ip: '10.0.0.1' }), runningPod('b', { ip: '10.0.0.2' }));
    expect(await get(r.ctx, ['pods'], { output: 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.podIP}{"\\n"}{end}' })).toBe(0);
    expect(r.out()).toBe('a\t10.0.0.1\nb\t10.0.0.2\n');
    const one = testContext();
    one.client.add(runningPod('a'));
    expect(await get(one.ctx, ['pod', 'a'], { output: 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' })).toBe(0);
    expect(one.out()).toBe('True');
  });

  test('--sort-by', async () => {
    const t = testContext();
    t.client.add(runningPod('old', { age: 500 }), runningPod('new', { age: 5 }), runningPod('mid', { age: 50 }));
    expect(await get(t.ctx, ['pods'], { sortBy: '.metadata.creationTimestamp', output: 'name' })).toBe(0);
    expect(t.out()).toBe('pod/old\npod/mid\npod/new\n');
  });
});

describe('get: every kind has kubectl\'s columns', () => {
  const cases: [string, KubeObject[], string, string][] = [
    [
      'services',
      [
        service('web'),
        service('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }] }),
        service('lb', { type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31000, protocol: 'UDP' }] }),
        service('ext', { type: 'ExternalName', externalName: 'db.example.com', clusterIP: '', clusterIPs: [], ports: [], selector: {} }),
      ],
      'NAME   TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)                      AGE   SELECTOR\n' +
        'ext    ExternalName   <none>       db.example.com   <none>                       60m   <none>\n' +
        'lb     LoadBalancer   10.96.0.10   <pending>        80:31000/UDP                 60m   app=lb\n' +
        'np     NodePort       10.96.0.10   <none>           80:30080/TCP,443:30443/TCP   60m   app=np\n' +
        'web    ClusterIP      10.96.0.10   <none>           80/TCP                       60m   app=web\n',
      'wide',
    ],
    [
      'nodes',
      [node('n1', { roles: ['control-plane'] }), node('n2', { ready: false, unschedulable: true, age: 3600 * 5 })],
      'NAME   STATUS                        ROLES           AGE   VERSION\n' + //
        'n1     Ready                         control-plane   3d    v0.1.0\n' +
        'n2     NotReady,SchedulingDisabled   <none>          5h    v0.1.0\n',
      '',
    ],
    [
      'deployments',
      [deployment('web', { ready: 1 })],
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR\n' + //
        'web    1/3     3            1           5m    web          nginx:1.25   app=web\n',
      'wide',
    ],
    [
      'namespaces',
      [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: ago(86400 * 10) }, status: { phase: 'Active' } } as KubeObject],
      'NAME      STATUS   AGE\ndefault   Active   10d\n',
      '',
    ],
    [
      'endpoints',
      [
        {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name: 'web', namespace: 'default', creationTimestamp: ago(60) },
          subsets: [{ addresses: [{ ip: '10.244.1.2' }, { ip: '10.244.2.3' }, { ip: '10.244.1.4' }, { ip: '10.244.2.5' }], ports: [{ port: 8080, protocol: 'TCP' }] }],
        } as KubeObject,
        { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'empty', namespace: 'default', creationTimestamp: ago(60) } } as KubeObject,
      ],
      'NAME    ENDPOINTS                                                     AGE\n' + //
        'empty   <none>                                                        60s\n' +
        'web     10.244.1.2:8080,10.244.2.3:8080,10.244.1.4:8080 + 1 more...   60s\n',
      '',
    ],
    [
      'configmaps,secrets',
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default', creationTimestamp: ago(60) }, data: { a: '1', b: '2' } } as KubeObject,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'default', creationTimestamp: ago(60) }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } } as KubeObject,
      ],
      'NAME            DATA   AGE\nconfigmap/cfg   2      60s\n\nNAME         TYPE                DATA   AGE\nsecret/tls   kubernetes.io/tls   2      60s\n',
      '',
    ],
    [
      'events',
      [
        event('web.1', runningPod('web'), { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container ', from: 'kubelet', first: 600, last: 30, count: 7 }),
        event('web.2', deployment('web'), { reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-5d9f to 3', from: 'deployment-controller', first: 300 }),
      ],
      'LAST SEEN   TYPE      REASON              OBJECT           MESSAGE\n' +
        '30s         Warning   BackOff             pod/web          Back-off restarting failed container\n' +
        '5m          Normal    ScalingReplicaSet   deployment/web   Scaled up replica set web-5d9f to 3\n',
      '',
    ],
    [
      'jobs,cronjobs',
      [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'pi', namespace: 'default', creationTimestamp: ago(120) },
          spec: { completions: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } },
          status: { succeeded: 1, startTime: ago(120), completionTime: ago(80), conditions: [{ type: 'Complete', status: 'True' }] },
        } as KubeObject,
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: { name: 'hello', namespace: 'default', creationTimestamp: ago(3600) },
          spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } },
          status: { lastScheduleTime: ago(100) },
        } as KubeObject,
      ],
      'NAME           STATUS     COMPLETIONS   DURATION   AGE\n' +
        'job.batch/pi   Complete   1/1           40s        2m\n' +
        '\n' +
        'NAME                  SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   AGE\n' +
        'cronjob.batch/hello   */5 * * * *   <none>     False     0        100s            60m\n',
      '',
    ],
  ];

  test.each(cases)('%s', async (type, objects, expected, output) => {
    // (every case has its -o, '' for none: jest would take a missing fourth argument for `done`)
    const t = testContext();
    t.client.add(...objects);
    expect(await get(t.ctx, [type], output ? { output } : {})).toBe(0);
    expect(t.out()).toBe(expected);
  });
});

describe('get --watch', () => {
  test('prints the current rows, then a row per event, until interrupted', async () => {
    const t = testContext();
    t.client.add(pod('web', { status: { phase: 'Pending' } }));
    const done = get(t.ctx, ['pods'], { watch: true });
    await new Promise((r) => setImmediate(r));
    expect(t.client.watcherCount()).toBe(1);
    expect(t.client.calls.find((c) => c.method === 'watch')?.opts).toMatchObject({ namespace: 'default', resourceVersion: expect.any(String) });
    t.client.emit('pods', 'MODIFIED', pod('web', { status: { phase: 'Pending', containerStatuses: waiting('ContainerCreating') } }));
    t.client.emit('pods', 'MODIFIED', runningPod('web'));
    t.client.emit('pods', 'ADDED', pod('a-much-longer-name', { age: 0, status: { phase: 'Pending' } }));
    t.interrupt();
    expect(await done).toBe(0);
    expect(t.out()).toBe(
      'NAME   READY   STATUS    RESTARTS   AGE\n' +
        'web    0/1     Pending   0          60s\n' +
        'web    0/1     ContainerCreating   0          60s\n' +
        'web    1/1     Running             0          60s\n' +
        'a-much-longer-name   0/1     Pending             0          0s\n',
    );
  });

  test('--watch-only with --output-watch-events prints only events, with their type', async () => {
    const t = testContext();
    t.client.add(runningPod('web'));
    const done = get(t.ctx, ['pods', 'web'], { watchOnly: true, outputWatchEvents: true });
    await new Promise((r) => setImmediate(r));
    expect(t.client.calls.find((c) => c.method === 'watch')?.opts).toMatchObject({ fieldSelector: 'metadata.name=web' });
    t.client.emit('pods', 'DELETED', runningPod('web', { deleting: true }));
    t.interrupt();
    expect(await done).toBe(0);
    expect(t.out()).toBe('EVENT     NAME   READY   STATUS        RESTARTS   AGE\nDELETED   web    1/1     Terminating   0          60s\n');
  });

  test('an ERROR event ends the watch with its status; Gone relists and goes on', async () => {
    const t = testContext();
    const done = get(t.ctx, ['pods'], { watch: true });
    await new Promise((r) => setImmediate(r));
    expect(t.err()).toBe('No resources found in default namespace.\n');
    t.client.add(runningPod('web'));
    t.client.emitEvent('pods', { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 5 (100)', reason: 'Gone', code: 410 } });
    for (let i = 0; i < 10 && t.client.watcherCount() === 0; i++) await new Promise((r) => setImmediate(r));
    expect(t.out()).toBe('NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          60s\n');
    t.client.emitEvent('pods', { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'internal error', reason: 'InternalError', code: 500 } });
    expect(await done).toBe(1);
    expect(t.err()).toContain('Error from server (InternalError): internal error\n');
  });

  test('a watch stream that ends is resumed from the last version seen', async () => {
    const t = testContext();
    t.client.add(runningPod('web'));
    const done = get(t.ctx, ['pods'], { watch: true, output: 'name' });
    await new Promise((r) => setImmediate(r));
    t.client.emit('pods', 'MODIFIED', { ...runningPod('web'), metadata: { ...runningPod('web').metadata, resourceVersion: '555' } });
    t.client.endWatches();
    await new Promise((r) => setImmediate(r));
    t.clock.advance(1000);
    for (let i = 0; i < 10 && t.client.watcherCount() === 0; i++) await new Promise((r) => setImmediate(r));
    const watches = t.client.calls.filter((c) => c.method === 'watch');
    expect(watches).toHaveLength(2);
    expect(watches[1]?.opts).toMatchObject({ resourceVersion: '555' });
    t.interrupt();
    expect(await done).toBe(0);
    expect(t.out()).toBe('pod/web\npod/web\n');
  });
});
