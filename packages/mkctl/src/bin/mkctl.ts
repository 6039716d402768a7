#!/usr/bin/env node
// mkctl: placeholder until the commands land.
process.stderr.write('mkctl: not implemented yet\n');
process.exit(1);
