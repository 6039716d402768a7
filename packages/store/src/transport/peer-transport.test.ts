import * as grpc from '@grpc/grpc-js';
import { nullLogger } from '@mk/shared';
import { EntryType, Message, MessageType, NodeId, SnapshotStatus, emptyMessage } from '@mk/raft';
import { PEER_CHANNEL_OPTIONS, PeerTransport, RaftSink } from './peer-transport';

class Recorder implements RaftSink {
  stepped: Message[] = [];
  unreachable: NodeId[] = [];
  snapshots: Array<[NodeId, SnapshotStatus]> = [];
  step(m: Message) {
    this.stepped.push(m);
  }
  reportUnreachable(id: NodeId) {
    this.unreachable.push(id);
  }
  reportSnapshot(id: NodeId, s: SnapshotStatus) {
    this.snapshots.push([id, s]);
  }
}

async function listen(t: PeerTransport): Promise<{ server: grpc.Server; url: string }> {
  const server = new grpc.Server(PEER_CHANNEL_OPTIONS);
  t.serve(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, url: `http://127.0.0.1:${port}` };
}

async function eventually(what: string, cond: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PeerTransport over real gRPC on loopback', () => {
  const open: Array<() => void> = [];
  afterEach(() => open.splice(0).forEach((f) => f()));

  it('carries messages in order, entries and snapshots intact, and reports a delivered snapshot', async () => {
    const sinkA = new Recorder();
    const sinkB = new Recorder();
    const a = new PeerTransport(sinkA, nullLogger);
    const b = new PeerTransport(sinkB, nullLogger);
    const sa = await listen(a);
    const sb = await listen(b);
    open.push(() => a.close(), () => b.close(), () => sa.server.forceShutdown(), () => sb.server.forceShutdown());
    a.setPeer(2, sb.url);
    b.setPeer(1, sa.url);

    const msgs: Message[] = [];
    for (let i = 0; i < 50; i++) {
      const m = emptyMessage(MessageType.App, 2, 1, 3);
      m.index = i;
      m.entries = [{ term: 3, index: i + 1, type: EntryType.Normal, data: Uint8Array.from([i]) }];
      msgs.push(m);
    }
    const snap = emptyMessage(MessageType.Snap, 2, 1, 3);
    snap.snapshot = { metadata: { index: 99, term: 3, confState: { voters: [1, 2] } }, data: new Uint8Array(100_000).fill(7) };
    a.send([...msgs, snap]);
    b.send([emptyMessage(MessageType.AppResp, 1, 2, 3)]);

    await eventually('51 messages at b', () => sinkB.stepped.length === 51);
    expect(sinkB.stepped.slice(0, 50).map((m) => m.index)).toEqual(msgs.map((m) => m.index));
    expect(sinkB.stepped[7]!.entries[0]!.data).toEqual(Uint8Array.from([7]));
    expect(sinkB.stepped[50]!.snapshot!.metadata).toEqual({ index: 99, term: 3, confState: { voters: [1, 2] } });
    expect(sinkB.stepped[50]!.snapshot!.data.length).toBe(100_000);
    await eventually('snapshot reported', () => sinkA.snapshots.length === 1);
    expect(sinkA.snapshots).toEqual([[2, SnapshotStatus.Finish]]);
    await eventually('reply at a', () => sinkA.stepped.length === 1);
    expect(sinkA.unreachable).toEqual([]);
  });

  it('reports a peer that is not listening, and one it does not know, as unreachable', async () => {
    const sink = new Recorder();
    const t = new PeerTransport(sink, nullLogger);
    open.push(() => t.close());
    // A port from a server that was closed again: nothing listens there.
    const probe = await listen(new PeerTransport(new Recorder(), nullLogger));
    probe.server.forceShutdown();
    t.setPeer(3, probe.url);
    t.send([emptyMessage(MessageType.Heartbeat, 3, 1, 1), emptyMessage(MessageType.Heartbeat, 9, 1, 1)]);
    await eventually('both unreachable', () => sink.unreachable.includes(3) && sink.unreachable.includes(9));
  });
});
