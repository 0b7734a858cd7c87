import { describe, expect, test } from 'vitest';
import { partyStatementPatterns } from '../../src/signals/media.js';
import { findPhrases } from '../../src/signals/match.js';
import { analysePartyWork, findPartyBusiness, partyNames, sentences } from '../../src/signals/political.js';

const parties = partyNames(['Millbrook First', undefined, 'Labour']);
const signals = { parties, extra: [] };

describe('sentences', () => {
  test('a soft-wrapped line carries on; a new line with a capital starts again', () => {
    expect(sentences('Could you print 300 copies of our\nelection leaflet by Friday?\nThanks,\nRaj')).toEqual([
      'Could you print 300 copies of our election leaflet by Friday?',
      'Thanks,',
      'Raj',
    ]);
  });
});

describe('partyNames', () => {
  test('directory parties are added to the common ones, once each', () => {
    expect(parties).toContain('Millbrook First');
    expect(parties.filter((p) => p === 'Labour')).toHaveLength(1);
  });
});

describe('analysePartyWork', () => {
  test('a directory party named with its leaflets', () => {
    const a = analysePartyWork('Printing', 'Could you print the Millbrook First leaflets for Castle ward?', signals);
    expect(a.request?.text).toBe('Could you print');
    expect(a.topics.map((t) => t.text)).toEqual(['Millbrook First leaflets']);
  });

  test('"the campaign" beside a civic campaign is not party work', () => {
    const a = analysePartyWork('Leaflets', 'Could you print leaflets for the campaign? It is the Keep Millbrook Tidy campaign.', signals);
    expect(a.request).toBeUndefined();
    expect(a.civic.map((c) => c.text)).toEqual(['Keep Millbrook Tidy campaign']);
  });

  test('"the campaign" with no civic campaign in sight is', () => {
    expect(analysePartyWork('Leaflets', 'Could you print leaflets for the campaign?', signals).request?.text).toBe('Could you print');
  });

  test('the annual canvass of electors is not canvassing', () => {
    expect(analysePartyWork('Register', 'Could you check the annual canvass forms went out?', signals).request).toBeUndefined();
  });
});

describe('findPartyBusiness', () => {
  test('every phrase is evidence, in the words as written', () => {
    const b = findPartyBusiness('Canvassing session', 'Please deliver these leaflets and vote for our candidates.', signals);
    expect(b.phrases.map((p) => p.text)).toEqual(['Canvassing session', 'deliver these leaflets', 'vote for our candidates']);
  });

  test('a party name alone, as in a signature, is not party business', () => {
    expect(findPartyBusiness('Potholes', 'Raj Mehta\nLabour Party councillor for Riverside', signals).phrases).toEqual([]);
  });
});

describe('partyStatementPatterns', () => {
  const patterns = partyStatementPatterns(parties);
  test.each(['On behalf of the Labour group, we object.', 'As Millbrook First group leader I welcome this.', 'Our party will fight this.'])('%s is a party statement', (text) => {
    expect(findPhrases(text, patterns, 'body').length).toBeGreaterThan(0);
  });
  test.each(['As Mayor I welcome this.', 'Our party on the green starts at noon.', 'The labour costs are high.'])('%s is not', (text) => {
    expect(findPhrases(text, patterns, 'body')).toEqual([]);
  });
});

describe('party names that are ordinary words', () => {
  test('"Green" after a place or a first name is not the party', () => {
    expect(analysePartyWork('x', 'Could you print leaflets for the Village Green campaign?', signals).request).toBeUndefined();
    expect(analysePartyWork('x', 'Could you print the Alice Green newsletter?', signals).request).toBeUndefined();
  });

  test('the party itself still counts, after "Vote" or a lower-case word', () => {
    expect(analysePartyWork('x', 'Could you print the Green campaign posters?', signals).topics.map((t) => t.text)).toContain('Green campaign');
    expect(findPartyBusiness('x', 'Vote Green on 6 May!', signals).phrases.map((t) => t.text)).toEqual(['Vote Green']);
    expect(findPartyBusiness('x', 'The Riverside Labour branch meets on Thursday.', signals).phrases.map((t) => t.text)).toEqual(['Labour branch']);
  });
});

describe('electioneering in the words people use', () => {
  const business = (text: string): string[] => findPartyBusiness('', text, signals).phrases.map((e) => e.text);

  test.each([
    ['Please support me on 6 May.', 'support me on 6 May'],
    ['Every vote counts in Castle ward.', 'Every vote counts'],
    ['Lend me your vote on Thursday.', 'Lend me your vote'],
    ['I’m standing for re-election in Riverside.', 'I’m standing for re-election'],
    ['Please re-elect Raj Mehta.', 're-elect Raj'],
    ['A vote for the Lib Dems is a vote for Millbrook.', 'vote for the Lib Dems'],
    ['We’ll be out canvassing on Saturday.', 'out canvassing'],
    ['The knocking-up team meets at 4pm.', 'knocking-up team'],
    ['I’ve got 400 of our leaflets to deliver.', 'our leaflets to deliver'],
    ['The Focus leaflet is ready.', 'Focus leaflet'],
  ])('"%s" is electioneering', (text, phrase) => {
    expect(business(text)).toContain(phrase);
  });

  test.each([
    'The Clerk will publish the notice of election on 25 March.',
    'The polling station at the Town Hall opens at 7am.',
    'The council’s electoral register is updated after the annual canvass.',
    'We are delivering a leaflet about the bin collections next week.',
    'Could you deliver the leaflets about the new recycling collections?',
    'Full Council agreed to support the grant application.',
    'Residents can apply for a postal vote online.',
    'I’m standing down as chair of the Allotments Committee.',
    'The Friends of Riverside Park are canvassing opinion on the play area.',
  ])('"%s" is council business, not electioneering', (text) => {
    expect(business(text)).toEqual([]);
    expect(analysePartyWork('', text, signals).mentions).toEqual([]);
  });
});

