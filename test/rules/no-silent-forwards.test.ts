import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/no-silent-forwards.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const tomsMessage =
  '---------- Forwarded message ---------\nFrom: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>\nDate: Mon, 16 Nov 2026 at 09:12\nSubject: Castle Street Christmas lights\n\nSam, the lights on the east side of Castle Street are still not working. Residents are asking whether they will be fixed before the switch-on.\n\nTom';

ruleTester(rule, {
  valid: [
    {
      name: 'an officer forwards a member’s message back to that member',
      item: mail({
        from: A.sam,
        to: [A.tom],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Cllr Brown,\n\nForwarding your note back with the contractor’s reply below: the repair is booked for Thursday.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'the original member is in Cc when the officer forwards to another member',
      item: mail({
        from: A.sam,
        to: [A.alice],
        cc: [A.tom],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nCllr Brown raised the Castle Street lights below; I have copied him in so you both have the update.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'an officer forwards a member’s message to another officer and the Clerk (no member recipient)',
      item: mail({
        from: A.sam,
        to: [A.dan],
        cc: [A.clerk],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dan,\n\nCan you pick this up with the lighting contractor, please?\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'an officer forwards a resident’s complaint to the ward member',
      item: mail({
        from: A.priya,
        to: [A.sue, A.raj],
        subject: 'Fwd: Dog fouling, Riverside Park',
        text:
          'Dear Cllrs Taylor and Mehta,\n\nFor your information, a complaint from a resident about dog fouling near the Riverside Park play area. We have ordered two more bins.\n\nPriya\n\n---------- Forwarded message ---------\nFrom: J Smith <j.smith@example.com>\nSubject: Dog fouling\n\nThe path by the play area is a disgrace.',
        forwardedAuthors: [A.resident],
      }),
    },
    {
      name: 'a member forwards their own message to another member',
      item: mail({
        from: A.tom,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Alice, this is what I sent Sam last week, for the ward newsletter.\n\nTom\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'the forwarded author is the same member writing from a personal address',
      item: mail({
        from: A.sam,
        to: [A.tom, A.alice],
        subject: 'Fwd: Castle ward walkabout',
        text:
          'Cllrs Brown and Green,\n\nCllr Brown’s note below (sent from his home address) proposes a ward walkabout on 5 December. Does 10am suit you both?\n\nSam\n\n---------- Forwarded message ---------\nFrom: Tom Brown <tombrown1960@gmail.com>\nSubject: Walkabout\n\nShall we walk the ward with Alice before Christmas?',
        forwardedAuthors: [A.tomPersonal],
      }),
    },
    {
      name: 'a spoofed officer message',
      item: mail({
        from: A.sam,
        to: [A.alice],
        authFailed: true,
        subject: 'Fwd: Castle Street Christmas lights',
        text: tomsMessage,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'the member asked the officer to pass the message on',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nCllr Brown asked me to pass this on to you before Thursday’s meeting.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'passed on “at his request”',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nI am sending you Cllr Brown’s note below at his request.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: '“he asked me to pass it on”, the member named in the sentence before',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nCllr Brown raised the lights with me on Monday. He asked me to pass his note on to you.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    },
    {
      name: 'a reply whose Outlook history names members without addresses (a reply, not the officer’s forward)',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'RE: FW: Market Square lights',
        text:
          'Dear Cllr Green,\n\nThe contractor will be there on Thursday.\n\nSam\n\n________________________________\nFrom: Cllr Alice Green\nSent: 17 November 2026 10:02\nTo: Sam Patel\nSubject: FW: Market Square lights\n\nSam, see Tom’s note below.\n\n________________________________\nFrom: Cllr Tom Brown\nSent: 16 November 2026 09:12\nTo: Cllr Alice Green\nSubject: Market Square lights\n\nThe lights are out again.',
        forwardedAuthors: [],
        hasForwardedContent: true,
      }),
    },
    ...[
      'Tom rang me this morning about the lights. He is keen to get the working group’s view. He asked me to pass this on to you.',
      'Cllr Brown is not only happy for me to share this, he suggested it.',
      'tom asked me to pass this on.',
    ].map((words) => ({
      name: `the member's agreement: "${words}"`,
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\n${words}\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
    })),
  ],
  invalid: [
    {
      name: 'an Outlook forward under a new subject that names the member without an address',
      item: mail({
        from: A.dan,
        to: [A.alice],
        subject: 'Tom’s plans for the Christmas lights',
        text:
          'Alice,\n\nSee below.\n\nDan\n\n________________________________\nFrom: Cllr Tom Brown\nSent: 16 November 2026 09:12\nTo: Dan Okafor\nSubject: Christmas lights\n\nI want the lights on the east side fixed first.',
        forwardedAuthors: [],
        hasForwardedContent: true,
      }),
      hits: [{ messageId: 'silentForward', offender: A.dan, evidence: ['“Cllr Tom Brown”, which is Cllr Tom Brown'] }],
    },
    {
      name: '“he asked me to pass it on” after a stallholder is named: he may be the stallholder',
      item: mail({
        from: A.dan,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Alice,\n\nSee Tom’s note below about the lights. I also spoke to Mr Jones, the stallholder, about it this morning. He asked me to pass it on to you.\n\nDan\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
      hits: [{ messageId: 'silentForward', offender: A.dan }],
    },
    {
      name: 'the member was not happy for it to be shared (a refusal is not consent)',
      item: mail({
        from: A.dan,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Alice,\n\nTom wasn't happy for me to share this, but I think you should see it before Thursday.\n\nDan\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
      hits: [{ messageId: 'silentForward', offender: A.dan }],
    },
    {
      name: '“the green team asked me to share this” is not Cllr Alice Green’s consent',
      item: mail({
        from: A.sam,
        to: [A.tom],
        subject: 'Fwd: Castle ward planters',
        text:
          'Tom,\n\nThe green team asked me to share this with you.\n\nSam\n\n---------- Forwarded message ---------\nFrom: Cllr Alice Green <alice.green@millbrook-tc.gov.uk>\nSubject: Planters\n\nThe planters on Castle Street need replanting.',
        forwardedAuthors: [A.alice],
      }),
      hits: [{ messageId: 'silentForward', offender: A.sam }],
    },
    {
      name: 'a resident’s wish to pass it on is not the member’s',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nA resident rang about the lights. She asked me to pass this on as she was keen for you to see it.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
      hits: [{ messageId: 'silentForward', offender: A.sam }],
    },
    {
      name: 'an Exchange forward that names the member without an address ("From: Cllr Tom Brown")',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'FW: Castle Street Christmas lights',
        text:
          'Dear Cllr Green,\n\nFor your information.\n\nSam\n\n________________________________\nFrom: Cllr Tom Brown\nSent: 16 November 2026 09:12\nTo: Sam Patel\nSubject: Castle Street Christmas lights\n\nThe lights on the east side are still not working.',
        forwardedAuthors: [],
        hasForwardedContent: true,
      }),
      hits: [{ messageId: 'silentForward', offender: A.sam, evidence: ['“Cllr Tom Brown”, which is Cllr Tom Brown', 'Cllr Alice Green (member'] }],
    },
    {
      name: 'someone else asked for it to be passed on: the member did not agree',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nA resident asked me to pass this on; she is worried about the switch-on.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
      hits: [{ messageId: 'silentForward', offender: A.sam, evidence: ['written by Cllr Tom Brown'] }],
    },
    {
      name: 'an officer forwards the Mayor’s message to the other ward member without him',
      item: mail({
        from: A.sam,
        to: [A.alice],
        subject: 'Fwd: Castle Street Christmas lights',
        text: `Dear Cllr Green,\n\nYou may want to see this from Cllr Brown before Thursday’s meeting.\n\nSam\n\n${tomsMessage}`,
        forwardedAuthors: [A.tom],
      }),
      hits: [{ messageId: 'silentForward', offender: A.sam, evidence: ['written by Cllr Tom Brown', 'Cllr Alice Green (member', 'not among the recipients'] }],
    },
    {
      name: 'the Clerk forwards a member’s message to the Leader',
      item: mail({
        from: A.clerk,
        to: [A.raj],
        subject: 'Fwd: Budget precept',
        text:
          'Raj,\n\nSee Ben’s comments on the precept below.\n\nHelen\n\n---------- Forwarded message ---------\nFrom: Cllr Ben Hughes <ben.hughes@millbrook-tc.gov.uk>\nSubject: Budget precept\n\nI cannot support a 6% rise in the precept this year.',
        forwardedAuthors: [A.ben],
      }),
      hits: [{ messageId: 'silentForward', offender: A.clerk, evidence: ['Cllr Ben Hughes', 'Cllr Raj Mehta'] }],
    },
    {
      name: 'an officer forwards a member’s message to another member in Bcc',
      item: mail({
        from: A.priya,
        to: [A.dan],
        bcc: [A.sue],
        subject: 'Fwd: Weir Road allotments',
        text:
          'Dan, please look at the water trough problem Cllr Mehta mentions.\n\nPriya\n\n---------- Forwarded message ---------\nFrom: Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>\nSubject: Weir Road allotments\n\nThe water trough on plot 14 is leaking again.',
        forwardedAuthors: [A.raj],
      }),
      hits: [{ messageId: 'silentForward', offender: A.priya, evidence: ['Cllr Sue Taylor', '(Bcc)'] }],
    },
    {
      name: 'an officer forwards from a personal address to another member; the member’s council address is not a recipient either',
      item: mail({
        from: A.dan,
        to: [A.ben],
        subject: 'Fwd: Hazel Avenue trees',
        text:
          'Cllr Hughes,\n\nCllr Brown sent the note below about the Hazel Avenue trees.\n\nDan\n\n---------- Forwarded message ---------\nFrom: Tom Brown <tombrown1960@gmail.com>\nSubject: Trees\n\nThe limes on Hazel Avenue need a survey.',
        forwardedAuthors: [A.tomPersonal],
      }),
      hits: [{ messageId: 'silentForward', offender: A.dan, evidence: ['tombrown1960@gmail.com'] }],
    },
    {
      name: 'a thread with two members’ messages forwarded to a third member: one finding per silent original',
      item: mail({
        from: A.sam,
        to: [A.ben],
        subject: 'Fwd: Market Square stalls',
        text:
          'Ben,\n\nFor background, the exchange between Cllrs Brown and Green on the stalls.\n\nSam\n\n---------- Forwarded message ---------\nFrom: Cllr Alice Green <alice.green@millbrook-tc.gov.uk>\n\nI agree with Tom.\n\n---------- Forwarded message ---------\nFrom: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>\n\nWe need more stalls on Saturdays.',
        forwardedAuthors: [A.alice, A.tom],
      }),
      hits: [
        { messageId: 'silentForward', offender: A.sam, evidence: ['Cllr Alice Green'] },
        { messageId: 'silentForward', offender: A.sam, evidence: ['Cllr Tom Brown'] },
      ],
    },
  ],
});

describe('no-silent-forwards reasons', () => {
  test('spoofing is reported and nothing is done in the claimed name', () => {
    const ev = runRule(rule, mail({ from: A.sam, to: [A.alice], authFailed: true, text: tomsMessage, forwardedAuthors: [A.tom] }));
    expect(ev.reason).toBe(`authentication failed for ${A.sam}: possible spoofing; nothing is done in that person's name`);
  });

  test('people lists the officer, the other member, then the original member', () => {
    const ev = runRule(rule, mail({ from: A.sam, to: [A.alice], text: tomsMessage, forwardedAuthors: [A.tom] }));
    expect(ev.hits[0]?.people).toEqual([A.sam, A.alice, A.tom]);
    expect(ev.hits[0]?.data).toEqual({ author: 'Sam Patel', original: 'Cllr Tom Brown', recipients: 'Cllr Alice Green' });
  });

  test('an open forward says the original member is among the recipients', () => {
    const ev = runRule(rule, mail({ from: A.sam, to: [A.alice], cc: [A.tom], text: tomsMessage, forwardedAuthors: [A.tom] }));
    expect(ev.reason).toContain('Cllr Tom Brown is among the recipients (Cc)');
  });

  test('an event gets "applies to mail only"', () => {
    expect(runRule(rule, event({ summary: 'Planning committee', organizer: A.clerk })).reason).toBe('applies to mail only');
  });
});
