import { containerDockerName, normalizeImageRef, sandboxDockerName } from './names';

const pod = { uid: '0c1e5c4a-1b2c-4d5e-8f90-123456789abc', name: 'kubia-7d9f-x2x4', namespace: 'default' };

describe('Docker names', () => {
  test('containers and sandboxes are named as dockershim named them', () => {
    expect(containerDockerName(pod, 'web', 3)).toBe(`mk_web_kubia-7d9f-x2x4_default_${pod.uid}_3`);
    expect(sandboxDockerName(pod, 0)).toBe(`mk_POD_kubia-7d9f-x2x4_default_${pod.uid}_0`);
    expect(containerDockerName({ ...pod, name: 'a.b' }, 'c', 0)).toBe(`mk_c_a.b_default_${pod.uid}_0`);
  });

  test.each([
    ['a container name with "_"', () => containerDockerName(pod, 'we_b', 0), /container name "we_b"/],
    ['an empty pod name', () => containerDockerName({ ...pod, name: '' }, 'web', 0), /pod name ""/],
    ['a namespace with a space', () => sandboxDockerName({ ...pod, namespace: 'a b' }, 0), /namespace "a b"/],
    ['a uid with "/"', () => sandboxDockerName({ ...pod, uid: 'a/b' }, 0), /pod uid "a\/b"/],
    ['a negative attempt', () => containerDockerName(pod, 'web', -1), /attempt must be an integer >= 0, got -1/],
    ['a fractional attempt', () => sandboxDockerName(pod, 1.5), /attempt must be an integer >= 0, got 1.5/],
  ])('%s is refused, naming the field', (_what, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('normalizeImageRef', () => {
  test.each([
    ['busybox', 'busybox:latest'],
    ['busybox:1', 'busybox:1'],
    ['mk.local/pause:1', 'mk.local/pause:1'],
    ['mk.local/pause', 'mk.local/pause:latest'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
    ['127.0.0.1:5000/app:2', '127.0.0.1:5000/app:2'],
    ['app@sha256:abc', 'app@sha256:abc'],
    [' padded:1 ', 'padded:1'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeImageRef(input)).toBe(expected);
  });

  test.each(['', '   ', 'a b'])('%j is not a reference', (input) => {
    expect(() => normalizeImageRef(input)).toThrow(/invalid image reference/);
  });
});
