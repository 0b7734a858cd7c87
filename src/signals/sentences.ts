/**
 * Splitting a message's own text into sentences, in one pass over its characters. The result is
 * exactly that of the pattern the signals were written with,
 *
 *   text.split(/(?<=[.!?])\s+|\r?\n\s*\r?\n|\r?\n(?=\s*[^\p{Ll}\p{N}\s])/u)
 *       .map((s) => s.replace(/\s+/g, ' ').trim())
 *       .filter((s) => s.length > 0)
 *
 * (a sentence ends after ".", "!" or "?" and the spaces that follow, at a blank line, or at a line
 * break before a line that does not carry on in lower case or with a number), several times
 * faster: that pattern tries three alternatives at every character, and every sentence was then
 * copied again to tidy its spaces.
 */

const CR = 13;
const LF = 10;

/** JavaScript's `\s`: white space and line terminators (the same set `trim` removes). */
const SPACE = /\s/;
/** What does not end a sentence at a line break: a lower-case letter or a number. */
const CARRIES_ON = /^[\p{Ll}\p{N}]/u;

function isSpace(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return SPACE.test(text.charAt(i));
}

/** Index of the first character at or after `i` that is not white space (the length when none is). */
function skipSpaces(text: string, i: number): number {
  let j = i;
  while (j < text.length && isSpace(text, j)) j++;
  return j;
}

/** Where the separator that starts at `q` ends, or -1 when none starts there. */
function separatorEnd(text: string, q: number): number {
  // (?<=[.!?])\s+
  if (q > 0 && isSpace(text, q)) {
    const before = text.charCodeAt(q - 1);
    if (before === 46 || before === 33 || before === 63) return skipSpaces(text, q);
  }
  // \r?\n …: a line break here.
  let afterBreak: number;
  if (text.charCodeAt(q) === LF) afterBreak = q + 1;
  else if (text.charCodeAt(q) === CR && text.charCodeAt(q + 1) === LF) afterBreak = q + 2;
  else return -1;
  const nextText = skipSpaces(text, afterBreak);
  // \r?\n\s*\r?\n: a blank line; the separator runs to the last line break before the next text.
  const lastBreak = text.lastIndexOf('\n', nextText - 1);
  if (lastBreak >= afterBreak) return lastBreak + 1;
  // \r?\n(?=\s*[^\p{Ll}\p{N}\s]): a line that does not carry on the sentence.
  if (nextText < text.length) {
    const code = text.codePointAt(nextText) ?? 0;
    if (!CARRIES_ON.test(String.fromCodePoint(code))) return afterBreak;
  }
  return -1;
}

/** Runs of white space as one space, none at either end (`s.replace(/\s+/g, ' ').trim()`). */
function tidy(s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      if (i === 0 || i === s.length - 1 || s.charCodeAt(i + 1) === 32) {
        plain = false;
        break;
      }
    } else if ((c >= 9 && c <= 13) || (c >= 128 && isSpace(s, i))) {
      plain = false;
      break;
    }
  }
  return plain ? s : s.replace(/\s+/g, ' ').trim();
}

/** The last text split and its sentences: several rules ask for the same message's sentences in turn. */
let last: { text: string; sentences: readonly string[] } | undefined;

/** The sentences of `text`, each with its white space tidied; empty ones left out (a fresh list for each caller). */
export function splitSentences(text: string): string[] {
  if (last?.text !== text) last = { text, sentences: split(text) };
  return [...last.sentences];
}

function split(text: string): string[] {
  const out: string[] = [];
  const keep = (piece: string): void => {
    const s = tidy(piece);
    if (s.length > 0) out.push(s);
  };
  let start = 0;
  let q = 0;
  while (q < text.length) {
    const end = separatorEnd(text, q);
    if (end < 0) {
      // Step over a whole code point, as a split in Unicode mode does.
      const c = text.charCodeAt(q);
      q += c >= 0xd800 && c <= 0xdbff && q + 1 < text.length && (text.charCodeAt(q + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      continue;
    }
    keep(text.slice(start, q));
    start = end;
    q = end;
  }
  keep(text.slice(start));
  return out;
}
