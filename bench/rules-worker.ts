/**
 * One benchmark run in its own process (so peak RSS is its own): reads a generated folder source
 * through the real pipeline, either parse-only (no rules) or parse + every rule, and prints one
 * JSON line with the figures.
 */
import { readFolderSource } from '../connectors/folder/read.js';
import { ConfigSchema } from '../src/config/schema.js';
import { Engine } from '../src/engine/engine.js';
import { checkSource } from '../src/pipeline/check.js';
import { benchCouncil } from './council.js';

const [dir, mode] = process.argv.slice(2);
if (!dir || (mode !== 'parse' && mode !== 'rules')) {
  process.stderr.write('usage: rules-worker DIR parse|rules\n');
  process.exit(2);
}
const config = ConfigSchema.parse(benchCouncil);
const engine = new Engine(config, mode === 'parse' ? { rules: [] } : {});
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const result = await checkSource(engine, readFolderSource(dir), { now: '2027-03-30T09:00:00Z' });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
const items = result.counts.mailItems + result.counts.eventItems;
process.stdout.write(
  `${JSON.stringify({
    mode,
    items,
    messages: result.counts.mailItems,
    events: result.counts.eventItems,
    findings: result.findings.length,
    problems: result.problems.length,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    itemsPerSecond: items / seconds,
    peakRssMB: peakRss / 1024 / 1024,
  })}\n`,
);
