import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULE_IDS } from '../../src/config/schema.js';
import type { NudgeData } from '../../src/templates/data.js';
import { sampleData } from '../../src/templates/samples.js';
import { ruleTitle } from '../../src/templates/guidance.js';
import { isRuleTemplateName, TEMPLATE_NAMES } from '../../src/templates/names.js';
import { checkTemplates, finishSubject, renderTemplate, singleLine, TemplateError } from '../../src/templates/render.js';

function nudgeSample(rule: (typeof RULE_IDS)[number]): NudgeData {
  const data = sampleData(rule);
  if (!('finding' in data) || !('item' in data)) throw new Error('expected finding data');
  return data;
}

function withSubject(subject: string): NudgeData {
  const data = nudgeSample('no-blind-copies');
  return { ...data, item: { ...data.item, subject } };
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'wardwatch-templates-'));
}

describe('built-in templates', () => {
  it.each(TEMPLATE_NAMES)('%s renders its sample data into a subject, a text part and an HTML part', (name) => {
    const data = sampleData(name);
    const message = renderTemplate(name, data);
    expect(message.subject.length).toBeGreaterThan(10);
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.text.trim().length).toBeGreaterThan(100);
    expect(message.html).toMatch(/^<!DOCTYPE html>/);
    expect(message.html).toContain('</body>');
    // Every message greets its reader British-style ("Dear Councillor Brown,", "Dear Helen,").
    expect(message.text).toMatch(new RegExp(`^Dear ${data.recipient.salutation},\n`));
    expect(message.html).toContain(`<p>Dear ${data.recipient.salutation},</p>`);
    // No Handlebars syntax survives, and nothing rendered as "undefined" or "null".
    for (const part of [message.subject, message.text, message.html]) {
      expect(part).not.toMatch(/\{\{|\}\}|undefined|\bnull\b|\[object Object\]/);
    }
  });

  it.each(TEMPLATE_NAMES)('%s uses one style of quotation marks (curly), in its text and its HTML', (name) => {
    const message = renderTemplate(name, sampleData(name));
    // Straight quotes and apostrophes in what people read; the HTML's own attributes are not text.
    const htmlText = message.html.replace(/<[^>]*>/g, '');
    for (const part of [message.subject, message.text, htmlText]) {
      expect(part).not.toMatch(/["']|&quot;|&#x27;|&#39;/);
    }
  });

  it.each(RULE_IDS)('the %s nudge speaks to its reader as "you", never by their own name', (rule) => {
    const data = nudgeSample(rule);
    const message = renderTemplate(rule, data);
    expect(message.text).not.toContain(data.recipient.name);
  });

  it.each(RULE_IDS)('the %s nudge names the clause, what happened, what to do instead, and where to ask', (rule) => {
    const data = nudgeSample(rule);
    const message = renderTemplate(rule, data);
    for (const part of [message.text, message.html]) {
      expect(part).toContain(data.finding.clauseText);
      expect(part).toContain(data.council.clerkAddress);
      expect(part).toContain('automatic message');
    }
    expect(message.text).toMatch(/What to do instead:|What to do:/);
    expect(message.text).toContain(data.item.subject);
    // the finding summary (HTML escapes quotes, so compare the text part)
    expect(message.text).toContain(data.finding.summary);
  });

  it('says "Please note" for a warning and "A gentle reminder" for an informational nudge', () => {
    const data = nudgeSample('no-blind-copies');
    expect(renderTemplate('no-blind-copies', data).subject).toMatch(/^Please note:/);
    const info = { ...data, finding: { ...data.finding, severity: 'info' as const, warning: false } };
    expect(renderTemplate('no-blind-copies', info).subject).toMatch(/^A gentle reminder:/);
  });

  it('the digest has its sections and the rule titles but no message bodies', () => {
    const message = renderTemplate('digest', sampleData('digest'));
    for (const heading of ['SUMMARY', 'NEEDS A PERSON TO LOOK AT', 'AWAITING YOUR AUTHORISATION', 'COUNCIL PUBLIC MEETINGS IN THE NEXT 14 DAYS', 'PRE-ELECTION PERIOD', 'SOURCES']) {
      expect(message.text).toContain(heading);
    }
    expect(message.text).toContain(ruleTitle('no-blind-copies'));
    expect(message.text).toContain('NOT WORKING');
    expect(message.html).toContain(`<h3 style="font-size: 16px; margin-bottom: 4px;">${ruleTitle('no-blind-copies')}</h3>`);
  });

  it('the digest lists each rule’s items with the action taken, and only the withheld sentence for a private one', () => {
    const message = renderTemplate('digest', sampleData('digest'));
    expect(message.text).toContain(
      '    * message “Street lighting on Castle Street”, sent Tuesday 13 April 2027 at 10:30: Cllr Tom Brown blind-copied Cllr Alice Green into correspondence with Sam Patel.\n      Action: warning sent to Cllr Tom Brown\n',
    );
    expect(message.text).toContain('Action: warning to Cllr Tom Brown could not be sent after 5 attempts: the mail server refused it');
    expect(message.text).toContain('    * a private matter — details withheld\n      Action: warning waiting for quiet hours to end (Wednesday 14 April 2027 at 08:00)\n');
    expect(message.html).toContain(
      '<li><strong>message “Street lighting on Castle Street”, sent Tuesday 13 April 2027 at 10:30</strong>: Cllr Tom Brown blind-copied Cllr Alice Green into correspondence with Sam Patel.<br>Action: warning sent to Cllr Tom Brown</li>',
    );
    expect(message.html).toContain('<li><em>a private matter — details withheld</em><br>Action: warning waiting for quiet hours to end (Wednesday 14 April 2027 at 08:00)</li>');
    // The private sentence is shown once per private entry (the sample's finding and its dismissal), and the sample's officer-conduct summary never.
    for (const part of [message.text, message.html]) {
      expect(part.split('a private matter — details withheld')).toHaveLength(3);
      expect(part).not.toContain('raised a concern');
    }
  });

  it('the digest escapes an item’s subject line in the HTML part', () => {
    const data = sampleData('digest');
    if (!('digest' in data)) throw new Error('expected digest data');
    const [first, ...rest] = data.digest.rules;
    if (first === undefined) throw new Error('expected a rule in the sample');
    const hostile = { reference: 'message “<img src=x onerror=alert(1)>”', summary: 'Someone wrote.', private: false, actions: 'nudge sent to <b>Tom</b>' };
    const message = renderTemplate('digest', { ...data, digest: { ...data.digest, rules: [{ ...first, items: [hostile] }, ...rest] } });
    expect(message.html).not.toContain('<img');
    expect(message.html).toContain('&lt;img src');
    expect(message.html).toContain('nudge sent to &lt;b&gt;Tom&lt;/b&gt;');
  });

  it('the digest says so when a section is empty', () => {
    const data = sampleData('digest');
    if (!('digest' in data)) throw new Error('expected digest data');
    const empty = {
      ...data,
      digest: { ...data.digest, rules: [], needsHuman: [], awaitingAuthorisation: [], upcomingMeetings: [], election: null, sources: [] },
    };
    const message = renderTemplate('digest', empty);
    expect(message.text).toContain('Nothing to report');
    expect(message.text).toContain('No officer is waiting');
    expect(message.text).toContain('No election is listed');
    expect(message.html).toContain('<p>Nothing to report: no rule found anything.</p>');
    expect(message.html).not.toContain('<h3');
  });

  it('checkTemplates finds nothing wrong with the built-in templates', () => {
    expect(checkTemplates()).toEqual([]);
  });
});

describe('untrusted values', () => {
  const hostile = [
    '<script>alert(1)</script>',
    '"><img src=x onerror=alert(1)>',
    'Re: hello\r\nBcc: everyone@evil.example',
  ];

  it.each(hostile)('escapes %j in the HTML part', (subject) => {
    const { html } = renderTemplate('no-blind-copies', withSubject(subject));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/"><img/);
    expect(html).not.toMatch(/\r|\nBcc:/);
  });

  it('shows the escaped form in HTML and the literal form in the text part', () => {
    const message = renderTemplate('no-blind-copies', withSubject('<script>alert(1)</script>'));
    expect(message.html).toContain('<p>This is a short note about your message “&lt;script&gt;alert(1)&lt;/script&gt;” of');
    expect(message.text).toContain('“<script>alert(1)</script>”');
    expect(message.text).not.toContain('&lt;');

    const quoteAttack = renderTemplate('no-blind-copies', withSubject('"><img src=x onerror=alert(1)>'));
    expect(quoteAttack.html).toContain('your message “&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;” of');
    expect(quoteAttack.text).toContain('"><img src=x onerror=alert(1)>');
  });

  it('cannot inject a header through the subject line', () => {
    const message = renderTemplate('no-blind-copies', withSubject('Re: hello\r\nBcc: everyone@evil.example'));
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.subject).toContain('Re: hello Bcc: everyone@evil.example');
    expect(message.text).not.toMatch(/\r/);
    expect(message.text.split('\n').some((line) => line.startsWith('Bcc:'))).toBe(false);
    expect(message.text).toContain('“Re: hello Bcc: everyone@evil.example”');
  });

  it('removes control characters and bidirectional overrides from every value', () => {
    const message = renderTemplate('no-blind-copies', withSubject('Invoice\u0000\u0007 \u202Egpj.exe\u001B[31m'));
    for (const part of [message.subject, message.text, message.html]) {
      expect(part).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u202E]/);
    }
    expect(message.text).toContain('Invoice gpj.exe[31m');
  });

  it('cuts a long subject to 200 characters', () => {
    const message = renderTemplate('no-blind-copies', withSubject('x'.repeat(500)));
    expect(Array.from(message.subject)).toHaveLength(200);
    expect(message.subject.endsWith('…')).toBe(true);
    // the text part keeps the whole value
    expect(message.text).toContain('x'.repeat(500));
  });

  it('finishSubject and singleLine keep one line', () => {
    expect(finishSubject('  a\r\n\r\nb\u2028c  ')).toBe('a b c');
    expect(finishSubject('é'.repeat(199) + '😀😀')).toBe('é'.repeat(199) + '…');
    expect(singleLine('one\ntwo\tthree\u0085four')).toBe('one two three four');
  });
});

describe('errors', () => {
  it('rejects an unknown template name, suggesting the nearest', () => {
    const data = sampleData('digest');
    expect(() => renderTemplate('digset', data)).toThrow(TemplateError);
    expect(() => renderTemplate('digset', data)).toThrow(/no template named "digset" — did you mean "digest"\?/);
  });

  it('reports incomplete data, naming the field', () => {
    const data = nudgeSample('no-blind-copies');
    const { clauseText: _dropped, ...finding } = data.finding;
    const broken = { ...data, finding } as unknown as NudgeData;
    expect(() => renderTemplate('no-blind-copies', broken)).toThrow(/finding\.clauseText/);
  });

  it('refuses data meant for another template', () => {
    expect(() => renderTemplate('digest', nudgeSample('no-blind-copies'))).toThrow(/digest/);
  });

  it('strict mode: a field missing from the data at render time is an error naming the file and line', () => {
    const dir = tempDir();
    // `{{item.subject.first}}` passes the sample check only if the sample has it; a string has no fields,
    // so the check reports it with the line.
    writeFileSync(path.join(dir, 'state-capacity.hbs'), 'Subject: Hello\n--- text ---\nDear {{recipient.name}}\n{{item.subject.first}}\n--- html ---\n<p>x</p>\n');
    expect(() => renderTemplate('state-capacity', nudgeSample('state-capacity'), { overrideDir: dir })).toThrow(
      /state-capacity\.hbs:4: \{\{item\.subject\.first\}\}: there is no field "first"/,
    );
  });

  it('strict mode: a field the sample data cannot vouch for is still refused at render time', () => {
    const dir = tempDir();
    // The sample message has no location (null), so the load-time check cannot look inside {{#with item.location}};
    // with a real location, Handlebars' strict mode refuses the unknown field instead of printing nothing.
    writeFileSync(
      path.join(dir, 'no-blind-copies.hbs'),
      'Subject: Hello\n--- text ---\nDear {{recipient.name}}\n{{#with item.location}}{{nonexistent}}{{/with}}\n--- html ---\n<p>x</p>\n',
    );
    const data = nudgeSample('no-blind-copies');
    expect(data.item.location).toBeNull();
    expect(renderTemplate('no-blind-copies', data, { overrideDir: dir }).text).toContain('Dear Cllr Tom Brown');
    const located = { ...data, item: { ...data.item, location: 'Town Hall' } };
    expect(() => renderTemplate('no-blind-copies', located, { overrideDir: dir })).toThrow(/no-blind-copies\.hbs: the field "nonexistent" is not part of this template's data/);
  });

  it('recompiles a template after the file changes', () => {
    const dir = tempDir();
    const file = path.join(dir, 'state-capacity.hbs');
    writeFileSync(file, 'Subject: First version\n--- text ---\nOne {{recipient.name}}\n--- html ---\n<p>One</p>\n');
    const data = nudgeSample('state-capacity');
    expect(renderTemplate('state-capacity', data, { overrideDir: dir }).subject).toBe('First version');
    writeFileSync(file, 'Subject: Second, longer version\n--- text ---\nTwo {{recipient.name}}\n--- html ---\n<p>Two</p>\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect(renderTemplate('state-capacity', data, { overrideDir: dir }).subject).toBe('Second, longer version');
  });

  it('every template name has sample data that the rule templates share', () => {
    for (const name of TEMPLATE_NAMES) {
      const data = sampleData(name);
      if (isRuleTemplateName(name)) expect('finding' in data && data.finding.rule).toBe(name);
    }
  });
});
