import { describe, expect, test } from 'vitest';
import { findPhrases } from '../../src/signals/match.js';
import { councilNameSource, informationalPatterns, obligationPatterns, onBehalfPatterns, speaksForABody } from '../../src/signals/obligations.js';

const NAME = 'Millbrook Town Council';
const onBehalf = (text: string): string[] => findPhrases(text, onBehalfPatterns(NAME), 'body').map((e) => e.text);
const obligations = (text: string): string[] => findPhrases(text, obligationPatterns(NAME), 'body').map((e) => e.text);

describe('onBehalfPatterns', () => {
  test.each([
    ['We are writing on behalf of Millbrook Town Council.', 'on behalf of Millbrook Town Council'],
    ['for and on behalf of Millbrook Council', 'for and on behalf of Millbrook Council'],
    ['The Town Council has resolved to object.', 'The Town Council has resolved'],
    ['The Council will repair the fence.', 'The Council will repair'],
    ['I am authorised by the Council to say so.', 'I am authorised by the Council'],
  ])('"%s" speaks for the Council', (text, phrase) => {
    expect(onBehalf(text)).toContain(phrase);
  });

  test.each([
    'I am not writing on behalf of the Council.',
    'I cannot speak on behalf of the Council.',
    'I will raise this with the Council.',
    'The Council will consider this at its next meeting.',
    'The Council will not be able to help.',
    'on behalf of the Council’s allotment tenants',
  ])('"%s" does not speak for the Council', (text) => {
    expect(onBehalf(text)).toEqual([]);
  });

  test('"the Council will consider" is informational', () => {
    expect(findPhrases('The Council will consider it.', informationalPatterns(NAME), 'body').map((e) => e.text)).toEqual(['The Council will consider']);
  });

  test('the council name source escapes the name', () => {
    const re = new RegExp(`^${councilNameSource('St. Mary (Upper) Parish Council')}$`, 'i');
    expect(re.test('St. Mary (Upper) Parish Council')).toBe(true);
    expect(re.test('St. Mary (Upper) Council')).toBe(true);
    expect(re.test('Stx Mary (Upper) Parish Council')).toBe(false);
  });
});

describe('obligationPatterns', () => {
  test.each([
    ['We are pleased to accept your tender.', 'We are pleased to accept your tender'],
    ['You may now proceed with the works.', 'You may now proceed'],
    ['You are hereby instructed to remove the sign.', 'You are hereby instructed to'],
    ['The Council will meet the cost of the repair.', 'The Council will meet the cost'],
    ['Please treat this email as our formal order.', 'Please treat this email as our formal order'],
    ['Please start work on Monday.', 'Please start work'],
  ])('"%s" creates an obligation', (text, phrase) => {
    expect(obligations(text)).toContain(phrase);
  });

  test.each(['We cannot accept your quotation.', 'Please do not proceed yet.', 'I am unable to authorise this.'])('"%s" creates none', (text) => {
    expect(obligations(text)).toEqual([]);
  });

  test('speaksForABody recognises "we" and "the Council" but not "I"', () => {
    expect(speaksForABody('We accept your quotation')).toBe(true);
    expect(speaksForABody('the Council will pay')).toBe(true);
    expect(speaksForABody('I accept your quote')).toBe(false);
    expect(speaksForABody('please proceed')).toBe(false);
  });
});
