import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/requests-via-clerk.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

ruleTester(rule, {
  valid: [
    {
      name: 'asking to be sent a document ("could you send me the agenda and the minutes") is a factual enquiry',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'Allotments Committee',
        text: 'Hi Priya,\n\nCould you send me the agenda for Thursday and the minutes of the last meeting? I can’t find them on the website.\n\nThanks,\nRaj',
      }),
    },
    {
      name: 'a newsletter footer ("to unsubscribe please send an email…") under a thank-you is nobody’s request',
      item: mail({
        from: A.sue,
        to: [A.sam],
        subject: 'Re: Riverside in Bloom',
        text: 'Thanks Sam – the planters look wonderful.\n\nSue\n\nRiverside Residents’ Newsletter. To unsubscribe please send an email to news@riverside-residents.org.uk with “unsubscribe” in the subject line.',
      }),
    },
    {
      name: 'bounce text ("please check the address and try again") is not the author’s request',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Fw: Undeliverable: Northfield Community Centre',
        text: 'Dan, FYI – this bounced from the Scouts.\n\nDelivery has failed to these recipients or groups: leader@northfieldscouts.org.uk. Please check the address and try again.',
      }),
    },
    {
      name: 'a member asks the Clerk (the right route)',
      item: mail({
        from: A.alice,
        to: [A.clerk],
        subject: 'Castle Street bins',
        text:
          'Dear Helen,\n\nResidents of Castle Street tell me the bins were missed again on Monday. Could you arrange for someone to chase the waste contractor, please?\n\nMany thanks,\nAlice',
      }),
    },
    {
      name: 'the Clerk is in Cc on a request to an officer',
      item: mail({
        from: A.raj,
        to: [A.priya],
        cc: [A.clerk],
        subject: 'Riverside Park bandstand',
        text: 'Dear Priya,\n\nCould you please book the bandstand for the Riverside brass band on Sunday 6 June? Helen is copied as agreed.\n\nRegards,\nRaj',
      }),
    },
    {
      name: 'a purely factual question to an officer',
      item: mail({
        from: A.sue,
        to: [A.sam],
        subject: 'Bin collections on Mill Lane',
        text: 'Hi Sam,\n\nCould you tell me when the bins are collected on Mill Lane? A new resident asked me at the weekend.\n\nThanks,\nSue',
      }),
    },
    {
      name: 'factual questions only: "is there", "how many", "could you confirm whether"',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Northfield Community Centre bookings',
        text:
          'Dan,\n\nIs there a hearing loop in the main hall at the Northfield Community Centre? And how many regular hirers do we have on Tuesday evenings? Could you confirm whether the hall is free on 14 January?\n\nBen',
      }),
    },
    {
      name: 'a factual question above the standard email disclaimer ("please contact the sender", "please ensure")',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'Allotments',
        text: 'Hi Priya,\n\nHow many people are on the allotment waiting list at the moment?\n\nThanks,\n\nCllr Raj Mehta\nRiverside Ward\n\nThis email and any attachments are confidential and intended solely for the addressee. If you are not the intended recipient, please contact the sender immediately and delete it. Please ensure you have adequate virus protection before you open or detach any documents.',
      }),
    },
    {
      name: '"please could you send my apologies" passes on a courtesy, not a request for work',
      item: mail({
        from: A.sue,
        to: [A.priya],
        subject: 'Apologies',
        text: 'Hi Priya,\n\nPlease could you send my apologies to this evening’s Planning Committee? I am unwell.\n\nSue',
      }),
    },
    {
      name: '"could you help me understand", "any chance you could tell me" and "any chance you would know" ask for facts',
      item: mail({
        from: A.ben,
        to: [A.sam],
        subject: 'Precept',
        text: 'Hi Sam,\n\nCould you help me understand how the precept is worked out? Any chance you could tell me when it is set? Any chance you would know when the Weir Road resurfacing starts?\n\nThanks,\nBen',
      }),
    },
    {
      name: 'an officer asks a member for something',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Civic service seating plan',
        text: 'Dear Cllr Green,\n\nCould you send me the names of your guests for the civic service by Friday, please? I am drawing up the seating plan.\n\nKind regards,\nSam Patel',
      }),
    },
    {
      name: 'a member thanks an officer ("thanks for sorting this" is not a request)',
      item: mail({
        from: A.tom,
        to: [A.priya],
        subject: 'RE: Market Square benches',
        text:
          'Priya,\n\nThanks for sorting this out so quickly — the new benches look splendid and several traders have said so. Please send my thanks to the team who installed them.\n\nBest wishes,\nTom',
      }),
    },
    {
      name: 'the request is only in the quoted earlier message below "On … wrote:"',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'RE: Weir Road noticeboard',
        text:
          'Thanks Priya, that is very helpful.\n\nRaj\n\nOn Tue, 17 Nov 2026 at 14:02, Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk> wrote:\n> Could you arrange for the Weir Road noticeboard to be repaired before the Christmas events?',
      }),
    },
    {
      name: 'a member asks an officer named as a direct contact',
      options: { directContacts: [A.sam] },
      item: mail({
        from: A.sue,
        to: [A.sam],
        subject: 'Agenda item for Finance Committee',
        text: 'Dear Sam,\n\nPlease could you add the Mill Lane allotment rents to the next Finance Committee agenda?\n\nThanks,\nSue',
      }),
    },
    {
      name: '"can you get back to me" is not a request for work',
      item: mail({
        from: A.alice,
        to: [A.dan],
        subject: 'Tree survey on Castle Street',
        text: 'Hi Dan,\n\nCan you get back to me once you know the date of the next tree survey? A resident is worried about the lime outside number 12.\n\nAlice',
      }),
    },
    {
      name: 'a council factual phrase covers what would otherwise look like a request',
      options: { extraFactualPhrases: ['send me the minutes'] },
      item: mail({
        from: A.ben,
        to: [A.priya],
        subject: 'Minutes of the Northfield working group',
        text: 'Priya,\n\nCould you send me the minutes of the last Northfield working group? I cannot find them on the website.\n\nBen',
      }),
    },
    {
      name: 'a spoofed message in a member’s name',
      item: mail({
        from: A.tom,
        to: [A.sam],
        authFailed: true,
        subject: 'Urgent payment',
        text: 'Sam, I need you to make a payment of £4,800 to the account below today.',
      }),
    },
  ],
  invalid: [
    {
      name: 'a hedged wish addressed to a team ("is there any chance the grounds staff might cut…")',
      item: mail({
        from: A.alice,
        to: [A.priya],
        subject: 'Castle Green',
        text: 'Hi Priya,\n\nIs there any chance the grounds staff might cut the grass on Castle Green before the fete on Saturday?\n\nMany thanks,\nAlice',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.alice, evidence: ['Is there any chance the grounds staff might cut'] }],
    },
    {
      name: 'a conditional request to "the office" ("I’d appreciate it if the office could send out…")',
      item: mail({
        from: A.tom,
        to: [A.sam],
        subject: 'Hall hire',
        text: 'Sam,\n\nI’d appreciate it if the office could send out the hall hire reminders this week.\n\nTom',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.tom, evidence: ['I’d appreciate it if the office could send'] }],
    },
    {
      name: 'a request to "someone in your department"',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Brook Lane',
        text: 'Dan,\n\nBrook Lane is flooded again by the bridge. Can someone in your department sort out the blocked gully?\n\nBen',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.ben, evidence: ['Can someone in your department sort out'] }],
    },
    {
      name: 'a passive request ("could the hedge … be cut back")',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'Station Road footpath',
        text: 'Hi Priya,\n\nCould the hedge on Station Road be cut back before it blocks the footpath completely?\n\nRaj',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.raj, evidence: ['Could the hedge on Station Road be cut'] }],
    },
    {
      name: '"could you take a look at" a blocked drain',
      item: mail({
        from: A.sue,
        to: [A.dan],
        subject: 'Drain on Mill Lane',
        text: 'Hi Dan,\n\nThe drain outside 14 Mill Lane is blocked again. Could you take a look at it this week?\n\nThanks,\nSue',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.sue, evidence: ['Could you take a look at'] }],
    },
    {
      name: '"any chance you could chase" the contractor',
      item: mail({
        from: A.tom,
        to: [A.sam],
        subject: 'Market Square bench',
        text: 'Sam,\n\nAny chance you could chase the contractor about the broken bench in Market Square?\n\nTom',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.tom, evidence: ['Any chance you could chase'] }],
    },
    {
      name: '"is there any chance you could get" the hedge cut (the "is there" is not a factual question here)',
      item: mail({
        from: A.tom,
        to: [A.dan],
        subject: 'Mill Lane hedge',
        text: 'Dan,\n\nIs there any chance you could get the hedge on Mill Lane cut back before the fun run on Saturday?\n\nTom',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.tom, evidence: ['any chance you could get'] }],
    },
    {
      name: '"can you help with" the grass cutting',
      item: mail({
        from: A.alice,
        to: [A.priya],
        subject: 'Hazel Avenue verges',
        text: 'Dear Priya,\n\nThe verges on Hazel Avenue have not been cut since May. Can you help with getting them done before the fete?\n\nBest wishes,\nAlice',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.alice, evidence: ['Can you help with'] }],
    },
    {
      name: 'a member asks an officer to arrange a collection',
      item: mail({
        from: A.alice,
        to: [A.sam],
        subject: 'Castle Street bins',
        text:
          'Hi Sam,\n\nThe bins on Castle Street were missed again on Monday. Could you arrange an extra collection this week and let the residents know?\n\nThanks,\nAlice',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.alice, evidence: ['could you arrange'] }],
    },
    {
      name: '"please can you book" a room',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'Riverside residents’ meeting',
        text: 'Dear Priya,\n\nPlease can you book the community room for a Riverside residents’ meeting on 9 December, 7pm to 9pm?\n\nRegards,\nRaj',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.raj, evidence: ['please can you book'] }],
    },
    {
      name: '"I need you to" with a deadline',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Hazel Avenue swings',
        text: 'Dan,\n\nI need you to get the broken swings on Hazel Avenue fixed by Friday — parents are complaining at the school gate.\n\nBen',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.ben, evidence: ['I need you to', 'by Friday'] }],
    },
    {
      name: 'a factual question and a request for work together: the request counts',
      item: mail({
        from: A.sue,
        to: [A.priya],
        subject: 'Allotment waiting list',
        text:
          'Hi Priya,\n\nCould you tell me how many people are on the Mill Lane allotment waiting list? Could you also put together a short note on the options for splitting plots for the next committee?\n\nThanks,\nSue',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.sue, evidence: ['could you also put together'] }],
    },
    {
      name: 'another member in Cc is not the Clerk; "can you get someone to"',
      item: mail({
        from: A.tom,
        to: [A.sam],
        cc: [A.alice],
        subject: 'Market Square fountain',
        text: 'Sam,\n\nThe fountain in Market Square has been switched off for a fortnight. Can you get someone to look at it before the Christmas market?\n\nTom',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.tom, evidence: ['can you get someone to'] }],
    },
    {
      name: '"would you mind putting together" a briefing',
      item: mail({
        from: A.raj,
        to: [A.sam, A.dan],
        subject: 'Budget briefing for the Labour group',
        text: 'Sam, Dan,\n\nWould you mind putting together a one-page briefing on the grounds maintenance budget before Tuesday?\n\nRaj',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.raj, evidence: ['would you mind putting'] }],
    },
    {
      name: 'a deadline phrased as a need ("need cutting before Friday")',
      item: mail({
        from: A.sue,
        to: [A.dan],
        subject: 'Mill Lane verges',
        text: 'Dan,\n\nThe verges on Mill Lane need cutting before Friday, when the Riverside in Bloom judges visit.\n\nSue',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.sue, evidence: ['need cutting before Friday'] }],
    },
    {
      name: 'a council’s own request phrase',
      options: { extraRequestPhrases: ['can I leave it with you'] },
      item: mail({
        from: A.alice,
        to: [A.priya],
        subject: 'Library garden',
        text: 'Priya,\n\nThe raised beds by Millbrook Library are overgrown again. Can I leave it with you?\n\nAlice',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.alice, evidence: ['can I leave it with you'] }],
    },
  ],
});

describe('requests-via-clerk reasons', () => {
  test('a purely factual question is explained with its phrase', () => {
    const ev = runRule(
      rule,
      mail({ from: A.tom, to: [A.sam], text: 'Sam, could you tell me when the library reopens?\n\nTom' }),
    );
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toBe('Cllr Tom Brown asked Sam Patel a factual question ("could you tell me"); no request for work');
  });

  test('the summary data names the member, the officers and the request phrase', () => {
    const ev = runRule(rule, mail({ from: A.raj, to: [A.sam, A.priya], text: 'Please arrange a site visit to Weir Road.' }));
    expect(ev.hits[0]?.data).toEqual({ author: 'Cllr Raj Mehta', officers: 'Sam Patel and Priya Shah', phrase: 'Please arrange' });
    expect(ev.hits[0]?.people).toEqual([A.raj, A.sam, A.priya]);
  });

  test('spoofing is reported and nothing is done in the claimed name', () => {
    const ev = runRule(rule, mail({ from: A.tom, to: [A.sam], authFailed: true, text: 'I need you to pay this.' }));
    expect(ev.reason).toBe(`authentication failed for ${A.tom}: possible spoofing; nothing is done in that person's name`);
  });

  test('an event gets "applies to mail only"', () => {
    expect(runRule(rule, event({ summary: 'Ward surgery', organizer: A.alice })).reason).toBe('applies to mail only');
  });
});
