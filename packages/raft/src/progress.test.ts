import { Inflights, Progress } from './progress';
import { ReadOnly, ctxKey } from './readonly';
import { applyConfChange, decodeConfChange, encodeConfChange } from './confchange';
import { ConfChangeType, ProgressState } from './types';

describe('Inflights (flow control window)', () => {
  it('fills to its size, frees acknowledged appends in order, and refuses overflow', () => {
    const w = new Inflights(3);
    w.add(5);
    w.add(8);
    w.add(12);
    expect(w.full()).toBe(true);
    expect(() => w.add(13)).toThrow('full');
    w.freeLE(8);
    expect(w.count()).toBe(1);
    w.freeFirstOne();
    expect(w.count()).toBe(0);
  });
});

describe('Progress', () => {
  it('probe: one append in flight until answered; a success switches to replicate', () => {
    const pr = new Progress(0, 5, 4);
    expect(pr.isPaused()).toBe(false);
    pr.probeSent = true;
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeUpdate(4)).toBe(true);
    expect(pr.isPaused()).toBe(false);
    pr.becomeReplicate();
    expect([pr.state, pr.next]).toEqual([ProgressState.Replicate, 5]);
  });

  it('maybeDecrTo ignores stale rejections and moves next to the hint', () => {
    const pr = new Progress(0, 11, 4); // probing index 10
    expect(pr.maybeDecrTo(7, 3)).toBe(false); // answers an older probe
    expect(pr.maybeDecrTo(10, 3)).toBe(true);
    expect(pr.next).toBe(4);
    const rep = new Progress(6, 20, 4);
    rep.becomeReplicate();
    expect(rep.maybeDecrTo(5, 0)).toBe(false); // below match: stale
    expect(rep.maybeDecrTo(9, 0)).toBe(true);
    expect(rep.next).toBe(7);
  });

  it('snapshot state pauses appends; becoming probe resumes after the snapshot', () => {
    const pr = new Progress(2, 3, 4);
    pr.becomeSnapshot(40);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect([pr.state, pr.next]).toEqual([ProgressState.Probe, 41]);
  });

  it('replicate pauses when the in-flight window is full', () => {
    const pr = new Progress(0, 1, 2);
    pr.becomeReplicate();
    pr.inflights.add(1);
    pr.inflights.add(2);
    expect(pr.isPaused()).toBe(true);
  });
});

describe('ReadOnly', () => {
  it('confirms a request and every earlier one together', () => {
    const ro = new ReadOnly();
    const a = Uint8Array.from([1]);
    const b = Uint8Array.from([2]);
    ro.add(10, 1, a);
    ro.add(12, 2, b);
    expect(ctxKey(ro.lastPendingCtx()!)).toBe('02');
    expect(ro.recvAck(3, b)?.size).toBe(1);
    expect(ro.advance(b).map((r) => [r.index, r.from])).toEqual([
      [10, 1],
      [12, 2],
    ]);
    expect(ro.lastPendingCtx()).toBeUndefined();
    expect(ro.recvAck(3, a)).toBeUndefined();
  });
});

describe('ConfChange codec', () => {
  it('round-trips through raftpb.ConfChange', () => {
    const cc = { type: ConfChangeType.RemoveNode, nodeId: 7, context: Uint8Array.from([1, 2]) };
    expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    expect(decodeConfChange(encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 3 }))).toEqual({ type: ConfChangeType.AddNode, nodeId: 3 });
  });

  it('refuses node id 0 and unknown types with a message', () => {
    expect(() => decodeConfChange(encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 0 }))).toThrow('node id must be a positive integer');
    expect(() => decodeConfChange(encodeConfChange({ type: 2 as ConfChangeType, nodeId: 1 }))).toThrow('unsupported conf change type 2');
  });

  it('applyConfChange adds and removes one voter, keeping the list sorted', () => {
    expect(applyConfChange({ voters: [1, 3] }, { type: ConfChangeType.AddNode, nodeId: 2 })).toEqual({ voters: [1, 2, 3] });
    expect(applyConfChange({ voters: [1, 2, 3] }, { type: ConfChangeType.RemoveNode, nodeId: 1 })).toEqual({ voters: [2, 3] });
  });
});
