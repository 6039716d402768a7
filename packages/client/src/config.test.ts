import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerAddress, defaultConfigPath, loadClientConfig, parseClientConfig, parseServerList } from './config';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mk-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const good = `
current-context: local
contexts:
  - name: local
    servers: [127.0.0.1:6443, 127.0.0.1:6444]
    namespace: shop
  - name: lab
    servers:
      - 10.0.0.1:6443
      - "[fd00::1]:6443"
`;

function write(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('loadClientConfig: explicit list, then $MKCONFIG, then ~/.mk/config', () => {
  test('an explicit list wins and the file is not read', () => {
    write(defaultConfigPath(dir), 'this: is: not: yaml: [');
    expect(loadClientConfig({ servers: ['127.0.0.1:1'], homeDir: dir, env: {} })).toEqual({ servers: ['127.0.0.1:1'], namespace: 'default', source: 'flags' });
    expect(loadClientConfig({ servers: ['127.0.0.1:1'], namespace: 'x', env: {} }).namespace).toBe('x');
  });

  test('$MKCONFIG names the file', () => {
    const file = write(join(dir, 'elsewhere.yaml'), good);
    expect(loadClientConfig({ env: { MKCONFIG: file }, homeDir: dir })).toEqual({
      servers: ['127.0.0.1:6443', '127.0.0.1:6444'],
      namespace: 'shop',
      context: 'local',
      source: file,
    });
  });

  test('~/.mk/config otherwise; --context and --namespace override', () => {
    const file = write(defaultConfigPath(dir), good);
    expect(loadClientConfig({ env: {}, homeDir: dir }).source).toBe(file);
    expect(loadClientConfig({ env: {}, homeDir: dir, context: 'lab' })).toEqual({
      servers: ['10.0.0.1:6443', '[fd00::1]:6443'],
      namespace: 'default',
      context: 'lab',
      source: file,
    });
    expect(loadClientConfig({ env: {}, homeDir: dir, namespace: 'kube-system' }).namespace).toBe('kube-system');
  });

  test('clear errors: nothing configured, missing $MKCONFIG file, unknown context', () => {
    expect(() => loadClientConfig({ env: {}, homeDir: dir })).toThrow(
      `no API server configured: pass --server host:port, set MKCONFIG, or write ${join(dir, '.mk', 'config')} (it does not exist)`,
    );
    expect(() => loadClientConfig({ env: { MKCONFIG: join(dir, 'nope') }, homeDir: dir })).toThrow(`MKCONFIG: cannot read ${join(dir, 'nope')}: no such file`);
    const file = write(defaultConfigPath(dir), good);
    expect(() => loadClientConfig({ env: {}, homeDir: dir, context: 'prod' })).toThrow(`${file}: no context named "prod" (have: local, lab)`);
  });

  test('without current-context: the only context, else an error listing them', () => {
    const one = write(join(dir, 'one'), 'contexts: [{name: a, servers: ["h:1"]}]');
    expect(loadClientConfig({ env: { MKCONFIG: one } }).servers).toEqual(['h:1']);
    const two = write(join(dir, 'two'), 'contexts: [{name: a, servers: ["h:1"]}, {name: b, servers: ["h:2"]}]');
    expect(() => loadClientConfig({ env: { MKCONFIG: two } })).toThrow(`${two}: no current-context; set it to one of: a, b`);
  });
});

describe('parseClientConfig names the file and what is wrong', () => {
  const cases: [string, string, string][] = [
    ['bad YAML', 'contexts: [\n  {name: a', 'f.yaml:'],
    ['empty', '', 'f.yaml: the file is empty'],
    ['not a mapping', '- a\n- b', 'f.yaml: the top level must be a mapping'],
    ['unknown top-level field', 'contexts: [{name: a, servers: ["h:1"]}]\nclusters: []', 'f.yaml: unknown field "clusters" (known: contexts, current-context)'],
    ['no contexts', 'current-context: a', 'f.yaml: "contexts" must be a non-empty list'],
    ['context without name', 'contexts: [{servers: ["h:1"]}]', 'f.yaml: contexts[0].name: required, a string'],
    ['duplicate name', 'contexts: [{name: a, servers: ["h:1"]}, {name: a, servers: ["h:2"]}]', 'f.yaml: contexts[1].name: "a" is used by an earlier context'],
    ['no servers', 'contexts: [{name: a}]', 'f.yaml: contexts[0].servers: required, a non-empty list of host:port'],
    ['a scheme', 'contexts: [{name: a, servers: ["http://h:1"]}]', 'f.yaml: contexts[0].servers[0]: "http://h:1" must be host:port, without a scheme'],
    ['no port', 'contexts: [{name: a, servers: ["h"]}]', 'f.yaml: contexts[0].servers[0]: "h" is not host:port'],
    ['a number', 'contexts: [{name: a, servers: [6443]}]', 'f.yaml: contexts[0].servers[0]: must be a string host:port'],
    ['unknown context field', 'contexts: [{name: a, servers: ["h:1"], server: "h:2"}]', 'f.yaml: contexts[0]: unknown field "server"'],
    ['bad namespace', 'contexts: [{name: a, servers: ["h:1"], namespace: ""}]', 'f.yaml: contexts[0].namespace: must be a non-empty string'],
    ['dangling current-context', 'current-context: b\ncontexts: [{name: a, servers: ["h:1"]}]', 'f.yaml: current-context "b" is not one of the contexts (a)'],
  ];
  test.each(cases)('%s', (_name, text, message) => {
    expect(() => parseClientConfig(text, 'f.yaml')).toThrow(message);
  });

  test('YAML errors carry the line', () => {
    expect(() => parseClientConfig('contexts:\n  - name: a\n   servers: x', 'f.yaml')).toThrow(/^f\.yaml:\d+:\d+: not valid YAML/);
  });
});

test('server addresses and lists', () => {
  expect(checkServerAddress('127.0.0.1:6443')).toBe('127.0.0.1:6443');
  expect(checkServerAddress('[::1]:6443')).toBe('[::1]:6443');
  expect(checkServerAddress('cp-1.example:6443')).toBe('cp-1.example:6443');
  expect(() => checkServerAddress('h:0')).toThrow('is not host:port');
  expect(() => checkServerAddress('h:70000')).toThrow('is not host:port');
  expect(() => checkServerAddress('::1:6443')).toThrow('is not host:port');
  expect(parseServerList(' a:1, b:2 ,')).toEqual(['a:1', 'b:2']);
  expect(() => parseServerList(' , ')).toThrow('--server: no address given');
  expect(() => parseServerList('https://a:1')).toThrow('--server: "https://a:1" must be host:port, without a scheme');
});
