/**
 * `npm run bench [-- SECTION…]`: runs the benchmarks and prints their figures.
 * Sections: rules (issue 2), service, imap, hostile and startup (issue 12). Each prints whether
 * it met its targets; the exit code is 0 either way (benchmarks inform, the tests decide).
 */
import { hostileBench, startupBench } from './hostile-bench.js';
import { imapBench } from './imap-bench.js';
import { rulesBench } from './rules-bench.js';
import { serviceBench } from './service-bench.js';

const sections: Record<string, () => { ok: boolean; lines: string[] } | Promise<{ ok: boolean; lines: string[] }>> = {
  rules: rulesBench,
  service: serviceBench,
  imap: imapBench,
  hostile: hostileBench,
  startup: startupBench,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(sections);
for (const name of names) {
  const section = sections[name];
  if (!section) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(sections).join(', ')}\n`);
    process.exitCode = 2;
    continue;
  }
  const result = await section();
  process.stdout.write(`${result.lines.join('\n')}\n\n`);
}
