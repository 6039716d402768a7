import type { Pod } from '@mk/api';
import { containerEnv, ContainerConfigError, containerLimits, containerMounts, expandVars, referencedObjects } from './container-config';
import { makePod } from './testing/fixtures';

const none = { configMaps: new Map(), secrets: new Map() };

describe('container config', () => {
  it.each([
    ['$(A)-$(B)', 'x-y'],
    ['$$(A)', '$(A)'],
    ['$(MISSING)', '$(MISSING)'],
    ['plain', 'plain'],
  ])('expands %s', (input, out) => expect(expandVars(input, new Map([['A', 'x'], ['B', 'y']]))).toBe(out));

  it('builds env in order: envFrom, then env with fieldRef, refs and expansion', () => {
    const pod: Pod = makePod([
      {
        name: 'web',
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }],
        env: [
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
          { name: 'URL', value: 'http://$(IP):$(CFG_port)' },
          { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
        ],
      },
    ]);
    pod.metadata.labels = { app: 'kubia' };
    const env = containerEnv(
      pod,
      pod.spec.containers[0]!,
      {
        configMaps: new Map([['cfg', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { port: '8080' } }]]),
        secrets: new Map([['s', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { pw: Buffer.from('hunter2').toString('base64') } }]]),
      },
      { podIP: '10.244.1.7' },
    );
    expect(Object.fromEntries(env)).toEqual({
      CFG_port: '8080',
      POD: 'p',
      IP: '10.244.1.7',
      APP: 'kubia',
      PASS: 'hunter2',
      URL: 'http://10.244.1.7:8080',
    });
  });

  it.each([
    [{ name: 'X', valueFrom: { secretKeyRef: { name: 'gone', key: 'k' } } }, 'secret "gone" not found'],
    [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.whatever' } } }, 'unsupported fieldRef fieldPath "spec.whatever"'],
  ])('refuses %j', (env, message) => {
    const pod = makePod([{ name: 'web', env: [env] }]);
    expect(() => containerEnv(pod, pod.spec.containers[0]!, none, {})).toThrow(new ContainerConfigError(message));
  });

  it('turns limits into millicores and bytes', () => {
    const pod = makePod([{ name: 'web', resources: { limits: { cpu: '250m', memory: '64Mi' } } }]);
    expect(containerLimits(pod.spec.containers[0]!)).toEqual({ cpuMillis: 250, memoryBytes: 64 * 1024 * 1024 });
    expect(containerLimits(makePod([{ name: 'a' }]).spec.containers[0]!)).toEqual({});
  });

  it('mounts volumes by name, with subPath and readOnly, and names a missing one', () => {
    const c = makePod([{ name: 'web', volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }, { name: 'data', mountPath: '/logs', subPath: 'logs' }] }]).spec.containers[0]!;
    expect(containerMounts(c, new Map([['data', '/v/data']]))).toEqual([
      { hostPath: '/v/data', containerPath: '/data', readOnly: true },
      { hostPath: '/v/data/logs', containerPath: '/logs' },
    ]);
    expect(() => containerMounts(c, new Map())).toThrow('volumeMount data: no volume of that name is ready in the pod');
    const escape = makePod([{ name: 'web', volumeMounts: [{ name: 'data', mountPath: '/x', subPath: '../etc' }] }]).spec.containers[0]!;
    expect(() => containerMounts(escape, new Map([['data', '/v']]))).toThrow(/subPath "..\/etc" must be a relative path/);
  });

  it('lists the ConfigMaps and Secrets a pod refers to', () => {
    const pod = makePod([{ name: 'web', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'a', key: 'k' } } }], envFrom: [{ secretRef: { name: 's1' } }] }], {
      volumes: [{ name: 'v', configMap: { name: 'b' } }, { name: 'w', secret: { secretName: 's2' } }],
    });
    const r = referencedObjects(pod);
    expect([...r.configMaps]).toEqual(['a', 'b']);
    expect([...r.secrets]).toEqual(['s1', 's2']);
  });
});
