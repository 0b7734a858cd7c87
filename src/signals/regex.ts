/**
 * Small pattern helpers the signals share: escaping text to be matched as written, and reading
 * every match of a pattern, fast. `String.prototype.matchAll` copies the pattern and
 * builds an iterator on every call, which costs several times the matching itself on the short
 * sentences the signals read; `matchesIn` gives the same matches, in the same order, from one
 * global copy of the pattern made once.
 */

interface GlobalCopy {
  re: RegExp;
  /** `u` or `v`: an empty match steps over a whole code point. */
  unicode: boolean;
}

const globals = new WeakMap<RegExp, GlobalCopy>();

/** A private copy of `re` with the `g` flag, built once per pattern and never handed out. */
function globalCopy(re: RegExp): GlobalCopy {
  let g = globals.get(re);
  if (!g) {
    g = { re: new RegExp(re.source, re.global ? re.flags : `${re.flags}g`), unicode: /[uv]/.test(re.flags) };
    globals.set(re, g);
  }
  return g;
}

/** Where the search goes on after an empty match (ECMAScript AdvanceStringIndex). */
function advance(text: string, index: number, unicode: boolean): number {
  if (!unicode || index + 1 >= text.length) return index + 1;
  const code = text.codePointAt(index) ?? 0;
  return index + (code > 0xffff ? 2 : 1);
}

/**
 * Every match of `re` in `text`, exactly as `[...text.matchAll(re)]` would give them for `re`
 * with the `g` flag (whatever `re`'s own flags and `lastIndex`): left to right, an empty match
 * stepping on by one character. With `from`, the search starts there (the text before it is still
 * seen by lookbehinds): the same matches, when none starts before `from`.
 */
export function matchesIn(re: RegExp, text: string, from = 0): RegExpExecArray[] {
  const { re: g, unicode } = globalCopy(re);
  const out: RegExpExecArray[] = [];
  g.lastIndex = from;
  try {
    for (;;) {
      const m = g.exec(text);
      if (m === null) break;
      out.push(m);
      if (m[0] === '') g.lastIndex = advance(text, g.lastIndex, unicode);
    }
  } finally {
    g.lastIndex = 0;
  }
  return out;
}

/** `s` with every character that means something in a pattern escaped, to be matched as written. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
