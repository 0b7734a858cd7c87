/**
 * "Could any of these phrases be in this text?" in one pass. Most sentences of most messages hold
 * none of a rule's phrases; testing a list of patterns one by one costs a scan of the text per
 * pattern, while one pattern made of them all answers in a single scan. The answer is exact: the
 * combined pattern matches exactly when one of the patterns does, so a text it rejects is one in
 * which every pattern would have found nothing.
 */
import type { Evidence } from '../rules/types.js';
import { WORD_START } from './letters.js';
import { findPhrases, type PhrasePattern } from './match.js';

export interface PhraseFilter {
  /** False only when no pattern of the list matches anywhere in `text`. */
  mayMatch(text: string): boolean;
  /** Where the first match of any pattern of the list starts in `text` (no pattern matches before it), or -1 when none matches. */
  firstAt(text: string): number;
  /** False only when no pattern of the list matches anywhere in any of `texts` (each read on its own). */
  mayMatchAny(texts: readonly string[]): boolean;
}

/**
 * Whether a pattern could match the NUL character, or depends on where a text starts or ends:
 * the wildcard (`.`), a negated class or escape (`[^…]`, `\S`, `\W`, `\D`, `\P{…}`, `\B`), another
 * property or control escape (`\p{…}`, `\c`), an anchor (`^`, `$`), or NUL itself (`\0`, `\x00`,
 * `\u0000`, `\u{0}`). Read character by character, escapes skipped; a `^` or `.` inside a class
 * counts too (it cannot make a wrong answer, only a slower one).
 */
function readsAcrossNul(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if ('SWDPBpc0'.includes(next)) return true;
      if (next === 'x' && source.slice(i + 2, i + 4) === '00') return true;
      if (next === 'u' && (source.slice(i + 2, i + 6) === '0000' || /^\{0+\}/.test(source.slice(i + 2)))) return true;
      i++;
      continue;
    }
    if (c === '.' || c === '^' || c === '$') return true;
    if (c === '[' && source[i + 1] === '^') return true;
  }
  return false;
}

/**
 * Several texts read at once: joined by NUL, which none of the patterns can match or look through,
 * a pattern matches the joined text wherever it matched one of the texts (at a text's edge its
 * guards see NUL, which is neither letter, digit nor space, just as they saw nothing). When a
 * pattern could read across NUL, each text is tested on its own.
 */
const WALL = '\u0000';

/** Backreferences and named groups do not survive being put side by side with other patterns. */
const NOT_COMBINABLE = /\\[1-9]|\\k<|\(\?<(?![=!])/;

/** Flags that change what a pattern matches (not `g`, `y` or `d`, which only change how it is used). */
function matchingFlags(re: RegExp): string {
  return re.flags.replace(/[gyd]/g, '');
}

/** Index of the `)` closing the group that opens at `open`, or -1 (escapes and character classes skipped). */
function closingParen(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * The rest of a pattern after its leading whole-word guard, when the guard applies to all of it:
 * the rest is one group, optionally followed by a lookahead group, with no `|` outside them.
 */
function afterWordStart(source: string): string | undefined {
  if (!source.startsWith(WORD_START)) return undefined;
  const rest = source.slice(WORD_START.length);
  if (!rest.startsWith('(')) return undefined;
  const first = closingParen(rest, 0);
  if (first === rest.length - 1) return rest;
  if (first < 0 || rest[first + 1] !== '(') return undefined;
  return closingParen(rest, first + 1) === rest.length - 1 ? rest : undefined;
}

/** One pattern for a list of patterns sharing the same flags, or undefined when they cannot be combined. */
function combine(sources: readonly string[], flags: string): RegExp | undefined {
  if (sources.some((s) => NOT_COMBINABLE.test(s))) return undefined;
  const guarded: string[] = [];
  const others: string[] = [];
  for (const source of sources) {
    const rest = flags.includes('u') ? afterWordStart(source) : undefined;
    if (rest !== undefined) guarded.push(rest);
    else others.push(`(?:${source})`);
  }
  const alternatives = [...(guarded.length > 0 ? [`${WORD_START}(?:${guarded.join('|')})`] : []), ...others];
  try {
    return new RegExp(alternatives.join('|'), flags);
  } catch {
    return undefined;
  }
}

class CombinedFilter implements PhraseFilter {
  /** One test per distinct set of flags; a pattern that could not be combined is tested alone. */
  private readonly tests: RegExp[] = [];
  /** No pattern can match NUL or read across it: texts can be tested joined by NUL. */
  private readonly walled: boolean;

  constructor(patterns: readonly PhrasePattern[]) {
    this.walled = patterns.every((p) => !readsAcrossNul(p.re.source));
    const byFlags = new Map<string, string[]>();
    for (const p of patterns) {
      const flags = matchingFlags(p.re);
      const list = byFlags.get(flags) ?? [];
      list.push(p.re.source);
      byFlags.set(flags, list);
    }
    for (const [flags, sources] of byFlags) {
      const combined = combine(sources, flags);
      if (combined) this.tests.push(combined);
      else for (const source of sources) this.tests.push(new RegExp(source, flags));
    }
  }

  mayMatch(text: string): boolean {
    for (const re of this.tests) if (re.test(text)) return true;
    return false;
  }

  firstAt(text: string): number {
    let first = -1;
    for (const re of this.tests) {
      const m = re.exec(text);
      if (m !== null && (first < 0 || m.index < first)) first = m.index;
    }
    return first;
  }

  mayMatchAny(texts: readonly string[]): boolean {
    if (this.walled) return texts.length > 0 && this.mayMatch(texts.join(WALL));
    return texts.some((t) => this.mayMatch(t));
  }
}

interface TrieNode {
  next: WeakMap<RegExp, TrieNode>;
  filter?: PhraseFilter;
}

const root: TrieNode = { next: new WeakMap() };

/**
 * The filter for a list of patterns, built once per list: lists are told apart by the pattern
 * objects they hold, in order, so a list rebuilt from the same patterns finds the same filter.
 */
export function phraseFilter(patterns: readonly PhrasePattern[]): PhraseFilter {
  let node = root;
  for (const p of patterns) {
    let child = node.next.get(p.re);
    if (!child) {
      child = { next: new WeakMap() };
      node.next.set(p.re, child);
    }
    node = child;
  }
  node.filter ??= new CombinedFilter(patterns);
  return node.filter;
}

/** `findPhrases`, without reading the text pattern by pattern when the filter shows none is in it. */
export function findPhrasesFiltered(text: string, patterns: readonly PhrasePattern[], field: string): Evidence[] {
  return phraseFilter(patterns).mayMatch(text) ? findPhrases(text, patterns, field) : [];
}
