import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSender } from '../../src/actions/file-sender.js';
import { calendarName, looksAllDay, splitEventKey, type ItemDetails } from '../../src/actions/item-context.js';
import { MessageBuilder, recipientFor, serviceSender, templateNameFor, type FindingContext } from '../../src/actions/messages.js';
import type { Finding } from '../../src/engine/types.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import { A, calendars, council, directory } from '../support/council.js';

const finding: Finding = {
  rule: 'no-blind-copies',
  severity: 'warning',
  clauses: ['12.1'],
  item: { kind: 'mail', key: '<m1@millbrook-tc.gov.uk>' },
  people: [A.alice, A.raj, A.sam],
  summary: 'Cllr Alice Green blind-copied Cllr Raj Mehta into correspondence with Sam Patel.',
  actions: [{ kind: 'nudge', to: [A.alice], template: 'no-blind-copies' }],
  why: [{ kind: 'fact', text: 'Cllr Raj Mehta received the message as a blind copy (Bcc)' }],
  messageId: 'blindCopy',
  targets: { offender: A.alice },
};

function details(subject: string): ItemDetails {
  return {
    data: { kind: 'mail', isEvent: false, subject, date: 'Friday 20 November 2026 at 09:30', start: null, location: null, calendar: null, from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>' },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-messages-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('MessageBuilder', () => {
  it('writes a one-line subject and escaped HTML whatever the item subject holds', async () => {
    const builder = new MessageBuilder({ config: council, directory });
    const fc: FindingContext = { finding, details: details('Bins\r\nBcc: everyone@example.com\nX-Injected: yes <img src=x onerror=alert(1)>') };
    const recipient = recipientFor(directory, A.alice);
    const rendered = builder.render('no-blind-copies', builder.base(fc, recipient));
    expect(rendered.subject).not.toMatch(/[\r\n]/);
    const message = builder.outgoing(rendered, recipient, { messageId: '<ww-1@millbrook-tc.gov.uk>', key: 'ww1;no-blind-copies;<m1@millbrook-tc.gov.uk>;alice.green@millbrook-tc.gov.uk;nudge' });
    const sender = new FileSender(dir);
    await sender.send(message);
    const raw = readFileSync(sender.pathFor(message.messageId), 'utf8');
    const parsed = await simpleParser(raw);
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('x-injected')).toBe(false);
    expect(raw).not.toMatch(/^(Bcc|X-Injected):/im);
    expect(parsed.subject).toContain('Bins Bcc: everyone@example.com X-Injected: yes');
    expect(parsed.html).not.toContain('<img');
    expect(parsed.html).toContain('&lt;img src');
    expect(parsed.headers.get('x-wardwatch-key')).toBe('ww1;no-blind-copies;<m1@millbrook-tc.gov.uk>;alice.green@millbrook-tc.gov.uk;nudge');
  });

  it("uses the Clerk's own template when the override folder has one", () => {
    const overrides = path.join(dir, 'templates');
    mkdirSync(overrides);
    const builtin = readFileSync(path.resolve('templates/no-blind-copies.hbs'), 'utf8');
    writeFileSync(path.join(overrides, 'no-blind-copies.hbs'), builtin.replace(/^Subject: .*$/m, 'Subject: From the Clerk: {{item.subject}}'));
    const builder = new MessageBuilder({ config: council, directory, templatesDir: overrides });
    const fc: FindingContext = { finding, details: details('Castle Street bins') };
    const rendered = builder.render('no-blind-copies', builder.base(fc, recipientFor(directory, A.alice)));
    expect(rendered.subject).toBe('From the Clerk: Castle Street bins');
  });

  it('cites the council protocol by its profile title when given one', () => {
    const builder = new MessageBuilder({ config: council, directory, protocolTitle: 'the Millbrook Member/Officer Protocol' });
    const data = builder.base({ finding, details: details('x') }, recipientFor(directory, A.alice));
    expect(data.finding.clauseText).toBe('paragraph 12.1 of the Millbrook Member/Officer Protocol');
  });

  it('makes a broken or unknown template a permanent error', () => {
    const overrides = path.join(dir, 'broken');
    mkdirSync(overrides);
    writeFileSync(path.join(overrides, 'no-blind-copies.hbs'), 'Subject: {{#if item.subject}}\n--- text ---\nx\n--- html ---\nx\n');
    const builder = new MessageBuilder({ config: council, directory, templatesDir: overrides });
    const data = builder.base({ finding, details: details('x') }, recipientFor(directory, A.alice));
    expect(() => builder.render('no-blind-copies', data)).toThrow(PermanentEffectError);
    expect(() => builder.render('no-such-template', data)).toThrow(/There is no message template named "no-such-template"/);
  });
});

describe('recipients and names', () => {
  it('names a recipient from the directory, and refuses an address mail cannot go to', () => {
    expect(recipientFor(directory, 'Alice.Green@Millbrook-TC.gov.uk')).toEqual({ name: 'Cllr Alice Green', address: A.alice });
    expect(recipientFor(directory, A.resident)).toEqual({ name: A.resident, address: A.resident });
    expect(() => recipientFor(directory, '')).toThrow(PermanentEffectError);
    expect(() => recipientFor(directory, 'not an address')).toThrow(/not a valid e-mail address/);
  });

  it('sends from the service address as "<Council> protocol"', () => {
    expect(serviceSender(council)).toEqual({ address: A.service, name: 'Millbrook Town Council protocol' });
  });

  it("maps the outbox's daily-summary to the nudge-summary template", () => {
    expect(templateNameFor('daily-summary', 'daily-summary')).toBe('nudge-summary');
    expect(templateNameFor('no-blind-copies', 'no-blind-copies')).toBe('no-blind-copies');
    expect(templateNameFor(undefined, 'no-blind-copies')).toBeUndefined();
  });
});

describe('item context helpers', () => {
  it('splits an occurrence key into UID and RECURRENCE-ID, leaving other keys whole', () => {
    expect(splitEventKey('abc@x#2027-03-01T10:00:00.000Z')).toEqual({ uid: 'abc@x', recurrenceId: '2027-03-01T10:00:00.000Z' });
    expect(splitEventKey('abc@x')).toEqual({ uid: 'abc@x' });
    expect(splitEventKey('room#12@x')).toEqual({ uid: 'room#12@x' });
  });

  it('recognises an all-day event from midnight to midnight in the council timezone', () => {
    expect(looksAllDay('2026-06-30T23:00:00.000Z', '2026-07-01T23:00:00.000Z', 'Europe/London')).toBe(true);
    expect(looksAllDay('2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z', 'Europe/London')).toBe(true);
    expect(looksAllDay('2026-12-03T19:00:00.000Z', '2026-12-03T21:00:00.000Z', 'Europe/London')).toBe(false);
  });

  it('names a calendar by its configured name, else its id in words', () => {
    expect(calendarName(calendars, 'council-chamber')).toBe('Council Chamber');
    expect(calendarName(new Map([['x', { id: 'x', role: 'room', name: 'The Old Court Room' }]]), 'x')).toBe('The Old Court Room');
  });
});
