/**
 * One reading of requests for every rule: the same text, sent by a member to an officer without
 * the Clerk, is a request for work to requests-via-clerk exactly when it is one to
 * no-party-political-use, and a request for party work is reported by both.
 */
import { describe, expect, test } from 'vitest';
import noPartyPoliticalUse from '../../src/rules/no-party-political-use.js';
import requestsViaClerk from '../../src/rules/requests-via-clerk.js';
import { analysePartyWork } from '../../src/signals/political.js';
import { analyseRequests } from '../../src/signals/requests.js';
import { A, mail, runRule } from '../support/council.js';
import { CORPUS, HELD_OUT, SIGNALS } from './measure.js';

const TEXTS = [...CORPUS, ...HELD_OUT].map((e) => e.text);

describe('requests-via-clerk and no-party-political-use read requests the same way', () => {
  test('the two signals agree on every text of the corpus', () => {
    const disagree = TEXTS.filter((t) => analyseRequests(t).requests.length > 0 !== analysePartyWork('', t, SIGNALS).requests.length > 0);
    expect(disagree).toEqual([]);
  });

  test('the two rules agree on every text of the corpus sent to an officer', () => {
    const disagree: string[] = [];
    for (const text of TEXTS) {
      const item = mail({ from: A.ben, to: [A.dan], subject: 'Northfield', text: `Dan,\n\n${text}\n\nBen` });
      const clerkRule = runRule(requestsViaClerk, item);
      const partyRule = runRule(noPartyPoliticalUse, item);
      const asksForWork = clerkRule.hits.length > 0;
      const asksForPartyWork = partyRule.hits.some((h) => h.messageId === 'askedOfficerForPartyWork');
      // A request for party work is a request for work; a text with no request for work asks for no party work.
      if (asksForPartyWork && !asksForWork) disagree.push(text);
      // The request each quotes is one the other sees as well.
      const partyRequest = partyRule.hits.find((h) => h.messageId === 'askedOfficerForPartyWork')?.evidence[0]?.text;
      if (partyRequest !== undefined && !clerkRule.hits[0]?.evidence.some((e) => e.text === partyRequest)) disagree.push(text);
    }
    expect(disagree).toEqual([]);
  });

  test('a request for party work is reported by both rules, whatever its wording', () => {
    const partyWork = [...CORPUS, ...HELD_OUT].filter((e) => e.partyWork).map((e) => e.text);
    const both = partyWork.filter((text) => {
      const item = mail({ from: A.ben, to: [A.dan], subject: 'Northfield', text: `Dan,\n\n${text}\n\nBen` });
      return runRule(requestsViaClerk, item).hits.length > 0 && runRule(noPartyPoliticalUse, item).hits.some((h) => h.messageId === 'askedOfficerForPartyWork');
    });
    // Every one the party-work signal recognises on its own.
    const recognised = partyWork.filter((t) => analysePartyWork('', t, SIGNALS).request !== undefined);
    expect(both).toEqual(recognised);
    expect(both.length).toBeGreaterThan(25);
  });
});
