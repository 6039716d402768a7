import * as grpc from '@grpc/grpc-js';
import { ServiceClient, ServiceImplementation, addService, makeClientConstructor, mkstorepb, raftpb, services } from '@mk/proto';
import { Message, MessageType, NodeId, SnapshotStatus } from '@mk/raft';
import { Logger } from '@mk/shared';
import { messageFromPb, messageToPb } from '../codec/raft';
import { hostPort } from '../urls';

/** Peer messages can carry whole snapshots; client requests are limited separately (1.5 MiB). */
export const PEER_MAX_MESSAGE_BYTES = 512 * 1024 * 1024;
export const PEER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': PEER_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': PEER_MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
};

/** What the transport reports back to Raft. */
export interface RaftSink {
  step(m: Message): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, status: SnapshotStatus): void;
}

type PeerClient = ServiceClient<typeof services.mkstorepb.Peer>;
const PeerClientCtor = makeClientConstructor(services.mkstorepb.Peer);

/** One outgoing stream to a peer, reopened on the next send after it breaks. */
class PeerStream {
  private stream: grpc.ClientWritableStream<mkstorepb.RaftBatch.$Properties> | undefined;
  private broken = false;

  constructor(
    readonly id: NodeId,
    private readonly client: PeerClient,
    private readonly sink: RaftSink,
    private readonly logger: Logger,
  ) {}

  /** Writes `messages` (all for this peer) as one batch; Raft learns how a snapshot fared. */
  send(messages: Message[]): void {
    const s = this.open();
    const snaps = messages.filter((m) => m.type === MessageType.Snap).length;
    s.write({ messages: messages.map(messageToPb) }, () => {
      for (let i = 0; i < snaps; i++) this.sink.reportSnapshot(this.id, this.broken ? SnapshotStatus.Failure : SnapshotStatus.Finish);
    });
  }

  private open(): grpc.ClientWritableStream<mkstorepb.RaftBatch.$Properties> {
    if (this.stream && !this.broken) return this.stream;
    this.broken = false;
    const s = this.client.Raft((err) => {
      if (this.stream !== s) return;
      this.broken = true;
      this.stream = undefined;
      if (err && err.code !== grpc.status.CANCELLED) {
        this.logger.debug('peer stream closed', { peer: this.id, error: err.message });
        this.sink.reportUnreachable(this.id);
      }
    });
    s.on('error', () => {
      // Surfaced through the callback above.
    });
    this.stream = s;
    return s;
  }

  close(): void {
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }
}

/**
 * Raft messages between members: a gRPC server on the peer URL takes incoming streams, and one
 * long-lived client stream per peer carries outgoing messages in order.
 */
export class PeerTransport {
  private readonly peers = new Map<NodeId, { url: string; stream: PeerStream }>();

  constructor(
    private readonly sink: RaftSink,
    private readonly logger: Logger,
  ) {}

  /** Adds or updates a peer's address. */
  setPeer(id: NodeId, peerUrl: string): void {
    const existing = this.peers.get(id);
    if (existing?.url === peerUrl) return;
    existing?.stream.close();
    const client = new PeerClientCtor(hostPort(peerUrl), grpc.credentials.createInsecure(), PEER_CHANNEL_OPTIONS);
    this.peers.set(id, { url: peerUrl, stream: new PeerStream(id, client, this.sink, this.logger) });
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.stream.close();
    this.peers.delete(id);
  }

  peerUrl(id: NodeId): string | undefined {
    return this.peers.get(id)?.url;
  }

  /** Sends a Ready's messages: one batch per peer, in order. */
  send(messages: Message[]): void {
    const byPeer = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [to, list] of byPeer) {
      const p = this.peers.get(to);
      if (p) p.stream.send(list);
      else this.sink.reportUnreachable(to);
    }
  }

  /**
   * Registers the receiving side on a gRPC server (the one listening on the peer URL), plus the
   * other peer handlers (requests forwarded to the leader, the member list for joiners).
   */
  serve(server: grpc.Server, handlers: Partial<ServiceImplementation<typeof services.mkstorepb.Peer>> = {}): void {
    addService(server, services.mkstorepb.Peer, {
      Raft: (call, callback) => {
        call.on('data', (batch: mkstorepb.RaftBatch) => {
          // Decoded by protobufjs: the elements are Message instances, typed as their interface.
          for (const p of batch.messages as raftpb.Message[]) {
            let m: Message;
            try {
              m = messageFromPb(p);
            } catch (e) {
              this.logger.warn('dropped a malformed peer message', { error: (e as Error).message });
              continue;
            }
            this.sink.step(m);
          }
        });
        call.on('end', () => callback(null, {}));
        call.on('error', () => {
          // The sender went away; it reconnects on its next send.
        });
      },
      LeaseRenew: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by this member' }),
      LeaseTimeToLive: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by this member' }),
      Members: (_call, callback) => callback({ code: grpc.status.UNAVAILABLE, details: 'member list not available yet' }),
      ...handlers,
    });
  }

  close(): void {
    for (const p of this.peers.values()) p.stream.close();
    this.peers.clear();
  }
}
