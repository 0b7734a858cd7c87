/**
 * MIME request bodies, as Graph takes them on `POST /users/{id}/messages` and
 * `POST /users/{id}/sendMail` with `Content-Type: text/plain`: the whole RFC 5322 message,
 * base64-encoded. Decoding, validation, and the few edits Exchange makes to the header block
 * (adding a Message-ID when there is none; dropping Bcc from the recipients' copies).
 */
import { randomUUID } from 'node:crypto';
import type { InternetMessageHeader } from '@microsoft/microsoft-graph-types';
import { simpleParser, type ParsedMail } from 'mailparser';
import { graphError, type SimRequest, type SimResponse } from './wire.js';

/** Whether a request carries a MIME body (`text/plain`) rather than JSON. */
export function isMimeRequest(req: SimRequest): boolean {
  return /^\s*text\/plain\b/i.test(req.headers['content-type'] ?? '') && typeof req.body === 'string';
}

export interface MimeBody {
  readonly mime: string;
  readonly parsed: ParsedMail;
}

/**
 * Decodes and parses a base64 MIME body. Graph answers 400 ErrorMimeContentInvalidBase64String
 * ("Invalid base64 string for MIME content.") when the body is not base64; a body that decodes
 * to something with no RFC 5322 header block gets 400 ErrorMimeContentInvalid (Exchange's code
 * for invalid MIME content).
 */
export async function decodeMimeBody(body: string): Promise<MimeBody | SimResponse> {
  const b64 = body.replace(/\s+/g, '');
  if (b64 === '' || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    return graphError(400, 'ErrorMimeContentInvalidBase64String', 'Invalid base64 string for MIME content.');
  }
  const bytes = Buffer.from(b64, 'base64');
  const mime = bytes.toString('utf8');
  const invalid = graphError(400, 'ErrorMimeContentInvalid', 'The MIME content is invalid.');
  if (bytes.includes(0)) return invalid;
  const parsed = await simpleParser(mime);
  const fieldName = /^[\x21-\x39\x3b-\x7e]+$/;
  if (parsed.headerLines.length === 0 || parsed.headerLines.some((h) => !fieldName.test(h.key))) return invalid;
  return { mime, parsed };
}

export const isMimeBody = (v: MimeBody | SimResponse): v is MimeBody => 'mime' in v;

const lineBreak = (mime: string): string => (/\r\n/.test(mime) ? '\r\n' : '\n');

/** Splits a message at the first empty line: [header block with its line breaks, the rest]. */
function splitHeader(mime: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(mime);
  if (!m) return [mime, ''];
  const cut = m.index + (m[0].startsWith('\r\n') ? 2 : 1);
  return [mime.slice(0, cut), mime.slice(cut)];
}

/** The message with every top-level field of this name (and its folded lines) removed. */
export function withoutHeader(mime: string, name: string): string {
  const [head, rest] = splitHeader(mime);
  const lines = head.split(/(?<=\n)/);
  const out: string[] = [];
  let dropping = false;
  const lower = name.toLowerCase();
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!dropping) out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    dropping = colon > 0 && line.slice(0, colon).trim().toLowerCase() === lower;
    if (!dropping) out.push(line);
  }
  return out.join('') + rest;
}

/** The message with a field added at the top of its header block. */
export function withHeaderFirst(mime: string, name: string, value: string): string {
  return `${name}: ${value}${lineBreak(mime)}${mime}`;
}

/**
 * Exchange gives a message without a Message-ID one of its own (kept in the MIME it stores);
 * one that has a Message-ID keeps it.
 */
export function ensureMessageId(body: MimeBody, domain: string): { mime: string; internetMessageId: string } {
  if (body.parsed.messageId) return { mime: body.mime, internetMessageId: body.parsed.messageId };
  const id = `<${randomUUID().replace(/-/g, '')}@${domain}>`;
  return { mime: withHeaderFirst(body.mime, 'Message-ID', id), internetMessageId: id };
}

/**
 * The headers the simulator records as a send's custom headers: every `X-…` field and
 * `Auto-Submitted`, names as written, folded values unfolded.
 */
export function customHeadersOf(parsed: ParsedMail): InternetMessageHeader[] {
  const out: InternetMessageHeader[] = [];
  for (const h of parsed.headerLines) {
    if (!/^x-/i.test(h.key) && h.key !== 'auto-submitted') continue;
    const colon = h.line.indexOf(':');
    out.push({ name: h.line.slice(0, colon).trim(), value: h.line.slice(colon + 1).replace(/\r?\n[ \t]+/g, ' ').trim() });
  }
  return out;
}
