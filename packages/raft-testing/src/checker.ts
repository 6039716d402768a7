import type { Entry, HardState, NodeId } from '@mk/raft';
import type { LogView } from './log-view';

/** The properties the checker enforces; a violation names one of them. */
export type Invariant =
  | 'election safety' // at most one leader per term (Raft §5.2)
  | 'vote safety' // a persisted vote never changes within a term, terms never go back (§5.2)
  | 'log matching' // same (index, term) => same entry and same term before it (§5.3)
  | 'leader completeness' // a leader holds every entry committed in an earlier term (§5.4)
  | 'state machine safety' // no two nodes apply different entries at one index (§5.4.3)
  | 'committed entry lost' // a committed (index, term) never changes on a node that knows it is committed
  | 'commit monotonicity' // persisted commit never decreases and never exceeds the persisted log
  | 'apply order' // entries are applied in order, only once committed, never rolled back
  | 'read linearizability' // a ReadIndex read point covers every write committed before the read began (§6.4)
  | 'ready contract' // a Ready that changes entries, snapshot, term or vote demands a synced write
  | 'liveness' // once faults stop, a leader is elected and proposals commit in bounded ticks
  | 'raft error'; // the core threw, or handed the driver something it cannot persist

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: Invariant,
    readonly detail: string,
  ) {
    super(`${invariant} violated: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/** What one node persisted atomically in one Ready. */
export interface Persisted {
  snapshot?: { index: number; term: number };
  entries: Entry[];
  hardState?: HardState;
  /** Ready.mustSync; absent means synced. */
  mustSync?: boolean;
}

/** One node at the end of a run, for the whole-log comparisons. */
export interface FinalNode {
  id: NodeId;
  log: LogView;
  /** Persisted commit index. */
  commit: number;
}

interface EntryRecord {
  term: number;
  type: number;
  data: Uint8Array;
  /** Term of the entry at index-1 in the log that persisted this one. */
  prevTerm: number;
  node: NodeId;
}

/** Per node incarnation: what it last persisted and applied. Reset from disk on restart. */
interface NodeTrack {
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fail(invariant: Invariant, detail: string): never {
  throw new InvariantViolation(invariant, detail);
}

/**
 * Checks Raft's safety properties incrementally: the driver reports what each node persists,
 * applies and does as leader, and every report is checked against global records in time
 * proportional to the report (leader completeness is the exception: O(log) once per term).
 *
 * "Committed" means: some node has persisted a hardState whose commit covers the index. Such an
 * entry was truly committed (a node only learns a commit from a leader that counted a quorum).
 */
export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly leaderIds = new Set<NodeId>();
  private readonly records = new Map<number, EntryRecord[]>();
  /** committedTerm[i]: the term of the committed entry at i (holes where only a snapshot told us). */
  private readonly committedTerm: number[] = [];
  /**
   * commitSeenInTerm[i]: the lowest term of a hardState that persisted a commit covering i. The
   * entry was committed in that term or earlier, so every leader of a later term must hold it.
   */
  private readonly commitSeenInTerm: number[] = [];
  /** chainAt[i]: the application's hash chain after applying index i. */
  private readonly chainAt: number[] = [];
  private readonly nodes = new Map<NodeId, NodeTrack>();
  /** committedMax at the moment each ReadIndex request was made. */
  private readonly readFloor = new Map<number, number>();
  committedMax = 0;

  /** `genesis`: the founders' bootstrap snapshot (committed and applied by definition). */
  constructor(genesis: { index: number; term: number; chain: number }) {
    this.committedTerm[genesis.index] = genesis.term;
    this.commitSeenInTerm[genesis.index] = 0;
    this.chainAt[genesis.index] = genesis.chain;
    this.committedMax = genesis.index;
  }

  get elections(): number {
    return this.leaderOfTerm.size;
  }
  get distinctLeaders(): number {
    return this.leaderIds.size;
  }
  /** The committed term at `i`, if known. */
  committedTermAt(i: number): number | undefined {
    return this.committedTerm[i];
  }
  chainAtIndex(i: number): number | undefined {
    return this.chainAt[i];
  }

  /** A node (re)started from its disk: `hardState` and the app state restored from its snapshot. */
  nodeStarted(id: NodeId, hardState: HardState, log: LogView, app: { index: number; chain: number }): void {
    if (hardState.commit > log.lastIndex()) {
      fail('commit monotonicity', `node ${id} restarted with persisted commit ${hardState.commit} beyond its persisted last index ${log.lastIndex()}`);
    }
    if (app.index > 0) this.checkChain(id, app.index, app.chain, 'restored from its snapshot');
    this.nodes.set(id, { term: hardState.term, vote: hardState.vote, commit: hardState.commit, applied: app.index });
  }

  /** Called after a node atomically persisted a Ready's snapshot, entries and hardState. */
  persisted(id: NodeId, p: Persisted, log: LogView): void {
    const n = this.track(id);
    if (p.mustSync === false) {
      const votes = p.hardState && (p.hardState.term !== n.term || p.hardState.vote !== n.vote);
      if (p.entries.length > 0 || p.snapshot || votes) {
        fail('ready contract', `node ${id} was allowed an unsynced write of ${p.entries.length} entries${p.snapshot ? ', a snapshot' : ''}${votes ? ', a new term or vote' : ''}`);
      }
    }
    if (p.snapshot) this.checkSnapshotMeta(id, p.snapshot.index, p.snapshot.term);
    this.recordEntries(id, n, p.entries, log);
    if (p.hardState) this.recordHardState(id, n, p.hardState, log);
  }

  /**
   * `id` acted as leader of `term` (its Ready said so, or it sent leader-only messages), with
   * `log` persisted. Checks election safety and, the first time per term, leader completeness.
   */
  leaderObserved(id: NodeId, term: number, log: LogView): void {
    const known = this.leaderOfTerm.get(term);
    if (known !== undefined) {
      if (known !== id) fail('election safety', `nodes ${known} and ${id} were both leader in term ${term}`);
      return;
    }
    this.leaderOfTerm.set(term, id);
    this.leaderIds.add(id);
    const from = log.snapshotIndex() + 1;
    for (let i = from; i <= this.committedMax; i++) {
      const want = this.committedTerm[i];
      const seen = this.commitSeenInTerm[i];
      if (want === undefined || seen === undefined || seen >= term) continue;
      const have = log.termAt(i);
      if (have !== want) {
        fail(
          'leader completeness',
          `node ${id}, leader of term ${term}, has ${have === undefined ? 'no entry' : `term ${have}`} at index ${i}, ` +
            `but (index ${i}, term ${want}) was committed by term ${seen}`,
        );
      }
    }
  }

  /** A node applied committed entry `e`; its application's chain is now `chain`. */
  applied(id: NodeId, e: Entry, chain: number): void {
    const n = this.track(id);
    if (e.index !== n.applied + 1) fail('apply order', `node ${id} applied index ${e.index} right after ${n.applied}`);
    if (e.index > n.commit) fail('apply order', `node ${id} applied index ${e.index} beyond its persisted commit ${n.commit}`);
    const want = this.committedTerm[e.index];
    if (want !== undefined && want !== e.term) {
      fail('state machine safety', `node ${id} applied (index ${e.index}, term ${e.term}) but the committed entry there has term ${want}`);
    }
    this.checkChain(id, e.index, chain, `applying (index ${e.index}, term ${e.term})`);
    n.applied = e.index;
  }

  /** A node replaced its application state by a snapshot's (whose app state says `app`). */
  snapshotApplied(id: NodeId, meta: { index: number; term: number }, app: { index: number; chain: number }): void {
    const n = this.track(id);
    if (app.index !== meta.index) {
      fail('state machine safety', `node ${id} installed a snapshot at index ${meta.index} holding app state of index ${app.index}`);
    }
    if (meta.index <= n.applied) {
      fail('apply order', `node ${id} installed a snapshot at index ${meta.index} but had applied ${n.applied}: its state would go back`);
    }
    this.checkChain(id, meta.index, app.chain, `installing the snapshot at (index ${meta.index}, term ${meta.term})`);
    n.applied = meta.index;
  }

  readRequested(ctx: number): void {
    this.readFloor.set(ctx, this.committedMax);
  }

  /** A ReadState for request `ctx` came back with read point `index`. */
  readIndexReturned(id: NodeId, ctx: number, index: number): void {
    const floor = this.readFloor.get(ctx);
    if (floor === undefined) fail('read linearizability', `node ${id} got a read state for request ${ctx}, which nobody made`);
    if (index < floor) {
      fail('read linearizability', `node ${id} got read point ${index} for request ${ctx}, but index ${floor} was committed before the request`);
    }
  }

  /**
   * End of run: every node's log agrees with every other (log matching, pairwise over the whole
   * logs), and still holds every committed entry up to its own persisted commit.
   */
  finalCheck(nodes: FinalNode[]): void {
    for (const n of nodes) {
      const hi = Math.min(n.commit, n.log.lastIndex());
      for (let i = n.log.snapshotIndex() + 1; i <= hi; i++) {
        const want = this.committedTerm[i];
        const have = n.log.termAt(i);
        if (want !== undefined && have !== want) {
          fail('committed entry lost', `at the end node ${n.id} has term ${have} at committed index ${i} (committed term ${want})`);
        }
      }
    }
    for (let a = 0; a < nodes.length; a++) {
      for (let b = a + 1; b < nodes.length; b++) compareLogs(nodes[a]!, nodes[b]!);
    }
  }

  /** A live member must have applied every committed index by the end of the liveness phase. */
  checkAppliedAll(id: NodeId): void {
    const n = this.track(id);
    if (n.applied < this.committedMax) {
      fail('committed entry lost', `at the end member ${id} applied up to ${n.applied}, but index ${this.committedMax} is committed`);
    }
  }

  appliedIndex(id: NodeId): number {
    return this.track(id).applied;
  }

  private track(id: NodeId): NodeTrack {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`checker: node ${id} was never started`);
    return n;
  }

  private checkChain(id: NodeId, index: number, chain: number, doing: string): void {
    const want = this.chainAt[index];
    if (want === undefined) {
      if (index > this.committedMax) {
        fail('state machine safety', `node ${id} reached index ${index} ${doing}, beyond the highest committed index ${this.committedMax}`);
      }
      this.chainAt[index] = chain;
    } else if (want !== chain) {
      fail('state machine safety', `node ${id} has app state ${chain} at index ${index} after ${doing}; another node had ${want} there`);
    }
  }

  private checkSnapshotMeta(id: NodeId, index: number, term: number): void {
    const want = this.committedTerm[index];
    if (want !== undefined && want !== term) {
      fail('committed entry lost', `node ${id} persisted a snapshot at (index ${index}, term ${term}) but the committed entry there has term ${want}`);
    }
  }

  private recordEntries(id: NodeId, n: NodeTrack, entries: Entry[], log: LogView): void {
    let prevTerm: number | undefined;
    const snapIndex = log.snapshotIndex();
    for (const e of entries) {
      if (e.index <= snapIndex) continue; // the storage skipped it: already folded into the snapshot
      if (prevTerm === undefined) prevTerm = log.termAt(e.index - 1);
      if (prevTerm === undefined) fail('log matching', `node ${id} persisted index ${e.index} with no entry before it`);
      // A node that knows an index is committed must never replace the entry there.
      if (e.index <= n.commit) {
        const want = this.committedTerm[e.index];
        if (want !== undefined && want !== e.term) {
          fail('committed entry lost', `node ${id} overwrote committed (index ${e.index}, term ${want}) with term ${e.term} (its persisted commit is ${n.commit})`);
        }
      }
      this.recordEntry(id, e, prevTerm);
      prevTerm = e.term;
    }
  }

  private recordEntry(id: NodeId, e: Entry, prevTerm: number): void {
    let list = this.records.get(e.index);
    if (!list) {
      list = [];
      this.records.set(e.index, list);
    }
    const r = list.find((x) => x.term === e.term);
    if (!r) {
      list.push({ term: e.term, type: e.type, data: e.data, prevTerm, node: id });
      return;
    }
    if (r.type !== e.type || !sameBytes(r.data, e.data)) {
      fail('log matching', `nodes ${r.node} and ${id} persisted different entries at (index ${e.index}, term ${e.term})`);
    }
    if (r.prevTerm !== prevTerm) {
      fail(
        'log matching',
        `(index ${e.index}, term ${e.term}) follows term ${r.prevTerm} on node ${r.node} but term ${prevTerm} on node ${id}`,
      );
    }
  }

  private recordHardState(id: NodeId, n: NodeTrack, hs: HardState, log: LogView): void {
    if (hs.term < n.term) fail('vote safety', `node ${id} persisted term ${hs.term} after term ${n.term}`);
    if (hs.term === n.term && n.vote !== 0 && hs.vote !== n.vote) {
      fail('vote safety', `node ${id} changed its vote in term ${hs.term} from ${n.vote} to ${hs.vote}`);
    }
    if (hs.commit < n.commit) fail('commit monotonicity', `node ${id} persisted commit ${hs.commit} after commit ${n.commit}`);
    if (hs.commit > log.lastIndex()) {
      fail('commit monotonicity', `node ${id} persisted commit ${hs.commit} beyond its persisted last index ${log.lastIndex()}`);
    }
    for (let i = n.commit + 1; i <= hs.commit; i++) {
      const have = log.termAt(i); // undefined below the snapshot: the snapshot check covered it
      const want = this.committedTerm[i];
      if (want === undefined) {
        if (have !== undefined) {
          this.committedTerm[i] = have;
          this.commitSeenInTerm[i] = hs.term;
        }
        continue;
      }
      if (have !== undefined && have !== want) {
        fail('committed entry lost', `node ${id} persisted commit ${hs.commit} over (index ${i}, term ${have}), but the committed entry there has term ${want}`);
      }
      const seen = this.commitSeenInTerm[i];
      if (seen === undefined || hs.term < seen) this.commitSeenInTerm[i] = hs.term;
    }
    if (hs.commit > this.committedMax) this.committedMax = hs.commit;
    n.term = hs.term;
    n.vote = hs.vote;
    n.commit = hs.commit;
  }
}

/** Log matching over two whole logs: equal terms at an index imply identical logs up to it. */
function compareLogs(a: FinalNode, b: FinalNode): void {
  const lo = Math.max(a.log.snapshotIndex(), b.log.snapshotIndex());
  const hi = Math.min(a.log.lastIndex(), b.log.lastIndex());
  let match = -1; // highest index in [lo, hi] where the terms agree
  for (let i = hi; i >= lo; i--) {
    if (a.log.termAt(i) === b.log.termAt(i)) {
      match = i;
      break;
    }
  }
  for (let i = lo + 1; i <= match; i++) {
    const x = a.log.entryAt(i);
    const y = b.log.entryAt(i);
    if (!x || !y || x.term !== y.term || x.type !== y.type || !sameBytes(x.data, y.data)) {
      fail(
        'log matching',
        `nodes ${a.id} and ${b.id} agree on the term at index ${match} but differ at index ${i} ` +
          `(${x ? `term ${x.term}` : 'none'} vs ${y ? `term ${y.term}` : 'none'})`,
      );
    }
  }
}
