import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/no-officers-at-surgeries.js';
import { A, event, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const alicesSurgery = {
  calendarId: 'alice-green',
  organizer: A.alice,
  summary: 'Castle ward surgery – Cllr Alice Green',
  location: 'Millbrook Library, Castle Street',
  description: 'Monthly surgery: residents can raise any local matter in confidence. No appointment needed.',
  start: '2026-12-05T10:00:00.000Z',
  end: '2026-12-05T12:00:00.000Z',
};

ruleTester(rule, {
  valid: [
    {
      name: 'a joint surgery with only members and a resident',
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Riverside councillors’ surgery',
        location: 'Riverside Park Pavilion',
        attendees: [A.sue, A.resident],
      }),
    },
    {
      name: "an officer at a member's public meeting (an officer may attend, 9.4a)",
      item: event({
        calendarId: 'sue-taylor',
        organizer: A.sue,
        summary: "Residents' meeting – Weir Road flood defences",
        location: 'St Peter’s Church Hall, Weir Road',
        attendees: [A.dan, 'weir.road.residents@example.org'],
      }),
    },
    {
      name: 'an officer-organised site meeting with a member',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Site meeting: Riverside Park drainage',
        location: 'Riverside Park, Mill Lane entrance',
        attendees: [A.raj, A.contractor],
      }),
    },
    {
      name: 'a surgery booked in a room: the room is not an officer',
      item: event({ ...alicesSurgery, attendees: [`room:${A.communityRoom}`, A.tom] }),
    },
    {
      name: "a meeting about the doctors' surgery is not a ward surgery",
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: "Meeting with the practice manager about the doctors' surgery car park",
        location: 'Hazel Avenue Medical Centre',
        attendees: [A.dan],
      }),
    },
    {
      name: 'a cancelled surgery',
      item: event({ ...alicesSurgery, status: 'CANCELLED', attendees: [A.sam] }),
    },
    {
      name: 'a surgery that has already taken place',
      item: event({ ...alicesSurgery, attendees: [A.sam] }),
      now: '2026-12-06T09:00:00.000Z',
    },
  ],
  invalid: [
    {
      name: 'Cllr Green asks an officer to come to her surgery',
      item: event({ ...alicesSurgery, attendees: [A.sam] }),
      hits: [{ messageId: 'officerInvitedToSurgery', offender: A.alice, notify: [A.sam], evidence: ['ward surgery', 'Sam Patel (an officer)'] }],
    },
    {
      name: 'the Mayor invites the Clerk and an officer to his surgery',
      item: event({
        calendarId: 'tom-brown',
        organizer: A.tomPersonal,
        summary: "Mayor's surgery",
        location: 'Market Square',
        attendees: [A.clerk, A.priya, A.alice],
      }),
      hits: [{ messageId: 'officerInvitedToSurgery', offender: A.tom, notify: [A.clerk, A.priya], evidence: ['surgery', 'Helen Ashworth (the Clerk)', 'Priya Shah (an officer)'] }],
    },
    {
      name: 'a surgery marked by category',
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'Cllr Hughes – Saturday morning drop-in',
        categories: ['Surgery'],
        location: 'Northfield Community Centre',
        attendees: [A.dan],
      }),
      hits: [{ messageId: 'officerInvitedToSurgery', offender: A.ben, notify: [A.dan], evidence: ['Surgery'] }],
    },
    {
      name: 'an officer as an optional attendee of a monthly surgery series',
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Riverside councillor surgery',
        location: 'Riverside Park Pavilion',
        attendees: [`opt:${A.priya}`],
        start: '2026-12-05T10:00:00.000Z',
        occurrences: [
          { start: '2026-12-05T10:00:00.000Z', end: '2026-12-05T12:00:00.000Z', recurrenceId: '2026-12-05T10:00:00.000Z' },
          { start: '2027-01-02T10:00:00.000Z', end: '2027-01-02T12:00:00.000Z', recurrenceId: '2027-01-02T10:00:00.000Z' },
        ],
      }),
      hits: [{ messageId: 'officerInvitedToSurgery', offender: A.raj, notify: [A.priya], evidence: ['councillor surgery'] }],
    },
    {
      name: 'an officer and a room at the same surgery: only the officer is told',
      item: event({ ...alicesSurgery, attendees: [`room:${A.communityRoom}`, A.dan] }),
      hits: [{ messageId: 'officerInvitedToSurgery', offender: A.alice, notify: [A.dan] }],
    },
    {
      name: 'a phrase the council added ("councillor clinic")',
      item: event({
        calendarId: 'sue-taylor',
        organizer: A.sue,
        summary: 'Councillor clinic – Mill Lane',
        location: 'Mill Lane Community Hall',
        attendees: [A.sam],
      }),
      options: { extraSurgeryPhrases: ['councillor clinic'] },
      hits: [{ messageId: 'officerInvitedToSurgery', offender: A.sue, notify: [A.sam], evidence: ['Councillor clinic'] }],
    },
  ],
});

describe('no-officers-at-surgeries summaries', () => {
  test('the data names the member, the officers and the surgery', () => {
    const ev = runRule(rule, event({ ...alicesSurgery, attendees: [A.sam, A.priya] }));
    expect(ev.hits[0]?.data).toMatchObject({ organiser: 'Cllr Alice Green', officers: 'Sam Patel and Priya Shah', date: 'Saturday 5 December 2026 at 10:00' });
    expect(ev.hits[0]?.people).toEqual([A.alice, A.sam, A.priya]);
  });

  test("a public meeting says an officer may attend", () => {
    const ev = runRule(rule, event({ calendarId: 'sue-taylor', organizer: A.sue, summary: 'Public meeting on Weir Road', attendees: [A.dan] }));
    expect(ev.reason).toContain('an officer may attend a public meeting');
  });
});
