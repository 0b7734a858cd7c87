/**
 * The words a pattern cannot match without, read from its source: a set of fragments of literal
 * text of which every match holds at least one. `could\s+you\s+print` needs "could you print";
 * `(?:print|photocopy)` needs "print" or "photocopy"; a whole-word pattern's words must also start a
 * word. A text holding none of a list's fragments cannot match any pattern of the list — nor can
 * any piece cut from it (a sentence, a clause), with its runs of white space made one space, with
 * clause breaks (punctuation, a dash, a word such as "but") replaced by a wall of space, NUL and
 * space, or several pieces joined by NUL:
 *
 * - a fragment's words are ASCII letters, digits and punctuation, with no white space, and such a
 *   run of characters is copied unchanged into every piece;
 * - the white space between two words is looked for as `\s+` (or `\s*`), never as the exact
 *   characters, because tidying turns a line break and spaces into one space;
 * - a word that must start a word, and starts with a letter, is looked for as `(?<![A-Za-z])word`:
 *   in a piece it follows no letter (or starts the piece), and in the text it came from the
 *   character before it is then white space or punctuation, never a letter (a clause-break word
 *   such as "but" walled off stands before punctuation or a digit, never before a letter).
 *
 * This answers "could this text hold any of these phrases?" with one quick scan, where reading the
 * text sentence by sentence and pattern by pattern costs much more, and most messages hold none of
 * a rule's phrases. The answer only ever errs towards "it could". Case is ignored throughout: a
 * case-sensitive pattern's fragments are looked for in any case, which finds more, never fewer.
 *
 * What is read: literal characters, escaped punctuation, white space, groups and alternation,
 * quantifiers, and a negative lookbehind for letters (the whole-word guard). Everything else —
 * classes, `.`, other escapes (`\p{…}`, `\u…`, `\d`), anchors, other lookarounds, back references
 * and any non-ASCII character — ends a run of literal text and requires nothing itself. A branch
 * that requires nothing makes its whole alternation require nothing, and then so does the pattern
 * (`undefined`, and then any text may match).
 */
import { escapeRegExp } from './regex.js';

/** What must not stand straight before a fragment: nothing in particular, a letter, or a letter or digit. */
export type WordStart = '' | 'letter' | 'alnum';

/** What stands between two words of a fragment: white space (at least one character, or any number) or a character that may be missing. */
export type Join = { space: '+' | '*' } | { optional: string };

/** Literal text every match holds: words with white space (or a character that may be missing) between them. */
export interface Fragment {
  /** The words, in order (at least one). */
  words: readonly string[];
  /** What stands between each word and the next (`words.length - 1` lists, each of one or more joins). */
  joins: readonly (readonly Join[])[];
  /** Whether the first word must start a word. */
  start: WordStart;
  /** Whether the pattern was case-sensitive (its fragments are then looked for as written). */
  caseSensitive: boolean;
}

/** At least one of these fragments is in every match. */
export type Required = readonly Fragment[];

const START_SOURCE: Readonly<Record<WordStart, string>> = { '': '', letter: '(?<![A-Za-z])', alnum: '(?<![A-Za-z0-9])' };
const START_RANK: Readonly<Record<WordStart, number>> = { '': 0, letter: 1, alnum: 2 };

function joinSource(joins: readonly Join[]): string {
  return joins.map((j) => ('space' in j ? `\\s${j.space}` : `${escapeRegExp(j.optional)}?`)).join('');
}

/** The pattern source that finds a fragment (in its case, or any case). */
export function fragmentSource(f: Fragment): string {
  let out = START_SOURCE[f.start] + escapeRegExp(f.words[0] ?? '');
  for (let k = 1; k < f.words.length; k++) out += joinSource(f.joins[k - 1] ?? [{ space: '+' }]) + escapeRegExp(f.words[k] ?? '');
  return out;
}

function keyOf(f: Fragment): string {
  const source = fragmentSource(f);
  return f.caseSensitive ? `=${source}` : `~${source.toLowerCase()}`;
}

/** Characters that mean something bare in a pattern. */
const SYNTAX = new Set(['.', '^', '$', '|', '(', ')', '[', ']', '{', '}', '*', '+', '?', '\\']);
/** Escapes that match white space only. */
const SPACE_ESCAPES = 'sfnrtv';

function isLiteralAscii(c: string): boolean {
  const code = c.charCodeAt(0);
  // Printable ASCII, not the space.
  return code > 32 && code < 127;
}

/**
 * Words in most council mail: a requirement resting on one of them alone lets nearly every message
 * through, so another requirement of the same pattern is preferred when there is one. (Only how
 * much is skipped depends on this list, never whether a match is missed.)
 */
const COMMON = new Set(
  (
    'a an and are as at be been but by can could did do does for from get go got had has have he her his i if in is it its let ' +
    'like make making may me meeting my need no not of on or our please send she should so take that the their them they this ' +
    'to up us want was we were what when will with would you your'
  ).split(' '),
);

/** How much a fragment narrows the texts that hold it: its length, nothing for one common word (or one letter). */
function fragmentStrength(f: Fragment): number {
  if (f.words.length === 1) {
    const only = f.words[0] ?? '';
    return COMMON.has(only.toLowerCase()) || only.length < 2 ? 0 : only.length + START_RANK[f.start];
  }
  return f.words.reduce((n, w) => n + w.length, 0) + START_RANK[f.start];
}

function strength(req: Required): number {
  return Math.min(...req.map(fragmentStrength));
}

/** The better of two requirements: the stronger, then the one with fewer fragments. */
function better(a: Required, b: Required): Required {
  const sa = strength(a);
  const sb = strength(b);
  if (sa !== sb) return sa > sb ? a : b;
  return a.length <= b.length ? a : b;
}

interface Quantifier {
  min: number;
  /** Whether the atom may be repeated (so literal text cannot run on past it). */
  repeats: boolean;
}

/** What the scan's `(?<![A-Za-z])` refuses before a word under the `iu` flags: the ASCII letters, the Kelvin sign and long s. */
const GUARDED_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\u212A\u017F';

class SourceReader {
  private i = 0;

  private readonly unicode: boolean;
  private readonly caseSensitive: boolean;

  constructor(
    private readonly source: string,
    private readonly flags: string,
  ) {
    this.unicode = flags.includes('u');
    this.caseSensitive = !flags.includes('i');
  }

  /** The requirement of the whole source; throws on syntax this reader does not know. */
  read(): Required | undefined {
    const req = this.disjunction('');
    if (this.i !== this.source.length) throw new Error(`unexpected "${this.source[this.i]}" at ${this.i}`);
    return req;
  }

  private peek(offset = 0): string {
    return this.source[this.i + offset] ?? '';
  }

  /** Alternatives up to the next `)` or the end; `start` holds at the start of each. */
  private disjunction(start: WordStart): Required | undefined {
    const branches: (Required | undefined)[] = [this.alternative(start)];
    while (this.peek() === '|') {
      this.i++;
      branches.push(this.alternative(start));
    }
    if (branches.some((b) => b === undefined)) return undefined;
    const all = new Map<string, Fragment>();
    for (const b of branches as Required[]) for (const f of b) all.set(keyOf(f), f);
    return [...all.values()];
  }

  private alternative(startAtEntry: WordStart): Required | undefined {
    let best: Required | undefined;
    const keep = (req: Required | undefined): void => {
      if (req === undefined || req.length === 0) return;
      best = best === undefined ? req : better(best, req);
    };
    // What must not come straight before the current position (when nothing has been read since a guard).
    let here: WordStart = startAtEntry;
    // The run of literal text being read: its finished words, what stands between them, the word
    // being read, what has been read after it (joins, once another word follows), and the guard
    // that held where the run began.
    let words: string[] = [];
    let joins: Join[][] = [];
    let word = '';
    let pending: Join[] = [];
    let runStart: WordStart = '';
    const flush = (): void => {
      if (word.length > 0) words.push(word);
      if (words.length > 0) keep([{ words, joins: joins.slice(0, words.length - 1), start: runStart, caseSensitive: this.caseSensitive }]);
      words = [];
      joins = [];
      word = '';
      pending = [];
    };
    /** A join read: ends the word being read (a run not yet begun is left alone). */
    const join = (j: Join): void => {
      if (word.length > 0) {
        words.push(word);
        word = '';
      } else if (words.length === 0) return;
      const last = pending[pending.length - 1];
      if (last !== undefined && 'space' in last && 'space' in j) last.space = last.space === '+' || j.space === '+' ? '+' : '*';
      else pending.push({ ...j });
    };
    while (this.i < this.source.length) {
      const c = this.peek();
      if (c === '|' || c === ')') break;
      if (c === '(') {
        const { required, lookaround, guard } = this.group(here);
        const q = this.quantifier();
        if (lookaround) {
          // Matches no text: the run goes on across it. A letter guard is remembered for what follows.
          if (guard !== undefined && q === undefined && words.length === 0 && word.length === 0) {
            here = START_RANK[guard] > START_RANK[here] ? guard : here;
          }
          continue;
        }
        flush();
        here = '';
        if (q === undefined || q.min > 0) keep(required);
        continue;
      }
      if (c === '[') {
        this.skipClass();
        this.quantifier();
        flush();
        here = '';
        continue;
      }
      let literal: string | undefined;
      let isSpace = false;
      if (c === '\\') {
        const next = this.peek(1);
        if (next === '') throw new Error('pattern ends with a backslash');
        this.skipEscape();
        if (SPACE_ESCAPES.includes(next)) isSpace = true;
        else if (!/[A-Za-z0-9]/.test(next) && isLiteralAscii(next)) literal = next;
      } else if (c === '^' || c === '$') {
        // An anchor matches no text, but is not followed through here.
        this.i++;
      } else {
        this.i++;
        if (c === ' ' || c === '\t') isSpace = true;
        else if (!SYNTAX.has(c) && isLiteralAscii(c)) literal = c;
      }
      const q = this.quantifier();
      if (isSpace) {
        join({ space: q !== undefined && q.min === 0 ? '*' : '+' });
        here = '';
        continue;
      }
      if (literal !== undefined && q !== undefined && q.min === 0 && !q.repeats && (word.length > 0 || words.length > 0)) {
        // "re-?elect": a character that may be missing, inside a run.
        join({ optional: literal });
        here = '';
        continue;
      }
      if (literal === undefined || (q !== undefined && q.min === 0)) {
        flush();
        here = '';
        continue;
      }
      // Only a letter is sure to follow no letter in the text too: a wall put in for a clause break
      // ("but") may stand straight before punctuation or a digit that followed the word.
      if (words.length === 0 && word.length === 0) runStart = /[A-Za-z]/.test(literal) ? here : '';
      if (word.length === 0 && words.length > 0) {
        joins.push(pending);
        pending = [];
      }
      word += literal;
      here = '';
      if (q !== undefined && q.repeats) flush();
    }
    flush();
    return best;
  }

  /**
   * A group from its `(` to its `)`: what it requires (`start` holding at its start), whether it
   * is a lookaround (matches no text), and for a negative lookbehind of one class holding the
   * ASCII letters, the guard it makes.
   */
  private group(start: WordStart): { required: Required | undefined; lookaround: boolean; guard?: WordStart } {
    const open = this.i;
    this.i++; // (
    let lookaround = false;
    if (this.peek() === '?') {
      const kind = this.peek(1);
      if (kind === ':') this.i += 2;
      else if (kind === '=' || kind === '!') {
        this.i += 2;
        lookaround = true;
      } else if (kind === '<' && (this.peek(2) === '=' || this.peek(2) === '!')) {
        this.i += 3;
        lookaround = true;
      } else if (kind === '<') {
        const close = this.source.indexOf('>', this.i);
        if (close < 0) throw new Error('unterminated group name');
        this.i = close + 1;
      } else throw new Error(`unknown group (?${kind}`);
    }
    const bodyStart = this.i;
    const required = this.disjunction(lookaround ? '' : start);
    if (this.peek() !== ')') throw new Error('unterminated group');
    const body = this.source.slice(bodyStart, this.i);
    this.i++;
    if (!lookaround) return { required, lookaround };
    const guard = this.source.startsWith('(?<!', open) ? this.letterGuard(body) : undefined;
    return guard === undefined ? { required, lookaround } : { required, lookaround, guard };
  }

  /**
   * The guard a negative lookbehind of `body` makes, when `body` is one class that (under the
   * pattern's own flags) holds every character the scan's guard refuses: the ASCII letters with
   * the Kelvin sign and long s (which a case-insensitive scan counts as K and s), and for `alnum`
   * the digits too. Judged by trying the class itself, not by how it is written.
   */
  private letterGuard(body: string): WordStart | undefined {
    if (!body.startsWith('[') || body.startsWith('[^') || !body.endsWith(']')) return undefined;
    const inner = body.slice(1, -1);
    // One class only: no unescaped `[` or `]` inside.
    for (let k = 0; k < inner.length; k++) {
      if (inner[k] === '\\') k++;
      else if (inner[k] === ']' || inner[k] === '[') return undefined;
    }
    let cls: RegExp;
    try {
      cls = new RegExp(`^${body}$`, this.flags.replace(/[gyd]/g, ''));
    } catch {
      return undefined;
    }
    if (![...GUARDED_LETTERS].every((c) => cls.test(c))) return undefined;
    return [...'0123456789'].every((c) => cls.test(c)) ? 'alnum' : 'letter';
  }

  private skipClass(): void {
    this.i++; // [
    while (this.i < this.source.length) {
      const c = this.peek();
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      this.i++;
      if (c === ']') return;
    }
    throw new Error('unterminated character class');
  }

  /** Past an escape. Outside the `u` flag an escape that is not well formed stands for its letter (or `\\c` for a backslash). */
  private skipEscape(): void {
    const next = this.peek(1);
    this.i += 2;
    const hex = (n: number): boolean => /^[0-9A-Fa-f]+$/.test(this.source.slice(this.i, this.i + n)) && this.i + n <= this.source.length;
    if ((next === 'p' || next === 'P' || next === 'u') && this.unicode && this.peek() === '{') {
      const close = this.source.indexOf('}', this.i);
      if (close < 0) throw new Error('unterminated escape');
      this.i = close + 1;
    } else if (next === 'u') {
      if (hex(4)) this.i += 4;
    } else if (next === 'x') {
      if (hex(2)) this.i += 2;
    } else if (next === 'c') {
      // A control letter; otherwise the backslash is itself and the "c" is read next.
      if (/[A-Za-z]/.test(this.peek())) this.i += 1;
      else this.i -= 1;
    } else if (next === 'k' && this.peek() === '<') {
      const close = this.source.indexOf('>', this.i);
      if (close < 0) throw new Error('unterminated group name');
      this.i = close + 1;
    } else if (/[0-9]/.test(next)) {
      while (/[0-9]/.test(this.peek())) this.i++;
    }
  }

  private quantifier(): Quantifier | undefined {
    const c = this.peek();
    let q: Quantifier | undefined;
    if (c === '*') q = { min: 0, repeats: true };
    else if (c === '+') q = { min: 1, repeats: true };
    else if (c === '?') q = { min: 0, repeats: false };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.i));
      if (!m) throw new Error('a brace that is not a quantifier');
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
      q = { min, repeats: max > 1 };
    }
    if (q === undefined) return undefined;
    this.i++;
    if (this.peek() === '?') this.i++; // lazy
    return q;
  }
}

/** Each pattern's fragments, read once (a pattern is in several lists). */
const known = new WeakMap<RegExp, Required | undefined>();

/**
 * The fragments every match of `re` holds at least one of, or `undefined` when the pattern may
 * match without any (or is written in syntax this reader does not know, such as the `v` flag's sets).
 */
export function requiredFragments(re: RegExp): Required | undefined {
  if (known.has(re)) return known.get(re);
  let req: Required | undefined;
  if (!re.flags.includes('v')) {
    try {
      req = new SourceReader(re.source, re.flags).read();
    } catch {
      req = undefined;
    }
  }
  known.set(re, req);
  return req;
}

/** Does every text holding `f` hold the one-word fragment `single` too? */
function holds(f: Fragment, single: Fragment): boolean {
  if (single.caseSensitive && !f.caseSensitive) return false;
  const fold = (w: string): string => (single.caseSensitive ? w : w.toLowerCase());
  const w = fold(single.words[0] ?? '');
  if (single.start === '') return f.words.some((x) => fold(x).includes(w));
  return START_RANK[f.start] >= START_RANK[single.start] && fold(f.words[0] ?? '').startsWith(w);
}

/**
 * The fragments of a list of patterns, at least one of which every match of any of them holds, or
 * `undefined` when one of the patterns requires none. A fragment that holds a one-word fragment
 * of the list is left out (the word is found wherever the fragment is).
 */
export function requiredFragmentsOfAll(res: readonly RegExp[]): Required | undefined {
  const all = new Map<string, Fragment>();
  for (const re of res) {
    const req = requiredFragments(re);
    if (req === undefined) return undefined;
    for (const f of req) all.set(keyOf(f), f);
  }
  const singles = [...all.values()].filter((f) => f.words.length === 1);
  return [...all.values()].filter((f) => !singles.some((s) => s !== f && holds(f, s) && !(holds(s, f) && keyOf(s) > keyOf(f))));
}

/** Finds texts holding any of a list of fragments: one scan for those in any case, one for those as written. */
export class FragmentScan {
  private readonly tests: readonly RegExp[];

  constructor(req: Required) {
    const folded = req.filter((f) => !f.caseSensitive).map(fragmentSource);
    const exact = req.filter((f) => f.caseSensitive).map(fragmentSource);
    this.tests = [...(folded.length > 0 ? [new RegExp(folded.join('|'), 'iu')] : []), ...(exact.length > 0 ? [new RegExp(exact.join('|'), 'u')] : [])];
  }

  /** Whether `text` holds any of the fragments. */
  test(text: string): boolean {
    for (const re of this.tests) if (re.test(text)) return true;
    return false;
  }
}
