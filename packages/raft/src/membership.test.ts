import {
  ConfChangeType,
  EntryType,
  MemoryStorage,
  MessageType,
  ProposalDroppedError,
  StateType,
  decodeConfChange,
  encodeConfChange,
} from './index';
import { FixedRng } from '@mk/shared';
import { ELECTION_TICK, Network, bytes, isType } from './testing/network';

const add = (nodeId: number) => ({ type: ConfChangeType.AddNode, nodeId });
const remove = (nodeId: number) => ({ type: ConfChangeType.RemoveNode, nodeId });

describe('§6 cluster membership changes (thesis §4.1, single-server)', () => {
  it('§4.1 a ConfChange round-trips through its encoding', () => {
    const cc = { type: ConfChangeType.AddNode, nodeId: 42, context: bytes('http://n42:2380') };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(encodeConfChange(remove(7)))).toEqual(remove(7));
  });

  it('§4.1 adding a node: the joiner (empty storage) gets its configuration from the log, is caught up and counted', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.add(4, new MemoryStorage());
    expect(net.node(4).status().confState.voters).toEqual([]);

    net.node(1).proposeConfChange({ ...add(4), context: bytes('n4') });
    net.stabilize();
    net.tickRounds(2, [1]);

    // The change is a ConfChange entry in everyone's log, applied in order.
    const ccEntry = net.peer(1).applied.find((e) => e.type === EntryType.ConfChange);
    expect(ccEntry).toBeDefined();
    expect(decodeConfChange(ccEntry!.data)).toEqual({ ...add(4), context: bytes('n4') });
    for (const id of [1, 2, 3, 4]) expect(net.node(id).status().confState.voters).toEqual([1, 2, 3, 4]);
    // The joiner was caught up (starting from the leader's snapshot) and is tracked by the leader.
    expect(net.peer(4).storage.lastIndex()).toBe(net.peer(1).storage.lastIndex());
    expect(net.node(1).status().progress?.[4]?.match).toBe(net.peer(1).storage.lastIndex());
    expect(net.node(1).confStateAt(ccEntry!.index).voters).toEqual([1, 2, 3, 4]);
    expect(net.node(1).confStateAt(ccEntry!.index - 1).voters).toEqual([1, 2, 3]);

    // Counted: with 2 unreachable, a commit needs 1, 3 and 4 (3 of 4) — so 4's ack is what commits.
    net.isolate(2);
    net.node(1).propose(bytes('with-4'));
    net.stabilize();
    expect(net.appliedData(1)).toEqual(['with-4']);
    // ...and with 2 and 4 unreachable, 1 and 3 are no longer a majority.
    net.heal();
    net.isolate(2);
    net.isolate(4);
    const commitBefore = net.commit(1);
    net.node(1).propose(bytes('without-4'));
    net.stabilize();
    expect(net.commit(1)).toBe(commitBefore);
    expect(net.appliedData(1)).toEqual(['with-4']);
  });

  it('§4.1 removing a node changes the quorum', () => {
    const net = new Network([1, 2, 3, 4]);
    net.elect(1);
    net.node(1).proposeConfChange(remove(4));
    net.stabilize();
    net.tickRounds(1, [1]);
    for (const id of [1, 2, 3]) expect(net.node(id).status().confState.voters).toEqual([1, 2, 3]);
    expect(net.node(1).status().progress?.[4]).toBeUndefined();

    // 2 of the remaining 3 commit; under the old configuration 2 of 4 could not.
    net.isolate(3);
    net.isolate(4);
    net.node(1).propose(bytes('two-of-three'));
    net.stabilize();
    expect(net.appliedData(1)).toEqual(['two-of-three']);
    expect(net.appliedData(2)).toEqual(['two-of-three']);
  });

  it('§4.1 only one change may be pending: a second proposeConfChange is dropped until the first commits', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(1);
    net.node(1).proposeConfChange(add(4));
    net.stabilize();
    expect(() => net.node(1).proposeConfChange(remove(3))).toThrow(ProposalDroppedError);

    net.heal();
    net.tickRounds(2, [1]);
    expect(net.peer(1).applied.filter((e) => e.type === EntryType.ConfChange)).toHaveLength(1);
    expect(() => net.node(1).proposeConfChange(remove(4))).not.toThrow();
    net.stabilize();
    net.tickRounds(1, [1]);
    expect(net.node(1).status().confState.voters).toEqual([1, 2, 3]);
  });

  it('§4.1 a new leader accepts a change only after committing an entry of its own term', () => {
    const net = new Network([1, 2, 3]);
    const restore = net.drop(isType(MessageType.AppResp));
    net.elect(1);
    expect(net.commit(1)).toBe(1); // the no-op (index 2, term 2) is not committed yet
    expect(() => net.node(1).proposeConfChange(add(4))).toThrow(ProposalDroppedError);

    restore();
    net.tickRounds(1, [1]);
    expect(net.commit(1)).toBe(2);
    expect(() => net.node(1).proposeConfChange(add(4))).not.toThrow();
  });

  it('§4.2.2 a leader that removes itself keeps leading until the removal commits, then steps down', () => {
    // Distinct timeouts for 2 and 3 so that, once 1 is gone, they do not split votes forever.
    const net = new Network([1, 2, 3], {}, { 3: { rng: new FixedRng(0.5) } });
    net.elect(1);
    net.isolate(1);
    net.node(1).proposeConfChange(remove(1));
    net.stabilize();
    // Not committed: the leader still leads (it manages a configuration it is not part of).
    expect(net.state(1)).toBe(StateType.Leader);
    expect(net.node(1).status().confState.voters).toEqual([2, 3]);

    net.heal();
    net.tickRounds(1, [1]);
    expect(net.state(1)).toBe(StateType.Follower);
    // The configuration is the latest one in each log, committed or not.
    for (const id of [2, 3]) expect(net.node(id).status().confState.voters).toEqual([2, 3]);

    // The remaining members elect a leader among themselves; node 1 never campaigns.
    net.clearSent();
    net.tickRounds(4 * ELECTION_TICK);
    expect(net.leaders()).toHaveLength(1);
    expect([2, 3]).toContain(net.leaders()[0]);
    for (const id of [2, 3]) expect(net.peer(id).applied.some((e) => e.type === EntryType.ConfChange)).toBe(true);
    expect(net.messages((m) => m.from === 1 && (m.type === MessageType.Vote || m.type === MessageType.PreVote))).toHaveLength(0);
    expect(net.state(1)).toBe(StateType.Follower);
  });

  it('§4.1 a node not in its configuration does not campaign', () => {
    const net = new Network([1, 2, 3]);
    const stray = net.add(9, new MemoryStorage());
    net.tickRounds(5 * ELECTION_TICK, [9]);
    stray.node.campaign();
    net.stabilize();
    expect(net.state(9)).toBe(StateType.Follower);
    expect(net.term(9)).toBe(0);
    expect(net.messages((m) => m.from === 9)).toHaveLength(0);
  });
});
