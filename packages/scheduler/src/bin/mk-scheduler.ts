#!/usr/bin/env node
// mk-scheduler: placeholder until the daemon lands.
process.stderr.write("mk-scheduler: not implemented yet\n");
process.exit(1);
