import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/notify-ward-members-of-visits.js';
import { A, event, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

const playAreaVisit = {
  calendarId: 'tom-brown',
  organizer: A.tom,
  summary: 'Visit to the Riverside Park play area',
  location: 'Riverside Park, Mill Lane',
  description: 'The Mayor would like to see the new play equipment before the official opening and meet the park keeper.',
  start: '2026-12-04T10:30:00.000Z',
  end: '2026-12-04T11:30:00.000Z',
};

ruleTester(rule, {
  valid: [
    {
      name: "a visit in the member's own ward",
      item: event({
        calendarId: 'tom-brown',
        organizer: A.tom,
        summary: 'Visit to Millbrook Library',
        location: 'Millbrook Library, Castle Street',
        attendees: ['library.manager@example.org'],
      }),
    },
    {
      name: 'both Riverside members are already invited',
      item: event({ ...playAreaVisit, attendees: [A.raj, A.sue] }),
    },
    {
      name: 'a visit that has already happened',
      item: event({ ...playAreaVisit, attendees: [] }),
      now: '2026-12-04T15:00:00.000Z',
    },
    {
      name: 'a cancelled visit',
      item: event({ ...playAreaVisit, status: 'CANCELLED' }),
    },
    {
      name: 'an unknown place is left to a person',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Visit to the council depot',
        location: 'Council depot',
        attendees: [A.dan],
      }),
      needsHuman: true,
    },
    {
      name: 'an officer site visit with no member',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Site visit: Weir Road footbridge',
        location: 'Weir Road',
        attendees: [A.contractor],
      }),
    },
    {
      name: 'a public meeting in another ward is not a visit',
      item: event({
        calendarId: 'tom-brown',
        organizer: A.tom,
        summary: 'Public meeting at Riverside Park Pavilion',
        location: 'Riverside Park Pavilion',
      }),
    },
    {
      name: "a Planning Committee site visit the Clerk arranges is the committee's, not individual members' (13.3)",
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Planning Committee site visit – 14 Weir Road',
        location: '14 Weir Road',
        attendees: [A.tom, A.alice, A.ben],
      }),
    },
    {
      name: 'a member who declined a council site visit is not visiting',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Site visit: Mill Lane depot roof',
        location: 'Mill Lane depot',
        attendees: [`declined:${A.ben}`, A.contractor],
      }),
    },
  ],
  invalid: [
    {
      name: "the Mayor visits the Riverside Park play area",
      item: event({ ...playAreaVisit, attendees: ['park.keeper@example.org'] }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.raj, A.sue], evidence: ['Visit to', 'Cllr Tom Brown represents Castle ward', 'Riverside Park'] }],
    },
    {
      name: 'Cllr Green visits the Northfield Community Centre with an officer',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Tour of Northfield Community Centre',
        location: 'Northfield Community Centre, Hazel Avenue',
        attendees: [A.priya],
      }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.ben], evidence: ['Tour of', 'Northfield Community Centre'] }],
    },
    {
      name: 'an officer site visit on the council calendar that a Northfield member attends',
      item: event({
        calendarId: 'council-events',
        organizer: A.dan,
        summary: 'Site visit: Mill Lane depot roof',
        location: 'Mill Lane depot',
        attendees: [A.ben, A.raj, A.contractor],
      }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.sue], evidence: ['Site visit', 'Cllr Ben Hughes represents Northfield ward'] }],
    },
    {
      name: "a member's site meeting in another ward is a visit",
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'Site meeting – Weir Road footbridge',
        location: 'Weir Road',
      }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.raj, A.sue], evidence: ['Site meeting'] }],
    },
    {
      name: 'a visit marked by category and ward',
      item: event({
        calendarId: 'raj-mehta',
        organizer: A.raj,
        summary: 'Meeting the librarian about the reading room',
        categories: ['Visit', 'Castle'],
        location: 'Town centre',
        attendees: [],
      }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.tom, A.alice], evidence: ['Visit', 'Castle ward'] }],
    },
    {
      name: 'a visit booked on a room calendar with a member attending',
      item: event({
        calendarId: 'council-chamber',
        organizer: A.clerk,
        summary: 'Walkabout: Market Square market stalls',
        location: 'Market Square',
        attendees: [A.sue],
      }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.tom, A.alice], evidence: ['Walkabout', 'room calendar'] }],
    },
    {
      name: 'a phrase the council added ("inspection of")',
      item: event({
        calendarId: 'sue-taylor',
        organizer: A.sue,
        summary: 'Inspection of the Hazel Avenue allotments',
        location: 'Hazel Avenue allotments',
        attendees: [],
      }),
      options: { extraVisitPhrases: ['inspection of'] },
      hits: [{ messageId: 'visitInOtherWard', notify: [A.ben], evidence: ['Inspection of', 'Hazel Avenue'] }],
    },
    {
      name: 'the next occurrence of a monthly visit is still ahead',
      item: event({
        ...playAreaVisit,
        summary: 'Site visit: Riverside Park',
        start: '2026-11-06T10:30:00.000Z',
        occurrences: [
          { start: '2026-11-06T10:30:00.000Z', end: '2026-11-06T11:30:00.000Z', recurrenceId: '2026-11-06T10:30:00.000Z' },
          { start: '2026-12-04T10:30:00.000Z', end: '2026-12-04T11:30:00.000Z', recurrenceId: '2026-12-04T10:30:00.000Z' },
        ],
      }),
      hits: [{ messageId: 'visitInOtherWard', notify: [A.raj, A.sue], evidence: ['Site visit'] }],
    },
  ],
});

describe('notify-ward-members-of-visits summaries', () => {
  test('the data names the visitor, the ward and the next date', () => {
    const ev = runRule(rule, event({ ...playAreaVisit, attendees: [A.raj] }));
    expect(ev.hits[0]?.data).toMatchObject({ visitors: 'Cllr Tom Brown', wards: 'Riverside ward', notify: 'Cllr Sue Taylor', date: 'Friday 4 December 2026 at 10:30' });
    expect(ev.hits[0]?.people).toEqual([A.tom, A.sue]);
  });

  test('a visit already under way is too late to announce beforehand', () => {
    const ev = runRule(rule, event({ ...playAreaVisit, attendees: [] }), { now: '2026-12-04T10:45:00.000Z' });
    expect(ev.hits).toEqual([]);
    expect(ev.reason).toContain('has already started');
  });

  test('an unknown ward asks a person in a full sentence', () => {
    const ev = runRule(rule, event({ calendarId: 'alice-green', organizer: A.alice, summary: 'Visit to the depot', location: 'Depot' }));
    expect(ev.needsHuman).toMatch(/could not tell which ward/);
  });
});
