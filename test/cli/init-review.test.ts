/** `wardwatch init` starts a council in review mode, the recommended first setting, and says so. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInit } from '../../src/cli/init.js';
import { loadConfig } from '../../src/config/load.js';

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

describe('init and review mode', () => {
  it('writes review: true, explained by a comment, and says how to approve and make an account', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wardwatch-init-')), 'council.yaml');
    const io = recorder();
    expect(runInit({ output: file, protocol: 'knutsford' }, io)).toBe(0);
    expect(loadConfig(file).config.review).toBe(true);
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.indexOf('review: true');
    expect(at).toBeGreaterThan(0);
    const comment = lines.slice(0, at).reverse().findIndex((l) => !l.startsWith('#'));
    const explanation = lines.slice(at - comment, at).join('\n');
    expect(explanation).toContain('recommended');
    expect(explanation).toContain('wardwatch outbox approve KEY --config council.yaml');
    expect(explanation).toContain('wardwatch users add');
    expect(explanation).toContain('review: false');
    expect(io.stdout).toContain('It starts in review mode (review: true): nothing goes to a councillor or an officer until you approve it');
    expect(io.stdout).toContain(`wardwatch users add USERNAME --config ${file} --role clerk`);
  });
});
