/**
 * Explainable phrase matching for heuristic rules: every match returns the words as they appear
 * in the item, so a finding can say exactly which phrases made it fire.
 */
import type { Evidence } from '../rules/types.js';
import { letterRegExp, WORD_END, WORD_START } from './letters.js';
import { authorText } from './signature.js';

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
 * The message's own lines: quoted and forwarded history (in every reply shape: above, below or
 * between quotes), disclaimers, footers and bounce text are left out, and so is the signature or
 * sign-off block unless `keepSignature`. See quoting.ts and signature.ts.
 */
export function ownLines(text: string, keepSignature: boolean): string {
  return authorText(text, keepSignature);
}

/** Text with quoted history, signatures and boilerplate cut away, so old quoted mail and footers do not make a rule fire. */
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
