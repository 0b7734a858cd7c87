import { describe, expect, it } from 'vitest';
import { words, type PhrasePattern } from '../../src/signals/match.js';
import { onBehalfPatterns } from '../../src/signals/obligations.js';
import { findPhrasesFiltered, phraseFilter } from '../../src/signals/prefilter.js';
import { PHRASE_LISTS as L } from '../support/phrase-lists.js';

/** What the filter must answer: does any pattern, used on its own, find something? */
function anyMatches(patterns: readonly PhrasePattern[], text: string): boolean {
  return patterns.some((p) => new RegExp(p.re.source, p.re.flags.replace(/[gy]/g, '')).test(text));
}

/** The lists as the signals read them together. */
const GROUPS: Record<string, readonly PhrasePattern[]> = {
  electioneering: L.ELECTIONEERING,
  'party topics': [...L.PARTY_TOPICS, ...L.AMBIGUOUS_CAMPAIGN],
  'campaign activities and election words': [...L.CAMPAIGN_ACTIVITIES, ...L.ELECTION_CONTEXT],
  'party business': [...L.PARTY_BUSINESS, ...L['party business']],
  'party names (case-sensitive)': L['party context'],
  'civic campaigns (mixed flags)': L.CIVIC_CAMPAIGNS,
  conduct: L.CONDUCT_PHRASES,
  requests: [...L.REQUEST_PATTERNS, ...L.DEADLINE_PATTERNS],
  factual: L.FACTUAL_PATTERNS,
  capacity: L.capacity,
  'on behalf': L['on behalf'],
  obligations: [...L.obligations, ...L.informational],
  'party statements': L['party statements'],
};

/** Words taken from the patterns themselves, so random texts often hit (and nearly hit) them. */
function vocabulary(): string[] {
  const found = new Set<string>();
  for (const list of Object.values(GROUPS)) {
    for (const p of list) for (const w of p.re.source.match(/[A-Za-z’']{2,}/g) ?? []) found.add(w);
  }
  return [...found, 'Dan', 'Okafor', 'the', 'Council', 'Green', 'Village', 'not', 'annual', 'Vote', 'Cllr'];
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SEPARATORS = [' ', ' ', ' ', '  ', '\n', ', ', '. ', '-', '’s ', ' – '];

describe('phraseFilter', () => {
  const vocab = vocabulary();
  const r = rng(11);
  const texts: string[] = [
    '',
    'Could you please print these leaflets for our campaign?',
    'Frankly, Dan is not up to the job and should be sacked.',
    'Please find attached the Keep Millbrook Tidy campaign poster.',
    'Vote Green! The Village Green campaign needs you.',
    'I am writing as your ward councillor for Castle ward.',
    'On behalf of the Council, we accept your quotation. Please proceed.',
    'Speaking for the Labour Group, as Green group leader.',
    'When is the next meeting? Could you tell me the time?',
    'Please support me on 6 May – your vote matters, and we’re out canvassing tonight.',
  ];
  for (let n = 0; n < 3000; n++) {
    const length = 1 + Math.floor(r() * 8);
    const parts: string[] = [];
    for (let i = 0; i < length; i++) {
      const w = vocab[Math.floor(r() * vocab.length)] ?? '';
      parts.push(r() < 0.3 ? w.toUpperCase() : r() < 0.5 ? w.toLowerCase() : w);
      parts.push(SEPARATORS[Math.floor(r() * SEPARATORS.length)] ?? ' ');
    }
    texts.push(parts.join(''));
  }

  it.each(Object.entries(GROUPS))('answers exactly as the %s patterns one by one', (_name, patterns) => {
    const filter = phraseFilter(patterns);
    let hits = 0;
    for (const text of texts) {
      const expected = anyMatches(patterns, text);
      if (expected) hits += 1;
      expect(filter.mayMatch(text), JSON.stringify(text)).toBe(expected);
    }
    // The texts exercise both answers.
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(texts.length);
  });

  it.each(Object.entries(GROUPS))('finds where the first match of the %s patterns starts, ', (_name, patterns) => {
    const filter = phraseFilter(patterns);
    let found = 0;
    for (const text of texts) {
      const starts = patterns.map((p) => new RegExp(p.re.source, p.re.flags.replace(/[gy]/g, '')).exec(text)?.index).filter((i) => i !== undefined);
      const expected = starts.length > 0 ? Math.min(...starts) : -1;
      if (expected >= 0) found += 1;
      expect(filter.firstAt(text), JSON.stringify(text)).toBe(expected);
    }
    expect(found).toBeGreaterThan(0);
  });

  it('gives the first match of any pattern, however far into the text', () => {
    const text = 'Dear Sam, thank you. When is the next meeting? Could you please arrange a skip by Friday?';
    expect(phraseFilter(L.REQUEST_PATTERNS).firstAt(text)).toBe(text.indexOf('Could'));
    expect(phraseFilter(L.FACTUAL_PATTERNS).firstAt(text)).toBe(text.indexOf('When'));
    expect(phraseFilter(L.REQUEST_PATTERNS).firstAt('Thank you.')).toBe(-1);
  });

  it.each(Object.entries(GROUPS))('answers for several texts at once exactly as the %s patterns on each text', (_name, patterns) => {
    const filter = phraseFilter(patterns);
    const pick = rng(5);
    let hits = 0;
    const any = (): string => texts[Math.floor(pick() * texts.length)] ?? '';
    for (let n = 0; n < 1500; n++) {
      // Every 50th group holds one of the hand-written texts (the phrases most lists look for) among random ones.
      const group = Array.from({ length: 1 + Math.floor(pick() * 5) }, any);
      if (n % 50 === 0) group.splice(Math.floor(pick() * group.length), 0, texts[(n / 50) % 10] ?? '');
      const expected = group.some((t) => anyMatches(patterns, t));
      if (expected) hits += 1;
      expect(filter.mayMatchAny(group), JSON.stringify(group)).toBe(expected);
    }
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(1500);
    expect(filter.mayMatchAny([])).toBe(false);
  });

  it('does not join texts for patterns that could read across the join, or depend on where a text starts', () => {
    const cases: [PhrasePattern, string[], boolean][] = [
      [{ label: 'any gap', re: /leaflet.{1,3}round/u }, ['leaflet', 'round'], false],
      [{ label: 'non-space run', re: /print\S*now/u }, ['print', 'now'], false],
      [{ label: 'anchored', re: /^Vote/u }, ['Please', 'Vote for us'], true],
      [{ label: 'anchored end', re: /campaign$/u }, ['our campaign', 'next'], true],
      [{ label: 'not after a space', re: /(?<!\s)canvass/u }, ['x', 'canvass'], true],
      [{ label: 'not before anything', re: /canvass(?![^z])/u }, ['canvass', 'y'], true],
      [{ label: 'nul itself', re: /a\u0000b/u }, ['a', 'b'], false],
      [words('words', 'door\\s+knocking'), ['door', 'knocking'], false],
      [words('words', 'door\\s+knocking'), ['we went', 'door knocking'], true],
    ];
    for (const [pattern, group, expected] of cases) {
      expect(phraseFilter([pattern]).mayMatchAny(group), `${pattern.re.source} in ${JSON.stringify(group)}`).toBe(expected);
    }
  });

  it('falls back to testing one by one for patterns that cannot be combined', () => {
    const patterns: PhrasePattern[] = [
      { label: 'repeated word', re: /\b(\w+)\s+\1\b/i },
      { label: 'named', re: /(?<year>\d{4})-\k<year>/u },
      words('plain', 'hello'),
    ];
    const filter = phraseFilter(patterns);
    expect(filter.mayMatch('the the')).toBe(true);
    expect(filter.mayMatch('2026-2026')).toBe(true);
    expect(filter.mayMatch('say hello')).toBe(true);
    expect(filter.mayMatch('the then 2026-2027')).toBe(false);
  });

  it('ignores the g and y flags and any lastIndex the patterns carry', () => {
    const g = /abc/g;
    g.lastIndex = 10;
    const filter = phraseFilter([{ label: 'g', re: g }, { label: 'y', re: /xyz/y }]);
    expect(filter.mayMatch('abc')).toBe(true);
    expect(filter.mayMatch('--xyz')).toBe(true);
    expect(filter.mayMatch('ab xy')).toBe(false);
    expect(g.lastIndex).toBe(10);
  });

  it('is built once per list of patterns, and a list rebuilt from the same patterns finds it', () => {
    expect(phraseFilter([...L.CONDUCT_PHRASES])).toBe(phraseFilter(L.CONDUCT_PHRASES));
    expect(phraseFilter(L.REQUEST_PATTERNS)).not.toBe(phraseFilter(L.FACTUAL_PATTERNS));
  });

  it('finds nothing in an empty list', () => {
    expect(phraseFilter([]).mayMatch('anything')).toBe(false);
  });
});

describe('findPhrasesFiltered', () => {
  it('finds the same phrases as findPhrases', () => {
    const patterns = onBehalfPatterns('Millbrook Town Council');
    expect(findPhrasesFiltered('On behalf of the Council, I write.', patterns, 'body')).toEqual([
      { kind: 'phrase', text: 'On behalf of the Council', field: 'body' },
    ]);
    expect(findPhrasesFiltered('Nothing official here.', patterns, 'body')).toEqual([]);
  });
});
