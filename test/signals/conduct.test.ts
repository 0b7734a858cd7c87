import { describe, expect, test } from 'vitest';
import type { Person } from '../../src/directory/directory.js';
import { findConductAbout, officerNamers } from '../../src/signals/conduct.js';
import { words } from '../../src/signals/match.js';
import { directory } from '../support/council.js';

const people = directory.people;
const sam = people.find((p) => p.name === 'Sam Patel') as Person;
const about = (text: string, exclude: readonly Person[] = [sam]) =>
  findConductAbout(text, people, exclude).map((f) => ({ officer: f.officer.name, phrases: f.phrases.map((p) => p.text) }));

describe('findConductAbout', () => {
  test('a criticism broken over lines, in capitals, or in a clause of its own is found', () => {
    expect(about('To be honest Dan is\r\nout of his\n  depth.')).toEqual([{ officer: 'Dan Okafor', phrases: ['out of his depth'] }]);
    expect(about('Frankly Dan is LAZY.')).toEqual([{ officer: 'Dan Okafor', phrases: ['LAZY'] }]);
    expect(about('The report was late, but Dan is lazy; nobody else is.')).toEqual([{ officer: 'Dan Okafor', phrases: ['lazy'] }]);
  });

  test('an officer named in the same clause as the criticism', () => {
    expect(about('To be honest Dan is lazy.')).toEqual([{ officer: 'Dan Okafor', phrases: ['lazy'] }]);
  });

  test('“he” in the next sentence carries the officer named before', () => {
    expect(about('I am worried about Priya. She is out of her depth.')).toEqual([{ officer: 'Priya Shah', phrases: ['out of her depth'] }]);
  });

  test('“he” two sentences later does not', () => {
    expect(about('Dan rang this morning. The bins are out. He is useless.')).toEqual([]);
  });

  test('a contractor named after the officer takes over “he”', () => {
    expect(about('I spoke to Dan about the contractor. He has been hopeless.')).toEqual([]);
  });

  test('negated criticism and officers wronged by others do not count', () => {
    expect(about('Dan is never rude to anyone.')).toEqual([]);
    expect(about('Priya was bullied by a resident at the counter.')).toEqual([]);
    expect(about('A resident was rude to Priya today.')).toEqual([]);
  });

  test('the author is never the officer criticised', () => {
    expect(about('Sam Patel is not up to the job, I admit it.')).toEqual([]);
  });

  test('a full name wins over the first name, and the phrases are the words as written', () => {
    const found = findConductAbout('Frankly, Dan Okafor should be sacked – he keeps making mistakes.', people, []);
    expect(found[0]?.mention.text).toBe('Dan Okafor');
    expect(found[0]?.phrases.map((p) => p.text)).toEqual(['should be sacked', 'keeps making mistakes']);
  });
});

describe('officerNamers', () => {
  test('a first name shared with a member does not name the officer', () => {
    const danMember: Person = { id: 'dan.ward@millbrook-tc.gov.uk', name: 'Cllr Dan Ward', emails: ['dan.ward@millbrook-tc.gov.uk'], role: 'member', wards: [], titles: [] };
    const withMemberDan = [...people, danMember];
    const kinds = officerNamers(withMemberDan)
      .filter((n) => n.person.name === 'Dan Okafor')
      .map((n) => n.kind);
    expect(kinds).not.toContain('first name');
    expect(findConductAbout('Dan is rude.', withMemberDan, [])).toEqual([]);
    expect(findConductAbout('Mr Okafor is rude.', withMemberDan, []).map((f) => f.officer.name)).toEqual(['Dan Okafor']);
  });

  test('“the Town Clerk” names the one Clerk', () => {
    expect(findConductAbout('The Town Clerk is incompetent.', people, []).map((f) => f.officer.name)).toEqual(['Helen Ashworth']);
  });
});

describe('findConductAbout reads a sentence only when a phrase may be in one of its clauses', () => {
  test('a council phrase that starts with punctuation, straight after a clause break, still counts', () => {
    const extra = [words('conduct (council phrase)', '#fail')];
    const found = findConductAbout('Honestly but#fail by Dan Okafor again.', people, [sam], extra);
    expect(found.map((f) => f.officer.name)).toEqual(['Dan Okafor']);
  });

  test('a wronged officer stays wronged across a clause break ("the victim of, bullying")', () => {
    expect(about('Dan is the victim of, bullying.')).toEqual(about('Dan is the victim of bullying.'));
    expect(about('Priya was bullied, by a resident.')).toEqual([{ officer: 'Priya Shah', phrases: ['bullied'] }]);
  });
});
