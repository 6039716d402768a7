/**
 * mkctl as a user types it (the built binary, a config file naming two API servers), against real
 * mk-apiservers on a 3-member mk-store and on a 3-member real etcd 3.4: apply the kubia example,
 * get/describe/label/delete it, bad input with file and line, watch, and failover between API
 * servers. The same cases on both stores.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiServers } from './support/api-servers';
import { EtcdCluster } from './support/etcd-cluster';
import { Daemon, ROOT, eventually } from './support/processes';
import { StoreCluster } from './support/store-cluster';

jest.setTimeout(120_000);

const EXAMPLES = path.join(ROOT, 'deploy/examples');
const MKCTL = path.join(ROOT, 'packages/mkctl/dist/bin/mkctl.js');

const STORES: Array<[string, () => Promise<{ endpoints(): string; destroy(): Promise<void> }>]> = [
  ['mk-store', () => StoreCluster.create(3)],
  ['etcd 3.4', () => EtcdCluster.create(3)],
];

describe.each(STORES)('mkctl against mk-apiservers on %s', (_name, makeStore) => {
  let store: { endpoints(): string; destroy(): Promise<void> };
  let apis: ApiServers;
  const files = mkdtempSync(path.join(tmpdir(), 'mkctl-e2e-'));

  beforeAll(async () => {
    store = await makeStore();
    apis = await ApiServers.start(2, store.endpoints());
    await eventually('the default namespace exists', async () => (await apis.mkctl(['get', 'ns', 'default'])).code === 0);
  });

  afterAll(async () => {
    if (apis) await apis.destroy();
    if (store) await store.destroy();
    rmSync(files, { recursive: true, force: true });
  });

  it('apply creates the kubia example; applying it again changes nothing; a change is "configured"', async () => {
    const first = await apis.mkctl(['apply', '-f', EXAMPLES]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('deployment.apps/kubia created\nservice/kubia created\n');
    expect(first.code).toBe(0);
    const again = await apis.mkctl(['apply', '-f', EXAMPLES]);
    expect(again.stdout).toBe('deployment.apps/kubia unchanged\nservice/kubia unchanged\n');
    const changed = path.join(files, 'kubia-5.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(changed, readFileSync(path.join(EXAMPLES, 'kubia.yaml'), 'utf8').replace('replicas: 3', 'replicas: 5'));
    const third = await apis.mkctl(['apply', '-f', changed]);
    expect(third.stdout).toBe('deployment.apps/kubia configured\nservice/kubia unchanged\n');
    const replicas = await apis.mkctl(['get', 'deploy', 'kubia', '-o', 'jsonpath={.spec.replicas} {.metadata.generation}']);
    expect(replicas.stdout).toBe('5 2');
  });

  it('get prints kubectl tables; -o yaml/json/name; describe ends with events', async () => {
    const svc = await apis.mkctl(['get', 'svc', 'kubia']);
    expect(svc.code).toBe(0);
    const [header, row] = svc.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(row).toMatch(/^kubia\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/);
    const deploy = await apis.mkctl(['get', 'deployments']);
    expect(deploy.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nkubia\s+0\/5\s+0\s+0\s+\d+s\n$/);
    const yaml = await apis.mkctl(['get', 'deploy', 'kubia', '-o', 'yaml']);
    expect(yaml.stdout).toContain('apiVersion: apps/v1\nkind: Deployment\n');
    expect(yaml.stdout).toMatch(/resourceVersion: "\d+"/);
    const json = JSON.parse((await apis.mkctl(['get', 'svc', 'kubia', '-o', 'json'])).stdout) as { spec: { clusterIP: string } };
    expect(json.spec.clusterIP).toMatch(/^10\./);
    expect((await apis.mkctl(['get', 'deploy,svc', '-o', 'name'])).stdout).toBe('deployment.apps/kubia\nservice/kubia\n');
    const pods = await apis.mkctl(['get', 'pods']);
    expect(pods.stdout).toBe('');
    expect(pods.stderr).toBe('No resources found in default namespace.\n');
    const described = await apis.mkctl(['describe', 'svc', 'kubia']);
    expect(described.stdout).toMatch(/^Name:\s+kubia\n/);
    expect(described.stdout).toMatch(/Selector:\s+app=kubia/);
    expect(described.stdout).toMatch(/Events:\s+<none>\n$/);
  });

  it('label and annotate; selectors find what was labelled', async () => {
    expect((await apis.mkctl(['label', 'svc', 'kubia', 'tier=front'])).stdout).toBe('service/kubia labeled\n');
    expect((await apis.mkctl(['annotate', 'deploy', 'kubia', 'team=web'])).stdout).toBe('deployment.apps/kubia annotated\n');
    expect((await apis.mkctl(['get', 'svc', '-l', 'tier=front', '-o', 'name'])).stdout).toBe('service/kubia\n');
    expect((await apis.mkctl(['get', 'svc', '-l', 'tier=back', '-o', 'name'])).stdout).toBe('');
  });

  it('bad input: malformed YAML names file and line, an unknown field and an invalid value name the field; nothing is written', async () => {
    const broken = path.join(files, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: [unclosed\n');
    const r1 = await apis.mkctl(['apply', '-f', broken]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/broken\.yaml:[67]: /); // where the parser found the unclosed list
    const unknown = path.join(files, 'unknown.yaml');
    writeFileSync(unknown, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    imagee: busybox\n');
    const r2 = await apis.mkctl(['apply', '-f', unknown]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('spec.containers[0].imagee');
    const invalid = path.join(files, 'invalid.yaml');
    writeFileSync(invalid, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n');
    const r3 = await apis.mkctl(['apply', '-f', invalid]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('metadata.name: Invalid value: "Bad_Name"');
    const none = await apis.mkctl(['get', 'cm,pods', '-o', 'name']);
    expect(none.stdout).not.toMatch(/Bad_Name|pod\/p\b|configmap\/ok/);
    const missing = await apis.mkctl(['get', 'deploy', 'nothere']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): deployments.apps "nothere" not found\n');
    const badType = await apis.mkctl(['get', 'gizmos']);
    expect(badType.code).toBe(1);
    expect(badType.stderr).toContain('the server doesn\'t have a resource type "gizmos"');
  });

  it('get -w prints a row when an object appears', async () => {
    const w = Daemon.spawn('mkctl-watch', process.execPath, [MKCTL, 'get', 'configmaps', '-w'], { env: { MKCONFIG: apis.configFile, HOME: apis.home } });
    try {
      // With nothing to list, kubectl's -w says so on stderr and waits for changes.
      await eventually('the watch started', () => w.output.includes('NAME') || w.output.includes('No resources found'), 15_000);
      await apis.mkctl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  a: "1"\n' });
      await eventually('the new ConfigMap appears in the watch output', () => /\nwatched\s+1\s+\d+s/.test(w.output), 15_000);
    } finally {
      await w.stop('SIGKILL');
    }
  });

  it('api-resources and version come from the server', async () => {
    const res = await apis.mkctl(['api-resources']);
    expect(res.stdout).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND\n/);
    expect(res.stdout).toMatch(/\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\n/);
    const v = await apis.mkctl(['version']);
    expect(v.stdout).toMatch(/Server Version: v0\.1\.0-mk/);
  });

  it('delete -f removes what the file made', async () => {
    const r = await apis.mkctl(['delete', '-f', EXAMPLES]);
    expect(r.stdout).toBe('deployment.apps "kubia" deleted\nservice "kubia" deleted\n');
    expect((await apis.mkctl(['get', 'deploy,svc', '-o', 'name'])).stdout).toBe('');
  });

  it('with one API server killed, mkctl fails over to the other', async () => {
    await apis.servers[0]!.daemon!.stop('SIGKILL');
    const r = await apis.mkctl(['get', 'ns', 'default', '-o', 'name']);
    expect(r.stdout).toBe('namespace/default\n');
    expect(r.code).toBe(0);
  });
});

describe('mkctl without a reachable API server', () => {
  it('fails within its request timeout with a clear message', async () => {
    const { run } = await import('./support/processes');
    const r = await run(process.execPath, [MKCTL, '--server', '127.0.0.1:1', '--request-timeout', '3s', 'get', 'pods'], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    // It ended by itself with the message (run() would have killed a hung mkctl after 20 s).
    expect(r.stderr).toMatch(/unable to connect to the server at 127\.0\.0\.1:1/);
  });
});
