#!/usr/bin/env node
// `npm run build`: builds every package, in this order:
//  1. copies the generated protobufjs code (plain JS + typings, not compiled by tsc) into
//     packages/proto/dist, so packages that depend on @mk/proto compile against its real types;
//  2. runs `tsc -b` (project references: every package, strict), then type-checks the end-to-end
//     and chaos suites under test/ (jest only transpiles them);
//  3. marks every package's `bin` targets executable, so `npx <binary>` works from the repo root
//     even when npm linked them before they were built (as on a fresh `npm ci`).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

fs.cpSync(path.join(root, 'packages/proto/src/generated'), path.join(root, 'packages/proto/dist/generated'), { recursive: true });

const tsc = require.resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-b'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [tsc, '-p', 'test/tsconfig.json'], { cwd: root, stdio: 'inherit' });
} catch {
  process.exit(1);
}

for (const ws of rootPkg.workspaces) {
  const dir = path.join(root, ws);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const [name, rel] of Object.entries(pkg.bin ?? {})) {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) throw new Error(`${pkg.name}: bin "${name}" points to ${rel}, which the build did not produce`);
    fs.chmodSync(file, 0o755);
  }
}
