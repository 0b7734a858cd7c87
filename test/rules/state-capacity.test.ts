import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/state-capacity.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

ruleTester(rule, {
  valid: [
    {
      name: 'mail to internal recipients only',
      item: mail({
        from: A.alice,
        to: [A.sam],
        cc: [A.tom],
        subject: 'Market Square Christmas tree',
        text: 'Hi Sam,\n\nThe Christmas tree in Market Square is leaning after Sunday’s wind. Is it safe?\n\nAlice',
      }),
    },
    {
      name: 'the member says "as your ward councillor"',
      item: mail({
        from: A.sue,
        to: [A.resident],
        subject: 'Flooding on Mill Lane',
        text:
          'Dear Mr Smith,\n\nAs your ward councillor I have reported the blocked gullies on Mill Lane to the county council and will let you know their reply.\n\nYours sincerely,\nSue Taylor',
      }),
    },
    {
      name: 'the signature says "Councillor, Castle Ward"',
      item: mail({
        from: A.alice,
        to: [A.resident],
        subject: 'Castle Street parking',
        text:
          'Dear Mr Smith,\n\nThank you for your email about parking on Castle Street. I have asked for the matter to go on the agenda for the December meeting.\n\nKind regards,\n\n-- \nAlice Green\nCouncillor, Castle Ward\nMillbrook Town Council',
      }),
    },
    {
      name: 'the signature says "Cllr Sue Taylor / Riverside Ward"',
      item: mail({
        from: A.sue,
        to: [A.resident],
        subject: 'Bins on Mill Lane',
        text: 'Dear Mr Smith,\n\nThank you, I have passed this on and will come back to you.\n\nKind regards,\n\nCllr Sue Taylor\nRiverside Ward\nMillbrook Town Council',
      }),
    },
    {
      name: 'the signature says "Councillor Ben Hughes / Northfield Ward, Millbrook Town Council"',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Hazel Avenue potholes',
        text: 'Dear Mrs Jones,\n\nThe potholes have been reported.\n\nBest wishes\nCouncillor Ben Hughes\nNorthfield Ward, Millbrook Town Council',
      }),
    },
    {
      name: 'the signature gives the office: "Town Mayor"',
      item: mail({
        from: A.tom,
        to: [A.resident],
        subject: 'Christmas lights switch-on',
        text: 'Dear Mr Smith,\n\nThank you for your kind note about the lights.\n\nBest wishes,\nCllr Tom Brown\nTown Mayor',
      }),
    },
    {
      name: 'an officer writes to an outside recipient',
      item: mail({
        from: A.priya,
        to: [A.contractor],
        subject: 'Riverside Park mowing schedule',
        text: 'Dear Mark,\n\nPlease find attached the mowing schedule for Riverside Park for the coming season.\n\nKind regards,\nPriya Shah',
      }),
    },
    {
      name: 'mail to a council person’s personal address',
      item: mail({
        from: A.alice,
        to: [A.tomPersonal],
        subject: 'Ward walkabout',
        text: 'Tom,\n\nShall we do the ward walkabout on Saturday morning? I can meet you by the library.\n\nAlice',
      }),
    },
    {
      name: 'an automatic reply',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Automatic reply: Hazel Avenue potholes',
        text: 'Thank you for your email. I am away until 1 December and will reply on my return.\n\nBen Hughes',
      }),
    },
    {
      name: 'an out-of-office reply',
      item: mail({
        from: A.raj,
        to: [A.gazette],
        subject: 'Out of Office: Interview request',
        text: 'I am out of the office until Monday with limited access to email.',
      }),
    },
    {
      name: 'the member speaks in a personal capacity to the press',
      item: mail({
        from: A.tom,
        to: [A.gazette],
        subject: 'Your story on the Castle Street car park',
        text:
          'Dear Editor,\n\nSpeaking personally, and not for the Council, I think the proposed charges at the Castle Street car park would drive shoppers away from the town centre.\n\nTom Brown',
      }),
    },
    {
      name: 'the member writes on behalf of a party group',
      item: mail({
        from: A.alice,
        to: ['letters@millbrookgazette.co.uk'],
        subject: 'Letter: Riverside Park solar lights',
        text: 'Sir,\n\nOn behalf of the Millbrook Green group, I welcome the decision to install solar lighting in Riverside Park.\n\nAlice Green',
      }),
    },
    {
      name: 'a council’s own capacity phrase',
      options: { extraCapacityPhrases: ['Independent member for Castle'] },
      item: mail({
        from: A.tom,
        to: [A.resident],
        subject: 'Bus shelter',
        text: 'Dear Mr Smith,\n\nI have chased the bus shelter repair again.\n\nTom Brown\nIndependent member for Castle',
      }),
    },
    {
      name: 'a spoofed message in a member’s name',
      item: mail({ from: A.sue, to: [A.resident], authFailed: true, subject: 'Prize draw', text: 'You have won! Click here.' }),
    },
  ],
  invalid: [
    {
      name: 'a member answers a resident without saying in what capacity',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Hazel Avenue potholes',
        text: 'Dear Mr Smith,\n\nThank you for your email about the potholes on Hazel Avenue. I have reported them and will chase it up next week.\n\nBest wishes,\nBen',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.ben, evidence: ['outside the council', 'no statement of capacity'] }],
    },
    {
      name: 'a sentence naming a councillor and a ward is not a signature',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Castle Street',
        text: 'Dear Mr Smith,\n\nI have spoken to Cllr Tom Brown and the Castle ward members about the parking, and the Mayor will reply.\n\nBest wishes,\nBen',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.ben, evidence: ['no statement of capacity'] }],
    },
    {
      name: 'a member writes to the newspaper without saying in what capacity',
      item: mail({
        from: A.raj,
        to: [A.gazette],
        subject: 'Riverside Park',
        text: 'Hi,\n\nFurther to your call: the new play equipment in Riverside Park should be installed by Easter. Happy to talk further.\n\nRaj',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.raj, evidence: ['media address'] }],
    },
    {
      name: 'the only capacity words are in the quoted resident’s message',
      item: mail({
        from: A.sue,
        to: [A.resident],
        subject: 'RE: Weir Road lighting',
        text:
          'Dear Mr Smith,\n\nThank you, I will look into the street light outside number 20.\n\nSue\n\nOn Mon, 16 Nov 2026 at 18:40, J Smith <j.smith@example.com> wrote:\n> You are our ward councillor, so please could you help with the broken street light?',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.sue }],
    },
    {
      name: 'external recipients in Bcc only',
      item: mail({
        from: A.alice,
        to: [A.alice],
        bcc: ['chair@castleresidents.org.uk', 'secretary@castleresidents.org.uk'],
        subject: 'Castle Street consultation',
        text: 'Dear all,\n\nThe Castle Street parking consultation closes on 15 December. Do respond if you can.\n\nAlice',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.alice, evidence: ['chair@castleresidents.org.uk'] }],
    },
    {
      name: 'a member writing from a personal address',
      item: mail({
        from: A.tomPersonal,
        to: ['info@millbrookrotary.org.uk'],
        subject: 'Christmas collection',
        text: 'Dear Peter,\n\nI would be glad to help with the Christmas collection in Market Square on 19 December.\n\nTom',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.tom }],
    },
    {
      name: '"writing as soon as" is not a statement of capacity',
      item: mail({
        from: A.ben,
        to: ['office@northfieldprimary.org.uk'],
        subject: 'School crossing patrol',
        text: 'Dear Mrs Lee,\n\nI am writing as soon as I heard about the crossing patrol vacancy: I will do what I can to help.\n\nBen Hughes',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.ben }],
    },
  ],
});

describe('state-capacity reasons', () => {
  test('the capacity phrase found is named', () => {
    const ev = runRule(rule, mail({ from: A.sue, to: [A.resident], text: 'As your ward councillor I will help.' }));
    expect(ev.reason).toContain('"As your ward councillor"');
  });

  test('the summary data names the member and the outside recipients', () => {
    const ev = runRule(rule, mail({ from: A.ben, to: [A.resident, A.sam], text: 'I will look into it.' }));
    expect(ev.hits[0]?.data).toEqual({ author: 'Cllr Ben Hughes', recipients: A.resident });
    expect(ev.hits[0]?.people).toEqual([A.ben]);
  });

  test('spoofing is reported and nothing is done in the claimed name', () => {
    const ev = runRule(rule, mail({ from: A.sue, to: [A.resident], authFailed: true, text: 'Hello' }));
    expect(ev.reason).toBe(`authentication failed for ${A.sue}: possible spoofing; nothing is done in that person's name`);
  });

  test('an event gets "applies to mail only"', () => {
    expect(runRule(rule, event({ summary: 'Surgery', organizer: A.sue })).reason).toBe('applies to mail only');
  });
});
