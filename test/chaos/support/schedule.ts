/**
 * One chaos schedule against a running mk-store cluster, shared by the chaos suites: concurrent
 * clients doing reads, writes and compare-and-sets on a few keys through every member, a watcher on
 * their prefix, and a suite's seeded fault loop. Afterwards every member is brought back, and the
 * recorded history must be linearizable, no acknowledged write may be lost, and the watcher must
 * have seen every change exactly once, in revision order. A failing schedule saves its history and
 * seed under .ci/out/chaos/.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SeededRng, systemClock } from '@mk/shared';
import { HistoryRecorder, ackedWritesSurvive, checkLinearizability, committedWritesFromHistory, serializeHistory, watchComplete } from '@mk/history';
import { EtcdTestClient, text } from '../../e2e/support/etcd-client';
import { ROOT, eventually } from '../../e2e/support/processes';
import { StoreCluster, StoreMember } from '../../e2e/support/store-cluster';
import { ResumingWatcher } from './resuming-watcher';

export const CLIENTS = 6;
export const KEYS = ['k/0', 'k/1', 'k/2', 'k/3'];
/** Faster timings than etcd's defaults so a schedule sees several elections in a few seconds. */
export const FLAGS = ['--heartbeat-interval', '50', '--election-timeout', '500'];

export interface FaultRecord {
  at: number;
  fault: string;
  member: string;
  /** For faults that last (partitions): when they were undone. */
  healedAt?: number;
}

/** One client operation, with the member it was sent to. */
export interface OpRecord {
  proc: number;
  member: string;
  f: 'read' | 'write' | 'cas';
  start: number;
  end: number;
  outcome: 'ok' | 'fail' | 'unknown';
}

export interface ChaosContext {
  readonly seed: number;
  /** The schedule's faults, drawn in order from this. */
  readonly rng: SeededRng;
  readonly cluster: StoreCluster;
  readonly clients: Map<string, EtcdTestClient>;
  readonly flags: string[];
  /** The load stops then; the fault loop should too. */
  readonly stopAt: number;
  /** Members under SIGSTOP right now (SIGCONT is sent to them whatever happens). */
  readonly paused: Set<string>;
  readonly faults: FaultRecord[];
}

export interface ScheduleOptions {
  /** Names the saved files: `<suite>-schedule-<seed>.json`, `<suite>-summary.jsonl`. */
  suite: string;
  seed: number;
  /** Started and healthy; destroyed when the schedule ends, whatever happens. */
  cluster: StoreCluster;
  flags?: string[];
  loadMs: number;
  chaos(ctx: ChaosContext): Promise<void>;
  /** Undoes what the fault loop may leave in place (dead members are restarted anyway); also run on failure. */
  heal?(): Promise<void>;
  /** Suite-specific checks of what clients saw; each returned string is a violation. */
  check?(ops: OpRecord[], faults: FaultRecord[]): string[];
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

/** The member the others agree is leader, asking only running members. */
export async function leaderOf(c: StoreCluster, clients: Map<string, EtcdTestClient>): Promise<StoreMember | undefined> {
  for (const m of c.members) {
    if (!m.daemon?.running()) continue;
    try {
      const st = await clients.get(m.name)!.status(1000);
      if (st.leader === 0) continue;
      for (const other of c.members) {
        if (!other.daemon?.running()) continue;
        const os = await clients.get(other.name)!.status(1000).catch(() => undefined);
        if (os?.header?.memberId === st.leader) return other;
      }
    } catch {
      // paused, dead or cut off: ask another
    }
  }
  return undefined;
}

/**
 * The process faults, `pick` in 0..3: restart a dead member (3, or whenever two are dead), else
 * keeping a majority alive, SIGKILL the leader (0) or a follower (1), or SIGSTOP a member for
 * 0.3–1.8 s (2).
 */
export async function processFault(ctx: ChaosContext, pick: number): Promise<void> {
  const { cluster: c, rng, paused, faults } = ctx;
  const dead = c.members.filter((m) => !m.daemon?.running());
  if (dead.length > 0 && (pick === 3 || dead.length > 1)) {
    const m = dead[rng.int(dead.length)]!;
    c.start(m, c.initialCluster(c.members), 'new', ctx.flags);
    faults.push({ at: Date.now(), fault: 'restart', member: m.name });
    return;
  }
  const live = c.members.filter((m) => m.daemon?.running() && !paused.has(m.name));
  if (live.length < 3 && pick !== 2) return; // keep a majority alive
  if (pick === 0) {
    const leader = await leaderOf(c, ctx.clients);
    if (!leader) return;
    await leader.daemon!.stop('SIGKILL');
    faults.push({ at: Date.now(), fault: 'kill-leader', member: leader.name });
  } else if (pick === 1) {
    const leader = await leaderOf(c, ctx.clients);
    const followers = live.filter((m) => m !== leader);
    const m = followers[rng.int(followers.length)];
    if (!m) return;
    await m.daemon!.stop('SIGKILL');
    faults.push({ at: Date.now(), fault: 'kill-follower', member: m.name });
  } else if (pick === 2 && live.length === 3) {
    const m = live[rng.int(live.length)]!;
    m.daemon!.child.kill('SIGSTOP');
    paused.add(m.name);
    faults.push({ at: Date.now(), fault: 'pause', member: m.name });
    await sleep(300 + rng.int(1200));
    m.daemon!.child.kill('SIGCONT');
    paused.delete(m.name);
  }
}

/** Runs one schedule; resolves with the faults it injected when every check passed. */
export async function runSchedule(o: ScheduleOptions): Promise<FaultRecord[]> {
  const { seed, cluster: c } = o;
  const flags = o.flags ?? FLAGS;
  const clients = new Map(c.members.map((m) => [m.name, new EtcdTestClient(c.clientAddress(m))]));
  const recorder = new HistoryRecorder(systemClock);
  const watcher = new ResumingWatcher(() => [...clients.values()]);
  const faults: FaultRecord[] = [];
  const ops: OpRecord[] = [];
  const paused = new Set<string>();
  const outDir = path.join(ROOT, '.ci/out/chaos');
  try {
    const startRev = Number((await clients.get('m1')!.get('k/0')).header?.revision ?? 1) + 1;
    watcher.start(startRev);
    const stopAt = Date.now() + o.loadMs;
    const ctx: ChaosContext = { seed, rng: new SeededRng(seed), cluster: c, clients, flags, stopAt, paused, faults };

    // Clients: random reads, writes and compare-and-sets against random members.
    const worker = async (proc: number) => {
      const r = new SeededRng(seed * 1000 + proc);
      const targets = [...clients.entries()];
      let n = 0;
      while (Date.now() < stopAt) {
        const key = KEYS[r.int(KEYS.length)]!;
        const [member, client] = targets[r.int(targets.length)]!;
        const dice = r.int(10);
        const start = Date.now();
        const f = dice < 4 ? 'read' : dice < 8 ? 'write' : 'cas';
        let outcome: OpRecord['outcome'] = 'ok';
        if (f === 'read') {
          const h = recorder.invoke(proc, { f: 'read', key });
          try {
            const res = await client.get(key, 2000);
            h.ok(res.kvs[0] ? text(res.kvs[0].value) : null);
          } catch (e) {
            h.fail(String(e));
            outcome = 'fail';
          }
        } else if (f === 'write') {
          const value = `${proc}-${n++}`;
          const h = recorder.invoke(proc, { f: 'write', key, value });
          try {
            const res = await client.put(key, value, 2000);
            h.ok(undefined, { revision: Number(res.header?.revision) });
          } catch (e) {
            h.unknown(String(e));
            outcome = 'unknown';
          }
        } else {
          const expected = `${r.int(CLIENTS)}-${r.int(Math.max(1, n))}`;
          const value = `${proc}-${n++}`;
          const h = recorder.invoke(proc, { f: 'cas', key, expected, value });
          try {
            const res = await client.cas(key, expected, value, 2000);
            h.ok(res.succeeded, { revision: Number(res.header?.revision) });
          } catch (e) {
            h.unknown(String(e));
            outcome = 'unknown';
          }
        }
        ops.push({ proc, member, f, start, end: Date.now(), outcome });
      }
    };

    await Promise.all([...Array.from({ length: CLIENTS }, (_, p) => worker(p)), o.chaos(ctx)]);

    // Heal: everyone back, then final reads through a linearizable Range.
    await o.heal?.();
    for (const m of c.members) if (!m.daemon?.running()) c.start(m, c.initialCluster(c.members), 'new', flags);
    await c.waitHealthy(c.members);
    const finalReads = new Map<string, string | null>();
    for (const key of KEYS) {
      await eventually(`final read of ${key}`, async () => {
        try {
          const res = await clients.get('m1')!.get(key, 3000);
          finalReads.set(key, res.kvs[0] ? text(res.kvs[0].value) : null);
          return true;
        } catch {
          return false;
        }
      });
    }
    const finalRevision = Number((await clients.get('m1')!.get('k/0')).header?.revision);
    // Only k/ keys are written, so the final revision is the last change the watcher must see.
    await eventually('watcher caught up with the final revision', () => (watcher.events[watcher.events.length - 1]?.revision ?? 0) >= finalRevision, 15_000);
    watcher.stop();

    const history = recorder.history();
    const lin = checkLinearizability(history);
    const lost = ackedWritesSurvive(history, finalReads);
    const watch = watchComplete(committedWritesFromHistory(history), watcher.events, { prefix: 'k/', fromRevision: startRev, toRevision: finalRevision });
    const suite = o.check?.(ops, faults) ?? [];
    const counts = { ops: history.length, faults: faults.length, watchEvents: watcher.events.length, watchReconnects: watcher.reconnects };
    mkdirSync(outDir, { recursive: true });
    if (lin.ok !== true || !lost.ok || !watch.ok || suite.length > 0) {
      const file = path.join(outDir, `${o.suite}-schedule-${seed}.json`);
      writeFileSync(file, serializeHistory(history, { seed, counts, faults, lin, lost, watch, suite, ops, watched: watcher.events }));
      throw new Error(`schedule ${seed} failed (history saved in ${file}):\n${JSON.stringify({ lin, lost, watch, suite }, null, 1).slice(0, 4000)}`);
    }
    if (process.env.MK_CHAOS_SAVE_ALL) {
      writeFileSync(path.join(outDir, `${o.suite}-schedule-${seed}.ok.json`), serializeHistory(history, { seed, counts, faults, lin, lost, watch, suite, ops, watched: watcher.events }));
    }
    const okWrites = history.filter((e) => e.outcome === 'ok' && e.op.f !== 'read').length;
    const summary = { seed, ...counts, okWrites, unknown: history.filter((e) => e.outcome === 'unknown').length, kinds: faults.map((f) => f.fault) };
    appendFileSync(path.join(outDir, `${o.suite}-summary.jsonl`), JSON.stringify(summary) + '\n');
    // The schedule did what it says: faults were injected and work was done around them.
    expect(faults.length).toBeGreaterThan(0);
    expect(okWrites).toBeGreaterThan(0);
    return faults;
  } finally {
    watcher.stop();
    for (const m of c.members) if (paused.has(m.name)) m.daemon?.child.kill('SIGCONT');
    for (const cl of clients.values()) cl.close();
    await o.heal?.().catch(() => {});
    await c.destroy();
  }
}
