/**
 * The real etcdctl 3.4 against a real 3-member mk-store (three processes on loopback). Every
 * command here is one a user of etcd already types; outputs are etcdctl's own formatting.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Daemon, eventually } from './support/processes';
import { StoreCluster, StoreMember, requireEtcdctl } from './support/store-cluster';

jest.setTimeout(120_000);

let c: StoreCluster;

beforeAll(async () => {
  await requireEtcdctl();
  c = await StoreCluster.create(3);
});

afterAll(async () => {
  await c?.destroy();
});

const ok = async (args: string[], opts: { input?: string } = {}) => {
  const r = await c.etcdctl(args, opts);
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

describe('etcdctl against a 3-member mk-store', () => {
  it('put / get: prefix, limit, historical revision, --print-value-only, -w json; del', async () => {
    expect(await ok(['put', 'foo', 'bar'])).toBe('OK\n');
    await ok(['put', 'foo', 'baz']);
    for (const k of ['a/1', 'a/2', 'a/3', 'b/1']) await ok(['put', k, `v-${k}`]);
    expect(await ok(['get', 'foo'])).toBe('foo\nbaz\n');
    expect(await ok(['get', 'foo', '--print-value-only'])).toBe('baz\n');
    expect(await ok(['get', 'a/', '--prefix', '--keys-only'])).toBe('a/1\n\na/2\n\na/3\n\n');
    expect(await ok(['get', 'a/', '--prefix', '--limit', '2', '--print-value-only'])).toBe('v-a/1\nv-a/2\n');

    const json = JSON.parse(await ok(['get', 'foo', '-w', 'json'])) as {
      header: { revision: number; member_id: number };
      kvs: Array<{ key: string; value: string; version: number; create_revision: number; mod_revision: number }>;
      count: number;
    };
    expect(json.count).toBe(1);
    expect(Buffer.from(json.kvs[0]!.key, 'base64').toString()).toBe('foo');
    expect(Buffer.from(json.kvs[0]!.value, 'base64').toString()).toBe('baz');
    expect(json.kvs[0]!.version).toBe(2);
    const firstRev = json.kvs[0]!.create_revision;
    expect(await ok(['get', 'foo', `--rev=${firstRev}`, '--print-value-only'])).toBe('bar\n');

    expect(await ok(['del', 'a/', '--prefix'])).toBe('3\n');
    expect(await ok(['get', 'a/', '--prefix'])).toBe('');
    expect(await ok(['del', 'nothing-here'])).toBe('0\n');
  });

  it('txn -i: compares and both branches', async () => {
    await ok(['put', 'tx', 'one']);
    const yes = await ok(['txn', '-i'], { input: 'value("tx") = "one"\n\nput tx two\n\nput tx never\n\n' });
    // In interactive mode etcdctl prints its prompts too.
    expect(yes).toBe('compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nSUCCESS\n\nOK\n');
    const no = await ok(['txn', '-i'], { input: 'version("tx") > "5"\n\nput tx never\n\nget tx\n\n' });
    expect(no.endsWith('FAILURE\n\ntx\ntwo\n')).toBe(true);
  });

  it('watch --prefix from now, and --rev from history, see every event in order', async () => {
    const base = JSON.parse(await ok(['put', 'w/0', 'start', '-w', 'json'])) as { header: { revision: number } };
    const live = runWatch(['watch', 'w/', '--prefix']);
    await eventually('watch stream open', () => live.output.length > 0 || live.alive(), 5000);
    await new Promise((r) => setTimeout(r, 500));
    await ok(['put', 'w/1', 'one']);
    await ok(['put', 'w/2', 'two']);
    await ok(['del', 'w/1']);
    await eventually('three live events', () => live.output.split('\n').filter((l) => l === 'PUT' || l === 'DELETE').length >= 3, 10_000);
    await live.stop();
    expect(live.output.trimEnd()).toBe('PUT\nw/1\none\nPUT\nw/2\ntwo\nDELETE\nw/1');

    const past = runWatch(['watch', 'w/', '--prefix', `--rev=${base.header.revision}`]);
    await eventually('history replayed', () => past.output.includes('DELETE'), 10_000);
    await past.stop();
    expect(past.output.trimEnd()).toBe('PUT\nw/0\nstart\nPUT\nw/1\none\nPUT\nw/2\ntwo\nDELETE\nw/1');
  });

  it('lease grant / put --lease / timetolive --keys / keep-alive --once / list / revoke deletes its keys', async () => {
    const grant = await ok(['lease', 'grant', '60']);
    const m = /^lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(grant);
    expect(m).not.toBeNull();
    const id = m![1]!;
    await ok(['put', 'leased', 'x', `--lease=${id}`]);
    expect(await ok(['lease', 'timetolive', id, '--keys'])).toMatch(new RegExp(`^lease ${id} granted with TTL\\(60s\\), remaining\\((59|60)s\\), attached keys\\(\\[leased\\]\\)`));
    expect(await ok(['lease', 'keep-alive', '--once', id])).toBe(`lease ${id} keepalived with TTL(60)\n`);
    expect(await ok(['lease', 'list'])).toContain(id);
    expect(await ok(['lease', 'revoke', id])).toBe(`lease ${id} revoked\n`);
    expect(await ok(['get', 'leased'])).toBe('');
    expect(await ok(['lease', 'timetolive', id])).toBe(`lease ${id} already expired\n`);
  });

  it('a lease nobody keeps alive expires (decided by the leader) and takes its keys', async () => {
    const id = /^lease ([0-9a-f]+)/.exec(await ok(['lease', 'grant', '2']))![1]!;
    await ok(['put', 'short-lived', 'x', `--lease=${id}`]);
    await eventually('lease expired', async () => (await ok(['get', 'short-lived'])) === '', 20_000);
  });

  it('endpoint status / health / hashkv: every member answers and the hashes agree', async () => {
    const status = JSON.parse(await ok(['endpoint', 'status', '-w', 'json'])) as Array<{ Status: { leader: number; header: { member_id: number } } }>;
    expect(status).toHaveLength(3);
    const leaders = new Set(status.map((s) => s.Status.leader));
    expect(leaders.size).toBe(1);
    expect(status.map((s) => s.Status.header.member_id)).toContain([...leaders][0]);
    const health = await c.etcdctl(['endpoint', 'health']);
    expect(health.code).toBe(0);
    expect((health.stdout + health.stderr).match(/is healthy/g)).toHaveLength(3);
    // Let every member apply the same revision, then compare their hashes.
    await ok(['put', 'sync', 'point']);
    await eventually('hashkv agrees', async () => {
      const h = JSON.parse(await ok(['endpoint', 'hashkv', '-w', 'json'])) as Array<{ HashKV: { hash: number; header: { revision: number } } }>;
      return h.length === 3 && new Set(h.map((x) => `${x.HashKV.header.revision}/${x.HashKV.hash}`)).size === 1;
    });
  });

  it('compaction refuses older revisions with etcd\'s message; defrag; snapshot save', async () => {
    const rev = (JSON.parse(await ok(['put', 'c', '1', '-w', 'json'])) as { header: { revision: number } }).header.revision;
    await ok(['put', 'c', '2']);
    expect(await ok(['compaction', String(rev)])).toBe(`compacted revision ${rev}\n`);
    const old = await c.etcdctl(['get', 'c', `--rev=${rev - 1}`]);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
    expect(await ok(['get', 'c', `--rev=${rev}`, '--print-value-only'])).toBe('1\n');
    expect(await ok(['defrag'])).toMatch(/Finished defragmenting etcd member/);
    const file = path.join(c.root, 'backup.db');
    const snap = await c.etcdctl(['snapshot', 'save', file], { members: [c.members[0]!] });
    expect(snap.code).toBe(0);
    expect(snap.stdout + snap.stderr).toContain(`Snapshot saved at ${file}`);
    expect(existsSync(file) && statSync(file).size % 512).toBe(32);
  });

  it('lock and elect (client-side recipes over KV, Lease and Watch)', async () => {
    const lock = await ok(['lock', 'mutex', 'echo', 'inside']);
    expect(lock).toBe('inside\n');
    const elect = runWatch(['elect', 'election', 'candidate-a']);
    await eventually('elected', () => elect.output.includes('candidate-a'), 10_000);
    await elect.stop();
    expect(elect.output).toMatch(/^election\/[0-9a-f]+\ncandidate-a\n/);
  });

  it('member list / add / remove: a fourth member joins, catches up and leaves', async () => {
    const before = await ok(['member', 'list']);
    expect(before.trim().split('\n')).toHaveLength(3);
    for (const m of c.members) expect(before).toContain(`, started, ${m.name}, http://127.0.0.1:${m.peerPort}, http://127.0.0.1:${m.clientPort}, false`);

    const m4 = await c.newMember('m4');
    const add = await ok(['member', 'add', 'm4', `--peer-urls=http://127.0.0.1:${m4.peerPort}`]);
    // etcdctl prints ids with %16x: mk's ids (below 2^53) come out space-padded.
    const id = /Member\s+([0-9a-f]+) added to cluster/.exec(add)?.[1];
    expect(id).toBeDefined();
    expect(add).toContain('ETCD_INITIAL_CLUSTER_STATE="existing"');
    c.members.push(m4);
    c.start(m4, c.initialCluster(c.members), 'existing');
    try {
      await joinAndLeave(id!, m4);
    } finally {
      await m4.daemon!.stop();
      c.members.splice(c.members.indexOf(m4), 1);
    }
    expect(await ok(['put', 'after-remove', 'ok'])).toBe('OK\n');
  });

  async function joinAndLeave(id: string, m4: StoreMember): Promise<void> {
    await c.waitHealthy([m4]);
    // It caught up: it serves what was written before it joined (serializable: its own copy).
    expect((await c.etcdctl(['get', 'foo', '--consistency=s', '--print-value-only'], { members: [m4] })).stdout).toBe('baz\n');
    await eventually('m4 published', async () => (await ok(['member', 'list'])).includes(`, started, m4, `));

    // Asked of the member being removed itself (the hard case: Raft takes it out of the
    // configuration before it can learn that its removal committed; it hands the request over).
    const removed = await c.etcdctl(['member', 'remove', id], { members: [m4] });
    expect(removed.stderr).toBe('');
    expect(removed.stdout).toMatch(new RegExp(`Member\\s+${id} removed from cluster`));
    // If m4 led, its removal hands leadership over: like any client, retry through that election.
    await eventually('the member list no longer has m4', async () => {
      const r = await c.etcdctl(['member', 'list']);
      return r.code === 0 && !r.stdout.includes(id);
    });
  }

  it('a member killed with SIGKILL restarts from its data dir with everything it acknowledged', async () => {
    const victim = c.members[2]!;
    // Acknowledged before the kill (retried like a client if an election is under way).
    await eventually('a write is acknowledged before the kill', async () => (await c.etcdctl(['put', 'durable', 'yes'])).code === 0, 30_000);
    await victim.daemon!.stop('SIGKILL');
    // A request forwarded to a leader that just died is lost and times out (as in etcd, it is not
    // re-proposed, which could apply it twice): like any client, retry until one is acknowledged.
    await eventually('a write is acknowledged after the kill', async () => (await c.etcdctl(['put', 'while-down', 'yes'])).code === 0, 60_000);
    c.start(victim, c.initialCluster(c.members), 'new');
    await c.waitHealthy([victim]);
    await eventually('victim caught up', async () => {
      const r = await c.etcdctl(['get', 'while-down', '--consistency=s', '--print-value-only'], { members: [victim] });
      return r.stdout === 'yes\n';
    });
    expect((await c.etcdctl(['get', 'durable', '--print-value-only'], { members: [victim] })).stdout).toBe('yes\n');
  });

  it('bad input gets etcd\'s errors, and nothing changes', async () => {
    const noLease = await c.etcdctl(['put', 'k', 'v', '--lease=1234abcd']);
    expect(noLease.code).not.toBe(0);
    expect(noLease.stderr).toContain('etcdserver: requested lease not found');
    const future = await c.etcdctl(['get', 'foo', '--rev=99999999']);
    expect(future.stderr).toContain('etcdserver: mvcc: required revision is a future revision');
    expect(await ok(['get', 'k'])).toBe('');
  });
});

/** A long-running etcdctl (watch, elect) whose output is collected until it is stopped. */
function runWatch(args: string[]) {
  const d = Daemon.spawn(`etcdctl ${args[0]}`, 'etcdctl', ['--endpoints', c.endpoints(), ...args], { env: { ETCDCTL_API: '3' }, cwd: c.root });
  return {
    // etcdctl's client library logs retries as JSON lines on stderr; keep only what it printed.
    get output() {
      return d.output.replace(/^\{"level".*\n/gm, '');
    },
    alive: () => d.running(),
    stop: () => d.stop('SIGINT'),
  };
}
