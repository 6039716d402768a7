import { mkstorepb } from '@mk/proto';
import { ConfChangeType, Entry, EntryType, Snapshot, decodeConfChange } from '@mk/raft';
import { DataLossError, Logger } from '@mk/shared';
import { ReplicatedStateMachine } from '../raft-node';
import { Db } from '../disk/data-dir';
import { DiskOp, text, untext } from '../disk/keys';
import { MemberInfo, MemberList, memberFromPb, memberToPb } from '../cluster/members';
import { deleteFromPb, putFromPb, txnFromPb } from '../codec/etcd';
import { MvccEvent, MvccRequest, MvccResponse, MvccStore, PersistOp, validateRequest } from '../mvcc';

/** The outcome of one replicated request, handed to the member that proposed it. */
export type ApplyOutcome =
  | { ok: true; mvcc?: MvccResponse; members?: MemberInfo[] }
  | { ok: false; error: Error };

export interface ApplyListener {
  /** A request this member may be waiting for was applied (`key` is its request id or conf-change key). */
  onResult(key: string, outcome: ApplyOutcome): void;
  /** Events of one applied write, in revision order. */
  onEvents(events: MvccEvent[]): void;
  onMembersChanged(members: MemberInfo[]): void;
  /** The whole state was replaced by a snapshot. */
  onRestore(): void;
}

const KEY_APPLIED = text('app/applied');
const KEY_MEMBERS = text('app/members');
const MVCC_PREFIX = 'app/mvcc/';
const MVCC_RANGE = { gte: text(MVCC_PREFIX), lt: text('app/mvcc0') };

/** Key under which a conf-change proposer waits (conf changes carry no request id). */
export function confChangeKey(type: ConfChangeType, nodeId: number): string {
  return `cc:${type}:${nodeId}`;
}

function mvccKey(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(MVCC_PREFIX.length + k.length);
  out.set(text(MVCC_PREFIX), 0);
  out.set(k, MVCC_PREFIX.length);
  return out;
}

function toDisk(ops: PersistOp[]): DiskOp[] {
  return ops.map((op) => (op.type === 'put' ? { type: 'put', key: mvccKey(op.key), value: op.value } : { type: 'del', key: mvccKey(op.key) }));
}

interface MembersRecord {
  clusterId: number;
  members: MemberInfo[];
  removed: number[];
}

/**
 * mk-store's replicated application: the MVCC key-value store plus the member list. Every member
 * applies the same entries in the same order; the effects are written through to LevelDB under
 * `app/` together with the applied index, so a restart resumes where the disk says.
 */
export class StoreStateMachine implements ReplicatedStateMachine {
  private constructor(
    public mvcc: MvccStore,
    public members: MemberList,
    private appliedIndex: number,
    private readonly listener: ApplyListener,
    private readonly logger: Logger,
  ) {}

  /** A founder's initial state (the genesis snapshot's data). */
  static genesis(clusterId: number, members: MemberInfo[]): Uint8Array {
    return mkstorepb.AppSnapshot.encode({ clusterId, members: members.map(memberToPb), mvcc: new MvccStore().snapshot(), removed: [] }).finish();
  }

  /** Loads what the data dir holds; `fallback` (the Raft snapshot) is used when it is newer. */
  static async load(db: Db, fallback: Snapshot, listener: ApplyListener, logger: Logger): Promise<StoreStateMachine> {
    const appliedRaw = await db.get(KEY_APPLIED);
    const applied = appliedRaw === undefined ? 0 : Number(untext(appliedRaw));
    if (!Number.isSafeInteger(applied) || applied < 0) throw new DataLossError('data dir: the applied index record is damaged');
    if (applied < fallback.metadata.index) {
      // The Raft snapshot is ahead of what was written through (a crash right after installing it).
      const sm = new StoreStateMachine(new MvccStore(), new MemberList(0), 0, listener, logger);
      const ops = sm.restore(fallback);
      await db.batch(ops, { sync: true });
      return sm;
    }
    const membersRaw = await db.get(KEY_MEMBERS);
    let rec: MembersRecord = { clusterId: 0, members: [], removed: [] };
    if (membersRaw !== undefined) {
      try {
        rec = JSON.parse(untext(membersRaw)) as MembersRecord;
      } catch {
        throw new DataLossError('data dir: the member list record is damaged');
      }
    }
    const records: Array<{ key: Uint8Array; value: Uint8Array }> = [];
    for await (const [key, value] of db.iterator(MVCC_RANGE)) records.push({ key: key.subarray(MVCC_PREFIX.length), value });
    const mvcc = MvccStore.load(records);
    return new StoreStateMachine(mvcc, new MemberList(rec.clusterId, rec.members, rec.removed), applied, listener, logger);
  }

  applied(): number {
    return this.appliedIndex;
  }

  apply(entry: Entry): DiskOp[] {
    const ops: DiskOp[] = [];
    if (entry.type === EntryType.ConfChange) ops.push(...this.applyConfChange(entry));
    else if (entry.data.length > 0) ops.push(...this.applyRequest(entry));
    this.appliedIndex = entry.index;
    ops.push({ type: 'put', key: KEY_APPLIED, value: text(String(entry.index)) });
    return ops;
  }

  private applyRequest(entry: Entry): DiskOp[] {
    let req: mkstorepb.InternalRequest;
    try {
      req = mkstorepb.InternalRequest.decode(entry.data);
    } catch (e) {
      // Every member refuses the same bytes the same way; nothing changes.
      this.logger.error('skipping an undecodable log entry', { index: entry.index, error: (e as Error).message });
      return [];
    }
    const key = String(req.id);
    if (req.publish || req.updateMember) {
      const m = memberFromPb((req.publish ?? req.updateMember)!);
      if (req.publish) this.members.publish(m.id, m.name, m.clientUrls);
      else this.members.updatePeerUrls(m.id, m.peerUrls);
      this.listener.onMembersChanged(this.members.list());
      this.listener.onResult(key, { ok: true, members: this.members.list() });
      return [this.membersOp()];
    }
    const mreq = this.mvccRequestOf(req);
    if (!mreq) {
      this.listener.onResult(key, { ok: false, error: new Error('etcdserver: unknown request in log entry') });
      return [];
    }
    try {
      // Re-validate on apply: a request is only as good as what every member can check.
      validateRequest(mreq);
      const res = this.mvcc.apply(mreq);
      if (res.events.length > 0) this.listener.onEvents(res.events);
      this.listener.onResult(key, { ok: true, mvcc: res.response });
      return toDisk(res.persist);
    } catch (e) {
      this.listener.onResult(key, { ok: false, error: e as Error });
      return [];
    }
  }

  private mvccRequestOf(req: mkstorepb.InternalRequest): MvccRequest | undefined {
    if (req.put) return { put: putFromPb(req.put) };
    if (req.deleteRange) return { deleteRange: deleteFromPb(req.deleteRange) };
    if (req.txn) return { txn: txnFromPb(req.txn) };
    if (req.compaction) return { compaction: { revision: req.compaction.revision ?? 0, physical: req.compaction.physical ?? false } };
    if (req.leaseGrant) return { leaseGrant: { id: req.leaseGrant.ID ?? 0, ttl: req.leaseGrant.TTL ?? 0 } };
    if (req.leaseRevoke) return { leaseRevoke: { id: req.leaseRevoke.ID ?? 0 } };
    return undefined;
  }

  private applyConfChange(entry: Entry): DiskOp[] {
    const cc = decodeConfChange(entry.data);
    const key = confChangeKey(cc.type, cc.nodeId);
    if (cc.type === ConfChangeType.AddNode) {
      const ctx = cc.context ? mkstorepb.ConfChangeContext.decode(cc.context) : undefined;
      const member = ctx?.member ? memberFromPb(ctx.member) : { id: cc.nodeId, name: '', peerUrls: [], clientUrls: [] };
      this.members.add({ ...member, id: cc.nodeId });
    } else {
      this.members.remove(cc.nodeId);
    }
    this.listener.onMembersChanged(this.members.list());
    this.listener.onResult(key, { ok: true, members: this.members.list() });
    return [this.membersOp()];
  }

  private membersOp(): DiskOp {
    const rec: MembersRecord = { clusterId: this.members.clusterId, members: this.members.list(), removed: this.members.removed() };
    return { type: 'put', key: KEY_MEMBERS, value: text(JSON.stringify(rec)) };
  }

  restore(snapshot: Snapshot): DiskOp[] {
    const app = mkstorepb.AppSnapshot.decode(snapshot.data);
    const ops: DiskOp[] = this.mvcc.persistRecords().map((r) => ({ type: 'del', key: mvccKey(r.key) }));
    this.mvcc = MvccStore.fromSnapshot(app.mvcc);
    this.members = new MemberList(app.clusterId, app.members.map(memberFromPb), app.removed);
    this.appliedIndex = snapshot.metadata.index;
    ops.push(...this.mvcc.persistRecords().map((r): DiskOp => ({ type: 'put', key: mvccKey(r.key), value: r.value })));
    ops.push(this.membersOp(), { type: 'put', key: KEY_APPLIED, value: text(String(snapshot.metadata.index)) });
    this.listener.onMembersChanged(this.members.list());
    this.listener.onRestore();
    return ops;
  }

  snapshot(): Uint8Array {
    return mkstorepb.AppSnapshot.encode({
      clusterId: this.members.clusterId,
      members: this.members.list().map(memberToPb),
      mvcc: this.mvcc.snapshot(),
      removed: this.members.removed(),
    }).finish();
  }
}
