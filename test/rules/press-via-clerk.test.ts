import { describe, expect, test } from 'vitest';
import type { MailItem } from '../../src/items/types.js';
import rule from '../../src/rules/press-via-clerk.js';
import { formatMessage } from '../../src/signals/match.js';
import { A, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const bbc = 'south.today@bbc.co.uk';
/** Inside the Northfield by-election period (11 Dec 2026 – 21 Jan 2027), which covers Northfield only. */
const byElectionDay = '2027-01-12T11:00:00.000Z';
/** Inside the all-out pre-election period (31 Mar – 6 May 2027). */
const allOutDay = '2027-04-14T09:30:00.000Z';

ruleTester(rule, {
  valid: [
    {
      name: 'the Clerk in Cc, outside any pre-election period',
      item: mail({
        from: A.tom,
        to: [A.gazette],
        cc: [A.clerk],
        subject: 'Statement: Christmas lights switch-on',
        text: 'Dear newsdesk,\n\nAs Mayor, I am delighted to confirm that the Christmas lights in Market Square will be switched on at 5pm on Saturday 28 November. Everyone is welcome.\n\nCllr Tom Brown\nMayor of Millbrook',
      }),
    },
    {
      name: 'a media enquiry received by a member',
      item: mail({
        from: A.gazette,
        to: [A.alice],
        subject: 'Request for comment – Castle Street parking',
        text: 'Dear Cllr Green,\n\nWe are running a story on the new parking restrictions in Castle Street on Thursday. Would you like to comment?\n\nKind regards,\nNewsdesk, Millbrook Gazette',
        copies: [`${A.alice}:inbox`],
      }),
    },
    {
      name: 'an officer writing to the press',
      item: mail({
        from: A.priya,
        to: [A.gazette],
        subject: 'Press release: Riverside Park play area reopens',
        text: 'Dear newsdesk,\n\nPlease find below a press release about the reopening of the Riverside Park play area on 5 December.\n\nPriya Shah\nCommunications Officer',
      }),
    },
    {
      name: 'a member writing to a journalist’s personal gmail',
      item: mail({
        from: A.alice,
        to: ['kate.hollis.writes@gmail.com'],
        subject: 'Castle Street parking',
        text: 'Hi Kate,\n\nLovely to bump into you at the market. Here are the dates of the two parking workshops I mentioned.\n\nAlice',
      }),
    },
    {
      name: 'a party-political statement outside the pre-election period needs no Clerk',
      item: mail({
        from: A.raj,
        to: [A.gazette],
        subject: 'Labour group statement on the budget',
        text: 'Dear newsdesk,\n\nOn behalf of the Labour group, I want to say that we will oppose the proposed cut to the youth service grant at Thursday’s meeting.\n\nCllr Raj Mehta',
      }),
    },
    {
      name: 'a Castle member writes to the press with the Clerk during the Northfield by-election',
      item: mail({
        from: A.tom,
        to: [A.gazette],
        cc: [A.clerk],
        date: byElectionDay,
        subject: 'Castle Street market – new traders',
        text: 'Dear newsdesk,\n\nI am pleased to say that four new traders join the Castle Street market this Saturday.\n\nCllr Tom Brown',
      }),
    },
    {
      name: 'a forged message in a member’s name',
      item: mail({
        from: A.ben,
        to: [A.gazette],
        authFailed: true,
        subject: 'Statement',
        text: 'The council is bankrupt.',
      }),
    },
    {
      name: 'a member writes to a resident, no media address',
      item: mail({
        from: A.sue,
        to: [A.resident],
        subject: 'Mill Lane bus shelter',
        text: 'Dear Mr Smith,\n\nThe new bus shelter on Mill Lane will be installed in the week of 8 December.\n\nSue Taylor',
      }),
    },
  ],
  invalid: [
    {
      name: 'a member’s statement to the press without the Clerk',
      item: mail({
        from: A.tom,
        to: [A.gazette],
        subject: 'Statement on the Market Square toilets',
        text: 'Dear newsdesk,\n\nI am very disappointed that the Market Square toilets remain closed. I will be pressing for them to reopen before Christmas.\n\nCllr Tom Brown',
      }),
      hits: [{ messageId: 'mediaWithoutClerk', offender: A.tom, actions: ['nudge', 'digest'], evidence: ['newsdesk@millbrookgazette.co.uk is a media address', 'no Clerk in To or Cc'] }],
    },
    {
      name: 'a Northfield member writes to the BBC during the Northfield by-election, even with the Clerk',
      item: mail({
        from: A.ben,
        to: [bbc],
        cc: [A.clerk],
        date: byElectionDay,
        subject: 'Northfield Community Centre',
        text: 'Dear South Today,\n\nFurther to your call, I can confirm that the Northfield Community Centre roof repairs are now complete.\n\nCllr Ben Hughes',
      }),
      hits: [{ messageId: 'mediaInPreElection', offender: A.ben, actions: ['warn', 'digest'], evidence: ['sent on 12 January 2027', 'polling day 21 January 2027', 'from 11 December 2026', 'covers Northfield'] }],
    },
    {
      name: 'a Castle member writes on the same day without the Clerk: the ordinary variant',
      item: mail({
        from: A.tom,
        to: [A.gazette],
        date: byElectionDay,
        subject: 'Castle Street market – new traders',
        text: 'Dear newsdesk,\n\nI am pleased to say that four new traders join the Castle Street market this Saturday.\n\nCllr Tom Brown',
      }),
      hits: [{ messageId: 'mediaWithoutClerk', offender: A.tom, actions: ['nudge', 'digest'] }],
    },
    {
      name: 'a Riverside member writes to the press during the all-out election period',
      item: mail({
        from: A.sue,
        to: [A.gazette],
        cc: [A.clerk],
        date: allOutDay,
        subject: 'Riverside Park café',
        text: 'Dear newsdesk,\n\nThe new café in Riverside Park opens on 1 May, which I have campaigned for since 2023.\n\nCllr Sue Taylor',
      }),
      hits: [{ messageId: 'mediaInPreElection', offender: A.sue, actions: ['warn', 'digest'], evidence: ['polling day 6 May 2027', 'Town council elections'] }],
    },
    {
      name: 'a party statement inside the pre-election period is still flagged',
      item: mail({
        from: A.raj,
        to: [A.gazette],
        date: allOutDay,
        subject: 'Labour group statement',
        text: 'On behalf of the Labour group, I can say that we will freeze the precept if re-elected.\n\nCllr Raj Mehta',
      }),
      hits: [{ messageId: 'mediaInPreElection', offender: A.raj, evidence: ['6 May 2027'] }],
    },
    {
      name: 'the press blind-copied into a letter to a resident',
      item: mail({
        from: A.alice,
        to: [A.resident],
        bcc: [A.gazette],
        subject: 'Castle Street parking',
        text: 'Dear Mr Smith,\n\nThank you for your letter about the parking restrictions. I share your concern and have asked for the matter to go on the next agenda.\n\nCllr Alice Green',
      }),
      hits: [{ messageId: 'mediaWithoutClerk', offender: A.alice, evidence: ['newsdesk@millbrookgazette.co.uk'] }],
    },
    {
      name: 'from a member’s personal address to the BBC',
      item: mail({
        from: A.tomPersonal,
        to: [bbc],
        subject: 'Mayor’s charity walk',
        text: 'Hello,\n\nI will be walking from Millbrook Library to the coast on 12 December for the Mayor’s charity. Happy to do an interview.\n\nTom Brown',
      }),
      hits: [{ messageId: 'mediaWithoutClerk', offender: A.tom, evidence: ['south.today@bbc.co.uk'] }],
    },
    {
      name: 'a party statement when the council does not exempt party statements',
      options: { partyStatementsExempt: false },
      item: mail({
        from: A.raj,
        to: [A.gazette],
        subject: 'Labour group statement on the budget',
        text: 'On behalf of the Labour group, I want to say that we will oppose the cut to the youth service grant.',
      }),
      hits: [{ messageId: 'mediaWithoutClerk', offender: A.raj }],
    },
  ],
});

describe('press-via-clerk: details', () => {
  test('without a Date header the rule uses the time of the check', () => {
    const { date: _date, ...undated }: MailItem = mail({ from: A.ben, to: [A.gazette], cc: [A.clerk], subject: 'Hazel Avenue', text: 'A quick update.' });
    expect(runRule(rule, undated, { now: byElectionDay }).hits.map((h) => h.messageId)).toEqual(['mediaInPreElection']);
    expect(runRule(rule, undated, { now: '2026-11-20T09:00:00.000Z' }).hits).toEqual([]);
  });

  test('the pre-election hit carries the election and polling day for the summary', () => {
    const ev = runRule(rule, mail({ from: A.ben, to: [A.gazette], date: byElectionDay, subject: 'Hazel Avenue', text: 'A quick update.' }));
    expect(ev.hits[0]?.data).toMatchObject({ election: 'Northfield by-election', poll: '21 January 2027', media: A.gazette });
    expect(ev.hits[0]?.severity).toBe('warning');
  });

  test('a party statement outside the period says why it needs no Clerk', () => {
    const ev = runRule(rule, mail({ from: A.alice, to: [A.gazette], subject: 'Statement', text: 'As Green group leader I welcome the new cycle racks.' }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('party political in nature');
  });

  test('the summary reads as one courteous sentence with every placeholder filled', () => {
    const hit = runRule(rule, mail({ from: A.ben, to: [bbc], date: byElectionDay, subject: 'Hazel Avenue', text: 'A quick update.' })).hits[0];
    expect(hit).toBeDefined();
    const template = rule.meta.messages[hit?.messageId ?? ''] ?? '';
    expect(formatMessage(template, hit?.data ?? {})).toBe('Cllr Ben Hughes wrote to the press (south.today@bbc.co.uk) during the pre-election period before the Northfield by-election on 21 January 2027.');
  });
});
