/**
 * Mail that is not correspondence: automatic replies (out-of-office), bulk and list mail, delivery
 * status notifications (bounces) and read receipts. Such a message is never a member or officer
 * writing, even when it comes from their mailbox and quotes what they wrote, so no rule judges it
 * (the engine's gate) and Wardwatch never answers an autoresponder.
 *
 * The evidence is what the sending software says of itself (RFC 3834 `Auto-Submitted`, RFC 2076
 * `Precedence`, RFC 2369/2919 list headers, the vendors' `X-Autoreply`/`X-Autorespond`, an RFC 3464
 * or RFC 8098 report, a null return path), then the senders and subject lines the common mail
 * servers use for them. `X-Auto-Response-Suppress` is not evidence: Outlook sets it on ordinary
 * mail, asking others' autoresponders to keep quiet.
 */
import type { AutomatedKind, AutomatedMail } from './types.js';

/** One header line as mailparser gives it: its lower-case name and the whole raw line. */
export interface RawHeaderLine {
  key: string;
  line: string;
}

/** The longest header value quoted in a reason (a List-Id can be long). */
const MAX_QUOTED = 80;

function unfold(line: string): string {
  const colon = line.indexOf(':');
  return (colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]*/g, ' ').trim();
}

function quoted(value: string): string {
  return value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
}

/** The first token of a structured header value (before any `;` parameters or comment), lower-cased. */
function firstToken(value: string): string {
  const semi = value.indexOf(';');
  const head = semi >= 0 ? value.slice(0, semi) : value;
  const paren = head.indexOf('(');
  return (paren >= 0 ? head.slice(0, paren) : head).trim().toLowerCase();
}

const BULK_PRECEDENCE = new Set(['bulk', 'list', 'junk']);

/** Subjects autoresponders write: at the very start, followed by a colon or nothing (so "Re: Automatic reply: …", a person answering one, is not caught). */
const AUTO_REPLY_SUBJECT = /^(?:automatic reply|auto-?reply|auto response|auto-response|out of (?:the )?office(?: auto-?reply| reply)?)\s*(?::|$)/i;
/** Subjects of delivery status notifications (Exchange, Gmail, Postfix, Exim, qmail, sendmail). */
const BOUNCE_SUBJECT =
  /^(?:undeliverable\s*:|undelivered mail returned to sender|delivery status notification\s*(?:\(|$)|mail delivery failed\s*(?::|$)|delivery has failed to these recipients|failure notice\s*$|returned mail\s*:)/i;
/** Senders that only ever send bounces. */
const BOUNCE_SENDERS = new Set(['mailer-daemon', 'postmaster']);

function found(kind: AutomatedKind, reason: string): AutomatedMail {
  return { kind, reason };
}

/** One header's evidence, or undefined when its value says nothing (or `no`). */
function headerEvidence(key: string, value: string): AutomatedMail | undefined {
  switch (key) {
    case 'auto-submitted': {
      const token = firstToken(value);
      if (token === '' || token === 'no') return undefined;
      return found(token === 'auto-replied' ? 'auto-reply' : 'auto-generated', `it says it was sent automatically (Auto-Submitted: ${quoted(token)})`);
    }
    case 'x-autoreply':
    case 'x-autorespond':
    case 'x-autoresponse': {
      if (value.trim().toLowerCase() === 'no') return undefined;
      const name = key === 'x-autoreply' ? 'X-Autoreply' : key === 'x-autorespond' ? 'X-Autorespond' : 'X-Autoresponse';
      return found('auto-reply', `it says it is an automatic reply (${name}: ${quoted(value)})`);
    }
    case 'precedence': {
      const token = firstToken(value);
      if (token === 'auto_reply') return found('auto-reply', 'it says it is an automatic reply (Precedence: auto_reply)');
      return BULK_PRECEDENCE.has(token) ? found('bulk', `it is bulk or list mail (Precedence: ${token})`) : undefined;
    }
    case 'list-id':
      return found('bulk', `it came through a mailing list (List-Id: ${quoted(value)})`);
    case 'list-unsubscribe':
      return found('bulk', 'it is bulk mail with an unsubscribe link (List-Unsubscribe)');
    case 'return-path':
      // A null reverse path (RFC 5321 4.5.5): bounces, receipts and autoresponders send with one, people never do.
      return value.replace(/\s+/g, '') === '<>' ? found('auto-generated', 'it was sent with an empty return path (Return-Path: <>), as only automatic messages are') : undefined;
    default:
      return undefined;
  }
}

/**
 * The headers that are evidence, the sender's own word first: a list server adds its headers
 * above the author's, so reading in header order would let the list speak for an autoresponder.
 */
const EVIDENCE_ORDER = ['auto-submitted', 'x-autoreply', 'x-autorespond', 'x-autoresponse', 'precedence', 'list-id', 'list-unsubscribe', 'return-path'];

function fromHeaders(lines: readonly RawHeaderLine[]): AutomatedMail | undefined {
  for (const key of EVIDENCE_ORDER) {
    for (const l of lines) {
      if (l.key !== key) continue;
      const evidence = headerEvidence(key, unfold(l.line));
      if (evidence) return evidence;
    }
  }
  return undefined;
}

function fromContentType(lines: readonly RawHeaderLine[]): AutomatedMail | undefined {
  const line = lines.find((l) => l.key === 'content-type');
  if (!line) return undefined;
  const value = unfold(line.line);
  const type = firstToken(value);
  if (type === 'message/delivery-status' || type === 'message/global-delivery-status') {
    return found('bounce', 'it is a delivery status notification (a bounce)');
  }
  if (type !== 'multipart/report') return undefined;
  const reportType = /report-type\s*=\s*"?([A-Za-z0-9/_.-]{1,64})/i.exec(value)?.[1]?.toLowerCase();
  if (reportType === 'disposition-notification') return found('receipt', 'it is a read receipt (multipart/report; report-type=disposition-notification)');
  return found('bounce', `it is a delivery status notification, a bounce (multipart/report${reportType ? `; report-type=${reportType}` : ''})`);
}

/**
 * Why this message is not correspondence, or undefined when it reads as someone writing.
 * `from` is the address of the From header (lower-cased), `subject` the decoded subject.
 */
export function automatedMail(lines: readonly RawHeaderLine[], from: string | undefined, subject: string): AutomatedMail | undefined {
  const byHeader = fromHeaders(lines) ?? fromContentType(lines);
  if (byHeader) return byHeader;
  const local = from === undefined ? '' : from.slice(0, Math.max(0, from.lastIndexOf('@'))).toLowerCase();
  if (BOUNCE_SENDERS.has(local)) return found('bounce', `it comes from ${from ?? ''}, which sends only delivery reports`);
  const trimmed = subject.trim();
  if (AUTO_REPLY_SUBJECT.test(trimmed)) return found('auto-reply', `its subject "${quoted(trimmed)}" is an automatic reply’s`);
  if (BOUNCE_SUBJECT.test(trimmed)) return found('bounce', `its subject "${quoted(trimmed)}" is a delivery failure report’s`);
  return undefined;
}

/** A sentence for `wardwatch explain` and the logs: why no rule judged the message. */
export function describeAutomated(automated: AutomatedMail): string {
  const what: Record<AutomatedKind, string> = {
    'auto-reply': 'an automatic reply',
    'auto-generated': 'an automatically generated message',
    bulk: 'bulk or mailing-list mail',
    bounce: 'a delivery failure report',
    receipt: 'a read receipt',
  };
  return `not judged: ${what[automated.kind]}, not a person writing — ${automated.reason}`;
}
