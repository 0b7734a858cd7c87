/**
 * Issue 3's figures for the unattended service (`wardwatch run` in a child process, folder
 * source, file sender, SQLite state):
 *   - idle: resident memory and CPU over 20 s with nothing to do, once start-up has settled
 *     (targets < 100 MB, < 1 % CPU);
 *   - work: 1,000 violating messages dropped into the watched folder → time until every effect
 *     (one nudge each) has been carried out, then the time for `wardwatch digest` to send the
 *     digest listing them.
 * WARDWATCH_BENCH_IDLE_S changes the idle window (default 20 s), WARDWATCH_BENCH_SETTLE_S the time
 * left for start-up to settle before it (default 30 s).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { benchCouncil } from './council.js';
import { startWardwatch, stopWardwatch, type RunningWardwatch } from './wardwatch-process.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const IDLE_TARGET_MB = 100;
const IDLE_TARGET_CPU = 0.01;
const MESSAGES = 1000;

const MEMBERS = benchCouncil.people.filter((p) => p.role === 'member');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function writeCouncil(dir: string): string {
  const config = {
    ...benchCouncil,
    connectors: { folder: { dir: './source' } },
    sender: { kind: 'file', dir: './outbox' },
    store: { path: './state/wardwatch.sqlite' },
    server: { host: '127.0.0.1', port: 0 },
    limits: { nudgesPerPersonPerDay: 10_000, quietHours: { roles: [], weekends: false } },
    // Yesterday's digest goes out at start (catch-up), today's is sent by `wardwatch digest` after the work.
    digest: { to: ['clerk@millbrook-tc.gov.uk'], cron: '59 23 * * *' },
  };
  mkdirSync(path.join(dir, 'source', 'mail'), { recursive: true });
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** A member writes to a resident without saying in what capacity: one finding, one nudge. */
function violation(n: number): { mailbox: string; content: string } {
  const member = MEMBERS[n % MEMBERS.length] ?? MEMBERS[0];
  if (!member) throw new Error('the bench council has no members');
  const address = member.emails[0] ?? '';
  const content = [
    `From: ${member.name} <${address}>`,
    `To: resident${n}@example.org`,
    `Subject: Re: Hedge on Weir Road (${n})`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <bench-${n}@millbrook-tc.gov.uk>`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Dear resident,\n\nThank you for your email about the hedge outside number ${n}. I share some of your concerns about the footway.\n\nBest wishes,\n${member.name}`,
    '',
  ].join('\r\n');
  return { mailbox: address, content };
}


interface CpuMem {
  cpuSeconds: number;
  rssBytes: number;
  /** Private (anonymous) and file-backed parts of RSS, where /proc tells them apart. */
  anonBytes?: number;
  fileBytes?: number;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** From /proc where there is one, else from the service's own /metrics. */
async function sample(pid: number, port: number, ticks: number): Promise<CpuMem> {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / ticks;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? '0') * 1024;
    return { cpuSeconds: cpu, rssBytes: kb('VmRSS'), anonBytes: kb('RssAnon'), fileBytes: kb('RssFile') };
  } catch {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? 'NaN');
    return { cpuSeconds: value('process_cpu_seconds_total'), rssBytes: value('process_resident_memory_bytes') };
  }
}

async function countDone(storePath: string): Promise<number> {
  const store = new SqliteStore(storePath);
  try {
    return (await store.listEffects({ kinds: ['nudge'], states: ['done'] })).length;
  } finally {
    await store.close();
  }
}

function runDigest(configFile: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'digest', '--config', configFile], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : err ? 1 : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

export async function serviceBench(): Promise<{ ok: boolean; lines: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-service-bench-'));
  const lines: string[] = ['Service (wardwatch run: folder source, file sender, SQLite state)'];
  let running: RunningWardwatch | undefined;
  try {
    const configFile = writeCouncil(dir);
    running = startWardwatch(configFile);
    const port = await running.port;
    const pid = running.child.pid ?? 0;
    const ticks = clockTicks();

    // Idle: let start-up settle (the catch-up digest, the first sync, V8's post-start-up
    // garbage collection), then watch it do nothing.
    const settleSeconds = Number(process.env['WARDWATCH_BENCH_SETTLE_S'] ?? '30');
    await sleep(settleSeconds * 1000);
    const idleSeconds = Number(process.env['WARDWATCH_BENCH_IDLE_S'] ?? '20');
    const before = await sample(pid, port, ticks);
    await sleep(idleSeconds * 1000);
    const after = await sample(pid, port, ticks);
    const idleCpu = (after.cpuSeconds - before.cpuSeconds) / idleSeconds;
    const idleMB = after.rssBytes / (1024 * 1024);
    const parts =
      after.anonBytes !== undefined && after.fileBytes !== undefined
        ? ` = ${(after.anonBytes / 1048576).toFixed(1)} MB private + ${(after.fileBytes / 1048576).toFixed(1)} MB file-backed (node binary, ICU data, native modules)`
        : '';
    lines.push(`  idle RSS          ${idleMB.toFixed(1)} MB${parts} (target < ${IDLE_TARGET_MB} MB)`);
    lines.push(`  idle CPU          ${(idleCpu * 100).toFixed(2)} % over ${idleSeconds} s, after ${settleSeconds} s to settle (start-up took ${before.cpuSeconds.toFixed(2)} s of CPU) (target < ${IDLE_TARGET_CPU * 100} %)`);

    // Work: 1,000 violating messages appear at once (a mailbox folder renamed into place).
    const staging = path.join(dir, 'staging');
    for (let i = 0; i < MESSAGES; i++) {
      const v = violation(i);
      const folder = path.join(staging, v.mailbox, 'sent');
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, `bench-${i}.eml`), v.content);
    }
    const started = Date.now();
    for (const mailbox of readdirSync(staging)) renameSync(path.join(staging, mailbox), path.join(dir, 'source', 'mail', mailbox));
    const storePath = path.join(dir, 'state', 'wardwatch.sqlite');
    let peakRss = 0;
    for (;;) {
      await sleep(250);
      peakRss = Math.max(peakRss, (await sample(pid, port, ticks)).rssBytes);
      if (await countDone(storePath) >= MESSAGES) break;
      if (Date.now() - started > 15 * 60_000) throw new Error('the service did not finish the 1,000 effects within 15 minutes');
    }
    const effectsSeconds = (Date.now() - started) / 1000;
    const digestStarted = Date.now();
    const digest = await runDigest(configFile);
    const digestSeconds = (Date.now() - digestStarted) / 1000;
    if (digest.code !== 0) throw new Error(`wardwatch digest failed (exit ${digest.code}): ${digest.output.slice(-500)}`);
    const sent = readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml')).length;

    lines.push(`  1,000 findings    ${effectsSeconds.toFixed(1)} s to judge them and carry out their 1,000 nudges (${(MESSAGES / effectsSeconds).toFixed(0)} per second), peak RSS ${(peakRss / (1024 * 1024)).toFixed(0)} MB`);
    lines.push(`  digest            ${digestSeconds.toFixed(1)} s for wardwatch digest to build and send the day's digest listing them`);
    lines.push(`  total             ${(effectsSeconds + digestSeconds).toFixed(1)} s (${sent} messages in the outbox, the catch-up digest included)`);
    const ok = idleMB < IDLE_TARGET_MB && idleCpu < IDLE_TARGET_CPU;
    lines.push(`  ${ok ? 'targets met' : 'TARGETS MISSED'}`);
    return { ok, lines };
  } finally {
    if (running) await stopWardwatch(running.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
