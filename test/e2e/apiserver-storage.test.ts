/**
 * The API server's store access (packages/apiserver/src/storage) against real 3-member clusters:
 * mk-store and real etcd 3.4, the same code and the same contract table for both. Then failover:
 * the member the client is using is SIGKILLed while a watch, reads and writes are running.
 *
 *   npx jest test/e2e/apiserver-storage.test.ts --selectProjects e2e --runInBand
 */
import { EtcdTestClient } from './support/etcd-client';
import { EtcdCluster, type EtcdMember } from './support/etcd-cluster';
import { type Daemon, eventually, freePort } from './support/processes';
import { StoreCluster, type StoreMember, requireEtcdctl } from './support/store-cluster';
import { WatchRecorder, storeContract } from '../../packages/apiserver/src/storage/contract';
import { type ChangeEvent, EtcdStore, KeyExistsError, StoreUnavailableError, fromBytes, toBytes } from '../../packages/apiserver/src/storage';

const MiB = 1024 * 1024;
/** Both clusters run with --max-request-bytes 3 MiB, so that ~2 MiB objects fit. */
const MAX_REQUEST_BYTES = 3 * MiB;
/** etcd sends progress notifications this often here (mk-store has no such flag: 10 min). */
const ETCD_PROGRESS_NOTIFY = '500ms';

/** What the tests need of either cluster. */
interface Cluster {
  readonly system: string;
  memberNames(): string[];
  /** host:port of member i's client URL. */
  address(i: number): string;
  daemon(i: number): Daemon | undefined;
  restart(i: number): Promise<void>;
  destroy(): Promise<void>;
}

class MkCluster implements Cluster {
  readonly system = 'mk-store';
  constructor(
    readonly c: StoreCluster,
    readonly flags: string[],
  ) {}
  static async create(): Promise<MkCluster> {
    await requireEtcdctl();
    const flags = ['--max-request-bytes', String(MAX_REQUEST_BYTES), '--experimental-watch-progress-notify-interval', ETCD_PROGRESS_NOTIFY];
    return new MkCluster(await StoreCluster.create(3, flags), flags);
  }
  private m(i: number): StoreMember {
    return this.c.members[i]!;
  }
  memberNames(): string[] {
    return this.c.members.map((m) => m.name);
  }
  address(i: number): string {
    return this.c.clientAddress(this.m(i));
  }
  daemon(i: number): Daemon | undefined {
    return this.m(i).daemon;
  }
  async restart(i: number): Promise<void> {
    this.c.start(this.m(i), this.c.initialCluster(this.c.members), 'new', this.flags);
    await this.c.waitHealthy([this.m(i)]);
  }
  destroy(): Promise<void> {
    return this.c.destroy();
  }
}

class RealEtcdCluster implements Cluster {
  readonly system = 'etcd';
  constructor(readonly c: EtcdCluster) {}
  static async create(): Promise<RealEtcdCluster> {
    await requireEtcdctl();
    return new RealEtcdCluster(
      await EtcdCluster.create(3, ['--max-request-bytes', String(MAX_REQUEST_BYTES), '--experimental-watch-progress-notify-interval', ETCD_PROGRESS_NOTIFY]),
    );
  }
  private m(i: number): EtcdMember {
    return this.c.members[i]!;
  }
  memberNames(): string[] {
    return this.c.members.map((m) => m.name);
  }
  address(i: number): string {
    return this.c.clientAddress(this.m(i));
  }
  daemon(i: number): Daemon | undefined {
    return this.m(i).daemon;
  }
  async restart(i: number): Promise<void> {
    this.c.startMember(this.m(i));
    await this.c.waitHealthy([this.m(i)]);
  }
  destroy(): Promise<void> {
    return this.c.destroy();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/** Index of the member that is leader now (asked of every live member until they agree). */
async function leaderIndex(cluster: Cluster): Promise<number> {
  let found = -1;
  await eventually('a leader', async () => {
    const ids: number[] = [];
    const leaders = new Set<number>();
    for (let i = 0; i < 3; i++) {
      if (!cluster.daemon(i)?.running()) {
        ids.push(-1);
        continue;
      }
      const c = new EtcdTestClient(cluster.address(i));
      try {
        const st = await c.status(2000);
        ids.push(st.header?.memberId ?? -1);
        if (st.leader) leaders.add(st.leader);
      } catch {
        ids.push(-1);
      } finally {
        c.close();
      }
    }
    const [leader] = [...leaders];
    if (leaders.size !== 1 || leader === undefined) return false;
    found = ids.indexOf(leader);
    return found >= 0;
  });
  return found;
}

type Outcome = { key: string; value: string; result: 'ok'; revision: number } | { key: string; value: string; result: 'unknown' | 'not-applied'; error: string };

/**
 * Kills (SIGKILL) or hangs (SIGSTOP) member `victim` while a client that is using it runs a watch,
 * readers and writers, then checks: reads go on (failing only as unavailable while there is no
 * leader); every write succeeded or reported an
 * unknown outcome (never a wrong answer such as KeyExists from a re-sent create); the watch
 * delivered exactly the store's history (the same events as a fresh watch on a survivor), each
 * revision once, in order. Then the victim runs again (restarted, or SIGCONT).
 */
async function faultDuringTraffic(cluster: Cluster, victim: number, label: string, signal: 'SIGKILL' | 'SIGSTOP'): Promise<void> {
  const order = [victim, ...[0, 1, 2].filter((i) => i !== victim)];
  const client = new EtcdStore({ endpoints: order.map((i) => cluster.address(i)) });
  const prefix = `/failover/${label}/${Date.now()}/`;
  const outcomes: Outcome[] = [];
  const readErrors: string[] = [];
  let stop = false;
  try {
    await client.create(`${prefix}marker`, toBytes('m'));
    expect(client.currentEndpoint).toBe(cluster.address(victim));
    const start = await client.currentRevision();
    const watch = WatchRecorder.start(client, prefix, start + 1, 30_000);

    let seq = 0;
    const writer = async () => {
      while (!stop) {
        const key = `${prefix}k${seq++}`;
        const value = `v-${key}`;
        try {
          outcomes.push({ key, value, result: 'ok', revision: await client.create(key, toBytes(value)) });
        } catch (e) {
          if (e instanceof StoreUnavailableError) {
            outcomes.push({ key, value, result: e.mayHaveSucceeded ? 'unknown' : 'not-applied', error: e.message });
          } else {
            // KeyExistsError here would mean a create was sent twice.
            outcomes.push({ key, value, result: 'not-applied', error: `UNEXPECTED ${(e as Error).constructor.name}: ${(e as Error).message}` });
          }
        }
      }
    };
    let reads = 0;
    const reader = async () => {
      while (!stop) {
        try {
          await client.get(`${prefix}marker`);
          await client.list(prefix, { limit: 5 });
          reads++;
        } catch (e) {
          readErrors.push(`${(e as Error).constructor.name}: ${(e as Error).message}`);
        }
      }
    };
    const workers = [writer(), writer(), writer(), writer(), reader(), reader()];
    await eventually('some writes before the kill', () => outcomes.length >= 40 && watch.changes.length >= 20, 30_000);
    const eventsBeforeKill = watch.changes.length;
    if (signal === 'SIGKILL') await cluster.daemon(victim)!.stop('SIGKILL');
    else cluster.daemon(victim)!.child.kill('SIGSTOP');
    const killedAt = outcomes.length;
    // Until writes go through again on the survivors, and then some more.
    await eventually(`writes succeed again after the ${signal}`, () => outcomes.slice(killedAt).filter((o) => o.result === 'ok').length >= 40, 30_000);
    const readsAfter = reads;
    await eventually(`reads go on after the ${signal}`, () => reads >= readsAfter + 10, 15_000);
    stop = true;
    await Promise.all(workers);

    // The store's own account, from a fresh client on a survivor.
    const survivor = new EtcdStore({ endpoints: order.slice(1).map((i) => cluster.address(i)) });
    try {
      await sleep(500);
      const final = await survivor.currentRevision();
      await watch.until(`the watch reaches revision ${final}`, () => watch.handle.lastRevision >= final || watch.errors.length > 0);
      const truth = WatchRecorder.start(survivor, prefix, start + 1, 30_000);
      await truth.until(`a fresh watch reaches ${final}`, () => truth.handle.lastRevision >= final || truth.errors.length > 0);
      truth.handle.cancel();
      watch.handle.cancel();

      expect(watch.errors).toEqual([]);
      expect(truth.errors).toEqual([]);
      const upTo = (es: ChangeEvent[]) => es.filter((e) => e.modRevision <= final).map((e) => `${e.type} ${e.key} ${e.type === 'put' ? fromBytes(e.value) : ''} @${e.modRevision}`);
      // No event lost, none repeated, none reordered: exactly the store's history.
      expect(upTo(watch.changes)).toEqual(upTo(truth.changes));
      const revs = watch.changes.map((e) => e.modRevision);
      expect(revs).toEqual([...revs].sort((a, b) => a - b));
      expect(new Set(revs).size).toBe(revs.length);
      expect(watch.changes.length).toBeGreaterThan(eventsBeforeKill);

      // Writes: each acknowledged create is in the history at its revision; an unknown one is
      // there at most once; nothing else happened.
      const created = new Map(truth.changes.map((e) => [e.key, e]));
      const unexpected = outcomes.filter((o) => o.result !== 'ok' && o.error.startsWith('UNEXPECTED'));
      expect(unexpected).toEqual([]);
      for (const o of outcomes) {
        const ev = created.get(o.key);
        if (o.result === 'ok') expect(ev && ev.modRevision === o.revision && ev.type === 'put' && fromBytes(ev.value) === o.value).toBe(true);
        if (o.result === 'not-applied') expect(ev).toBeUndefined();
      }
      expect(truth.changes.filter((e) => e.key !== `${prefix}marker`).every((e) => e.type === 'put' && e.version === 1)).toBe(true);
      // Reads moved to the survivors. A linearizable read needs a leader, so while the survivors
      // elect one (longer on a loaded machine than a read's deadline) a read may fail — but only
      // as "unavailable", never with a wrong answer; and reads went on afterwards (above).
      expect(readErrors.filter((e) => !e.startsWith('StoreUnavailableError: '))).toEqual([]);
      expect(client.currentEndpoint).not.toBe(cluster.address(victim));
      const unknown = outcomes.filter((o) => o.result === 'unknown');
      // Some of the writes in flight at the kill may have been applied: the client said so.
      console.log(
        `${cluster.system} ${label} ${signal}: ${outcomes.length} writes (${unknown.length} unknown outcome, ` +
          `${outcomes.filter((o) => o.result === 'not-applied').length} not applied), ${reads} reads, ${watch.changes.length} watch events, ` +
          `now on ${client.currentEndpoint}; unknown outcomes: ${JSON.stringify(countBy(unknown.map((o) => (o.result === 'ok' ? '' : o.error.replace(/^create \S+: /, '')))))}`,
      );
    } finally {
      await survivor.close();
    }
  } finally {
    stop = true;
    await client.close();
    if (signal === 'SIGSTOP') cluster.daemon(victim)?.child.kill('SIGCONT');
    if (!cluster.daemon(victim)?.running()) await cluster.restart(victim);
  }
}

const systems: Array<[string, () => Promise<Cluster>, number | undefined]> = [
  ['mk-store', () => MkCluster.create(), 500],
  ['etcd', () => RealEtcdCluster.create(), 500],
];

describe.each(systems)('%s, 3 members', (system, create, progressNotifyWithinMs) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await create();
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  const endpoints = () => [0, 1, 2].map((i) => cluster.address(i));

  storeContract(system, () => new EtcdStore({ endpoints: endpoints() }), {
    maxRequestBytes: MAX_REQUEST_BYTES,
    ...(progressNotifyWithinMs === undefined ? {} : { progressNotifyWithinMs }),
  });

  describe('endpoints and failover', () => {
    it('takes http:// and bare endpoints; a dead endpoint first in the list only costs a failed connect', async () => {
      const dead = `127.0.0.1:${await freePort()}`;
      const s = new EtcdStore({ endpoints: `${dead},http://${cluster.address(0)}/, ${cluster.address(1)}` });
      try {
        const rev = await s.create(`/endpoints/${Date.now()}`, toBytes('x'));
        expect(rev).toBeGreaterThan(0);
        expect(s.currentEndpoint).toBe(cluster.address(0));
        expect((await s.health()).endpoints.map((e) => e.healthy)).toEqual([false, true, true]);
      } finally {
        await s.close();
      }
    });

    it('with every endpoint down: StoreUnavailableError naming each endpoint, within the deadline; a create is "not applied"', async () => {
      const deadPorts = [await freePort(), await freePort()];
      const s = new EtcdStore({ endpoints: deadPorts.map((p) => `127.0.0.1:${p}`), requestTimeoutMs: 1500 });
      try {
        // Outcome, not timing: the call ends with the error (a hang would fail the test's own timeout).
        const err = await s.create('/nowhere', toBytes('x')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StoreUnavailableError);
        const e = err as StoreUnavailableError;
        expect(e.mayHaveSucceeded).toBe(false);
        for (const p of deadPorts) expect(e.message).toContain(`127.0.0.1:${p}`);
        await expect(s.get('/nowhere')).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await s.close();
      }
    });

    it('SIGKILL of the member in use (a follower) during a watch, reads and writes: all continue on the others', async () => {
      const leader = await leaderIndex(cluster);
      await faultDuringTraffic(cluster, (leader + 1) % 3, 'follower', 'SIGKILL');
    }, 120_000);

    it('SIGKILL of the member in use (the leader) during a watch, reads and writes: all continue on the others', async () => {
      await faultDuringTraffic(cluster, await leaderIndex(cluster), 'leader', 'SIGKILL');
    }, 120_000);

    it('SIGSTOP of the member in use (the leader: it hangs, connections stay open): reads, writes and the watch move on', async () => {
      await faultDuringTraffic(cluster, await leaderIndex(cluster), 'hung-leader', 'SIGSTOP');
    }, 120_000);

    it('a create sent to a leader cut off from its followers (both SIGSTOPped) is an unknown outcome, whatever the store answers', async () => {
      // mk-store answers "etcdserver: no leader" here, etcd "request timed out"; both may apply the
      // write once the followers are back (mk-store always did in our runs).
      const li = await leaderIndex(cluster);
      const others = [0, 1, 2].filter((i) => i !== li);
      const key = `/cut-off/${Date.now()}`;
      const s = new EtcdStore({ endpoints: cluster.address(li), requestTimeoutMs: 15_000 });
      let err: unknown;
      try {
        await s.get(key); // the connection is up
        for (const i of others) cluster.daemon(i)!.child.kill('SIGSTOP');
        err = await s.create(key, toBytes('1')).catch((e: unknown) => e);
      } finally {
        for (const i of others) cluster.daemon(i)?.child.kill('SIGCONT');
        await s.close();
      }
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as StoreUnavailableError).mayHaveSucceeded).toBe(true);
      const all = new EtcdStore({ endpoints: endpoints() });
      try {
        await eventually('the cluster serves again', async () => (await all.health()).healthy, 30_000);
        await sleep(2000);
        const landed = (await all.get(key)) !== undefined;
        console.log(`${system}: a create to the cut-off leader: "${(err as Error).message}"; the write was ${landed ? '' : 'not '}applied in the end`);
      } finally {
        await all.close();
      }
    }, 90_000);

    it('every member, the restarted ones included, serves a linearizable read of the latest write', async () => {
      const key = `/after-restarts/${Date.now()}`;
      const writer = new EtcdStore({ endpoints: endpoints() });
      try {
        const r = await writer.create(key, toBytes('1'));
        for (const address of endpoints()) {
          const one = new EtcdStore({ endpoints: address });
          try {
            expect((await one.get(key))?.modRevision).toBe(r);
          } finally {
            await one.close();
          }
        }
        await expect(writer.create(key, toBytes('2'))).rejects.toBeInstanceOf(KeyExistsError);
      } finally {
        await writer.close();
      }
    });
  });
});
