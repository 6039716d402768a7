import type { Deployment, KubeObject } from '@mk/api';
import { testContext } from '../testing/context';
import { deployment, pod, runningPod } from '../testing/fixtures';
import { rolloutStatusCommand, wait } from './wait';

/** Lets the command under test run until it sleeps on the fake clock. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('wait', () => {
  test('--for=condition=Ready: polls until the condition is True', async () => {
    const t = testContext();
    t.client.add(pod('web', { status: { phase: 'Pending' } }));
    const done = wait(t.ctx, ['pod/web'], { for: 'condition=Ready' });
    await settle();
    expect(t.out()).toBe('');
    t.client.add(runningPod('web'));
    t.clock.advance(500);
    expect(await done).toBe(0);
    expect(t.out()).toBe('pod/web condition met\n');
  });

  test('times out with kubectl\'s message; a missing object is NotFound', async () => {
    const t = testContext();
    t.client.add(pod('web', { status: { phase: 'Pending' } }));
    const done = wait(t.ctx, ['pods', 'web'], { for: 'condition=Ready', timeout: '1s' });
    for (let i = 0; i < 3; i++) {
      await settle();
      t.clock.advance(500);
    }
    expect(await done).toBe(1);
    expect(t.err()).toBe('error: timed out waiting for the condition on pods/web\n');
    const missing = testContext();
    expect(await wait(missing.ctx, ['pod/nope'], { for: 'condition=Ready' })).toBe(1);
    expect(missing.err()).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  test('--for=delete and --for=jsonpath', async () => {
    const t = testContext();
    t.client.add(runningPod('web'), deployment('api', { ready: 3 }));
    const gone = wait(t.ctx, ['pod/web'], { for: 'delete' });
    await settle();
    await t.client.delete('pods', 'default', 'web');
    t.clock.advance(500);
    expect(await gone).toBe(0);
    expect(await wait(t.ctx, ['deploy/api'], { for: "jsonpath='{.status.readyReplicas}'=3".replace(/'/g, '') })).toBe(0);
    expect(t.out()).toBe('pod/web condition met\ndeployment.apps/api condition met\n');
    expect(await wait(t.ctx, ['deploy/api'], { for: 'sometime' })).toBe(1);
    expect(t.err()).toBe('error: unrecognized condition: "sometime"\n');
  });
});

describe('rollout status', () => {
  test('prints each new state until the deployment has rolled out', async () => {
    const t = testContext();
    const d: Deployment = deployment('web', { replicas: 3 });
    d.metadata.generation = 2;
    d.status = { observedGeneration: 1, replicas: 3, updatedReplicas: 0, availableReplicas: 3 };
    t.client.add(d);
    const done = rolloutStatusCommand(t.ctx, ['deployment/web']);
    const step = async (status: Deployment['status']): Promise<void> => {
      const cur = t.client.stored('deployments', 'default', 'web') as Deployment;
      t.client.add({ ...cur, status } as KubeObject);
      t.clock.advance(500);
      await settle();
    };
    await settle();
    await step({ observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3 });
    await step({ observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 });
    await step({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 });
    await step({ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(await done).toBe(0);
    expect(t.out()).toBe(
      'Waiting for deployment spec update to be observed...\n' +
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n' +
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n' +
        'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...\n' +
        'deployment "web" successfully rolled out\n',
    );
  });

  test('a kind without rollouts', async () => {
    const t = testContext();
    t.client.add(runningPod('web'));
    expect(await rolloutStatusCommand(t.ctx, ['pod', 'web'])).toBe(1);
    expect(t.err()).toBe('error: no status viewer has been implemented for Pod\n');
  });
});
