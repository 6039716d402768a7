import { MemoryStorage, MessageType, ProposalDroppedError, RaftUsageError, RawNode, StateType } from './index';
import { Network, NodeOptions, bytes, drain, msg, testConfig } from './testing/network';

const LOCAL_TYPES: Array<[string, MessageType]> = [
  ['Hup', MessageType.Hup],
  ['Beat', MessageType.Beat],
  ['Unreachable', MessageType.Unreachable],
  ['SnapStatus', MessageType.SnapStatus],
  ['CheckQuorum', MessageType.CheckQuorum],
];

/** Steps `m`; a rejection must be a RaftUsageError. Returns whether it was rejected. */
function stepLocal(node: RawNode, type: MessageType, to: number): boolean {
  try {
    node.step(msg({ type, from: 2, to }));
    return false;
  } catch (e) {
    expect(e).toBeInstanceOf(RaftUsageError);
    return true;
  }
}

describe('API misuse', () => {
  it.each(LOCAL_TYPES)('a local message type (%s) stepped in from the network is ignored or rejected by a follower', (_name, type) => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(testConfig(1, storage, { preVote: false }));
    stepLocal(node, type, 1);
    const rds = drain(node, storage);
    expect(rds.flatMap((rd) => rd.messages)).toEqual([]);
    expect(node.status().softState.raftState).toBe(StateType.Follower);
    expect(node.status().hardState).toEqual({ term: 1, vote: 0, commit: 1 });
  });

  it.each(LOCAL_TYPES)('a local message type (%s) stepped in from the network is ignored or rejected by a leader', (_name, type) => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.elect(1);
    net.isolate(2);
    net.isolate(3); // check-quorum, if wrongly honoured, would now depose the leader
    const before = net.node(1).status();
    net.clearSent();
    stepLocal(net.node(1), type, 1);
    net.stabilize();
    expect(net.messages()).toEqual([]);
    const after = net.node(1).status();
    expect(after.softState).toEqual(before.softState);
    expect(after.hardState).toEqual(before.hardState);
  });

  it('propose with no known leader throws ProposalDroppedError', () => {
    const storage = MemoryStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(testConfig(1, storage, { preVote: false }));
    expect(() => node.propose(bytes('x'))).toThrow(ProposalDroppedError);
    node.campaign(); // a candidate has no leader either
    expect(() => node.propose(bytes('x'))).toThrow(ProposalDroppedError);
    expect(() => node.proposeConfChange({ type: 0, nodeId: 4 })).toThrow(ProposalDroppedError);
    expect(storage.lastIndex()).toBe(1);
  });

  it('propose on a follower with forwarding disabled throws ProposalDroppedError', () => {
    const net = new Network([1, 2, 3], {}, { 2: { disableProposalForwarding: true } });
    net.elect(1);
    expect(() => net.node(2).propose(bytes('x'))).toThrow(ProposalDroppedError);
    net.stabilize();
    expect(net.messages((m) => m.type === MessageType.Prop)).toEqual([]);
  });

  it.each<[string, NodeOptions & { id?: number }, RegExp]>([
    ['electionTick equal to heartbeatTick', { electionTick: 5, heartbeatTick: 5 }, /electionTick/],
    ['electionTick below heartbeatTick', { electionTick: 2, heartbeatTick: 5 }, /electionTick/],
    ['id 0', { id: 0 }, /\bid\b/],
    ['heartbeatTick 0', { heartbeatTick: 0 }, /heartbeatTick/],
    ['maxInflightMsgs 0', { maxInflightMsgs: 0 }, /maxInflightMsgs/],
  ])('a bad Config (%s) throws an error naming the field', (_name, bad, field) => {
    const { id, ...opts } = bad;
    const cfg = { ...testConfig(1, MemoryStorage.bootstrap([1]), opts), ...(id !== undefined ? { id } : {}) };
    expect(() => new RawNode(cfg)).toThrow(field);
  });
});
