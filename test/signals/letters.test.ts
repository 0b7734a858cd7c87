import { describe, expect, it } from 'vitest';
import { CAPITALS, DIGITS, EXACT_RANGES, LETTERS, SMALL_LETTERS, letterRegExp, withLetterRanges, WORD_END, WORD_START } from '../../src/signals/letters.js';
import { words } from '../../src/signals/match.js';

const exactly = (c: number): boolean => EXACT_RANGES.some(([from, to]) => c >= from && c <= to);

describe('letter classes as ranges', () => {
  const cases: [string, string, RegExp][] = [
    ['letters', LETTERS, /\p{L}/u],
    ['digits', DIGITS, /\p{N}/u],
    ['capitals', CAPITALS, /\p{Lu}/u],
    ['small letters', SMALL_LETTERS, /\p{Ll}/u],
  ];
  for (const [name, body, property] of cases) {
    it(`${name}: exactly the property's characters in the ranges covered exactly`, () => {
      const ours = new RegExp(`[${body}]`, 'u');
      const wrong: string[] = [];
      for (let c = 0; c <= 0xffff; c++) {
        if (!exactly(c)) continue;
        const ch = String.fromCharCode(c);
        if (ours.test(ch) !== property.test(ch)) wrong.push(c.toString(16));
      }
      expect(wrong).toEqual([]);
    });

    it(`${name}: elsewhere, only characters the property has`, () => {
      const ours = new RegExp(`[${body}]`, 'u');
      const extra: string[] = [];
      let covered = 0;
      for (let c = 0; c <= 0xffff; c++) {
        if (exactly(c) || (c >= 0xd800 && c <= 0xdfff)) continue;
        const ch = String.fromCharCode(c);
        if (!ours.test(ch)) continue;
        covered++;
        // Whole blocks of caseless scripts: all letters or digits, a few marks and signs aside.
        if (!/[\p{L}\p{N}\p{M}]/u.test(ch)) extra.push(c.toString(16));
      }
      expect(extra.length).toBeLessThan(covered / 50);
    });
  }

  it('writes the property escapes as ranges, inside and outside character classes, and keeps other escapes', () => {
    expect(withLetterRanges('a\\p{L}+b')).toBe(`a[${LETTERS}]+b`);
    expect(withLetterRanges("[\\p{L}'’-]")).toBe(`[${LETTERS}'’-]`);
    expect(withLetterRanges('[^\\p{L}\\p{N}]')).toBe(`[^${LETTERS}${DIGITS}]`);
    expect(withLetterRanges('\\\\p{L}')).toBe('\\\\p{L}'); // an escaped backslash, then plain text
    expect(withLetterRanges('\\s\\p{Sc}\\.')).toBe('\\s\\p{Sc}\\.');
    expect(WORD_START).toBe(`(?<![${LETTERS}${DIGITS}])`);
    expect(WORD_END).toBe(`(?![${LETTERS}${DIGITS}])`);
  });

  it('matches as the property escapes do on council text, accents and other scripts included', () => {
    const texts = [
      'Could you print the leaflets?',
      'café leaflets',
      'Cllr Zoë Brontë wrote to Ms Ó Súilleabháin',
      'précis: leaflet-drop',
      'Ελληνικά leaflets',
      'Кириллица leaflets',
      'leafletsé',
      'éleaflets',
      '中文leaflets',
      'العربية leaflets',
      'ＬＥＡＦＬＥＴＳ', // full-width: not the word
      'LEAFLETS',
      'ſeaflets',
      'ﬁrm leaflets', // a ligature is letters
      'Nguyễn leaflets',
      'leaflets①',
    ];
    const source = '(?<![\\p{L}\\p{N}])(?:leaflets?|vote\\s+for\\s+our\\s+\\p{L}+)(?![\\p{L}\\p{N}])';
    const property = new RegExp(source, 'iu');
    const ours = letterRegExp(source, 'iu');
    for (const t of texts) expect(ours.exec(t)?.[0], t).toBe(property.exec(t)?.[0]);
  });

  it('whole-word patterns from words() still stop at letters and digits on either side', () => {
    const p = words('test', 'print');
    expect(p.re.test('please print this')).toBe(true);
    expect(p.re.test('reprint')).toBe(false);
    expect(p.re.test('printé')).toBe(false);
    expect(p.re.test('print2')).toBe(false);
    expect(p.re.test('“print”')).toBe(true);
    expect(p.re.test('PRINT')).toBe(true);
  });
});
