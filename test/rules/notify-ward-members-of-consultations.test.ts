import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/notify-ward-members-of-consultations.js';
import { A, event, mail, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const playAreaText = [
  'Dear residents,',
  '',
  'We are consulting local people on the replacement of the play equipment at Riverside Park. Three designs are on display in the pavilion and online.',
  'The consultation period runs until Friday 15 January 2027; please fill in the short questionnaire or come to the drop-in on 9 January.',
  '',
  'Kind regards,',
  'Priya Shah',
  'Projects Officer, Millbrook Town Council',
].join('\n');

const playAreaMail = {
  from: A.priya,
  to: ['friends.of.riversidepark@example.org'],
  bcc: ['j.smith@example.com', 'k.jones@example.net', 'm.osei@example.com', 'l.ward@example.org'],
  subject: 'Have your say on the Riverside Park play area',
  text: playAreaText,
};

const squareEvent = {
  calendarId: 'council-events',
  organizer: A.sam,
  summary: 'Consultation event: Market Square improvements',
  location: 'Millbrook Library, Castle Street',
  description: 'Plans for new seating, planting and a loading bay will be on display. Officers will be on hand to answer questions.',
  start: '2026-12-05T10:00:00.000Z',
  end: '2026-12-05T14:00:00.000Z',
};

ruleTester(rule, {
  valid: [
    {
      name: 'both Riverside members are already copied',
      item: mail({ ...playAreaMail, cc: [A.raj, A.sue] }),
    },
    {
      name: 'a resident responding to the consultation',
      item: mail({
        from: A.resident,
        to: [A.priya],
        subject: 'Riverside Park play area consultation – my views',
        text: 'Dear Ms Shah,\n\nI prefer design B, but please keep the swings for younger children. Could the consultation period be extended over the holidays?\n\nJohn Smith, Weir Road',
        copies: [`${A.priya}:inbox`],
      }),
    },
    {
      name: "a member's own survey of residents",
      item: mail({
        from: A.ben,
        to: ['hazel.avenue.residents@example.org'],
        subject: 'Have your say: parking on Hazel Avenue',
        text: 'Dear neighbours,\n\nAs your ward councillor I would like to know how parking on Hazel Avenue affects you. My survey closes on 20 December.\n\nBen Hughes',
      }),
    },
    {
      name: 'an officer replying to a resident about the consultation',
      item: mail({
        from: A.priya,
        to: [A.resident],
        subject: 'Re: Riverside Park play area consultation – my views',
        inReplyTo: '<resident-1@example.com>',
        text: 'Dear Mr Smith,\n\nThank you for your comments, which I have added to the consultation responses. We are not able to extend the consultation period, I am afraid.\n\nPriya Shah',
      }),
    },
    {
      name: 'an officer acknowledging a resident’s response in a new message (not a reply)',
      item: mail({
        from: A.priya,
        to: ['k.jones@example.net'],
        subject: 'Riverside Park play area consultation',
        text: 'Dear Ms Jones,\n\nThank you for your response to the Riverside Park play area consultation. The consultation period runs until Friday 15 January, and we will publish a summary of the responses in February.\n\nPriya Shah',
      }),
    },
    {
      name: 'an officer thanking a resident for comments on a running consultation',
      item: mail({
        from: A.priya,
        to: ['k.jones@example.net'],
        subject: 'Riverside Park play area',
        text: 'Dear Ms Jones,\n\nThank you for your comments on the new play area designs for Riverside Park. The consultation closes on 30 April, and we will publish the results in May.\n\nPriya Shah',
      }),
    },
    {
      name: 'thanks for completing the consultation survey (its words in the thank-you open nothing)',
      item: mail({
        from: A.priya,
        to: ['k.jones@example.net'],
        subject: 'Riverside Park play area',
        text: 'Dear Ms Jones,\n\nThank you for completing the consultation survey on the Riverside Park play area. We will publish the results in May.\n\nPriya Shah',
      }),
    },
    {
      name: "the Council's response to the County's consultation",
      item: mail({
        from: A.clerk,
        to: ['highways.consultations@countycouncil.gov.uk'],
        subject: 'Millbrook Town Council response to the County highways consultation on Mill Lane',
        text: 'Dear Sir or Madam,\n\nPlease find attached the Town Council’s response, agreed at the Planning Committee on 10 November.\n\nHelen Ashworth, Town Clerk',
      }),
    },
    {
      name: 'an internal planning note about a future consultation',
      item: mail({
        from: A.clerk,
        to: [A.sam, A.priya],
        subject: 'Consultation plan for Market Square',
        text: 'Sam, Priya – before we launch the public consultation on Market Square, can we agree the dates and the questionnaire at Monday’s team meeting?\n\nHelen',
      }),
    },
    {
      name: 'a quote request that only mentions a past consultation',
      item: mail({
        from: A.dan,
        to: [A.contractor],
        subject: 'Quote for new benches, Mill Lane',
        text: 'Hello,\n\nFollowing the consultation last spring, residents asked for four new benches along Mill Lane. Could you send a quote by the end of the month?\n\nDan Okafor, Estates Officer',
      }),
    },
    {
      name: 'a claimed clerk message that failed authentication',
      item: mail({ ...playAreaMail, from: A.clerk, authFailed: true }),
    },
    {
      name: 'a town-wide consultation with no ward is left to a person',
      item: mail({
        from: A.clerk,
        to: ['residents-newsletter@example.org'],
        subject: 'Have your say on the Town Council budget for 2027/28',
        text: 'The Town Council is consulting on its spending priorities for next year. The survey is online and closes on 31 January.',
      }),
      needsHuman: true,
    },
    {
      name: 'a consultation event with both Castle members invited',
      item: event({ ...squareEvent, attendees: [A.tomPersonal, A.alice] }),
    },
    {
      name: 'a consultation event that is already over',
      item: event({ ...squareEvent, attendees: [] }),
      now: '2026-12-06T09:00:00.000Z',
    },
    {
      name: 'a consultation event a member organised on their own calendar',
      item: event({ ...squareEvent, calendarId: 'alice-green', organizer: A.alice, attendees: [] }),
    },
  ],
  invalid: [
    {
      name: 'an officer announcing the Riverside Park consultation to residents by blind copy',
      item: mail(playAreaMail),
      hits: [{ messageId: 'consultationStarting', notify: [A.raj, A.sue], evidence: ['Have your say', 'We are consulting', 'consultation period', 'Riverside Park'] }],
    },
    {
      name: 'an announcement that opens by thanking people for coming (not for a response) still starts a consultation',
      item: mail({
        ...playAreaMail,
        text: 'Dear residents,\n\nThank you to everyone who came to the pavilion open day. We are consulting local people on the replacement of the play equipment at Riverside Park.\n\nPriya Shah',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.raj, A.sue], evidence: ['We are consulting'] }],
    },
    {
      name: 'an announcement that thanks residents for last year’s response, then starts a new consultation',
      item: mail({
        ...playAreaMail,
        text: 'Dear residents,\n\nThank you for your response to last year’s survey on the old play equipment. We are now consulting on three designs for a new play area in Riverside Park.\n\nPriya Shah',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.raj, A.sue], evidence: ['We are now consulting'] }],
    },
    {
      name: 'a thank-you for last year’s views, then “the Town Council is consulting” on the final design',
      item: mail({
        ...playAreaMail,
        subject: 'Riverside Park play area: the final design',
        text: 'Dear residents,\n\nThank you for your views on the Riverside Park play area last year. The Town Council is consulting on the final design: the consultation period runs until 30 April 2027.\n\nSam Patel',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.raj, A.sue] }],
    },
    {
      name: 'the Clerk consulting on Castle Street parking with one Castle member copied',
      item: mail({
        from: A.clerk,
        to: ['castle.street.traders@example.org', 'millbrook.civic.society@example.org'],
        cc: [A.alice],
        subject: 'Consultation: proposed waiting restrictions on Castle Street',
        text: 'Dear consultees,\n\nThe Council proposes to introduce a one-hour waiting limit. Comments are welcome until 29 January.\n\nHelen Ashworth, Town Clerk',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.tom], evidence: ['Consultation', 'Castle Street'] }],
    },
    {
      name: 'a survey whose ward is named only in the body',
      item: mail({
        from: A.sam,
        to: ['allotment.holders@example.org'],
        subject: 'Survey on the future of the allotments',
        text: 'Dear plot holders,\n\nThe Council is reviewing the Hazel Avenue allotments. The survey is open now and closes on 31 January.\n\nSam Patel',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.ben], evidence: ['survey is open now and closes', 'Hazel Avenue', 'the body'] }],
    },
    {
      name: 'a consultation event on the council calendar without the Castle members',
      item: event({ ...squareEvent, attendees: [A.sam, A.priya] }),
      hits: [{ messageId: 'consultationStarting', notify: [A.tom, A.alice], evidence: ['Consultation event', 'Millbrook Library'] }],
    },
    {
      name: 'a consultation event marked by category for Northfield',
      item: event({
        calendarId: 'council-events',
        organizer: A.priya,
        summary: 'Community centre opening hours – drop-in',
        categories: ['Consultation', 'Northfield'],
        location: 'Northfield Community Centre',
        attendees: [A.priya],
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.ben], evidence: ['Consultation', 'Northfield ward'] }],
    },
    {
      name: 'a phrase the council added ("call for views")',
      item: mail({
        from: A.dan,
        to: ['weir.road.residents@example.org'],
        subject: 'Call for views: Weir Road footbridge',
        text: 'Dear residents,\n\nThe footbridge needs replacing and there are two options. Please send your comments by 12 February.\n\nDan Okafor',
      }),
      options: { extraConsultationPhrases: ['call for views'] },
      hits: [{ messageId: 'consultationStarting', notify: [A.raj, A.sue], evidence: ['Call for views', 'Weir Road'] }],
    },
    {
      name: 'a ward label on the announcement',
      item: mail({
        from: A.sam,
        to: ['castle.residents@example.org'],
        labels: ['Castle'],
        subject: 'Winter gritting routes – have your say',
        text: 'Dear residents,\n\nWe would like to hear your views on which pavements should be gritted first this winter.\n\nSam Patel',
      }),
      hits: [{ messageId: 'consultationStarting', notify: [A.tom, A.alice], evidence: ['have your say', 'hear your views', 'Castle ward'] }],
    },
  ],
});

describe('notify-ward-members-of-consultations reasons', () => {
  test('a spoofed message is not acted on in the claimed name', () => {
    const ev = runRule(rule, mail({ ...playAreaMail, from: A.clerk, authFailed: true }));
    expect(ev.reason).toBe(`authentication failed for ${A.clerk}: possible spoofing; nothing is done in that person's name`);
  });

  test('the summary data names the consultation, the ward and who to tell', () => {
    const ev = runRule(rule, mail(playAreaMail));
    expect(ev.hits[0]?.data).toMatchObject({ title: playAreaMail.subject, wards: 'Riverside ward', notify: 'Cllr Raj Mehta and Cllr Sue Taylor' });
    expect(ev.hits[0]?.people[0]).toBe(A.priya);
  });

  test('an unknown ward asks a person', () => {
    const ev = runRule(rule, mail({ from: A.clerk, to: [A.resident], subject: 'Have your say on the budget', text: 'The survey closes soon.' }));
    expect(ev.needsHuman).toMatch(/could not tell which ward/);
  });
});

describe('notify-ward-members-of-consultations: one matter, many messages', () => {
  test('the same consultation announced in two messages that year is one matter (its topic), whatever the spacing', () => {
    const first = runRule(rule, mail({ ...playAreaMail, date: '2027-03-31T09:00:00.000Z', bcc: ['j.smith@example.com'] }));
    // The mailout runs on over the month's end.
    const second = runRule(rule, mail({ ...playAreaMail, date: '2027-04-01T09:00:00.000Z', subject: '  Have your say on the  Riverside Park play area ', bcc: ['k.jones@example.net'] }));
    expect(first.hits[0]?.topic).toBe('consultation:have your say on the riverside park play area|riverside|2027');
    expect(second.hits[0]?.topic).toBe(first.hits[0]?.topic);
    // Another consultation, or one of the same name months later, is another matter.
    const other = runRule(rule, mail({ ...playAreaMail, date: '2027-03-31T09:00:00.000Z', subject: 'Have your say on Castle Street parking' }));
    const later = runRule(rule, mail({ ...playAreaMail, date: '2028-03-01T09:00:00.000Z' }));
    expect(other.hits.map((h) => h.topic)).not.toContain(first.hits[0]?.topic);
    expect(later.hits[0]?.topic).not.toBe(first.hits[0]?.topic);
  });

  test('two drop-in events of the same name on different days are two matters', () => {
    const april = runRule(rule, event({ ...squareEvent, summary: 'Consultation drop-in', start: '2026-12-05T10:00:00.000Z', attendees: [] }));
    const later = runRule(rule, event({ ...squareEvent, summary: 'Consultation drop-in', start: '2027-02-06T10:00:00.000Z', end: '2027-02-06T14:00:00.000Z', attendees: [] }));
    expect(april.hits[0]?.topic).toBeDefined();
    expect(later.hits[0]?.topic).toBeDefined();
    expect(later.hits[0]?.topic).not.toBe(april.hits[0]?.topic);
  });
});
