import {
  ByteReader,
  ByteWriter,
  compareBytes,
  crc32c,
  decodeLease,
  decodeRecord,
  decodeRevisionKey,
  encodeLease,
  encodeRecord,
  keyString,
  revisionKey,
} from './codec';
import { MvccCorruptDataError } from './errors';
import { b } from './test-helpers';

describe('codec', () => {
  it('crc32c matches the Castagnoli check value', () => {
    expect(crc32c(b('123456789'))).toBe(0xe3069283);
    expect(crc32c(b('6789'), crc32c(b('12345')))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it.each([0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])('uvarint round-trips %d', (v) => {
    const w = new ByteWriter(1);
    w.uvarint(v);
    w.u8(0xaa);
    const r = new ByteReader(w.finish(), 'test');
    expect(r.uvarint()).toBe(v);
    expect(r.u8()).toBe(0xaa);
  });

  it('revision keys sort bytewise in revision order', () => {
    const revs: [number, number][] = [
      [2, 0],
      [2, 1],
      [255, 0],
      [256, 0],
      [2 ** 32, 0],
      [2 ** 32 + 1, 3],
      [Number.MAX_SAFE_INTEGER, 0],
    ];
    const keys = revs.map(([m, s]) => revisionKey(m, s));
    for (let i = 1; i < keys.length; i++) expect(compareBytes(keys[i - 1] as Uint8Array, keys[i] as Uint8Array)).toBe(-1);
    expect(keys.map(decodeRevisionKey)).toEqual(revs.map(([main, sub]) => ({ main, sub })));
  });

  it('records and leases round-trip', () => {
    expect(decodeRecord(encodeRecord(b('key'), false, 5, 3, 77, b('value')))).toEqual({
      key: b('key'),
      tombstone: false,
      createRevision: 5,
      version: 3,
      lease: 77,
      value: b('value'),
    });
    expect(decodeRecord(encodeRecord(b('key'), true, 0, 0, 0, new Uint8Array(0))).tombstone).toBe(true);
    expect(decodeLease(encodeLease(60, undefined))).toEqual({ ttl: 60, remainingTtl: undefined });
    expect(decodeLease(encodeLease(60, 12))).toEqual({ ttl: 60, remainingTtl: 12 });
    expect(() => decodeRecord(new Uint8Array([0, 0]))).toThrow(MvccCorruptDataError);
  });

  it('keyString preserves bytewise order, for short and long keys', () => {
    const keys = [b('\x00'), b('a'), b('a\x00'), b('a\xff'), b('b'), b('\xff'), new Uint8Array(5000).fill(0x61)];
    const sorted = [...keys].sort(compareBytes);
    const byString = [...keys].sort((x, y) => (keyString(x) < keyString(y) ? -1 : keyString(x) > keyString(y) ? 1 : 0));
    expect(byString).toEqual(sorted);
    expect(keyString(new Uint8Array(5000).fill(0xfe)).length).toBe(5000);
    expect(keyString(new Uint8Array([0xfe])).charCodeAt(0)).toBe(0xfe);
  });
});
