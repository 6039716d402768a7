import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { raftpb } from './index';

const root = path.resolve(__dirname, '../../..');
const committed = path.join(__dirname, 'generated');

describe('generated code', () => {
  it('is, file for file, what scripts/gen-proto.js makes from proto/ today (run `npm run gen:proto` when this fails)', () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'mk-proto-'));
    try {
      execFileSync(process.execPath, [path.join(root, 'scripts/gen-proto.js'), '--out', fresh], { stdio: 'pipe' });
      // Messages (protos) and gRPC service descriptors (services), each as JS + typings.
      expect(readdirSync(fresh).sort()).toEqual(['protos.d.ts', 'protos.js', 'services.d.ts', 'services.js']);
      expect(readdirSync(committed).sort()).toEqual(readdirSync(fresh).sort());
      for (const f of readdirSync(committed)) {
        const want = readFileSync(path.join(fresh, f), 'utf8');
        const have = readFileSync(path.join(committed, f), 'utf8');
        if (have !== want) throw new Error(`packages/proto/src/generated/${f} is stale: run \`npm run gen:proto\``);
      }
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  }, 60_000);

  it('round-trips a raft message with entries and a snapshot, using etcd field numbers', () => {
    const msg = {
      type: raftpb.MessageType.MsgApp,
      to: 2,
      from: 1,
      term: 7,
      logTerm: 6,
      index: 41,
      commit: 40,
      entries: [{ term: 7, index: 42, type: raftpb.EntryType.EntryNormal, data: Uint8Array.from([1, 2, 3]) }],
      snapshot: { data: Uint8Array.from([9]), metadata: { index: 30, term: 5, confState: { voters: [1, 2, 3] } } },
      reject: false,
      rejectHint: 0,
      context: new Uint8Array(0),
    };
    const bytes = raftpb.Message.encode(msg).finish();
    // Field 1 (type, varint) = 3, then field 2 (to, varint) = 2: etcd's tag layout.
    expect(Array.from(bytes.slice(0, 4))).toEqual([0x08, 3, 0x10, 2]);
    const back = raftpb.Message.decode(bytes);
    expect(back.type).toBe(raftpb.MessageType.MsgApp);
    expect(back.term).toBe(7);
    expect(back.entries[0]?.index).toBe(42);
    expect(Array.from(back.entries[0]?.data ?? [])).toEqual([1, 2, 3]);
    expect(back.snapshot?.metadata?.confState?.voters).toEqual([1, 2, 3]);
  });

  it('keeps uint64 values up to 2^53-1 exact as numbers', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const back = raftpb.HardState.decode(raftpb.HardState.encode({ term: big, vote: 3, commit: big - 1 }).finish());
    expect(back.term).toBe(big);
    expect(back.commit).toBe(big - 1);
  });

  it('rejects truncated input with an error instead of garbage', () => {
    const bytes = raftpb.Message.encode({ type: raftpb.MessageType.MsgApp, to: 2, context: Uint8Array.from([1, 2, 3, 4]) }).finish();
    expect(() => raftpb.Message.decode(bytes.slice(0, bytes.length - 2))).toThrow();
  });
});
