/**
 * Builds the raw MIME message for an OutgoingMessage: plain text and HTML, the Wardwatch
 * headers, the fixed Message-ID, attachments (a routed original as message/rfc822), and an
 * iMIP part (text/calendar; method=…) when the message carries a calendar object. The same
 * bytes are sent over SMTP and saved in the Sent folder.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailComposerAttachment, MailComposerOptions } from 'nodemailer/lib/mail-composer';
import type { Address } from '../../src/items/types.js';
import type { OutgoingMessage } from '../../src/sources/types.js';

function mailbox(a: Address): { name: string; address: string } {
  return { name: a.name ?? '', address: a.address };
}

function attachment(a: NonNullable<OutgoingMessage['attachments']>[number]): MailComposerAttachment {
  return {
    filename: a.filename,
    contentType: a.contentType,
    content: a.content,
    // A routed original is something to open, not to show inline in the notice.
    contentDisposition: 'attachment',
  };
}

/** Header names nodemailer sets itself from the message's own fields. */
const RESERVED = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding']);

export async function composeMessage(message: OutgoingMessage, date: Date = new Date()): Promise<Buffer> {
  if (!/^<[^<>\s]+@[^<>\s]+>$/.test(message.messageId)) {
    throw new Error(`The Message-ID ${message.messageId} is not of the form <local@domain>.`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (RESERVED.has(name.toLowerCase())) continue;
    if (/[\r\n]/.test(value)) throw new Error(`The header ${name} contains a line break.`);
    headers[name] = value;
  }
  const options: MailComposerOptions = {
    from: mailbox(message.from),
    to: message.to.map(mailbox),
    subject: message.subject,
    text: message.text,
    messageId: message.messageId,
    date,
    headers,
    newline: 'win',
    // Templates and subjects are untrusted: nothing may pull in files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (message.cc && message.cc.length > 0) options.cc = message.cc.map(mailbox);
  if (message.html !== undefined) options.html = message.html;
  if (message.attachments && message.attachments.length > 0) options.attachments = message.attachments.map(attachment);
  if (message.calendar) {
    options.icalEvent = { method: message.calendar.method, content: message.calendar.content, filename: 'invite.ics' };
  }
  return new MailComposer(options).compile().build();
}

/** Every envelope recipient of a message (To and Cc). */
export function envelopeRecipients(message: OutgoingMessage): string[] {
  return [...new Set([...message.to, ...(message.cc ?? [])].map((a) => a.address.toLowerCase()))];
}
