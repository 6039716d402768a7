import { Entry, MemoryStorage, Message, MessageType, ProgressState, ProposalDroppedError, RawNode, StateType } from './index';
import {
  ELECTION_TICK,
  Network,
  NodeOptions,
  bytes,
  drain,
  entry,
  isType,
  messagesOf,
  msg,
  storageWith,
  testConfig,
  text,
} from './testing/network';

const NO_PREVOTE: NodeOptions = { preVote: false };

function appResps(node: RawNode, storage: MemoryStorage): Message[] {
  return messagesOf(drain(node, storage)).filter(isType(MessageType.AppResp));
}

describe('§5.3 log replication', () => {
  it('§5.3 the leader replicates a proposal and commits it once a majority stores it', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    expect(net.commit(1)).toBe(2);

    // Leader alone: 1 of 3 is not a majority, nothing commits.
    net.isolate(1);
    net.node(1).propose(bytes('a'));
    net.stabilize();
    expect(net.peer(1).storage.lastIndex()).toBe(3);
    expect(net.commit(1)).toBe(2);
    expect(net.appliedData(1)).toEqual([]);

    // Node 2 comes back: 2 of 3 store entry 3, so it commits and is applied.
    net.heal();
    net.isolate(3);
    net.tickRounds(3, [1]);
    expect(net.commit(1)).toBe(3);
    expect(net.appliedData(1)).toEqual(['a']);
    expect(net.appliedData(2)).toEqual(['a']);
    expect(net.appliedData(3)).toEqual([]);

    // And the straggler catches up once reachable.
    net.heal();
    net.tickRounds(3, [1]);
    expect(net.appliedData(3)).toEqual(['a']);
    expect(net.logTerms(3)).toEqual(net.logTerms(1));
  });

  it('§5.3 committed entries are applied in log order on every node', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (const d of ['a', 'b', 'c', 'd']) {
      net.node(1).propose(bytes(d));
      net.stabilize();
    }
    net.tickRounds(1, [1]); // a heartbeat carries the final commit index to followers
    for (const id of [1, 2, 3]) {
      expect(net.appliedData(id)).toEqual(['a', 'b', 'c', 'd']);
      const idx = net.peer(id).applied.map((e) => e.index);
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
  });

  describe('§5.3 consistency check: a follower rejects an App whose prevLogIndex/prevLogTerm do not match', () => {
    // Follower log: 1@t1 (genesis), 2@t2, 3@t2; follower of term 2.
    const follower = () => {
      const storage = storageWith([1, 2, 3], [entry(2, 2), entry(3, 2)], { term: 2 });
      return { storage, node: new RawNode(testConfig(1, storage)) };
    };

    it('§5.3 matching prev (3, t2) → accepted, entries appended, acknowledged up to the last new entry', () => {
      const { storage, node } = follower();
      node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 2, index: 3, logTerm: 2, entries: [entry(4, 2, 'x')], commit: 1 }));
      const resps = appResps(node, storage);
      expect(resps).toHaveLength(1);
      expect(resps[0]).toMatchObject({ to: 2, reject: false, index: 4 });
      expect(storage.lastIndex()).toBe(4);
    });

    it.each<[string, number, number, number]>([
      ['prevLogIndex beyond the log', 5, 2, 3],
      ['prevLogTerm differs at an existing index', 3, 3, 3],
    ])('§5.3 %s → rejected, nothing appended', (_name, index, logTerm, lastIndex) => {
      const { storage, node } = follower();
      node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 3, index, logTerm, entries: [entry(index + 1, 3, 'x')], commit: 1 }));
      const readies = drain(node, storage);
      const resps = messagesOf(readies).filter(isType(MessageType.AppResp));
      expect(resps).toHaveLength(1);
      const r = resps[0]!;
      expect(r).toMatchObject({ to: 2, reject: true, index });
      // The hint points at or below both the follower's last index and the rejected index (with
      // etcd's term-based hint it may equal the rejected index when that entry's term is lower).
      expect(r.rejectHint).toBeLessThanOrEqual(lastIndex);
      expect(r.rejectHint).toBeLessThanOrEqual(index);
      if (r.rejectHint === index) expect(r.logTerm).toBeLessThan(logTerm);
      expect(readies.flatMap((rd) => rd.entries)).toEqual([]);
      expect(storage.lastIndex()).toBe(3);
      expect(storage.term(3)).toBe(2);
    });

    it('§5.3 a rejection for an index beyond the log hints the follower’s last index', () => {
      const { storage, node } = follower();
      node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 2, index: 7, logTerm: 2, entries: [], commit: 1 }));
      const [r] = appResps(node, storage);
      expect(r).toMatchObject({ reject: true, index: 7, rejectHint: 3 });
    });
  });

  describe('§5.3 conflicting entries', () => {
    it('§5.3 a conflicting suffix is deleted and replaced by the leader’s entries', () => {
      // Follower: 1@t1, 2@t2, 3@t2, 4@t2 — entries 3 and 4 came from a deposed leader.
      const storage = storageWith([1, 2, 3], [entry(2, 2), entry(3, 2, 'old3'), entry(4, 2, 'old4')], { term: 3 });
      const node = new RawNode(testConfig(1, storage));
      node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 3, index: 2, logTerm: 2, entries: [entry(3, 3, 'new3')], commit: 1 }));
      const readies = drain(node, storage);
      expect(readies.flatMap((rd) => rd.entries).map((e) => [e.index, e.term])).toEqual([[3, 3]]);
      expect(storage.lastIndex()).toBe(3);
      expect(storage.term(3)).toBe(3);
      expect(text(storage.entries(3, 4, Infinity)[0]?.data)).toBe('new3');
      const resps = messagesOf(readies).filter(isType(MessageType.AppResp));
      expect(resps).toEqual([expect.objectContaining({ reject: false, index: 3 })]);
    });

    it('§5.3 entries already present (no conflict) are kept, including those after the new ones', () => {
      const storage = storageWith([1, 2, 3], [entry(2, 2), entry(3, 2), entry(4, 2)], { term: 2 });
      const node = new RawNode(testConfig(1, storage));
      node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 2, index: 1, logTerm: 1, entries: [entry(2, 2), entry(3, 2)], commit: 1 }));
      const readies = drain(node, storage);
      expect(readies.flatMap((rd) => rd.entries)).toEqual([]);
      expect(storage.lastIndex()).toBe(4);
      expect(messagesOf(readies).filter(isType(MessageType.AppResp))).toEqual([expect.objectContaining({ reject: false, index: 3 })]);
    });

    it('§5.3 the leader backs off using the conflict hint and repairs a divergent follower log', () => {
      // Nodes 1 and 2: entries 2..15 of term 3. Node 3: entries 2..20 of term 2 (never committed).
      const t3: Entry[] = [];
      for (let i = 2; i <= 15; i++) t3.push(entry(i, 3, `n${i}`));
      const t2: Entry[] = [];
      for (let i = 2; i <= 20; i++) t2.push(entry(i, 2, `stale${i}`));
      const net = new Network([], NO_PREVOTE);
      net.add(1, storageWith([1, 2, 3], t3, { term: 3 }), NO_PREVOTE);
      net.add(2, storageWith([1, 2, 3], t3, { term: 3 }), NO_PREVOTE);
      net.add(3, storageWith([1, 2, 3], t2, { term: 2 }), NO_PREVOTE);

      net.elect(1);
      expect(net.term(1)).toBe(4);
      net.tickRounds(2, [1]);

      const leaderLog = net.logTerms(1);
      expect(leaderLog).toEqual([...Array<number>(14).fill(3), 4]); // 2..15 @t3, no-op 16 @t4
      expect(net.logTerms(3)).toEqual(leaderLog);
      expect(net.peer(3).storage.lastIndex()).toBe(16);
      expect(net.commit(3)).toBe(16);
      expect(net.appliedData(3)).toEqual(t3.map((e) => text(e.data)));

      // The paper's optimization: one rejection per conflicting term, not one per entry.
      const rejections = net.messages((m) => m.from === 3 && m.type === MessageType.AppResp && m.reject);
      expect(rejections.length).toBeGreaterThanOrEqual(1);
      expect(rejections.length).toBeLessThanOrEqual(2);
    });
  });

  describe('§5.3 follower commit index = min(leaderCommit, index of last new entry)', () => {
    it.each<[string, Entry[], Entry[], number, number]>([
      ['leaderCommit beyond the new entries', [], [entry(2, 2), entry(3, 2)], 5, 3],
      ['leaderCommit within the new entries', [], [entry(2, 2), entry(3, 2)], 2, 2],
      // The follower has 3 and 4 too, but only 2 is known to match the leader: commit stops at 2.
      ['follower has unverified entries beyond the new ones', [entry(2, 2), entry(3, 2), entry(4, 2)], [entry(2, 2)], 4, 2],
    ])('§5.3 %s', (_name, existing, sent, leaderCommit, expected) => {
      const storage = storageWith([1, 2, 3], existing, { term: 2 });
      const node = new RawNode(testConfig(1, storage));
      node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 2, index: 1, logTerm: 1, entries: sent, commit: leaderCommit }));
      const readies = drain(node, storage);
      expect(node.status().hardState.commit).toBe(expected);
      expect(storage.initialState().hardState.commit).toBe(expected);
      const committed = readies.flatMap((rd) => rd.committedEntries).map((e) => e.index);
      expect(Math.max(...committed)).toBe(expected);
    });
  });

  it('§5.3 flow control: in Replicate state no more than maxInflightMsgs appends are outstanding', () => {
    const maxInflightMsgs = 2;
    const net = new Network([1, 2, 3], { maxInflightMsgs, maxSizePerMsg: 1 });
    net.elect(1);
    expect(net.node(1).status().progress?.[2]?.state).toBe(ProgressState.Replicate);

    // Node 2's acknowledgements are lost: its window fills up and stays full.
    const restore = net.drop((m) => m.from === 2 && m.to === 1);
    net.clearSent();
    for (const d of ['a', 'b', 'c', 'd', 'e']) {
      net.node(1).propose(bytes(d));
      net.stabilize();
    }
    const appsTo2 = net.messages((m) => m.type === MessageType.App && m.to === 2 && m.entries.length > 0);
    expect(appsTo2).toHaveLength(maxInflightMsgs);
    const pr2 = net.node(1).status().progress?.[2];
    expect(pr2?.state).toBe(ProgressState.Replicate);
    expect(pr2?.inflight).toBe(maxInflightMsgs);
    // Node 3 acknowledges, so its window keeps moving and everything commits.
    expect(net.commit(1)).toBe(7);
    expect(net.messages((m) => m.type === MessageType.App && m.to === 3 && m.entries.length > 0)).toHaveLength(5);

    // Once acknowledgements flow again the follower catches up completely.
    restore();
    net.tickRounds(ELECTION_TICK, [1]);
    expect(net.peer(2).storage.lastIndex()).toBe(7);
    expect(net.appliedData(2)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('§5.3 a follower forwards proposals to the leader (unless disabled)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(2).propose(bytes('via-follower'));
    net.stabilize();
    net.tickRounds(1, [1]);
    for (const id of [1, 2, 3]) expect(net.appliedData(id)).toEqual(['via-follower']);
  });
});

describe('§5.4.2 committing entries from previous terms (Figure 8)', () => {
  it('§5.4.2 a leader never commits a previous-term entry by counting replicas, only with an entry of its own term', () => {
    // maxSizePerMsg 1: one entry per append, so the network can hold back the new leader's own entry.
    const opts: NodeOptions = { preVote: false, checkQuorum: false, maxSizePerMsg: 1 };
    const net = new Network([1, 2, 3, 4, 5], opts);

    // (a) S1 leads term 2 and replicates entry 3 ('x', term 2) to S2 only.
    net.elect(1);
    expect(net.commit(1)).toBe(2);
    for (const id of [3, 4, 5]) net.cut(1, id);
    net.node(1).propose(bytes('x'));
    net.stabilize();
    expect(net.peer(2).storage.term(3)).toBe(2);
    expect(net.commit(1)).toBe(2);

    // (b) S1 crashes; S5 wins term 3 with votes from S3, S4 (S2's log is more up-to-date than S5's)
    //     and appends its no-op at index 3 in term 3, which reaches nobody.
    net.heal();
    net.crash(1);
    const s5Mute = net.drop((m) => m.from === 5 && m.type === MessageType.App);
    net.elect(5);
    expect(net.term(5)).toBe(3);
    expect(net.peer(5).storage.term(3)).toBe(3);
    net.isolate(5);
    s5Mute();

    // (c) S1 comes back and is elected in term 4 (S3, S4 voted for S5 in term 3, so it takes two tries).
    net.heal();
    net.isolate(5);
    net.restart(1);
    expect(net.state(1)).toBe(StateType.Follower);
    // From now on S1's appends arrive without the entries of S1's own current term: the old entry 3
    // (term 2) gets through, S1's own no-op is held back.
    const holdOwn = net.addFilter((m) =>
      m.type === MessageType.App && m.from === 1 ? { ...m, entries: m.entries.filter((e) => e.term < m.term) } : m,
    );
    net.node(1).campaign();
    net.stabilize();
    if (net.state(1) !== StateType.Leader) {
      // Split: S1 times out once more and runs again in term 4.
      net.tick(1, ELECTION_TICK);
      net.stabilize();
    }
    expect(net.state(1)).toBe(StateType.Leader);
    const leaderTerm = net.term(1);
    expect(leaderTerm).toBe(4);

    // S1 replicated the old entry 3 (term 2) to S2, S3, S4; its own no-op (index 4) was held back.
    net.tickRounds(3, [1]);
    for (const id of [2, 3, 4]) expect(net.peer(id).storage.term(3)).toBe(2);
    for (const id of [2, 3, 4]) expect(net.node(1).status().progress?.[id]?.match).toBe(3);
    // Entry 3 is on a majority (S1, S2, S3, S4) but it is from term 2: not committed.
    expect(net.commit(1)).toBe(2);
    for (const id of [2, 3, 4]) expect(net.commit(id)).toBe(2);

    // (e) Once the term-4 entry is on a majority both commit together.
    holdOwn();
    net.tickRounds(3, [1]);
    expect(net.commit(1)).toBe(4);
    for (const id of [1, 2, 3, 4]) expect(net.appliedData(id)).toEqual(['x']);

    // And S5's conflicting term-3 entry is overwritten when it rejoins.
    net.heal();
    net.tickRounds(3, [1]);
    expect(net.state(5)).toBe(StateType.Follower);
    expect(net.logTerms(5)).toEqual(net.logTerms(1));
    expect(net.appliedData(5)).toEqual(['x']);
  });
});

describe('batched proposals (RawNode.proposeBatch)', () => {
  it('a batch proposed on the leader is appended in order with one MsgApp per follower, and applied everywhere', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.elect(1);
    net.clearSent();
    net.node(1).proposeBatch([bytes('a'), bytes('b'), bytes('c')]);
    net.stabilize();
    const apps = net.messages((m) => m.type === MessageType.App && m.entries.length > 0);
    expect(apps.map((m) => [m.to, m.entries.length])).toEqual([[2, 3], [3, 3]]);
    for (const id of [1, 2, 3]) expect(net.appliedData(id).slice(-3)).toEqual(['a', 'b', 'c']);
  });

  it('a batch proposed on a follower is forwarded as one MsgProp and committed in order', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.elect(1);
    net.clearSent();
    net.node(2).proposeBatch([bytes('x'), bytes('y')]);
    net.stabilize();
    const props = net.messages((m) => m.type === MessageType.Prop);
    expect(props.map((m) => [m.from, m.to, m.entries.length])).toEqual([[2, 1, 2]]);
    for (const id of [1, 2, 3]) expect(net.appliedData(id).slice(-2)).toEqual(['x', 'y']);
  });

  it('a batch without a leader is refused whole', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    expect(() => net.node(1).proposeBatch([bytes('x'), bytes('y')])).toThrow(ProposalDroppedError);
  });
});
