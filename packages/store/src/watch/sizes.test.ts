import { etcdserverpb, mvccpb } from '@mk/proto';
import { EventType, type KeyValue, type MvccEvent } from '../mvcc';
import { RESPONSE_OVERHEAD, kvToPb, toWire, varintSize } from './sizes';

const bytes = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

function kv(over: Partial<KeyValue>): KeyValue {
  return { key: bytes(3), createRevision: 2, modRevision: 5, version: 3, value: bytes(10), lease: 0, ...over };
}

describe('watch sizes', () => {
  it('varintSize matches protobuf varints', () => {
    for (const n of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 35, 2 ** 53 - 1]) {
      const w = etcdserverpb.ResponseHeader.encode({ revision: n }).finish();
      expect(varintSize(n)).toBe(n === 0 ? 1 : w.length - 1);
    }
    expect(varintSize(-1)).toBe(10);
  });

  it('computes the encoded size of every event shape exactly', () => {
    const cases: MvccEvent[] = [
      { type: EventType.PUT, kv: kv({}) },
      { type: EventType.PUT, kv: kv({ lease: 2 ** 40, value: bytes(300), key: bytes(200) }), prevKv: kv({ value: bytes(70000) }) },
      { type: EventType.PUT, kv: kv({ value: new Uint8Array(0) }) },
      { type: EventType.DELETE, kv: kv({ createRevision: 0, version: 0, value: new Uint8Array(0), modRevision: 2 ** 50 }), prevKv: kv({}) },
    ];
    for (const ev of cases) {
      for (const withPrev of [false, true]) {
        const wire = toWire(ev, withPrev);
        const encoded = etcdserverpb.WatchResponse.encode({ events: [wire.pb] }).finish();
        expect(wire.size).toBe(encoded.length);
        const back = mvccpb.Event.decode(mvccpb.Event.encode(wire.pb).finish());
        expect(back.type).toBe(ev.type);
        expect(Number(back.kv?.modRevision)).toBe(ev.kv.modRevision);
        expect(back.prevKv != null).toBe(withPrev && ev.prevKv !== undefined);
      }
      expect(kvToPb(ev.kv).size).toBe(mvccpb.KeyValue.encode(kvToPb(ev.kv).pb).finish().length);
    }
  });

  it('RESPONSE_OVERHEAD bounds a response without events or cancel reason', () => {
    const big = 2 ** 53 - 1;
    const res = etcdserverpb.WatchResponse.encode({
      header: { clusterId: big, memberId: big, revision: big, raftTerm: big },
      watchId: -1,
      created: true,
      canceled: true,
      compactRevision: big,
      fragment: true,
    }).finish();
    expect(res.length).toBeLessThanOrEqual(RESPONSE_OVERHEAD);
  });
});
