import { FixedRng, Rng, SeededRng } from '@mk/shared';
import { MemoryStorage, MessageType, NONE, RawNode, StateType } from './index';
import {
  ELECTION_TICK,
  Network,
  NodeOptions,
  drain,
  entry,
  isType,
  messagesOf,
  msg,
  storageWith,
  testConfig,
} from './testing/network';

const NO_PREVOTE: NodeOptions = { preVote: false };

/** A lone node (no network) over `storage`. */
function lone(id: number, storage: MemoryStorage, opts: NodeOptions = {}): { node: RawNode; storage: MemoryStorage } {
  return { node: new RawNode(testConfig(id, storage, opts)), storage };
}

function raftState(node: RawNode): StateType {
  return node.status().softState.raftState;
}

describe('§5.1 server states', () => {
  it('§5.1 every server starts as a follower in the bootstrap term with no vote and no leader', () => {
    const net = new Network([1, 2, 3]);
    for (const id of [1, 2, 3]) {
      const st = net.node(id).status();
      expect(st.softState).toEqual({ lead: NONE, raftState: StateType.Follower });
      expect(st.hardState).toEqual({ term: 1, vote: NONE, commit: 1 });
      expect(st.confState.voters).toEqual([1, 2, 3]);
    }
  });
});

describe('§5.2 leader election', () => {
  it('§5.2 an election timeout turns a follower into a candidate of term+1 that votes for itself and requests votes', () => {
    const { node, storage } = lone(1, MemoryStorage.bootstrap([1, 2, 3]), NO_PREVOTE);
    for (let i = 0; i < ELECTION_TICK - 1; i++) node.tick();
    expect(raftState(node)).toBe(StateType.Follower);
    node.tick();
    expect(raftState(node)).toBe(StateType.Candidate);
    expect(node.status().hardState).toMatchObject({ term: 2, vote: 1 });

    const readies = drain(node, storage);
    const hs = readies.find((rd) => rd.hardState)?.hardState;
    expect(hs).toMatchObject({ term: 2, vote: 1 });
    const votes = messagesOf(readies).filter(isType(MessageType.Vote));
    expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of votes) expect(m).toMatchObject({ from: 1, term: 2, logTerm: 1, index: 1 });
    expect(messagesOf(readies).filter(isType(MessageType.PreVote))).toHaveLength(0);
  });

  it('§5.2 randomized election timeouts: with a seeded Rng every timeout falls in [electionTick, 2*electionTick)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const { node } = lone(1, MemoryStorage.bootstrap([1, 2, 3]), { ...NO_PREVOTE, rng: new SeededRng(seed) });
      // The first timeout (as follower) and the next one (as candidate, re-randomized).
      for (const expectedTerm of [2, 3]) {
        let ticks = 0;
        while (node.status().hardState.term < expectedTerm) {
          node.tick();
          ticks++;
          if (ticks > 10 * ELECTION_TICK) throw new Error(`seed ${seed}: no election after ${ticks} ticks`);
        }
        expect(ticks).toBeGreaterThanOrEqual(ELECTION_TICK);
        expect(ticks).toBeLessThan(2 * ELECTION_TICK);
        seen.add(ticks);
      }
    }
    // The timeouts really are randomized, not constant.
    expect(seen.size).toBeGreaterThan(3);
  });

  it.each<[string, Rng, number]>([
    ['FixedRng(0)', new FixedRng(0), ELECTION_TICK],
    ['FixedRng(0.95)', new FixedRng(0.95), ELECTION_TICK + Math.floor(0.95 * ELECTION_TICK)],
  ])('§5.2 the timeout is electionTick + rng.int(electionTick): %s → %i ticks', (_name, rng, expected) => {
    const { node } = lone(1, MemoryStorage.bootstrap([1, 2, 3]), { ...NO_PREVOTE, rng });
    let ticks = 0;
    while (raftState(node) === StateType.Follower && ticks < 100) {
      node.tick();
      ticks++;
    }
    expect(ticks).toBe(expected);
  });

  it('§5.2 a candidate that wins a majority becomes leader and appends an empty entry of its term', () => {
    const net = new Network([1, 2, 3], NO_PREVOTE);
    net.isolate(3); // 1 + 2 are a majority of 3
    net.node(1).campaign();
    net.stabilize();
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.term(1)).toBe(2);
    const s = net.peer(1).storage;
    expect(s.lastIndex()).toBe(2);
    const [noop] = s.entries(2, 3, Infinity);
    expect(noop).toMatchObject({ index: 2, term: 2 });
    expect(noop?.data.length).toBe(0);
    // The no-op commits on the majority and reaches the follower's state machine.
    expect(net.commit(1)).toBe(2);
    expect(net.peer(2).applied.map((e) => e.index)).toContain(2);
    expect(net.node(2).status().softState.lead).toBe(1);
  });

  it('§5.2 a candidate without a majority stays a candidate', () => {
    const net = new Network([1, 2, 3], NO_PREVOTE);
    net.isolate(1);
    net.node(1).campaign();
    net.stabilize();
    expect(net.state(1)).toBe(StateType.Candidate);
    expect(net.term(1)).toBe(2);
    expect(net.peer(1).storage.lastIndex()).toBe(1);
  });

  it('§5.2 split vote: nobody wins, and a new election (term+1) starts after the next timeout', () => {
    const net = new Network([1, 2, 3], NO_PREVOTE);
    // All three time out at once (FixedRng(0): identical timeouts) and vote for themselves.
    for (let i = 0; i < ELECTION_TICK; i++) for (const id of [1, 2, 3]) net.tick(id);
    net.stabilize();
    for (const id of [1, 2, 3]) {
      expect(net.state(id)).not.toBe(StateType.Leader);
      expect(net.term(id)).toBe(2);
      expect(net.node(id).status().hardState.vote).toBe(id);
    }
    // Only node 1's timer fires next: it starts a new election in term 3 and wins it.
    for (let i = 0; i < ELECTION_TICK; i++) net.tick(1);
    net.stabilize();
    expect(net.state(1)).toBe(StateType.Leader);
    for (const id of [1, 2, 3]) expect(net.term(id)).toBe(3);
  });

  it.each([
    ['App of the same term', MessageType.App, 2],
    ['Heartbeat of the same term', MessageType.Heartbeat, 2],
    ['App of a higher term', MessageType.App, 3],
  ])('§5.2 a candidate receiving %s from a leader steps down to follower', (_name, type, term) => {
    const { node, storage } = lone(1, MemoryStorage.bootstrap([1, 2, 3]), NO_PREVOTE);
    node.campaign();
    drain(node, storage);
    expect(raftState(node)).toBe(StateType.Candidate);
    node.step(msg({ type, from: 2, to: 1, term, logTerm: 1, index: 1, commit: 1 }));
    expect(node.status().softState).toEqual({ lead: 2, raftState: StateType.Follower });
    expect(node.status().hardState.term).toBe(term);
  });

  it('§5.2 a candidate ignores an App from a stale term and stays candidate', () => {
    const { node, storage } = lone(1, storageWith([1, 2, 3], [], { term: 4 }), NO_PREVOTE);
    node.campaign();
    drain(node, storage);
    expect(node.status().hardState.term).toBe(5);
    node.step(msg({ type: MessageType.App, from: 2, to: 1, term: 4, logTerm: 1, index: 1, commit: 1 }));
    expect(raftState(node)).toBe(StateType.Candidate);
    expect(node.status().hardState.term).toBe(5);
  });

  it('§5.2 a node grants at most one vote per term (first come, first served; a repeated request is re-granted)', () => {
    const { node, storage } = lone(3, MemoryStorage.bootstrap([1, 2, 3]), NO_PREVOTE);
    const vote = (from: number) => {
      node.step(msg({ type: MessageType.Vote, from, to: 3, term: 2, logTerm: 1, index: 1 }));
      const resps = messagesOf(drain(node, storage)).filter(isType(MessageType.VoteResp));
      expect(resps).toHaveLength(1);
      expect(resps[0]).toMatchObject({ to: from, term: 2 });
      return !resps[0]!.reject;
    };
    expect(vote(1)).toBe(true);
    expect(vote(2)).toBe(false);
    expect(vote(1)).toBe(true);
    expect(node.status().hardState).toMatchObject({ term: 2, vote: 1 });
    expect(storage.initialState().hardState).toMatchObject({ term: 2, vote: 1 });
  });

  describe('§5.1 a higher term in any message makes the receiver adopt the term and become follower', () => {
    // checkQuorum off so the leader is not protected by its lease against the Vote row.
    const opts: NodeOptions = { preVote: false, checkQuorum: false };
    it.each([
      ['App', MessageType.App, 2],
      ['Heartbeat', MessageType.Heartbeat, 2],
      ['Snap', MessageType.Snap, 2],
      ['Vote', MessageType.Vote, NONE],
      ['AppResp', MessageType.AppResp, NONE],
      ['HeartbeatResp', MessageType.HeartbeatResp, NONE],
      ['VoteResp (rejecting)', MessageType.VoteResp, NONE],
    ])('§5.1 leader receiving %s of a higher term', (_name, type, expectedLead) => {
      const net = new Network([1, 2, 3], opts);
      net.elect(1);
      const leader = net.node(1);
      const m = msg({ type, from: 2, to: 1, term: 7, logTerm: 1, index: 1, commit: 1, reject: type === MessageType.VoteResp });
      if (type === MessageType.Snap) {
        m.snapshot = { metadata: { index: 1, term: 1, confState: { voters: [1, 2, 3] } }, data: new Uint8Array(0) };
      }
      leader.step(m);
      const st = leader.status();
      expect(st.softState.raftState).toBe(StateType.Follower);
      expect(st.hardState.term).toBe(7);
      expect(st.softState.lead).toBe(expectedLead);
    });

    it.each([
      ['follower', StateType.Follower],
      ['candidate', StateType.Candidate],
    ])('§5.1 %s receiving a heartbeat of a higher term', (_name, before) => {
      const { node, storage } = lone(1, MemoryStorage.bootstrap([1, 2, 3]), opts);
      if (before === StateType.Candidate) {
        node.campaign();
        drain(node, storage);
      }
      expect(raftState(node)).toBe(before);
      node.step(msg({ type: MessageType.Heartbeat, from: 3, to: 1, term: 9, commit: 1 }));
      expect(node.status().softState).toEqual({ lead: 3, raftState: StateType.Follower });
      expect(node.status().hardState.term).toBe(9);
      const hs = drain(node, storage).find((rd) => rd.hardState)?.hardState;
      expect(hs?.term).toBe(9);
    });
  });
});

describe('§5.1 stale requests', () => {
  it('§5.1 a vote request with a stale term is rejected with the current term, and the candidate steps down to it', () => {
    // Without pre-vote a lagging candidate may be messaged by nobody else (configurations come
    // from each log), so the rejection is how it learns the term (found by the simulator).
    const voter = lone(1, storageWith([1, 2], [], { term: 7 }), { preVote: false });
    drain(voter.node, voter.storage);
    voter.node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 5, index: 1, logTerm: 1 }));
    const [resp] = messagesOf(drain(voter.node, voter.storage));
    expect(resp).toMatchObject({ type: MessageType.VoteResp, to: 2, term: 7, reject: true });

    const candidate = lone(2, storageWith([1, 2], [], { term: 4 }), { preVote: false });
    candidate.node.campaign();
    drain(candidate.node, candidate.storage);
    expect(candidate.node.status().hardState.term).toBe(5);
    candidate.node.step({ ...resp!, to: 2 });
    drain(candidate.node, candidate.storage);
    expect(candidate.node.status().hardState.term).toBe(7);
    expect(raftState(candidate.node)).toBe(StateType.Follower);
  });
});

describe('§5.4.1 election restriction', () => {
  // The voter's log: 1@t1 (genesis), 2@t2, 3@t2; it is a follower of term 2 with no leader.
  it.each<[string, number, number, boolean]>([
    ['same last term, same last index', 2, 3, true],
    ['same last term, longer log', 2, 4, true],
    ['higher last term, shorter log', 3, 1, true],
    ['same last term, shorter log', 2, 2, false],
    ['lower last term, longer log', 1, 5, false],
  ])('§5.4.1 candidate with %s (lastTerm %i, lastIndex %i) → granted: %s', (_name, logTerm, index, granted) => {
    const storage = storageWith([1, 2, 3], [entry(2, 2), entry(3, 2)], { term: 2 });
    const { node } = lone(1, storage, NO_PREVOTE);
    node.step(msg({ type: MessageType.Vote, from: 2, to: 1, term: 3, logTerm, index }));
    const readies = drain(node, storage);
    const resps = messagesOf(readies).filter(isType(MessageType.VoteResp));
    expect(resps).toHaveLength(1);
    expect(resps[0]).toMatchObject({ to: 2, term: 3, reject: !granted });
    // Either way the voter adopts the higher term; it records the vote only when granting.
    expect(node.status().hardState).toMatchObject({ term: 3, vote: granted ? 2 : NONE });
    expect(node.status().softState.raftState).toBe(StateType.Follower);
  });
});

describe('§9.6 pre-vote (thesis)', () => {
  it('§9.6 a partitioned node that rejoins does not raise its term or disrupt a stable leader', () => {
    const net = new Network([1, 2, 3]); // preVote and checkQuorum on (defaults)
    net.elect(1);
    expect(net.term(1)).toBe(2);
    net.isolate(3);
    net.tickRounds(5 * ELECTION_TICK);
    // Node 3 kept timing out but never got past pre-vote, so its term did not move.
    expect(net.term(3)).toBe(2);
    expect(net.state(3)).not.toBe(StateType.Leader);
    expect(net.messages((m) => m.from === 3 && m.type === MessageType.PreVote).length).toBeGreaterThan(0);
    expect(net.messages((m) => m.from === 3 && m.type === MessageType.Vote)).toHaveLength(0);

    net.heal();
    net.tickRounds(3 * ELECTION_TICK);
    expect(net.leaders()).toEqual([1]);
    for (const id of [1, 2, 3]) {
      expect(net.term(id)).toBe(2);
      expect(net.node(id).status().softState.lead).toBe(1);
    }
    expect(net.state(3)).toBe(StateType.Follower);
  });

  it('§9.6 answering a pre-vote does not change the voter’s term or vote', () => {
    const { node, storage } = lone(2, MemoryStorage.bootstrap([1, 2, 3]));
    node.step(msg({ type: MessageType.PreVote, from: 3, to: 2, term: 2, logTerm: 1, index: 1 }));
    const readies = drain(node, storage);
    const resps = messagesOf(readies).filter(isType(MessageType.PreVoteResp));
    expect(resps).toHaveLength(1);
    expect(resps[0]).toMatchObject({ to: 3, term: 2, reject: false });
    expect(node.status().hardState).toEqual({ term: 1, vote: NONE, commit: 1 });
    expect(storage.initialState().hardState).toEqual({ term: 1, vote: NONE, commit: 1 });
    expect(readies.some((rd) => rd.hardState && rd.hardState.term !== 1)).toBe(false);
  });

  it('§9.6 a pre-vote is refused to a candidate whose log is less up-to-date, still without a term change', () => {
    const storage = storageWith([1, 2, 3], [entry(2, 2), entry(3, 2)], { term: 2 });
    const { node } = lone(2, storage);
    node.step(msg({ type: MessageType.PreVote, from: 3, to: 2, term: 3, logTerm: 2, index: 2 }));
    const resps = messagesOf(drain(node, storage)).filter(isType(MessageType.PreVoteResp));
    expect(resps).toHaveLength(1);
    expect(resps[0]?.reject).toBe(true);
    expect(node.status().hardState).toMatchObject({ term: 2, vote: NONE });
  });

  it('§9.6 a pre-candidate keeps its term, and once it wins the pre-vote starts a real election', () => {
    const net = new Network([1, 2, 3]);
    net.node(1).campaign();
    expect(net.state(1)).toBe(StateType.PreCandidate);
    expect(net.term(1)).toBe(1);
    const rd = net.process(1);
    const preVotes = (rd?.messages ?? []).filter(isType(MessageType.PreVote));
    expect(preVotes.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of preVotes) expect(m).toMatchObject({ term: 2, logTerm: 1, index: 1 });
    // Nothing durable changed: no term or vote to persist for a pre-vote.
    expect(rd?.hardState === undefined || rd.hardState.term === 1).toBe(true);

    net.stabilize();
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.term(1)).toBe(2);
    const kinds = net.messages((m) => m.from === 1 && (m.type === MessageType.PreVote || m.type === MessageType.Vote)).map((m) => m.type);
    expect(kinds.indexOf(MessageType.Vote)).toBeGreaterThan(kinds.lastIndexOf(MessageType.PreVote));
  });

  it('§9.6 a pre-candidate that cannot win the pre-vote never increments its term', () => {
    const net = new Network([1, 2, 3]);
    net.isolate(1);
    for (let i = 0; i < 5; i++) {
      net.node(1).campaign();
      net.stabilize();
    }
    expect(net.term(1)).toBe(1);
    expect(net.state(1)).toBe(StateType.PreCandidate);
    expect(net.messages(isType(MessageType.Vote))).toHaveLength(0);
  });
});

describe('§6.2 check-quorum and leases (thesis)', () => {
  it('§6.2 a leader that does not hear from a majority for an election timeout steps down', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.tickRounds(ELECTION_TICK - 1, [1]);
    expect(net.state(1)).toBe(StateType.Leader);
    net.tickRounds(ELECTION_TICK + 1, [1]);
    expect(net.state(1)).toBe(StateType.Follower);
    expect(net.term(1)).toBe(2); // stepping down does not change the term
  });

  it('§6.2 without check-quorum an isolated leader stays leader (the contrast case)', () => {
    const net = new Network([1, 2, 3], { checkQuorum: false });
    net.elect(1);
    net.isolate(1);
    net.tickRounds(5 * ELECTION_TICK, [1]);
    expect(net.state(1)).toBe(StateType.Leader);
  });

  it('§6.2 a leader that keeps hearing from a majority stays leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.tickRounds(5 * ELECTION_TICK, [1, 2]);
    expect(net.state(1)).toBe(StateType.Leader);
  });

  it.each([
    ['checkQuorum on: the follower is within its lease and ignores the request', true, false],
    ['checkQuorum off: no lease, the follower adopts the term and grants', false, true],
  ])('§6.2 %s', (_name, checkQuorum, granted) => {
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum });
    net.elect(1);
    const follower = net.node(2);
    expect(follower.status().softState.lead).toBe(1);
    // Node 3's log is as up-to-date as node 2's (2@t2), so only the lease can refuse it.
    follower.step(msg({ type: MessageType.Vote, from: 3, to: 2, term: 5, logTerm: 2, index: 2 }));
    const grants = messagesOf(drain(follower, net.peer(2).storage)).filter((m) => m.type === MessageType.VoteResp && !m.reject);
    if (granted) {
      expect(grants).toHaveLength(1);
      expect(follower.status().hardState).toMatchObject({ term: 5, vote: 3 });
    } else {
      expect(grants).toHaveLength(0);
      expect(follower.status().hardState).toMatchObject({ term: 2, vote: 1 });
      expect(follower.status().softState.lead).toBe(1);
    }
  });
});
