/** `wardwatch init` sets the protocol: from --protocol, by asking on a terminal, or leaves a commented choice and warns. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { askProtocol, runInit } from '../../src/cli/init.js';
import { runValidate } from '../../src/cli/validate.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

const tempFile = (): string => path.join(mkdtempSync(path.join(tmpdir(), 'wardwatch-init-')), 'council.yaml');

describe('init --protocol', () => {
  it('writes the chosen protocol, which then validates without a warning', () => {
    const file = tempFile();
    const io = recorder();
    expect(runInit({ output: file, protocol: 'havant' }, io)).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^protocol: havant$/m);
    expect(text).not.toMatch(/^# protocol:/m);
    expect(io.stdout).toContain('keeping the havant protocol (Havant Borough Council — Councillor/Officer Relations Protocol (2013))');
    expect(io.stderr).toBe('');
    const check = recorder();
    expect(runValidate(file, check)).toBe(0);
    expect(check.stdout).toContain('(profile: havant)');
    expect(check.stderr).toBe('');
  });

  it('refuses a name that is not a profile, suggesting the one meant, and writes nothing', () => {
    const file = tempFile();
    const io = recorder();
    expect(runInit({ output: file, protocol: 'knutsferd' }, io)).toBe(2);
    expect(io.stderr).toBe('There is no protocol profile named "knutsferd". Did you mean "knutsford"? The profiles are: alton, halstead, havant, knutsford, model-2016.\n');
    expect(existsSync(file)).toBe(false);
  });

  it('without one, leaves the choice as a comment and warns how to make it', () => {
    const file = tempFile();
    const io = recorder();
    expect(runInit({ output: file }, io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(STARTER_CONFIG);
    expect(io.stderr).toContain('Warning: no protocol is chosen yet');
    expect(io.stderr).toContain('alton, halstead, havant, knutsford, model-2016');
    expect(io.stderr).toContain('wardwatch init --protocol NAME --force');
  });
});

describe('init asks on a terminal', () => {
  function scripted(answers: string[]): { ask: (q: string) => Promise<string>; asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      ask: (q) => {
        asked.push(q);
        return Promise.resolve(answers.shift() ?? '');
      },
    };
  }

  it('lists the profiles and asks again after a name that is not one', async () => {
    const s = scripted(['knutsferd', 'Knutsford']);
    const io = recorder();
    expect(await askProtocol(s.ask, io)).toBe('knutsford');
    expect(s.asked).toHaveLength(2);
    expect(io.stdout).toContain('knutsford   Knutsford Town Council — Member/Officer Protocol');
    expect(io.stdout).toContain('model-2016  A town council — Protocol on Officer and Member Relationships (February 2016)');
    expect(io.stderr).toContain('Did you mean "knutsford"?');
  });

  it('takes "none" (or nothing) as no protocol', async () => {
    expect(await askProtocol(scripted(['none']).ask, recorder())).toBeUndefined();
    expect(await askProtocol(scripted(['']).ask, recorder())).toBeUndefined();
  });
});
