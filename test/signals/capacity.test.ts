import { describe, expect, test } from 'vitest';
import { AUTO_REPLY_SUBJECT, capacityPatterns, withoutQuotedReplies } from '../../src/signals/capacity.js';
import { findPhrases } from '../../src/signals/match.js';

const patterns = capacityPatterns(['Castle', 'Riverside', 'Northfield']);
const found = (text: string): string[] => findPhrases(text, patterns, 'body').map((e) => e.text);

describe('capacityPatterns', () => {
  test.each([
    ['As ward member for Castle I support this.', 'As ward member'],
    ['as a councillor for Riverside', 'as a councillor for'],
    ['This is my personal view.', 'my personal view'],
    ['I write in a personal capacity.', 'in a personal capacity'],
    ['In my capacity as chair of governors', 'In my capacity as'],
    ['As the Mayor, I welcome it.', 'As the Mayor'],
    ['As leader of the Council I welcome it.', 'As leader of'],
    ['on behalf of the Liberal Democrat group', 'on behalf of the Liberal Democrat group'],
    ['Alice Green\nCouncillor, Castle Ward', 'Councillor, Castle Ward'],
    ['Ben Hughes\nNorthfield Ward Councillor', 'Ward Councillor'],
    ['Raj Mehta – Member for Riverside', 'Member for Riverside'],
  ])('"%s" states a capacity', (text, phrase) => {
    expect(found(text)).toContain(phrase);
  });

  test.each(['I am writing as soon as I can.', 'Thank you for your email.', 'The ward boundary runs along Mill Lane.'])('"%s" states none', (text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('withoutQuotedReplies', () => {
  test('keeps the signature and drops the quoted reply', () => {
    const text = 'Thank you.\n\n-- \nSue Taylor\nCouncillor, Riverside Ward\n\nOn Mon, 16 Nov 2026 at 18:40, J Smith <j.smith@example.com> wrote:\n> As our ward councillor…';
    const own = withoutQuotedReplies(text);
    expect(own).toContain('Councillor, Riverside Ward');
    expect(own).not.toContain('As our ward councillor');
  });

  test('drops an Outlook header block and an original-message block', () => {
    expect(withoutQuotedReplies('Fine by me.\n\nFrom: J Smith\nSent: Monday\n\nI am your ward councillor')).toBe('Fine by me.\n');
    expect(withoutQuotedReplies('Yes.\n-----Original Message-----\nward councillor')).toBe('Yes.');
  });
});

test('automatic-reply subjects are recognised, ordinary ones are not', () => {
  expect(AUTO_REPLY_SUBJECT.test('Automatic reply: Bins')).toBe(true);
  expect(AUTO_REPLY_SUBJECT.test('Out of Office: Bins')).toBe(true);
  expect(AUTO_REPLY_SUBJECT.test('Re: out of office hours noise')).toBe(false);
});
