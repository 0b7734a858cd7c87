/**
 * MIME helpers: the fields the simulator needs (Message-ID, recipients, every header for
 * `sentCount`), read with mailparser, and byte-level edits of the header block (Bcc removed
 * from recipients' copies, a Message-ID added when the sender gave none).
 */
import { randomBytes } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';

export interface ParsedMime {
  /** Every header field, name lower-cased, folded values unfolded; a repeated field keeps its first value. */
  headers: Record<string, string>;
  /** Every header field in order, names as written, values unfolded (for format=metadata). */
  headerList: Array<{ name: string; value: string }>;
  /** With angle brackets, as in the field. */
  messageId?: string;
  from?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  inReplyTo?: string;
  references: string[];
  date?: Date;
}

function addresses(list: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = [];
  for (const obj of list === undefined ? [] : Array.isArray(list) ? list : [list]) {
    const walk = (vals: AddressObject['value']): void => {
      for (const a of vals) {
        if (a.address) out.push(a.address.toLowerCase());
        if (a.group) walk(a.group);
      }
    };
    walk(obj.value);
  }
  return out;
}

export async function parseMime(raw: Buffer): Promise<ParsedMime> {
  const p = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true });
  const headers: Record<string, string> = {};
  const headerList: Array<{ name: string; value: string }> = [];
  for (const h of p.headerLines) {
    const i = h.line.indexOf(':');
    const value = h.line.slice(i + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    headerList.push({ name: h.line.slice(0, i).trim(), value });
    if (!(h.key in headers)) headers[h.key] = value;
  }
  const refs = p.references === undefined ? [] : Array.isArray(p.references) ? p.references : p.references.split(/\s+/);
  const from = addresses(p.from)[0];
  return {
    headers, headerList,
    ...(p.messageId ? { messageId: p.messageId } : {}),
    ...(from ? { from } : {}),
    to: addresses(p.to), cc: addresses(p.cc), bcc: addresses(p.bcc),
    subject: p.subject ?? '',
    text: p.text ?? '',
    ...(p.inReplyTo ? { inReplyTo: p.inReplyTo } : {}),
    references: refs.filter((r) => r !== ''),
    ...(p.date ? { date: p.date } : {}),
  };
}

/** Where the header block ends: the index of the blank line's first byte, and the line ending used. */
function headerEnd(text: string): { end: number; eol: string } {
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf + 1)) return { end: crlf, eol: '\r\n' };
  if (lf !== -1) return { end: lf, eol: '\n' };
  return { end: text.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** True when the bytes start with something like an RFC 5322 header field. */
export function looksLikeMime(raw: Buffer): boolean {
  const text = raw.toString('latin1');
  return !text.includes('\0') && /^[!-9;-~]+:/.test(text);
}

/** The message with every occurrence of one header field (and its continuation lines) removed. */
export function withoutHeader(raw: Buffer, name: string): Buffer {
  const text = raw.toString('latin1');
  const { end, eol } = headerEnd(text);
  const lines = text.slice(0, end).split(eol);
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) { if (!dropping) kept.push(line); continue; }
    dropping = line.slice(0, line.indexOf(':')).trim().toLowerCase() === name.toLowerCase();
    if (!dropping) kept.push(line);
  }
  return Buffer.from(kept.join(eol) + text.slice(end), 'latin1');
}

/** The message with a header field added at the top. */
export function withHeader(raw: Buffer, name: string, value: string): Buffer {
  const text = raw.toString('latin1');
  const { eol } = headerEnd(text);
  return Buffer.concat([Buffer.from(`${name}: ${value}${eol}`, 'latin1'), raw]);
}

/** A Message-ID as Gmail mints one for a message sent without it. */
export function gmailMessageId(): string {
  return `<CA${randomBytes(30).toString('base64url')}@mail.gmail.com>`;
}

/** Angle brackets and surrounding space removed, for comparing Message-IDs. */
export const bareMessageId = (id: string): string => id.trim().replace(/^<|>$/g, '').trim();
