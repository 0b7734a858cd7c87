/**
 * The raw MIME message for an OutgoingMessage, built once so that exactly the same bytes are
 * sent over SMTP and saved in the Sent folder. The MIME layout (text and HTML, the Wardwatch
 * headers, the fixed Message-ID, attachments such as a routed original as message/rfc822, an
 * iMIP text/calendar part with its method) is the project's shared one (`mailOptionsFor`);
 * this adds the checks a message must pass before it leaves and the Date header.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { mailOptionsFor } from '../../src/actions/file-sender.js';
import type { OutgoingMessage } from '../../src/sources/types.js';

export async function composeMessage(message: OutgoingMessage, date: Date = new Date()): Promise<Buffer> {
  if (!/^<[^<>\s]+@[^<>\s]+>$/.test(message.messageId)) {
    throw new Error(`The Message-ID ${message.messageId} is not of the form <local@domain>.`);
  }
  if (!Object.keys(message.headers).some((h) => h.toLowerCase() === 'x-wardwatch-key')) {
    throw new Error(`The message ${message.messageId} has no X-Wardwatch-Key header; every message Wardwatch sends carries its idempotency key.`);
  }
  for (const [name, value] of Object.entries(message.headers)) {
    if (/[\r\n]/.test(value)) throw new Error(`The header ${name} contains a line break.`);
  }
  return new MailComposer({ ...mailOptionsFor(message), date }).compile().build();
}

/** Every envelope recipient of a message (To and Cc), lower-cased, once each. */
export function envelopeRecipients(message: OutgoingMessage): string[] {
  return [...new Set([...message.to, ...(message.cc ?? [])].map((a) => a.address.toLowerCase()))];
}
