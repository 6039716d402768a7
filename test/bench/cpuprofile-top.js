#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. scripts/bench-store --mk-cpu-prof DIR):
// the functions with the most self time, and the files with the most total self time.
//   node test/bench/cpuprofile-top.js FILE.cpuprofile [N]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

process.stdout.on('error', () => process.exit(0)); // e.g. piped into head
const [file, nArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node test/bench/cpuprofile-top.js FILE.cpuprofile [N]\n');
  process.exit(2);
}
const n = Number(nArg ?? 30);
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const self = new Map(); // node id -> microseconds
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fnTime = new Map();
const fileTime = new Map();
const root = path.resolve(__dirname, '../..');
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  const url = (cf.url || '').replace('file://', '').replace(root + '/', '');
  const fn = `${cf.functionName || '(anonymous)'}  ${url ? `${url}:${cf.lineNumber + 1}` : ''}`;
  fnTime.set(fn, (fnTime.get(fn) ?? 0) + us);
  const f = url || cf.functionName || '(native)';
  fileTime.set(f, (fileTime.get(f) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
const print = (title, m) => {
  process.stdout.write(`${title}\n`);
  for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${pct(us)}  ${k}\n`);
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print('\nself time by function:', fnTime);
print('\nself time by file:', fileTime);
