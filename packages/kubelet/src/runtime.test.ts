import { FakeClock } from '@mk/shared';
import { LABEL_ATTEMPT, LABEL_CONTAINER_NAME, LABEL_POD_UID } from './runtime';
import { FakeRuntime } from './testing/fake-runtime';

const pod = { uid: 'u1', name: 'web', namespace: 'default' };

describe('FakeRuntime', () => {
  it('runs a container through created, running and exited, labelled for adoption', async () => {
    const clock = new FakeClock(1000);
    const rt = new FakeRuntime(clock);
    const sb = await rt.createSandbox({ pod });
    expect(sb.state).toBe('ready');
    expect(sb.ip).toBeDefined();
    await expect(rt.createContainer({ pod, sandboxId: sb.id, name: 'app', attempt: 0, image: 'busybox' })).rejects.toThrow(/no such image/);
    await rt.pullImage('busybox');
    expect(await rt.imagePresent('busybox')).toBe(true);
    const id = await rt.createContainer({ pod, sandboxId: sb.id, name: 'app', attempt: 0, image: 'busybox' });
    expect((await rt.inspectContainer(id))?.state).toBe('created');
    clock.advance(500);
    await rt.startContainer(id);
    const running = await rt.inspectContainer(id);
    expect(running).toMatchObject({ state: 'running', startedAt: 1500, attempt: 0, image: 'busybox' });
    expect(running?.labels).toMatchObject({ [LABEL_POD_UID]: 'u1', [LABEL_CONTAINER_NAME]: 'app', [LABEL_ATTEMPT]: '0' });
    expect(await rt.exec(id, { command: ['true'] })).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    clock.advance(100);
    rt.exit(id, 3);
    expect(await rt.inspectContainer(id)).toMatchObject({ state: 'exited', exitCode: 3, finishedAt: 1600 });
    expect(await rt.listContainers({ podUid: 'u1', state: 'exited' })).toHaveLength(1);
    expect(await rt.listContainers({ podUid: 'other' })).toHaveLength(0);
    rt.logLines.set(id, ['a', 'b', 'c']);
    const got: string[] = [];
    for await (const line of rt.logs(id, { tailLines: 2 })) got.push(line);
    expect(got).toEqual(['b', 'c']);
    await rt.removeContainer(id);
    expect(await rt.inspectContainer(id)).toBeUndefined();
    await rt.stopSandbox(sb.id);
    expect((await rt.listSandboxes({ podUid: 'u1' }))[0]?.state).toBe('notready');
  });
});
