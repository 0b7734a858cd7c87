/**
 * One benchmark run in its own process (so peak memory is its own): reads a generated folder
 * source through the real pipeline, either parse-only (no rules: items are parsed, merged and
 * their facts resolved) or parse + every rule, and prints one JSON line with the figures.
 *
 * Time is measured twice: wall-clock, and CPU time (user + system, every thread of the process,
 * so the garbage collector's and compiler's helper threads count too). On a shared machine the
 * CPU figure is the steadier of the two. Peak memory is the kernel's own high-water mark of the
 * resident set (`maxRSS`, which Node reports in kilobytes), not a sample.
 *
 * With a pass count above 1 (`rules-worker DIR rules 3`) the same engine reads the source again,
 * each pass as new items, and the CPU time of the last pass is printed too: by the fourth pass V8
 * has compiled most of the code that runs for every item, so it shows roughly what a long-running
 * process pays per item, without the one-off cost of compiling.
 */
// First, before anything else is loaded: the V8 settings the product runs with (bin/wardwatch.js does the same).
import '../src/runtime/heap-tuning.js';
import { readFolderSource } from '../connectors/folder/read.js';
import { ConfigSchema } from '../src/config/schema.js';
import { Engine } from '../src/engine/engine.js';
import { checkSource } from '../src/pipeline/check.js';
import { benchCouncil } from './council.js';

export interface WorkerFigures {
  mode: 'parse' | 'rules';
  items: number;
  messages: number;
  events: number;
  findings: number;
  problems: number;
  /** Wall-clock seconds for the pass. */
  seconds: number;
  /** CPU seconds (user + system, all threads) for the pass. */
  cpuSeconds: number;
  itemsPerSecond: number;
  itemsPerCpuSecond: number;
  /** Resident memory once everything is loaded, before the pass (MB). */
  startRssMB: number;
  /** Highest resident memory the process ever reached (MB). */
  peakRssMB: number;
  /** How many passes were made over the source (the figures above are the first pass's). */
  passes: number;
  /** CPU seconds of the last pass (the same as `cpuSeconds` when there was one pass). */
  lastPassCpuSeconds: number;
}

const MB = 1024 * 1024;

const [dir, mode, passArg = '1'] = process.argv.slice(2);
const passes = Number(passArg);
if (!dir || (mode !== 'parse' && mode !== 'rules') || !Number.isInteger(passes) || passes < 1) {
  process.stderr.write('usage: rules-worker DIR parse|rules [PASSES]\n');
  process.exit(2);
}
const config = ConfigSchema.parse(benchCouncil);
const engine = new Engine(config, mode === 'parse' ? { rules: [] } : {});
const startRss = process.memoryUsage().rss;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const result = await checkSource(engine, readFolderSource(dir), { now: '2027-03-30T09:00:00Z' });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
let lastPassCpuSeconds = cpuSeconds;
for (let pass = 2; pass <= passes; pass++) {
  const before = process.cpuUsage();
  await checkSource(engine, readFolderSource(dir), { now: '2027-03-30T09:00:00Z' });
  const used = process.cpuUsage(before);
  lastPassCpuSeconds = (used.user + used.system) / 1e6;
}
// maxRSS is in kilobytes.
const peakRss = process.resourceUsage().maxRSS * 1024;
const items = result.counts.mailItems + result.counts.eventItems;
const figures: WorkerFigures = {
  mode,
  items,
  messages: result.counts.mailItems,
  events: result.counts.eventItems,
  findings: result.findings.length,
  problems: result.problems.length,
  seconds,
  cpuSeconds,
  itemsPerSecond: items / seconds,
  itemsPerCpuSecond: items / cpuSeconds,
  startRssMB: startRss / MB,
  peakRssMB: peakRss / MB,
  passes,
  lastPassCpuSeconds,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
