import { describe, expect, it } from 'vitest';
import { splitSentences } from '../../src/signals/sentences.js';

/** The definition the splitter must reproduce exactly. */
function reference(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\r?\n\s*\r?\n|\r?\n(?=\s*[^\p{Ll}\p{N}\s])/u)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Everything the splitter treats specially, and some of what it must not.
const PIECES = [
  'a', 'b', 'Z', 'Q', '1', '9', '.', '!', '?', ',', ' ', ' ', '  ', '\t', '\n', '\n', '\r', '\r\n', '\n\n', '\r\n\r\n', ' \n ',
  '\u00a0', '\u2028', '\u3000', '\ufeff', '\u000b', 'é', 'É', 'ß', '٣', 'Ⅻ', '’', '😀', '\ud800', '\udc00', '𝟘', 'Dear Sam,',
  'could you', 'Thanks.', '-- ', '> quoted',
];

describe('splitSentences', () => {
  it('splits as the reference pattern does on ordinary messages', () => {
    const text = 'Dear Sam,\r\n\r\nCould you please arrange the benches? Thank you.\nKind regards,\nTom\n\n> On Monday, Sam wrote:\n> the bins';
    expect(splitSentences(text)).toEqual(reference(text));
    expect(splitSentences(text)).toEqual(['Dear Sam,', 'Could you please arrange the benches?', 'Thank you.', 'Kind regards,', 'Tom', '> On Monday, Sam wrote:', '> the bins']);
  });

  it('keeps a line that carries on in lower case or with a number in the same sentence', () => {
    expect(splitSentences('the meeting\nis on\n12 May\nAt the hall')).toEqual(['the meeting is on 12 May', 'At the hall']);
  });

  it('gives nothing for empty or blank text', () => {
    expect(splitSentences('')).toEqual([]);
    expect(splitSentences(' \r\n\t ')).toEqual([]);
  });

  it('agrees with the reference pattern on 20,000 random texts', () => {
    const r = rng(7);
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      const length = Math.floor(r() * 30);
      for (let i = 0; i < length; i++) text += PIECES[Math.floor(r() * PIECES.length)] ?? '';
      expect(splitSentences(text), JSON.stringify(text)).toEqual(reference(text));
    }
  });
});
