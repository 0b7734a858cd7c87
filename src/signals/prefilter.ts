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
}

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

  constructor(patterns: readonly PhrasePattern[]) {
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
