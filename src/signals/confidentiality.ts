/**
 * Confidentiality markings: how a message says that it is confidential. A marking is a label, or a
 * notice in the subject or on the first line of the body ("CONFIDENTIAL:", "[Restricted]",
 * "Private and Confidential", "Part II – exempt information"); the word used in an ordinary sentence
 * ("this is not confidential", "the confidential waste bins will be collected") is not a marking.
 */
import { letterRegExp } from './letters.js';
import type { Evidence } from '../rules/types.js';
import { keyOfLists, memoize } from './memo.js';
import { escapeRegExp, matchesIn } from './regex.js';
import type { ForwardedBlock } from '../items/forwarded.js';

/** Phrases that mark a message wherever they stand in a subject, a label or the first line. */
export const STANDALONE_MARKINGS: readonly string[] = [
  'strictly private and confidential',
  'private and confidential',
  'private & confidential',
  'personal and confidential',
  'strictly confidential',
  'highly confidential',
  'commercial in confidence',
  'not for circulation',
  'not for onward circulation',
  'not for publication',
  'not for distribution',
  'not for onward transmission',
  'exempt information',
  'official-sensitive',
  'official sensitive',
];

/**
 * Words that mark a message only where a marking stands: in brackets ("[Confidential]"), first
 * and followed by a colon or dash ("CONFIDENTIAL: …"), last after a dash ("… – Restricted"),
 * in capitals within an ordinary subject, or as a label of their own.
 */
export const POSITIONAL_MARKINGS: readonly string[] = [
  'confidential',
  'restricted',
  'private',
  'part ii',
  'commercially sensitive',
  'in confidence',
  'sensitive',
];

const LETTER_AFTER = '(?![\\p{L}\\p{N}])';
const LETTER_BEFORE = '(?<![\\p{L}\\p{N}])';
/** A separator after a leading marking: colon, bar, slash, semicolon, a dash not inside a word. */
const SEP_AFTER = '\\s*(?:[:|/;–—]|-(?![\\p{L}\\p{N}]))';
/** A separator before a trailing marking: a spaced dash or bar, a colon or comma. */
const SEP_BEFORE = '(?:\\s[-–—|/]|[:,;])\\s*';
const NEGATED_BEFORE = letterRegExp(String.raw`(?:\bnot|n['’]t|\bnever|\bno\s+longer)\s+(?:\p{L}+\s+)?$`, 'iu');


/** A press embargo ("Not for publication before 00:01 on Tuesday") is a release time, not a marking. */
const EMBARGO_AFTER = '(?!\\s+(?:before|until|till)(?![\\p{L}]))';

/** Regex source for a phrase: its words separated by any whitespace ("not for publication" not before a release time). */
function phraseSource(phrase: string): string {
  const source = phrase
    .trim()
    .split(/\s+/)
    .map(escapeRegExp)
    .join('\\s+');
  return normalise(phrase) === 'not for publication' ? `${source}${EMBARGO_AFTER}` : source;
}

function normalise(phrase: string): string {
  return phrase.trim().replace(/\s+/g, ' ').toLowerCase();
}

export interface MarkingTerms {
  standalone: readonly string[];
  positional: readonly string[];
}

/** The built-in markings plus those a council adds (added markings count where a marking stands). */
export function markingTerms(extra: readonly string[] = []): MarkingTerms {
  const positional = [...POSITIONAL_MARKINGS, ...extra.map(normalise).filter((p) => p.length > 0)];
  return { standalone: STANDALONE_MARKINGS, positional: [...new Set(positional)] };
}

function allTerms(terms: MarkingTerms): string[] {
  // Longest first so "private and confidential" wins over "private".
  return [...terms.standalone, ...terms.positional].sort((a, b) => b.length - a.length);
}

function alternation(list: readonly string[]): string {
  return list.map(phraseSource).join('|');
}

/** Strip "Re:", "Fwd:", "AW:" and similar prefixes from a subject. */
export function stripReplyPrefixes(subject: string): string {
  return subject.replace(/^\s*(?:(?:re|fw|fwd|aw|tr|sv|vs|wg)\s*(?:\[\d+\])?\s*:\s*)+/iu, '').trim();
}

function phrase(text: string, field: string): Evidence {
  return { kind: 'phrase', text: text.replace(/\s+/g, ' ').trim(), field };
}

/** Every pattern the markings of one set of terms need, built once per set of terms. */
interface MarkingMatchers {
  /** A standalone marking anywhere. */
  standalone: RegExp;
  /** Any marking, in brackets: "[Confidential]", "(Restricted – staff)". */
  bracketed: RegExp;
  /** Any marking first in a subject, followed by a separator or nothing. */
  subjectLeading: RegExp;
  /** Any marking last in a subject, after a separator. */
  subjectTrailing: RegExp;
  /** Each positional marking in capitals. */
  upper: RegExp[];
  /** Any marking first on a line, followed by a separator, a full stop or nothing. */
  lineLeading: RegExp;
  /** Any marking as a whole word anywhere (for explaining a miss). */
  anywhere: RegExp;
  /** Every marking, normalised, for comparing labels whole. */
  exact: ReadonlySet<string>;
}

const compileMatchers = memoize(
  (terms: MarkingTerms) => keyOfLists(terms.standalone, terms.positional),
  (terms: MarkingTerms): MarkingMatchers => {
    const standalone = alternation(terms.standalone);
    const anyTerm = alternation(allTerms(terms));
    return {
      standalone: letterRegExp(`${LETTER_BEFORE}(?:${standalone})${LETTER_AFTER}`, 'iu'),
      bracketed: letterRegExp(`[\\[({<*]\\s*(?:${anyTerm})${LETTER_AFTER}[^\\])}>*]{0,40}[\\])}>*]`, 'iu'),
      subjectLeading: letterRegExp(`^(?:${anyTerm})(?=${SEP_AFTER}|\\s*$)`, 'iu'),
      subjectTrailing: letterRegExp(`${SEP_BEFORE}(${anyTerm})\\s*[.!]?\\s*$`, 'iu'),
      upper: terms.positional.map((term) => letterRegExp(`${LETTER_BEFORE}${phraseSource(term.toUpperCase())}${LETTER_AFTER}`, 'u')),
      lineLeading: letterRegExp(`^(?:${anyTerm})(?=${SEP_AFTER}|\\s*[.!]?\\s*$)`, 'iu'),
      anywhere: letterRegExp(`${LETTER_BEFORE}(?:${anyTerm})${LETTER_AFTER}`, 'iu'),
      exact: new Set(allTerms(terms).map(normalise)),
    };
  },
);

/** The same terms object asks again within one message: no need to read its lists again. */
const matchersByTerms = new WeakMap<MarkingTerms, MarkingMatchers>();

function matchersFor(terms: MarkingTerms): MarkingMatchers {
  let m = matchersByTerms.get(terms);
  if (!m) {
    m = compileMatchers(terms);
    matchersByTerms.set(terms, m);
  }
  return m;
}

/** A marking in a subject line, or undefined. */
export function subjectMarking(subject: string, terms: MarkingTerms): Evidence | undefined {
  const s = stripReplyPrefixes(subject);
  if (s.length === 0) return undefined;
  const m = matchersFor(terms);
  const standalone = m.standalone.exec(s);
  if (standalone) return phrase(standalone[0], 'subject');

  const bracketed = m.bracketed.exec(s);
  if (bracketed) return phrase(bracketed[0], 'subject');

  const leading = m.subjectLeading.exec(s);
  if (leading) return phrase(leading[0], 'subject');

  const trailing = m.subjectTrailing.exec(s);
  if (trailing?.[1]) return phrase(trailing[1], 'subject');

  // In capitals within a subject that is not all capitals: "Budget papers CONFIDENTIAL draft".
  // (A subject without three capitals in a row cannot hold one.)
  if (/\p{Ll}/u.test(s) && /\p{Lu}{3,}/u.test(s)) {
    for (const re of m.upper) {
      const upper = re.exec(s);
      if (upper && /\p{Lu}{3,}/u.test(upper[0])) return phrase(upper[0], 'subject');
    }
  }
  return undefined;
}

/** The first non-empty line of the message's own text, if it is a marking. */
export function firstLineMarking(ownBody: string, terms: MarkingTerms): Evidence | undefined {
  const first = firstNonEmptyLine(ownBody);
  if (first === undefined) return undefined;
  const line = first.replace(/^[\s*_=#[(<>~-]+/u, '').replace(/[\s*_=#\])>~]+$/u, '');
  const m = matchersFor(terms);
  const leading = m.lineLeading.exec(line);
  if (leading) return phrase(leading[0], 'first line');
  // "This e-mail is strictly confidential." — a standalone marking anywhere, unless negated.
  for (const found of matchesIn(m.standalone, line)) {
    if (!NEGATED_BEFORE.test(line.slice(0, found.index))) return phrase(found[0], 'first line');
  }
  return undefined;
}

/** The first line holding more than whitespace (lines end at \n or \r\n), without splitting the whole text. */
function firstNonEmptyLine(text: string): string | undefined {
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const line = end > start && text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    if (line.trim().length > 0) return line;
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  return undefined;
}

/** A label or category that marks the message ("Confidential", "HR/Restricted"). */
export function labelMarking(labels: readonly string[], terms: MarkingTerms): Evidence | undefined {
  if (labels.length === 0) return undefined;
  const m = matchersFor(terms);
  for (const label of labels) {
    const segments = label.split(/[/\\:>]/).map(normalise);
    if (segments.some((seg) => m.exact.has(seg)) || m.standalone.test(label)) {
      return { kind: 'fact', text: `labelled “${label.trim()}”`, field: 'labels' };
    }
  }
  return undefined;
}

/**
 * Where a marking word is used in ordinary text instead of as a marking — for explaining why a
 * rule did not fire ("the confidential waste bins will be collected").
 */
export function unmarkedMention(text: string, terms: MarkingTerms): string | undefined {
  const m = matchersFor(terms).anywhere.exec(text);
  if (!m) return undefined;
  // About thirty characters either side, widened to whole words.
  let start = Math.max(0, m.index - 30);
  while (start > 0 && /\S/u.test(text.charAt(start - 1))) start -= 1;
  let end = Math.min(text.length, m.index + m[0].length + 30);
  while (end < text.length && /\S/u.test(text.charAt(end))) end += 1;
  const excerpt = text.slice(start, end).replace(/\s+/g, ' ').trim();
  return `${start > 0 ? '…' : ''}${excerpt}${end < text.length ? '…' : ''}`;
}

/**
 * A marking on a forwarded message, for a message that forwards one: in the forwarded message's
 * own Subject line, or on its first line of text. A forward whose own subject was changed ("for
 * the weekend") still carries the marking of what it forwards.
 */
export function forwardedMarking(blocks: readonly ForwardedBlock[], terms: MarkingTerms): Evidence | undefined {
  for (const block of blocks) {
    const subject = block.headers.get('subject');
    const inSubject = subject === undefined ? undefined : subjectMarking(subject, terms);
    if (inSubject) return { ...inSubject, field: 'forwarded subject' };
    const inFirstLine = block.firstLine === undefined ? undefined : firstLineMarking(block.firstLine, terms);
    if (inFirstLine) return { ...inFirstLine, field: 'forwarded message' };
  }
  return undefined;
}
