/**
 * The SMTP sender against a real Postfix (submission with AUTH and STARTTLS) delivering into
 * Dovecot, and the service mailbox's Sent folder over IMAP.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeMessage } from '../../../src/mime/compose.js';
import { parseImapSettings, type ImapSettings } from '../../../connectors/imap/config.js';
import { ImapFlow } from 'imapflow';
import { SENDING_KEYWORD, SmtpSender } from '../../../connectors/imap/smtp-sender.js';
import { PermanentEffectError } from '../../../src/outbox/outbox.js';
import type { OutgoingMessage } from '../../../src/sources/types.js';
import { startMailStack, type MailStack } from '../../support/servers.js';
import { folderSources, headerOf, messageIdOf, rawMessage, waitForMessage as waitForMessageIn } from './helpers.js';

const D = 'millbrook-tc.gov.uk';
const service = { address: `protocol@${D}`, password: 'service-Pa55' };
const clerk = { address: `clerk@${D}`, password: 'clerk-Pa55' };
const tom = { address: `tom.brown@${D}`, password: 'tom-Pa55' };

let stack: MailStack;
let dir: string;

function settings(extra: { smtp?: Record<string, unknown>; trustCertificate?: boolean } = {}): ImapSettings {
  const caFile = join(dir, 'ca.pem');
  return parseImapSettings(
    {
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      password: '${WW_SERVICE}',
      smtp: {
        host: '127.0.0.1',
        port: stack.ports.smtp,
        password: '${WW_SERVICE}',
        ...(extra.trustCertificate === false ? {} : { tls: { caFile } }),
        ...extra.smtp,
      },
    },
    { councilName: 'Millbrook Town Council', serviceAddress: service.address, mailboxes: [], calendarIds: [] },
    { WW_SERVICE: service.password, WW_WRONG: 'not-the-password' },
  );
}

function senderFor(s: ImapSettings, withSentMailbox = true): SmtpSender {
  if (!s.smtp) throw new Error('no smtp settings');
  return new SmtpSender({
    smtp: s.smtp,
    ...(withSentMailbox && s.service ? { sentMailbox: { server: s.server, credentials: s.service, address: s.serviceAddress } } : {}),
  });
}

async function fetchAll(user: { address: string; password: string }, folder: string): Promise<Buffer[]> {
  return folderSources(stack.ports.imap, user, folder);
}

async function waitForMessage(user: { address: string; password: string }, folder: string, messageId: string): Promise<Buffer> {
  return Buffer.from(await waitForMessageIn(stack.ports.imap, user, folder, messageId));
}

const invitation = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Wardwatch//Test//EN',
  'METHOD:REQUEST',
  'BEGIN:VEVENT',
  'UID:castle-meeting@millbrook-tc.gov.uk',
  'DTSTAMP:20270301T090000Z',
  'DTSTART:20270310T180000Z',
  'DTEND:20270310T193000Z',
  'SUMMARY:Castle Street public meeting',
  'ORGANIZER:mailto:clerk@millbrook-tc.gov.uk',
  'ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:tom.brown@millbrook-tc.gov.uk',
  'SEQUENCE:1',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

function outgoing(id: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { address: service.address, name: 'Millbrook Town Council protocol' },
    to: [{ address: tom.address, name: 'Cllr Tom Brown' }],
    subject: 'Invitation: Castle Street public meeting',
    text: 'Dear Councillor Brown,\n\nYou are invited to the public meeting in your ward.\n',
    html: '<p>Dear Councillor Brown,</p><p>You are invited to the public meeting in your ward.</p>',
    messageId: id,
    headers: { 'X-Wardwatch-Key': `invite-ward-members:${id}:tom.brown@${D}:invite` },
    ...extra,
  };
}

beforeAll(async () => {
  stack = await startMailStack({ users: [service, clerk, tom], startTls: true });
  dir = mkdtempSync(join(tmpdir(), 'wardwatch-smtp-test-'));
  writeFileSync(join(dir, 'ca.pem'), stack.certificatePem ?? '');
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('composing', () => {
  test('builds text and HTML alternatives, the fixed Message-ID, the Wardwatch key and an iMIP REQUEST part', async () => {
    const raw = (await composeMessage(outgoing('<compose-1@wardwatch.millbrook-tc.gov.uk>', { calendar: { method: 'REQUEST', content: invitation } }), { date: new Date('2027-03-01T09:00:00Z') })).toString('utf8');
    expect(messageIdOf(raw)).toBe('<compose-1@wardwatch.millbrook-tc.gov.uk>');
    expect(headerOf(raw, 'X-Wardwatch-Key')).toBe(`invite-ward-members:<compose-1@wardwatch.millbrook-tc.gov.uk>:tom.brown@${D}:invite`);
    expect(headerOf(raw, 'Date')).toBe('Mon, 01 Mar 2027 09:00:00 +0000');
    expect(raw).toMatch(/Content-Type: text\/calendar; charset=utf-8; method=REQUEST/i);
    expect(raw).toMatch(/Content-Type: text\/plain/);
    expect(raw).toMatch(/Content-Type: text\/html/);
    expect(raw).not.toMatch(/[^\r]\n/);
  });

  test('refuses a header with a line break, a malformed Message-ID and a missing Wardwatch key', async () => {
    await expect(composeMessage(outgoing('<compose-2@x.org>', { headers: { 'X-Wardwatch-Key': 'a\r\nBcc: someone@example.com' } }))).rejects.toThrow(/line break/);
    await expect(composeMessage(outgoing('no-brackets@x.org'))).rejects.toThrow(/Message-ID/);
    await expect(composeMessage(outgoing('<compose-3@x.org>', { headers: {} }))).rejects.toThrow(/X-Wardwatch-Key/);
  });
});

describe('sending over SMTP', () => {
  test('delivers a notice with an iMIP part and the original attached as message/rfc822', async () => {
    const original = rawMessage({ from: tom.address, to: `sam.patel@${D}`, subject: 'Please draft a letter to the landlord', id: '<original-1@millbrook-tc.gov.uk>' });
    const id = '<send-1@wardwatch.millbrook-tc.gov.uk>';
    const sender = senderFor(settings());
    try {
      await sender.send(
        outgoing(id, {
          to: [{ address: tom.address }],
          cc: [{ address: clerk.address, name: 'Helen Ashworth' }],
          calendar: { method: 'REQUEST', content: invitation },
          attachments: [{ filename: 'original.eml', contentType: 'message/rfc822', content: Buffer.from(original) }],
        }),
      );
    } finally {
      await sender.close();
    }
    const received = (await waitForMessage(tom, 'INBOX', id)).toString('utf8');
    expect(messageIdOf(received)).toBe(id);
    expect(headerOf(received, 'X-Wardwatch-Key')).toBe(`invite-ward-members:${id}:tom.brown@${D}:invite`);
    expect(received).toMatch(/method=REQUEST/);
    expect(received).toContain('UID:castle-meeting@millbrook-tc.gov.uk');
    expect(received).toMatch(/Content-Type: message\/rfc822/);
    expect(received).toContain('Subject: Please draft a letter to the landlord');
    // Authenticated submission over STARTTLS (Postfix records both in its Received header).
    expect(received).toMatch(/using TLS/);
    expect(received).toMatch(/with ESMTPSA/);
    // The Cc'd Clerk gets it too.
    expect(messageIdOf(await waitForMessage(clerk, 'INBOX', id))).toBe(id);
  });

  test('keeps a copy in the Sent folder, which alreadySent finds', async () => {
    const id = '<send-2@wardwatch.millbrook-tc.gov.uk>';
    const sender = senderFor(settings());
    try {
      expect(await sender.alreadySent(id)).toBe(false);
      await sender.send(outgoing(id));
      expect(await sender.alreadySent(id)).toBe(true);
      expect(await sender.alreadySent('<never-sent@wardwatch.millbrook-tc.gov.uk>')).toBe(false);
    } finally {
      await sender.close();
    }
    const sent = await fetchAll(service, 'Sent');
    expect(sent.map((s) => messageIdOf(s))).toContain(id);
  });

  test('without IMAP access to the service mailbox, alreadySent cannot tell and nothing is saved', async () => {
    const id = '<send-3@wardwatch.millbrook-tc.gov.uk>';
    const sender = senderFor(settings(), false);
    try {
      await sender.send(outgoing(id));
      expect(await sender.alreadySent(id)).toBe('unknown');
    } finally {
      await sender.close();
    }
    await waitForMessage(tom, 'INBOX', id);
    expect((await fetchAll(service, 'Sent')).map((s) => messageIdOf(s))).not.toContain(id);
  });

  test('uses STARTTLS when offered: an untrusted certificate stops the sending with a clear reason', async () => {
    const sender = senderFor(settings({ trustCertificate: false }));
    try {
      await expect(sender.send(outgoing('<send-4@wardwatch.millbrook-tc.gov.uk>'))).rejects.toThrow(/Could not send "Invitation: Castle Street public meeting": .*(certificate|STARTTLS)/);
    } finally {
      await sender.close();
    }
  });
});

// Last: after a failed login Dovecot (which checks Postfix's SMTP AUTH) slows the next logins down.
describe('a refused SMTP login', () => {
  test('is explained, naming the user and not the password', async () => {
    const sender = senderFor(settings({ smtp: { password: '${WW_WRONG}' } }), false);
    try {
      const error = await sender.send(outgoing('<send-5@wardwatch.millbrook-tc.gov.uk>')).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Not the message's fault: it waits for the login to work, it is not given up on.
      expect(error).not.toBeInstanceOf(PermanentEffectError);
      expect(String(error)).toContain(`refused Wardwatch's SMTP login as ${service.address}`);
      expect(String(error)).toContain('Please check connectors.imap.smtp.user and the password');
      expect(String(error)).toContain('tries the login once every 15 minutes (not once per message, so that the account is not locked)');
      expect(String(error)).not.toContain('not-the-password');
      expect(sender.problem()?.reason).toMatch(/refused Wardwatch's SMTP login/);
      await expect(sender.send(outgoing('<send-6@wardwatch.millbrook-tc.gov.uk>'))).rejects.toThrow(/Not sent: .*refused Wardwatch's SMTP login/);
    } finally {
      await sender.close();
    }
  });
});

describe('what the Sent folder says after a crash mid-send', () => {
  /** A copy appended as the sender does before handing a message over, and never settled (the process died). */
  async function leaveMarkedCopy(id: string): Promise<void> {
    const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, auth: { user: service.address, pass: service.password }, logger: false });
    await client.connect();
    try {
      await client.append('Sent', await composeMessage(outgoing(id)), ['\\Seen', SENDING_KEYWORD]);
    } finally {
      await client.logout();
    }
  }

  test('a send that ended is unmarked: it went; a marked copy alone: nobody can tell', async () => {
    const sender = senderFor(settings());
    const done = '<cut-1@wardwatch.millbrook-tc.gov.uk>';
    const cutOff = '<cut-2@wardwatch.millbrook-tc.gov.uk>';
    try {
      await sender.send(outgoing(done));
      expect(await sender.alreadySent(done)).toBe(true);
      await leaveMarkedCopy(cutOff);
      expect(await sender.alreadySent(cutOff)).toBe('unknown');
      // Sent again (the Clerk released it): the stale marked copy is replaced, and the new one settled.
      await sender.send(outgoing(cutOff));
      expect(await sender.alreadySent(cutOff)).toBe(true);
    } finally {
      await sender.close();
    }
    const copies = (await fetchAll(service, 'Sent')).filter((s) => messageIdOf(s) === cutOff);
    expect(copies).toHaveLength(1);
  });

  test('when the server files its own copies (saveToSent: false), a marked copy alone after the wait means it did not go', async () => {
    const sender = senderFor(settings({ smtp: { saveToSent: false, sentCopyWaitSeconds: 1 } }));
    const id = '<cut-3@wardwatch.millbrook-tc.gov.uk>';
    try {
      await leaveMarkedCopy(id);
      const started = Date.now();
      expect(await sender.alreadySent(id)).toBe(false);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await sender.close();
    }
  });
});
