import { FixedRng } from '@mk/shared';
import { HardState, MemoryStorage, MessageType, NONE, RawNode, Ready, StateType } from './index';
import { Network, bytes, drain, isType, messagesOf, msg, testConfig } from './testing/network';

/** Classifies every Ready a node produced against the hard state persisted before it. */
function classify(readies: Ready[], initial: HardState): { durable: Ready[]; commitOnly: Ready[] } {
  const durable: Ready[] = [];
  const commitOnly: Ready[] = [];
  let prev = initial;
  for (const rd of readies) {
    const hs = rd.hardState;
    const termOrVote = !!hs && (hs.term !== prev.term || hs.vote !== prev.vote);
    if (rd.entries.length > 0 || termOrVote || rd.snapshot) durable.push(rd);
    else if (hs && hs.commit !== prev.commit) commitOnly.push(rd);
    if (hs) prev = hs;
  }
  return { durable, commitOnly };
}

describe('§5.5 persistence contract (Ready)', () => {
  it('§5.5 mustSync is true when term, vote or entries change and false for commit-only changes', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (const d of ['a', 'b']) {
      net.node(1).propose(bytes(d));
      net.stabilize();
    }
    net.tickRounds(2, [1]);
    let durableSeen = 0;
    let commitOnlySeen = 0;
    for (const id of [1, 2, 3]) {
      const { durable, commitOnly } = classify(net.peer(id).readies, { term: 1, vote: NONE, commit: 1 });
      for (const rd of durable) expect(rd.mustSync).toBe(true);
      for (const rd of commitOnly) expect(rd.mustSync).toBe(false);
      durableSeen += durable.length;
      commitOnlySeen += commitOnly.length;
    }
    // The scenario really exercised both kinds.
    expect(durableSeen).toBeGreaterThan(0);
    expect(commitOnlySeen).toBeGreaterThan(0);
  });

  it.each<[string, (node: RawNode, storage: MemoryStorage) => void, boolean]>([
    ['a campaign (term and vote change)', (n) => n.campaign(), true],
    ['granting a vote', (n) => n.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 2, logTerm: 1, index: 1 })), true],
    ['a higher term without a vote', (n) => n.step(msg({ type: MessageType.Heartbeat, from: 2, to: 1, term: 3, commit: 1 })), true],
    [
      'receiving entries',
      (n) => n.step(msg({ type: MessageType.App, from: 2, to: 1, term: 1, index: 1, logTerm: 1, entries: [{ index: 2, term: 1, type: 0, data: bytes('e') }], commit: 1 })),
      true,
    ],
  ])('§5.5 %s → mustSync true', (_name, act, expected) => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(testConfig(1, storage, { preVote: false }));
    act(node, storage);
    expect(node.hasReady()).toBe(true);
    expect(node.ready().mustSync).toBe(expected);
  });

  it('§5.5 a commit-only advance (heartbeat carrying a commit index) → mustSync false', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(testConfig(1, storage));
    node.step(
      msg({ type: MessageType.App, from: 2, to: 1, term: 1, index: 1, logTerm: 1, entries: [{ index: 2, term: 1, type: 0, data: bytes('e') }], commit: 1 }),
    );
    drain(node, storage);
    node.step(msg({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1, commit: 2 }));
    const rd = node.ready();
    expect(rd.hardState).toEqual({ term: 1, vote: NONE, commit: 2 });
    expect(rd.entries).toEqual([]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    expect(rd.mustSync).toBe(false);
  });

  it('§5.5 a vote response travels in the same Ready as the persisted vote', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(testConfig(3, storage, { preVote: false }));
    node.step(msg({ type: MessageType.Vote, from: 1, to: 3, term: 2, logTerm: 1, index: 1 }));
    const rd = node.ready();
    const resp = rd.messages.find(isType(MessageType.VoteResp));
    expect(resp).toMatchObject({ to: 1, term: 2, reject: false });
    expect(rd.hardState).toMatchObject({ term: 2, vote: 1 });
    expect(rd.mustSync).toBe(true);
  });

  it('§5.5 an append acknowledgement travels in the same Ready as the entries it acknowledges', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(testConfig(2, storage));
    const ents = [2, 3].map((i) => ({ index: i, term: 2, type: 0, data: bytes(`e${i}`) }));
    node.step(msg({ type: MessageType.App, from: 1, to: 2, term: 2, index: 1, logTerm: 1, entries: ents, commit: 1 }));
    const rd = node.ready();
    const ack = rd.messages.find(isType(MessageType.AppResp));
    expect(ack).toMatchObject({ to: 1, reject: false, index: 3 });
    expect(rd.entries.map((e) => e.index)).toEqual([2, 3]);
    expect(rd.hardState).toMatchObject({ term: 2 });
  });

  it('§5.5 across a whole cluster run no vote or acknowledgement leaves a node before what it vouches for is persisted', () => {
    // Distinct timeouts (10, 13, 16 ticks): node 1 times out first and wins.
    const net = new Network([1, 2, 3], { preVote: false }, { 2: { rng: new FixedRng(0.3) }, 3: { rng: new FixedRng(0.6) } });
    net.tickRounds(12); // an election by timeout
    expect(net.leaders()).toHaveLength(1);
    const lead = net.leaders()[0]!;
    for (const d of ['a', 'b', 'c']) {
      net.node(lead).propose(bytes(d));
      net.stabilize();
    }
    net.tickRounds(3);
    expect(net.messages(isType(MessageType.VoteResp)).length).toBeGreaterThan(0);
    expect(net.messages(isType(MessageType.AppResp)).length).toBeGreaterThan(0);
    expect(net.violations).toEqual([]);
  });

  it('§5.5 after a crash, a node rebuilt from its storage keeps its term, vote and log', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.elect(1);
    for (const d of ['a', 'b']) {
      net.node(1).propose(bytes(d));
      net.stabilize();
    }
    net.tickRounds(1, [1]);
    const before = new Map([1, 2, 3].map((id) => [id, { st: net.node(id).status(), log: net.logTerms(id) }]));

    for (const id of [1, 2, 3]) {
      net.crash(id);
      net.restart(id);
      const st = net.node(id).status();
      const was = before.get(id)!;
      expect(st.hardState.term).toBe(2);
      expect(st.hardState.vote).toBe(was.st.hardState.vote);
      expect(st.hardState.commit).toBe(was.st.hardState.commit);
      expect(st.lastIndex).toBe(4);
      expect(net.logTerms(id)).toEqual(was.log);
      expect(st.softState.raftState).toBe(StateType.Follower);
      expect(st.confState.voters).toEqual([1, 2, 3]);
    }
    expect(before.get(2)!.st.hardState.vote).toBe(1);
    expect(before.get(3)!.st.hardState.vote).toBe(1);

    // Committed entries are handed out again to the rebuilt state machine.
    net.stabilize();
    expect(net.appliedData(1)).toEqual(['a', 'b']);
  });

  it('§5.5 a voter that crashes and restarts does not vote twice in the same term', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    let node = new RawNode(testConfig(3, storage, { preVote: false }));
    node.step(msg({ type: MessageType.Vote, from: 1, to: 3, term: 2, logTerm: 1, index: 1 }));
    expect(messagesOf(drain(node, storage)).find(isType(MessageType.VoteResp))?.reject).toBe(false);

    node = new RawNode(testConfig(3, storage, { preVote: false })); // crash + restart
    expect(node.status().hardState).toMatchObject({ term: 2, vote: 1 });
    node.step(msg({ type: MessageType.Vote, from: 2, to: 3, term: 2, logTerm: 1, index: 1 }));
    const resp = messagesOf(drain(node, storage)).find(isType(MessageType.VoteResp));
    expect(resp).toMatchObject({ to: 2, reject: true });
    expect(node.status().hardState.vote).toBe(1);
  });
});
