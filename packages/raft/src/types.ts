/**
 * The values Raft works with. They mirror proto/raftpb/raft.proto (etcd's raftpb) as plain
 * objects: the core never encodes anything except ConfChange payloads (see confchange.ts), and a
 * transport converts messages to and from the wire. Ids, terms and indexes are numbers below 2^53.
 */

/** A member id. 0 means "none" (no vote, no known leader). */
export type NodeId = number;
export const NONE: NodeId = 0;

export enum EntryType {
  Normal = 0,
  /** `data` holds an encoded ConfChange (see encodeConfChange). */
  ConfChange = 1,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** Same numbering as raftpb.MessageType. */
export enum MessageType {
  /** Local: start an election now. */
  Hup = 0,
  /** Local: leader sends heartbeats now. */
  Beat = 1,
  Prop = 2,
  App = 3,
  AppResp = 4,
  Vote = 5,
  VoteResp = 6,
  Snap = 7,
  Heartbeat = 8,
  HeartbeatResp = 9,
  /** Local: the transport could not reach `from`. */
  Unreachable = 10,
  /** Local: outcome of sending a snapshot to `from`. */
  SnapStatus = 11,
  /** Local: leader checks that a quorum is still active. */
  CheckQuorum = 12,
  TransferLeader = 13,
  TimeoutNow = 14,
  ReadIndex = 15,
  ReadIndexResp = 16,
  PreVote = 17,
  PreVoteResp = 18,
}

export interface ConfState {
  /** The voting members, sorted ascending. */
  voters: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  confState: ConfState;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's state machine as of metadata.index; opaque to Raft. */
  data: Uint8Array;
}

export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  /** 0 for local messages. */
  term: number;
  /** App: term of the entry at `index`. Vote/PreVote: term of the candidate's last entry. */
  logTerm: number;
  /** App: index preceding `entries`. AppResp: highest index matched (or rejected). Votes: candidate's last index. */
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  /** AppResp rejection: the follower's hint where the leader should probe next. */
  rejectHint: number;
  /** Opaque bytes: the ReadIndex request id, or the campaign kind for a transfer-triggered vote. */
  context?: Uint8Array;
}

/** What must be persisted before any message produced in the same Ready is sent. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export enum StateType {
  Follower = 'Follower',
  PreCandidate = 'PreCandidate',
  Candidate = 'Candidate',
  Leader = 'Leader',
}

/** Volatile state, useful to the application (who leads) but never persisted. */
export interface SoftState {
  lead: NodeId;
  raftState: StateType;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
}

export interface ConfChange {
  type: ConfChangeType;
  nodeId: NodeId;
  /** Opaque to Raft: e.g. the new member's peer URLs. */
  context?: Uint8Array;
}

/** A linearizable read point: once applied index >= `index`, reads for `requestCtx` may be served. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

/**
 * Everything the driver must act on, in this order:
 *   1. persist `snapshot` (if any), then `entries`, then `hardState` — one atomic write, fsynced
 *      when `mustSync`;
 *   2. send `messages`;
 *   3. apply `snapshot` (if any) and then `committedEntries` to the state machine, and for each
 *      committed ConfChange entry call `applyConfChange`;
 *   4. call `advance(ready)`.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  readStates: ReadState[];
  entries: Entry[];
  snapshot?: Snapshot;
  committedEntries: Entry[];
  messages: Message[];
  mustSync: boolean;
}

export enum SnapshotStatus {
  Finish = 'finish',
  Failure = 'failure',
}

export enum ProgressState {
  /** Leader sends one append per heartbeat until it learns the follower's match index. */
  Probe = 'probe',
  /** Leader streams appends optimistically, bounded by the in-flight window. */
  Replicate = 'replicate',
  /** Follower is being sent a snapshot; appends pause until it reports back. */
  Snapshot = 'snapshot',
}

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  inflight: number;
}

export interface Status {
  id: NodeId;
  hardState: HardState;
  softState: SoftState;
  applied: number;
  lastIndex: number;
  /** Present on the leader only. */
  progress?: Record<NodeId, ProgressStatus>;
  leadTransferee: NodeId;
  confState: ConfState;
}

export function emptyMessage(type: MessageType, to: NodeId, from: NodeId, term: number): Message {
  return { type, to, from, term, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0 };
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return !s || s.metadata.index === 0;
}
