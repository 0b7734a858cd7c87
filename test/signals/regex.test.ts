import { describe, expect, it } from 'vitest';
import { matchesIn } from '../../src/signals/regex.js';

function viaMatchAll(re: RegExp, text: string): { index: number; text: string; groups: (string | undefined)[] }[] {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  return [...text.matchAll(g)].map((m) => ({ index: m.index, text: m[0], groups: m.slice(1) }));
}

function viaMatchesIn(re: RegExp, text: string): { index: number; text: string; groups: (string | undefined)[] }[] {
  return matchesIn(re, text).map((m) => ({ index: m.index, text: m[0], groups: m.slice(1) }));
}

const CASES: [RegExp, string][] = [
  [/(?<![\p{L}\p{N}])(?:could|can)\s+you(?![\p{L}\p{N}])/iu, 'Could you, can you? Scan you. CAN YOU'],
  [/a*/u, 'baaab😀a'],
  [/(?:)/u, '😀x😀'],
  [/(?:)/, '😀x'],
  [/x?/, 'axxb'],
  [/(\d+)-(\d+)?/g, '1-2 3- 45-6'],
  [/\bthe\b/i, 'The theme of the day'],
  [/$/u, 'end'],
  [/nothing/, 'here'],
];

describe('matchesIn', () => {
  it.each(CASES)('gives what matchAll gives for %s', (re, text) => {
    expect(viaMatchesIn(re, text)).toEqual(viaMatchAll(re, text));
  });

  it('starts from the beginning whatever the pattern has been used for, and leaves it as it was', () => {
    const re = /o/g;
    re.lastIndex = 5;
    expect(matchesIn(re, 'foo boo').map((m) => m.index)).toEqual([1, 2, 5, 6]);
    expect(re.lastIndex).toBe(5);
  });

  it('from a position, gives the matches that start there or later, lookbehinds still seeing what is before', () => {
    expect(matchesIn(/o/, 'foo boo', 3).map((m) => m.index)).toEqual([5, 6]);
    expect(matchesIn(/(?<=b)o/, 'foo boo', 5).map((m) => m.index)).toEqual([5]);
    expect(matchesIn(/o/, 'foo boo', 0)).toEqual(matchesIn(/o/, 'foo boo'));
  });

  it('can be called again while its results are still being read', () => {
    const re = /\w+/;
    const outer = matchesIn(re, 'one two');
    const inner = outer.map((m) => matchesIn(re, m[0].toUpperCase()).map((x) => x[0]));
    expect(inner).toEqual([['ONE'], ['TWO']]);
  });
});
