#!/usr/bin/env node
// Runs after `tsc -b` (npm run build):
//  - copies the generated protobufjs code (plain JS, not compiled by tsc) into packages/proto/dist;
//  - marks every package's `bin` targets executable, so `npx <binary>` works from the repo root even
//    when npm linked them before they were built (as on a fresh `npm ci`).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

fs.cpSync(path.join(root, 'packages/proto/src/generated'), path.join(root, 'packages/proto/dist/generated'), { recursive: true });

for (const ws of rootPkg.workspaces) {
  const dir = path.join(root, ws);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const [name, rel] of Object.entries(pkg.bin ?? {})) {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) throw new Error(`${pkg.name}: bin "${name}" points to ${rel}, which the build did not produce`);
    fs.chmodSync(file, 0o755);
  }
}
