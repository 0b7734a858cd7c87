/**
 * Two built trees measured against each other, in turn, best of N: issue 14's before/after
 * figures in one go.
 *
 *   npm run build
 *   node dist/bench/compare.js [--runs N] [--settle S] [--only cpu,growth,idle,startup] BEFORE [AFTER]
 *
 * BEFORE and AFTER are the roots of two checkouts, each built (`npx tsc -p tsconfig.json`) and
 * with its node_modules; AFTER defaults to this tree. Every figure is taken from each tree's own
 * built code (its `dist/bench/rules-worker.js`, `dist/bench/check-process.js` and
 * `bin/wardwatch.js`, as users run it) on the same generated corpus, the two trees taking turns run by run (before,
 * after, before, after, …) so that both meet the same drift of a shared machine; the best run of
 * each counts.
 *
 * Figures:
 *   - cpu: end-to-end items per CPU-second, 10,000 messages and 2,000 events through the folder
 *     source, pipeline and every rule (CPU time of every thread of the process);
 *   - growth: peak RSS at 20,000 messages (and 4,000 events) over peak RSS at 2,500 (and 500);
 *   - idle: resident memory of `wardwatch run` (folder source, file sender) after it has settled;
 *   - startup: CPU time of `wardwatch check` on an empty source (for information).
 * The first three are issue 14's; none may be worse by more than 10 %.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { benchCouncil } from './council.js';
import { generateCorpus } from './generate.js';

/** How much worse a figure may be before the comparison fails it (issue 14). */
const TOLERANCE = 0.1;
const NOW = '2027-03-30T09:00:00Z';

type Figure = 'cpu' | 'growth' | 'idle' | 'startup';
const FIGURES: readonly Figure[] = ['cpu', 'growth', 'idle', 'startup'];

export interface CompareOptions {
  before: string;
  after: string;
  runs: number;
  settleSeconds: number;
  only: readonly Figure[];
}

interface Run {
  itemsPerCpuSecond?: number;
  growth?: number;
  smallRssMB?: number;
  largeRssMB?: number;
  idleRssMB?: number;
  startupCpuSeconds?: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function checkTree(root: string): void {
  for (const file of ['dist/bench/rules-worker.js', 'dist/bench/check-process.js', 'bin/wardwatch.js', 'node_modules']) {
    if (!existsSync(path.join(root, file))) throw new Error(`${root} has no ${file}: build it first (npx tsc -p tsconfig.json) and give it its node_modules`);
  }
}

interface WorkerOut {
  items: number;
  cpuSeconds: number;
  peakRssMB: number;
}

function worker(root: string, dir: string): WorkerOut {
  const out = execFileSync(process.execPath, [path.join(root, 'dist/bench/rules-worker.js'), dir, 'rules'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as WorkerOut;
}

function startupCpu(root: string, config: string, empty: string, cpuFile: string): number {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bench/check-process.js'), 'check', '--config', config, '--source', empty, '--now', NOW], {
    encoding: 'utf8',
    env: { ...process.env, WARDWATCH_BENCH_CPU_FILE: cpuFile },
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`wardwatch check (${root}) ended with ${String(r.status)}: ${r.stderr.slice(-800)}`);
  return (JSON.parse(readFileSync(cpuFile, 'utf8')) as { cpuSeconds: number }).cpuSeconds;
}

/** `wardwatch run` from `root` on an empty folder source: its RSS once settled (MB). */
async function idleRss(root: string, work: string, settleSeconds: number): Promise<number> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.join(work, 'source', 'mail'), { recursive: true });
  const config = {
    ...benchCouncil,
    connectors: { folder: { dir: './source' } },
    sender: { kind: 'file', dir: './outbox' },
    store: { path: './state/wardwatch.sqlite' },
    server: { host: '127.0.0.1', port: 0 },
    digest: { to: ['clerk@millbrook-tc.gov.uk'], cron: '59 23 * * *' },
  };
  const file = path.join(work, 'council.yaml');
  writeFileSync(file, stringify(config));
  const child = spawn(process.execPath, [path.join(root, 'bin/wardwatch.js'), 'run', '--config', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' },
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
  child.stderr.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const started = Date.now();
    while (!/listening for \/healthz/.test(log)) {
      if (child.exitCode !== null) throw new Error(`wardwatch run (${root}) exited before listening: ${log.slice(-800)}`);
      if (Date.now() - started > 60_000) throw new Error(`wardwatch run (${root}) did not start within a minute: ${log.slice(-800)}`);
      await sleep(100);
    }
    await sleep(settleSeconds * 1000);
    const status = readFileSync(`/proc/${child.pid ?? 0}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN') / 1024;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function measure(root: string, only: readonly Figure[], corpora: { full: string; small: string; large: string; empty: string }, tmp: string, settleSeconds: number): Promise<Run> {
  const run: Run = {};
  if (only.includes('cpu')) {
    const w = worker(root, corpora.full);
    run.itemsPerCpuSecond = w.items / w.cpuSeconds;
  }
  if (only.includes('growth')) {
    run.smallRssMB = worker(root, corpora.small).peakRssMB;
    run.largeRssMB = worker(root, corpora.large).peakRssMB;
  }
  if (only.includes('idle')) run.idleRssMB = await idleRss(root, path.join(tmp, 'idle'), settleSeconds);
  if (only.includes('startup')) run.startupCpuSeconds = startupCpu(root, corpora.empty + '.yaml', corpora.empty, path.join(tmp, 'cpu.json'));
  return run;
}

interface Best {
  itemsPerCpuSecond?: number;
  growth?: number;
  smallRssMB?: number;
  largeRssMB?: number;
  idleRssMB?: number;
  startupCpuSeconds?: number;
}

function bestOf(runs: readonly Run[]): Best {
  const max = (f: (r: Run) => number | undefined): number | undefined => {
    const v = runs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? Math.max(...v) : undefined;
  };
  const min = (f: (r: Run) => number | undefined): number | undefined => {
    const v = runs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? Math.min(...v) : undefined;
  };
  const smallRssMB = min((r) => r.smallRssMB);
  const largeRssMB = min((r) => r.largeRssMB);
  return {
    itemsPerCpuSecond: max((r) => r.itemsPerCpuSecond),
    smallRssMB,
    largeRssMB,
    growth: smallRssMB !== undefined && largeRssMB !== undefined ? largeRssMB / smallRssMB : undefined,
    idleRssMB: min((r) => r.idleRssMB),
    startupCpuSeconds: min((r) => r.startupCpuSeconds),
  };
}

function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' / ');
}

export async function compareTrees(options: CompareOptions): Promise<{ ok: boolean; lines: string[] }> {
  checkTree(options.before);
  checkTree(options.after);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-compare-'));
  const loads: string[] = [loadAverage()];
  try {
    const corpora = {
      full: options.only.includes('cpu') ? generateCorpus(path.join(tmp, 'full'), 10_000, 2_000) : '',
      small: options.only.includes('growth') ? generateCorpus(path.join(tmp, 'small'), 2_500, 500) : '',
      large: options.only.includes('growth') ? generateCorpus(path.join(tmp, 'large'), 20_000, 4_000) : '',
      empty: path.join(tmp, 'empty'),
    };
    mkdirSync(corpora.empty, { recursive: true });
    writeFileSync(corpora.empty + '.yaml', stringify(benchCouncil));
    const before: Run[] = [];
    const after: Run[] = [];
    for (let i = 0; i < options.runs; i++) {
      before.push(await measure(options.before, options.only, corpora, tmp, options.settleSeconds));
      after.push(await measure(options.after, options.only, corpora, tmp, options.settleSeconds));
      loads.push(loadAverage());
    }
    const b = bestOf(before);
    const a = bestOf(after);
    const lines = [
      `Before/after, best of ${options.runs} taken in turn`,
      `  before: ${options.before}`,
      `  after:  ${options.after}`,
      `  load average (1 / 5 / 15 min) at the start and after each round: ${loads.join('; ')}`,
      '  figure                                    before      after     change',
    ];
    let ok = true;
    const row = (label: string, x: number | undefined, y: number | undefined, digits: number, higherIsBetter: boolean, judged: boolean): void => {
      if (x === undefined || y === undefined) return;
      const change = y / x - 1;
      const worse = higherIsBetter ? -change : change;
      const failed = judged && worse > TOLERANCE;
      if (failed) ok = false;
      lines.push(
        `  ${label.padEnd(40)} ${x.toFixed(digits).padStart(9)} ${y.toFixed(digits).padStart(10)} ${`${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)} %`.padStart(10)}${judged ? (failed ? '  WORSE by more than 10 %' : '  ok') : ''}`,
      );
    };
    row('items per CPU-second, end to end', b.itemsPerCpuSecond, a.itemsPerCpuSecond, 0, true, true);
    row('peak RSS, 2,500 messages (MB)', b.smallRssMB, a.smallRssMB, 0, false, false);
    row('peak RSS, 20,000 messages (MB)', b.largeRssMB, a.largeRssMB, 0, false, false);
    row('memory growth (×, for ×8 items)', b.growth, a.growth, 2, false, true);
    row('idle RSS of wardwatch run (MB)', b.idleRssMB, a.idleRssMB, 1, false, true);
    row('start-up: check, empty source (CPU s)', b.startupCpuSeconds, a.startupCpuSeconds, 2, false, false);
    lines.push(`  ${ok ? 'none worse by more than 10 %' : 'A FIGURE IS WORSE BY MORE THAN 10 %'}`);
    return { ok, lines };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The options from a command line (`--runs N`, `--settle S`, `--only a,b`, then BEFORE [AFTER]). */
export function parseCompareArgs(args: readonly string[], here: string): CompareOptions {
  const options: CompareOptions = { before: '', after: here, runs: 3, settleSeconds: 20, only: FIGURES };
  const roots: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--runs') options.runs = Number(value());
    else if (arg === '--settle') options.settleSeconds = Number(value());
    else if (arg === '--only') {
      const only = value().split(',');
      const unknown = only.filter((f) => !(FIGURES as readonly string[]).includes(f));
      if (unknown.length) throw new Error(`unknown figure ${unknown.join(', ')}; known: ${FIGURES.join(', ')}`);
      options.only = only as Figure[];
    } else roots.push(path.resolve(arg));
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs takes a whole number of at least 1');
  if (!(options.settleSeconds >= 0)) throw new Error('--settle takes a number of seconds');
  if (roots.length < 1 || roots.length > 2) throw new Error('usage: compare [--runs N] [--settle S] [--only cpu,growth,idle,startup] BEFORE [AFTER]');
  options.before = roots[0] as string;
  if (roots[1]) options.after = roots[1];
  return options;
}

/** The root of the tree this script was built in (dist/bench/compare.js → the tree). */
const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const result = await compareTrees(parseCompareArgs(process.argv.slice(2), HERE));
    process.stdout.write(`${result.lines.join('\n')}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
