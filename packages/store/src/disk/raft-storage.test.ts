import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nullLogger } from '@mk/shared';
import { Entry, EntryType } from '@mk/raft';
import { Level } from 'level';
import { DataDir } from './data-dir';
import { entryKey, text } from './keys';
import { DiskRaftStorage } from './raft-storage';

const ent = (index: number, term: number, s = ''): Entry => ({ index, term, type: EntryType.Normal, data: text(s) });

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'mk-disk-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function reopen(dir: string): Promise<{ dd: DataDir; st: DiskRaftStorage }> {
  const dd = await DataDir.open(dir, nullLogger);
  return { dd, st: await DiskRaftStorage.load(dd) };
}

describe('DiskRaftStorage on LevelDB', () => {
  it('keeps the genesis snapshot, entries and hard state across a reopen', async () => {
    const dir = path.join(root, 'm1');
    const dd = await DataDir.open(dir, nullLogger);
    expect(dd.fresh).toBe(true);
    const st = await DiskRaftStorage.bootstrap(dd, [1, 2, 3], text('genesis'));
    await st.save({ entries: [ent(2, 2, 'a'), ent(3, 2, 'b')], hardState: { term: 2, vote: 1, commit: 3 }, mustSync: true });
    await dd.close();

    const { dd: dd2, st: st2 } = await reopen(dir);
    expect(dd2.fresh).toBe(false);
    expect(st2.initialState()).toEqual({ hardState: { term: 2, vote: 1, commit: 3 }, confState: { voters: [1, 2, 3] } });
    expect([st2.firstIndex(), st2.lastIndex(), st2.term(3)]).toEqual([2, 3, 2]);
    expect(new TextDecoder().decode(st2.entries(3, 4, Infinity)[0]!.data)).toBe('b');
    expect(new TextDecoder().decode(st2.snapshot().data)).toBe('genesis');
    await dd2.close();
  });

  it('a follower truncation and a snapshot install leave no stale entry on disk', async () => {
    const dir = path.join(root, 'm1');
    const dd = await DataDir.open(dir, nullLogger);
    const st = await DiskRaftStorage.bootstrap(dd, [1, 2, 3], text(''));
    await st.save({ entries: [ent(2, 2), ent(3, 2), ent(4, 2)], mustSync: true });
    await st.save({ entries: [ent(3, 3)], mustSync: true }); // replaces 3 and drops 4
    expect(st.lastIndex()).toBe(3);
    await dd.close();
    let r = await reopen(dir);
    expect([r.st.lastIndex(), r.st.term(3)]).toEqual([3, 3]);
    await r.st.save({
      snapshot: { metadata: { index: 10, term: 4, confState: { voters: [1, 2] } }, data: text('s10') },
      entries: [ent(11, 4)],
      hardState: { term: 4, vote: 0, commit: 10 },
      mustSync: true,
    });
    await r.dd.close();
    r = await reopen(dir);
    expect([r.st.firstIndex(), r.st.lastIndex(), r.st.term(10)]).toEqual([11, 11, 4]);
    expect(r.st.initialState().confState.voters).toEqual([1, 2]);
    await r.dd.close();
  });

  it('snapshotAndCompact drops the log prefix on disk and in memory', async () => {
    const dir = path.join(root, 'm1');
    const dd = await DataDir.open(dir, nullLogger);
    const st = await DiskRaftStorage.bootstrap(dd, [1], text(''));
    await st.save({ entries: [2, 3, 4, 5].map((i) => ent(i, 2)), hardState: { term: 2, vote: 1, commit: 5 }, mustSync: true });
    await st.snapshotAndCompact(5, { voters: [1] }, text('state@5'), 3);
    expect(st.firstIndex()).toBe(4);
    await dd.close();
    const r = await reopen(dir);
    expect([r.st.firstIndex(), r.st.lastIndex(), r.st.snapshot().metadata.index]).toEqual([6, 5, 5]);
    expect(await r.dd.db.get(entryKey(3))).toBeUndefined();
    await r.dd.close();
  });
});

describe('DataDir refuses what is not its own, changing nothing', () => {
  it('a non-empty directory without a database (an etcd data dir is named as such)', async () => {
    const dir = path.join(root, 'etcd');
    mkdirSync(path.join(dir, 'member'), { recursive: true });
    await expect(DataDir.open(dir, nullLogger)).rejects.toThrow(/holds no mk-store database \(it looks like an etcd data dir/);
  });

  it('a file where the directory should be', async () => {
    const f = path.join(root, 'file');
    writeFileSync(f, 'x');
    await expect(DataDir.open(f, nullLogger)).rejects.toThrow('is not a directory');
  });

  it('a LevelDB that is not mk-store', async () => {
    const dir = path.join(root, 'foreign');
    const other = new Level(path.join(dir, 'db'));
    await other.put('hello', 'world');
    await other.close();
    await expect(DataDir.open(dir, nullLogger)).rejects.toThrow('is a LevelDB database but not an mk-store one');
  });

  it('a damaged database file', async () => {
    const dir = path.join(root, 'broken');
    const dd = await DataDir.open(dir, nullLogger);
    await dd.close();
    // Overwrite the manifest pointer with garbage.
    writeFileSync(path.join(dir, 'db', 'CURRENT'), 'garbage\n');
    await expect(DataDir.open(dir, nullLogger)).rejects.toThrow(/cannot open the database in data dir .*damaged/);
  });

  it('a damaged raft entry, and a gap in the log', async () => {
    const dir = path.join(root, 'm1');
    const dd = await DataDir.open(dir, nullLogger);
    const st = await DiskRaftStorage.bootstrap(dd, [1], text(''));
    await st.save({ entries: [ent(2, 2), ent(3, 2), ent(4, 2)], hardState: { term: 2, vote: 1, commit: 2 }, mustSync: true });
    await dd.db.put(entryKey(3), Uint8Array.from([0xff, 0xff, 0xff]));
    await expect(DiskRaftStorage.load(dd)).rejects.toThrow('the raft entry 3 is damaged');
    await dd.db.del(entryKey(3));
    await expect(DiskRaftStorage.load(dd)).rejects.toThrow('the raft log has a gap (expected entry 3, found 4)');
    await dd.close();
  });
});

describe('DataDir in use', () => {
  it('a second opener is told the data dir is in use, not that it is damaged', async () => {
    const dir = path.join(root, 'busy');
    const first = await DataDir.open(dir, nullLogger);
    await expect(DataDir.open(dir, nullLogger)).rejects.toThrow(`data dir ${dir} is in use by another process`);
    await first.close();
  });
});
