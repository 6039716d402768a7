import type { Pod } from '@mk/api';
import { nullLogger } from '@mk/shared';
import { ControllerManager, selectControllers } from './manager';
import { FakeCluster } from './testing/fake-cluster';
import { deploymentFixture } from './testing/fixtures';
import { nullRecorder } from './types';

describe('selectControllers', () => {
  it.each([
    ['*', ['replicaset', 'deployment', 'garbagecollector', 'endpoint', 'nodelifecycle', 'nodeipam']],
    ['*,-nodeipam,-garbagecollector', ['replicaset', 'deployment', 'endpoint', 'nodelifecycle']],
    ['replicaset,deployment', ['replicaset', 'deployment']],
    ['', []],
  ])('%p', (spec, want) => {
    expect([...selectControllers(spec)].sort()).toEqual([...want].sort());
  });

  it('refuses an unknown name', () => {
    expect(() => selectControllers('*,-replication')).toThrow(/unknown controller "replication"/);
  });
});

describe('ControllerManager', () => {
  it('starts the controllers once the informers are synced, and stops them', async () => {
    const cluster = new FakeCluster();
    let started = false;
    const informers = Object.assign(cluster, {
      start: () => (started = true),
      waitForSync: async () => true,
      stop: () => (started = false),
    });
    const m = new ControllerManager({ client: cluster, informers, clock: cluster.clock, logger: nullLogger, recorder: nullRecorder }, { controllers: selectControllers('*') });
    expect([...m.controllers.keys()]).toEqual(['nodeipam', 'nodelifecycle', 'replicaset', 'deployment', 'endpoint', 'garbagecollector']);
    cluster.add(deploymentFixture('web', 3));
    expect(await m.start()).toBe(true);
    expect(started).toBe(true);
    for (let i = 0; i < 200 && cluster.list<Pod>('pods').length < 3; i++) await new Promise((r) => setImmediate(r));
    expect(cluster.list<Pod>('pods')).toHaveLength(3);
    await m.stop();
    expect(started).toBe(false);
  });
});
