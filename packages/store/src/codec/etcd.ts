import { etcdserverpb, mvccpb } from '@mk/proto';
import * as m from '../mvcc';

/**
 * Conversions between etcd's wire messages (etcdserverpb, mvccpb) and the MVCC state machine's
 * plain types. Field names and enum numbers already agree; what differs is the shape of oneofs
 * (RequestOp, Compare's target) and optional vs. defaulted fields.
 */

type RangeReqPb = etcdserverpb.RangeRequest.$Properties;
type PutReqPb = etcdserverpb.PutRequest.$Properties;
type DeleteReqPb = etcdserverpb.DeleteRangeRequest.$Properties;
type TxnReqPb = etcdserverpb.TxnRequest.$Properties;
type CompareReqPb = etcdserverpb.Compare.$Properties;

const empty = new Uint8Array(0);

export function rangeFromPb(p: RangeReqPb): m.RangeRequest {
  return {
    key: p.key ?? empty,
    rangeEnd: p.rangeEnd ?? empty,
    limit: p.limit ?? 0,
    revision: p.revision ?? 0,
    sortOrder: (p.sortOrder ?? 0) as number as m.SortOrder,
    sortTarget: (p.sortTarget ?? 0) as number as m.SortTarget,
    serializable: p.serializable ?? false,
    keysOnly: p.keysOnly ?? false,
    countOnly: p.countOnly ?? false,
    minModRevision: p.minModRevision ?? 0,
    maxModRevision: p.maxModRevision ?? 0,
    minCreateRevision: p.minCreateRevision ?? 0,
    maxCreateRevision: p.maxCreateRevision ?? 0,
  };
}

export function putFromPb(p: PutReqPb): m.PutRequest {
  return {
    key: p.key ?? empty,
    value: p.value ?? empty,
    lease: p.lease ?? 0,
    prevKv: p.prevKv ?? false,
    ignoreValue: p.ignoreValue ?? false,
    ignoreLease: p.ignoreLease ?? false,
  };
}

export function deleteFromPb(p: DeleteReqPb): m.DeleteRangeRequest {
  return { key: p.key ?? empty, rangeEnd: p.rangeEnd ?? empty, prevKv: p.prevKv ?? false };
}

function compareFromPb(p: CompareReqPb): m.Compare {
  const c: m.Compare = {
    result: (p.result ?? 0) as number as m.CompareResult,
    target: (p.target ?? 0) as number as m.CompareTarget,
    key: p.key ?? empty,
    rangeEnd: p.rangeEnd ?? empty,
  };
  // Only the field of the oneof that matches the target matters; proto3 may omit zero values.
  switch (c.target) {
    case m.CompareTarget.VERSION:
      c.version = p.version ?? 0;
      break;
    case m.CompareTarget.CREATE:
      c.createRevision = p.createRevision ?? 0;
      break;
    case m.CompareTarget.MOD:
      c.modRevision = p.modRevision ?? 0;
      break;
    case m.CompareTarget.VALUE:
      c.value = p.value ?? empty;
      break;
    case m.CompareTarget.LEASE:
      c.lease = p.lease ?? 0;
      break;
  }
  return c;
}

function requestOpFromPb(p: etcdserverpb.RequestOp.$Properties): m.RequestOp | undefined {
  if (p.requestRange) return { range: rangeFromPb(p.requestRange) };
  if (p.requestPut) return { put: putFromPb(p.requestPut) };
  if (p.requestDeleteRange) return { deleteRange: deleteFromPb(p.requestDeleteRange) };
  if (p.requestTxn) return { txn: txnFromPb(p.requestTxn) };
  return undefined;
}

/** An op with no request set is kept as an empty range so validation can refuse it by position. */
export function txnFromPb(p: TxnReqPb): m.TxnRequest {
  const ops = (list: etcdserverpb.RequestOp.$Properties[] | null | undefined): m.RequestOp[] =>
    (list ?? []).map((op) => requestOpFromPb(op) ?? ({} as m.RequestOp));
  return { compare: (p.compare ?? []).map(compareFromPb), success: ops(p.success), failure: ops(p.failure) };
}

export function kvToPb(kv: m.KeyValue): mvccpb.KeyValue.$Properties {
  return {
    key: kv.key,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease,
  };
}

export function eventToPb(e: m.MvccEvent): mvccpb.Event.$Properties {
  const p: mvccpb.Event.$Properties = { type: e.type as number as mvccpb.Event.EventType, kv: kvToPb(e.kv) };
  if (e.prevKv) p.prevKv = kvToPb(e.prevKv);
  return p;
}

type Header = etcdserverpb.ResponseHeader.$Properties;

export function rangeRespToPb(r: m.RangeResponse, header: Header): etcdserverpb.RangeResponse.$Properties {
  return { header: { ...header, revision: r.revision }, kvs: r.kvs.map(kvToPb), more: r.more, count: r.count };
}

export function putRespToPb(r: m.PutResponse, header: Header): etcdserverpb.PutResponse.$Properties {
  const p: etcdserverpb.PutResponse.$Properties = { header: { ...header, revision: r.revision } };
  if (r.prevKv) p.prevKv = kvToPb(r.prevKv);
  return p;
}

export function deleteRespToPb(r: m.DeleteRangeResponse, header: Header): etcdserverpb.DeleteRangeResponse.$Properties {
  return { header: { ...header, revision: r.revision }, deleted: r.deleted, prevKvs: r.prevKvs.map(kvToPb) };
}

export function txnRespToPb(r: m.TxnResponse, header: Header): etcdserverpb.TxnResponse.$Properties {
  return {
    header: { ...header, revision: r.revision },
    succeeded: r.succeeded,
    responses: r.responses.map((op): etcdserverpb.ResponseOp.$Properties => {
      if ('range' in op) return { responseRange: rangeRespToPb(op.range, header) };
      if ('put' in op) return { responsePut: putRespToPb(op.put, header) };
      if ('deleteRange' in op) return { responseDeleteRange: deleteRespToPb(op.deleteRange, header) };
      return { responseTxn: txnRespToPb(op.txn, header) };
    }),
  };
}

/** Whether a txn only reads (etcd serves those like a Range, without a Raft round). */
export function isReadOnlyTxn(t: m.TxnRequest): boolean {
  const ops = [...(t.success ?? []), ...(t.failure ?? [])];
  return ops.every((op) => ('range' in op ? true : 'txn' in op ? isReadOnlyTxn(op.txn) : false));
}
