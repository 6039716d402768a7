import { MessageType, ProgressState, RawNode, SnapshotStatus } from './index';
import { Network, bytes, drain, entry, isType, messagesOf, msg, storageWith, testConfig, text } from './testing/network';

/** A 3-node cluster where node 3 missed entries 3..7 and the leader compacted them away. */
function laggingFollowerAfterCompaction(): { net: Network; snapIndex: number } {
  const net = new Network([1, 2, 3]);
  net.elect(1);
  net.isolate(3);
  for (const d of ['a', 'b', 'c', 'd', 'e']) {
    net.node(1).propose(bytes(d));
    net.stabilize();
  }
  const leader = net.peer(1);
  const snapIndex = leader.appliedIndex;
  expect(snapIndex).toBe(7);
  leader.storage.createSnapshot(snapIndex, net.node(1).confStateAt(snapIndex), bytes('state@7'));
  leader.storage.compact(snapIndex);
  expect(leader.storage.firstIndex()).toBe(8);
  return { net, snapIndex };
}

describe('§7 log compaction and InstallSnapshot', () => {
  it('§7 a follower behind the compacted log is sent a snapshot, installs it, then continues with appends', () => {
    const { net, snapIndex } = laggingFollowerAfterCompaction();
    net.heal();
    net.tickRounds(3, [1]);

    const snaps = net.messages((m) => m.type === MessageType.Snap && m.to === 3);
    expect(snaps.length).toBeGreaterThanOrEqual(1);
    expect(snaps[0]?.snapshot?.metadata).toMatchObject({ index: snapIndex, term: 2, confState: { voters: [1, 2, 3] } });

    const f = net.peer(3);
    expect(f.snapshots).toHaveLength(1);
    expect(f.snapshots[0]?.metadata.index).toBe(snapIndex);
    expect(text(f.snapshots[0]?.data)).toBe('state@7');
    expect(f.storage.snapshot().metadata.index).toBe(snapIndex);
    expect(net.commit(3)).toBe(snapIndex);
    expect(net.node(1).status().progress?.[3]).toMatchObject({ match: snapIndex, state: ProgressState.Replicate });

    // Later entries reach it as ordinary appends.
    net.clearSent();
    net.node(1).propose(bytes('after'));
    net.stabilize();
    net.tickRounds(1, [1]);
    expect(net.messages((m) => m.type === MessageType.App && m.to === 3 && m.entries.length > 0)).toHaveLength(1);
    expect(net.messages((m) => m.type === MessageType.Snap)).toHaveLength(0);
    expect(net.appliedData(3)).toEqual(['after']);
    expect(f.storage.lastIndex()).toBe(snapIndex + 1);
  });

  it('§7 a snapshot older than the follower’s commit index is ignored', () => {
    // Follower with 2..5 committed in term 2.
    const storage = storageWith([1, 2, 3], [2, 3, 4, 5].map((i) => entry(i, 2, `e${i}`)), { term: 2, commit: 5 });
    const node = new RawNode(testConfig(2, storage, { applied: 5 }));
    node.step(
      msg({
        type: MessageType.Snap,
        from: 1,
        to: 2,
        term: 2,
        snapshot: { metadata: { index: 3, term: 2, confState: { voters: [1, 2, 3] } }, data: bytes('old') },
      }),
    );
    const readies = drain(node, storage);
    expect(readies.some((rd) => rd.snapshot && rd.snapshot.metadata.index > 0)).toBe(false);
    expect(storage.lastIndex()).toBe(5);
    expect(storage.snapshot().metadata.index).toBe(1);
    expect(node.status().hardState.commit).toBe(5);
    // The follower tells the leader how far it is instead.
    const resps = messagesOf(readies).filter(isType(MessageType.AppResp));
    expect(resps).toHaveLength(1);
    expect(resps[0]).toMatchObject({ to: 1, reject: false, index: 5 });
  });

  it('§7 reportSnapshot(Failure) makes the leader retry the snapshot', () => {
    const { net, snapIndex } = laggingFollowerAfterCompaction();
    net.autoReportSnapshots = false;
    const lose = net.drop(isType(MessageType.Snap));
    net.heal();
    net.tickRounds(3, [1]);
    expect(net.messages(isType(MessageType.Snap))).toHaveLength(1);
    expect(net.node(1).status().progress?.[3]?.state).toBe(ProgressState.Snapshot);

    // While the leader believes the snapshot is in flight it does not send another.
    net.tickRounds(3, [1]);
    expect(net.messages(isType(MessageType.Snap))).toHaveLength(1);

    lose();
    net.node(1).reportSnapshot(3, SnapshotStatus.Failure);
    expect(net.node(1).status().progress?.[3]?.state).toBe(ProgressState.Probe);
    net.stabilize();
    net.tickRounds(3, [1]);
    expect(net.messages(isType(MessageType.Snap))).toHaveLength(2);
    expect(net.peer(3).snapshots.map((s) => s.metadata.index)).toEqual([snapIndex]);
    expect(net.commit(3)).toBe(snapIndex);
  });
});
