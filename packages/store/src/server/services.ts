import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { addService, etcdserverpb, services } from '@mk/proto';
import { ConfChangeType } from '@mk/raft';
import { mkstorepb } from '@mk/proto';
import { memberIdOf } from '../cluster/member-id';
import { memberToPb } from '../cluster/members';
import {
  deleteFromPb,
  deleteRespToPb,
  isReadOnlyTxn,
  putFromPb,
  putRespToPb,
  rangeFromPb,
  rangeRespToPb,
  txnFromPb,
  txnRespToPb,
} from '../codec/etcd';
import { MvccResponse, validateRequest } from '../mvcc';
import { parseUrlList } from '../urls';
import { Errors, toServiceError } from './errors';
import { ApplyOutcome } from './state-machine';
import type { StoreServer } from './store-server';

/** The version Status reports: etcd's API level, and that this is mk-store. */
export const SERVER_VERSION = '3.4.0+mk-store.0.1.0';
const SNAPSHOT_CHUNK_BYTES = 32 * 1024;

type Callback<R> = grpc.sendUnaryData<R>;

/** Start of a snapshot file made by Maintenance.Snapshot (`etcdctl snapshot save`). */
export const SNAPSHOT_MAGIC = 'MKSNAP01';

/**
 * The file `etcdctl snapshot save` writes: magic, the state's length (8 bytes, big-endian), the
 * replicated state (mkstorepb.AppSnapshot), zero padding to a multiple of 512 bytes, then the
 * SHA-256 of everything before it. etcdctl checks that shape (a page-aligned database followed by
 * its checksum, as etcd sends).
 */
export function snapshotFile(state: Uint8Array): Buffer {
  const head = Buffer.alloc(16);
  head.write(SNAPSHOT_MAGIC, 0, 'ascii');
  head.writeBigUInt64BE(BigInt(state.length), 8);
  const body = Buffer.concat([head, Buffer.from(state)]);
  const padded = Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
  return Buffer.concat([padded, createHash('sha256').update(padded).digest()]);
}

/** Runs an async handler and answers its callback with the result or etcd's error status. */
function unary<Req, Res>(f: (req: Req) => Promise<Res>) {
  return (call: grpc.ServerUnaryCall<Req, Res>, callback: Callback<Res>) => {
    f(call.request).then(
      (res) => callback(null, res),
      (e: unknown) => callback(toServiceError(e)),
    );
  };
}

function mvccOf(o: ApplyOutcome): MvccResponse {
  if (!o.ok) throw o.error;
  if (!o.mvcc) throw new Error('etcdserver: internal error: no MVCC response');
  return o.mvcc;
}

export function addClientServices(server: grpc.Server, s: StoreServer): void {
  addService(server, services.etcdserverpb.KV, {
    Range: unary(async (req: etcdserverpb.RangeRequest) => {
      const r = rangeFromPb(req);
      validateRequest({ range: r });
      if (!r.serializable) await s.linearizableRead();
      return rangeRespToPb(s.sm.mvcc.range(r), s.header());
    }),
    Put: unary(async (req: etcdserverpb.PutRequest) => {
      validateRequest({ put: putFromPb(req) });
      const res = mvccOf(await s.propose({ put: req }));
      if (!('put' in res)) throw new Error('etcdserver: internal error: wrong response');
      return putRespToPb(res.put, s.header());
    }),
    DeleteRange: unary(async (req: etcdserverpb.DeleteRangeRequest) => {
      validateRequest({ deleteRange: deleteFromPb(req) });
      const res = mvccOf(await s.propose({ deleteRange: req }));
      if (!('deleteRange' in res)) throw new Error('etcdserver: internal error: wrong response');
      return deleteRespToPb(res.deleteRange, s.header());
    }),
    Txn: unary(async (req: etcdserverpb.TxnRequest) => {
      const t = txnFromPb(req);
      validateRequest({ txn: t });
      if (isReadOnlyTxn(t)) {
        // Like etcd: a read-only txn is served as a linearizable read, without a Raft round.
        await s.linearizableRead();
        return txnRespToPb(s.sm.mvcc.txn(t).response, s.header());
      }
      const res = mvccOf(await s.propose({ txn: req }));
      if (!('txn' in res)) throw new Error('etcdserver: internal error: wrong response');
      return txnRespToPb(res.txn, s.header());
    }),
    Compact: unary(async (req: etcdserverpb.CompactionRequest) => {
      const res = mvccOf(await s.propose({ compaction: req }));
      if (!('compaction' in res)) throw new Error('etcdserver: internal error: wrong response');
      return { header: { ...s.header(), revision: res.compaction.revision } };
    }),
  });

  addService(server, services.etcdserverpb.Watch, { Watch: (call) => s.watchHub.serve(call) });
  addService(server, services.etcdserverpb.Lease, s.lessor.clientHandlers());

  addService(server, services.etcdserverpb.Cluster, {
    MemberList: unary(async () => {
      // After a ReadIndex round, so a list asked right after an acknowledged add/remove shows it
      // whichever member answers (etcd 3.4 serves it from local state, which may lag).
      await s.linearizableRead();
      return { header: s.header(), members: s.sm.members.list().map(memberToPb) };
    }),
    MemberAdd: unary(async (req: etcdserverpb.MemberAddRequest) => {
      if (req.isLearner) throw Errors.learnerNotSupported();
      const peerUrls = parseUrlList(req.peerURLs.join(','), 'peerURLs');
      if (s.sm.members.peerUrlInUse(peerUrls)) throw Errors.peerUrlExists();
      const id = memberIdOf(peerUrls, s.cfg.initialClusterToken, s.clock.now());
      if (s.sm.members.has(id) || s.sm.members.isRemoved(id)) throw Errors.memberExists();
      const member = { id, name: '', peerUrls, clientUrls: [] };
      const context = mkstorepb.ConfChangeContext.encode({ member: memberToPb(member) }).finish();
      const o = await s.proposeConfChange({ type: ConfChangeType.AddNode, nodeId: id, context });
      if (!o.ok) throw o.error;
      return { header: s.header(), member: memberToPb(member), members: s.sm.members.list().map(memberToPb) };
    }),
    MemberRemove: unary(async (req: etcdserverpb.MemberRemoveRequest) => s.removeMember(req.ID)),
    MemberUpdate: unary(async (req: etcdserverpb.MemberUpdateRequest) => {
      const m = s.sm.members.get(req.ID);
      if (!m) throw Errors.memberNotFound();
      const peerUrls = parseUrlList(req.peerURLs.join(','), 'peerURLs');
      if (s.sm.members.peerUrlInUse(peerUrls, req.ID)) throw Errors.peerUrlExists();
      const o = await s.propose({ updateMember: memberToPb({ ...m, peerUrls }) });
      if (!o.ok) throw o.error;
      return { header: s.header(), members: s.sm.members.list().map(memberToPb) };
    }),
    MemberPromote: unary(async (req: etcdserverpb.MemberPromoteRequest) => {
      if (!s.sm.members.has(req.ID)) throw Errors.memberNotFound();
      throw Errors.memberNotLearner();
    }),
  });

  addService(server, services.etcdserverpb.Maintenance, {
    Status: unary(async () => {
      const st = s.node.status();
      return {
        header: s.header(),
        version: SERVER_VERSION,
        dbSize: s.sm.mvcc.sizeBytes,
        dbSizeInUse: s.sm.mvcc.sizeBytes,
        leader: st.softState.lead,
        raftIndex: st.hardState.commit,
        raftTerm: st.hardState.term,
        raftAppliedIndex: s.node.applied(),
        errors: [],
        isLearner: false,
      };
    }),
    HashKV: unary(async (req: etcdserverpb.HashKVRequest) => {
      const h = s.sm.mvcc.hashKV(req.revision);
      return { header: { ...s.header(), revision: h.revision }, hash: h.hash, compactRevision: h.compactRevision };
    }),
    Hash: unary(async () => ({ header: s.header(), hash: s.sm.mvcc.hashKV(0).hash })),
    // LevelDB compacts itself; there is nothing to defragment.
    Defragment: unary(async () => ({ header: s.header() })),
    // No alarms are raised by mk-store (no space quota yet): the list is always empty.
    Alarm: unary(async () => ({ header: s.header(), alarms: [] })),
    MoveLeader: unary(async (req: etcdserverpb.MoveLeaderRequest) => {
      if (!s.node.isLeader()) throw Errors.notLeader();
      if (!s.sm.members.has(req.targetID) || req.targetID === s.memberId) throw Errors.badLeaderTransferee();
      await s.node.transferLeader(req.targetID);
      const until = s.clock.now() + s.requestTimeoutMs();
      while (s.node.leader() !== req.targetID) {
        if (s.clock.now() > until) throw Errors.timeout();
        await new Promise((r) => setTimeout(r, 20));
      }
      return { header: s.header() };
    }),
    Snapshot: (call) => {
      const all = snapshotFile(s.sm.snapshot());
      for (let off = 0; off < all.length; off += SNAPSHOT_CHUNK_BYTES) {
        const blob = all.subarray(off, Math.min(all.length, off + SNAPSHOT_CHUNK_BYTES));
        call.write({ header: s.header(), remainingBytes: all.length - off - blob.length, blob });
      }
      call.end();
    },
  });
}
