/**
 * Issue 2's figures: 10,000 messages and 2,000 events through the real pipeline, parse-only
 * versus parse + all rules (each in its own process), and peak RSS as the corpus grows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from './generate.js';

interface RunFigures {
  mode: string;
  items: number;
  messages: number;
  events: number;
  findings: number;
  seconds: number;
  cpuSeconds: number;
  itemsPerSecond: number;
  peakRssMB: number;
}

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rules-worker.js');

function run(dir: string, mode: 'parse' | 'rules'): RunFigures {
  const out = execFileSync(process.execPath, [worker, dir, mode], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as RunFigures;
}

function best(dir: string, mode: 'parse' | 'rules', times: number): RunFigures {
  let bestRun: RunFigures | undefined;
  for (let i = 0; i < times; i++) {
    const r = run(dir, mode);
    if (!bestRun || r.seconds < bestRun.seconds) bestRun = r;
  }
  return bestRun as RunFigures;
}

export function rulesBench(): { ok: boolean; lines: string[] } {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wardwatch-bench-'));
  const lines: string[] = [];
  try {
    const full = generateCorpus(path.join(tmp, 'full'), 10_000, 2_000);
    const parse = best(full, 'parse', 3);
    const rules = best(full, 'rules', 3);
    const overhead = rules.seconds / parse.seconds - 1;
    const mailOnly = generateCorpus(path.join(tmp, 'mail-only'), 10_000, 0);
    const mailRules = best(mailOnly, 'rules', 2);
    lines.push('Rules engine (10,000 messages + 2,000 events, folder source, one process each, best of 3)');
    lines.push(`  parse only       ${parse.itemsPerSecond.toFixed(0).padStart(6)} items/s  ${parse.seconds.toFixed(2)} s  peak RSS ${parse.peakRssMB.toFixed(0)} MB`);
    lines.push(`  parse + rules    ${rules.itemsPerSecond.toFixed(0).padStart(6)} items/s  ${rules.seconds.toFixed(2)} s  peak RSS ${rules.peakRssMB.toFixed(0)} MB  (${rules.findings} findings)`);
    lines.push(`  rules overhead   ${(overhead * 100).toFixed(1)} % of parse time (target ≤ 10 %)`);
    lines.push(`  messages only    ${(mailRules.messages / mailRules.seconds).toFixed(0)} messages/s end to end with all rules (target ≥ 2,000/s)`);
    const growth: { n: number; rss: number }[] = [];
    for (const n of [2_500, 5_000, 10_000, 20_000]) {
      const dir = generateCorpus(path.join(tmp, `grow-${n}`), n, n / 5);
      growth.push({ n, rss: run(dir, 'rules').peakRssMB });
      rmSync(dir, { recursive: true, force: true });
    }
    lines.push(`  peak RSS as the corpus grows (messages → MB): ${growth.map((g) => `${g.n} → ${g.rss.toFixed(0)}`).join(', ')}`);
    const flat = (growth[growth.length - 1]?.rss ?? 0) / (growth[0]?.rss ?? 1);
    lines.push(`  growth 2,500 → 20,000 messages: ×${flat.toFixed(2)} RSS for ×8 items (flat means close to ×1)`);
    const ok = overhead <= 0.1 && mailRules.messages / mailRules.seconds >= 2000 && flat < 1.5;
    lines.push(`  ${ok ? 'targets met' : 'TARGETS MISSED'}`);
    return { ok, lines };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
