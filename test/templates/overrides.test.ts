import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleData } from '../../src/templates/samples.js';
import { builtinTemplatesDir, checkTemplates, renderTemplate, templateSource, TemplateError } from '../../src/templates/render.js';

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'wardwatch-overrides-'));
}

const OWN_NUDGE = `{{!-- Millbrook's own wording --}}
Subject: A word about “{{item.subject}}”
--- text ---
Dear {{recipient.name}},

{{finding.summary}} Please see {{finding.clauseText}}.
--- html ---
<p>Dear {{recipient.name}},</p>
<p>{{finding.summary}} Please see {{finding.clauseText}}.</p>
`;

function thrown(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error('expected a TemplateError');
}

describe("the Clerk's own templates", () => {
  it('a template in the override folder replaces the built-in one and leaves the others alone', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'no-blind-copies.hbs'), OWN_NUDGE);
    const own = renderTemplate('no-blind-copies', sampleData('no-blind-copies'), { overrideDir: dir });
    expect(own.subject).toBe('A word about “Street lighting on Castle Street”');
    expect(own.text).toContain('Please see paragraph 12.1 of the Member/Officer Protocol.');
    expect(templateSource('no-blind-copies', { overrideDir: dir })).toBe(path.join(dir, 'no-blind-copies.hbs'));

    const other = renderTemplate('state-capacity', sampleData('state-capacity'), { overrideDir: dir });
    const builtIn = renderTemplate('state-capacity', sampleData('state-capacity'));
    expect(other).toEqual(builtIn);
    expect(templateSource('state-capacity', { overrideDir: dir })).toBe(path.join(builtinTemplatesDir(), 'state-capacity.hbs'));
  });

  it('an override folder that does not hold a template falls back to the built-in ones', () => {
    const dir = path.join(tempDir(), 'not-created');
    const message = renderTemplate('digest', sampleData('digest'), { overrideDir: dir });
    expect(message.subject).toContain('Protocol digest');
  });

  it('a broken override is reported with its file name and line, not silently replaced', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'no-blind-copies.hbs'), 'Subject: Hello\n--- text ---\nDear {{recipient.name}},\n\n{{#if finding.warning}}Careful\n--- html ---\n<p>x</p>\n');
    const err = thrown(() => renderTemplate('no-blind-copies', sampleData('no-blind-copies'), { overrideDir: dir }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.file).toBe(path.join(dir, 'no-blind-copies.hbs'));
    expect(err.problems[0]?.line).toBe(5);
    expect(err.message).toMatch(/no-blind-copies\.hbs:5: the plain-text part cannot be read/);
  });

  it('names the line of a misspelt field, even inside {{#if}}', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'no-blind-copies.hbs'), 'Subject: Hello\n--- text ---\nDear {{recipient.name}},\n{{#if finding.warnnig}}Careful{{/if}}\n--- html ---\n<p>{{recipent.name}}</p>\n');
    const err = thrown(() => renderTemplate('no-blind-copies', sampleData('no-blind-copies'), { overrideDir: dir }));
    expect(err.problems.map((p) => [p.line, p.message.split(':')[0]])).toEqual([
      [4, '{{finding.warnnig}}'],
      [6, '{{recipent.name}}'],
    ]);
    expect(err.problems[0]?.message).toContain('there is no field "warnnig" in finding');
    expect(err.problems[1]?.message).toContain('there is no field "recipent" in this template');
  });

  it('refuses triple braces in the HTML part, helpers and partials', () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, 'no-blind-copies.hbs'),
      'Subject: {{lookup item "subject"}}\n--- text ---\n{{> footer}}\n--- html ---\n<p>{{{item.subject}}}</p>\n{{#custom item}}x{{/custom}}\n',
    );
    const err = thrown(() => renderTemplate('no-blind-copies', sampleData('no-blind-copies'), { overrideDir: dir }));
    const byLine = new Map(err.problems.map((p) => [p.line, p.message]));
    expect(byLine.get(1)).toMatch(/helper call/);
    expect(byLine.get(3)).toMatch(/partials/);
    expect(byLine.get(5)).toMatch(/without HTML escaping; use \{\{item\.subject\}\}/);
    expect(byLine.get(6)).toMatch(/\{\{#custom\}\} is not available/);
  });

  it('a file that does not follow the layout is reported with its line', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'digest.hbs'), '<p>Dear {{recipient.name}}</p>\n');
    const err = thrown(() => renderTemplate('digest', sampleData('digest'), { overrideDir: dir }));
    expect(err.message).toMatch(/digest\.hbs:1: expected a "Subject: …" line here/);
  });
});

describe('checkTemplates', () => {
  it('reports nothing for good overrides', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'no-blind-copies.hbs'), OWN_NUDGE);
    writeFileSync(path.join(dir, 'README.txt'), 'notes for colleagues');
    expect(checkTemplates(dir)).toEqual([]);
  });

  it('reports every broken file by name, and files that match no template', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'no-blind-copies.hbs'), OWN_NUDGE);
    writeFileSync(path.join(dir, 'digest.hbs'), 'Subject: Digest\n--- text ---\n{{digest.totalz.findings}}\n--- html ---\n<p>x</p>\n');
    writeFileSync(path.join(dir, 'no-blind-copy.hbs'), OWN_NUDGE);
    const problems = checkTemplates(dir);
    expect(problems.map((p) => path.basename(p.file))).toEqual(['digest.hbs', 'no-blind-copy.hbs']);
    expect(problems[0]?.line).toBe(3);
    expect(problems[0]?.message).toContain('there is no field "totalz" in digest');
    expect(problems[1]?.message).toMatch(/not the name of a Wardwatch template.*did you mean no-blind-copies\.hbs\?/);
  });

  it('reports a missing folder or a file in place of a folder', () => {
    const dir = tempDir();
    expect(checkTemplates(path.join(dir, 'absent'))[0]?.message).toMatch(/does not exist/);
    const file = path.join(dir, 'file.hbs');
    writeFileSync(file, OWN_NUDGE);
    expect(checkTemplates(file)[0]?.message).toMatch(/is not a folder/);
  });

  it('an empty folder is fine: every message uses the built-in template', () => {
    const dir = path.join(tempDir(), 'own');
    mkdirSync(dir);
    expect(checkTemplates(dir)).toEqual([]);
  });

  it('the README documents every field of the shared data', () => {
    const readme = readFileSync(path.join(builtinTemplatesDir(), 'README.md'), 'utf8');
    for (const field of ['finding.clauseText', 'item.subject', 'council.clerkAddress', 'recipient.name', 'digest.needsHuman', 'authoriseCategory', 'nudges']) {
      expect(readme).toContain(field);
    }
  });
});
