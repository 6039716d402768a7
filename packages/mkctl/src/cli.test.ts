import { normalizeArgv, run } from './cli';
import { testContext } from './testing/context';
import { deployment, runningPod } from './testing/fixtures';

async function mkctl(argv: string[], t = testContext()) {
  const code = await run(argv, t.factory, { out: t.ctx.out, err: t.ctx.err });
  return { code, out: t.out(), err: t.err(), t };
}

describe('the command line', () => {
  test('--help lists the commands and exits 0', async () => {
    const r = await mkctl(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: mkctl [flags] [command]');
    for (const c of ['get', 'describe', 'apply', 'create', 'delete', 'label', 'annotate', 'api-resources', 'version', 'config']) expect(r.out).toMatch(new RegExp(`\\n  ${c}\\b`));
    const sub = await mkctl(['get', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.out).toContain('--all-namespaces');
  });

  test('unknown commands and flags: exit 1 with commander\'s error', async () => {
    const r = await mkctl(['gett', 'pods']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("error: unknown command 'gett'");
    const f = await mkctl(['get', 'pods', '--bogus']);
    expect(f.code).toBe(1);
    expect(f.err).toContain("error: unknown option '--bogus'");
  });

  test('global flags anywhere: -n after the subcommand; --server/--context reach the factory', async () => {
    const t = testContext();
    t.client.add(runningPod('web'), runningPod('dns', { namespace: 'kube-system' }));
    const r = await mkctl(['get', 'pods', '-o', 'name', '-n', 'kube-system', '--server', '127.0.0.1:6443', '--request-timeout', '5s'], t);
    expect(r.code).toBe(0);
    expect(r.out).toBe('pod/dns\n');
    expect(t.globals()).toMatchObject({ namespace: 'kube-system', server: '127.0.0.1:6443', requestTimeout: '5s' });
    const before = testContext();
    before.client.add(runningPod('dns', { namespace: 'kube-system' }));
    expect((await mkctl(['--namespace=kube-system', 'get', 'po', '-o', 'name'], before)).out).toBe('pod/dns\n');
    expect(before.globals()?.requestTimeout).toBe('10s');
  });

  test('kubectl\'s --flag=true|false booleans', async () => {
    expect(normalizeArgv(['delete', 'pod', 'x', '--wait=false', '--now=true', '--force=false', '-A=true'])).toEqual(['delete', 'pod', 'x', '--no-wait', '--now', '-A']);
    const t = testContext();
    t.client.add(runningPod('web'));
    const r = await mkctl(['delete', 'pod', 'web', '--wait=false'], t);
    expect(r.code).toBe(0);
    expect(r.out).toBe('pod "web" deleted\n');
    expect(t.client.calls.filter((c) => c.method === 'get')).toHaveLength(0);
  });

  test('each command is wired to its flags', async () => {
    const t = testContext({ files: { '/m/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n' } });
    t.client.add(deployment('web'), runningPod('web-1', { labels: { app: 'web' } }));
    expect((await mkctl(['apply', '-f', '/m/cm.yaml'], t)).code).toBe(0);
    expect((await mkctl(['label', 'pods', '-l', 'app=web', 'tier=fe'], t)).code).toBe(0);
    expect((await mkctl(['annotate', 'deploy', 'web', 'a=b'], t)).code).toBe(0);
    expect((await mkctl(['get', 'pods', '--show-labels', '--no-headers'], t)).code).toBe(0);
    expect((await mkctl(['describe', 'cm', 'cfg', '--show-events=false'], t)).code).toBe(0);
    expect((await mkctl(['create', 'namespace', 'team-a'], t)).code).toBe(0);
    expect((await mkctl(['create', 'deployment', 'kubia', '--image', 'luksa/kubia', '-r', '2'], t)).code).toBe(0);
    expect((await mkctl(['delete', 'cm', 'cfg', '--now'], t)).code).toBe(0);
    expect((await mkctl(['api-resources', '--namespaced=false', '-o', 'name'], t)).code).toBe(0);
    expect((await mkctl(['version', '--client'], t)).code).toBe(0);
    expect(t.out()).toBe(
      [
        'configmap/cfg created',
        'pod/web-1 labeled',
        'deployment.apps/web annotated',
        'web-1   1/1   Running   0     60s   app=web,tier=fe',
        'Name:         cfg',
        'Namespace:    default',
        'Labels:       <none>',
        'Annotations:  <none>',
        '',
        'Data',
        '====',
        '',
        'BinaryData',
        '====',
        '',
        'namespace/team-a created',
        'deployment.apps/kubia created',
        'configmap "cfg" deleted',
        'namespaces',
        'nodes',
        'persistentvolumes',
        'Client Version: v0.1.0',
        '',
      ].join('\n'),
    );
    expect(t.err()).toBe('');
    expect(t.client.calls.find((c) => c.method === 'delete')?.opts).toEqual({ gracePeriodSeconds: 1 });
  });

  test('config set-context takes --namespace (the global flag) as the context\'s namespace', async () => {
    const t = testContext();
    const r = await mkctl(['config', 'set-context', 'local', '--servers', '127.0.0.1:6443', '--namespace', 'team-a'], t);
    expect(r.code).toBe(0);
    expect(t.io.readFile('/home/user/.mk/config')).toBe('contexts:\n- name: local\n  namespace: team-a\n  servers:\n  - 127.0.0.1:6443\ncurrent-context: local\n');
  });

  test('a command whose client cannot be built (no server configured) fails like kubectl', async () => {
    const t = testContext({ clientError: new Error('no API server configured: pass --server host:port, set MKCONFIG, or write /home/user/.mk/config (it does not exist)') });
    const r = await mkctl(['get', 'pods'], t);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: no API server configured: pass --server host:port, set MKCONFIG, or write /home/user/.mk/config (it does not exist)\n');
  });
});
