/**
 * The one client the benchmark drives both systems with: @grpc/grpc-js and the etcd v3
 * descriptors generated in @mk/proto, so mk-store and etcd see byte-identical requests.
 *
 * Like etcd's own benchmark tool (`--conns`, `--clients`), the load is a number of concurrent
 * in-flight requests spread over a few gRPC channels; each channel is its own HTTP/2 connection
 * to one member's client URL, and the channels cycle over the members. Callers rotate over the
 * channels per request, as clientv3's round-robin balancer does, so no member (leader or not) is
 * favoured and a dead member costs one failed attempt.
 */
import * as grpc from '@grpc/grpc-js';
import { makeClientConstructor, services, type ServiceClient } from '@mk/proto';

const KVClient = makeClientConstructor(services.etcdserverpb.KV);
const MaintenanceClient = makeClientConstructor(services.etcdserverpb.Maintenance);
const WatchClient = makeClientConstructor(services.etcdserverpb.Watch);

export type KV = ServiceClient<typeof services.etcdserverpb.KV>;
export type Maintenance = ServiceClient<typeof services.etcdserverpb.Maintenance>;
export type Watch = ServiceClient<typeof services.etcdserverpb.Watch>;

/** One gRPC channel (one HTTP/2 connection) to one member. */
export interface Conn {
  /** index of the member (and of its endpoint) in the cluster */
  member: number;
  endpoint: string;
  kv: KV;
  maintenance: Maintenance;
  watch: Watch;
}

export interface StatusInfo {
  member: number;
  memberId: number;
  leader: number;
  raftTerm: number;
  raftIndex: number;
  version: string;
}

export class BenchClient {
  readonly conns: Conn[] = [];

  /** `endpoints` are host:port; `channels` ≥ the number of endpoints. */
  constructor(readonly endpoints: string[], channels: number) {
    const n = Math.max(channels, endpoints.length);
    const creds = grpc.credentials.createInsecure();
    for (let i = 0; i < n; i++) {
      const member = i % endpoints.length;
      const endpoint = endpoints[member]!;
      // A channel of its own: grpc-js otherwise shares one connection between clients of the
      // same target and options.
      const kv = new KVClient(endpoint, creds, {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': 256 * 1024 * 1024,
        'mk-bench.channel': i,
      });
      const sameChannel = { channelOverride: kv.getChannel() } as unknown as Partial<grpc.ChannelOptions>;
      this.conns.push({
        member,
        endpoint,
        kv,
        maintenance: new MaintenanceClient(endpoint, creds, sameChannel),
        watch: new WatchClient(endpoint, creds, sameChannel),
      });
    }
  }

  /** The first channel to member `i`. */
  toMember(i: number): Conn {
    return this.conns[i]!;
  }

  /** The channel for the `i`-th request of worker `w`: rotates over all channels. */
  pick(w: number, i: number): Conn {
    return this.conns[(w + i) % this.conns.length]!;
  }

  close(): void {
    for (const c of this.conns) c.kv.close();
  }
}

function callOptions(deadlineMs: number | undefined): Partial<grpc.CallOptions> {
  return deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
}

/** Put; resolves with the revision of the write. */
export function put(conn: Conn, key: Buffer, value: Buffer, deadlineMs?: number): Promise<number> {
  return putCall(conn, key, value, deadlineMs).result;
}

/** Put, with the call itself too (to cancel it). */
export function putCall(conn: Conn, key: Buffer, value: Buffer, deadlineMs?: number): { result: Promise<number>; call: grpc.ClientUnaryCall } {
  let call!: grpc.ClientUnaryCall;
  const result = new Promise<number>((resolve, reject) => {
    call = conn.kv.Put({ key, value }, callOptions(deadlineMs), (err, res) => {
      if (err) reject(err);
      else resolve(res?.header?.revision ?? 0);
    });
  });
  return { result, call };
}

/** Single-key (or [key, rangeEnd)) Range. */
export function range(
  conn: Conn,
  req: { key: Buffer; rangeEnd?: Buffer; limit?: number; serializable?: boolean },
  deadlineMs?: number,
): Promise<{ kvs: Array<{ key: Uint8Array; value: Uint8Array; modRevision: number }>; more: boolean; count: number; revision: number }> {
  return new Promise((resolve, reject) => {
    conn.kv.Range(req, callOptions(deadlineMs), (err, res) => {
      if (err || !res) reject(err ?? new Error('no response'));
      else resolve({ kvs: res.kvs as never, more: res.more, count: res.count, revision: res.header?.revision ?? 0 });
    });
  });
}

export function status(conn: Conn, deadlineMs = 2000): Promise<StatusInfo> {
  return new Promise((resolve, reject) => {
    conn.maintenance.Status({}, callOptions(deadlineMs), (err, res) => {
      if (err || !res) reject(err ?? new Error('no response'));
      else
        resolve({
          member: conn.member,
          memberId: res.header?.memberId ?? 0,
          leader: res.leader,
          raftTerm: res.raftTerm,
          raftIndex: res.raftIndex,
          version: res.version,
        });
    });
  });
}

/**
 * The index of the leader among the endpoints: the member whose own id (its Status header's
 * member_id) is the `leader` most members report. (etcd's ids are full 64-bit: decoded to a
 * double they lose low bits, but the same id always decodes to the same number.)
 */
export async function findLeader(client: BenchClient, members: number[]): Promise<number | undefined> {
  const st = (await Promise.all(members.map((m) => status(client.toMember(m), 1000).catch(() => undefined)))).filter(
    (s): s is StatusInfo => s !== undefined && s.leader !== 0,
  );
  const votes = new Map<number, number>();
  for (const s of st) votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  const [leaderId] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
  return st.find((s) => s.memberId === leaderId)?.member;
}

/** A short, stable description of a failed call, to count errors by kind (no timings, no ports). */
export function errorKind(e: unknown): string {
  const err = e as Partial<grpc.ServiceError> & Error;
  let text = String(err?.message ?? err);
  if (typeof err.code === 'number') text = `${grpc.status[err.code] ?? String(err.code)}: ${err.details ?? err.message ?? ''}`;
  return text
    .replace(/ after \d+(\.\d+)?s.*$/, '')
    .replace(/\b\d+\.\d+\.\d+\.\d+:\d+\b/g, 'ADDR')
    .replace(/\. Resolution note: .*$/, '')
    .slice(0, 160);
}
