#!/usr/bin/env node
// Measures the linearizability checker on simulated histories of one key (a correct register
// under concurrent clients, optionally with unknown outcomes), then on the same histories made
// non-linearizable: a stale read (caught without search), and the classic inverted reads
// injected in the middle and at the end (refuted by search, which must rule out every order of
// everything before). Prints one JSON object per case. Needs a build (`npm run build`). Not a
// test: nothing here is asserted.
//
//   node packages/history/scripts/bench-history.js [ops=4000] [seeds=3] [processes=10,20,50]
'use strict';
const { SeededRng } = require('@mk/shared');
const { simulateRegisterHistory, checkLinearizability, corruptRead, injectInvertedReads } = require('@mk/history');

const ops = Number(process.argv[2] ?? 4000);
const seeds = Number(process.argv[3] ?? 3);
const processCounts = (process.argv[4] ?? '10,20,50').split(',').map(Number);

function measure(history, culpritId) {
  const t0 = performance.now();
  const r = checkLinearizability(history);
  const ms = performance.now() - t0;
  const t1 = performance.now();
  checkLinearizability(history, { explain: false });
  const verdictMs = performance.now() - t1;
  const out = { verdict: r.ok, ms: Number(ms.toFixed(1)), states: r.statesExplored };
  if (culpritId !== undefined) {
    out.verdictOnlyMs = Number(verdictMs.toFixed(1));
    out.culpritFound = r.ok === false && r.culprit.id === culpritId;
  }
  return out;
}

for (const processes of processCounts) {
  for (const unknownRate of [0, 0.05]) {
    for (let seed = 1; seed <= seeds; seed++) {
      const run = simulateRegisterHistory({ seed, processes, ops, keys: 1, unknownRate });
      const times = run.history.map((e) => e.invokeMs);
      const stale = corruptRead(run.history, 'stale', new SeededRng(seed));
      const middle = injectInvertedReads(run.history, 'k0', times[Math.floor(times.length / 2)]);
      const end = injectInvertedReads(run.history, 'k0', Math.max(...run.history.map((e) => e.completeMs ?? e.invokeMs)) + 1);
      console.log(
        JSON.stringify({
          opsPerKey: ops,
          processes,
          unknownRate,
          seed,
          linearizable: measure(run.history),
          staleRead: stale && measure(stale.history, stale.event.id),
          invertedReadsInTheMiddle: measure(middle.history, middle.secondRead.id),
          invertedReadsAtTheEnd: measure(end.history, end.secondRead.id),
        }),
      );
    }
  }
}
