import { Entry, EntryType, HardState } from '@mk/raft';
import { chainNext } from './app-state';
import { Invariant, InvariantViolation, SafetyChecker } from './checker';
import { ArrayLog } from './log-view';

// Fabricated node histories: each test drives the checker the way SimNode does (persist, lead,
// apply) and shows that one broken invariant is detected — the checker can fail — while the
// legal history next to it passes.

const GENESIS = { index: 1, term: 1, chain: 0 };

function ent(index: number, term: number, data = `e${index}t${term}`, type = EntryType.Normal): Entry {
  return { index, term, type, data: new TextEncoder().encode(data) };
}

function hs(term: number, vote: number, commit: number): HardState {
  return { term, vote, commit };
}

/** A founder: genesis snapshot at (1, 1), app state at index 1. */
class FakeNode {
  readonly log = new ArrayLog([], 1, 1);
  chain = GENESIS.chain;
  constructor(
    readonly id: number,
    readonly checker: SafetyChecker,
  ) {
    checker.nodeStarted(id, hs(1, 0, 1), this.log, { index: 1, chain: this.chain });
  }
  persist(entries: Entry[], hardState?: HardState): void {
    this.log.append(entries);
    this.checker.persisted(this.id, { entries, hardState }, this.log);
  }
  apply(e: Entry): void {
    this.chain = chainNext(this.chain, e);
    this.checker.applied(this.id, e, this.chain);
  }
  lead(term: number): void {
    this.checker.leaderObserved(this.id, term, this.log);
  }
}

function cluster(n: number): { checker: SafetyChecker; nodes: FakeNode[] } {
  const checker = new SafetyChecker(GENESIS);
  return { checker, nodes: Array.from({ length: n }, (_, i) => new FakeNode(i + 1, checker)) };
}

function violation(invariant: Invariant, f: () => void): InvariantViolation {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvariantViolation);
    expect((e as InvariantViolation).invariant).toBe(invariant);
    return e as InvariantViolation;
  }
  throw new Error(`expected a ${invariant} violation, got none`);
}

describe('SafetyChecker', () => {
  test('a legal history passes: election, replication, commit, apply, a second leader in a later term', () => {
    const { checker, nodes } = cluster(3);
    const [a, b, c] = nodes as [FakeNode, FakeNode, FakeNode];
    a.persist([], hs(2, 1, 1));
    b.persist([], hs(2, 1, 1));
    a.lead(2);
    a.lead(2); // seen again (e.g. from its AppendEntries): same leader, fine
    const ents = [ent(2, 2), ent(3, 2)];
    a.persist(ents);
    b.persist(ents);
    a.persist([], hs(2, 1, 3));
    for (const e of ents) a.apply(e);
    b.persist([], hs(2, 1, 3));
    for (const e of ents) b.apply(e);
    c.persist([ent(2, 2)], hs(3, 3, 1));
    c.persist([ent(3, 2)]);
    c.lead(3);
    expect(checker.elections).toBe(2);
    expect(checker.committedMax).toBe(3);
    checker.finalCheck(nodes.map((n) => ({ id: n.id, log: n.log, commit: 1 })));
  });

  test('election safety: two leaders in one term are detected', () => {
    const { nodes } = cluster(3);
    nodes[0]!.lead(2);
    const v = violation('election safety', () => nodes[1]!.lead(2));
    expect(v.message).toContain('term 2');
  });

  test('vote safety: a node that changes its vote within a term is detected', () => {
    const { nodes } = cluster(3);
    nodes[0]!.persist([], hs(2, 2, 1));
    violation('vote safety', () => nodes[0]!.persist([], hs(2, 3, 1)));
  });

  test('vote safety: a persisted term going back is detected', () => {
    const { nodes } = cluster(3);
    nodes[0]!.persist([], hs(5, 0, 1));
    violation('vote safety', () => nodes[0]!.persist([], hs(4, 0, 1)));
  });

  test('log matching: different data at the same (index, term) is detected', () => {
    const { nodes } = cluster(3);
    nodes[0]!.persist([ent(2, 2, 'x')]);
    const v = violation('log matching', () => nodes[1]!.persist([ent(2, 2, 'y')]));
    expect(v.message).toContain('index 2, term 2');
  });

  test('log matching: the same (index, term) after different terms is detected', () => {
    const { nodes } = cluster(3);
    nodes[0]!.persist([ent(2, 2), ent(3, 3)]);
    nodes[1]!.persist([ent(2, 1)]);
    violation('log matching', () => nodes[1]!.persist([ent(3, 3)]));
  });

  test('log matching: the final pairwise comparison finds logs that agree on a term but differ before it', () => {
    const checker = new SafetyChecker(GENESIS);
    const x = new ArrayLog([ent(2, 1, 'a'), ent(3, 2)], 1, 1);
    const y = new ArrayLog([ent(2, 1, 'b'), ent(3, 2)], 1, 1);
    violation('log matching', () =>
      checker.finalCheck([
        { id: 1, log: x, commit: 1 },
        { id: 2, log: y, commit: 1 },
      ]),
    );
  });

  test('leader completeness: a leader missing an entry committed in an earlier term is detected', () => {
    const { nodes } = cluster(3);
    const [a, b, c] = nodes as [FakeNode, FakeNode, FakeNode];
    a.lead(2);
    a.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 1));
    b.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 3)); // (3, 2) is committed, seen in term 2
    c.persist([ent(2, 2)], hs(3, 3, 1));
    const v = violation('leader completeness', () => c.lead(3));
    expect(v.message).toContain('index 3');
  });

  test('leader completeness: a leader holding a different term at a committed index is detected', () => {
    const { nodes } = cluster(3);
    const [a, b, c] = nodes as [FakeNode, FakeNode, FakeNode];
    a.persist([ent(2, 2)], hs(2, 1, 1));
    b.persist([ent(2, 2)], hs(2, 1, 2));
    c.persist([ent(2, 3)], hs(4, 3, 1));
    violation('leader completeness', () => c.lead(4));
  });

  test('leader completeness: entries committed in the same or a later term are not required', () => {
    const { nodes } = cluster(3);
    const [a, b] = nodes as [FakeNode, FakeNode, FakeNode];
    a.persist([ent(2, 3)], hs(3, 1, 2)); // committed, first seen in term 3
    b.persist([], hs(3, 2, 1));
    expect(() => b.lead(3)).not.toThrow(); // a leader of term 3 need not hold what term 3 committed
  });

  test('state machine safety: a different entry applied at the same index is detected', () => {
    const { nodes } = cluster(3);
    const [a, b] = nodes as [FakeNode, FakeNode, FakeNode];
    a.persist([ent(2, 2, 'x')], hs(2, 1, 2));
    a.apply(ent(2, 2, 'x'));
    b.persist([], hs(2, 1, 1));
    // b never persisted index 2, so this is a forged apply: only the chain check can catch it.
    b.checker.persisted(b.id, { entries: [], hardState: hs(2, 1, 2) }, new ArrayLog([ent(2, 2, 'x')], 1, 1));
    const v = violation('state machine safety', () => b.apply(ent(2, 2, 'y')));
    expect(v.message).toContain('index 2');
  });

  test('state machine safety: installing a snapshot whose app state differs from what was applied is detected', () => {
    const { checker, nodes } = cluster(3);
    const a = nodes[0]!;
    a.persist([ent(2, 2)], hs(2, 1, 2));
    a.apply(ent(2, 2));
    checker.nodeStarted(9, hs(0, 0, 0), new ArrayLog(), { index: 0, chain: 0 });
    checker.persisted(9, { snapshot: { index: 2, term: 2 }, entries: [], hardState: hs(2, 0, 2) }, new ArrayLog([], 2, 2));
    violation('state machine safety', () => checker.snapshotApplied(9, { index: 2, term: 2 }, { index: 2, chain: a.chain + 1 }));
    expect(() => checker.snapshotApplied(9, { index: 2, term: 2 }, { index: 2, chain: a.chain })).not.toThrow();
  });

  test('state machine safety: a restart from a snapshot of a state nobody applied is detected', () => {
    const { checker } = cluster(3);
    violation('state machine safety', () => checker.nodeStarted(7, hs(2, 0, 5), new ArrayLog([], 5, 2), { index: 5, chain: 42 }));
  });

  test('committed entry lost: a node overwriting an entry it knows is committed is detected', () => {
    const { nodes } = cluster(3);
    const [a, b] = nodes as [FakeNode, FakeNode, FakeNode];
    a.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 3));
    b.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 3));
    violation('committed entry lost', () => b.persist([ent(3, 4)]));
  });

  test('committed entry lost: an uncommitted stale entry may be replaced, a committed one may not', () => {
    const { nodes } = cluster(3);
    const [a, b] = nodes as [FakeNode, FakeNode, FakeNode];
    a.persist([ent(2, 3)], hs(3, 1, 2));
    // b holds a stale (2, 2) from an old leader and has not learned the commit: legal.
    expect(() => b.persist([ent(2, 2)])).not.toThrow();
    // ... but it may not claim index 2 is committed while holding term 2 there.
    violation('committed entry lost', () => b.persist([], hs(3, 0, 2)));
  });

  test('committed entry lost: a live member that has not applied a committed index at the end is detected', () => {
    const { checker, nodes } = cluster(3);
    nodes[0]!.persist([ent(2, 2)], hs(2, 1, 2));
    violation('committed entry lost', () => checker.checkAppliedAll(2));
  });

  test('commit monotonicity: a decreasing or out-of-log commit is detected', () => {
    const { nodes } = cluster(3);
    const a = nodes[0]!;
    a.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 3));
    violation('commit monotonicity', () => a.persist([], hs(2, 1, 2)));
    const b = nodes[1]!;
    violation('commit monotonicity', () => b.persist([], hs(2, 1, 4)));
  });

  test('apply order: skipping an index, or applying beyond the persisted commit, is detected', () => {
    const { nodes } = cluster(3);
    const a = nodes[0]!;
    a.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 2));
    violation('apply order', () => a.apply(ent(3, 2)));
    a.apply(ent(2, 2));
    violation('apply order', () => a.apply(ent(3, 2)));
  });

  test('read linearizability: a read point below a commit that preceded the request is detected', () => {
    const { checker, nodes } = cluster(3);
    nodes[0]!.persist([ent(2, 2), ent(3, 2)], hs(2, 1, 3));
    checker.readRequested(1);
    expect(() => checker.readIndexReturned(1, 1, 3)).not.toThrow();
    violation('read linearizability', () => checker.readIndexReturned(2, 1, 2));
  });
});
