import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SeededRng, nullLogger, systemClock } from '@mk/shared';
import { Entry, EntryType, Message, ProposalDroppedError, Snapshot } from '@mk/raft';
import { DataDir } from './disk/data-dir';
import { DiskOp, text, untext } from './disk/keys';
import { DiskRaftStorage } from './disk/raft-storage';
import { RaftNode, ReplicatedStateMachine } from './raft-node';

const APPLIED_KEY = text('app/test-applied');

/** An append-only list of strings; persists itself whole (fine for a test). */
class ListMachine implements ReplicatedStateMachine {
  items: string[] = [];
  apply(e: Entry): DiskOp[] {
    if (e.type === EntryType.Normal && e.data.length > 0) this.items.push(untext(e.data));
    return [{ type: 'put', key: APPLIED_KEY, value: text(JSON.stringify({ index: e.index, items: this.items })) }];
  }
  restore(s: Snapshot): DiskOp[] {
    this.items = JSON.parse(untext(s.data)) as string[];
    return [{ type: 'put', key: APPLIED_KEY, value: text(JSON.stringify({ index: s.metadata.index, items: this.items })) }];
  }
  snapshot(): Uint8Array {
    return text(JSON.stringify(this.items));
  }
}

interface Member {
  id: number;
  dir: string;
  dd: DataDir;
  storage: DiskRaftStorage;
  node: RaftNode;
  sm: ListMachine;
}

class LocalCluster {
  readonly members = new Map<number, Member>();
  readonly down = new Set<number>();
  constructor(
    readonly root: string,
    readonly ids: number[],
    readonly snapshotCount = 1000,
  ) {}

  transport(from: number) {
    return {
      send: (msgs: Message[]) => {
        for (const m of msgs) {
          if (this.down.has(m.to) || this.down.has(from)) continue;
          setImmediate(() => this.members.get(m.to)?.node.step(m));
        }
      },
    };
  }

  async start(id: number, bootstrap: boolean): Promise<Member> {
    const dir = path.join(this.root, `m${id}`);
    const dd = await DataDir.open(dir, nullLogger);
    const storage = dd.fresh && bootstrap ? await DiskRaftStorage.bootstrap(dd, this.ids, text('[]')) : await DiskRaftStorage.load(dd);
    const sm = new ListMachine();
    const persisted = await dd.db.get(APPLIED_KEY);
    let applied = 0;
    if (persisted) {
      const v = JSON.parse(untext(persisted)) as { index: number; items: string[] };
      sm.items = v.items;
      applied = v.index;
    } else {
      sm.restore(storage.snapshot());
      applied = storage.snapshot().metadata.index;
    }
    const node = new RaftNode({
      id,
      storage,
      dataDir: dd,
      transport: this.transport(id),
      stateMachine: sm,
      applied,
      clock: systemClock,
      rng: new SeededRng(id),
      logger: nullLogger,
      tickMs: 5,
      electionTicks: 10,
      snapshotCount: this.snapshotCount,
      catchUpEntries: 5,
    });
    const m = { id, dir, dd, storage, node, sm };
    this.members.set(id, m);
    this.down.delete(id);
    node.start();
    return m;
  }

  async crash(id: number): Promise<void> {
    const m = this.members.get(id)!;
    this.down.add(id);
    await m.node.stop();
    await m.dd.close();
    this.members.delete(id);
  }

  leader(): Member | undefined {
    return [...this.members.values()].find((m) => !this.down.has(m.id) && m.node.isLeader());
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.members.keys()]) await this.crash(id);
  }
}

/** Polls `cond` until it holds; fails the test (not a timing assertion: a bound on a hang). */
async function eventually(what: string, cond: () => boolean, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Proposes through any live member, retrying while there is no leader. */
async function propose(c: LocalCluster, via: number, value: string): Promise<void> {
  for (;;) {
    try {
      await c.members.get(via)!.node.propose(text(value));
      return;
    } catch (e) {
      if (!(e instanceof ProposalDroppedError)) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

let root: string;
let cluster: LocalCluster | undefined;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mk-raftnode-'));
});
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
  rmSync(root, { recursive: true, force: true });
});

describe('RaftNode on LevelDB (3 members in one process)', () => {
  it('elects one leader and applies proposals made on any member in one order everywhere', async () => {
    const c = (cluster = new LocalCluster(root, [1, 2, 3]));
    for (const id of c.ids) await c.start(id, true);
    await eventually('a leader', () => c.leader() !== undefined);
    const values = Array.from({ length: 60 }, (_, i) => `v${i}`);
    await Promise.all(values.map((v, i) => propose(c, c.ids[i % 3]!, v)));
    await eventually('all applied everywhere', () => [...c.members.values()].every((m) => m.sm.items.length === 60));
    const [a, b, d] = [...c.members.values()].map((m) => m.sm.items);
    expect(b).toEqual(a);
    expect(d).toEqual(a);
    expect([...a!].sort()).toEqual([...values].sort());
  });

  it('a crashed member restarts from its data dir; a member that missed compacted entries gets a snapshot', async () => {
    const c = (cluster = new LocalCluster(root, [1, 2, 3], 20));
    for (const id of c.ids) await c.start(id, true);
    await eventually('a leader', () => c.leader() !== undefined);
    const victim = c.ids.find((id) => id !== c.leader()!.id)!;
    for (let i = 0; i < 10; i++) await propose(c, c.leader()!.id, `a${i}`);
    await eventually('victim has a*', () => c.members.get(victim)!.sm.items.length === 10);
    await c.crash(victim);
    // Enough entries for the others to snapshot and compact past what the victim holds.
    const live = c.ids.filter((id) => id !== victim);
    for (let i = 0; i < 60; i++) await propose(c, live[i % 2]!, `b${i}`);
    await eventually('survivors applied', () => live.every((id) => c.members.get(id)!.sm.items.length === 70));
    expect(live.every((id) => c.members.get(id)!.node.status().applied >= 70)).toBe(true);
    const restarted = await c.start(victim, true);
    expect(restarted.sm.items).toHaveLength(10); // recovered from its own disk first
    const ownLast = restarted.storage.lastIndex();
    await eventually('victim caught up', () => restarted.sm.items.length === 70);
    expect(restarted.sm.items).toEqual(c.members.get(live[0]!)!.sm.items);
    // The entries it lacked were compacted away on the others: it was sent a snapshot.
    expect(restarted.storage.snapshot().metadata.index).toBeGreaterThan(ownLast);
  });
});
