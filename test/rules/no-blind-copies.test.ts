import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/no-blind-copies.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const allMembers = [A.tom, A.alice, A.raj, A.sue, A.ben];

ruleTester(rule, {
  valid: [
    {
      name: "the Clerk's circular Bcc'd to all members (no member among the visible recipients)",
      item: mail({
        from: A.clerk,
        to: [A.clerk],
        bcc: allMembers,
        subject: 'Summons: Full Council, Thursday 3 December 2026',
        text:
          'Dear Councillors,\n\nYou are hereby summoned to attend a meeting of Millbrook Town Council in the Council Chamber on Thursday 3 December 2026 at 7.00pm. The agenda and reports are attached.\n\nPlease let me know by Monday if you are unable to attend.\n\nHelen Ashworth\nTown Clerk',
      }),
    },
    {
      name: 'the Clerk writes to the service address only, members in Bcc',
      item: mail({
        from: A.clerk,
        to: [A.service],
        bcc: allMembers,
        subject: 'Christmas closure of the Council offices',
        text: 'Dear all,\n\nThe Council offices will close at noon on 23 December and reopen on 4 January. Urgent matters can be left on the answerphone as usual.\n\nKind regards,\nHelen',
      }),
    },
    {
      name: 'a member copies another member openly ("I have copied Cllr Green")',
      item: mail({
        from: A.tom,
        to: [A.sam],
        cc: [A.alice],
        subject: 'Market Square bollard',
        text:
          'Hi Sam,\n\nThe bollard at the north end of Market Square has been knocked over again. I have copied Cllr Green as it is in our shared ward and she raised it last month.\n\nThanks,\nTom',
      }),
    },
    {
      name: 'a member blind-copies his own personal address (same person)',
      item: mail({
        from: A.tom,
        to: [A.priya],
        bcc: [A.tomPersonal],
        subject: 'Remembrance Sunday wreaths',
        text:
          'Dear Priya,\n\nThank you for the list of organisations laying wreaths on Remembrance Sunday. I am copying this to my home address so I have it on my phone on the day.\n\nBest wishes,\nTom Brown',
      }),
    },
    {
      name: 'an officer blind-copies her line manager, who is an officer, not a member',
      item: mail({
        from: A.dan,
        to: [A.ben],
        bcc: [A.sam],
        subject: 'Hazel Avenue play area inspection',
        text:
          'Dear Cllr Hughes,\n\nThe annual inspection of the Hazel Avenue play area took place on Tuesday. Two items were rated medium risk and the swing seats will be replaced next week.\n\nKind regards,\nDan Okafor\nAmenities Officer',
      }),
    },
    {
      name: 'a member blind-copies another member on mail to a resident (not member–officer correspondence)',
      item: mail({
        from: A.raj,
        to: [A.resident],
        bcc: [A.sue],
        subject: 'Parking on Weir Road',
        text:
          'Dear Mr Smith,\n\nThank you for your email about parking on Weir Road. I share your concern and will raise it with the county highways team.\n\nYours sincerely,\nRaj Mehta\nCouncillor, Riverside Ward',
      }),
    },
    {
      name: 'member–officer correspondence with no blind copy at all',
      item: mail({
        from: A.sue,
        to: [A.priya],
        subject: 'Riverside Park bench plaque',
        text: 'Hi Priya,\n\nThe family of the late Mr Jenkins have confirmed the wording for the bench plaque. It is attached.\n\nMany thanks,\nSue',
      }),
    },
    {
      name: 'a spoofed message claiming to be from a member',
      item: mail({
        from: A.alice,
        to: [A.sam],
        bcc: [A.raj],
        authFailed: true,
        subject: 'Urgent: invoice',
        text: 'Sam, please pay the attached invoice today. Alice',
      }),
    },
    {
      name: 'a member mailbox copy that arrived through a council distribution list',
      item: mail({
        from: A.sam,
        to: [A.tom, 'all-councillors@millbrook-tc.gov.uk'],
        subject: 'Road closure: Castle Street resurfacing',
        text: 'Dear Councillors,\n\nCastle Street will be closed from 9 to 13 November for resurfacing. Diversions will be signed.\n\nSam Patel',
        copies: [`${A.sam}:sent`, `${A.alice}:inbox`, `${A.raj}:inbox`],
      }),
    },
    {
      name: 'a member mailbox copy that arrived through a Google Group in Cc',
      item: mail({
        from: A.sam,
        to: [A.tom],
        cc: ['castle-ward-councillors@googlegroups.com'],
        subject: 'Castle Street resurfacing',
        text: 'Dear Cllr Brown,\n\nCastle Street will be closed from 9 to 13 November for resurfacing; I have copied the Castle ward group.\n\nSam Patel',
        copies: [`${A.sam}:sent`, `${A.alice}:inbox`],
      }),
    },
  ],
  invalid: [
    {
      name: 'a copy delivered to a member whose address is not visible, with a resident (not a list) in Cc',
      item: mail({
        from: A.sam,
        to: [A.tom],
        cc: [A.resident],
        subject: 'Castle Street resurfacing',
        text: 'Dear Cllr Brown,\n\nCastle Street will be closed from 9 to 13 November for resurfacing.\n\nSam Patel',
        copies: [`${A.sam}:sent`, `${A.alice}:inbox`],
      }),
      hits: [{ messageId: 'blindCopy', offender: A.sam, evidence: ['not in To or Cc'] }],
    },
    {
      name: "a member Bcc's the Leader on a message to an officer (sent copy)",
      item: mail({
        from: A.alice,
        to: [A.sam],
        bcc: [A.raj],
        subject: 'Castle Street bins',
        text:
          'Hi Sam,\n\nResidents of Castle Street tell me the bins were missed again on Monday. This is the third time since September. What can be done?\n\nThanks,\nAlice',
      }),
      hits: [{ messageId: 'blindCopy', offender: A.alice, evidence: ['Cllr Raj Mehta', 'Bcc of the sent copy', 'Sam Patel'] }],
    },
    {
      name: 'an officer replying to a member blind-copies another member',
      item: mail({
        from: A.sam,
        to: [A.sue],
        bcc: [A.raj],
        subject: 'RE: Mill Lane flooding',
        text:
          'Dear Cllr Taylor,\n\nThe drainage contractor attended Mill Lane yesterday and cleared two gullies. The county council will survey the culvert in January.\n\nKind regards,\nSam Patel\nDeputy Town Clerk',
      }),
      hits: [{ messageId: 'blindCopy', offender: A.sam, evidence: ['Cllr Raj Mehta'] }],
    },
    {
      name: "a copy delivered to a watched member mailbox that is not in To/Cc",
      item: mail({
        from: A.tom,
        to: [A.priya],
        subject: 'Mayor’s charity quiz night',
        text: 'Dear Priya,\n\nCould we use the community room for the charity quiz on 12 February? I expect about sixty people.\n\nThanks,\nTom',
        copies: [`${A.priya}:inbox`, `${A.ben}:inbox`],
        trustedPass: true,
      }),
      hits: [{ messageId: 'blindCopy', offender: A.tom, evidence: ["delivered to Cllr Ben Hughes's mailbox"] }],
    },
    {
      name: 'the Clerk writing to a member blind-copies the Mayor',
      item: mail({
        from: A.clerk,
        to: [A.ben],
        bcc: [A.tom],
        subject: 'Your question about the Northfield Community Centre lease',
        text:
          'Dear Cllr Hughes,\n\nThe lease of the Northfield Community Centre runs until March 2028. The break clause can be exercised on six months’ notice.\n\nKind regards,\nHelen Ashworth\nTown Clerk',
      }),
      hits: [{ messageId: 'blindCopy', offender: A.clerk, evidence: ['Cllr Tom Brown'] }],
    },
    {
      name: 'one member copied openly and another blindly: only the blind one counts',
      item: mail({
        from: A.raj,
        to: [A.priya],
        cc: [A.sue],
        bcc: [A.ben],
        subject: 'Riverside Park events 2027',
        text: 'Dear Priya,\n\nSue and I would like to discuss next year’s events in Riverside Park. Are you free on Thursday afternoon?\n\nRegards,\nRaj',
      }),
      hits: [{ messageId: 'blindCopy', offender: A.raj, evidence: ['Cllr Ben Hughes'] }],
    },
    {
      name: 'a member writing from a personal address blind-copies another member',
      item: mail({
        from: A.tomPersonal,
        to: [A.sam],
        bcc: [A.alice],
        subject: 'Library opening hours',
        text: 'Sam,\n\nSeveral people at my surgery asked about the reduced opening hours at Millbrook Library. Is this permanent?\n\nTom',
      }),
      hits: [{ messageId: 'blindCopy', offender: A.tom, evidence: ['Cllr Alice Green'] }],
    },
  ],
});

describe('no-blind-copies reasons', () => {
  test('a spoofed message is not acted on in the claimed name', () => {
    const ev = runRule(rule, mail({ from: A.alice, to: [A.sam], bcc: [A.raj], authFailed: true, text: 'Pay this.' }));
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toBe(`authentication failed for ${A.alice}: possible spoofing; nothing is done in that person's name`);
  });

  test("the Clerk's circular is explained as not member–officer correspondence", () => {
    const ev = runRule(rule, mail({ from: A.clerk, to: [A.clerk], bcc: allMembers, text: 'Agenda attached.' }));
    expect(ev.reason).toContain('not member–officer correspondence');
  });

  test('a hit names the people involved, offender first, and renders a summary with names', () => {
    const ev = runRule(rule, mail({ from: A.alice, to: [A.sam], bcc: [A.raj, A.sue], text: 'Bins again.' }));
    const hit = ev.hits[0];
    expect(hit?.people).toEqual([A.alice, A.raj, A.sue, A.sam]);
    expect(hit?.data).toEqual({ author: 'Cllr Alice Green', blind: 'Cllr Raj Mehta and Cllr Sue Taylor', visible: 'Sam Patel' });
  });

  test('an event gets "applies to mail only"', () => {
    const ev = runRule(rule, event({ summary: 'Castle ward surgery', organizer: A.alice, attendees: [A.sam] }));
    expect(ev).toEqual({ hits: [], reason: 'applies to mail only' });
  });
});
