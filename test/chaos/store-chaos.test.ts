/**
 * mk-store under faults: three real members, concurrent clients doing reads, writes and
 * compare-and-sets on a few keys, a watcher on their prefix, and a seeded schedule of SIGKILLs (of
 * the leader and of followers), SIGSTOP/SIGCONT pauses and restarts. Afterwards the recorded
 * history must be linearizable, no acknowledged write may be lost, and the watcher must have seen
 * every change exactly once, in revision order. A failing schedule saves its history and seed.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { etcdserverpb } from '@mk/proto';
import { SeededRng, systemClock } from '@mk/shared';
import { HistoryRecorder, ackedWritesSurvive, checkLinearizability, committedWritesFromHistory, serializeHistory, watchComplete } from '@mk/history';
import { EtcdTestClient, bytes, text } from '../e2e/support/etcd-client';
import { ROOT, eventually } from '../e2e/support/processes';
import { StoreCluster, StoreMember } from '../e2e/support/store-cluster';

const SCHEDULES = Number(process.env.MK_CHAOS_SCHEDULES ?? 20);
const FIRST_SEED = Number(process.env.MK_CHAOS_SEED ?? 1);
const LOAD_MS = Number(process.env.MK_CHAOS_LOAD_MS ?? 6000);
const CLIENTS = 6;
const KEYS = ['k/0', 'k/1', 'k/2', 'k/3'];
// Faster timings than etcd's defaults so a schedule sees several elections in a few seconds.
const FLAGS = ['--heartbeat-interval', '50', '--election-timeout', '500'];

jest.setTimeout(180_000);

interface WatchedEvent {
  revision: number;
  key: string;
  value: string;
  type: 'put' | 'delete';
}

type Fault = 'kill-leader' | 'kill-follower' | 'pause' | 'restart';

/** Keeps one watch on the key prefix alive across member failures, resuming after the last revision seen. */
class ResumingWatcher {
  readonly events: WatchedEvent[] = [];
  private stopped = false;
  private call: ReturnType<EtcdTestClient['watch']['Watch']> | undefined;
  reconnects = 0;

  constructor(private readonly clients: () => EtcdTestClient[]) {}

  start(fromRevision: number): void {
    this.open(fromRevision);
  }

  private open(from: number): void {
    if (this.stopped) return;
    const all = this.clients();
    const client = all[this.reconnects % all.length]!;
    const call = client.watch.Watch();
    this.call = call;
    const retry = () => {
      if (this.call !== call || this.stopped) return;
      this.call = undefined;
      this.reconnects++;
      const last = this.events[this.events.length - 1]?.revision ?? from - 1;
      setTimeout(() => this.open(last + 1), 100);
    };
    call.on('data', (res: etcdserverpb.WatchResponse) => {
      if (res.canceled) return retry();
      for (const e of res.events) {
        this.events.push({
          revision: e.kv?.modRevision ?? 0,
          key: text(e.kv?.key),
          value: text(e.kv?.value),
          type: e.type === 1 ? 'delete' : 'put',
        });
      }
    });
    call.on('error', retry);
    call.on('end', retry);
    call.write({ createRequest: { key: bytes('k/'), rangeEnd: bytes('k0'), startRevision: from } });
  }

  stop(): void {
    this.stopped = true;
    this.call?.cancel();
  }
}

async function leaderOf(c: StoreCluster, clients: Map<string, EtcdTestClient>): Promise<StoreMember | undefined> {
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
      // paused or dead: ask another
    }
  }
  return undefined;
}

describe('mk-store under faults (linearizable, nothing acked lost, watch complete)', () => {
  const seeds = Array.from({ length: SCHEDULES }, (_, i) => FIRST_SEED + i);

  it.each(seeds)('fault schedule %i', async (seed) => {
    const rng = new SeededRng(seed);
    const c = await StoreCluster.create(3, FLAGS);
    const clients = new Map(c.members.map((m) => [m.name, new EtcdTestClient(`127.0.0.1:${m.clientPort}`)]));
    const recorder = new HistoryRecorder(systemClock);
    const watcher = new ResumingWatcher(() => [...clients.values()]);
    const faults: Array<{ at: number; fault: Fault; member: string }> = [];
    const paused = new Set<string>();
    try {
      const startRev = Number((await clients.get('m1')!.get('k/0')).header?.revision ?? 1) + 1;
      watcher.start(startRev);
      const stopAt = Date.now() + LOAD_MS;

      // Clients: random reads, writes and compare-and-sets against random members.
      const worker = async (proc: number) => {
        const r = new SeededRng(seed * 1000 + proc);
        let n = 0;
        while (Date.now() < stopAt) {
          const key = KEYS[r.int(KEYS.length)]!;
          const client = [...clients.values()][r.int(clients.size)]!;
          const dice = r.int(10);
          if (dice < 4) {
            const h = recorder.invoke(proc, { f: 'read', key });
            try {
              const res = await client.get(key, 2000);
              h.ok(res.kvs[0] ? text(res.kvs[0].value) : null);
            } catch (e) {
              h.fail(String(e));
            }
          } else if (dice < 8) {
            const value = `${proc}-${n++}`;
            const h = recorder.invoke(proc, { f: 'write', key, value });
            try {
              const res = await client.put(key, value, 2000);
              h.ok(undefined, { revision: Number(res.header?.revision) });
            } catch (e) {
              h.unknown(String(e));
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
            }
          }
        }
      };

      // Faults, on a seeded schedule.
      const chaos = async () => {
        while (Date.now() < stopAt - 800) {
          await new Promise((res) => setTimeout(res, 400 + rng.int(800)));
          const dead = c.members.filter((m) => !m.daemon?.running());
          const pick = rng.int(4);
          if (dead.length > 0 && (pick === 3 || dead.length > 1)) {
            const m = dead[rng.int(dead.length)]!;
            c.start(m, c.initialCluster(c.members), 'new', FLAGS);
            faults.push({ at: Date.now(), fault: 'restart', member: m.name });
            continue;
          }
          const live = c.members.filter((m) => m.daemon?.running() && !paused.has(m.name));
          if (live.length < 3 && pick !== 2) continue; // keep a majority alive
          if (pick === 0) {
            const leader = await leaderOf(c, clients);
            if (!leader) continue;
            await leader.daemon!.stop('SIGKILL');
            faults.push({ at: Date.now(), fault: 'kill-leader', member: leader.name });
          } else if (pick === 1) {
            const leader = await leaderOf(c, clients);
            const followers = live.filter((m) => m !== leader);
            const m = followers[rng.int(followers.length)];
            if (!m) continue;
            await m.daemon!.stop('SIGKILL');
            faults.push({ at: Date.now(), fault: 'kill-follower', member: m.name });
          } else if (pick === 2 && live.length === 3) {
            const m = live[rng.int(live.length)]!;
            m.daemon!.child.kill('SIGSTOP');
            paused.add(m.name);
            faults.push({ at: Date.now(), fault: 'pause', member: m.name });
            await new Promise((res) => setTimeout(res, 300 + rng.int(1200)));
            m.daemon!.child.kill('SIGCONT');
            paused.delete(m.name);
          }
        }
      };

      await Promise.all([...Array.from({ length: CLIENTS }, (_, p) => worker(p)), chaos()]);

      // Heal: everyone back, then final reads through a linearizable Range.
      for (const m of c.members) if (!m.daemon?.running()) c.start(m, c.initialCluster(c.members), 'new', FLAGS);
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
      const counts = { ops: history.length, faults: faults.length, watchEvents: watcher.events.length, watchReconnects: watcher.reconnects };
      const failed = lin.ok !== true || !lost.ok || !watch.ok;
      if (failed) {
        const dir = path.join(ROOT, '.ci/out/chaos');
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `store-schedule-${seed}.json`);
        writeFileSync(file, serializeHistory(history, { seed, counts, faults, lin, lost, watch, watched: watcher.events }));
        throw new Error(`schedule ${seed} failed (history saved in ${file}):\n${JSON.stringify({ lin, lost, watch }, null, 1).slice(0, 4000)}`);
      }
      const okWrites = history.filter((e) => e.outcome === 'ok' && e.op.f !== 'read').length;
      const summary = { seed, ...counts, okWrites, unknown: history.filter((e) => e.outcome === 'unknown').length, kinds: faults.map((f) => f.fault) };
      mkdirSync(path.join(ROOT, '.ci/out/chaos'), { recursive: true });
      appendFileSync(path.join(ROOT, '.ci/out/chaos/store-summary.jsonl'), JSON.stringify(summary) + '\n');
      // The schedule did what it says: faults were injected and work was done around them.
      expect(faults.length).toBeGreaterThan(0);
      expect(okWrites).toBeGreaterThan(0);
    } finally {
      watcher.stop();
      for (const m of c.members) if (paused.has(m.name)) m.daemon?.child.kill('SIGCONT');
      for (const cl of clients.values()) cl.close();
      await c.destroy();
    }
  });
});
