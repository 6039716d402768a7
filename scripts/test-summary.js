#!/usr/bin/env node
// Reads jest's --json reports and prints the one plain line CI reads: "N passed, N failed".
// A test file that failed to run at all (syntax error, crash) counts as one failure, so a broken
// suite can never look green. Exits 1 when the report is missing or anything failed.
'use strict';
const fs = require('node:fs');

// One or more reports (the test command runs jest in rounds); their counts are added up.
const files = process.argv.slice(2);
const reports = [];
for (const file of files) {
  try {
    reports.push(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    console.log(`jest report ${file} is missing or unreadable (${e.message})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
if (reports.length === 0) {
  console.log('no jest report was written');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const sum = (k) => reports.reduce((n, r) => n + r[k], 0);
const report = {
  testResults: reports.flatMap((r) => r.testResults),
  numPassedTests: sum('numPassedTests'),
  numFailedTests: sum('numFailedTests'),
  numPendingTests: sum('numPendingTests'),
  numTodoTests: sum('numTodoTests'),
};
const brokenFiles = report.testResults.filter((r) => r.status === 'failed' && r.assertionResults.every((a) => a.status !== 'failed')).length;
const passed = report.numPassedTests;
const failed = report.numFailedTests + brokenFiles;
const skipped = report.numPendingTests + report.numTodoTests;
if (brokenFiles > 0) console.log(`${brokenFiles} test file(s) failed to run`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
