import type { DaemonSet, Deployment, KubeObject, ReplicaSet } from '@mk/api';
import { ApiError } from '@mk/client';
import { run } from '../cli';
import { type TestContext, testContext } from '../testing/context';
import { deployment, replicaSet, runningPod } from '../testing/fixtures';
import { rolloutHistory, rolloutPause, rolloutRestart, rolloutResume, rolloutUndo } from './rollout';

/** Runs a command and returns its exit code with only the output it wrote. */
async function exec(t: TestContext, fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out = t.out().length;
  const err = t.err().length;
  const code = await fn();
  return { code, out: t.out().slice(out), err: t.err().slice(err) };
}

const CAUSE = 'kubernetes.io/change-cause';
const REVISION = 'deployment.kubernetes.io/revision';

/** A ReplicaSet of `owner` at a revision, with its image and change cause. */
function revision(owner: Deployment, hash: string, rev: number, image: string, cause?: string, extra: Record<string, string> = {}): ReplicaSet {
  const rs = replicaSet(`${owner.metadata.name ?? ''}-${hash}`, owner, { image, replicas: 0 });
  rs.metadata.annotations = { [REVISION]: String(rev), 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4', ...(cause ? { [CAUSE]: cause } : {}), ...extra };
  return rs;
}

/**
 * web at revision 3 (nginx:1.27), revisions 1 (nginx:1.25) and 2 (nginx:1.26) before it; the
 * ReplicaSets are named so that name order is not revision order. Another Deployment's
 * ReplicaSet matches web's selector and must be left out.
 */
function history(t: TestContext): Deployment {
  const d = deployment('web', { image: 'nginx:1.27' });
  d.metadata.annotations = { [REVISION]: '3', [CAUSE]: 'mkctl set image deployment/web web=nginx:1.27', team: 'shop' };
  const other = deployment('other', { uid: 'uid-other' });
  const stray = revision(other, 'zzz', 7, 'httpd');
  stray.metadata.labels = { app: 'web', 'pod-template-hash': 'zzz' };
  t.client.add(
    d,
    revision(d, 'c8d', 1, 'nginx:1.25', 'mkctl create deployment web --image=nginx:1.25', { owner: 'a' }),
    revision(d, 'a6f', 3, 'nginx:1.27', 'mkctl set image deployment/web web=nginx:1.27'),
    revision(d, 'b5e', 2, 'nginx:1.26'),
    stray,
  );
  return d;
}

const stored = (t: TestContext, name = 'web'): Deployment => t.client.stored('deployments', 'default', name) as Deployment;

describe('rollout history', () => {
  test('the REVISION / CHANGE-CAUSE table, sorted by revision, of the ReplicaSets the deployment controls', async () => {
    const t = testContext();
    history(t);
    expect(await exec(t, () => rolloutHistory(t.ctx, ['deployment/web']))).toEqual({
      code: 0,
      out:
        'deployment.apps/web \n' +
        'REVISION  CHANGE-CAUSE\n' +
        '1         mkctl create deployment web --image=nginx:1.25\n' +
        '2         <none>\n' +
        '3         mkctl set image deployment/web web=nginx:1.27\n' +
        '\n',
      err: '',
    });
    // TYPE NAME, and a deployment without ReplicaSets.
    t.client.add(deployment('empty'));
    expect((await exec(t, () => rolloutHistory(t.ctx, ['deploy', 'empty']))).out).toBe('deployment.apps/empty \nNo rollout history found.\n');
  });

  test('--revision=N prints that revision\'s pod template as kubectl does (tabs not aligned)', async () => {
    const t = testContext();
    history(t);
    expect(await exec(t, () => rolloutHistory(t.ctx, ['deployment', 'web'], { revision: '2' }))).toEqual({
      code: 0,
      out:
        'deployment.apps/web with revision #2\n' +
        'Pod Template:\n' +
        '  Labels:\tapp=web\n' +
        '\tpod-template-hash=b5e\n' +
        '  Containers:\n' +
        '   web:\n' +
        '    Image:\tnginx:1.26\n' +
        '    Port:\t<none>\n' +
        '    Host Port:\t<none>\n' +
        '    Environment:\t<none>\n' +
        '    Mounts:\t<none>\n' +
        '  Volumes:\t<none>\n' +
        '  Node-Selectors:\t<none>\n' +
        '  Tolerations:\t<none>\n' +
        '\n',
      err: '',
    });
    // The change cause shows among the template's annotations, as kubectl puts it there.
    const first = await exec(t, () => rolloutHistory(t.ctx, ['deployment/web'], { revision: '1' }));
    expect(first.out).toContain('deployment.apps/web with revision #1\nPod Template:\n  Labels:\tapp=web\n\tpod-template-hash=c8d\n  Annotations:\tkubernetes.io/change-cause: mkctl create deployment web --image=nginx:1.25\n  Containers:\n');
    expect(first.out).toContain('    Image:\tnginx:1.25\n');
  });

  test('errors: an unknown revision, a negative one, a kind without history, a missing object', async () => {
    const t = testContext();
    history(t);
    t.client.add(runningPod('p'));
    expect(await exec(t, () => rolloutHistory(t.ctx, ['deployment/web'], { revision: '9' }))).toEqual({ code: 1, out: '', err: 'error: unable to find the specified revision\n' });
    expect((await exec(t, () => rolloutHistory(t.ctx, ['deployment/web'], { revision: '-1' }))).err).toBe('error: revision must be a positive integer: -1\n');
    expect((await exec(t, () => rolloutHistory(t.ctx, ['deployment/web'], { revision: 'two' }))).err).toBe(
      'error: invalid argument "two" for "--revision" flag: strconv.ParseInt: parsing "two": invalid syntax\n',
    );
    expect((await exec(t, () => rolloutHistory(t.ctx, ['pod/p']))).err).toBe('error: no history viewer has been implemented for "Pod"\n');
    expect((await exec(t, () => rolloutHistory(t.ctx, []))).err).toBe('error: required resource not specified\n');
    const missing = await exec(t, () => rolloutHistory(t.ctx, ['deployment/nope', 'deployment/web']));
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('deployment.apps/web \nREVISION  CHANGE-CAUSE\n');
    expect(missing.err).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });
});

describe('rollout undo', () => {
  test('to the previous revision: its template without the pod-template-hash label, kubectl\'s annotation rules, conditional on the resourceVersion', async () => {
    const t = testContext();
    history(t);
    const before = stored(t);
    expect(await exec(t, () => rolloutUndo(t.ctx, ['deployment/web']))).toEqual({ code: 0, out: 'deployment.apps/web rolled back\n', err: '' });
    const update = t.client.calls.find((c) => c.method === 'update');
    expect(update).toMatchObject({ resource: 'deployments', namespace: 'default', name: 'web' });
    expect((update?.body as Deployment).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    // What was written is revision 2's template, less its pod-template-hash label.
    expect((update?.body as Deployment).spec.template).toEqual({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } });
    const after = stored(t);
    expect(after.spec.template.metadata?.labels).toEqual({ app: 'web' });
    expect(after.spec.template.spec.containers[0]?.image).toBe('nginx:1.26');
    // The Deployment keeps its own revision annotation; everything else comes from the
    // ReplicaSet, less its revision/desired/max-replicas annotations: revision 2 had no change
    // cause, so the Deployment has none any more (nor the annotation only it had).
    expect(after.metadata.annotations).toEqual({ [REVISION]: '3' });
    expect(after.spec.replicas).toBe(3);
  });

  test('--to-revision=N; the ReplicaSet\'s change cause and other annotations come along', async () => {
    const t = testContext();
    history(t);
    expect(await exec(t, () => rolloutUndo(t.ctx, ['deploy', 'web'], { toRevision: '1' }))).toEqual({ code: 0, out: 'deployment.apps/web rolled back\n', err: '' });
    const after = stored(t);
    expect(after.spec.template.spec.containers[0]?.image).toBe('nginx:1.25');
    expect(after.spec.template.metadata?.labels).toEqual({ app: 'web' });
    expect(after.metadata.annotations).toEqual({ [REVISION]: '3', [CAUSE]: 'mkctl create deployment web --image=nginx:1.25', owner: 'a' });
  });

  test('the current template: skipped; an unknown revision; no history', async () => {
    const t = testContext();
    history(t);
    expect(await exec(t, () => rolloutUndo(t.ctx, ['deployment/web'], { toRevision: '3' }))).toEqual({
      code: 0,
      out: 'deployment.apps/web skipped rollback (current template already matches revision 3)\n',
      err: '',
    });
    expect(await exec(t, () => rolloutUndo(t.ctx, ['deployment/web'], { toRevision: '7' }))).toEqual({ code: 1, out: '', err: 'error: unable to find specified revision 7 in history\n' });
    expect((await exec(t, () => rolloutUndo(t.ctx, ['deployment/web'], { toRevision: '-2' }))).err).toBe('error: unable to find specified revision -2 in history\n');
    expect(t.client.calls.filter((c) => c.method === 'update')).toHaveLength(0);

    const one = deployment('solo');
    t.client.add(one, revision(one, 'f00', 1, 'nginx:1.25'), deployment('bare'));
    expect(await exec(t, () => rolloutUndo(t.ctx, ['deployment/solo']))).toEqual({ code: 1, out: '', err: 'error: no rollout history found for deployment "solo"\n' });
    expect((await exec(t, () => rolloutUndo(t.ctx, ['deployment/bare']))).err).toBe('error: no rollout history found for deployment "bare"\n');
    expect((await exec(t, () => rolloutUndo(t.ctx, ['deployment/bare'], { toRevision: '1' }))).err).toBe('error: unable to find specified revision 1 in history\n');
  });

  test('a Conflict, a paused deployment, a kind without rollbacks', async () => {
    const t = testContext();
    const d = history(t);
    t.client.fail('update', ApiError.conflict('deployments.apps', 'web'));
    expect(await exec(t, () => rolloutUndo(t.ctx, ['deployment/web'], { toRevision: '2' }))).toEqual({
      code: 1,
      out: '',
      err: 'error: failed restoring revision 2: Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again\n',
    });
    expect(stored(t).spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
    t.client.add({ ...d, spec: { ...d.spec, paused: true } } as KubeObject);
    expect((await exec(t, () => rolloutUndo(t.ctx, ['deployment/web']))).err).toBe(
      "error: you cannot rollback a paused deployment; resume it first with 'mkctl rollout resume deployment/web' and try again\n",
    );
    t.client.add(runningPod('p'));
    expect((await exec(t, () => rolloutUndo(t.ctx, ['pod', 'p']))).err).toBe('error: no rollbacker has been implemented for "Pod"\n');
  });
});

describe('rollout restart, pause, resume', () => {
  test('restart sets the restartedAt annotation of the pod template to the clock\'s time (RFC 3339)', async () => {
    const t = testContext();
    t.client.add(deployment('web'));
    expect(await exec(t, () => rolloutRestart(t.ctx, ['deployment/web']))).toEqual({ code: 0, out: 'deployment.apps/web restarted\n', err: '' });
    expect(stored(t).spec.template.metadata).toEqual({ labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-05-01T12:00:00Z' } });
    // Within the same second there is nothing to change: kubectl's error.
    expect(await exec(t, () => rolloutRestart(t.ctx, ['deployment', 'web']))).toEqual({
      code: 1,
      out: '',
      err: 'error: failed to create patch for web: if restart has already been triggered within the past second, please wait before attempting to trigger another\n',
    });
    t.clock.advance(90_000);
    expect((await exec(t, () => rolloutRestart(t.ctx, ['deployment', 'web']))).out).toBe('deployment.apps/web restarted\n');
    expect(stored(t).spec.template.metadata?.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2024-05-01T12:01:30Z' });
  });

  test('restart: daemonsets too; not pods, not a paused deployment', async () => {
    const t = testContext();
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } } },
    };
    const paused = deployment('held');
    paused.spec.paused = true;
    t.client.add(ds, paused, runningPod('p'));
    expect(await exec(t, () => rolloutRestart(t.ctx, ['ds/agent', 'deploy/held', 'pod/p']))).toEqual({
      code: 1,
      out: 'daemonset.apps/agent restarted\n',
      err: 'error: deployments.apps "held" can\'t restart paused deployment (run rollout resume first)\nerror: pods "p" restarting is not supported\n',
    });
    expect((t.client.stored('daemonsets', 'default', 'agent') as DaemonSet).spec.template.metadata?.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2024-05-01T12:00:00Z' });
  });

  test('pause and resume, each twice', async () => {
    const t = testContext();
    t.client.add(deployment('web'));
    expect(await exec(t, () => rolloutPause(t.ctx, ['deployment/web']))).toEqual({ code: 0, out: 'deployment.apps/web paused\n', err: '' });
    expect(stored(t).spec.paused).toBe(true);
    expect(await exec(t, () => rolloutPause(t.ctx, ['deployment', 'web']))).toEqual({ code: 1, out: '', err: 'error: deployments.apps "web" is already paused\n' });
    expect(await exec(t, () => rolloutResume(t.ctx, ['deployment/web']))).toEqual({ code: 0, out: 'deployment.apps/web resumed\n', err: '' });
    expect(stored(t).spec.paused ?? false).toBe(false);
    expect(await exec(t, () => rolloutResume(t.ctx, ['deploy', 'web']))).toEqual({ code: 1, out: '', err: 'error: deployments.apps "web" is not paused\n' });
    expect(t.client.calls.filter((c) => c.method === 'patch').map((c) => c.body)).toEqual([{ spec: { paused: true } }, { spec: { paused: null } }]);
  });

  test('several objects, a TYPE alone (every object of the namespace), -l, -n; missing ones and other kinds are errors', async () => {
    const t = testContext({ namespace: 'shop' });
    const a = deployment('a');
    const b = deployment('b');
    const c = deployment('c');
    for (const d of [a, b, c]) d.metadata.namespace = 'shop';
    c.metadata.labels = { tier: 'db' };
    t.client.add(a, b, c, deployment('elsewhere'));
    expect(await exec(t, () => rolloutPause(t.ctx, ['deployment', 'a', 'nope', 'b']))).toEqual({
      code: 1,
      out: 'deployment.apps/a paused\ndeployment.apps/b paused\n',
      err: 'Error from server (NotFound): deployments.apps "nope" not found\n',
    });
    expect(await exec(t, () => rolloutResume(t.ctx, ['deployment/a', 'deployment/b']))).toEqual({ code: 0, out: 'deployment.apps/a resumed\ndeployment.apps/b resumed\n', err: '' });
    expect((await exec(t, () => rolloutPause(t.ctx, ['deployments'], { selector: 'tier=db' }))).out).toBe('deployment.apps/c paused\n');
    expect((await exec(t, () => rolloutRestart(t.ctx, ['deploy']))).out).toBe('deployment.apps/a restarted\ndeployment.apps/b restarted\n');
    expect(t.out()).not.toContain('elsewhere');
    expect((await exec(t, () => rolloutRestart(t.ctx, ['statefulsets']))).out).toBe('No resources found in shop namespace.\n');
    t.client.add({ ...runningPod('p'), metadata: { ...runningPod('p').metadata, namespace: 'shop' } } as KubeObject);
    expect((await exec(t, () => rolloutPause(t.ctx, ['pod/p']))).err).toBe('error: pods "p" pausing is not supported\n');
    expect((await exec(t, () => rolloutResume(t.ctx, ['pod/p']))).err).toBe('error: pods "p" resuming is not supported\n');
  });

  test('the command line: rollout history|undo|restart|pause|resume with their flags and -n', async () => {
    const t = testContext();
    history(t);
    const mk = (argv: string[]) => exec(t, () => run(argv, t.factory, { out: t.ctx.out, err: t.ctx.err }));
    expect((await mk(['rollout', 'history', 'deployment/web', '--revision=3'])).out).toMatch(/^deployment\.apps\/web with revision #3\nPod Template:\n/);
    expect((await mk(['rollout', 'undo', 'deployment', 'web', '--to-revision', '1'])).out).toBe('deployment.apps/web rolled back\n');
    expect((await mk(['rollout', 'pause', 'deploy/web'])).out).toBe('deployment.apps/web paused\n');
    expect((await mk(['rollout', 'resume', 'deploy/web', '-l', 'x=y'])).out).toBe('deployment.apps/web resumed\n');
    expect((await mk(['rollout', 'restart', 'deploy', '-n', 'kube-system'])).out).toBe('No resources found in kube-system namespace.\n');
    expect((await mk(['rollout', 'restart', 'deploy', 'web'])).code).toBe(0);
    const help = await mk(['rollout', '--help']);
    for (const c of ['status', 'history', 'undo', 'restart', 'pause', 'resume']) expect(help.out).toMatch(new RegExp(`\\n  ${c}\\b`));
  });
});
