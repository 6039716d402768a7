import { testContext } from '../testing/context';
import { runningPod } from '../testing/fixtures';
import { annotate, label } from './label';

describe('label', () => {
  test('adds, changes with --overwrite, removes', async () => {
    const t = testContext();
    t.client.add(runningPod('web', { labels: { app: 'web' } }));
    expect(await label(t.ctx, ['pods', 'web', 'tier=fe', 'env=prod'])).toBe(0);
    expect(t.out()).toBe('pod/web labeled\n');
    expect(t.client.stored('pods', 'default', 'web')?.metadata.labels).toEqual({ app: 'web', tier: 'fe', env: 'prod' });
    expect(t.client.calls.find((c) => c.method === 'patch')?.body).toEqual({ metadata: { labels: { tier: 'fe', env: 'prod' } } });

    expect(await label(t.ctx, ['pod/web', 'app=api'])).toBe(1);
    expect(t.err()).toBe("error: 'app' already has a value (web), and --overwrite is false\n");
    expect(await label(t.ctx, ['pod/web', 'app=api'], { overwrite: true })).toBe(0);
    expect(await label(t.ctx, ['pod', 'web', 'env-'])).toBe(0);
    expect(t.out()).toBe('pod/web labeled\npod/web labeled\npod/web unlabeled\n');
    expect(t.client.stored('pods', 'default', 'web')?.metadata.labels).toEqual({ app: 'api', tier: 'fe' });
    expect(await label(t.ctx, ['pod', 'web', 'tier=fe'])).toBe(0);
    expect(t.out()).toContain('pod/web not labeled\n');
  });

  test('-l labels every match; bad specs are refused before anything is sent', async () => {
    const t = testContext();
    t.client.add(runningPod('a', { labels: { app: 'web' } }), runningPod('b', { labels: { app: 'web' } }), runningPod('c'));
    expect(await label(t.ctx, ['pods', 'canary=true'], { selector: 'app=web' })).toBe(0);
    expect(t.out()).toBe('pod/a labeled\npod/b labeled\n');
    const bad = testContext();
    expect(await label(bad.ctx, ['pods', 'a', 'app=b@d'])).toBe(1);
    expect(bad.err()).toMatch(/^error: invalid label value: "app=b@d": a valid label must be an empty string or consist of alphanumeric characters/);
    const none = testContext();
    expect(await label(none.ctx, ['pods', 'a'])).toBe(1);
    expect(none.err()).toBe('error: at least one label update is required\n');
    const both = testContext();
    expect(await label(both.ctx, ['pods', 'a', 'x=1', 'x-'])).toBe(1);
    expect(both.err()).toBe('error: can not both modify and remove a label in the same command\n');
    expect(bad.client.calls.filter((c) => c.method === 'patch')).toHaveLength(0);
  });

  test('a missing object', async () => {
    const t = testContext();
    expect(await label(t.ctx, ['deploy', 'nope', 'a=b'])).toBe(1);
    expect(t.err()).toBe('Error from server (NotFound): deployments.apps "nope" not found\n');
  });
});

describe('annotate', () => {
  test('sets and removes annotations; --overwrite guards existing ones', async () => {
    const t = testContext();
    t.client.add(runningPod('web'));
    expect(await annotate(t.ctx, ['pods', 'web', 'description=my web server'])).toBe(0);
    expect(t.out()).toBe('pod/web annotated\n');
    expect(t.client.stored('pods', 'default', 'web')?.metadata.annotations).toEqual({ description: 'my web server' });
    expect(await annotate(t.ctx, ['pods', 'web', 'description=other'])).toBe(1);
    expect(t.err()).toBe("error: --overwrite is false but found the following declared annotation(s): 'description' already has a value (my web server)\n");
    expect(await annotate(t.ctx, ['pods', 'web', 'description-'])).toBe(0);
    expect(t.client.stored('pods', 'default', 'web')?.metadata.annotations ?? {}).toEqual({});
  });
});
