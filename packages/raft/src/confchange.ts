import { raftpb } from '@mk/proto';
import { ConfChange, ConfChangeType, ConfState, NodeId } from './types';

/** Encodes a ConfChange as the data of an EntryConfChange log entry (raftpb.ConfChange). */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return raftpb.ConfChange.encode({
    type: cc.type as number as raftpb.ConfChangeType,
    nodeId: cc.nodeId,
    context: cc.context ?? new Uint8Array(0),
  }).finish();
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const m = raftpb.ConfChange.decode(data);
  const type = m.type as number;
  if (type !== ConfChangeType.AddNode && type !== ConfChangeType.RemoveNode) {
    throw new RangeError(`raft: unsupported conf change type ${type}`);
  }
  if (!Number.isSafeInteger(m.nodeId) || m.nodeId <= 0) {
    throw new RangeError(`raft: conf change node id must be a positive integer, got ${m.nodeId}`);
  }
  const cc: ConfChange = { type, nodeId: m.nodeId };
  if (m.context.length > 0) cc.context = m.context;
  return cc;
}

/** The configuration that results from applying `cc` to `cs` (pure; voters stay sorted). */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const voters = new Set<NodeId>(cs.voters);
  if (cc.type === ConfChangeType.AddNode) voters.add(cc.nodeId);
  else voters.delete(cc.nodeId);
  return { voters: [...voters].sort((a, b) => a - b) };
}
