/**
 * Explainable phrase matching for heuristic rules: every match returns the words as they appear
 * in the item, so a finding can say exactly which phrases made it fire.
 */
import type { Evidence } from '../rules/types.js';
import { letterRegExp, WORD_END, WORD_START } from './letters.js';

export interface PhrasePattern {
  /** A label for the kind of phrase (e.g. "request for work"). */
  label: string;
  re: RegExp;
}

/** Build a whole-word, case-insensitive pattern from alternatives (regex source allowed). */
export function words(label: string, ...alternatives: string[]): PhrasePattern {
  return { label, re: letterRegExp(`${WORD_START}(?:${alternatives.join('|')})${WORD_END}`, 'iu') };
}

/**
 * The first line of an e-mail disclaimer ("This email and any attachments are confidential…",
 * "If you are not the intended recipient…", "DISCLAIMER"): boilerplate a mail system adds under
 * every message, whose "please contact the sender" and "on behalf of the Council" are nobody's words.
 */
const DISCLAIMER_START =
  /^\s*(?:[*=_-]+\s*)?(?:(?:e-?mail\s+)?disclaimer\b|confidentiality\s+(?:notice|statement)\b|legal\s+notice\b|important(?:\s+notice)?\s*:|(?:this|the\s+information\s+in\s+this|the\s+contents\s+of\s+this)\s+e-?mail(?:\s+message)?\s+(?:and\s+any\s+(?:attachments?|files?)|(?:is|are|may\s+be)\s+(?:confidential|private|intended|privileged|for\s+the\s+(?:sole\s+)?use)|may\s+contain|contains?\s+(?:confidential|information))|if\s+you\s+(?:are\s+not\s+the\s+intended|have\s+received\s+this\s+(?:e-?mail|message|communication)\s+in\s+error))/i;

/** Where a disclaimer starts, once the message has had some words of its own (a first line is never one). */
function startsDisclaimer(line: string, before: readonly string[]): boolean {
  return DISCLAIMER_START.test(line) && before.some((l) => l.trim().length > 0);
}

/**
 * The message's own lines: quoted replies ("> …", "On … wrote:", an "-----Original Message-----"
 * block, an Outlook "From:" header block) and a disclaimer under them are dropped, and so is the
 * signature after a "-- " line unless `keepSignature`.
 */
export function ownLines(text: string, keepSignature: boolean): string {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*>/.test(line)) continue;
    if (!keepSignature && /^-- ?$/.test(line)) break;
    if (startsDisclaimer(line, out)) break;
    if (/^\s*-{2,}\s*(?:Original|Forwarded) Message\s*-{2,}/i.test(line)) break;
    if (/^\s*On .{6,200} wrote:\s*$/i.test(line)) break;
    if (/^\s*From:\s.+/i.test(line) && out.length > 0 && /^\s*$/.test(out[out.length - 1] ?? '')) break;
    if (/^_{8,}\s*$/.test(line)) break;
    out.push(line);
  }
  return out.join('\n');
}

/** Text with quoted replies, signatures and disclaimers cut away, so old quoted mail and boilerplate do not make a rule fire. */
export function ownText(text: string): string {
  return ownLines(text, false);
}

/** All patterns that match `text`, each with the matched words (first match per pattern). */
export function findPhrases(text: string, patterns: readonly PhrasePattern[], field: string): Evidence[] {
  const found: Evidence[] = [];
  for (const p of patterns) {
    const m = p.re.exec(text);
    if (m) found.push({ kind: 'phrase', text: m[0].replace(/\s+/g, ' ').trim(), field });
  }
  return found;
}

export function fact(text: string): Evidence {
  return { kind: 'fact', text };
}

/** Render a message template: "{name} did {what}". Unknown placeholders are left as written. */
export function formatMessage(template: string, data: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in data ? String(data[key]) : whole));
}
