/**
 * The rules read the author's own words in every reply shape (above, below and between quotes),
 * never quoted or forwarded history, signatures, disclaimers, newsletter footers or bounce text;
 * and a message's ward is placed by its own words, never by the council's address block in a
 * signature or a disclaimer.
 */
import { expect, test } from 'vitest';
import confidential from '../../src/rules/confidential-stays-internal.js';
import partyPolitical from '../../src/rules/no-party-political-use.js';
import stateCapacity from '../../src/rules/state-capacity.js';
import consultations from '../../src/rules/notify-ward-members-of-consultations.js';
import requestsViaClerk from '../../src/rules/requests-via-clerk.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

/** The council's own address block, as officers sign their mail: its postcode is in Castle ward. */
const SIGNED_PRIYA = 'Kind regards,\nPriya Shah\nProjects Officer\nMillbrook Town Council, Town Hall, 1 Market Street, Millbrook MB1 2AB\nTel: 01632 960123\nwww.millbrook-tc.gov.uk';

ruleTester(requestsViaClerk, {
  valid: [
    {
      name: 'a request quoted from someone else under a wrapped attribution, shown without quote markers, is not judged again',
      item: mail({
        from: A.tom,
        to: [A.sam],
        subject: 'Re: Library railings',
        inReplyTo: '<raj-railings@millbrook-tc.gov.uk>',
        text:
          'Noted, thank you both.\n\nTom\n\nOn Mon, 16 Nov 2026 at 09:12, Cllr Raj Mehta <\nraj.mehta@millbrook-tc.gov.uk> wrote:\n\nSam, could you take a look at the railings outside the library this week?\n\nRaj',
      }),
    },
    {
      name: "a request in Outlook's history under headers in another language (Von:, Gesendet:) is not judged again",
      item: mail({
        from: A.tom,
        to: [A.sam],
        subject: 'AW: Library railings',
        text:
          'Thanks Sam, that is all in hand then.\n\nTom\n\nVon: Cllr Raj Mehta <raj.mehta@millbrook-tc.gov.uk>\nGesendet: Montag, 16. November 2026 09:12\nAn: Sam Patel <sam.patel@millbrook-tc.gov.uk>\nBetreff: Library railings\n\nSam, could you take a look at the railings outside the library this week?',
      }),
    },
    {
      name: 'a request only in a newsletter footer does not fire',
      item: mail({
        from: A.tom,
        to: [A.sam],
        subject: 'Castle Ward news – November',
        text:
          'Dear all,\n\nThis month the new benches went in on Castle Street and the library reopened after its refit.\n\nTom Brown\n\nYou are receiving this email because you signed up to Castle Ward news. To unsubscribe, please contact castle.news@example.org.',
      }),
    },
    {
      name: 'a request only in a disclaimer under the message does not fire',
      item: mail({
        from: A.sue,
        to: [A.dan],
        subject: 'Mill Lane drain',
        text:
          'Hi Dan,\n\nThe drain outside 14 Mill Lane has been cleared; thank you.\n\nSue\n\nThis message may contain confidential information. If you have received it in error, please contact the sender and delete it.',
      }),
    },
  ],
  invalid: [
    {
      name: 'a request written below the quoted message (bottom-posting) fires',
      item: mail({
        from: A.tom,
        to: [A.sam],
        subject: 'Re: Castle Street benches',
        inReplyTo: '<sam-benches@millbrook-tc.gov.uk>',
        text:
          'On Mon, 16 Nov 2026 at 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote:\n> The new benches on Castle Street are in.\n>\n> Sam\n\nThanks Sam, they look good. Could you take a look at the railings outside the library this week?\n\nTom',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.tom, evidence: ['Could you take a look at'] }],
    },
    {
      name: 'a request in an answer between quoted lines (interleaved) fires',
      item: mail({
        from: A.sue,
        to: [A.dan],
        subject: 'Re: Mill Lane drain',
        inReplyTo: '<dan-drain@millbrook-tc.gov.uk>',
        text:
          'On Tue, 17 Nov 2026 at 08:30, Dan Okafor <dan.okafor@millbrook-tc.gov.uk> wrote:\n> Which drain is it?\n\nThe one outside 14 Mill Lane.\n\n> Is it urgent?\n\nYes, it floods the pavement. Could you take a look at it this week?\n\nThanks,\nSue',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.sue, evidence: ['Could you take a look at'] }],
    },
    {
      name: 'a request above a French attribution (top-posting in another locale) fires, the quote is not read',
      item: mail({
        from: A.ben,
        to: [A.priya],
        subject: 'Re: Hazel Avenue',
        text:
          'Priya,\n\nCould you take a look at the potholes on Hazel Avenue?\n\nBen\n\nLe lun. 16 nov. 2026 à 09:12, Priya Shah <priya.shah@millbrook-tc.gov.uk> a écrit :\n> Bonjour',
      }),
      hits: [{ messageId: 'requestNotViaClerk', offender: A.ben, evidence: ['Could you take a look at'] }],
    },
  ],
});

ruleTester(confidential, {
  valid: [
    {
      name: 'a standard footer disclaimer, the only text under an attachment, does not mark a message confidential',
      item: mail({
        from: A.sam,
        to: [A.contractor],
        subject: 'Purchase order for the Riverside Park benches',
        text:
          'This e-mail is strictly confidential and intended solely for the addressee. It may contain legally privileged information. If you are not the intended recipient, please notify the sender and delete it.',
      }),
    },
    {
      name: 'a disclaimer under a bottom-posted answer does not mark it confidential',
      item: mail({
        from: A.sam,
        to: [A.contractor],
        subject: 'Re: Delivery of the benches',
        inReplyTo: '<greenway-1@greenway-landscapes.co.uk>',
        text:
          'On Mon, 16 Nov 2026 at 09:12, Greenway Accounts <accounts@greenway-landscapes.co.uk> wrote:\n> Can we deliver on Thursday?\n\nThursday is fine; the gate code is on the order.\n\nSam Patel\n\nThis message is confidential and intended solely for the addressee. If you have received it in error, please delete it.',
      }),
    },
  ],
  invalid: [
    {
      name: 'a marking in the subject still counts, with or without a disclaimer',
      item: mail({
        from: A.sam,
        to: [A.contractor],
        subject: 'CONFIDENTIAL: tender evaluation',
        text: 'Please find the scores attached.\n\nSam Patel\n\nThis e-mail may contain confidential information. If you are not the intended recipient, please delete it.',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.sam, evidence: ['CONFIDENTIAL'] }],
    },
    {
      name: 'a marking heading the own words of a bottom-posted answer counts',
      item: mail({
        from: A.sam,
        to: [A.contractor],
        subject: 'Re: Tender',
        inReplyTo: '<greenway-2@greenway-landscapes.co.uk>',
        text: '> Can you send the evaluation?\n\nCONFIDENTIAL – the evaluation scores are attached.\n\nSam Patel',
      }),
      hits: [{ messageId: 'sentOutside', offender: A.sam, evidence: ['CONFIDENTIAL'] }],
    },
  ],
});

/** An ordinary request, with a party's newsletter footer under it. */
const FOOTED_REQUEST =
  'Hi Sam,\n\nCould you print 20 copies of the Riverside Park agenda for Thursday?\n\nYou are receiving this email because you signed up for the Millbrook Labour Party election leaflet round. To unsubscribe, reply STOP.';

test('party words in a footer are not read, not even to explain why a request is not party work', () => {
  const ev = runRule(partyPolitical, mail({ from: A.raj, to: [A.sam], subject: 'Agenda copies', text: FOOTED_REQUEST }));
  expect(ev.hits).toEqual([]);
  expect(ev.reason).not.toMatch(/Labour|election|leaflet/i);
});

ruleTester(partyPolitical, {
  valid: [
    {
      name: 'an ordinary request to an officer',
      item: mail({ from: A.raj, to: [A.sam], subject: 'Agenda copies', text: FOOTED_REQUEST }),
    },
  ],
  invalid: [
    {
      name: 'a party request written below the quoted message (bottom-posting) fires',
      item: mail({
        from: A.raj,
        to: [A.sam],
        subject: 'Re: Printing',
        inReplyTo: '<sam-printing@millbrook-tc.gov.uk>',
        text:
          'On Mon, 16 Nov 2026 at 09:12, Sam Patel <sam.patel@millbrook-tc.gov.uk> wrote:\n> The printer is fixed.\n\nGreat. Could you print 300 copies of our election leaflet for Riverside by Friday?\n\nCheers,\nRaj',
      }),
      hits: [{ messageId: 'askedOfficerForPartyWork', offender: A.raj, evidence: ['could you print', 'election leaflet'] }],
    },
  ],
});

ruleTester(stateCapacity, {
  valid: [
    {
      name: 'a capacity stated below the quoted message (bottom-posting) counts',
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Re: Hazel Avenue potholes',
        inReplyTo: '<resident-potholes@example.com>',
        text:
          'On Mon, 16 Nov 2026 at 09:12, John Smith <j.smith@example.com> wrote:\n> Who do I talk to about the potholes?\n\nDear Mr Smith,\n\nAs your ward councillor I have reported them and will chase it up next week.\n\nBest wishes,\nBen',
      }),
    },
  ],
  invalid: [
    {
      name: "a capacity only in the resident's quoted words does not count, the answer below is read",
      item: mail({
        from: A.ben,
        to: [A.resident],
        subject: 'Re: Hazel Avenue potholes',
        inReplyTo: '<resident-potholes@example.com>',
        text:
          'On Mon, 16 Nov 2026 at 09:12, John Smith <j.smith@example.com> wrote:\n> You are our ward councillor, so please help.\n\nDear Mr Smith,\n\nI have reported them and will chase it up next week.\n\nBest wishes,\nBen',
      }),
      hits: [{ messageId: 'capacityNotStated', offender: A.ben, evidence: ['no statement of capacity'] }],
    },
  ],
});

const hazelSurvey = {
  from: A.priya,
  to: ['hazel.avenue.residents@example.org'],
  subject: 'Survey on the future of the allotments',
};

ruleTester(consultations, {
  valid: [
    {
      name: "a survey naming no place of its own is not placed by the council's address in its signature",
      item: mail({
        ...hazelSurvey,
        text: `Dear plot holders,\n\nThe Council is reviewing the allotments. The survey is open now and closes on 31 January.\n\n${SIGNED_PRIYA}`,
      }),
      needsHuman: true,
    },
  ],
  invalid: [
    {
      name: "the council's address block in a sign-off does not make a survey's ward ambiguous",
      item: mail({
        ...hazelSurvey,
        text: `Dear plot holders,\n\nThe Council is reviewing the Hazel Avenue allotments. The survey is open now and closes on 31 January.\n\n${SIGNED_PRIYA}`,
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.ben], evidence: ['Hazel Avenue', 'the body'] }],
    },
    {
      name: "the council's address in an Outlook signature with no closing does not count either",
      item: mail({
        ...hazelSurvey,
        text:
          'Dear plot holders,\n\nThe Council is reviewing the Hazel Avenue allotments. The survey is open now and closes on 31 January.\n\nPriya Shah\nProjects Officer | Millbrook Town Council\nTown Hall, 1 Market Street, Millbrook MB1 2AB\n\nT: 01632 960123 | www.millbrook-tc.gov.uk',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.ben], evidence: ['Hazel Avenue', 'the body'] }],
    },
    {
      name: 'places in a disclaimer do not make the ward ambiguous',
      item: mail({
        ...hazelSurvey,
        text:
          'Dear plot holders,\n\nThe Council is reviewing the Hazel Avenue allotments. The survey is open now and closes on 31 January.\n\nPriya Shah\n\nThis message may contain confidential information. Millbrook Town Council, Town Hall, Market Square, Millbrook MB1 2AB, accepts no liability for its contents.',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.ben], evidence: ['Hazel Avenue', 'the body'] }],
    },
    {
      name: "a consultation event's description is placed by its words, not the organiser's signature",
      item: event({
        calendarId: 'council-events',
        organizer: A.priya,
        summary: 'Consultation drop-in: allotment rents',
        location: '',
        description: `Come and tell us what you think of the proposed rents for the Hazel Avenue allotments.\n\n${SIGNED_PRIYA}`,
        attendees: [A.priya],
        start: '2026-12-05T10:00:00.000Z',
        end: '2026-12-05T12:00:00.000Z',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.ben], evidence: ['Hazel Avenue'] }],
    },
  ],
});

test("a place in the message's own words still places it", () => {
  // The venue, in the own words above the sign-off, is in Castle ward.
  const ev = runRule(
    consultations,
    mail({
      ...hazelSurvey,
      to: ['market.traders@example.org'],
      subject: 'Have your say on the market stalls',
      text: 'Dear traders,\n\nWe are consulting on new pitches for the stalls in Market Square. Please come to the drop-in at the library on 9 January.\n\nPriya Shah',
    }),
  );
  expect(ev.hits.map((h) => h.targets?.notify)).toEqual([[A.tom, A.alice]]);
});
