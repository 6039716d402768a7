import { Message, MessageType, emptyMessage } from '@mk/raft';
import { SeededRng } from '@mk/shared';
import { Delivery, NO_FAULTS, NetworkFaults, SimNetwork } from './network';

function msg(from: number, to: number, index = 0): Message {
  const m = emptyMessage(MessageType.App, to, from, 1);
  m.index = index;
  return m;
}

function net(faults: Partial<NetworkFaults>, seed = 1): SimNetwork {
  return new SimNetwork(new SeededRng(seed), { ...NO_FAULTS, ...faults });
}

/** Delivers everything that becomes deliverable within `ticks` network ticks. */
function drain(n: SimNetwork, ticks = 200): Delivery[] {
  const out: Delivery[] = [];
  for (let t = 0; t < ticks; t++) {
    n.advance();
    for (let d = n.deliverNext(); d; d = n.deliverNext()) out.push(d);
  }
  return out;
}

describe('SimNetwork', () => {
  test('without faults every message arrives once, in send order, after its latency', () => {
    const n = net({ minLatency: 2, maxLatency: 2 });
    for (let i = 0; i < 5; i++) n.send(msg(1, 2, i));
    n.advance();
    expect(n.deliverNext()).toBeUndefined(); // latency 2: not yet
    const got = drain(n);
    expect(got.map((d) => d.msg.index)).toEqual([0, 1, 2, 3, 4]);
    expect(got.every((d) => !d.partitioned)).toBe(true);
    expect(n.stats).toMatchObject({ sent: 5, delivered: 5, dropped: 0, duplicated: 0, reordered: 0 });
  });

  test('drop: with dropRate 1 nothing is queued and send reports the loss', () => {
    const n = net({ dropRate: 1 });
    expect(n.send(msg(1, 2))).toBe(false);
    expect(n.inFlightCount).toBe(0);
    expect(n.stats.dropped).toBe(1);
  });

  test('drop: a partial rate loses some messages and delivers the rest', () => {
    const n = net({ dropRate: 0.3 });
    for (let i = 0; i < 1000; i++) n.send(msg(1, 2, i));
    const delivered = drain(n).length;
    expect(n.stats.dropped + delivered).toBe(1000);
    expect(n.stats.dropped).toBeGreaterThan(200);
    expect(n.stats.dropped).toBeLessThan(400);
  });

  test('duplicate: with duplicateRate 1 every message arrives twice', () => {
    const n = net({ duplicateRate: 1 });
    n.send(msg(1, 2, 7));
    const got = drain(n);
    expect(got.map((d) => d.msg.index)).toEqual([7, 7]);
    expect(n.stats.duplicated).toBe(1);
  });

  test('delay: delayed messages arrive later than their latency, and get overtaken', () => {
    const n = net({ delayRate: 1, maxExtraDelay: 50 });
    n.send(msg(1, 2, 0));
    n.faults = { ...n.faults, delayRate: 0 };
    n.send(msg(1, 2, 1));
    n.advance();
    expect(n.deliverNext()?.msg.index).toBe(1);
    expect(n.deliverNext()).toBeUndefined();
    expect(drain(n).map((d) => d.msg.index)).toEqual([0]);
    expect(n.stats.delayed).toBe(1);
  });

  test('reorder: with reorderRate 1 messages come out of send order, and it is counted', () => {
    const n = net({ reorderRate: 1 });
    for (let i = 0; i < 50; i++) n.send(msg(1, 2, i));
    n.advance(5);
    const order: number[] = [];
    for (let d = n.deliverNext(); d; d = n.deliverNext()) order.push(d.msg.index);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order).not.toEqual([...order].sort((a, b) => a - b));
    expect(n.stats.reordered).toBeGreaterThan(0);
  });

  test('partition: messages across groups are lost, including ones already in flight; healing restores delivery', () => {
    const n = net({});
    n.send(msg(1, 3, 0)); // in flight before the partition
    n.partition(new Map([[3, 1]])); // {1, 2} | {3}
    n.send(msg(1, 2, 1));
    n.send(msg(3, 1, 2));
    const got = drain(n, 5);
    expect(got.map((d) => [d.msg.index, d.partitioned])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(n.stats.partitionDropped).toBe(2);
    n.heal();
    n.send(msg(3, 1, 3));
    expect(drain(n, 5).map((d) => d.partitioned)).toEqual([false]);
  });

  test('seeded replay: the same seed and sends give the same drops, copies, delays and order', () => {
    const faults: Partial<NetworkFaults> = { dropRate: 0.1, duplicateRate: 0.1, delayRate: 0.2, maxExtraDelay: 9, reorderRate: 0.5, maxLatency: 3 };
    const run = (seed: number) => {
      const n = net(faults, seed);
      const out: string[] = [];
      for (let t = 0; t < 100; t++) {
        n.send(msg(1 + (t % 3), 1 + ((t + 1) % 3), t));
        n.advance();
        const d = n.deliverNext();
        if (d) out.push(`${t}:${d.msg.index}`);
      }
      return { out, stats: { ...n.stats } };
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42).out).not.toEqual(run(43).out);
  });

  test('takeAll empties the wire regardless of delivery time', () => {
    const n = net({ minLatency: 5, maxLatency: 5 });
    n.send(msg(1, 2, 0));
    n.send(msg(2, 1, 1));
    expect(n.deliverableCount()).toBe(0);
    expect(n.takeAll().map((d) => d.msg.index)).toEqual([0, 1]);
    expect(n.inFlightCount).toBe(0);
  });
});
