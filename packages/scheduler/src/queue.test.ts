import { FakeClock } from '@mk/shared';
import type { ClusterEvent } from './framework/types';
import { type QueuedPodInfo, SchedulingQueue } from './queue';
import { podInfo } from './testing/fixtures';

function setup(o: { maxUnschedulableMs?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const pluginEvents = new Map<string, ReadonlySet<ClusterEvent>>([
    ['NodeResourcesFit', new Set<ClusterEvent>(['NodeAdd', 'NodeAllocatableChange', 'AssignedPodDelete'])],
    ['TaintToleration', new Set<ClusterEvent>(['NodeAdd', 'NodeTaintChange'])],
  ]);
  const q = new SchedulingQueue({ clock, pluginEvents, ...o });
  const popAll = () => {
    const out: string[] = [];
    for (let p = q.tryPop(); p; p = q.tryPop()) out.push(p.podInfo.name);
    return out;
  };
  return { clock, q, popAll };
}

function popOne(q: SchedulingQueue): QueuedPodInfo {
  const p = q.tryPop();
  if (!p) throw new Error('nothing active');
  return p;
}

describe('SchedulingQueue: active order', () => {
  it('highest priority first, then first in first out', () => {
    const { q, clock, popAll } = setup();
    q.add(podInfo('a'));
    clock.advance(1);
    q.add(podInfo('b', { priority: 10 }));
    clock.advance(1);
    q.add(podInfo('c'));
    q.add(podInfo('d', { priority: 10 }));
    q.add(podInfo('e', { priority: -5 }));
    expect(popAll()).toEqual(['b', 'd', 'a', 'c', 'e']);
  });

  it('adding a queued pod again updates it in place', () => {
    const { q, popAll } = setup();
    q.add(podInfo('a', { resourceVersion: '1' }));
    q.add(podInfo('b'));
    q.add(podInfo('a', { resourceVersion: '2' }));
    const first = q.tryPop()!;
    expect(first.podInfo.name).toBe('a');
    expect(first.podInfo.pod.metadata.resourceVersion).toBe('2');
    expect(popAll()).toEqual(['b']);
  });

  it('delete removes a pod from wherever it is', () => {
    const { q, popAll } = setup();
    q.add(podInfo('a'));
    q.add(podInfo('b'));
    q.delete('default/a');
    expect(popAll()).toEqual(['b']);
  });

  it('pop waits for a pod and ends with undefined when closed', async () => {
    const { q } = setup();
    const waiting = q.pop();
    q.add(podInfo('late'));
    expect((await waiting)?.podInfo.name).toBe('late');
    const closed = q.pop();
    q.close();
    expect(await closed).toBeUndefined();
  });
});

describe('SchedulingQueue: back-off', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [20, 10_000],
  ])('attempt %d backs off %d ms', (attempts, ms) => {
    expect(setup().q.backoffDuration(attempts)).toBe(ms);
  });

  it('an error puts the pod in backoff; it is active again when its back-off has passed', () => {
    const { q, clock, popAll } = setup();
    q.add(podInfo('a'));
    q.addBackoff(popOne(q)); // attempt 1: 1 s
    expect(q.counts()).toEqual({ active: 0, backoff: 1, unschedulable: 0 });
    clock.advance(999);
    expect(popAll()).toEqual([]);
    clock.advance(1);
    expect(q.counts()).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
    q.addBackoff(popOne(q)); // attempt 2: 2 s
    clock.advance(1999);
    expect(q.where('default/a')).toBe('backoff');
    clock.advance(1);
    expect(popAll()).toEqual(['a']);
  });

  it('pods leave backoff in the order of their expiry', () => {
    const { q, clock, popAll } = setup();
    q.add(podInfo('slow'));
    const slow = popOne(q);
    q.addBackoff(slow);
    q.add(podInfo('slow'));
    q.delete('default/slow');
    // slow: attempts 2 → 2 s; fast: attempt 1 → 1 s
    const s2 = { ...slow, attempts: 2 };
    q.addBackoff(s2);
    q.add(podInfo('fast'));
    q.addBackoff(popOne(q));
    clock.advance(1000);
    expect(popAll()).toEqual(['fast']);
    clock.advance(1000);
    expect(popAll()).toEqual(['slow']);
  });
});

describe('SchedulingQueue: unschedulable', () => {
  it('waits for an event one of its rejecting plugins cares about', () => {
    const { q, clock, popAll } = setup();
    q.add(podInfo('big'));
    const p = popOne(q);
    q.addUnschedulable(p, new Set(['NodeResourcesFit']), q.schedulingCycle());
    expect(q.where('default/big')).toBe('unschedulable');
    expect(q.moveAllToActiveOrBackoff('NodeTaintChange')).toBe(0);
    expect(q.where('default/big')).toBe('unschedulable');
    clock.advance(1000); // past its back-off
    expect(q.moveAllToActiveOrBackoff('AssignedPodDelete')).toBe(1);
    expect(popAll()).toEqual(['big']);
  });

  it('moved before its back-off has passed, it goes to backoff first', () => {
    const { q, clock, popAll } = setup();
    q.add(podInfo('p'));
    q.addUnschedulable(popOne(q), new Set(['TaintToleration']), q.schedulingCycle());
    clock.advance(300);
    q.moveAllToActiveOrBackoff('NodeAdd');
    expect(q.where('default/p')).toBe('backoff');
    clock.advance(700);
    expect(popAll()).toEqual(['p']);
  });

  it('without rejecting plugins (no nodes at all), any event moves it', () => {
    const { q, clock } = setup();
    q.add(podInfo('p'));
    q.addUnschedulable(popOne(q), new Set(), q.schedulingCycle());
    clock.advance(5000);
    q.moveAllToActiveOrBackoff('NamespaceChange');
    expect(q.where('default/p')).toBe('active');
  });

  it('after the max wait it goes back to active by itself', () => {
    const { q, clock } = setup({ maxUnschedulableMs: 60_000 });
    q.add(podInfo('p'));
    q.addUnschedulable(popOne(q), new Set(['NodeResourcesFit']), q.schedulingCycle());
    clock.advance(30_000);
    q.add(podInfo('q'));
    q.addUnschedulable(popOne(q), new Set(['NodeResourcesFit']), q.schedulingCycle());
    clock.advance(29_999);
    expect(q.counts().unschedulable).toBe(2);
    clock.advance(1);
    expect(q.where('default/p')).toBe('active');
    expect(q.where('default/q')).toBe('unschedulable');
    clock.advance(30_000);
    expect(q.where('default/q')).toBe('active');
  });

  it('an update of its spec or labels moves it at once; a status-only update does not', () => {
    const { q, clock } = setup();
    q.add(podInfo('p'));
    q.addUnschedulable(popOne(q), new Set(['NodeResourcesFit']), q.schedulingCycle());
    clock.advance(2000);
    const statusOnly = podInfo('p', { resourceVersion: '2' });
    (statusOnly.pod as { status?: unknown }).status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] };
    q.update(statusOnly);
    expect(q.where('default/p')).toBe('unschedulable');
    expect(q.get('default/p')?.podInfo.pod.metadata.resourceVersion).toBe('2');
    q.update(podInfo('p', { resourceVersion: '3', labels: { fixed: 'yes' } }));
    expect(q.where('default/p')).toBe('active');
  });

  it('a move request during its scheduling cycle sends a failed pod to backoff instead', () => {
    const { q, clock } = setup();
    q.add(podInfo('p'));
    const p = popOne(q);
    const cycle = q.schedulingCycle();
    q.moveAllToActiveOrBackoff('NodeAdd'); // a node appeared while p was being scheduled
    q.addUnschedulable(p, new Set(['NodeResourcesFit']), cycle);
    expect(q.where('default/p')).toBe('backoff');
    clock.advance(1000);
    expect(q.where('default/p')).toBe('active');
  });

  it('a pod deleted while in flight is not requeued', () => {
    const { q } = setup();
    q.add(podInfo('p'));
    const p = popOne(q);
    q.delete('default/p');
    q.addUnschedulable(p, new Set(), q.schedulingCycle());
    expect(q.where('default/p')).toBeUndefined();
    q.add(podInfo('r'));
    const r = popOne(q);
    q.delete('default/r');
    q.addBackoff(r);
    expect(q.where('default/r')).toBeUndefined();
  });

  it('close cancels the timer', () => {
    const { q, clock } = setup();
    q.add(podInfo('p'));
    q.addBackoff(popOne(q));
    expect(clock.pendingTimers()).toBe(1);
    q.close();
    expect(clock.pendingTimers()).toBe(0);
    q.add(podInfo('x'));
    expect(q.tryPop()).toBeUndefined();
  });
});
