#!/usr/bin/env node
// mk-manager: placeholder until the daemon lands.
process.stderr.write("mk-manager: not implemented yet\n");
process.exit(1);
