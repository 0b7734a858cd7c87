/**
 * `wardwatch check` run in this process exactly as bin/wardwatch.js runs it, for the hostile
 * bench: it also writes the process's CPU time (every thread's, user + system) to the file named
 * by WARDWATCH_BENCH_CPU_FILE when it ends, which a parent process cannot learn on its own.
 *
 *   node dist/bench/check-process.js check --config FILE --source DIR --now ISO
 */
import { writeFileSync } from 'node:fs';
import '../src/runtime/heap-tuning.js';

const cpuFile = process.env.WARDWATCH_BENCH_CPU_FILE;
if (cpuFile) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(cpuFile, JSON.stringify({ cpuSeconds: (user + system) / 1e6 }));
  });
}
await import('../src/cli.js');
