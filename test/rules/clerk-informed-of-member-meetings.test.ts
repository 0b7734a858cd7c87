import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/clerk-informed-of-member-meetings.js';
import { A, event, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const tomsMeeting = {
  calendarId: 'tom-brown',
  organizer: A.tom,
  summary: 'Public meeting: Market Square car park charges',
  location: 'Millbrook Library, Castle Street',
  description: 'Residents and traders are welcome to come and discuss the proposed changes to the car park charges before the Council decides in January.',
  start: '2026-12-10T19:00:00.000Z',
};

ruleTester(rule, {
  valid: [
    {
      name: 'the Clerk is invited',
      item: event({ ...tomsMeeting, attendees: [A.clerk, A.alice, 'castle.traders@example.org'] }),
    },
    {
      name: "the Clerk is invited through her personal council address",
      item: event({ ...tomsMeeting, attendees: ['helen.ashworth@millbrook-tc.gov.uk'] }),
    },
    {
      name: 'the Clerk declined, but was informed',
      item: event({ ...tomsMeeting, attendees: [`declined:${A.clerk}`] }),
    },
    {
      name: 'a ward surgery is not a public meeting',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Castle ward surgery with Cllr Alice Green',
        location: 'Millbrook Library',
        description: 'Drop in to raise any local issue in confidence.',
        attendees: [],
      }),
    },
    {
      name: 'a party political open meeting',
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Riverside Labour Party open meeting',
        location: 'Weir Road Labour Club',
        description: 'Open meeting for members and supporters: campaign plans for the spring.',
        attendees: ['riverside.branch@example.org'],
      }),
    },
    {
      name: 'an officer-organised public meeting',
      item: event({ ...tomsMeeting, calendarId: 'council-events', organizer: A.sam, attendees: [A.tom, A.alice] }),
    },
    {
      name: 'a cancelled public meeting',
      item: event({ ...tomsMeeting, status: 'CANCELLED', attendees: [] }),
    },
    {
      name: 'a public meeting that has already happened',
      item: event({ ...tomsMeeting, attendees: [] }),
      now: '2026-12-11T09:00:00.000Z',
    },
  ],
  invalid: [
    {
      name: "the Mayor's public meeting on car park charges without the Clerk",
      item: event({ ...tomsMeeting, attendees: [A.alice, 'castle.traders@example.org'] }),
      hits: [{ messageId: 'clerkNotInformed', offender: A.tom, notify: [A.clerk], evidence: ['Public meeting', 'arranged by Cllr Tom Brown'] }],
    },
    {
      name: "a residents' meeting with an officer but not the Clerk",
      item: event({
        calendarId: 'sue-taylor',
        organizer: A.sue,
        summary: "Residents' meeting – Weir Road flood defences",
        location: 'St Peter’s Church Hall, Weir Road',
        attendees: [A.dan, 'weir.road.residents@example.org'],
      }),
      hits: [{ messageId: 'clerkNotInformed', offender: A.sue, evidence: ["Residents' meeting"] }],
    },
    {
      name: 'an open meeting on the bus service',
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'Open meeting: Hazel Avenue bus service',
        location: 'Northfield Community Centre',
        attendees: [],
      }),
      hits: [{ messageId: 'clerkNotInformed', offender: A.ben, evidence: ['Open meeting'] }],
    },
    {
      name: 'a category marks the public meeting',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Castle Street traffic calming – your questions answered',
        categories: ['Public Meeting'],
        location: 'Millbrook Library',
        attendees: [A.tom],
      }),
      hits: [{ messageId: 'clerkNotInformed', offender: A.alice, evidence: ['Public Meeting'] }],
    },
    {
      name: 'a phrase the council added ("town forum")',
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Riverside town forum: Mill Lane parking',
        location: 'Riverside Park Pavilion',
        attendees: [A.sue],
      }),
      options: { extraPublicMeetingPhrases: ['town forum'] },
      hits: [{ messageId: 'clerkNotInformed', offender: A.raj, evidence: ['town forum'] }],
    },
    {
      name: "the Mayor's own calendar entry using his personal address",
      item: event({ ...tomsMeeting, organizer: A.tomPersonal, attendees: [] }),
      hits: [{ messageId: 'clerkNotInformed', offender: A.tom }],
    },
  ],
});

describe('clerk-informed-of-member-meetings reasons', () => {
  test('a party political meeting says which words showed it', () => {
    const ev = runRule(rule, event({ calendarId: 'raj-mehta', organizer: A.raj, summary: 'Labour Party open meeting', location: 'Weir Road' }));
    expect(ev.reason).toContain('party political basis ("Labour Party');
  });

  test('the summary names the member and the meeting', () => {
    const ev = runRule(rule, event({ ...tomsMeeting, attendees: [] }));
    expect(ev.hits[0]?.data).toEqual({ organiser: 'Cllr Tom Brown', title: tomsMeeting.summary, date: 'Thursday 10 December 2026 at 19:00' });
  });
});
