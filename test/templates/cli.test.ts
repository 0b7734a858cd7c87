import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/cli/output.js';
import { register, runCheck, runList, runPreview, templatePurpose } from '../../src/cli/templates.js';
import { TEMPLATE_NAMES } from '../../src/templates/names.js';

function recorder(): CommandOutput & { stdout: string; stderr: string } {
  const rec = {
    stdout: '',
    stderr: '',
    out(text: string) {
      rec.stdout += text;
    },
    err(text: string) {
      rec.stderr += text;
    },
  };
  return rec;
}

const CONFIG = `council:
  name: Knutsford Town Council
  timezone: Europe/London
  domains: [knutsford-tc.gov.uk]
  serviceAddress: protocol@knutsford-tc.gov.uk
people:
  - name: Jane Clerk
    emails: [clerk@knutsford-tc.gov.uk]
    role: clerk
templates:
  dir: ./own-templates
`;

const OWN_NUDGE = 'Subject: Knutsford wording: {{item.subject}}\n--- text ---\nDear {{recipient.name}}, {{finding.summary}} ({{finding.clauseText}})\n--- html ---\n<p>Dear {{recipient.name}}</p>\n';

/** A council folder with a config whose templates.dir holds `files`. */
function councilFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-cli-templates-'));
  mkdirSync(path.join(dir, 'own-templates'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, 'own-templates', name), content);
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, CONFIG);
  return file;
}

describe('wardwatch templates preview', () => {
  it('prints the subject and the text part, and the HTML part only with --html', () => {
    const io = recorder();
    expect(runPreview('no-blind-copies', {}, io)).toBe(0);
    expect(io.stdout).toMatch(/^Subject: Please note: copying councillors openly \(“Street lighting on Castle Street”\)\n\n--- text ---\nDear Councillor Brown,/);
    expect(io.stdout).not.toContain('--- html ---');
    expect(io.stderr).toBe('');

    const withHtml = recorder();
    expect(runPreview('no-blind-copies', { html: true }, withHtml)).toBe(0);
    expect(withHtml.stdout).toContain('--- html ---\n<!DOCTYPE html>');
  });

  it('exits 2 for an unknown name and lists the names', () => {
    const io = recorder();
    expect(runPreview('no-blind-copy', {}, io)).toBe(2);
    expect(io.stdout).toBe('');
    expect(io.stderr).toContain('There is no template named "no-blind-copy". Did you mean "no-blind-copies"?');
    for (const name of TEMPLATE_NAMES) expect(io.stderr).toContain(`  ${name}\n`);
  });

  it("uses the council's name, Clerk and own templates with --config", () => {
    const file = councilFolder({ 'no-blind-copies.hbs': OWN_NUDGE });
    const own = recorder();
    expect(runPreview('no-blind-copies', { config: file }, own)).toBe(0);
    expect(own.stdout).toContain('Subject: Knutsford wording: Street lighting on Castle Street');

    const builtIn = recorder();
    expect(runPreview('state-capacity', { config: file }, builtIn)).toBe(0);
    expect(builtIn.stdout).toContain('Knutsford Town Council');
    expect(builtIn.stdout).toContain('please contact Jane Clerk at clerk@knutsford-tc.gov.uk');
    expect(builtIn.stdout).not.toContain('Millbrook Town Council');
  });

  it('exits 2 naming the file and line of a broken override', () => {
    const file = councilFolder({ 'digest.hbs': 'Subject: x\n--- text ---\n{{digest.totalz}}\n--- html ---\n<p>x</p>\n' });
    const io = recorder();
    expect(runPreview('digest', { config: file }, io)).toBe(2);
    expect(io.stderr).toContain('The template "digest" cannot be rendered:');
    expect(io.stderr).toMatch(/own-templates\/digest\.hbs:3: \{\{digest\.totalz\}\}: there is no field "totalz"/);
  });

  it('exits 2 when the configuration cannot be read', () => {
    const io = recorder();
    expect(runPreview('digest', { config: path.join(tmpdir(), 'no-such-dir-wardwatch', 'council.yaml') }, io)).toBe(2);
    expect(io.stderr).toContain('cannot read');
  });
});

describe('wardwatch templates list and check', () => {
  it('lists every template with its purpose', () => {
    const io = recorder();
    expect(runList({}, io)).toBe(0);
    const lines = io.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(TEMPLATE_NAMES.length);
    expect(lines[0]).toMatch(/^no-blind-copies +nudge or warning: Blind copies in member–officer correspondence$/);
    expect(io.stdout).toMatch(/\ndigest +the Clerk's daily digest\n/);
    for (const name of TEMPLATE_NAMES) expect(templatePurpose(name).length).toBeGreaterThan(10);
  });

  it("marks the council's own versions", () => {
    const file = councilFolder({ 'no-blind-copies.hbs': OWN_NUDGE });
    const io = recorder();
    expect(runList({ config: file }, io)).toBe(0);
    expect(io.stdout).toMatch(/^no-blind-copies .*\(your own version\)$/m);
    expect(io.stdout.match(/your own version/g)).toHaveLength(1);
  });

  it('checks the built-in templates, then the council’s own', () => {
    const builtIn = recorder();
    expect(runCheck({}, builtIn)).toBe(0);
    expect(builtIn.stdout).toContain('All is well: the built-in templates can be rendered.');

    const broken = councilFolder({ 'no-blind-copies.hbs': OWN_NUDGE, 'invitation.hbs': 'Dear {{recipient.name}}\n' });
    const io = recorder();
    expect(runCheck({ config: broken }, io)).toBe(2);
    expect(io.stderr).toMatch(/own-templates\/invitation\.hbs:1: expected a "Subject: …" line here/);
    expect(io.stderr).toContain('There is 1 problem in your templates in');
  });

  it('registers templates list, preview and check', () => {
    const program = new Command('wardwatch');
    register(program);
    const templates = program.commands.find((c) => c.name() === 'templates');
    expect(templates?.commands.map((c) => c.name())).toEqual(['list', 'preview', 'check']);
    const preview = templates?.commands.find((c) => c.name() === 'preview');
    expect(preview?.options.map((o) => o.long)).toEqual(['--html', '--config']);
  });
});
