import { MemoryStorage, MessageType, RawNode, StateType } from './index';
import { ELECTION_TICK, Network, bytes, drain, isType, testConfig, text } from './testing/network';

function reads(net: Network, id: number): Array<{ index: number; ctx: string }> {
  return net.peer(id).readStates.map((rs) => ({ index: rs.index, ctx: text(rs.requestCtx) }));
}

describe('§6.4 ReadIndex (thesis)', () => {
  it('§6.4 a new leader serves no read before it has committed an entry of its term', () => {
    const net = new Network([1, 2, 3]);
    const restore = net.drop(isType(MessageType.AppResp));
    net.elect(1);
    expect(net.commit(1)).toBe(1);
    net.node(1).readIndex(bytes('early'));
    net.stabilize();
    expect(reads(net, 1)).toEqual([]);

    restore();
    net.tickRounds(1, [1]);
    expect(net.commit(1)).toBe(2);
    net.node(1).readIndex(bytes('later'));
    net.stabilize();
    const got = reads(net, 1);
    expect(got).toContainEqual({ index: 2, ctx: 'later' });
    // A read requested before the commit is either served now (at a current index) or dropped.
    for (const r of got) expect(r.index).toBeGreaterThanOrEqual(2);
  });

  it('§6.4 the leader answers only after a heartbeat round acknowledged by a quorum', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).propose(bytes('a'));
    net.stabilize();
    expect(net.commit(1)).toBe(3);

    const restore = net.drop(isType(MessageType.HeartbeatResp));
    net.clearSent();
    net.node(1).readIndex(bytes('r'));
    net.stabilize();
    expect(reads(net, 1)).toEqual([]);
    const hbs = net.messages(isType(MessageType.Heartbeat));
    expect(hbs.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of hbs) expect(text(m.context)).toBe('r');

    restore();
    net.isolate(3); // one follower's acknowledgement plus the leader's own is a quorum of 3
    net.tickRounds(1, [1]);
    expect(reads(net, 1)).toEqual([{ index: 3, ctx: 'r' }]);
  });

  it('§6.4 a follower’s read is forwarded to the leader and its ReadState carries the leader’s commit index', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    // Node 2 misses the next entries: the leader's commit index moves ahead of node 2's.
    const hold = net.drop((m) => m.type === MessageType.App && m.to === 2);
    for (const d of ['a', 'b']) {
      net.node(1).propose(bytes(d));
      net.stabilize();
    }
    expect(net.commit(1)).toBe(4);
    expect(net.commit(2)).toBe(2);

    net.clearSent();
    net.node(2).readIndex(bytes('f'));
    net.stabilize();
    expect(net.messages((m) => m.type === MessageType.ReadIndex && m.from === 2 && m.to === 1)).toHaveLength(1);
    expect(net.messages((m) => m.type === MessageType.ReadIndexResp && m.to === 2)).toHaveLength(1);
    expect(reads(net, 2)).toEqual([{ index: 4, ctx: 'f' }]);
    expect(reads(net, 1)).toEqual([]);

    // The follower may serve the read once it has applied up to that index.
    hold();
    net.tickRounds(2, [1]);
    expect(net.peer(2).appliedIndex).toBeGreaterThanOrEqual(4);
  });

  it('§6.4 a single-node cluster answers at once, without messages', () => {
    const storage = MemoryStorage.bootstrap([1]);
    const node = new RawNode(testConfig(1, storage));
    node.campaign();
    drain(node, storage);
    expect(node.status().softState.raftState).toBe(StateType.Leader);
    expect(node.status().hardState.commit).toBe(2);

    node.readIndex(bytes('solo'));
    expect(node.hasReady()).toBe(true);
    const rd = node.ready();
    expect(rd.readStates.map((rs) => ({ index: rs.index, ctx: text(rs.requestCtx) }))).toEqual([{ index: 2, ctx: 'solo' }]);
    expect(rd.messages).toEqual([]);
    node.advance(rd);
  });

  it.each([
    ['with check-quorum', true],
    ['without check-quorum', false],
  ])('§6.4 a leader partitioned from the majority never returns a ReadState (%s)', (_name, checkQuorum) => {
    const net = new Network([1, 2, 3], { checkQuorum });
    net.elect(1);
    net.isolate(1);
    net.node(1).readIndex(bytes('p'));
    net.stabilize();
    for (let i = 0; i < 3 * ELECTION_TICK; i++) {
      net.tickRounds(1, [1]);
      if (net.state(1) === StateType.Leader) {
        net.node(1).readIndex(bytes(`p${i}`));
        net.stabilize();
      }
    }
    expect(reads(net, 1)).toEqual([]);
    if (checkQuorum) expect(net.state(1)).not.toBe(StateType.Leader); // it stepped down (and may be campaigning)
  });
});
