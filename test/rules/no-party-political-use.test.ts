import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/no-party-political-use.js';
import { formatMessage } from '../../src/signals/match.js';
import { A, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const castleIndependents = ['mary.finch@btinternet.com', 'georgebell52@gmail.com'];

ruleTester(rule, {
  valid: [
    {
      name: 'leaflets that say what they are about ("the leaflets about the new recycling collections") are council business',
      item: mail({
        from: A.sue,
        to: [A.resident, A.dan],
        subject: 'Recycling leaflets',
        text: 'Dear Mr Smith,\n\nThe council will deliver the leaflets about the new recycling collections to every house in Riverside next week.\n\nSue Taylor',
      }),
    },
    {
      name: 'a residents’ group "canvassing opinion" is not canvassing for votes',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'Play area survey',
        text: 'Hi Priya,\n\nCould you print 100 copies of the survey for the Friends of Riverside Park, who are canvassing opinion on the new play area?\n\nRaj',
      }),
    },
    {
      name: 'a member asks the Clerk a factual question about the election timetable',
      item: mail({
        from: A.raj,
        to: [A.clerk],
        subject: 'May elections – nomination papers',
        text: 'Dear Helen,\n\nCould you tell me the deadline for returning nomination papers for the May elections, and whether the notice of election will go on the website as well as the noticeboard?\n\nMany thanks,\nRaj',
      }),
    },
    {
      name: 'the Clerk’s notice to members about the election timetable',
      item: mail({
        from: A.clerk,
        to: [A.tom, A.alice, A.raj, A.sue, A.ben],
        subject: 'Town council elections 6 May 2027 – timetable',
        text: 'Dear Councillors,\n\nThe notice of election will be published on 31 March. Nomination papers must reach the returning officer by 4pm on 8 April. Please remember that the pre-election period starts with the notice, and avoid any council publicity that could be seen as electioneering.\n\nHelen Ashworth\nTown Clerk',
      }),
    },
    {
      name: 'leaflets for the council’s anti-litter campaign',
      item: mail({
        from: A.alice,
        to: [A.priya],
        subject: 'Anti-litter leaflets for Market Square',
        text: 'Hi Priya,\n\nCould you print 200 leaflets for the council’s anti-litter campaign? I’d like to hand them out on the Market Square stall on Saturday morning.\n\nThanks,\nAlice',
      }),
    },
    {
      name: '"our campaign" meaning the Keep Millbrook Tidy campaign',
      item: mail({
        from: A.sue,
        to: [A.clerk, A.sam],
        subject: 'Posters for the spring clean',
        text: 'Dear Helen and Sam,\n\nCould you design a poster for our campaign? It is the Keep Millbrook Tidy campaign launch at Riverside Park on 14 March, and the volunteers would like something for the noticeboards.\n\nBest wishes,\nSue',
      }),
    },
    {
      name: 'party business from a personal address to party colleagues',
      item: mail({
        from: A.tomPersonal,
        to: castleIndependents,
        subject: 'Saturday canvassing session – Castle Street',
        text: 'Hi both,\n\nWe will meet at 10am outside Millbrook Library for the canvassing session. Please deliver these leaflets on the way round, and bring the knock-up sheets.\n\nTom',
      }),
    },
    {
      name: 'a Labour councillor asks for a piece in the council’s own newsletter',
      item: mail({
        from: A.raj,
        to: [A.clerk],
        subject: 'Spring newsletter – Mill Lane flood defences',
        text: 'Dear Helen,\n\nAs the Labour councillor for Riverside, could you include a short piece in the council’s spring newsletter about the Mill Lane flood defence works? Residents keep asking when the barriers will go in.\n\nRaj Mehta',
      }),
    },
    {
      name: 'apologies sent through the Clerk mention the party conference',
      item: mail({
        from: A.sue,
        to: [A.clerk],
        subject: 'Apologies – Finance Committee',
        text: 'Dear Helen,\n\nPlease send my apologies to Thursday’s Finance Committee; I will be at the party conference in Manchester that week.\n\nSue',
      }),
    },
    {
      name: 'an unrelated request next to a passing mention of canvassing',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Planning list',
        text: 'Dan,\n\nCould you send me the planning list for Thursday? I am out canvassing on Saturday so I will read it on Friday evening.\n\nBen',
      }),
    },
    {
      name: 'a party name in a signature on council business',
      item: mail({
        from: A.raj,
        to: [A.resident],
        subject: 'Pothole on Weir Road',
        text: 'Dear Mr Smith,\n\nThank you for reporting the pothole on Weir Road. I have passed it to the highways authority and will let you know when I hear back.\n\nRaj Mehta\nLabour Party councillor for Riverside',
      }),
    },
    {
      name: 'a council phrase the council did not add',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Hazel Avenue',
        text: 'Dan,\n\nCould you print the next Northfield Herald for Hazel Avenue? 150 copies should do.\n\nBen',
      }),
    },
    {
      name: 'a leaflet drop about council business is not campaigning',
      item: mail({
        from: A.sue,
        to: [A.dan],
        subject: 'Weir Road recycling',
        text: 'Dan,\n\nCould you arrange a leaflet drop on Weir Road about the new recycling collections? Several residents have missed the change.\n\nSue',
      }),
    },
    {
      name: 'a council leaflet drop from a member who signs as a party group leader',
      item: mail({
        from: A.raj,
        to: [A.priya],
        subject: 'Weir Road recycling',
        text: 'Priya,\n\nCould you arrange a leaflet drop on Weir Road about the new recycling collections that start in April?\n\nThanks,\nRaj Mehta\nLabour Group Leader',
      }),
    },
    {
      name: 'a leaflet drop about a park’s Green Flag award, and residents asked to vote for a design',
      item: mail({
        from: A.sue,
        to: [A.sam],
        subject: 'Riverside Park',
        text: 'Sam,\n\nCould you arrange a leaflet drop around Riverside Park to tell residents about our new Green Flag award? It could ask them to vote for their favourite bench design too.\n\nSue',
      }),
    },
    {
      name: 'the police door-knocking after burglaries, passed on to residents from the council mailbox',
      item: mail({
        from: A.tom,
        to: [A.resident],
        subject: 'Mill Lane burglaries',
        text: 'Dear Mr Smith,\n\nThe police will be door-knocking on Mill Lane on Saturday morning after the recent burglaries. Please do speak to them if you saw anything.\n\nTom Brown',
      }),
    },
    {
      name: 'thanks for donations to a charity’s campaign',
      item: mail({
        from: A.alice,
        to: [A.resident],
        subject: 'Hospice appeal',
        text: 'Dear Mr Smith,\n\nThank you for your generous donations to the campaign for the new hospice wing.\n\nAlice Green',
      }),
    },
    {
      name: 'a forged message in a member’s name',
      item: mail({
        from: A.raj,
        to: [A.sam],
        authFailed: true,
        subject: 'Leaflets',
        text: 'Could you print 300 copies of our election leaflet?',
      }),
    },
  ],
  invalid: [
    {
      name: 'an appeal for votes in any wording ("please support me on 6 May", "your vote matters") from a council mailbox',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Northfield',
        text: 'Dear Mr Smith,\n\nThank you for raising the speeding on Hill Rise. Please support me on 6 May – your vote matters in Northfield.\n\nBen Hughes',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.ben, evidence: ['support me on 6 May', 'your vote matters'] }],
    },
    {
      name: 'canvassing arranged from a council mailbox ("we’ll be out canvassing")',
      item: mail({
        from: A.tom,
        to: ['mary.finch@btinternet.com'],
        subject: 'Saturday',
        text: 'Mary,\n\nWe’ll be out canvassing on Orchard Close on Saturday morning – do join us.\n\nTom',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.tom, evidence: ['out canvassing'] }],
    },
    {
      name: 'a hedged request to "the office" for party work ("is there any chance the office could photocopy our campaign leaflets")',
      item: mail({
        from: A.alice,
        to: [A.sam],
        subject: 'Castle ward',
        text: 'Hi Sam,\n\nIs there any chance the office could photocopy our campaign leaflets before Saturday?\n\nAlice',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.alice, evidence: ['Is there any chance the office could photocopy', 'our campaign'] }],
    },
    {
      name: 'a party’s newsletter by its name ("the Focus leaflet")',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Riverside',
        text: 'Dan,\n\nCan you run off 200 copies of the Focus leaflet for Riverside?\n\nBen',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.ben, evidence: ['Can you run off', 'Focus leaflet'] }],
    },
    {
      name: 'a member asks an officer to print election leaflets',
      item: mail({
        from: A.raj,
        to: [A.sam],
        subject: 'Printing',
        text: 'Hi Sam,\n\nCould you print 300 copies of our election leaflet for Riverside by Friday? I will collect them from the office.\n\nCheers,\nRaj',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.raj, evidence: ['could you print', 'election leaflet'] }],
    },
    {
      name: 'the subject names the campaign material, the body asks for copies',
      item: mail({
        from: A.sue,
        to: [A.clerk],
        subject: 'Election leaflets – Riverside',
        text: 'Helen,\n\nPlease could you run off 500 copies of the attached on the office printer? The deadline for the delivery round is Wednesday.\n\nSue',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.sue, evidence: ['could you run off', 'Election leaflets'] }],
    },
    {
      name: 'the canvassing route is attached; the next sentence asks for a map',
      item: mail({
        from: A.ben,
        to: [A.priya],
        subject: 'Hazel Avenue map',
        text: 'Hi Priya,\n\nOur canvassing route for Hazel Avenue is attached. Could you put together a map showing each house number by Monday?\n\nBen',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.ben, evidence: ['could you put together', 'canvassing'] }],
    },
    {
      name: 'a party named with its newsletter',
      item: mail({
        from: A.alice,
        to: [A.sam],
        cc: [A.clerk],
        subject: 'Castle newsletter',
        text: 'Sam,\n\nWould you be able to design the Green Party newsletter for Castle this month? Same layout as the council’s one would be perfect.\n\nAlice',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.alice, evidence: ['would you be able to design', 'Green Party newsletter'] }],
    },
    {
      name: 'the council mailbox organises a canvassing session',
      item: mail({
        from: A.tom,
        to: castleIndependents,
        subject: 'Saturday canvassing session – Castle Street',
        text: 'Hi both,\n\nWe will meet at 10am outside Millbrook Library for the canvassing session. Please deliver these leaflets on the way round.\n\nTom',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.tom, evidence: ['canvassing session', 'deliver these leaflets', 'a council mailbox'] }],
    },
    {
      name: 'door knocking for a party, organised from the council mailbox',
      item: mail({
        from: A.ben,
        to: [A.resident, 'hazel.helpers@example.org'],
        subject: 'Saturday',
        text: 'Hi all,\n\nLib Dem door knocking on Hazel Avenue this Saturday: meet at 10am by the shops.\n\nBen',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.ben, evidence: ['door knocking'] }],
    },
    {
      name: 'door-knocking with “the Labour Party”, organised from the council mailbox',
      item: mail({
        from: A.raj,
        to: ['riverside.helpers@example.org'],
        subject: 'Saturday',
        text: 'Hi all,\n\nWe’re door-knocking with the Labour Party this Saturday in Riverside: meet at 10am by the pavilion.\n\nRaj',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.raj, evidence: ['door-knocking'] }],
    },
    {
      name: 'a map for a leaflet drop in a by-election',
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Hazel Avenue map',
        text: 'Dan,\n\nCould you print a map of Hazel Avenue for our leaflet drop? The by-election is on 21 January.\n\nBen',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.ben, evidence: ['could you print', 'leaflet drop'] }],
    },
    {
      name: 'a branch meeting called from the council mailbox',
      item: mail({
        from: A.raj,
        to: [A.sue, 'secretary@millbrooklabour.org.uk'],
        subject: 'Riverside Labour branch meeting, Thursday 7.30pm',
        text: 'Dear all,\n\nThe agenda for Thursday’s branch meeting is below. We will confirm our candidates for May and agree the leaflet rounds.\n\nRaj',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.raj, evidence: ['Labour branch', 'branch meeting'] }],
    },
    {
      name: 'vote for me, from the council mailbox to a resident',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Northfield by-election',
        text: 'Dear Mr Smith,\n\nThank you for your support over the years. On 21 January please vote for me so I can finish the work on Northfield Community Centre.\n\nBen Hughes',
      }),
      hits: [{ messageId: 'councilMailboxForParty', offender: A.ben, evidence: ['vote for me'] }],
    },
    {
      name: 'a phrase the council added',
      options: { extraPartyPhrases: ['Northfield Herald'] },
      item: mail({
        from: A.ben,
        to: [A.dan],
        subject: 'Hazel Avenue',
        text: 'Dan,\n\nCould you print the next Northfield Herald for Hazel Avenue? 150 copies should do.\n\nBen',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.ben, evidence: ['could you print', 'Northfield Herald'] }],
    },
  ],
});

describe('no-party-political-use: details', () => {
  test('the hit names the officers asked, and they are among the people', () => {
    const ev = runRule(
      rule,
      mail({ from: A.raj, to: [A.sam, A.priya], subject: 'Leaflets', text: 'Could you print 300 copies of our election leaflet?' }),
    );
    expect(ev.hits[0]?.data.officers).toBe('Sam Patel and Priya Shah');
    expect(ev.hits[0]?.people).toEqual([A.raj, A.sam, A.priya]);
  });

  test('quoted earlier mail does not count', () => {
    const ev = runRule(
      rule,
      mail({
        from: A.alice,
        to: [A.sam],
        subject: 'Re: Leaflets',
        text: 'Thanks Sam, understood – I will use a commercial printer.\n\n> Could you print 300 copies of our election leaflet?',
      }),
    );
    expect(ev.hits).toEqual([]);
  });

  test('a passing mention to council staff explains why it does not count as party business', () => {
    const ev = runRule(
      rule,
      mail({ from: A.sue, to: [A.clerk], subject: 'Apologies', text: 'Sorry Helen, Thursday clashes with my branch meeting.' }),
    );
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('council staff only');
  });

  test('an officer is never the offender', () => {
    const ev = runRule(rule, mail({ from: A.sam, to: [A.raj], subject: 'Leaflets', text: 'Could you print your election leaflets elsewhere, please?' }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('not a member');
  });

  test('the summary reads as one courteous sentence with every placeholder filled', () => {
    const hit = runRule(rule, mail({ from: A.raj, to: [A.sam], subject: 'Leaflets', text: 'Could you print 300 copies of our election leaflet?' })).hits[0];
    expect(hit).toBeDefined();
    const template = rule.meta.messages[hit?.messageId ?? ''] ?? '';
    expect(formatMessage(template, hit?.data ?? {})).toBe('Cllr Raj Mehta asked Sam Patel for party or campaign work (“election leaflet”).');
  });
});
