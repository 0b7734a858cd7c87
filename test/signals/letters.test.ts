import { describe, expect, it } from 'vitest';
import { WORD_END, WORD_START } from '../../src/signals/letters.js';
import { words } from '../../src/signals/match.js';
import { partyPattern } from '../../src/signals/political.js';

describe('whole-word guards', () => {
  const p = words('test', 'print', 'leaflets');

  it('find the word with spaces, punctuation or quotation marks around it', () => {
    for (const t of ['please print this', '“print”', 'PRINT', '(leaflets)', 'print.', 'ﬁrm leaflets', 'café leaflets']) expect(p.re.test(t), t).toBe(true);
  });

  it('do not find it inside a longer word in English or with accents', () => {
    for (const t of ['reprint', 'printé', 'éprint', 'print2', '2print', 'Nguyễnprint', 'leafletsé']) expect(p.re.test(t), t).toBe(false);
  });

  it('treat a letter of any script as part of the word, scripts without case and beyond the Basic Multilingual Plane included', () => {
    const joined = [
      'Ελληνικάprint', // Greek
      'Кириллицаprint', // Cyrillic
      'עבריתprint', // Hebrew
      'العربيةprint', // Arabic
      'हिन्दीकprint', // Devanagari
      '中文print', // a CJK ideograph
      'ქართულიprint', // Georgian
      'ግዕዝprint', // Ethiopic
      'ᏣᎳᎩprint', // Cherokee
      '𐌰𐌱print', // Gothic, outside the Basic Multilingual Plane
      'print٣', // an Arabic-Indic digit
      'print①', // a circled digit
    ];
    for (const t of joined) expect(p.re.test(t), t).toBe(false);
  });

  it('are the property escapes for letters and digits, so any pattern built on them needs the u flag', () => {
    expect(WORD_START).toBe('(?<![\\p{L}\\p{N}])');
    expect(WORD_END).toBe('(?![\\p{L}\\p{N}])');
    const re = new RegExp(`${WORD_START}vote${WORD_END}`, 'iu');
    expect(re.test('Please VOTE Green')).toBe(true);
    expect(re.test('ქართულიvote')).toBe(false);
  });

  it("a council's own party names stop at letters of any script too", () => {
    const pattern = partyPattern('party', ['Green'], '', '\\s+Party');
    expect(pattern.re.test('the Green Party leaflet')).toBe(true);
    expect(pattern.re.test('ქართულიGreen Party')).toBe(false);
  });
});
