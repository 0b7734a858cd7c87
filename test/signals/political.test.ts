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
