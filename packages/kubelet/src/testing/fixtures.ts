/** Small builders for kubelet tests. */
import type { Container, Pod, PodSpec } from '@mk/api';
import type { RuntimeContainer, RuntimeSandbox } from '../runtime';

export function makePod(containers: Array<Partial<Container> & { name: string }>, spec: Partial<PodSpec> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: {
      nodeName: 'n1',
      ...spec,
      containers: containers.map((c) => ({ image: `${c.name}-image`, ...c })),
    },
  };
}

export function sandbox(over: Partial<RuntimeSandbox> = {}): RuntimeSandbox {
  return {
    id: 'sb1',
    pod: { uid: 'uid-1', name: 'p', namespace: 'default' },
    state: 'ready',
    ip: '10.244.1.5',
    createdAt: 0,
    labels: {},
    ...over,
  };
}

export function ctr(name: string, over: Partial<RuntimeContainer> = {}): RuntimeContainer {
  const attempt = over.attempt ?? 0;
  return {
    id: `${name}-${attempt}`,
    name,
    podUid: 'uid-1',
    sandboxId: 'sb1',
    state: 'running',
    createdAt: 1_000 + attempt,
    startedAt: 1_000_000,
    attempt,
    image: `${name}-image`,
    imageId: `sha256:${name}`,
    labels: {},
    ...over,
  };
}

export const running = (name: string, over: Partial<RuntimeContainer> = {}): RuntimeContainer =>
  ctr(name, { state: 'running', ...over });

export const exited = (name: string, exitCode: number, over: Partial<RuntimeContainer> = {}): RuntimeContainer =>
  ctr(name, { state: 'exited', exitCode, finishedAt: 2_000_000, ...over });
