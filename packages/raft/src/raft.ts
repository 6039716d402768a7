import { Logger, Rng, nullLogger } from '@mk/shared';
import { applyConfChange, decodeConfChange } from './confchange';
import { CompactedError, ProposalDroppedError, SnapshotTemporarilyUnavailableError } from './errors';
import { RaftLog } from './log';
import { Progress } from './progress';
import { ReadOnly } from './readonly';
import { Storage } from './storage';
import {
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NONE,
  NodeId,
  ProgressState,
  ReadState,
  Snapshot,
  SnapshotStatus,
  SoftState,
  StateType,
  emptyMessage,
} from './types';

export interface Config {
  /** This node's id; never 0. */
  id: NodeId;
  storage: Storage;
  /** Ticks without hearing from a leader before a follower campaigns (randomized up to 2x). */
  electionTick: number;
  /** Ticks between a leader's heartbeats; must be smaller than electionTick. */
  heartbeatTick: number;
  /** The only source of randomness (election timeouts). */
  rng: Rng;
  /** Last index the application applied (on restart). Defaults to the storage's snapshot index. */
  applied?: number;
  /** Upper bound, in bytes of entry data, of one append message. */
  maxSizePerMsg?: number;
  /** Upper bound of appends in flight to one follower in Replicate state. */
  maxInflightMsgs?: number;
  /** Leader steps down when it has not heard from a quorum for an election timeout (thesis §6.2). */
  checkQuorum?: boolean;
  /** Run a pre-vote round before incrementing the term (thesis §9.6). */
  preVote?: boolean;
  /** Drop proposals made on a follower instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  logger?: Logger;
}

const DEFAULT_MAX_SIZE_PER_MSG = 1024 * 1024;
const DEFAULT_MAX_INFLIGHT = 256;
/** Context of a vote triggered by a leadership transfer: it bypasses pre-vote and leases. */
const CAMPAIGN_TRANSFER = new TextEncoder().encode('CampaignTransfer');

enum CampaignType {
  PreElection,
  Election,
  Transfer,
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function validate(c: Config): void {
  const positiveInt = (name: string, v: number | undefined) => {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) {
      throw new RangeError(`raft config: ${name} must be a positive integer, got ${v}`);
    }
  };
  positiveInt('id', c.id);
  positiveInt('heartbeatTick', c.heartbeatTick);
  positiveInt('electionTick', c.electionTick);
  positiveInt('maxSizePerMsg', c.maxSizePerMsg);
  positiveInt('maxInflightMsgs', c.maxInflightMsgs);
  if (c.electionTick <= c.heartbeatTick) {
    throw new RangeError(`raft config: electionTick (${c.electionTick}) must be greater than heartbeatTick (${c.heartbeatTick})`);
  }
  if (c.applied !== undefined && !(Number.isSafeInteger(c.applied) && c.applied >= 0)) {
    throw new RangeError(`raft config: applied must be a non-negative integer, got ${c.applied}`);
  }
}

/** A configuration and the log index of the entry that introduced it. */
interface ConfigAt {
  index: number;
  confState: ConfState;
}

/**
 * The Raft state machine of one node. Pure and synchronous: inputs are `tick()` and `step()`, and
 * outputs are collected in `msgs`, `readStates` and the log, which RawNode turns into a Ready.
 *
 * Membership follows the thesis (§4.1): a node uses the latest configuration in its log, committed
 * or not, and single-server changes are allowed one at a time, only after the leader has committed
 * an entry of its own term (§4.1, the fix for the single-server-change bug).
 */
export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  state = StateType.Follower;
  readonly log: RaftLog;

  msgs: Message[] = [];
  readStates: ReadState[] = [];

  /** Progress of every voter; maintained on the leader only. */
  readonly prs = new Map<NodeId, Progress>();
  /** Votes received in the current (pre-)campaign. */
  private readonly votes = new Map<NodeId, boolean>();
  /** Configurations found in the log, oldest first; the first one is the snapshot's. */
  private configs: ConfigAt[];
  private voterSet = new Set<NodeId>();

  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  private randomizedElectionTimeout = 0;
  /** Ticks since the last election timeout reset (followers) or check-quorum round (leader). */
  electionElapsed = 0;
  private heartbeatElapsed = 0;

  leadTransferee: NodeId = NONE;
  private readonly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  private pendingReadIndexMessages: Message[] = [];

  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly maxMsgSize: number;
  private readonly maxInflight: number;
  private readonly disableProposalForwarding: boolean;
  private readonly rng: Rng;
  private readonly logger: Logger;

  constructor(c: Config) {
    validate(c);
    this.id = c.id;
    this.electionTimeout = c.electionTick;
    this.heartbeatTimeout = c.heartbeatTick;
    this.checkQuorum = c.checkQuorum ?? true;
    this.preVote = c.preVote ?? true;
    this.maxMsgSize = c.maxSizePerMsg ?? DEFAULT_MAX_SIZE_PER_MSG;
    this.maxInflight = c.maxInflightMsgs ?? DEFAULT_MAX_INFLIGHT;
    this.disableProposalForwarding = c.disableProposalForwarding ?? false;
    this.rng = c.rng;
    this.logger = (c.logger ?? nullLogger).child({ raft: c.id });
    this.log = new RaftLog(c.storage, this.logger);

    const { hardState, confState } = c.storage.initialState();
    this.configs = [{ index: this.log.firstIndex() - 1, confState }];
    this.recordConfigs(c.storage.entries(this.log.firstIndex(), this.log.lastIndex() + 1, Number.MAX_SAFE_INTEGER));
    this.applyLatestConfig();

    if (hardState.commit < this.log.committed || hardState.commit > this.log.lastIndex()) {
      throw new RangeError(
        `raft: persisted commit ${hardState.commit} is outside the log [${this.log.committed}, ${this.log.lastIndex()}]; the data is damaged`,
      );
    }
    this.log.commitTo(hardState.commit);
    this.term = hardState.term;
    this.vote = hardState.vote;
    if (c.applied !== undefined && c.applied > this.log.applied) {
      if (c.applied > this.log.committed) {
        throw new RangeError(`raft config: applied ${c.applied} is beyond the persisted commit ${this.log.committed}`);
      }
      this.log.appliedTo(c.applied);
    }
    this.becomeFollower(this.term, NONE);
  }

  // ---- state ---------------------------------------------------------------------------------

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  voters(): NodeId[] {
    return this.currentConfig().voters;
  }

  /** Whether this node may become leader: it is a voter in its own configuration. */
  promotable(): boolean {
    return this.voterSet.has(this.id);
  }

  private quorum(): number {
    return Math.floor(this.voterSet.size / 2) + 1;
  }

  private currentConfig(): ConfState {
    return this.configs[this.configs.length - 1]!.confState;
  }

  /** Index of the latest configuration change in the log (0 when the config came from a snapshot). */
  private lastConfIndex(): number {
    return this.configs.length > 1 ? this.configs[this.configs.length - 1]!.index : 0;
  }

  /** The configuration in effect at log index `index` (>= the index of the first known config). */
  confStateAt(index: number): ConfState {
    if (index < this.configs[0]!.index) {
      throw new CompactedError(index, this.configs[0]!.index);
    }
    let cs = this.configs[0]!.confState;
    for (const c of this.configs) {
      if (c.index > index) break;
      cs = c.confState;
    }
    return { voters: [...cs.voters] };
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.zeroTermOnOutOfBounds(this.log.committed) === this.term;
  }

  // ---- configuration tracking ------------------------------------------------------------------

  /** Notes every ConfChange entry among `ents` (already appended to the log) as a new config. */
  private recordConfigs(ents: Entry[]): void {
    for (const e of ents) {
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      this.configs.push({ index: e.index, confState: applyConfChange(this.currentConfig(), cc) });
    }
  }

  /** The log was overwritten from `index` on: configurations introduced there are gone. */
  private forgetConfigsFrom(index: number): void {
    while (this.configs.length > 1 && this.configs[this.configs.length - 1]!.index >= index) this.configs.pop();
  }

  /** Makes the latest configuration the one in force: voter set and (on a leader) progress. */
  private applyLatestConfig(): void {
    const voters = this.currentConfig().voters;
    this.voterSet = new Set(voters);
    if (this.state !== StateType.Leader) return;
    for (const id of [...this.prs.keys()]) {
      if (!this.voterSet.has(id)) this.prs.delete(id);
    }
    for (const id of voters) {
      if (this.prs.has(id)) continue;
      const pr = new Progress(0, this.log.lastIndex() + 1, this.maxInflight);
      // A member just added has not had a chance to talk to us yet: do not let check-quorum or
      // the snapshot gate count that against it.
      pr.recentActive = true;
      this.prs.set(id, pr);
    }
    if (this.leadTransferee !== NONE && !this.voterSet.has(this.leadTransferee)) this.abortLeaderTransfer();
  }

  // ---- transitions -----------------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + this.rng.int(this.electionTimeout);
    this.abortLeaderTransfer();
    this.votes.clear();
    this.prs.clear();
    this.readOnly.reset();
    this.pendingReadIndexMessages = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = StateType.Follower;
  }

  private becomePreCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('raft: invalid transition leader -> pre-candidate');
    // Pre-vote changes neither the term nor the vote (thesis §9.6).
    this.votes.clear();
    this.lead = NONE;
    this.state = StateType.PreCandidate;
  }

  private becomeCandidate(): void {
    if (this.state === StateType.Leader) throw new Error('raft: invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = StateType.Candidate;
  }

  private becomeLeader(): void {
    if (this.state === StateType.Follower) throw new Error('raft: invalid transition follower -> leader');
    this.reset(this.term);
    this.lead = this.id;
    this.state = StateType.Leader;
    const last = this.log.lastIndex();
    for (const id of this.voterSet) {
      const pr = new Progress(0, last + 1, this.maxInflight);
      if (id === this.id) {
        pr.match = last;
        pr.becomeReplicate();
        pr.recentActive = true;
      }
      this.prs.set(id, pr);
    }
    this.logger.info('became leader', { term: this.term });
    // §5.4.2 / §8: an empty entry of the new term lets earlier entries commit.
    this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
  }

  // ---- ticks -----------------------------------------------------------------------------------

  tick(): void {
    if (this.state === StateType.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(emptyMessage(MessageType.Hup, this.id, this.id, 0));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(emptyMessage(MessageType.CheckQuorum, this.id, this.id, 0));
      // A transfer that has not finished within an election timeout is abandoned (thesis §3.10).
      if (this.state === StateType.Leader && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== StateType.Leader) return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(emptyMessage(MessageType.Beat, this.id, this.id, 0));
    }
  }

  // ---- sending ---------------------------------------------------------------------------------

  private send(m: Message): void {
    const carriesOwnTerm =
      m.type === MessageType.Vote || m.type === MessageType.VoteResp || m.type === MessageType.PreVote || m.type === MessageType.PreVoteResp;
    if (!carriesOwnTerm && m.type !== MessageType.Prop && m.type !== MessageType.ReadIndex) {
      // Forwarded proposals and read requests travel without a term: the receiver treats them as local.
      m.term = this.term;
    }
    // A forwarded request keeps its origin (e.g. the transferee of a TransferLeader).
    if (m.from === NONE) m.from = this.id;
    this.msgs.push(m);
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends the follower the entries it needs next (or a snapshot when they were compacted away).
   * Returns whether a message was sent; with `sendIfEmpty` false, nothing is sent when there are no
   * new entries.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(pr.next - 1);
      ents = this.log.entries(pr.next, this.maxMsgSize);
    } catch (e) {
      if (e instanceof CompactedError) return this.maybeSendSnapshot(to, pr);
      throw e;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    const m = emptyMessage(MessageType.App, to, this.id, this.term);
    m.index = pr.next - 1;
    m.logTerm = prevTerm;
    m.entries = ents;
    m.commit = this.log.committed;
    if (ents.length > 0) {
      if (pr.state === ProgressState.Replicate) {
        const last = ents[ents.length - 1]!.index;
        pr.optimisticUpdate(last);
        pr.inflights.add(last);
      } else if (pr.state === ProgressState.Probe) {
        pr.probeSent = true;
      }
    }
    this.send(m);
    return true;
  }

  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // An unresponsive follower would only waste a (large) snapshot transfer.
    if (!pr.recentActive) return false;
    let snapshot: Snapshot;
    try {
      snapshot = this.log.snapshot();
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false;
      throw e;
    }
    if (snapshot.metadata.index === 0) throw new Error('raft: need a non-empty snapshot to catch up a follower');
    const m = emptyMessage(MessageType.Snap, to, this.id, this.term);
    m.snapshot = snapshot;
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(m);
    return true;
  }

  private sendHeartbeat(to: NodeId, ctx: Uint8Array | undefined): void {
    const pr = this.prs.get(to)!;
    const m = emptyMessage(MessageType.Heartbeat, to, this.id, this.term);
    // Never tell a follower to commit beyond what it is known to hold.
    m.commit = Math.min(pr.match, this.log.committed);
    if (ctx) m.context = ctx;
    this.send(m);
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(ctx: Uint8Array | undefined): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendHeartbeat(id, ctx);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(emptyMessage(MessageType.TimeoutNow, to, this.id, this.term));
  }

  // ---- log -------------------------------------------------------------------------------------

  /** Leader: appends entries of the current term, counting itself. */
  private appendEntries(es: Entry[]): void {
    const li = this.log.lastIndex();
    const ents = es.map((e, i) => ({ ...e, term: this.term, index: li + 1 + i }));
    this.log.append(ents);
    if (ents.some((e) => e.type === EntryType.ConfChange)) {
      this.recordConfigs(ents);
      this.applyLatestConfig();
    }
    this.prs.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  /**
   * Advances the commit index to the highest index stored on a quorum of voters, if that entry is
   * of the current term (§5.4.2). Returns whether it moved.
   */
  private maybeCommit(): boolean {
    const matches: number[] = [];
    for (const id of this.voterSet) matches.push(this.prs.get(id)?.match ?? 0);
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const mci = matches[this.quorum() - 1]!;
    if (mci <= this.log.committed || this.log.zeroTermOnOutOfBounds(mci) !== this.term) return false;
    this.log.commitTo(mci);
    this.onLeaderCommit();
    return true;
  }

  private onLeaderCommit(): void {
    if (this.committedEntryInCurrentTerm() && this.pendingReadIndexMessages.length > 0) {
      const pending = this.pendingReadIndexMessages;
      this.pendingReadIndexMessages = [];
      for (const m of pending) this.handleReadIndex(m);
    }
    // Thesis §4.2.2: a leader that is not part of the new configuration steps down once it commits.
    if (!this.promotable() && this.log.committed >= this.lastConfIndex()) {
      this.handOverOnRemoval();
    }
  }

  /** Removed leader: let the most up-to-date voter campaign at once instead of waiting for a timeout. */
  private handOverOnRemoval(): void {
    // Tell followers about the final commit index before leaving.
    this.bcastAppend();
    let best: NodeId = NONE;
    for (const id of this.voterSet) {
      const pr = this.prs.get(id);
      if (pr && pr.match === this.log.lastIndex() && (best === NONE || id < best)) best = id;
    }
    if (best !== NONE) this.sendTimeoutNow(best);
    this.logger.info('stepping down: removed from the configuration', { term: this.term });
    this.becomeFollower(this.term, NONE);
  }

  // ---- stepping --------------------------------------------------------------------------------

  /**
   * Processes one message. Local messages (term 0) come from RawNode; the rest from peers.
   * Throws ProposalDroppedError for a local proposal that cannot be accepted.
   */
  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = sameBytes(m.context, CAMPAIGN_TRANSFER);
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        // Thesis §4.2.3 / §9.6: a node that heard from a leader recently ignores disruptive votes.
        if (!force && inLease) return;
      }
      if (m.type === MessageType.PreVote) {
        // Never change the term because of a pre-vote.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // A granted pre-vote carries the term we would campaign at; counted below.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (e.g. back from a partition) must learn the new term, or with pre-vote /
        // check-quorum nobody would ever tell it.
        this.send(emptyMessage(MessageType.AppResp, m.from, this.id, this.term));
      } else if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
        // §5.1: reject a stale request with our term so the candidate catches up. Configurations
        // come from each node's log, so nobody else may ever send a lagging candidate a message.
        const resp = emptyMessage(m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp, m.from, this.id, this.term);
        resp.reject = true;
        this.send(resp);
      }
      return;
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(this.preVote ? CampaignType.PreElection : CampaignType.Election);
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
    }
    switch (this.state) {
      case StateType.Leader:
        this.stepLeader(m);
        return;
      case StateType.Candidate:
      case StateType.PreCandidate:
        this.stepCandidate(m);
        return;
      case StateType.Follower:
        this.stepFollower(m);
        return;
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
    // §5.2: one vote per term (repeat it for the same candidate); a pre-vote for a future term is
    // not a vote and may be granted freely.
    const canVote =
      this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (m.type === MessageType.PreVote && m.term > this.term);
    // §5.4.1: only for a candidate whose log is at least as up to date.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      const resp = emptyMessage(respType, m.from, this.id, m.term);
      this.send(resp);
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      const resp = emptyMessage(respType, m.from, this.id, this.term);
      resp.reject = true;
      this.send(resp);
    }
  }

  private hup(t: CampaignType): void {
    if (this.state === StateType.Leader) return;
    if (!this.promotable()) return;
    this.campaign(t);
  }

  private campaign(t: CampaignType): void {
    if (!this.promotable()) return;
    let voteType: MessageType;
    let term: number;
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // A single-voter cluster wins at once.
      if (t === CampaignType.PreElection) this.campaign(CampaignType.Election);
      else this.becomeLeader();
      return;
    }
    for (const id of this.voterSet) {
      if (id === this.id) continue;
      const m = emptyMessage(voteType, id, this.id, term);
      m.index = this.log.lastIndex();
      m.logTerm = this.log.lastTerm();
      if (t === CampaignType.Transfer) m.context = CAMPAIGN_TRANSFER;
      this.send(m);
    }
  }

  /** Records a vote and tallies the current configuration's voters. */
  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    let yes = 0;
    let no = 0;
    for (const v of this.voterSet) {
      const g = this.votes.get(v);
      if (g === true) yes++;
      else if (g === false) no++;
    }
    const q = this.quorum();
    if (yes >= q) return 'won';
    if (no > this.voterSet.size - q) return 'lost';
    return 'pending';
  }

  private stepCandidate(m: Message): void {
    const myRespType = this.state === StateType.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.Prop:
        throw new ProposalDroppedError('no leader (election in progress)');
      case MessageType.App:
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.TimeoutNow:
        // Already campaigning; a transfer to a candidate is moot.
        return;
      case MessageType.PreVoteResp:
      case MessageType.VoteResp: {
        if (m.type !== myRespType) return;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.state === StateType.PreCandidate) this.campaign(CampaignType.Election);
          else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          // A pre-candidate that lost keeps its term; a candidate keeps the term it campaigned in.
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NONE) throw new ProposalDroppedError('no leader');
        if (this.disableProposalForwarding) throw new ProposalDroppedError('not the leader and forwarding is disabled');
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.App:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case MessageType.Heartbeat:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case MessageType.TransferLeader:
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.TimeoutNow:
        // Thesis §3.10: the leader asked us to take over now; no pre-vote, no waiting for a timeout.
        this.hup(CampaignType.Transfer);
        return;
      case MessageType.ReadIndex:
        if (this.lead === NONE) return;
        this.send({ ...m, to: this.lead });
        return;
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, requestCtx: m.context ?? new Uint8Array(0) });
        return;
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat(this.readOnly.lastPendingCtx());
        return;
      case MessageType.CheckQuorum:
        if (!this.quorumActive()) {
          this.logger.warn('stepping down: no quorum heard from within an election timeout', { term: this.term });
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.prs) pr.recentActive = id === this.id;
        return;
      case MessageType.Prop:
        this.handlePropose(m);
        return;
      case MessageType.ReadIndex:
        this.handleReadIndex(m);
        return;
      case MessageType.TransferLeader:
        this.handleTransferLeader(m.from);
        return;
    }

    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(m, pr);
        return;
      case MessageType.SnapStatus:
        if (pr.state !== ProgressState.Snapshot) return;
        if (m.reject) pr.pendingSnapshot = 0;
        pr.becomeProbe();
        // Wait for the next heartbeat response before probing again.
        pr.probeSent = true;
        return;
      case MessageType.Unreachable:
        // Appends sent optimistically were probably lost: go back to probing.
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        return;
    }
  }

  private handlePropose(m: Message): void {
    if (m.entries.length === 0) throw new ProposalDroppedError('empty proposal');
    if (!this.prs.has(this.id)) throw new ProposalDroppedError('this leader is being removed from the cluster');
    if (this.leadTransferee !== NONE) throw new ProposalDroppedError(`leadership is being transferred to ${this.leadTransferee}`);
    const changes = m.entries.filter((e) => e.type === EntryType.ConfChange).length;
    if (changes > 0) {
      if (changes > 1) throw new ProposalDroppedError('only one configuration change per proposal');
      if (this.lastConfIndex() > this.log.committed) {
        throw new ProposalDroppedError(`a configuration change at index ${this.lastConfIndex()} is not committed yet`);
      }
      if (!this.committedEntryInCurrentTerm()) {
        throw new ProposalDroppedError('the leader has not committed an entry of its term yet');
      }
      for (const e of m.entries) if (e.type === EntryType.ConfChange) decodeConfChange(e.data);
    }
    this.appendEntries(m.entries);
    this.bcastAppend();
  }

  private handleReadIndex(m: Message): void {
    const ctx = m.context ?? new Uint8Array(0);
    // Thesis §6.4: the read point is only safe once this leader has committed an entry of its term.
    if (!this.committedEntryInCurrentTerm()) {
      this.pendingReadIndexMessages.push(m);
      return;
    }
    if (this.voterSet.size === 1 && this.voterSet.has(this.id)) {
      // A sole voter confirms its own leadership.
      this.respondToRead(this.log.committed, m.from, ctx);
      return;
    }
    this.readOnly.add(this.log.committed, m.from, ctx);
    this.recvReadAck(this.id, ctx);
    this.bcastHeartbeat(ctx);
  }

  private recvReadAck(from: NodeId, ctx: Uint8Array): void {
    const acks = this.readOnly.recvAck(from, ctx);
    if (!acks) return;
    let n = 0;
    for (const id of acks) if (this.voterSet.has(id)) n++;
    if (n < this.quorum()) return;
    for (const r of this.readOnly.advance(ctx)) this.respondToRead(r.index, r.from, r.requestCtx);
  }

  private respondToRead(index: number, from: NodeId, ctx: Uint8Array): void {
    if (from === NONE || from === this.id) {
      this.readStates.push({ index, requestCtx: ctx });
      return;
    }
    const resp = emptyMessage(MessageType.ReadIndexResp, from, this.id, this.term);
    resp.index = index;
    resp.context = ctx;
    this.send(resp);
  }

  private handleTransferLeader(transferee: NodeId): void {
    if (!this.voterSet.has(transferee)) return;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    // The transfer must finish within an election timeout (counted from now).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    const pr = this.prs.get(transferee)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      if (this.state !== StateType.Leader) return; // stepped down after committing its removal
      this.bcastAppend();
    } else if (wasPaused) {
      this.sendAppend(m.from);
    }
    // Fill the in-flight window while there are entries to send.
    while (this.maybeSendAppend(m.from, false)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    if (m.context && m.context.length > 0) this.recvReadAck(m.from, m.context);
  }

  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.voterSet) {
      if (id === this.id || this.prs.get(id)?.recentActive) active++;
    }
    return active >= this.quorum();
  }

  // ---- follower handlers ------------------------------------------------------------------------

  private handleAppendEntries(m: Message): void {
    if (m.index < this.log.committed) {
      const resp = emptyMessage(MessageType.AppResp, m.from, this.id, this.term);
      resp.index = this.log.committed;
      this.send(resp);
      return;
    }
    const res = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (res) {
      if (res.writtenFrom !== 0) {
        this.forgetConfigsFrom(res.writtenFrom);
        this.recordConfigs(m.entries.filter((e) => e.index >= res.writtenFrom));
        this.applyLatestConfig();
      }
      const resp = emptyMessage(MessageType.AppResp, m.from, this.id, this.term);
      resp.index = res.lastNewIndex;
      this.send(resp);
      return;
    }
    // Reject, hinting at the highest index that might match: skip whole terms of our log that
    // cannot (thesis §5.3 optimisation, etcd's findConflictByTerm).
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const resp = emptyMessage(MessageType.AppResp, m.from, this.id, this.term);
    resp.index = m.index;
    resp.reject = true;
    resp.rejectHint = hint.index;
    resp.logTerm = hint.term;
    this.send(resp);
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    const resp = emptyMessage(MessageType.HeartbeatResp, m.from, this.id, this.term);
    if (m.context) resp.context = m.context;
    this.send(resp);
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    const resp = emptyMessage(MessageType.AppResp, m.from, this.id, this.term);
    if (s && this.restore(s)) {
      this.logger.info('restored snapshot', { index: s.metadata.index, term: s.metadata.term });
      resp.index = this.log.lastIndex();
    } else {
      resp.index = this.log.committed;
    }
    this.send(resp);
  }

  /** §7: installs a snapshot unless the log already holds what it covers. Returns whether it did. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.log.committed) return false;
    if (this.log.matchTerm(s.metadata.index, s.metadata.term)) {
      // Our log already has the snapshot's last entry: just fast-forward the commit index.
      this.log.commitTo(s.metadata.index);
      return false;
    }
    this.log.restore(s);
    this.configs = [{ index: s.metadata.index, confState: { voters: [...s.metadata.confState.voters] } }];
    this.applyLatestConfig();
    return true;
  }

  /** Local report from the transport: sending a snapshot to `id` finished or failed. */
  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    const m = emptyMessage(MessageType.SnapStatus, this.id, id, 0);
    m.reject = status === SnapshotStatus.Failure;
    this.step(m);
  }
}

