import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/no-ward-meetings-before-elections.js';
import type { ActionKind } from '../../src/config/schema.js';
import type { EventItem } from '../../src/items/types.js';
import { A, event, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

// Pre-election periods in the Millbrook fixture: Northfield by-election 11 December 2026 – 21 January 2027
// (Northfield only); all-out elections 31 March – 6 May 2027.

const tomsSurgery = {
  calendarId: 'tom-brown',
  organizer: A.tom,
  summary: "Cllr Tom Brown's ward surgery",
  location: 'Millbrook Library, Castle Street',
  description: 'Drop in with any questions about the Castle ward: no appointment needed.',
  attendees: [] as string[],
};

function overriddenInstance(base: EventItem, recurrenceId: string, start: string, end: string): EventItem {
  return { ...base, key: `${base.uid}#${recurrenceId}`, recurrenceId, start, end, occurrences: [], recurring: false };
}

const monthly = event({
  calendarId: 'raj-mehta',
  organizer: A.raj,
  summary: 'Riverside councillor surgery',
  location: 'Riverside Park Pavilion',
  start: '2027-03-06T10:00:00.000Z',
  end: '2027-03-06T12:00:00.000Z',
  occurrences: [
    { start: '2027-03-06T10:00:00.000Z', end: '2027-03-06T12:00:00.000Z', recurrenceId: '2027-03-06T10:00:00.000Z' },
    { start: '2027-04-03T09:00:00.000Z', end: '2027-04-03T11:00:00.000Z', recurrenceId: '2027-04-03T09:00:00.000Z' },
    { start: '2027-05-01T09:00:00.000Z', end: '2027-05-01T11:00:00.000Z', recurrenceId: '2027-05-01T09:00:00.000Z' },
  ],
});

ruleTester(rule, {
  valid: [
    {
      name: 'the same surgery the week before the period starts',
      item: event({ ...tomsSurgery, start: '2027-03-24T18:00:00.000Z' }),
    },
    {
      name: 'a committee meeting the Clerk arranges inside the period',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Planning Committee',
        location: 'Council Chamber, Market Square',
        start: '2027-04-13T18:30:00.000Z',
        attendees: [A.tom, A.alice, A.raj],
      }),
    },
    {
      name: "the Mayor's Castle surgery during the Northfield by-election (Castle is not covered)",
      item: event({ ...tomsSurgery, start: '2027-01-09T10:00:00.000Z' }),
    },
    {
      name: 'a party-group meeting inside the period is not a public meeting',
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Labour Group meeting – manifesto for Riverside',
        location: 'Weir Road Labour Club',
        start: '2027-04-08T18:30:00.000Z',
        attendees: [A.raj, 'riverside.branch@example.org'],
      }),
    },
    {
      name: 'an all-day "surgery week" that ends as the period starts',
      item: {
        ...event({ ...tomsSurgery, summary: 'Castle ward surgery week', start: '2027-03-24T00:00:00.000Z', end: '2027-03-30T23:00:00.000Z' }),
        allDay: true,
      },
    },
    {
      name: 'a public meeting the Clerk runs with one member invited: the Council’s meeting, not the member’s',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Public meeting: Market Square improvements',
        location: 'Millbrook Library, Castle Street',
        start: '2027-04-14T18:30:00.000Z',
        attendees: [A.tom],
      }),
    },
    {
      name: 'the Clerk’s briefing for all members about surgeries in the pre-election period',
      item: event({
        calendarId: 'council-chamber',
        organizer: A.clerk,
        summary: 'Ward surgeries in the pre-election period – briefing for members',
        location: 'Council Chamber',
        start: '2027-04-08T18:00:00.000Z',
        attendees: [A.tom, A.alice, A.raj, A.sue, A.ben],
      }),
    },
    {
      name: 'an officer’s “IT surgery” for a member’s laptop is not the member’s surgery',
      item: event({
        calendarId: 'council-chamber',
        organizer: A.priya,
        summary: 'IT surgery',
        description: 'Setting up Cllr Hughes’s new council laptop.',
        location: 'Council Chamber',
        start: '2027-04-20T10:00:00.000Z',
        attendees: [A.ben],
      }),
    },
    {
      name: 'a police surgery the Clerk books with a member invited is not the member’s surgery',
      item: event({
        calendarId: 'community-room',
        organizer: A.clerk,
        summary: 'Police surgery with PCSO Hill',
        location: 'Northfield Community Centre',
        start: '2027-04-10T10:00:00.000Z',
        attendees: [A.ben],
      }),
    },
    {
      name: 'a surgery after polling day',
      item: event({ ...tomsSurgery, start: '2027-05-08T09:00:00.000Z' }),
    },
    {
      name: 'a cancelled surgery inside the period',
      item: event({ ...tomsSurgery, start: '2027-04-10T09:00:00.000Z', status: 'CANCELLED' }),
    },
    {
      name: 'an overridden instance of a series moved out of the period',
      item: overriddenInstance(monthly, '2027-04-03T09:00:00.000Z', '2027-03-27T10:00:00.000Z', '2027-03-27T12:00:00.000Z'),
    },
    {
      name: 'a GP surgery consultation is not a ward surgery',
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'GP surgery car park – site meeting with the practice manager',
        location: 'Hazel Avenue',
        start: '2027-01-12T10:00:00.000Z',
      }),
    },
    {
      name: 'tree surgery on a street is works, not a ward surgery',
      item: event({
        calendarId: 'council-chamber',
        organizer: A.ben,
        summary: 'Site meeting: tree surgery on Hazel Avenue',
        location: 'Hazel Avenue',
        attendees: [A.dan],
        start: '2027-04-14T10:00:00.000Z',
      }),
    },
  ],
  invalid: [
    {
      name: "Cllr Hughes books the community room for a Northfield surgery during the by-election",
      item: event({
        calendarId: 'community-room',
        organizer: A.ben,
        summary: 'Ward surgery – Cllr Ben Hughes',
        location: 'Northfield Community Centre',
        start: '2027-01-09T10:00:00.000Z',
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.ben, actions: ['block', 'notify-clerk'], roomCalendar: 'community-room', evidence: ['Ward surgery', 'Northfield by-election'] }],
    },
    {
      name: 'the Clerk books the community room for Cllr Hughes’s surgery during the by-election: still his surgery',
      item: event({
        calendarId: 'community-room',
        organizer: A.clerk,
        summary: 'Ward surgery – Cllr Ben Hughes',
        location: 'Northfield Community Centre',
        start: '2027-01-09T10:00:00.000Z',
      }),
      hits: [
        {
          messageId: 'meetingInPreElection',
          offender: A.ben,
          actions: ['block', 'notify-clerk'],
          roomCalendar: 'community-room',
          evidence: ['booked by Helen Ashworth (the Clerk) as a surgery for Cllr Ben Hughes', 'its title names Cllr Ben Hughes'],
        },
      ],
    },
    {
      name: 'the Clerk books a Riverside ward surgery for both Riverside members',
      item: event({
        calendarId: 'community-room',
        organizer: A.clerk,
        summary: 'Riverside ward surgery',
        location: 'Riverside Park Pavilion',
        start: '2027-04-10T09:00:00.000Z',
        attendees: [A.raj, A.sue],
      }),
      hits: [
        {
          messageId: 'meetingInPreElection',
          offender: A.raj,
          actions: ['block', 'notify-clerk'],
          roomCalendar: 'community-room',
          evidence: ['Cllr Raj Mehta and Cllr Sue Taylor of its ward are invited'],
        },
      ],
    },
    ...['Surgery – Cllr Ben Hughes', 'Cllr Ben Hughes surgery', 'Drop-in surgery with Cllr Hughes'].map((summary) => ({
      name: `the Clerk books the community room for "${summary}" with Cllr Hughes invited`,
      item: event({
        calendarId: 'community-room',
        organizer: A.clerk,
        summary,
        location: 'Northfield Community Centre',
        start: '2027-04-10T10:00:00.000Z',
        attendees: [A.ben],
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.ben, actions: ['block', 'notify-clerk'] as ActionKind[], roomCalendar: 'community-room', evidence: ['its title names Cllr Ben Hughes'] }],
    })),
    {
      name: 'a staff-booked ward surgery whose description mentions the GP surgery next door',
      item: event({
        calendarId: 'community-room',
        organizer: A.clerk,
        summary: 'Northfield ward surgery',
        description: 'Drop in at Northfield Community Centre (Hazel Avenue, next to the GP surgery).',
        location: 'Northfield Community Centre',
        start: '2027-04-10T10:00:00.000Z',
        attendees: [A.ben],
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.ben, actions: ['block', 'notify-clerk'], roomCalendar: 'community-room', evidence: ['Cllr Ben Hughes is the one member invited'] }],
    },
    {
      name: 'Cllr Green invites the council chamber to her public meeting in April',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Public meeting: the future of Market Square',
        location: 'Council Chamber, Market Square',
        start: '2027-04-15T18:30:00.000Z',
        attendees: [`room:${A.chamber}`, 'castle.traders@example.org'],
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.alice, actions: ['block', 'notify-clerk'], roomCalendar: 'council-chamber', evidence: ['Public meeting', 'council-chamber'] }],
    },
    {
      name: 'a public meeting in a church hall is warned, not blocked',
      item: event({
        calendarId: 'sue-taylor',
        organizer: A.sue,
        summary: "Residents' meeting: Weir Road flooding",
        location: 'St Peter’s Church Hall, Weir Road',
        start: '2027-04-20T18:00:00.000Z',
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.sue, actions: ['warn', 'notify-clerk'], evidence: ["Residents' meeting", 'Weir Road'] }],
    },
    {
      name: 'an all-day "surgery week" that starts before the period and runs into it',
      item: {
        ...event({
          ...tomsSurgery,
          summary: 'Castle ward surgery week',
          start: '2027-03-28T23:00:00.000Z',
          end: '2027-04-02T23:00:00.000Z',
        }),
        allDay: true,
      },
      hits: [{ messageId: 'meetingInPreElection', offender: A.tom, actions: ['warn', 'notify-clerk'], evidence: ['ward surgery', 'Wednesday 31 March 2027'] }],
    },
    {
      name: 'a monthly surgery series with an occurrence inside the period',
      item: monthly,
      hits: [{ messageId: 'meetingInPreElection', offender: A.raj, actions: ['warn', 'notify-clerk'], evidence: ['councillor surgery', 'Saturday 3 April 2027'] }],
    },
    {
      name: 'an overridden instance moved into the period',
      item: overriddenInstance(monthly, '2027-03-06T10:00:00.000Z', '2027-04-01T17:00:00.000Z', '2027-04-01T19:00:00.000Z'),
      hits: [{ messageId: 'meetingInPreElection', offender: A.raj, evidence: ['Thursday 1 April 2027'] }],
    },
    {
      name: "the Mayor's public meeting in Northfield during the by-election (the event's ward counts)",
      item: event({
        calendarId: 'tom-brown',
        organizer: A.tom,
        summary: 'Public meeting on the Hazel Avenue bus service',
        location: 'Northfield Community Centre',
        start: '2026-12-15T19:00:00.000Z',
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.tom, evidence: ['Public meeting', 'Northfield Community Centre'] }],
    },
    {
      name: "a surgery with no place falls back to the member's own ward",
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'Councillor surgery',
        location: 'Online (Teams)',
        start: '2027-01-16T10:00:00.000Z',
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.ben, evidence: ['own ward counts: Northfield'] }],
    },
    {
      name: 'a "Saturday surgery" is a ward surgery (the words before "surgery" are whole words)',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Saturday surgery',
        location: 'Millbrook Library',
        start: '2027-04-03T10:00:00.000Z',
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.alice, evidence: ['surgery'] }],
    },
    {
      name: '"Meet your councillor" is a ward surgery by another name',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Meet your councillor – Castle ward',
        location: 'Millbrook Library',
        start: '2027-04-03T10:00:00.000Z',
      }),
      hits: [{ messageId: 'meetingInPreElection', offender: A.alice, evidence: ['Meet your councillor'] }],
    },
    {
      name: 'a phrase the council added ("councillor clinic")',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Councillor clinic',
        location: 'Millbrook Library',
        start: '2027-04-03T10:00:00.000Z',
      }),
      options: { extraSurgeryPhrases: ['councillor clinic'] },
      hits: [{ messageId: 'meetingInPreElection', offender: A.alice, evidence: ['Councillor clinic'] }],
    },
  ],
});

describe('no-ward-meetings-before-elections summaries', () => {
  test('names the poll date and the first offending date', () => {
    const ev = runRule(rule, monthly);
    expect(ev.hits[0]?.data).toMatchObject({ poll: 'Thursday 6 May 2027', date: 'Saturday 3 April 2027 at 10:00', kind: 'a ward surgery' });
  });

  test('a blocked booking names the room address to decline from', () => {
    const ev = runRule(
      rule,
      event({ calendarId: 'community-room', organizer: A.ben, summary: 'Ward surgery', location: 'Hazel Avenue', start: '2027-01-09T10:00:00.000Z' }),
    );
    expect(ev.hits[0]?.targets.room).toEqual({ calendarId: 'community-room', address: A.communityRoom });
  });

  test('past occurrences of a series are not counted', () => {
    const ev = runRule(rule, monthly, { now: '2027-05-02T09:00:00.000Z' });
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('is over');
  });
});

describe('no-ward-meetings-before-elections: a meeting that began before the period', () => {
  test('is named by its first day inside the period, without the time of day', () => {
    const ev = runRule(rule, event({ ...tomsSurgery, summary: 'Castle ward surgery marathon', start: '2027-03-30T18:00:00.000Z', end: '2027-03-31T02:00:00.000Z' }));
    expect(ev.hits).toHaveLength(1);
    expect(ev.hits[0]?.data.date).toBe('Wednesday 31 March 2027');
  });
});
