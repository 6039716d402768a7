// The etcd messages must be byte-compatible with etcd v3.4. Every expected tag below is computed
// from the field number and wire type in etcd 3.4's own .proto files (etcdserver/etcdserverpb/
// rpc.proto, mvcc/mvccpb/kv.proto, auth/authpb/auth.proto), not read back from proto/etcd: a tag
// byte is (field number << 3) | wire type, wire type 0 = varint, 2 = length-delimited.
import { authpb, etcdserverpb, mvccpb, services } from './index';

const VARINT = 0;
const LEN = 2;
/** The tag bytes of field `n` with wire type `wt`, as a varint. */
function tag(n: number, wt: number): number[] {
  const out: number[] = [];
  let v = n * 8 + wt;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
const bytes = (u8: Uint8Array): number[] => Array.from(u8);
const b = (s: string): Buffer => Buffer.from(s);

describe('etcd v3.4 wire format: exact bytes', () => {
  it('tags are computed the way protobuf defines them (sanity check of the helper)', () => {
    expect(tag(1, LEN)).toEqual([0x0a]);
    expect(tag(64, LEN)).toEqual([0x82, 0x04]);
    expect(tag(11, LEN)).toEqual([0x5a]);
  });

  it('PutRequest: key=1, value=2, lease=3, prev_kv=4, ignore_value=5, ignore_lease=6', () => {
    const put = etcdserverpb.PutRequest.encode({ key: b('foo'), value: b('bar'), lease: 5, prevKv: true }).finish();
    expect(bytes(put)).toEqual([0x0a, ...str('foo'), 0x12, ...str('bar'), 0x18, 5, 0x20, 1]);
    expect(bytes(etcdserverpb.PutRequest.encode({ ignoreValue: true, ignoreLease: true }).finish())).toEqual([
      ...tag(5, VARINT), 1, ...tag(6, VARINT), 1,
    ]);
  });

  it('RangeRequest: every field 1..13 at its etcd number', () => {
    const req = etcdserverpb.RangeRequest.encode({
      key: b('a'),
      rangeEnd: b('b'),
      limit: 10,
      revision: 7,
      sortOrder: etcdserverpb.RangeRequest.SortOrder.DESCEND,
      sortTarget: etcdserverpb.RangeRequest.SortTarget.MOD,
      serializable: true,
      keysOnly: true,
      countOnly: true,
      minModRevision: 1,
      maxModRevision: 2,
      minCreateRevision: 3,
      maxCreateRevision: 4,
    }).finish();
    expect(bytes(req)).toEqual([
      0x0a, ...str('a'),
      0x12, ...str('b'),
      0x18, 10,
      0x20, 7,
      0x28, 2, // DESCEND = 2
      0x30, 3, // MOD = 3
      0x38, 1,
      0x40, 1,
      0x48, 1,
      0x50, 1,
      0x58, 2,
      0x60, 3,
      0x68, 4,
    ]);
  });

  it('RangeResponse decodes from hand-made etcd bytes: header=1, kvs=2, more=3, count=4', () => {
    const kv = [0x0a, ...str('k'), 0x10, 2, 0x18, 3, 0x20, 1, 0x2a, ...str('v'), 0x30, 9];
    const header = [0x08, 11, 0x10, 22, 0x18, 33, 0x20, 4];
    const wire = Uint8Array.from([0x0a, header.length, ...header, 0x12, kv.length, ...kv, 0x18, 1, 0x20, 5]);
    const res = etcdserverpb.RangeResponse.decode(wire);
    expect(res.header).toMatchObject({ clusterId: 11, memberId: 22, revision: 33, raftTerm: 4 });
    expect(res.kvs).toHaveLength(1);
    const first = res.kvs[0];
    expect(Buffer.from(first?.key ?? []).toString()).toBe('k');
    expect(first).toMatchObject({ createRevision: 2, modRevision: 3, version: 1, lease: 9 });
    expect(Buffer.from(first?.value ?? []).toString()).toBe('v');
    expect(res.more).toBe(true);
    expect(res.count).toBe(5);
  });

  it('ResponseHeader: cluster_id=1, member_id=2, revision=3, raft_term=4', () => {
    const h = etcdserverpb.ResponseHeader.encode({ clusterId: 1, memberId: 2, revision: 3, raftTerm: 4 }).finish();
    expect(bytes(h)).toEqual([0x08, 1, 0x10, 2, 0x18, 3, 0x20, 4]);
  });

  it('mvccpb.KeyValue (key=1 .. lease=6) and Event (type=1, kv=2, prev_kv=3; PUT=0, DELETE=1)', () => {
    const kv = { key: b('k'), createRevision: 2, modRevision: 3, version: 4, value: b('v'), lease: 6 };
    const kvBytes = [0x0a, ...str('k'), 0x10, 2, 0x18, 3, 0x20, 4, 0x2a, ...str('v'), 0x30, 6];
    expect(bytes(mvccpb.KeyValue.encode(kv).finish())).toEqual(kvBytes);
    expect(mvccpb.Event.EventType.PUT).toBe(0);
    expect(mvccpb.Event.EventType.DELETE).toBe(1);
    const ev = mvccpb.Event.encode({ type: mvccpb.Event.EventType.DELETE, kv, prevKv: kv }).finish();
    expect(bytes(ev)).toEqual([0x08, 1, 0x12, kvBytes.length, ...kvBytes, 0x1a, kvBytes.length, ...kvBytes]);
  });

  it('Compare: result=1, target=2, key=3, target_union version=4 / create_revision=5 / mod_revision=6 / value=7 / lease=8, range_end=64', () => {
    const { CompareResult, CompareTarget } = etcdserverpb.Compare;
    expect([CompareResult.EQUAL, CompareResult.GREATER, CompareResult.LESS, CompareResult.NOT_EQUAL]).toEqual([0, 1, 2, 3]);
    expect([CompareTarget.VERSION, CompareTarget.CREATE, CompareTarget.MOD, CompareTarget.VALUE, CompareTarget.LEASE]).toEqual([
      0, 1, 2, 3, 4,
    ]);
    const enc = (c: etcdserverpb.Compare.$Properties): number[] => bytes(etcdserverpb.Compare.encode(c).finish());
    expect(enc({ result: CompareResult.NOT_EQUAL, target: CompareTarget.LEASE, key: b('k'), lease: 9, rangeEnd: b('l') })).toEqual([
      0x08, 3, 0x10, 4, 0x1a, ...str('k'), 0x40, 9, 0x82, 0x04, ...str('l'),
    ]);
    expect(enc({ version: 1 })).toEqual([0x20, 1]);
    expect(enc({ createRevision: 1 })).toEqual([0x28, 1]);
    expect(enc({ modRevision: 1 })).toEqual([0x30, 1]);
    expect(enc({ value: b('x') })).toEqual([0x3a, ...str('x')]);
    expect(enc({ lease: 1 })).toEqual([0x40, 1]);
    // A zero in the oneof is still sent (presence is what selects the member).
    expect(enc({ modRevision: 0 })).toEqual([0x30, 0]);
    const back = etcdserverpb.Compare.decode(Uint8Array.from([0x10, 2, 0x30, 0]));
    expect(back.targetUnion).toBe('modRevision');
    expect(back.modRevision).toBe(0);
  });

  it('TxnRequest (compare=1, success=2, failure=3), RequestOp (range=1, put=2, delete_range=3, txn=4), ResponseOp', () => {
    const put = [0x0a, ...str('a')];
    const op = [0x12, put.length, ...put]; // RequestOp.request_put
    const txn = etcdserverpb.TxnRequest.encode({
      compare: [{ key: b('a') }],
      success: [{ requestPut: { key: b('a') } }],
      failure: [{ requestTxn: {} }],
    }).finish();
    expect(bytes(txn)).toEqual([0x0a, 3, 0x1a, ...str('a'), 0x12, op.length, ...op, 0x1a, 2, 0x22, 0]);
    expect(bytes(etcdserverpb.RequestOp.encode({ requestRange: {} }).finish())).toEqual([0x0a, 0]);
    expect(bytes(etcdserverpb.RequestOp.encode({ requestDeleteRange: {} }).finish())).toEqual([0x1a, 0]);
    const resp = etcdserverpb.TxnResponse.encode({ succeeded: true, responses: [{ responseDeleteRange: { deleted: 2 } }, { responseTxn: {} }] }).finish();
    expect(bytes(resp)).toEqual([0x10, 1, 0x1a, 4, 0x1a, 2, 0x10, 2, 0x1a, 2, 0x22, 0]);
  });

  it('DeleteRange, Compaction, HashKV, Snapshot field numbers', () => {
    expect(bytes(etcdserverpb.DeleteRangeRequest.encode({ key: b('a'), rangeEnd: b('b'), prevKv: true }).finish())).toEqual([
      0x0a, ...str('a'), 0x12, ...str('b'), 0x18, 1,
    ]);
    expect(bytes(etcdserverpb.DeleteRangeResponse.encode({ deleted: 1, prevKvs: [{}] }).finish())).toEqual([0x10, 1, 0x1a, 0]);
    expect(bytes(etcdserverpb.CompactionRequest.encode({ revision: 5, physical: true }).finish())).toEqual([0x08, 5, 0x10, 1]);
    expect(bytes(etcdserverpb.HashKVRequest.encode({ revision: 5 }).finish())).toEqual([0x08, 5]);
    expect(bytes(etcdserverpb.HashKVResponse.encode({ hash: 7, compactRevision: 3 }).finish())).toEqual([0x10, 7, 0x18, 3]);
    expect(bytes(etcdserverpb.SnapshotResponse.encode({ remainingBytes: 2, blob: Uint8Array.from([9]) }).finish())).toEqual([
      0x10, 2, 0x1a, 1, 9,
    ]);
  });

  it('WatchRequest (create=1, cancel=2, progress=3) and WatchCreateRequest fields 1..8, filters packed', () => {
    const create = etcdserverpb.WatchCreateRequest.encode({
      key: b('a'),
      rangeEnd: b('b'),
      startRevision: 3,
      progressNotify: true,
      filters: [etcdserverpb.WatchCreateRequest.FilterType.NOPUT, etcdserverpb.WatchCreateRequest.FilterType.NODELETE],
      prevKv: true,
      watchId: 7,
      fragment: true,
    }).finish();
    expect(bytes(create)).toEqual([
      0x0a, ...str('a'), 0x12, ...str('b'), 0x18, 3, 0x20, 1,
      0x2a, 2, 0, 1, // filters: NOPUT = 0, NODELETE = 1, packed as proto3 (and etcd's gogo code) does
      0x30, 1, 0x38, 7, 0x40, 1,
    ]);
    // etcd decoders accept unpacked repeated enums too; so must we.
    expect(etcdserverpb.WatchCreateRequest.decode(Uint8Array.from([0x28, 1])).filters).toEqual([1]);
    expect(bytes(etcdserverpb.WatchRequest.encode({ createRequest: {} }).finish())).toEqual([0x0a, 0]);
    expect(bytes(etcdserverpb.WatchRequest.encode({ cancelRequest: { watchId: 4 } }).finish())).toEqual([0x12, 2, 0x08, 4]);
    expect(bytes(etcdserverpb.WatchRequest.encode({ progressRequest: {} }).finish())).toEqual([0x1a, 0]);
  });

  it('WatchResponse: header=1, watch_id=2, created=3, canceled=4, compact_revision=5, cancel_reason=6, fragment=7, events=11', () => {
    const res = etcdserverpb.WatchResponse.encode({
      header: { revision: 1 },
      watchId: 2,
      created: true,
      canceled: true,
      compactRevision: 5,
      cancelReason: 'x',
      fragment: true,
      events: [{ type: mvccpb.Event.EventType.PUT }],
    }).finish();
    expect(bytes(res)).toEqual([0x0a, 2, 0x18, 1, 0x10, 2, 0x18, 1, 0x20, 1, 0x28, 5, 0x32, ...str('x'), 0x38, 1, ...tag(11, LEN), 0]);
  });

  it('Lease messages: TTL/ID numbers, an int64 of -1 and lease IDs up to 2^53-1 survive as numbers', () => {
    expect(bytes(etcdserverpb.LeaseGrantRequest.encode({ TTL: 10, ID: 3 }).finish())).toEqual([0x08, 10, 0x10, 3]);
    expect(bytes(etcdserverpb.LeaseGrantResponse.encode({ ID: 3, TTL: 10, error: 'e' }).finish())).toEqual([
      0x10, 3, 0x18, 10, 0x22, ...str('e'),
    ]);
    expect(bytes(etcdserverpb.LeaseTimeToLiveRequest.encode({ ID: 3, keys: true }).finish())).toEqual([0x08, 3, 0x10, 1]);
    // etcd answers TTL -1 for a lease that does not exist: a 10-byte two's complement varint.
    const ttl = etcdserverpb.LeaseTimeToLiveResponse.encode({ ID: 3, TTL: -1, grantedTTL: 60, keys: [b('k')] }).finish();
    expect(bytes(ttl)).toEqual([0x10, 3, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x20, 60, 0x2a, ...str('k')]);
    const back = etcdserverpb.LeaseTimeToLiveResponse.decode(ttl);
    expect(back.TTL).toBe(-1);
    expect(typeof back.TTL).toBe('number');

    const big = Number.MAX_SAFE_INTEGER;
    const ka = etcdserverpb.LeaseKeepAliveResponse.decode(etcdserverpb.LeaseKeepAliveResponse.encode({ ID: big, TTL: 5 }).finish());
    expect(ka.ID).toBe(big);
    expect(typeof ka.ID).toBe('number');
    const leases = etcdserverpb.LeaseLeasesResponse.decode(
      etcdserverpb.LeaseLeasesResponse.encode({ leases: [{ ID: big }, { ID: 1 }] }).finish(),
    );
    expect(leases.leases.map((l) => l.ID)).toEqual([big, 1]);
    expect(etcdserverpb.LeaseRevokeRequest.decode(etcdserverpb.LeaseRevokeRequest.encode({ ID: -5 }).finish()).ID).toBe(-5);
    expect(bytes(etcdserverpb.LeaseCheckpoint.encode({ ID: 1, remaining_TTL: 2 }).finish())).toEqual([0x08, 1, 0x10, 2]);
  });

  it('Member and member requests: ID=1, name=2, peerURLs=3, clientURLs=4, isLearner=5; uint64 IDs up to 2^53-1', () => {
    const m = etcdserverpb.Member.encode({ ID: 1, name: 'n', peerURLs: ['p'], clientURLs: ['c'], isLearner: true }).finish();
    expect(bytes(m)).toEqual([0x08, 1, 0x12, ...str('n'), 0x1a, ...str('p'), 0x22, ...str('c'), 0x28, 1]);
    expect(bytes(etcdserverpb.MemberAddRequest.encode({ peerURLs: ['p'], isLearner: true }).finish())).toEqual([0x0a, ...str('p'), 0x10, 1]);
    expect(bytes(etcdserverpb.MemberAddResponse.encode({ member: {}, members: [{}] }).finish())).toEqual([0x12, 0, 0x1a, 0]);
    expect(bytes(etcdserverpb.MemberUpdateRequest.encode({ ID: 2, peerURLs: ['p'] }).finish())).toEqual([0x08, 2, 0x12, ...str('p')]);
    const id = Number.MAX_SAFE_INTEGER;
    expect(etcdserverpb.MemberRemoveRequest.decode(etcdserverpb.MemberRemoveRequest.encode({ ID: id }).finish()).ID).toBe(id);
    expect(etcdserverpb.MemberPromoteRequest.decode(etcdserverpb.MemberPromoteRequest.encode({ ID: id }).finish()).ID).toBe(id);
  });

  it('StatusResponse: version=2, dbSize=3, leader=4, raftIndex=5, raftTerm=6, raftAppliedIndex=7, errors=8, dbSizeInUse=9, isLearner=10', () => {
    const s = etcdserverpb.StatusResponse.encode({
      header: {},
      version: '3.4.0',
      dbSize: 3,
      leader: 4,
      raftIndex: 5,
      raftTerm: 6,
      raftAppliedIndex: 7,
      errors: ['e'],
      dbSizeInUse: 9,
      isLearner: true,
    }).finish();
    expect(bytes(s)).toEqual([
      0x0a, 0, 0x12, ...str('3.4.0'), 0x18, 3, 0x20, 4, 0x28, 5, 0x30, 6, 0x38, 7, 0x42, ...str('e'), 0x48, 9, 0x50, 1,
    ]);
  });

  it('Alarm messages and enums: AlarmType NONE/NOSPACE/CORRUPT, AlarmAction GET/ACTIVATE/DEACTIVATE', () => {
    expect([etcdserverpb.AlarmType.NONE, etcdserverpb.AlarmType.NOSPACE, etcdserverpb.AlarmType.CORRUPT]).toEqual([0, 1, 2]);
    const { AlarmAction } = etcdserverpb.AlarmRequest;
    expect([AlarmAction.GET, AlarmAction.ACTIVATE, AlarmAction.DEACTIVATE]).toEqual([0, 1, 2]);
    const req = etcdserverpb.AlarmRequest.encode({ action: AlarmAction.DEACTIVATE, memberID: 5, alarm: etcdserverpb.AlarmType.NOSPACE });
    expect(bytes(req.finish())).toEqual([0x08, 2, 0x10, 5, 0x18, 1]);
    const res = etcdserverpb.AlarmResponse.encode({ alarms: [{ memberID: 5, alarm: etcdserverpb.AlarmType.CORRUPT }] }).finish();
    expect(bytes(res)).toEqual([0x12, 4, 0x08, 5, 0x10, 2]);
    expect(bytes(etcdserverpb.MoveLeaderRequest.encode({ targetID: 3 }).finish())).toEqual([0x08, 3]);
  });

  it('RangeRequest enums: SortOrder NONE/ASCEND/DESCEND, SortTarget KEY/VERSION/CREATE/MOD/VALUE', () => {
    const { SortOrder, SortTarget } = etcdserverpb.RangeRequest;
    expect([SortOrder.NONE, SortOrder.ASCEND, SortOrder.DESCEND]).toEqual([0, 1, 2]);
    expect([SortTarget.KEY, SortTarget.VERSION, SortTarget.CREATE, SortTarget.MOD, SortTarget.VALUE]).toEqual([0, 1, 2, 3, 4]);
  });

  it('auth messages: authpb.Permission (permType=1, key=2, range_end=3; READ/WRITE/READWRITE), AuthRoleGrantPermissionRequest', () => {
    expect([authpb.Permission.Type.READ, authpb.Permission.Type.WRITE, authpb.Permission.Type.READWRITE]).toEqual([0, 1, 2]);
    const perm = [0x08, 2, 0x12, ...str('a'), 0x1a, ...str('b')];
    expect(bytes(authpb.Permission.encode({ permType: authpb.Permission.Type.READWRITE, key: b('a'), rangeEnd: b('b') }).finish())).toEqual(perm);
    const grant = etcdserverpb.AuthRoleGrantPermissionRequest.encode({ name: 'r', perm: { permType: 2, key: b('a'), rangeEnd: b('b') } });
    expect(bytes(grant.finish())).toEqual([0x0a, ...str('r'), 0x12, perm.length, ...perm]);
    expect(bytes(etcdserverpb.AuthUserAddRequest.encode({ name: 'u', password: 'p', options: { noPassword: true } }).finish())).toEqual([
      0x0a, ...str('u'), 0x12, ...str('p'), 0x1a, 2, 0x08, 1,
    ]);
    expect(bytes(etcdserverpb.AuthenticateResponse.encode({ token: 't' }).finish())).toEqual([0x12, ...str('t')]);
  });
});

describe('etcd v3.4 services', () => {
  // etcd 3.4's services, methods and streaming kinds ('' unary, 'server', 'bidi').
  const etcd34: Record<string, Record<string, '' | 'server' | 'bidi'>> = {
    KV: { Range: '', Put: '', DeleteRange: '', Txn: '', Compact: '' },
    Watch: { Watch: 'bidi' },
    Lease: { LeaseGrant: '', LeaseRevoke: '', LeaseKeepAlive: 'bidi', LeaseTimeToLive: '', LeaseLeases: '' },
    Cluster: { MemberAdd: '', MemberRemove: '', MemberUpdate: '', MemberList: '', MemberPromote: '' },
    Maintenance: { Alarm: '', Status: '', Defragment: '', Hash: '', HashKV: '', Snapshot: 'server', MoveLeader: '' },
    Auth: {
      AuthEnable: '', AuthDisable: '', Authenticate: '', UserAdd: '', UserGet: '', UserList: '', UserDelete: '',
      UserChangePassword: '', UserGrantRole: '', UserRevokeRole: '', RoleAdd: '', RoleGet: '', RoleList: '',
      RoleDelete: '', RoleGrantPermission: '', RoleRevokePermission: '',
    },
  };

  it('are exactly etcd 3.4 services, methods, gRPC paths and streaming kinds', () => {
    const ours = services.etcdserverpb as unknown as Record<string, Record<string, { path: string; requestStream: boolean; responseStream: boolean }>>;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(etcd34).sort());
    for (const [svc, methods] of Object.entries(etcd34)) {
      const have = ours[svc] ?? {};
      expect(Object.keys(have).sort()).toEqual(Object.keys(methods).sort());
      for (const [name, kind] of Object.entries(methods)) {
        expect({ name, ...have[name] }).toMatchObject({
          name,
          path: `/etcdserverpb.${svc}/${name}`,
          requestStream: kind === 'bidi',
          responseStream: kind !== '',
        });
      }
    }
  });

  it('use the right message classes', () => {
    const kv = services.etcdserverpb.KV;
    expect(kv.Range.requestType).toBe(etcdserverpb.RangeRequest);
    expect(kv.Range.responseType).toBe(etcdserverpb.RangeResponse);
    expect(kv.Compact.requestType).toBe(etcdserverpb.CompactionRequest);
    expect(services.etcdserverpb.Maintenance.Defragment.requestType).toBe(etcdserverpb.DefragmentRequest);
    expect(services.etcdserverpb.Auth.UserAdd.responseType).toBe(etcdserverpb.AuthUserAddResponse);
    expect(services.etcdserverpb.Watch.Watch.responseType).toBe(etcdserverpb.WatchResponse);
  });
});
