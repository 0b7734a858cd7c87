import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/official-letters-from-officers.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const highways = 'highways.north@millshire.gov.uk';
const bloom = 'secretary@millbrookinbloom.org.uk';

ruleTester(rule, {
  valid: [
    {
      name: 'a member writes to a resident in a ward capacity',
      item: mail({
        from: A.sue,
        to: [A.resident],
        subject: 'Flooding on Mill Lane',
        text:
          'Dear Mr Smith,\n\nThank you for your photographs of the flooding on Mill Lane. As your ward councillor I have reported the blocked gullies and I will keep pressing until they are cleared.\n\nYours sincerely,\nSue Taylor\nCouncillor, Riverside Ward',
      }),
    },
    {
      name: 'a member says "I will raise this with the Council"',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Speeding on Hazel Avenue',
        text: 'Dear Mr Smith,\n\nI agree that speeding on Hazel Avenue is a real worry. I will raise this with the Council and ask for a speed survey.\n\nBest wishes,\nBen Hughes',
      }),
    },
    {
      name: 'a member writes to an officer and another member (internal only)',
      item: mail({
        from: A.raj,
        to: [A.sam],
        cc: [A.sue],
        subject: 'Riverside Park railings quotation',
        text: 'Sam,\n\nOn behalf of the Council the Finance Committee agreed the railings quote last night, so we accept your recommendation. Over to you.\n\nRaj',
      }),
    },
    {
      name: 'the Mayor sends a letter of thanks on behalf of the Council',
      item: mail({
        from: A.tom,
        to: [bloom],
        subject: 'Thank you from the Mayor',
        text:
          'Dear Mrs Hall,\n\nOn behalf of Millbrook Town Council, I would like to thank every volunteer of Millbrook in Bloom for the wonderful displays in Market Square this summer. The town has never looked better.\n\nWith warm regards,\nCllr Tom Brown\nMayor of Millbrook',
      }),
    },
    {
      name: '"the Council will consider this at its next meeting" is information, not an obligation',
      item: mail({
        from: A.alice,
        to: [A.resident],
        subject: 'Castle Street parking petition',
        text:
          'Dear Mr Smith,\n\nThank you for the petition about parking on Castle Street. The Council will consider this at its next meeting on 3 December, and residents are welcome to speak in public participation.\n\nKind regards,\nAlice Green',
      }),
    },
    {
      name: 'the council’s disclaimer ("accepts no responsibility") under a member’s reply is nobody’s letter',
      item: mail({
        from: A.sue,
        to: [A.resident],
        subject: 'Mill Lane',
        text: 'Dear Mr Smith,\n\nThank you, I have passed your photographs on.\n\nSue Taylor\nCouncillor, Riverside Ward\n\nMillbrook Town Council accepts no responsibility for any loss or damage arising from this email.',
      }),
    },
    {
      name: '"the Council will hold a public meeting" tells a resident what will happen',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Play area',
        text: 'Dear Mrs Jones,\n\nAs your ward councillor: the Council will hold a public meeting about the play area on 3 March. Do come along.\n\nBen Hughes',
      }),
    },
    {
      name: 'an officer writes the official letter',
      item: mail({
        from: A.clerk,
        to: [A.contractor],
        subject: 'Acceptance of quotation: Riverside Park railings',
        text: 'Dear Sirs,\n\nOn behalf of Millbrook Town Council I write to accept your quotation of £3,450. Please proceed as agreed.\n\nYours faithfully,\nHelen Ashworth\nTown Clerk',
      }),
    },
    {
      name: 'a member says expressly that he is not writing on behalf of the Council',
      item: mail({
        from: A.ben,
        to: [highways],
        subject: 'Hazel Avenue crossing',
        text:
          'Dear Highways Team,\n\nI am not writing on behalf of the Council but as a Northfield ward member: residents would welcome a zebra crossing near the school on Hazel Avenue.\n\nBen Hughes',
      }),
    },
    {
      name: 'a member accepts a builder’s quote for his own house from a personal address',
      item: mail({
        from: A.tomPersonal,
        to: ['office@castlebuilders.co.uk'],
        subject: 'Chimney repointing',
        text: 'Hello Gary,\n\nI accept your quote for repointing the chimney. Please go ahead on Tuesday if the weather holds.\n\nTom',
      }),
    },
    {
      name: 'a spoofed message in a member’s name',
      item: mail({
        from: A.raj,
        to: [A.contractor],
        authFailed: true,
        subject: 'Order',
        text: 'On behalf of the Council we accept your quotation. Please start work on Monday.',
      }),
    },
  ],
  invalid: [
    {
      name: 'a member writes to the county council on behalf of the Town Council',
      item: mail({
        from: A.sue,
        to: [highways],
        subject: 'Proposed closure of Weir Road',
        text:
          'Dear Sir or Madam,\n\nI am writing on behalf of Millbrook Town Council to object to the proposed six-week closure of Weir Road, which would cut Riverside off from the town centre.\n\nYours faithfully,\nCllr Sue Taylor',
      }),
      hits: [{ messageId: 'onBehalfOfCouncil', offender: A.sue, evidence: ['on behalf of Millbrook Town Council', 'outside the council'] }],
    },
    {
      name: 'a member accepts a contractor’s quotation and tells them to proceed',
      item: mail({
        from: A.raj,
        to: [A.contractor],
        subject: 'Riverside Park railings',
        text: 'Dear Mr Greenway,\n\nThank you for coming out on Friday. We accept your quotation of £3,450 for the Riverside Park railings; please proceed as soon as you can.\n\nRegards,\nRaj Mehta',
      }),
      hits: [{ messageId: 'createsObligation', offender: A.raj, evidence: ['We accept your quotation', 'please proceed'] }],
    },
    {
      name: 'the Mayor confirms an order on behalf of the Council',
      item: mail({
        from: A.tom,
        to: ['orders@brightbaskets.co.uk'],
        subject: 'Hanging baskets 2027',
        text: 'Dear Jo,\n\nOn behalf of the Council, I confirm the order for forty hanging baskets for Market Square and Castle Street, to be delivered in May.\n\nTom Brown\nMayor',
      }),
      hits: [{ messageId: 'createsObligation', offender: A.tom, evidence: ['On behalf of the Council', 'I confirm the order'] }],
    },
    {
      name: 'a member promises a resident that the Council will pay',
      item: mail({
        from: A.alice,
        to: [A.resident],
        subject: 'Your damaged fence',
        text: 'Dear Mr Smith,\n\nI am sorry that the Council’s mower damaged your fence. The Council will pay for the repair; just send me the invoice.\n\nAlice Green',
      }),
      hits: [{ messageId: 'createsObligation', offender: A.alice, evidence: ['The Council will pay'] }],
    },
    {
      name: 'a member tells a supplier what the Council has agreed',
      item: mail({
        from: A.ben,
        to: ['bookings@marqueesdirect.co.uk'],
        subject: 'Northfield fun day marquee',
        text: 'Hi,\n\nThe Council has agreed to hire a marquee for the Northfield fun day on 20 June. I will be in touch about the size.\n\nBen Hughes',
      }),
      hits: [{ messageId: 'onBehalfOfCouncil', offender: A.ben, evidence: ['The Council has agreed'] }],
    },
    {
      name: 'a member as the Council’s representative authorises spending',
      item: mail({
        from: A.alice,
        to: [bloom],
        subject: 'Millbrook in Bloom planting',
        text: 'Dear Mrs Hall,\n\nAs the Council’s representative on the committee, I authorise you to spend up to £500 on bulbs for the Library garden.\n\nAlice',
      }),
      hits: [{ messageId: 'createsObligation', offender: A.alice, evidence: ['As the Council’s representative', 'I authorise'] }],
    },
    {
      name: 'a council’s own obligation phrase counts on its own',
      options: { extraObligationPhrases: ['you have the go-ahead'] },
      item: mail({
        from: A.sue,
        to: [A.contractor],
        subject: 'Mill Lane hedges',
        text: 'Hi Mark,\n\nYou have the go-ahead for the Mill Lane hedges next week.\n\nSue',
      }),
      hits: [{ messageId: 'createsObligation', offender: A.sue, evidence: ['You have the go-ahead'] }],
    },
  ],
});

describe('official-letters-from-officers reasons', () => {
  test('the Mayor’s letter of thanks cites 12.3', () => {
    const ev = runRule(rule, mail({ from: A.tom, to: [bloom], text: 'On behalf of Millbrook Town Council, thank you.' }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('(004 12.3)');
  });

  test('an informational sentence is explained', () => {
    const ev = runRule(rule, mail({ from: A.alice, to: [A.resident], text: 'The Council will consider this at its next meeting.' }));
    expect(ev.reason).toContain('only informs');
    expect(ev.reason).toContain('"The Council will consider"');
  });

  test('summary data names the member, the outside recipients and the phrase', () => {
    const ev = runRule(rule, mail({ from: A.raj, to: [A.contractor], cc: [A.sam], text: 'We accept your quotation.' }));
    expect(ev.hits[0]?.data).toEqual({ author: 'Cllr Raj Mehta', recipients: A.contractor, phrase: 'We accept your quotation' });
    expect(ev.hits[0]?.people).toEqual([A.raj]);
  });

  test('"I accept your quote" alone does not speak for the Council', () => {
    const ev = runRule(rule, mail({ from: A.tom, to: [A.contractor], text: 'I accept your quote for my garden wall.' }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('does not speak for the Council');
  });

  test('spoofing is reported and nothing is done in the claimed name', () => {
    const ev = runRule(rule, mail({ from: A.raj, to: [A.contractor], authFailed: true, text: 'Please proceed.' }));
    expect(ev.reason).toBe(`authentication failed for ${A.raj}: possible spoofing; nothing is done in that person's name`);
  });

  test('an event gets "applies to mail only"', () => {
    expect(runRule(rule, event({ summary: 'Civic reception', organizer: A.tom })).reason).toBe('applies to mail only');
  });
});
