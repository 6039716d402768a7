/**
 * Plain request/response types of the MVCC state machine. They mirror etcd's v3 protobuf
 * messages field by field (names in camelCase, enum values equal to the proto's), so the gRPC
 * layer maps them one to one; they do not depend on the generated protobuf code.
 *
 * Byte fields are Uint8Array. Everything the store returns is shared with its state: treat it
 * as read-only (the store copies what it keeps from requests).
 */

export interface KeyValue {
  key: Uint8Array;
  /** Revision of the put that created this generation of the key; 0 in a delete event's kv. */
  createRevision: number;
  /** Revision of the last change (for a delete event: the delete's revision). */
  modRevision: number;
  /** Puts since creation, 1 for a new generation; 0 in a delete event's kv. */
  version: number;
  value: Uint8Array;
  /** Attached lease id, 0 for none. */
  lease: number;
}

/** etcdserverpb.RangeRequest.SortOrder */
export enum SortOrder {
  NONE = 0,
  ASCEND = 1,
  DESCEND = 2,
}

/** etcdserverpb.RangeRequest.SortTarget */
export enum SortTarget {
  KEY = 0,
  VERSION = 1,
  CREATE = 2,
  MOD = 3,
  VALUE = 4,
}

/** etcdserverpb.Compare.CompareResult */
export enum CompareResult {
  EQUAL = 0,
  GREATER = 1,
  LESS = 2,
  NOT_EQUAL = 3,
}

/** etcdserverpb.Compare.CompareTarget */
export enum CompareTarget {
  VERSION = 0,
  CREATE = 1,
  MOD = 2,
  VALUE = 3,
  LEASE = 4,
}

/** mvccpb.Event.EventType */
export enum EventType {
  PUT = 0,
  DELETE = 1,
}

export interface RangeRequest {
  key: Uint8Array;
  /** Absent/empty: the single key. [0x00]: every key >= key. Otherwise the half-open [key, rangeEnd). */
  rangeEnd?: Uint8Array;
  /** 0 or negative: no limit. */
  limit?: number;
  /** 0 or negative: the current revision. */
  revision?: number;
  sortOrder?: SortOrder;
  sortTarget?: SortTarget;
  /** Ignored here (a shell concern: whether to wait for ReadIndex). */
  serializable?: boolean;
  keysOnly?: boolean;
  countOnly?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

export interface RangeResponse {
  /** Header revision: the store's revision when the range ran (not the requested one). */
  revision: number;
  kvs: KeyValue[];
  more: boolean;
  /** Keys in the range at the requested revision, before limit and min/max filters. */
  count: number;
}

export interface PutRequest {
  key: Uint8Array;
  value?: Uint8Array;
  lease?: number;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

export interface PutResponse {
  revision: number;
  prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  prevKv?: boolean;
}

export interface DeleteRangeResponse {
  revision: number;
  deleted: number;
  prevKvs: KeyValue[];
}

/**
 * etcdserverpb.Compare. The proto's `target_union` oneof is flattened: the field matching
 * `target` is used, absent means 0 (or empty bytes for VALUE).
 */
export interface Compare {
  result: CompareResult;
  target: CompareTarget;
  key: Uint8Array;
  /** Same convention as RangeRequest.rangeEnd: every key in the range must satisfy the compare. */
  rangeEnd?: Uint8Array;
  version?: number;
  createRevision?: number;
  modRevision?: number;
  value?: Uint8Array;
  lease?: number;
}

export type RequestOp =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest };

export type ResponseOp =
  | { range: RangeResponse }
  | { put: PutResponse }
  | { deleteRange: DeleteRangeResponse }
  | { txn: TxnResponse };

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

export interface TxnResponse {
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: number;
  /** Accepted for wire parity; compaction here is always complete when apply returns. */
  physical?: boolean;
}

export interface CompactionResponse {
  revision: number;
}

export interface LeaseGrantRequest {
  /** Chosen by the proposer (etcd's leader picks one when the client sends 0). */
  id: number;
  ttl: number;
}

export interface LeaseGrantResponse {
  revision: number;
  id: number;
  ttl: number;
}

export interface LeaseRevokeRequest {
  id: number;
}

export interface LeaseRevokeResponse {
  revision: number;
}

/** Records how much time a lease had left, so a new leader resumes from it (etcd's checkpoints). */
export interface LeaseCheckpointRequest {
  checkpoints: { id: number; remainingTtl: number }[];
}

export interface LeaseCheckpointResponse {
  revision: number;
}

export interface LeaseInfo {
  id: number;
  /** Granted TTL in seconds. */
  ttl: number;
  /** Last checkpointed remaining TTL in seconds, if any. */
  remainingTtl?: number;
}

export interface LeaseDetails extends LeaseInfo {
  /** Attached keys, bytewise ascending. */
  keys: Uint8Array[];
}

export interface MvccEvent {
  type: EventType;
  /** For DELETE: { key, modRevision: the delete's revision, everything else 0/empty }. */
  kv: KeyValue;
  /** The key's previous value, when it existed and its revision is still kept. */
  prevKv?: KeyValue;
}

/** One write for the driver's LevelDB batch; `key`/`value` are ready-to-write bytes. */
export type PersistOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** A stored record, as read back from LevelDB for `MvccStore.load`. */
export interface PersistRecord {
  key: Uint8Array;
  value: Uint8Array;
}

export interface ApplyResult<R> {
  response: R;
  /** Events in (revision, sub-revision) order, for the watch layer. */
  events: MvccEvent[];
  /** Writes to persist in one batch together with the applied index. Empty for reads. */
  persist: PersistOp[];
}

/** Everything the driver applies from the Raft log. Exactly one field is set. */
export type MvccRequest =
  | { range: RangeRequest }
  | { put: PutRequest }
  | { deleteRange: DeleteRangeRequest }
  | { txn: TxnRequest }
  | { compaction: CompactionRequest }
  | { leaseGrant: LeaseGrantRequest }
  | { leaseRevoke: LeaseRevokeRequest }
  | { leaseCheckpoint: LeaseCheckpointRequest };

export type MvccResponse =
  | { range: RangeResponse }
  | { put: PutResponse }
  | { deleteRange: DeleteRangeResponse }
  | { txn: TxnResponse }
  | { compaction: CompactionResponse }
  | { leaseGrant: LeaseGrantResponse }
  | { leaseRevoke: LeaseRevokeResponse }
  | { leaseCheckpoint: LeaseCheckpointResponse };

export interface HashKVResult {
  /** CRC-32C (Castagnoli) over the kept revision records <= the hashed revision. */
  hash: number;
  compactRevision: number;
  /** The store's current revision (etcd's header revision). */
  revision: number;
}
