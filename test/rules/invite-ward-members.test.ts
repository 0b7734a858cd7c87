import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/invite-ward-members.js';
import { A, event, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const parkingMeeting = {
  calendarId: 'council-events',
  organizer: A.sam,
  summary: 'Public meeting: parking and deliveries in Market Square',
  location: 'Millbrook Library, Castle Street, MB1 2AB',
  description:
    'Residents and traders are invited to discuss the proposed loading bays and the pay-and-display review. Officers will present the survey results and take questions.',
  start: '2026-12-03T19:00:00.000Z',
};

ruleTester(rule, {
  valid: [
    {
      name: 'both Castle members invited, the Mayor through his personal address',
      item: event({ ...parkingMeeting, attendees: [A.tomPersonal, A.alice, A.resident] }),
    },
    {
      name: 'a member who declined still counts as invited',
      item: event({ ...parkingMeeting, attendees: [A.tom, `declined:${A.alice}`] }),
    },
    {
      name: "a member's own public meeting is not organised by the Council",
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Public meeting – flooding on Weir Road',
        location: 'St Peter’s Church Hall, Weir Road, MB2 4QT',
        description: 'I am holding a public meeting for residents affected by last month’s flooding. All welcome.',
        attendees: [A.resident],
      }),
    },
    {
      name: 'a party-group meeting on the council calendar is never a public meeting',
      item: event({
        calendarId: 'council-events',
        organizer: A.raj,
        summary: 'Labour Group meeting – Riverside Park improvements',
        location: 'Committee Room 2, Riverside Park Pavilion',
        attendees: [A.raj],
      }),
    },
    {
      name: 'a Full Council meeting is a formal meeting, not a public meeting',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Full Council',
        location: 'Council Chamber, Market Square',
        description: 'Meeting of the Full Council. Members of the public are welcome to attend and may speak during public participation.',
        attendees: [A.tom],
      }),
    },
    {
      name: 'a cancelled public meeting',
      item: event({ ...parkingMeeting, status: 'CANCELLED', attendees: [A.tom] }),
    },
    {
      name: 'a public meeting that has already taken place',
      item: event({ ...parkingMeeting, attendees: [A.tom] }),
      now: '2026-12-05T09:00:00.000Z',
    },
    {
      name: 'a series whose last listed occurrence is over',
      item: event({
        ...parkingMeeting,
        summary: 'Open meeting: Market Square traders',
        attendees: [A.tom],
        occurrences: [
          { start: '2026-09-03T18:00:00.000Z', end: '2026-09-03T20:00:00.000Z', recurrenceId: '2026-09-03T18:00:00.000Z' },
          { start: '2026-10-01T18:00:00.000Z', end: '2026-10-01T20:00:00.000Z', recurrenceId: '2026-10-01T18:00:00.000Z' },
        ],
      }),
    },
    {
      name: 'an unknown ward is left to a person',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Public meeting: the town council budget for 2027/28',
        location: 'Millbrook Town Hall',
        attendees: [A.tom, A.raj],
      }),
      needsHuman: true,
    },
    {
      name: 'a meeting held at a Castle venue about a street in Riverside is left to a person, not sent to Castle',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Public meeting: Weir Road footbridge closure',
        location: 'Millbrook Library, Market Square',
        attendees: [A.resident],
      }),
      needsHuman: true,
    },
    {
      name: 'a location in two wards is left to a person',
      item: event({
        calendarId: 'council-events',
        organizer: A.priya,
        summary: 'Public meeting: the Castle Street to Mill Lane cycle route',
        location: 'Junction of Castle Street and Mill Lane',
        attendees: [A.tom],
      }),
      needsHuman: true,
    },
    {
      name: 'a public meeting on the council calendar organised from outside the Council is left to the Clerk, with no invitation',
      item: event({ ...parkingMeeting, organizer: 'events@market-square-traders.example.org', attendees: [A.tom] }),
      needsHuman: true,
    },
    {
      name: 'a phrase the council has not added is not a public meeting',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Town forum: Weir Road flood defences',
        location: 'Riverside Park Pavilion',
        attendees: [],
      }),
    },
  ],
  invalid: [
    {
      name: 'an officer-organised public meeting in Castle that leaves out Cllr Green',
      item: event({ ...parkingMeeting, attendees: [A.tom, A.resident] }),
      hits: [{ messageId: 'missingWardMembers', invite: [A.alice], notify: [A.sam], evidence: ['Public meeting', 'Millbrook Library', 'Cllr Alice Green'] }],
    },
    {
      name: 'a Riverside meeting on the council calendar with the ward named as a category and no members invited',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Riverside Park play area – have your questions answered',
        categories: ['Public Meeting', 'Riverside'],
        location: 'Riverside Park Pavilion',
        description: 'The Clerk and the contractor will explain the new play equipment and the closure dates.',
        attendees: [A.contractor],
      }),
      hits: [{ messageId: 'missingWardMembers', invite: [A.raj, A.sue], notify: [A.clerk], evidence: ['Public Meeting', 'Riverside ward'] }],
    },
    {
      name: "a residents' meeting about Hazel Avenue without the Northfield member",
      item: event({
        calendarId: 'council-events',
        organizer: A.priya,
        summary: "Residents' meeting – Hazel Avenue allotments",
        location: 'Northfield Community Centre',
        description: 'To discuss the waiting list, water supply and the proposed new plots.',
        attendees: [A.priya, 'allotments.secretary@example.org'],
      }),
      hits: [{ messageId: 'missingWardMembers', invite: [A.ben], notify: [A.priya], evidence: ["Residents' meeting", 'Northfield Community Centre'] }],
    },
    {
      name: 'a monthly open meeting series with one Riverside member left out',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Open meeting: Riverside Park friends and the Council',
        location: 'Riverside Park Pavilion',
        attendees: [A.raj],
        start: '2026-12-07T18:30:00.000Z',
        occurrences: [
          { start: '2026-12-07T18:30:00.000Z', end: '2026-12-07T20:00:00.000Z', recurrenceId: '2026-12-07T18:30:00.000Z' },
          { start: '2027-01-04T18:30:00.000Z', end: '2027-01-04T20:00:00.000Z', recurrenceId: '2027-01-04T18:30:00.000Z' },
        ],
      }),
      hits: [{ messageId: 'missingWardMembers', invite: [A.sue], evidence: ['Open meeting', 'Cllr Sue Taylor'] }],
    },
    {
      name: 'a committee meeting explicitly held as a public meeting',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Planning Committee – public meeting on the Castle Street redevelopment',
        location: 'Millbrook Library',
        attendees: [A.tom],
      }),
      hits: [{ messageId: 'missingWardMembers', invite: [A.alice], evidence: ['public meeting'] }],
    },
    {
      name: 'a drop-in session with nothing else to describe it',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Drop-in: Mill Lane resurfacing works',
        location: 'Mill Lane car park',
        attendees: [A.dan],
      }),
      hits: [{ messageId: 'missingWardMembers', invite: [A.raj, A.sue], notify: [A.dan], evidence: ['Drop-in', 'Mill Lane'] }],
    },
    {
      name: "a phrase the council added (\"town forum\") marks a public meeting",
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Town forum: Weir Road flood defences',
        location: 'Riverside Park Pavilion',
        attendees: [],
      }),
      options: { extraPublicMeetingPhrases: ['town forum'] },
      hits: [{ messageId: 'missingWardMembers', invite: [A.raj, A.sue], evidence: ['Town forum'] }],
    },
  ],
});

describe('invite-ward-members reasons', () => {
  test('the summary names the meeting, the ward and who is missing', () => {
    const ev = runRule(rule, event({ ...parkingMeeting, attendees: [A.tom] }));
    expect(ev.hits[0]?.data).toMatchObject({ title: parkingMeeting.summary, wards: 'Castle ward', missing: 'Cllr Alice Green' });
    expect(ev.hits[0]?.data['date']).toBe('Thursday 3 December 2026 at 19:00');
  });

  test('an unknown ward asks the clerk in a full sentence', () => {
    const ev = runRule(rule, event({ calendarId: 'council-events', organizer: A.clerk, summary: 'Public meeting: the budget', location: 'Town Hall' }));
    expect(ev.needsHuman).toMatch(/could not tell which ward/);
  });

  test('an outside organiser on the council calendar: no invitation whose replies would go to them; the Clerk is asked', () => {
    const ev = runRule(rule, event({ ...parkingMeeting, organizer: 'events@market-square-traders.example.org', attendees: [A.tom] }));
    expect(ev.hits).toEqual([]);
    expect(ev.needsHuman).toBe(
      'The public meeting "Public meeting: parking and deliveries in Market Square" on Thursday 3 December 2026 at 19:00 is on a council calendar but organised by events@market-square-traders.example.org, who is outside the Council, and Cllr Alice Green is not invited. Wardwatch sends no invitation on the Council\'s behalf whose replies would go to someone outside it: please check the event and invite the members for Castle ward yourself if it is the Council\'s meeting.',
    );
    // A councillor's personal address is still the Council's own person: the invitation goes as usual.
    expect(runRule(rule, event({ ...parkingMeeting, organizer: A.tomPersonal, attendees: [A.tom] })).hits).toHaveLength(1);
  });

  test("a member's own meeting says who organised it", () => {
    const ev = runRule(rule, event({ calendarId: 'raj-mehta', organizer: A.raj, summary: 'Public meeting – Weir Road', location: 'Weir Road' }));
    expect(ev.reason).toContain('Cllr Raj Mehta (a member), not by the Council');
  });
});
