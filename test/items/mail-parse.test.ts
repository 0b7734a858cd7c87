import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_TEXT_CHARS, messageIds, notMailReason, parseDateHeader, parseMail } from '../../src/items/mail-parse.js';
import { SENT_COPY_DETAIL } from '../../src/items/mail-merge.js';
import type { MailCopy } from '../../src/items/types.js';
import { A } from '../support/council.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url));
const inbox = (mailbox: string): MailCopy => ({ mailbox, folder: 'inbox', origin: `test:${mailbox}` });
const sent = (mailbox: string): MailCopy => ({ mailbox, folder: 'sent', origin: `test:${mailbox}:sent` });
const raw = (...lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

describe('parseMail: an officer’s sent copy with a blind copy to a councillor', () => {
  it('reads every address header, lower-casing addresses and keeping display names', async () => {
    const item = await parseMail(fixture('sent-bcc.eml'), sent(A.sam));
    expect(item.kind).toBe('mail');
    expect(item.from).toEqual([{ address: A.sam, name: 'Sam Patel' }]);
    expect(item.to).toEqual([{ address: A.tom, name: 'Cllr Tom Brown' }]);
    expect(item.cc).toEqual([]);
    expect(item.bcc).toEqual([{ address: A.alice, name: 'Cllr Alice Green' }]);
    expect(item.replyTo).toEqual([]);
  });

  it('keeps the Message-ID, threading headers and date in UTC', async () => {
    const item = await parseMail(fixture('sent-bcc.eml'), sent(A.sam));
    expect(item.key).toBe('<DB9PR03MB74671F2C4A8E9B0D5E3A11C7D9A52@DB9PR03MB7467.eurprd03.prod.outlook.com>');
    expect(item.syntheticKey).toBe(false);
    expect(item.inReplyTo).toBe('<CAK7d2QxP0m1aWn8hT4v@mail.millbrook-tc.gov.uk>');
    expect(item.references).toEqual([
      '<CAK7d2QxOq9fRt3LwZ1k@mail.millbrook-tc.gov.uk>',
      '<CAK7d2QxP0m1aWn8hT4v@mail.millbrook-tc.gov.uk>',
    ]);
    expect(item.date).toBe('2026-11-18T10:15:03.000Z');
    expect(item.subject).toBe('Castle Street parking review - your question');
  });

  it('decodes quoted-printable text, prefers Importance over X-Priority, and hashes the raw source', async () => {
    const source = fixture('sent-bcc.eml');
    const item = await parseMail(source, sent(A.sam));
    expect(item.text).toContain('The consultation closes on 4 December and the results will go to the Planning Committee');
    expect(item.importance).toBe('high');
    expect(item.contentHash).toBe(createHash('sha256').update(source).digest('hex'));
    expect(item.copies).toEqual([sent(A.sam)]);
    expect(item.sensitivity).toBe('normal');
    expect(item.hasForwardedContent).toBe(false);
  });

  it('treats the sender’s own Sent copy as authentic, and another mailbox’s Sent folder as not proving it', async () => {
    const own = await parseMail(fixture('sent-bcc.eml'), sent(A.sam));
    expect(own.authentication).toEqual({ failed: false, detail: SENT_COPY_DETAIL, trustedPass: true });
    const other = await parseMail(fixture('sent-bcc.eml'), sent(A.tom));
    expect(other.authentication.detail).not.toBe(SENT_COPY_DETAIL);
  });
});

describe('parseMail: forwarded content', () => {
  it('finds the member behind an Outlook From:/Sent: block, and not a prose line starting "From"', async () => {
    const item = await parseMail(fixture('outlook-forward.eml'), inbox(A.sue));
    expect(item.forwardedAuthors).toEqual([{ address: A.raj, name: 'Mehta, Raj (Cllr)' }]);
    expect(item.hasForwardedContent).toBe(true);
    expect(item.text).toContain('Could you please chase the highways authority');
  });

  it('finds the resident behind a Gmail forwarded-message block, and reads Gmail labels', async () => {
    const item = await parseMail(fixture('gmail-forward.eml'), inbox(A.dan));
    expect(item.forwardedAuthors).toEqual([{ address: A.resident, name: 'Jane Smith' }]);
    expect(item.hasForwardedContent).toBe(true);
    expect(item.labels).toEqual(['Important', 'Northfield', 'Street lighting']);
    expect(item.authentication).toMatchObject({ failed: false, spf: 'pass', dkim: 'pass', dmarc: 'pass' });
  });

  it('reads the author of an attached message/rfc822 and lists attachments without their content', async () => {
    const item = await parseMail(fixture('attached-message.eml'), inbox(A.raj));
    expect(item.forwardedAuthors).toEqual([{ address: A.ben, name: 'Cllr Ben Hughes' }]);
    expect(item.hasForwardedContent).toBe(true);
    expect(item.attachments).toEqual([
      { filename: 'Northfield Community Centre lease.eml', contentType: 'message/rfc822', size: expect.any(Number) },
      { filename: 'lease-summary.pdf', contentType: 'application/pdf', size: 116 },
    ]);
    for (const attachment of item.attachments) expect(Object.keys(attachment).sort()).toEqual(['contentType', 'filename', 'size']);
    // The attached message's words are not the sender's: they stay out of the text.
    expect(item.text).not.toContain('lease on the Northfield Community Centre runs out');
  });

  it('says a message with a Fw: subject carries forwarded content even when no author can be read', async () => {
    const item = await parseMail(
      raw('From: sam.patel@millbrook-tc.gov.uk', 'To: tom.brown@millbrook-tc.gov.uk', 'Subject: FW: room booking', '', 'See below.'),
      inbox(A.tom),
    );
    expect(item.hasForwardedContent).toBe(true);
    expect(item.forwardedAuthors).toEqual([]);
  });

  it('finds a forwarded author in a message that only has HTML', async () => {
    const html = [
      'From: Sam Patel <sam.patel@millbrook-tc.gov.uk>',
      'To: ben.hughes@millbrook-tc.gov.uk',
      'Subject: Fwd: bins',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<div>Ben, see below.</div><div>---------- Forwarded message ---------<br>From: <strong>Raj Mehta</strong> &lt;<a href="mailto:raj.mehta@millbrook-tc.gov.uk">raj.mehta@millbrook-tc.gov.uk</a>&gt;<br>Date: Mon, 8 Mar 2027 at 18:02<br>Subject: bins</div>',
    ];
    const item = await parseMail(raw(...html), inbox(A.ben));
    expect(item.forwardedAuthors).toEqual([{ address: A.raj, name: 'Raj Mehta' }]);
  });
});

describe('parseMail: text from HTML', () => {
  it('converts an HTML-only message to plain text without markup, scripts or inlined images', async () => {
    const item = await parseMail(fixture('html-only.eml'), inbox(A.clerk));
    expect(item.text).toContain('Dear Mrs Ashworth,');
    expect(item.text).toContain('Please find our invoice for Riverside Park grounds maintenance – January 2027.');
    expect(item.text).toMatch(/Amount due\s+£1,240\.00/);
    expect(item.text).toContain('Write to accounts@greenway-landscapes.co.uk.');
    expect(item.text).not.toMatch(/<p>|alert|color: #333|data:image|\[mailto:/);
    expect(item.attachments).toEqual([{ filename: 'logo.png', contentType: 'image/png', size: 70 }]);
  });

  it('keeps at most MAX_TEXT_CHARS characters of a very long text', async () => {
    const body = 'Millbrook '.repeat(40_000);
    const item = await parseMail(raw('From: a@example.com', 'Subject: long', '', body), inbox(A.clerk));
    expect(body.length).toBeGreaterThan(MAX_TEXT_CHARS);
    expect(item.text.length).toBe(MAX_TEXT_CHARS);
  });
});

describe('parseMail: sensitivity, importance and labels', () => {
  it('reads Sensitivity: Company-Confidential and every keyword header', async () => {
    const item = await parseMail(fixture('confidential.eml'), inbox(A.sam));
    expect(item.sensitivity).toBe('confidential');
    expect(item.labels).toEqual(['Staffing', 'HR', 'Castle', '$Forwarded', 'Staff Committee']);
    expect(item.to).toEqual([{ address: 'advice@hartley-solicitors.co.uk', name: 'Legal Services' }]);
  });

  it.each([
    ['Sensitivity: private', 'private'],
    ['Sensitivity: PERSONAL', 'personal'],
    ['X-Sensitivity: company-confidential', 'confidential'],
    ['Sensitivity: Normal', 'normal'],
    ['Sensitivity: top secret', 'normal'],
  ] as const)('%s → %s', async (header, expected) => {
    const item = await parseMail(raw('From: a@example.com', header, 'Subject: s', '', 'x'), inbox(A.clerk));
    expect(item.sensitivity).toBe(expected);
  });

  it.each([
    ['X-Priority: 1 (Highest)', 'high'],
    ['X-Priority: 5', 'low'],
    ['X-Priority: 3 (Normal)', 'normal'],
    ['Priority: urgent', 'high'],
    ['X-MSMail-Priority: Low', 'low'],
    ['Importance: LOW', 'low'],
  ] as const)('%s → importance %s', async (header, expected) => {
    const item = await parseMail(raw('From: a@example.com', header, 'Subject: s', '', 'x'), inbox(A.clerk));
    expect(item.importance).toBe(expected);
  });
});

describe('parseMail: authentication', () => {
  it('flags a spoofed "Clerk" whose DMARC failed, believing the topmost header over a forged one below', async () => {
    const item = await parseMail(fixture('dmarc-fail.eml'), inbox(A.priya));
    expect(item.authentication.failed).toBe(true);
    expect(item.authentication.dmarc).toBe('fail');
    expect(item.authentication.detail).toBe('DMARC failed for millbrook-tc.gov.uk (header.from)');
    expect(item.importance).toBe('high');
    expect(item.replyTo).toEqual([{ address: 'helen.ashworth.clerk@outlook-mail.example' }]);
  });

  it('believes only the trusted receiving servers when asked to', async () => {
    const source = raw(
      'Authentication-Results: relay.example.net; dmarc=fail header.from=millbrook-tc.gov.uk',
      'Authentication-Results: mx.millbrook-tc.gov.uk; dmarc=pass header.from=millbrook-tc.gov.uk',
      'From: clerk@millbrook-tc.gov.uk',
      'Subject: s',
      '',
      'x',
    );
    expect((await parseMail(source, inbox(A.sam))).authentication.failed).toBe(true);
    const trusted = await parseMail(source, inbox(A.sam), { trustedAuthservIds: ['mx.millbrook-tc.gov.uk'] });
    expect(trusted.authentication).toMatchObject({ failed: false, dmarc: 'pass' });
  });
});

describe('parseMail: missing and malformed headers', () => {
  it('reads a message with a NUL in a header as text, cleaning only the header values', async () => {
    const item = await parseMail(
      raw('From: Cllr Tom Brown <tom.brown@mill\u0000brook-tc.gov.uk>', 'To: sam.patel@millbrook-tc.gov.uk', 'Subject: Potholes on\u0000 Castle Street', 'X-Mailer: Broken\u0000Mailer 1.0', '', 'Could you please arrange for the potholes to be filled?'),
      sent(A.tom),
    );
    expect(item.subject).toBe('Potholes on Castle Street');
    expect(item.from).toEqual([{ address: A.tom, name: 'Cllr Tom Brown' }]);
    expect(item.text).toContain('Could you please arrange');
    expect(item.authentication.trustedPass).toBe(true);
  });

  it('still turns away a binary file whose header section is mostly NULs', async () => {
    await expect(parseMail(Buffer.concat([Buffer.from('From: a@example.com\r\n'), Buffer.alloc(64)]), inbox(A.clerk))).rejects.toThrow(
      'not an e-mail message: it holds binary data, not text',
    );
  });

  it('makes a synthetic key from the source hash when there is no Message-ID, and leaves out an unreadable date', async () => {
    const source = fixture('no-message-id.eml');
    const item = await parseMail(source, inbox(A.clerk));
    const hash = createHash('sha256').update(source).digest('hex');
    expect(item.key).toBe(`<${hash}@wardwatch.invalid>`);
    expect(item.syntheticKey).toBe(true);
    expect(item.date).toBeUndefined();
    expect(item.from).toEqual([{ address: 'friends.of.millbrook.library@example.org', name: 'Millbrook Library Friends' }]);
  });

  it('treats an empty Message-ID like a missing one', async () => {
    const item = await parseMail(raw('From: a@example.com', 'Message-ID: <>', 'Subject: s', '', 'x'), inbox(A.clerk));
    expect(item.syntheticKey).toBe(true);
    expect(item.key).toMatch(/^<[0-9a-f]{64}@wardwatch\.invalid>$/);
  });

  it('decodes encoded words, keeps a display name with a comma, flattens groups and drops unusable addresses', async () => {
    const item = await parseMail(fixture('encoded-words.eml'), inbox(A.alice));
    expect(item.subject).toBe('Café opening on Market Square – £500 grant');
    expect(item.from).toEqual([{ address: A.tom, name: 'Brown, Tom (Cllr)' }]);
    expect(item.to).toEqual([
      { address: A.alice },
      { address: A.tom, name: 'Brown, Tom' },
      { address: 'sinead.obrien@example.com', name: "Sinéad O'Brien" },
    ]);
    expect(item.cc).toEqual([{ address: A.alice }]);
    expect(item.key).toBe('<20270304170000.4711@millbrook-tc.gov.uk>');
    expect(item.date).toBe('2027-03-04T17:00:00.000Z');
    expect(item.importance).toBe('low');
    expect(item.text).toContain('The café on Market Square has asked about the £500 grant.');
  });

  it('reads the Sender header, and lets the sending delegate’s Sent copy vouch for the message', async () => {
    const source = raw(
      'From: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>',
      'Sender: Sam Patel <sam.patel@millbrook-tc.gov.uk>',
      'To: alice.green@millbrook-tc.gov.uk',
      'Subject: Mayor’s diary',
      '',
      'x',
    );
    const item = await parseMail(source, sent(A.sam));
    expect(item.sender).toEqual({ address: A.sam, name: 'Sam Patel' });
    expect(item.authentication.detail).toBe(SENT_COPY_DETAIL);
  });

  it('parses a message with no From at all', async () => {
    const item = await parseMail(raw('To: clerk@millbrook-tc.gov.uk', 'Subject: anonymous note', '', 'Hello'), inbox(A.clerk));
    expect(item.from).toEqual([]);
    expect(item.subject).toBe('anonymous note');
    expect(item.text.trim()).toBe('Hello');
    expect(item.authentication).toEqual({ failed: false, detail: 'no authentication results' });
  });

  it('parses mail with bare LF line endings and a leading mbox "From " line', async () => {
    const source = Buffer.from('From MAILER-DAEMON Thu Mar  4 12:00:00 2027\nFrom: a@example.com\nSubject: lf only\n\nbody\n');
    const item = await parseMail(source, inbox(A.clerk));
    expect(item.subject).toBe('lf only');
    expect(item.from).toEqual([{ address: 'a@example.com' }]);
  });
});

describe('parseMail: what is not mail', () => {
  it.each([
    ['an empty file', Buffer.alloc(0), 'not an e-mail message: the file is empty'],
    ['blank lines only', Buffer.from('\r\n\r\n  \n'), 'not an e-mail message: the file holds only blank lines'],
    ['a PNG image', Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'), 'not an e-mail message: it holds binary data, not text'],
    ['a letter without headers', Buffer.from('Dear Clerk,\nPlease find the minutes attached.\n'), 'not an e-mail message: no header lines'],
    ['a PDF document', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'), 'not an e-mail message: no header lines'],
  ])('rejects %s with a plain reason', async (_label, source, reason) => {
    await expect(parseMail(source, inbox(A.clerk))).rejects.toThrow(reason);
  });

  it('does not call a header block with one known header "not mail"', () => {
    expect(notMailReason(Buffer.from('Subject: only a subject\n\nbody'))).toBeUndefined();
    expect(notMailReason(Buffer.from('X-Custom: 1\n\nbody'))).toBeUndefined();
    expect(notMailReason(Buffer.from('Note: buy milk\n\nbody'))).toMatch(/no header lines/);
  });
});

describe('header helpers', () => {
  it('messageIds reads bracketed and bare ids', () => {
    expect(messageIds('<a@b> (comment) <c@d>')).toEqual(['<a@b>', '<c@d>']);
    expect(messageIds('a@b c@d')).toEqual(['<a@b>', '<c@d>']);
    expect(messageIds('nothing here')).toEqual([]);
    expect(messageIds('<only@one>')).toEqual(['<only@one>']);
    expect(messageIds('<a b@c>')).toEqual([]);
  });

  it('reads the usual RFC 5322 date exactly as Date.parse does, and leaves the rest to it', () => {
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const samples: string[] = [];
    for (let i = 0; i < 400; i++) {
      const day = 1 + ((i * 7) % 31);
      const month = months[(i * 5) % 12] as string;
      const zone = `${i % 2 ? '+' : '-'}${String((i * 3) % 14).padStart(2, '0')}${['00', '30', '45'][i % 3] as string}`;
      const time = `${String((i * 5) % 24).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}${i % 4 ? `:${String((i * 11) % 60).padStart(2, '0')}` : ''}`;
      samples.push(`${i % 3 ? `${days[i % 7] as string}, ` : ''}${day} ${i % 5 ? month : month.toUpperCase()} ${1990 + (i % 60)} ${time} ${zone}`);
    }
    // Days a month does not have, out-of-range times and other forms go to Date.parse.
    samples.push('Mon, 31 Feb 2027 10:00:00 +0000', 'Mon, 29 Feb 2028 10:00:00 +0000', '4 Mar 2027 24:00:00 +0000', '4 Mar 2027 10:07:00 GMT', '4 Mar 27 10:07 +0000');
    for (const sample of samples) {
      const time = Date.parse(sample);
      expect(parseDateHeader(sample), sample).toBe(Number.isNaN(time) ? undefined : new Date(time).toISOString());
    }
    expect(parseDateHeader('Mon, 4 Mar 2027 10:07:00 +0000')).toBe('2027-03-04T10:07:00.000Z');
    expect(parseDateHeader('Sat, 30 Oct 2027 23:30:00 -0130')).toBe('2027-10-31T01:00:00.000Z');
  });

  it('parseDateHeader returns UTC or nothing', () => {
    expect(parseDateHeader('Thu, 6 Jun 1996 15:50:39 +0400 (MOW DST)')).toBe('1996-06-06T11:50:39.000Z');
    expect(parseDateHeader('Malformed Date.')).toBeUndefined();
    expect(parseDateHeader('')).toBeUndefined();
    expect(parseDateHeader(undefined)).toBeUndefined();
  });
});
