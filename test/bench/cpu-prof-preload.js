// Preloaded into each mk-store member by `scripts/bench-store --mk-cpu-prof DIR` (through
// NODE_OPTIONS=--require, which refuses --cpu-prof itself): profiles the whole process with the
// inspector and writes DIR/<member pid>.cpuprofile when the process exits (SIGTERM → clean exit).
'use strict';
const dir = process.env.MK_BENCH_CPU_PROF_DIR;
if (dir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // An in-thread session answers synchronously, so this works inside 'exit'.
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      fs.mkdirSync(dir, { recursive: true });
      const name = process.argv.includes('--name') ? process.argv[process.argv.indexOf('--name') + 1] : String(process.pid);
      fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
