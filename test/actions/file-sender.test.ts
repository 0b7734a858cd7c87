import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSender, fileNameFor } from '../../src/actions/file-sender.js';
import type { OutgoingMessage } from '../../src/sources/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-file-sender-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ORIGINAL = [
  'From: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>',
  'To: sam.patel@millbrook-tc.gov.uk',
  'Subject: Bins on Castle Street',
  'Message-ID: <orig-1@millbrook-tc.gov.uk>',
  'Date: Wed, 18 Nov 2026 10:15:00 +0000',
  '',
  'Could you arrange for the bins to be moved?',
  '',
].join('\r\n');

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { address: 'protocol@millbrook-tc.gov.uk', name: 'Millbrook Town Council protocol' },
    to: [{ address: 'sam.patel@millbrook-tc.gov.uk', name: 'Sam Patel' }],
    subject: 'A reminder about the Member/Officer Protocol',
    text: 'Dear Sam,\n\nPlease copy councillors openly.\n',
    html: '<p>Dear Sam,</p><p>Please copy councillors openly.</p>',
    messageId: '<ww-0123456789abcdef0123456789abcdef@millbrook-tc.gov.uk>',
    headers: { 'X-Wardwatch-Key': 'ww1;no-blind-copies;<m1@x>;sam.patel@millbrook-tc.gov.uk;nudge' },
    ...overrides,
  };
}

describe('FileSender', () => {
  it('writes an RFC 5322 message named after its Message-ID, with text and HTML parts and the key header', async () => {
    const sender = new FileSender(path.join(dir, 'outbox'));
    const msg = message({ cc: [{ address: 'clerk@millbrook-tc.gov.uk', name: 'Helen Ashworth' }] });
    await sender.send(msg);
    const file = path.join(dir, 'outbox', 'ww-0123456789abcdef0123456789abcdef@millbrook-tc.gov.uk.eml');
    const raw = readFileSync(file);
    expect(raw.toString('latin1')).toMatch(/\r\n\r\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(msg.messageId);
    expect(parsed.subject).toBe(msg.subject);
    expect(parsed.from?.value[0]).toEqual({ address: 'protocol@millbrook-tc.gov.uk', name: 'Millbrook Town Council protocol' });
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(to[0]?.value.map((a) => a.address)).toEqual(['sam.patel@millbrook-tc.gov.uk']);
    const cc = Array.isArray(parsed.cc) ? parsed.cc : [parsed.cc];
    expect(cc[0]?.value.map((a) => a.address)).toEqual(['clerk@millbrook-tc.gov.uk']);
    expect(parsed.headers.get('x-wardwatch-key')).toBe(msg.headers['X-Wardwatch-Key']);
    expect(parsed.text).toContain('Please copy councillors openly.');
    expect(parsed.html).toContain('<p>Please copy councillors openly.</p>');
    expect(raw.toString('latin1')).toContain('multipart/alternative');
  });

  it.skipIf(process.platform === 'win32')('makes the outbox folder 0700 and each message 0600: they quote the mail they are about', async () => {
    const outbox = path.join(dir, 'state', 'outbox');
    const sender = new FileSender(outbox);
    await sender.send(message());
    const [name] = readdirSync(outbox);
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(outbox, name ?? '')).mode & 0o777).toBe(0o600);
  });

  it('attaches a message/rfc822 original and a text/calendar REQUEST part', async () => {
    const sender = new FileSender(dir);
    const calendar = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:meet-1@x\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:20261203T183000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    await sender.send(
      message({
        attachments: [{ filename: 'original message.eml', contentType: 'message/rfc822', content: Buffer.from(ORIGINAL) }],
        calendar: { method: 'REQUEST', content: calendar },
      }),
    );
    const [file] = readdirSync(dir);
    const raw = readFileSync(path.join(dir, file ?? ''), 'utf8');
    expect(raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/);
    expect(raw).toMatch(/Content-Type: message\/rfc822/);
    const parsed = await simpleParser(raw);
    const rfc822 = parsed.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(rfc822?.content.toString('utf8')).toContain('Subject: Bins on Castle Street');
    const ics = parsed.attachments.find((a) => a.contentType.startsWith('text/calendar') || a.contentType === 'application/ics');
    expect(ics?.content.toString('utf8')).toContain('UID:meet-1@x');
  });

  it('sends each message at most once: a second send overwrites nothing, and alreadySent knows it', async () => {
    const sender = new FileSender(dir);
    const msg = message();
    expect(await sender.alreadySent(msg.messageId)).toBe(false);
    await sender.send(msg);
    expect(await sender.alreadySent(msg.messageId)).toBe(true);
    const file = sender.pathFor(msg.messageId);
    writeFileSync(file, 'kept as it was');
    await sender.send({ ...msg, subject: 'A different subject' });
    expect(readFileSync(file, 'utf8')).toBe('kept as it was');
    expect(readdirSync(dir)).toEqual([path.basename(file)]);
  });

  it('leaves no temporary files behind', async () => {
    const sender = new FileSender(dir);
    await Promise.all([sender.send(message()), sender.send(message()), sender.send(message({ messageId: '<other@x.gov.uk>' }))]);
    expect(readdirSync(dir).sort()).toEqual(['other@x.gov.uk.eml', 'ww-0123456789abcdef0123456789abcdef@millbrook-tc.gov.uk.eml']);
  });

  it('keeps a hostile subject on its own header line', async () => {
    const sender = new FileSender(dir);
    const msg = message({ subject: 'Reminder: Re: parking\r\nBcc: everyone@example.com\r\nX-Evil: yes' });
    await sender.send(msg);
    const parsed = await simpleParser(readFileSync(sender.pathFor(msg.messageId)));
    expect(parsed.bcc).toBeUndefined();
    expect(parsed.headers.has('x-evil')).toBe(false);
    expect(parsed.subject).toBe('Reminder: Re: parking Bcc: everyone@example.com X-Evil: yes');
  });

  it('checks a message as every sender does (one composer): no line break in a header, a <local@domain> Message-ID, the Wardwatch key', async () => {
    const sender = new FileSender(dir);
    await expect(sender.send(message({ headers: { 'X-Wardwatch-Key': 'k\r\nBcc: everyone@example.com' } }))).rejects.toThrow(/X-Wardwatch-Key contains a line break/);
    await expect(sender.send(message({ messageId: 'no-brackets@millbrook-tc.gov.uk' }))).rejects.toThrow(/not of the form <local@domain>/);
    await expect(sender.send(message({ headers: { 'In-Reply-To': '<m1@x>' } }))).rejects.toThrow(/has no X-Wardwatch-Key header/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a message without recipients or with an invalid header name', async () => {
    const sender = new FileSender(dir);
    await expect(sender.send(message({ to: [] }))).rejects.toThrow(/at least one recipient/);
    await expect(sender.send(message({ headers: { 'Bad Header:': 'x' } }))).rejects.toThrow(/not a valid mail header name/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('fileNameFor', () => {
  it('keeps a safe Message-ID as it is and makes any other one safe and distinct', () => {
    expect(fileNameFor('<ww-abc@millbrook-tc.gov.uk>')).toBe('ww-abc@millbrook-tc.gov.uk.eml');
    const a = fileNameFor('<../../etc/passwd@x>');
    const b = fileNameFor('<..\\..\\etc\\passwd@x>');
    for (const name of [a, b]) {
      expect(name).not.toContain('/');
      expect(name).not.toContain('\\');
      expect(name.startsWith('.')).toBe(false);
    }
    expect(a).not.toBe(b);
    expect(() => fileNameFor('<>')).toThrow(/needs a Message-ID/);
  });
});

describe('extra headers', () => {
  it('cannot override the headers the message sets itself', async () => {
    const sender = new FileSender(dir);
    await expect(sender.send(message({ headers: { 'X-Wardwatch-Key': 'k', Bcc: 'everyone@example.com' } }))).rejects.toThrow(/set from the message itself/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('interrupted writes', () => {
  it('sweeps stale temporary files left by a crash, keeping fresh ones and every message', async () => {
    const sender = new FileSender(dir);
    await sender.send(message());
    const stale = path.join(dir, '.ww-dead@millbrook-tc.gov.uk.eml.0123456789ab.tmp');
    const fresh = path.join(dir, '.ww-live@millbrook-tc.gov.uk.eml.ba9876543210.tmp');
    writeFileSync(stale, 'half a message');
    writeFileSync(fresh, 'being written');
    const old = new Date(Date.now() - 3600_000);
    utimesSync(stale, old, old);
    expect(await sender.sweepTemporaryFiles()).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([path.basename(fresh), 'ww-0123456789abcdef0123456789abcdef@millbrook-tc.gov.uk.eml'].sort());
  });
});
