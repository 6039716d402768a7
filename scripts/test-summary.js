#!/usr/bin/env node
// Reads jest's --json report and prints the one plain line CI reads: "N passed, N failed".
// A test file that failed to run at all (syntax error, crash) counts as one failure, so a broken
// suite can never look green. Exits 1 when the report is missing or anything failed.
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
let report;
try {
  report = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`jest report ${file} is missing or unreadable (${e.message})`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed')).length;
const passed = report.numPassedTests;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + report.numTodoTests;
if (brokenFiles > 0) console.log(`${brokenFiles} test file(s) failed to run`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
