/**
 * `templates preview NAME --config FILE` shows the message as the service would send it for that
 * council: its protocol profile's clause numbers (or its own, or the catalogue's), a severity it
 * configured, its name and Clerk, and its own templates.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runPreview } from '../../src/cli/templates.js';
import { makeCouncil, REPO_ROOT, type TestCouncil } from '../service/helpers.js';

function recorder(): { out: (t: string) => void; err: (t: string) => void; stdout: string; stderr: string } {
  const rec = { stdout: '', stderr: '', out: (t: string) => void (rec.stdout += t), err: (t: string) => void (rec.stderr += t) };
  return rec;
}

let council: TestCouncil | undefined;
afterEach(() => {
  council?.remove();
  council = undefined;
});

function preview(name: string, overrides: Record<string, unknown>): { code: number; stdout: string; stderr: string } {
  council?.remove();
  council = makeCouncil(overrides);
  const io = recorder();
  const code = runPreview(name, { config: council.configFile }, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('templates preview --config', () => {
  it("cites the catalogue's clauses of every protocol when no protocol is chosen, as the service does", () => {
    const r = preview('no-blind-copies', {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'paragraph 9.1 of Havant Borough Council’s Councillor/Officer Relations Protocol and paragraph 12.1 of Knutsford Town Council’s Member/Officer Protocol',
    );
  });

  it("cites the chosen profile's own paragraph numbers", () => {
    const r = preview('no-blind-copies', { protocol: 'havant' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('paragraph 9.1 of the Member/Officer Protocol');
    expect(r.stdout).not.toContain('12.1');
    expect(r.stderr).toBe('');
  });

  it("cites the council's own clauses over the profile's", () => {
    const r = preview('requests-via-clerk', { protocol: 'knutsford', rules: { 'requests-via-clerk': { clauses: ['7.4'] } } });
    expect(r.stdout).toContain('paragraph 7.4 of the Member/Officer Protocol');
    expect(r.stdout).not.toContain('4.6');
  });

  it('brings every finding in a shared message into line: the summary of folded notes', () => {
    const r = preview('nudge-summary', { protocol: 'havant' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('paragraphs 10.1 and 10.3 of the Member/Officer Protocol');
    expect(r.stdout).not.toContain('11.5c');
  });

  it('uses a severity the council configured', () => {
    const gentle = preview('state-capacity', { protocol: 'knutsford', rules: { 'state-capacity': { severity: 'info' } } });
    expect(gentle.stdout).toMatch(/^Subject: A gentle reminder/);
    const firm = preview('state-capacity', { protocol: 'knutsford', rules: { 'state-capacity': { severity: 'warning' } } });
    expect(firm.stdout).toMatch(/^Subject: Please note/);
  });

  it("says so when the rule is off for the council, since the message is then never sent", () => {
    const r = preview('no-blind-copies', { protocol: 'alton' });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Note: the rule no-blind-copies is off for this council (protocol alton does not contain it, or rules: turns it off)');
  });

  it("uses the council's own template and its name", () => {
    council = makeCouncil({ protocol: 'knutsford', templates: { dir: './mine' } });
    mkdirSync(path.join(council.dir, 'mine'));
    const own = readFileSync(path.join(REPO_ROOT, 'templates', 'no-blind-copies.hbs'), 'utf8').replace('--- text ---\n', '--- text ---\nFrom the office of {{council.clerkName}}.\n');
    writeFileSync(path.join(council.dir, 'mine', 'no-blind-copies.hbs'), own);
    const io = recorder();
    expect(runPreview('no-blind-copies', { config: council.configFile }, io)).toBe(0);
    expect(io.stdout).toContain('From the office of Helen Ashworth.');
    expect(io.stdout).toContain('paragraph 12.1 of the Member/Officer Protocol');
  });
});
