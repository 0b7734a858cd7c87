/**
 * The words a phrase list needs (`requiredFragments`) and the quick scan built on them
 * (`PhraseFilter.couldHold`): what is read from a pattern, and — the property that matters — that
 * a text the scan passes over holds no match of any pattern of the list, in the text or in any
 * sentence, clause or joined piece the signals cut from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { walledClauses } from '../../src/signals/conduct.js';
import { words } from '../../src/signals/match.js';
import { phraseFilter } from '../../src/signals/prefilter.js';
import { PHRASE_LISTS } from '../support/phrase-lists.js';
import { fragmentSource, requiredFragments, requiredFragmentsOfAll } from '../../src/signals/required-words.js';
import { splitSentences } from '../../src/signals/sentences.js';

const GUARD = '(?<![A-Za-z0-9])';

function sources(re: RegExp): string[] | undefined {
  return requiredFragments(re)?.map(fragmentSource).sort();
}

describe('requiredFragments reads what every match must hold', () => {
  test.each<[string, RegExp, string[] | undefined]>([
    ['words with white space between them', /could\s+you\s+print/iu, ['could\\s+you\\s+print']],
    ['one of the alternatives', /(?:print|photocopy)/i, ['photocopy', 'print']],
    ['a whole word, as a word start', words('x', 'rude').re, [`${GUARD}rude`]],
    ['a character that may be missing', /re-?elect/i, ['re-?elect']],
    ['the longer of two runs an optional group splits', /ab(?:c)?def/, ['def']],
    ['a class ends a run', /[Cc]ampaign/, ['ampaign']],
    ['a repeated character ends its run', /x+yz/, ['yz']],
    ['white space written as a space', /fighting fund/i, ['fighting\\s+fund']],
    ['optional white space', /I\s*d/i, ['I\\s*d']],
    ['what a lookahead asks for is not required', /(?=abcdef)xy/, ['xy']],
    ['an optional group requires nothing', /(?:abc)?/, undefined],
    ['an empty alternative requires nothing', /(?:abc|)/, undefined],
    ['an alternative of only classes requires nothing', /foo|\d+/, undefined],
    ['letters by property require nothing', /\p{L}+/u, undefined],
    ['the v flag is not read', new RegExp('abc', 'v'), undefined],
  ])('%s', (_name, re, expected) => {
    expect(sources(re)).toEqual(expected);
  });

  test('a case-sensitive pattern keeps its case; a case-insensitive one need not', () => {
    expect(requiredFragments(/Labour/u)?.[0]?.caseSensitive).toBe(true);
    expect(requiredFragments(/labour/iu)?.[0]?.caseSensitive).toBe(false);
  });

  test('a word start is kept only before a letter (a walled-off "but" may stand before punctuation or a digit)', () => {
    expect(sources(words('x', '#fail').re)).toEqual(['#fail']);
    expect(sources(words('x', '5\\s+stars').re)).toEqual(['5\\s+stars']);
  });

  test('a list needs none of its words when one pattern needs none; a word found in another is enough', () => {
    expect(requiredFragmentsOfAll([/abc/, /\d+/])).toBeUndefined();
    expect(requiredFragmentsOfAll([])).toEqual([]);
    expect(requiredFragmentsOfAll([/canvass/i, /canvassing\s+rota/i])?.map(fragmentSource)).toEqual(['canvass']);
  });

  test.each<[string, RegExp[], string]>([
    ['an \\x that is not a hex escape, outside the u flag', [new RegExp('\\x|foo')], 'x'],
    ['a \\u that is not a code escape, outside the u flag', [new RegExp('\\u|abcdefg')], 'u'],
    ['a \\c with no control letter (a backslash, then c)', [/\c|foo/], '\\c'],
    ['an ASCII-only guard under i without u, before the Kelvin sign', [/(?<![A-Za-z])foo/i], '\u212Afoo'],
    ['an ASCII-only guard under i without u, before long s', [/(?<![A-Za-z])foo/i], '\u017Ffoo'],
    ['a class written with ranges that only look like A-Z', [/(?<![0-A-Za-z])foo/], 'Bfoo'],
    ['a case-sensitive word and a case-insensitive one inside it', [/(?<![A-Za-z])Foo/u, /(?<![A-Za-z])fo/iu], '\u017FFoo'],
  ])('is never fooled by %s', (_name, res, text) => {
    expect(res.some((re) => re.test(text))).toBe(true);
    expect(phraseFilter(res.map((re) => ({ label: 'x', re }))).couldHold(text)).toBe(true);
  });

  test('an empty list can hold nothing; a list needing nothing could hold anything', () => {
    expect(phraseFilter([]).couldHold('anything at all')).toBe(false);
    expect(phraseFilter([{ label: 'x', re: /\d+/ }]).couldHold('no digits')).toBe(true);
  });
});

/** Texts from the rule and signal tests and the demo mailbox: realistic council mail, hits and near-misses. */
function sampleTexts(): string[] {
  const root = path.resolve(import.meta.dirname, '../..');
  const texts: string[] = [];
  const literal = /'((?:[^'\\\n]|\\.){12,})'|"((?:[^"\\\n]|\\.){12,})"|`((?:[^`\\]|\\.){12,})`/g;
  const unescape = (s: string): string => s.replace(/\\([nrt'"`\\])/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
  for (const dir of ['test/rules', 'test/signals', 'test/corpus']) {
    for (const file of readdirSync(path.join(root, dir))) {
      if (!file.endsWith('.ts')) continue;
      for (const m of readFileSync(path.join(root, dir, file), 'utf8').matchAll(literal)) texts.push(unescape(m[1] ?? m[2] ?? m[3] ?? ''));
    }
  }
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.eml')) texts.push(readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(root, 'config/demo/source'));
  return texts;
}

/** The same text with its words run over line breaks and its case changed: what the scan must see through. */
function variants(text: string, seed: number): string[] {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const broken = text.replace(/ /g, () => (next() < 0.3 ? '\r\n  ' : ' '));
  const cased = [...text].map((c) => (next() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
  return [text, broken, cased, text.toUpperCase()];
}

/** The pieces the signals read a text in: the text, its sentences, their clauses walled off, all of them joined by NUL. */
function pieces(text: string): string[] {
  const sentences = splitSentences(text);
  const walled = sentences.map(walledClauses);
  return [text, ...sentences, ...walled, sentences.join('\u0000'), walled.join('\u0000')];
}


describe('couldHold never passes over a text that holds a phrase', () => {
  const texts = sampleTexts().flatMap((t, i) => variants(t, i + 1));

  test('the sample is large', () => {
    expect(texts.length).toBeGreaterThan(2000);
  });

  test.each(Object.entries(PHRASE_LISTS))('%s', (_name, list) => {
    const filter = phraseFilter(list);
    let holding = 0;
    let passedOver = 0;
    for (const text of texts) {
      const matched = pieces(text).some((piece) => list.some((p) => p.re.test(piece)));
      const could = filter.couldHold(text);
      if (matched) {
        holding++;
        if (!could) throw new Error(`passed over a text holding a phrase: ${JSON.stringify(text.slice(0, 300))}`);
      } else if (!could) passedOver++;
    }
    // Both sides were exercised: texts with a phrase of the list, and texts the scan let go.
    expect(holding).toBeGreaterThan(0);
    expect(passedOver).toBeGreaterThan(0);
  });
});
