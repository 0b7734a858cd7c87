/**
 * `npm run bench [-- SECTION…]`: runs the benchmarks and prints their figures.
 * Sections: rules (issue 2), service, imap, hostile and startup (issue 12), graph (issue 15),
 * google (issue 16).
 * Each prints whether it met its targets; the exit code is 0 either way (benchmarks inform, the
 * tests decide).
 * `compare` (issue 14) is run only when named: it measures this tree against another built one,
 * named by WARDWATCH_BENCH_BEFORE (see bench/compare.ts).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareTrees, parseCompareArgs } from './compare.js';
import { googleBench } from './google-bench.js';
import { graphBench } from './graph-bench.js';
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
  graph: graphBench,
  google: googleBench,
};

/** This tree against the one named by WARDWATCH_BENCH_BEFORE, best of WARDWATCH_BENCH_RUNS (3). */
function compare(): Promise<{ ok: boolean; lines: string[] }> {
  const before = process.env['WARDWATCH_BENCH_BEFORE'];
  if (!before) return Promise.resolve({ ok: false, lines: ['compare: set WARDWATCH_BENCH_BEFORE to the root of the other built tree'] });
  const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  return compareTrees(parseCompareArgs(['--runs', process.env['WARDWATCH_BENCH_RUNS'] ?? '3', before], here));
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(sections);
if (wanted.includes('compare')) sections['compare'] = compare;
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
