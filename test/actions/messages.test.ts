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
import { buildDigest } from '../../src/digest/build.js';
import type { EventItem } from '../../src/items/types.js';
import { A, calendars, council, directory, event } from '../support/council.js';
import { ActionBench } from './harness.js';

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

describe('a recurring event is named by the occurrence concerned', () => {
  let bench: ActionBench | undefined;
  afterEach(async () => await bench?.dispose());

  /** A monthly ward surgery: only its 20 April occurrence falls in the pre-election period (from 31 March 2027). */
  function monthlySurgery(): EventItem {
    const base = event({
      uid: 'castle-surgery-monthly@millbrook-tc.gov.uk',
      calendarId: 'alice-green',
      organizer: A.alice,
      summary: 'Castle ward surgery',
      location: 'Castle Street Library',
      start: '2027-02-20T10:00:00.000Z',
    });
    const starts = ['2027-02-20T10:00:00.000Z', '2027-03-20T10:00:00.000Z', '2027-04-20T09:00:00.000Z', '2027-05-20T09:00:00.000Z', '2027-06-20T09:00:00.000Z'];
    return {
      ...base,
      recurring: true,
      occurrences: starts.map((s) => ({ start: s, end: new Date(Date.parse(s) + 2 * 3600_000).toISOString(), recurrenceId: s })),
    };
  }

  it('gives the same date in check’s summary, the message and the digest, and says only that occurrence must move', async () => {
    bench = new ActionBench({ now: '2027-04-12T09:00:00.000Z' });
    const { findings } = await bench.recordEvent(monthlySurgery());
    const finding = findings.find((f) => f.rule === 'no-ward-meetings-before-elections');
    const DATE = 'Tuesday 20 April 2027 at 10:00';
    // check's report and JSON carry the finding's summary.
    expect(finding?.summary).toContain(`on ${DATE} (one occurrence of a recurring series: only that occurrence needs to move)`);
    expect(finding?.targets.occurrence?.start).toBe('2027-04-20T09:00:00.000Z');
    await bench.run();
    const warning = await bench.writtenWithId((await bench.effect('warn', A.alice)).messageId);
    expect(warning.mail.text).toContain(`This is a short note about “Castle ward surgery” on ${DATE}.`);
    expect(warning.mail.text).not.toContain('20 February 2027');
    const clerk = await bench.writtenWithId((await bench.effect('notify-clerk', A.clerk)).messageId);
    expect(clerk.mail.text).toContain(`the event “Castle ward surgery” on ${DATE}`);
    const digest = await buildDigest({ store: bench.store, engine: bench.engine, config: bench.config }, { date: '2027-04-13', until: '2027-04-13T06:30:00.000Z' });
    const item = digest.sections.rules.find((r) => r.rule === 'no-ward-meetings-before-elections')?.items[0];
    expect(item?.reference).toBe(`event “Castle ward surgery”, ${DATE}`);
    expect(item?.summary).toContain(`on ${DATE} (one occurrence`);
  });

  it('a finding on a whole series (a weekly party group) names its next occurrence, in the summary and the message alike', async () => {
    bench = new ActionBench({ now: '2026-12-01T09:00:00.000Z' });
    const base = event({
      uid: 'labour-weekly@millbrook-tc.gov.uk',
      calendarId: 'raj-mehta',
      organizer: A.raj,
      summary: 'Labour Group weekly meeting',
      start: '2025-12-02T18:00:00.000Z',
      attendees: [A.raj, A.sam],
    });
    const starts = ['2025-12-02T18:00:00.000Z', '2026-11-24T18:00:00.000Z', '2026-12-01T18:00:00.000Z', '2026-12-08T18:00:00.000Z'];
    const series: EventItem = {
      ...base,
      recurring: true,
      occurrences: starts.map((st) => ({ start: st, end: new Date(Date.parse(st) + 3600_000).toISOString(), recurrenceId: st })),
    };
    const { findings } = await bench.recordEvent(series);
    const finding = findings.find((f) => f.rule === 'party-group-attendance-authorised');
    const DATE = 'Tuesday 1 December 2026 at 18:00';
    expect(finding?.summary).toContain(`on ${DATE} (the next occurrence of a recurring series)`);
    await bench.run();
    const request = await bench.writtenWithId((await bench.effect('notify-clerk', A.clerk)).messageId);
    expect(request.mail.text).toContain(`“Labour Group weekly meeting” on ${DATE}`);
    expect(request.mail.text).not.toContain('2025');
    // The digest lists it as awaiting authorisation, for the same occurrence.
    const digest = await buildDigest({ store: bench.store, engine: bench.engine, config: bench.config }, { date: '2026-12-01', until: '2026-12-01T09:30:00.000Z' });
    expect(digest.sections.awaitingAuthorisation).toEqual([
      { officer: 'Sam Patel', meeting: 'Labour Group weekly meeting', date: DATE, organiser: 'Cllr Raj Mehta' },
    ]);
  });

  it('says the whole series must move when several occurrences fall in the period', async () => {
    bench = new ActionBench({ now: '2027-04-12T09:00:00.000Z' });
    const weekly = monthlySurgery();
    const starts = ['2027-04-14T17:00:00.000Z', '2027-04-21T17:00:00.000Z', '2027-04-28T17:00:00.000Z'];
    const series = { ...weekly, occurrences: starts.map((s) => ({ start: s, end: new Date(Date.parse(s) + 3600_000).toISOString(), recurrenceId: s })) };
    const { findings } = await bench.recordEvent(series);
    const summary = findings.find((f) => f.rule === 'no-ward-meetings-before-elections')?.summary ?? '';
    expect(summary).toContain('on Wednesday 14 April 2027 at 18:00 (the first of 3 occurrences of a recurring series inside the period');
    expect(summary).toContain('the series needs to move or pause until after polling day');
  });
});
