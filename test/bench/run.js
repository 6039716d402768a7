#!/usr/bin/env node
// Runs a benchmark (or scripts/chaos: test/chaos/cluster-main.ts) straight from its TypeScript
// sources, with no build output of its own: a require hook transpiles each .ts file
// (TypeScript's transpileModule, as jest's ts-jest does here) when Node loads it. Files then run
// from where they are, so the e2e helpers they import (test/e2e/support) still find the repository
// root from their own location. The packages (@mk/proto, mk-store) are used as `npm run build`
// left them in packages/*/dist. Type checking is separate: `npx tsc -p test/bench`.
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  isolatedModules: true,
  inlineSourceMap: true,
  inlineSources: true,
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
process.setSourceMapsEnabled(true);

// `run.js apiserver …` runs scripts/bench-apiserver; anything else is scripts/bench-store.
if (process.argv[2] === 'apiserver') {
  process.argv.splice(2, 1);
  require('./apiserver-main.ts');
} else if (process.argv[2] === 'pods') {
  process.argv.splice(2, 1);
  require('./pods-main.ts');
} else if (process.argv[2] === 'chaos') {
  // scripts/chaos: the cluster chaos scenarios (test/chaos), run with the same hook.
  process.argv.splice(2, 1);
  require('../chaos/cluster-main.ts');
} else if (process.argv[2] === 'scheduler') {
  process.argv.splice(2, 1);
  require('./scheduler-main.ts');
} else {
  require('./main.ts');
}
