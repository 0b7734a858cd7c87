/**
 * Who wrote the content a message forwards. Mail clients mark forwarded mail in a handful of ways:
 *
 * - Outlook: a header block `From: Name <addr>` followed by `Sent:` (or `Date:`), often after a
 *   `-----Original Message-----` line or a line of underscores;
 * - Gmail and Thunderbird: `---------- Forwarded message ---------` then `From: Name <addr>`;
 * - Apple Mail: `Begin forwarded message:` then `From: Name <addr>`;
 * - any client: the original attached whole as a `message/rfc822` part.
 *
 * A quoted reply ("On <date>, Name <addr> wrote:" and the `>` lines under it) is a reply, not a
 * forward: neither its author nor anything quoted beneath it counts.
 */
import { makeAddress, uniqueAddresses } from './addresses.js';
import type { Address } from './types.js';

export interface ForwardedContent {
  /** The original author(s) of the forwarded content, in the order they appear. */
  authors: Address[];
  /** True when the message carries forwarded content, even if its author could not be read. */
  hasForwardedContent: boolean;
}

/** How many non-empty lines after a `From:` line may hold its `Sent:`/`Date:` companion. */
const HEADER_BLOCK_WINDOW = 6;
/** A `From:` line longer than this is cut before looking for an address (real ones are short). */
const MAX_AUTHOR_LINE = 512;
/** How many non-empty lines before a `From:` line may hold the separator that introduces it. */
const SEPARATOR_WINDOW = 3;

const FORWARD_MARKER = [
  /^-{2,}\s*Forwarded message\s*-{2,}$/i,
  /^-{2,}\s*Forwarded by\b.*$/i,
  /^Begin forwarded message\s*:?$/i,
];
const SEPARATOR = [/^-{2,}\s*Original Message\s*-{2,}$/i, /^_{10,}$/, ...FORWARD_MARKER];
const FROM_LINE = /^\*?From\s*:\*?\s*(.*)$/i;
const DATE_LINE = /^\*?(Sent|Date)\s*:\*?\s*\S/i;
const REPLY_ATTRIBUTION = /\bwrote\s*:\s*$/i;
const FORWARD_SUBJECT = /^\s*fwd?\s*:/i;
/** What a text must hold for FORWARD_MARKER or FROM_LINE to match any line of it. */
const MAY_FORWARD = /from\s*:|forwarded/i;

interface Line {
  /** The text with quote markers (`>`) and surrounding whitespace removed. */
  text: string;
  /** How many `>` quote markers the line had. */
  depth: number;
}

function splitLines(text: string): Line[] {
  return text.split(/\r\n|\r|\n/).map((raw) => {
    const prefix = /^[ \t]*(?:>[ \t]*)*/.exec(raw)?.[0] ?? '';
    const depth = [...prefix].filter((c) => c === '>').length;
    return { text: raw.slice(prefix.length).trim(), depth };
  });
}

/** True when a subject starts as a forward does (`Fw:`, `FW:`, `Fwd:`); a reply (`Re: Fw:`) is not one. */
export function isForwardSubject(subject: string): boolean {
  return FORWARD_SUBJECT.test(subject);
}

/**
 * The author named on a `From:` line of a forwarded block: `Name <addr>`, `"Last, First" <addr>`,
 * `Name [mailto:addr]`, `Name <mailto:addr>` or a bare address. Undefined when the line names no address
 * (Outlook sometimes shows only a display name).
 */
export function parseAuthorLine(value: string): Address | undefined {
  const cleaned = value.slice(0, MAX_AUTHOR_LINE).replace(/\*+/g, ' ').trim();
  const bracketed = /^(.*?)[<[]\s*(?:mailto:)?([^\s<>[\]]+@[^\s<>[\]]+?)\s*[>\]]/i.exec(cleaned);
  if (bracketed) {
    const name = bracketed[1]?.replace(/\s+(?:on behalf of)\s*$/i, '');
    return makeAddress(bracketed[2], name);
  }
  const bare = /(?<![^\s<>[\]()"',;:])(?:mailto:)?([^\s<>[\]()"',;:]+@[^\s<>[\]()"',;:]+[^\s<>[\]()"',;:.])/i.exec(cleaned);
  if (!bare) return undefined;
  const before = cleaned.slice(0, bare.index).trim();
  return makeAddress(bare[1], before.length > 0 ? before : undefined);
}

/** The non-empty lines next to `index`, looking forward or backward, at most `limit` of them. */
function nearby(lines: readonly Line[], index: number, step: 1 | -1, limit: number): Line[] {
  const out: Line[] = [];
  for (let i = index + step; i >= 0 && i < lines.length && out.length < limit; i += step) {
    const line = lines[i];
    if (line && line.text.length > 0) out.push(line);
  }
  return out;
}

/** Marks every line that belongs to a quoted reply: the `>` lines deeper than an "…wrote:" attribution. */
function replyQuoted(lines: readonly Line[]): boolean[] {
  const quoted = lines.map(() => false);
  let replyDepth: number | undefined;
  lines.forEach((line, i) => {
    if (replyDepth !== undefined) {
      if (line.depth > replyDepth) {
        quoted[i] = true;
        return;
      }
      if (line.text.length > 0) replyDepth = undefined;
    }
    if (REPLY_ATTRIBUTION.test(line.text)) {
      replyDepth = line.depth;
      quoted[i] = true;
    }
  });
  return quoted;
}

/**
 * Find the original authors of forwarded content in a message's plain text, plus the authors of
 * attached `message/rfc822` parts (`attachedMessages`, read from their own From headers).
 */
export function findForwardedAuthors(text: string, attachedMessages: Address[]): ForwardedContent {
  // Every marker above holds "forwarded" and every header block a "From:" line: most messages
  // have neither, and need not be read line by line.
  if (!MAY_FORWARD.test(text)) return { authors: uniqueAddresses(attachedMessages), hasForwardedContent: attachedMessages.length > 0 };
  const lines = splitLines(text);
  const inReply = replyQuoted(lines);
  const authors: Address[] = [];
  let hasForwardedContent = attachedMessages.length > 0;

  lines.forEach((line, i) => {
    if (inReply[i]) return;
    if (FORWARD_MARKER.some((re) => re.test(line.text))) hasForwardedContent = true;
    const from = FROM_LINE.exec(line.text);
    if (!from) return;
    const afterSeparator = nearby(lines, i, -1, SEPARATOR_WINDOW).some((l) => SEPARATOR.some((re) => re.test(l.text)));
    const dated = nearby(lines, i, 1, HEADER_BLOCK_WINDOW).some((l) => DATE_LINE.test(l.text));
    if (!afterSeparator && !dated) return;
    hasForwardedContent = true;
    const author = parseAuthorLine(from[1] ?? '');
    if (author) authors.push(author);
  });

  return { authors: uniqueAddresses([...authors, ...attachedMessages]), hasForwardedContent };
}

/** The head of a forwarded message as its block shows it: the header lines under the separator, and its first line of text. */
export interface ForwardedBlock {
  /** Header lines of the block ("Subject", "From", "Sent", …), names lower-cased, values as written. */
  headers: ReadonlyMap<string, string>;
  /** The first non-empty line after the header lines, if any. */
  firstLine?: string;
}

/** How many lines after a separator may hold the forwarded message's header lines. */
const BLOCK_HEADER_LINES = 12;
const BLOCK_HEADER = /^\*?([A-Za-z][A-Za-z-]{0,30})\s*:\*?\s*(.*)$/;

/**
 * The forwarded messages in a message's plain text: each block that a forward marker, an
 * "-----Original Message-----" line or a line of underscores opens, or that opens with a `From:`
 * line followed by `Sent:` or `Date:`. Lines quoted with `>` are read without their markers. Only
 * a message that is a forward (a `Fw:` subject, or a forward marker in its text) should be read
 * this way: the same blocks under a reply are the message replied to.
 */
export function forwardedBlocks(text: string): ForwardedBlock[] {
  if (!MAY_FORWARD.test(text)) return [];
  const lines = splitLines(text).map((l) => l.text);
  const blocks: ForwardedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const separator = SEPARATOR.some((re) => re.test(line));
    const opensWithFrom = FROM_LINE.test(line) && nearbyText(lines, i, HEADER_BLOCK_WINDOW).some((l) => DATE_LINE.test(l));
    if (!separator && !opensWithFrom) continue;
    const headers = new Map<string, string>();
    let j = separator ? i + 1 : i;
    // Blank lines between the separator and the headers.
    while (separator && j < lines.length && (lines[j] ?? '').length === 0) j++;
    const limit = j + BLOCK_HEADER_LINES;
    for (; j < lines.length && j < limit; j++) {
      const line = lines[j] ?? '';
      const m = BLOCK_HEADER.exec(line);
      if (m) {
        const name = (m[1] ?? '').toLowerCase();
        if (!headers.has(name)) headers.set(name, (m[2] ?? '').trim());
        continue;
      }
      // A long To or Cc line carried on to the next line; the headers end at a blank line.
      if (headers.size === 0 || line.length === 0) break;
    }
    if (headers.size === 0) continue;
    while (j < lines.length && (lines[j] ?? '').length === 0) j++;
    const firstLine = lines[j];
    blocks.push({ headers, ...(firstLine !== undefined && firstLine.length > 0 ? { firstLine } : {}) });
    i = Math.max(i, j - 1);
  }
  return blocks;
}

/** The non-empty lines after `index`, at most `limit` of them. */
function nearbyText(lines: readonly string[], index: number, limit: number): string[] {
  const out: string[] = [];
  for (let i = index + 1; i < lines.length && out.length < limit; i++) {
    const line = lines[i] ?? '';
    if (line.length > 0) out.push(line);
  }
  return out;
}

/** Does the text hold a forward marker line ("---------- Forwarded message ---------", "Begin forwarded message:")? */
export function hasForwardMarker(text: string): boolean {
  if (!MAY_FORWARD.test(text)) return false;
  return splitLines(text).some((l) => FORWARD_MARKER.some((re) => re.test(l.text)));
}
