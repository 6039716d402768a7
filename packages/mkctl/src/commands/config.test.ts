import { testContext } from '../testing/context';
import { configCurrentContext, configDeleteContext, configGetContexts, configSetContext, configUseContext, configView } from './config';

const FILE = '/home/user/.mk/config';
const CONFIG = `current-context: local
contexts:
  - name: local
    servers: [127.0.0.1:6443, 127.0.0.1:6444]
    namespace: default
  - name: lab
    servers: [10.0.0.1:6443]
    namespace: team-a
`;

describe('config', () => {
  test('view prints the file; current-context; get-contexts marks the current one', async () => {
    const t = testContext({ files: { [FILE]: CONFIG } });
    expect(await configView(t.ctx)).toBe(0);
    expect(t.out()).toBe(
      'contexts:\n- name: local\n  namespace: default\n  servers:\n  - 127.0.0.1:6443\n  - 127.0.0.1:6444\n- name: lab\n  namespace: team-a\n  servers:\n  - 10.0.0.1:6443\ncurrent-context: local\n',
    );
    const c = testContext({ files: { [FILE]: CONFIG } });
    expect(await configCurrentContext(c.ctx)).toBe(0);
    expect(c.out()).toBe('local\n');
    const g = testContext({ files: { [FILE]: CONFIG } });
    expect(await configGetContexts(g.ctx, [])).toBe(0);
    expect(g.out()).toBe('CURRENT   NAME    SERVERS                         NAMESPACE\n*         local   127.0.0.1:6443,127.0.0.1:6444   default\n          lab     10.0.0.1:6443                   team-a\n');
    const m = testContext({ files: { [FILE]: CONFIG } });
    expect(await configView(m.ctx, { minify: true, output: 'json' })).toBe(0);
    expect(JSON.parse(m.out())).toEqual({ contexts: [{ name: 'local', namespace: 'default', servers: ['127.0.0.1:6443', '127.0.0.1:6444'] }], 'current-context': 'local' });
  });

  test('use-context switches; an unknown one is an error', async () => {
    const t = testContext({ files: { [FILE]: CONFIG } });
    expect(await configUseContext(t.ctx, 'lab')).toBe(0);
    expect(t.out()).toBe('Switched to context "lab".\n');
    expect(t.io.readFile(FILE)).toContain('current-context: lab\n');
    expect(await configUseContext(t.ctx, 'nope')).toBe(1);
    expect(t.err()).toBe('error: no context exists with the name: "nope"\n');
  });

  test('set-context creates a config from nothing, then modifies it', async () => {
    const t = testContext();
    expect(await configCurrentContext(t.ctx)).toBe(1);
    expect(t.err()).toBe('error: current-context is not set\n');
    expect(await configSetContext(t.ctx, 'local', { servers: '127.0.0.1:6443,127.0.0.1:6444' })).toBe(0);
    expect(await configSetContext(t.ctx, undefined, { current: true, namespace: 'kube-system' })).toBe(0);
    expect(t.out()).toBe('Context "local" created.\nContext "local" modified.\n');
    expect(t.io.readFile(FILE)).toBe('contexts:\n- name: local\n  namespace: kube-system\n  servers:\n  - 127.0.0.1:6443\n  - 127.0.0.1:6444\ncurrent-context: local\n');
    expect(await configSetContext(t.ctx, 'bad', { servers: 'http://x:1' })).toBe(1);
    expect(t.err()).toContain('error: --servers: "http://x:1" must be host:port, without a scheme\n');
    expect(await configSetContext(t.ctx, 'new', {})).toBe(1);
    expect(t.err()).toContain('error: context "new" does not exist yet: give its API servers with --servers host:port[,host:port]\n');
  });

  test('delete-context; a broken file names itself', async () => {
    const t = testContext({ files: { [FILE]: CONFIG } });
    expect(await configDeleteContext(t.ctx, 'lab')).toBe(0);
    expect(t.out()).toBe(`deleted context lab from ${FILE}\n`);
    expect(await configGetContexts(t.ctx, [], { output: 'name' })).toBe(0);
    expect(t.out()).toContain('\nlocal\n');
    const broken = testContext({ files: { [FILE]: 'contexts:\n  - name: x\n    servers: nope\n' } });
    expect(await configView(broken.ctx)).toBe(1);
    expect(broken.err()).toBe(`error: ${FILE}: contexts[0].servers: required, a non-empty list of host:port\n`);
  });
});
