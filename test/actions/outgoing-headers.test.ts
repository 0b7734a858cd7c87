/**
 * Every message Wardwatch sends says it was generated automatically (RFC 3834 Auto-Submitted), so
 * autoresponders leave it alone; one about a message threads with it (In-Reply-To, References);
 * one about an event, a day or the digest threads with nothing. Checked on the bytes written by
 * the file sender and composed for SMTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { invitationMessage } from '../../connectors/imap/imip.js';
import { composeMessage, mailOptionsFor } from '../../src/mime/compose.js';
import { digestKey } from '../../src/digest/send.js';
import { headlineOf } from '../../src/items/headline.js';
import { effectHeaders, MAX_REFERENCES, threadingIdOf, threadOf } from '../../src/outbox/idempotency.js';
import type { OutgoingMessage } from '../../src/sources/types.js';
import { A, event } from '../support/council.js';
import { ActionBench, rawMail } from './harness.js';

const FRIDAY_MORNING = '2026-11-20T10:00:00.000Z';

let bench: ActionBench | undefined;
afterEach(async () => {
  await bench?.dispose();
  bench = undefined;
});

/** The value of a header in raw CRLF message bytes (unfolded), or undefined. */
function header(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  const unfolded = head.replace(/\r\n[ \t]+/g, ' ');
  const line = unfolded.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** Cllr Alice Green's request to Sam, in reply to a thread of `earlier` messages. */
function requestInThread(earlier: number): Buffer {
  const refs = Array.from({ length: earlier }, (_, i) => `<thread-${i + 1}@millbrook-tc.gov.uk>`);
  return rawMail({
    messageId: '<req-7@millbrook-tc.gov.uk>',
    from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>',
    to: ['Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    subject: 'Re: Castle Street bins',
    body: 'Hi Sam,\n\nThe bins on Castle Street were missed again on Monday. Could you arrange an extra collection this week and let the residents know?\n\nThanks,\nAlice',
    extraHeaders: refs.length > 0 ? [`In-Reply-To: ${refs[refs.length - 1] ?? ''}`, `References: ${refs.join(' ')}`] : [],
  });
}

describe('messages about a message', () => {
  it('the nudge, the routed copy and its cover note carry Auto-Submitted, In-Reply-To and References', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    const { findings } = await bench.recordMail(requestInThread(2), { mailbox: A.alice, folder: 'sent' });
    expect(findings.map((f) => f.rule)).toEqual(['requests-via-clerk']);
    await bench.run();
    const written = await bench.written();
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const w of written) {
      expect(header(w.raw, 'Auto-Submitted')).toBe('auto-generated');
      expect(header(w.raw, 'In-Reply-To')).toBe('<req-7@millbrook-tc.gov.uk>');
      expect(header(w.raw, 'References')).toBe('<thread-1@millbrook-tc.gov.uk> <thread-2@millbrook-tc.gov.uk> <req-7@millbrook-tc.gov.uk>');
    }
  });

  it('keeps References short in a long thread: the first and the latest, then the message itself', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(requestInThread(40), { mailbox: A.alice, folder: 'sent' });
    await bench.run();
    const [w] = await bench.written();
    const refs = (header(w?.raw ?? '', 'References') ?? '').split(/\s+/);
    expect(refs).toHaveLength(MAX_REFERENCES);
    expect(refs[0]).toBe('<thread-1@millbrook-tc.gov.uk>');
    expect(refs.slice(-2)).toEqual(['<thread-40@millbrook-tc.gov.uk>', '<req-7@millbrook-tc.gov.uk>']);
  });

  it('a message with no References of its own is still replied to', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    // Saved before headlines kept references: the Message-ID alone.
    await bench.recordMail(requestInThread(0), { mailbox: A.alice, folder: 'sent' }, { withoutHeadline: true });
    await bench.run();
    const [w] = await bench.written();
    expect(header(w?.raw ?? '', 'In-Reply-To')).toBe('<req-7@millbrook-tc.gov.uk>');
    expect(header(w?.raw ?? '', 'References')).toBe('<req-7@millbrook-tc.gov.uk>');
  });

  it('the headline keeps the message’s references, trimmed', () => {
    const references = Array.from({ length: 25 }, (_, i) => `<r${i}@x.org>`);
    const headline = headlineOf({ subject: 's', from: [], to: [], cc: [], references });
    expect(headline.references?.[0]).toBe('<r0@x.org>');
    expect(headline.references?.at(-1)).toBe('<r24@x.org>');
    expect(headline.references?.length).toBeLessThanOrEqual(MAX_REFERENCES);
  });
});

describe('messages about no message', () => {
  it('an invitation to an event carries Auto-Submitted and no threading headers', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordEvent(
      event({
        uid: 'parking-2026@millbrook-tc.gov.uk',
        calendarId: 'council-events',
        organizer: A.sam,
        summary: 'Public meeting: parking and deliveries in Market Square',
        location: 'Millbrook Library, Castle Street, MB1 2AB',
        start: '2026-12-03T19:00:00.000Z',
        attendees: [A.tom, A.resident],
      }),
    );
    await bench.run();
    const written = await bench.written();
    expect(written.length).toBeGreaterThan(0);
    for (const w of written) {
      expect(header(w.raw, 'Auto-Submitted')).toBe('auto-generated');
      expect(header(w.raw, 'In-Reply-To')).toBeUndefined();
      expect(header(w.raw, 'References')).toBeUndefined();
    }
  });

  it('the digest’s headers say auto-generated and thread with nothing', () => {
    const headers = effectHeaders(digestKey('2026-11-20'));
    expect(headers).toEqual({ 'X-Wardwatch-Key': 'digest;2026-11-20', 'Auto-Submitted': 'auto-generated' });
  });

  it('the CalDAV connector’s iMIP invitation says auto-generated', async () => {
    const message = invitationMessage(
      { serviceAddress: A.service, councilName: 'Millbrook Town Council', timeZone: 'Europe/London' },
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook//EN', 'BEGIN:VEVENT', 'UID:u1@millbrook-tc.gov.uk', 'DTSTAMP:20261120T100000Z', 'DTSTART:20261203T190000Z', 'SUMMARY:Meeting', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'),
      { uid: 'u1@millbrook-tc.gov.uk' },
      { address: A.alice },
      { uid: 'u1@millbrook-tc.gov.uk', summary: 'Meeting', location: '', start: '2026-12-03T19:00:00.000Z', attendees: [], sequence: 0 },
    );
    expect(header((await composeMessage(message)).toString('utf8'), 'Auto-Submitted')).toBe('auto-generated');
  });
});

describe('the composers', () => {
  const base: OutgoingMessage = {
    from: { address: A.service, name: 'Millbrook Town Council protocol' },
    to: [{ address: A.alice }],
    subject: 'A reminder',
    text: 'Hello.\n',
    messageId: '<ww-1@millbrook-tc.gov.uk>',
    headers: effectHeaders('ww1;no-blind-copies;<m@x.org>;alice.green@millbrook-tc.gov.uk;nudge', threadOf('<m@x.org>', ['<p@x.org>'])),
  };

  it('the one composer writes Auto-Submitted and the threading headers, whether it dates the message or not', async () => {
    for (const raw of [(await composeMessage(base)).toString('utf8'), (await composeMessage(base, { date: new Date('2026-11-20T10:00:00Z') })).toString('utf8')]) {
      expect(header(raw, 'Auto-Submitted')).toBe('auto-generated');
      expect(header(raw, 'In-Reply-To')).toBe('<m@x.org>');
      expect(header(raw, 'References')).toBe('<p@x.org> <m@x.org>');
    }
  });

  it('adds Auto-Submitted to a message built without it, and never twice', () => {
    const bare = mailOptionsFor({ ...base, headers: { 'X-Wardwatch-Key': 'k' } });
    expect(bare.headers).toEqual({ 'X-Wardwatch-Key': 'k', 'Auto-Submitted': 'auto-generated' });
    const given = mailOptionsFor({ ...base, headers: { 'X-Wardwatch-Key': 'k', 'auto-submitted': 'auto-replied' } });
    expect(given.headers).toEqual({ 'X-Wardwatch-Key': 'k', 'auto-submitted': 'auto-replied' });
  });
});

describe('which item keys thread', () => {
  it.each([
    ['<m@x.org>', '<m@x.org>'],
    ['<m@x.org>#3f2a9c01b7de', '<m@x.org>'],
    ['<0123abcd@wardwatch.invalid>', undefined],
    ['parking-2026@millbrook-tc.gov.uk', undefined],
    ['parking-2026@millbrook-tc.gov.uk#2026-12-03T19:00:00.000Z', undefined],
    ['topic:castle-street-bins', undefined],
    ['2026-11-20', undefined],
  ])('%s → %s', (key, expected) => {
    expect(threadingIdOf(key)).toBe(expected);
  });
});
