import { MessageType, NONE, ProposalDroppedError, StateType } from './index';
import { ELECTION_TICK, Network, bytes } from './testing/network';

describe('§3.10 leadership transfer (thesis)', () => {
  it('§3.10 transfer to an up-to-date follower: TimeoutNow, and it wins term+1 despite pre-vote and leases', () => {
    const net = new Network([1, 2, 3]); // preVote and checkQuorum on: node 3 is within its lease
    net.elect(1);
    net.clearSent();
    net.node(1).transferLeader(2);
    net.stabilize();

    expect(net.messages((m) => m.type === MessageType.TimeoutNow && m.from === 1 && m.to === 2)).toHaveLength(1);
    expect(net.state(2)).toBe(StateType.Leader);
    expect(net.term(2)).toBe(3);
    expect(net.state(1)).toBe(StateType.Follower);
    for (const id of [1, 3]) expect(net.node(id).status().softState.lead).toBe(2);
    // It went straight to a real election: no pre-vote round.
    expect(net.messages((m) => m.from === 2 && m.type === MessageType.PreVote)).toHaveLength(0);
    expect(net.messages((m) => m.from === 2 && m.type === MessageType.Vote).length).toBeGreaterThan(0);
    expect(net.node(1).status().leadTransferee).toBe(NONE);
  });

  it('§3.10 transfer to a lagging follower: the leader first catches it up, then sends TimeoutNow', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const hold = net.drop((m) => m.type === MessageType.App && m.to === 3);
    for (const d of ['a', 'b', 'c']) {
      net.node(1).propose(bytes(d));
      net.stabilize();
    }
    const last = net.peer(1).storage.lastIndex();
    expect(net.peer(3).storage.lastIndex()).toBeLessThan(last);

    hold();
    net.clearSent();
    net.node(1).transferLeader(3);
    net.stabilize();
    net.tickRounds(2, [1]);

    const sent = net.messages();
    const timeoutNow = sent.findIndex((m) => m.type === MessageType.TimeoutNow && m.to === 3);
    expect(timeoutNow).toBeGreaterThanOrEqual(0);
    const caughtUp = sent.findIndex((m) => m.type === MessageType.AppResp && m.from === 3 && !m.reject && m.index === last);
    expect(caughtUp).toBeGreaterThanOrEqual(0);
    expect(caughtUp).toBeLessThan(timeoutNow);
    expect(net.state(3)).toBe(StateType.Leader);
    expect(net.term(3)).toBe(3);
    net.tickRounds(1, [3]);
    expect(net.appliedData(3)).toEqual(['a', 'b', 'c']);
  });

  it('§3.10 proposals are dropped while a transfer is in progress', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.node(1).transferLeader(3);
    net.stabilize();
    expect(net.node(1).status().leadTransferee).toBe(3);
    expect(net.state(1)).toBe(StateType.Leader);
    expect(() => net.node(1).propose(bytes('x'))).toThrow(ProposalDroppedError);
  });

  it('§3.10 a transfer that does not complete within an election timeout is aborted', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.node(1).transferLeader(3);
    net.stabilize();
    net.tickRounds(1, [1, 2]);
    expect(net.node(1).status().leadTransferee).toBe(3);
    net.tickRounds(ELECTION_TICK - 1, [1, 2]);
    expect(net.node(1).status().leadTransferee).toBe(NONE);
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.term(1)).toBe(2);
    expect(() => net.node(1).propose(bytes('x'))).not.toThrow();
    net.stabilize();
    expect(net.appliedData(1)).toEqual(['x']);
    // Node 3 was up to date, so a TimeoutNow may have been sent at once — but it never arrived.
    expect(net.sent.filter((s) => s.m.type === MessageType.TimeoutNow && s.fate === 'delivered')).toHaveLength(0);
  });
});
