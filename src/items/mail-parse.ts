/**
 * One raw RFC 5322 message (as a connector found it) → one normalized `MailItem`.
 *
 * Parsing is defensive: mail from outside is hostile until proven otherwise. Attachment content
 * is never kept (only name, type and size), embedded images are not inlined, text is bounded, and
 * a malformed-but-recognisable message is read as far as it can be. A file that is not an e-mail
 * message at all (empty, binary, no header lines) is rejected with a reason a Clerk can act on.
 */
import crypto from 'node:crypto';
import { compile } from 'html-to-text';
import { simpleParser, type AddressObject, type HeaderValue, type Headers, type HeaderLines, type ParsedMail, type SimpleParserOptions } from 'mailparser';
import { fromAddressObjects, normalizeAddress } from './addresses.js';
import { assessAuthentication } from './auth-results.js';
import { automatedMail } from './automated.js';
import { withDeadline } from '../runtime/deadline.js';
import { findForwardedAuthors, isForwardSubject } from './forwarded.js';
import { isSendersSentCopy, sentCopyVerdict } from './mail-merge.js';
import type { Address, AttachmentInfo, Importance, MailCopy, MailItem, Sensitivity } from './types.js';

/** The most plain text kept for one message (characters). Rules only need the start of a message. */
export const MAX_TEXT_CHARS = 256 * 1024;
/** The most HTML converted to text when a message has no plain text part (characters). */
const MAX_HTML_CHARS = 2 * 1024 * 1024;
/** How much of the file is examined to decide whether it is an e-mail message at all. */
const SNIFF_BYTES = 64 * 1024;
/** Attached messages whose From is read (a forward rarely carries more). */
const MAX_ATTACHED_MESSAGES = 20;
const DEFAULT_TIMEOUT_MS = 30_000;

export interface ParseMailOptions {
  /** Believe only Authentication-Results headers added by these receiving servers (authserv-id). */
  trustedAuthservIds?: string[];
  /** Give up on a message that takes longer than this to parse (milliseconds). Default 30 000. */
  timeoutMs?: number;
}

const PARSER_OPTIONS: SimpleParserOptions = {
  skipHtmlToText: true,
  skipImageLinks: true,
  keepCidLinks: true,
  skipTextToHtml: true,
  skipTextLinks: true,
  ignoreEmbedded: true,
  checksumAlgo: false,
  maxHeadSize: 1024 * 1024,
  maxChildNodes: 1000,
};

const htmlToText = compile({
  wordwrap: false,
  limits: { maxInputLength: MAX_HTML_CHARS, maxDepth: 100, maxChildNodes: 20_000 },
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'dataTable' },
  ],
});

/** Header names that show a block of `Name: value` lines really is the head of an e-mail message. */
const MAIL_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'sender', 'reply-to', 'subject', 'date', 'message-id', 'in-reply-to', 'references',
  'received', 'return-path', 'delivered-to', 'mime-version', 'content-type', 'content-transfer-encoding',
  'content-disposition', 'content-id', 'authentication-results', 'dkim-signature', 'importance', 'sensitivity',
  'keywords', 'thread-topic', 'thread-index', 'user-agent',
]);
const HEADER_FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/** Why `source` is not an e-mail message at all, or undefined when it looks like one. */
export function notMailReason(source: Buffer): string | undefined {
  if (source.length === 0) return 'the file is empty';
  const text = source.subarray(0, SNIFF_BYTES).toString('latin1');
  if (text.trim().length === 0) return 'the file holds only blank lines';
  const blank = /\r?\n\r?\n/.exec(text);
  const headerBlock = blank ? text.slice(0, blank.index) : text;
  // A stray NUL (a broken mail program) counts like any other control character: it spoils one
  // header value, which parsing cleans, not the whole message. Binary data has many.
  let control = 0;
  for (let i = 0; i < headerBlock.length; i++) {
    const code = headerBlock.charCodeAt(i);
    if (code < 0x09 || (code > 0x0d && code < 0x20 && code !== 0x1b) || code === 0x7f) control++;
  }
  if (control > headerBlock.length / 10) return 'it holds binary data, not text';
  for (const line of headerBlock.split(/\r?\n/)) {
    const name = HEADER_FIELD.exec(line)?.[1]?.toLowerCase();
    if (name !== undefined && (MAIL_HEADERS.has(name) || name.startsWith('x-'))) return undefined;
  }
  return 'no header lines (such as From:, To: or Subject:) were found at the start of the file';
}

/** `crypto.hash` (Node 20.12 and later): one call, without building a Hash object for each message. */
const oneShotHash: ((algorithm: string, data: Buffer, encoding: 'hex') => string) | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined;

function sha256(source: Buffer): string {
  return oneShotHash ? oneShotHash('sha256', source, 'hex') : crypto.createHash('sha256').update(source).digest('hex');
}

/** The values of every raw header line named `name` (lower-case), unfolded, in the order they appear. */
function rawHeader(lines: HeaderLines, name: string): string[] {
  return lines
    .filter((l) => l.key === name)
    .map((l) => {
      const colon = l.line.indexOf(':');
      return (colon >= 0 ? l.line.slice(colon + 1) : '').replace(/\r?\n[ \t]*/g, ' ').trim();
    });
}

/** Decoded string values of a header from mailparser's map (repeated headers give several). */
function headerStrings(headers: Headers, name: string): string[] {
  const value: HeaderValue | undefined = headers.get(name);
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function isAddressObject(value: unknown): value is AddressObject {
  return typeof value === 'object' && value !== null && 'value' in value && Array.isArray(value.value);
}

const SINGLE_ID = /^<[^<>\s]+>$/;

/** Message-IDs in a header value: `<…>` tokens, or bare `local@domain` tokens wrapped in brackets. */
export function messageIds(value: string): string[] {
  // The usual case, one `<id>` and nothing else, without a search.
  if (SINGLE_ID.test(value)) return [value];
  const bracketed = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => `<${m[1] ?? ''}>`);
  if (bracketed.length > 0) return bracketed;
  return value
    .split(/[\s,]+/)
    .filter((token) => /^[^<>()\s"]+@[^<>()\s"]+$/.test(token))
    .map((token) => `<${token}>`);
}

function messageKey(lines: HeaderLines): string | undefined {
  for (const value of rawHeader(lines, 'message-id')) {
    const id = messageIds(value)[0] ?? (/^[^<>\s]+$/.test(value) ? `<${value}>` : undefined);
    if (id && id.length > 2 && id.length <= 998) return id;
  }
  return undefined;
}

/** ISO 8601 UTC from a Date header, or undefined when it cannot be read. */
export function parseDateHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const usual = usualDate(value.trim());
  if (usual !== undefined) return new Date(usual).toISOString();
  const cleaned = value.replace(/\([^()]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  if (cleaned.length === 0) return undefined;
  const time = usualDate(cleaned) ?? Date.parse(cleaned);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/**
 * The date as almost every mail program writes it (RFC 5322 3.3: `Mon, 4 Mar 2027 10:07:00 +0000`),
 * read directly: `Date.parse` reads it too, but by way of a general parser that costs several
 * microseconds a message. Anything else, or a date that does not exist, is left to `Date.parse`.
 */
const USUAL_DATE = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2})(?::(\d{2}))?\s+([+-])(\d{2})(\d{2})$/;
const MONTHS: Readonly<Record<string, number>> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

function usualDate(cleaned: string): number | undefined {
  const m = USUAL_DATE.exec(cleaned);
  const month = m ? MONTHS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || month === undefined) return undefined;
  const n = (group: number): number => Number(m[group] ?? '0');
  const day = n(1);
  const year = n(3);
  const [hour, minute, second, zoneHours, zoneMinutes] = [n(4), n(5), n(6), n(8), n(9)] as const;
  if (year < 1900 || hour > 23 || minute > 59 || second > 59 || zoneMinutes > 59) return undefined;
  const local = Date.UTC(year, month, day, hour, minute, second);
  // A day the month does not have ("31 Feb") is Date.parse's to judge.
  if (new Date(local).getUTCDate() !== day) return undefined;
  const offset = (zoneHours * 60 + zoneMinutes) * 60_000;
  return m[7] === '+' ? local - offset : local + offset;
}

const SENSITIVITY: Record<string, Sensitivity> = {
  'company-confidential': 'confidential',
  confidential: 'confidential',
  private: 'private',
  personal: 'personal',
  normal: 'normal',
};

/** The Sensitivity (or X-Sensitivity) header, case-insensitively; `normal` when absent or unknown. */
export function readSensitivity(values: readonly string[]): Sensitivity {
  for (const value of values) {
    const known = SENSITIVITY[value.trim().toLowerCase()];
    if (known) return known;
  }
  return 'normal';
}

function importanceOf(name: string, value: string): Importance | undefined {
  const v = value.trim().toLowerCase();
  switch (name) {
    case 'importance':
    case 'x-msmail-priority':
      return v === 'high' || v === 'low' || v === 'normal' ? v : undefined;
    case 'x-priority': {
      const n = Number.parseInt(v, 10);
      if (Number.isNaN(n)) return undefined;
      return n <= 2 ? 'high' : n >= 4 ? 'low' : 'normal';
    }
    case 'priority':
      return v === 'urgent' ? 'high' : v === 'non-urgent' ? 'low' : v === 'normal' ? 'normal' : undefined;
    default:
      return undefined;
  }
}

/** Importance from Importance, then X-Priority, then Priority / X-MSMail-Priority; `normal` when none says. */
export function readImportance(lines: HeaderLines): Importance {
  for (const name of ['importance', 'x-priority', 'priority', 'x-msmail-priority']) {
    for (const value of rawHeader(lines, name)) {
      const found = importanceOf(name, value);
      if (found) return found;
    }
  }
  return 'normal';
}

/** Split an IMAP-style label list: quoted strings or space-separated atoms. */
function imapLabels(value: string): string[] {
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|([^\s"]+)/g)].map((m) => (m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
}

/** Labels from Keywords, X-Keywords, X-Gmail-Labels (comma-separated) and X-GM-LABELS (IMAP style or commas). */
export function readLabels(headers: Headers): string[] {
  const labels: string[] = [];
  for (const name of ['keywords', 'x-keywords', 'x-gmail-labels']) {
    for (const value of headerStrings(headers, name)) labels.push(...value.split(','));
  }
  for (const value of headerStrings(headers, 'x-gm-labels')) {
    labels.push(...(value.includes(',') ? value.split(',') : imapLabels(value)));
  }
  const seen = new Map<string, string>();
  for (const raw of labels) {
    const label = raw.trim().replace(/^"(.*)"$/, '$1').replace(/^\\+/, '').trim();
    if (label.length > 0 && !seen.has(label.toLowerCase())) seen.set(label.toLowerCase(), label);
  }
  return [...seen.values()];
}

function bodyText(parsed: ParsedMail): string {
  let text = parsed.text ?? '';
  if (text.trim().length === 0 && typeof parsed.html === 'string' && parsed.html.length > 0) {
    text = htmlToText(parsed.html.slice(0, MAX_HTML_CHARS));
  }
  const normalized = text.replace(/\r\n?/g, '\n').replace(/\u0000/g, '');
  return normalized.length > MAX_TEXT_CHARS ? normalized.slice(0, MAX_TEXT_CHARS) : normalized;
}

function attachmentInfo(parsed: ParsedMail): AttachmentInfo[] {
  return parsed.attachments.map((a) => ({
    ...(a.filename ? { filename: a.filename } : {}),
    contentType: a.contentType.toLowerCase(),
    size: a.size,
  }));
}

function isAttachedMessage(contentType: string): boolean {
  const type = contentType.toLowerCase();
  return type === 'message/rfc822' || type === 'message/global';
}

/** The header section of an attached message (bounded), for reading its From. */
function headerSection(content: Buffer): Buffer {
  const head = content.subarray(0, SNIFF_BYTES);
  const text = head.toString('latin1');
  const blank = /\r?\n\r?\n/.exec(text);
  return blank ? head.subarray(0, blank.index) : head;
}

/** The From addresses of attached `message/rfc822` parts; an attachment that cannot be read adds nobody. */
async function attachedAuthors(parsed: ParsedMail): Promise<Address[]> {
  const attached = parsed.attachments.filter((a) => isAttachedMessage(a.contentType)).slice(0, MAX_ATTACHED_MESSAGES);
  const authors: Address[] = [];
  for (const attachment of attached) {
    try {
      const inner = await simpleParser(headerSection(attachment.content), PARSER_OPTIONS);
      authors.push(...fromAddressObjects(inner.from));
    } catch {
      // An unreadable attached message still counts as forwarded content (its part is listed),
      // it just names no author.
    }
  }
  return authors;
}

function singleAddress(value: HeaderValue | undefined): Address | undefined {
  if (!isAddressObject(value)) return undefined;
  return fromAddressObjects(value)[0];
}

function firstId(lines: HeaderLines, name: string): string | undefined {
  for (const value of rawHeader(lines, name)) {
    const id = messageIds(value)[0];
    if (id) return id;
  }
  return undefined;
}

/** Where the header section ends (its blank line), or the length of the source when it has none. */
function headerEnd(source: Buffer): number {
  const ends = [source.indexOf('\r\n\r\n'), source.indexOf('\n\n')].filter((i) => i >= 0);
  return ends.length > 0 ? Math.min(...ends) : source.length;
}

/** The source with NUL bytes taken out of its header section (the body's are dropped with the text). */
function withoutNulInHeader(source: Buffer): Buffer {
  const first = source.indexOf(0);
  if (first < 0) return source;
  const end = headerEnd(source);
  if (first >= end) return source;
  const head = Buffer.allocUnsafe(end);
  let n = 0;
  for (let i = 0; i < end; i++) {
    const byte = source[i] ?? 0;
    if (byte !== 0) head[n++] = byte;
  }
  return Buffer.concat([head.subarray(0, n), source.subarray(end)]);
}

async function readMessage(source: Buffer): Promise<ParsedMail> {
  try {
    return await simpleParser(withoutNulInHeader(source), PARSER_OPTIONS);
  } catch (error) {
    const why = error instanceof Error && error.message ? error.message : String(error);
    throw new Error(`the message could not be read: ${why}`);
  }
}

async function build(source: Buffer, copy: MailCopy, options: ParseMailOptions): Promise<MailItem> {
  const parsed = await readMessage(source);
  const lines = parsed.headerLines;
  const contentHash = sha256(source);
  const messageId = messageKey(lines);
  const from = fromAddressObjects(parsed.from);
  const sender = singleAddress(parsed.headers.get('sender'));
  const subject = (parsed.subject ?? '').replace(/[\r\n]+/g, ' ').trim();
  const text = bodyText(parsed);
  const forwarded = findForwardedAuthors(text, await attachedAuthors(parsed));
  const date = parseDateHeader(rawHeader(lines, 'date')[0]);
  const inReplyTo = firstId(lines, 'in-reply-to');
  const references = [...new Set(rawHeader(lines, 'references').flatMap(messageIds))];
  const sensitivity = readSensitivity([...headerStrings(parsed.headers, 'sensitivity'), ...headerStrings(parsed.headers, 'x-sensitivity')]);
  const verdict = assessAuthentication(
    lines.filter((l) => l.key === 'authentication-results').map((l) => l.line),
    from[0]?.address,
    options.trustedAuthservIds,
  );
  const automated = automatedMail(lines, from[0]?.address, subject);
  const authentication = isSendersSentCopy({ from, ...(sender ? { sender } : {}) }, copy) ? sentCopyVerdict() : verdict;

  return {
    kind: 'mail',
    key: messageId ?? `<${contentHash}@wardwatch.invalid>`,
    syntheticKey: messageId === undefined,
    from,
    // Every message in one shape: absent values are undefined, not missing keys (code reading
    // items then meets one kind of object).
    sender: sender || undefined,
    replyTo: fromAddressObjects(parsed.replyTo),
    to: fromAddressObjects(parsed.to),
    cc: fromAddressObjects(parsed.cc),
    bcc: fromAddressObjects(parsed.bcc),
    date: date || undefined,
    subject,
    inReplyTo: inReplyTo || undefined,
    references,
    sensitivity,
    importance: readImportance(lines),
    authentication,
    text,
    forwardedAuthors: forwarded.authors,
    hasForwardedContent: forwarded.hasForwardedContent || isForwardSubject(subject),
    labels: readLabels(parsed.headers),
    attachments: attachmentInfo(parsed),
    copies: [{ mailbox: normalizeAddress(copy.mailbox) ?? copy.mailbox.toLowerCase(), folder: copy.folder, origin: copy.origin }],
    contentHash,
    automated: automated || undefined,
  };
}

/**
 * Parse one raw message found at `copy`. Rejects with an Error whose message says plainly why
 * when the source is not an e-mail message or cannot be read at all.
 */
export async function parseMail(source: Buffer, copy: MailCopy, options: ParseMailOptions = {}): Promise<MailItem> {
  const reason = notMailReason(source);
  if (reason) throw new Error(`not an e-mail message: ${reason}`);
  const ms = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return withDeadline(build(source, copy, options), ms, () => new Error(`the message could not be read within ${Math.round(ms / 1000)} seconds`));
}
