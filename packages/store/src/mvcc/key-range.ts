/** Key range helpers with etcd's conventions (clientv3's GetPrefixRangeEnd, WithFromKey). */

/** The range end that makes [prefix, end) cover every key starting with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if ((prefix[i] as number) < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = (end[i] as number) + 1;
      return end;
    }
  }
  // Every byte is 0xff (or the prefix is empty): the range runs to the end of the keyspace.
  return new Uint8Array([0]);
}

/** As a range end: every key >= the start key. */
export const FROM_KEY = new Uint8Array([0]);
