import { describe, expect, test } from 'vitest';
import rule from '../../src/rules/party-group-attendance-authorised.js';
import type { EventItem, PartStat } from '../../src/items/types.js';
import { A, event, runRule } from '../support/council.js';
import { ruleTester } from '../support/rule-tester.js';

function withPartStat(item: EventItem, address: string, partstat: PartStat): EventItem {
  return { ...item, attendees: item.attendees.map((a) => (a.address === address ? { ...a, partstat } : a)) };
}

const labourGroup = {
  calendarId: 'raj-mehta',
  organizer: A.raj,
  summary: 'Labour Group meeting – budget 2027/28',
  location: 'Committee Room 2, Town Hall',
  description: 'Pre-budget discussion. Sam has kindly agreed to take us through the draft precept figures.',
  start: '2026-12-08T18:00:00.000Z',
};

ruleTester(rule, {
  valid: [
    {
      name: 'a party-group meeting of members only',
      item: event({ ...labourGroup, attendees: [A.raj] }),
    },
    {
      name: "an officer whose attendance carries the Clerk's authorisation category",
      item: event({ ...labourGroup, categories: ['Clerk authorised'], attendees: [A.raj, A.sam] }),
    },
    {
      name: 'an officer briefing for a group that the Clerk arranged',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Independent Group briefing: Market Square lease',
        location: "Clerk's office",
        attendees: [A.tom, A.priya],
      }),
    },
    {
      name: 'the Clerk has accepted the invitation alongside the officer',
      item: withPartStat(
        event({
          calendarId: 'sue-taylor',
          organizer: A.sue,
          summary: 'Conservative Group meeting',
          location: 'Town Hall, Committee Room 1',
          attendees: [A.clerk, A.dan],
        }),
        A.clerk,
        'ACCEPTED',
      ),
    },
    {
      name: 'a council committee meeting with officers',
      item: event({
        calendarId: 'council-events',
        organizer: A.clerk,
        summary: 'Finance and General Purposes Committee',
        location: 'Council Chamber',
        attendees: [A.raj, A.sue, A.tom, A.sam],
      }),
    },
    {
      name: "a member's public meeting with an officer",
      item: event({
        calendarId: 'tom-brown',
        organizer: A.tom,
        summary: 'Public meeting: Market Square car park charges',
        location: 'Millbrook Library',
        attendees: [A.sam, 'castle.traders@example.org'],
      }),
    },
    {
      name: 'the Clerk invited to a members-only group meeting',
      item: event({ ...labourGroup, attendees: [A.raj, A.clerk] }),
    },
    {
      name: 'a working group whose name holds a party\'s other name, where no member is of that party',
      item: event({
        calendarId: 'council-events',
        organizer: A.tom,
        summary: 'Licensing Reform Group meeting',
        location: 'Committee Room 2, Town Hall',
        attendees: [A.tom, A.sam],
      }),
    },
    {
      name: 'a cancelled group meeting',
      item: event({ ...labourGroup, status: 'CANCELLED', attendees: [A.sam, 'labour.agent@example.org'] }),
    },
  ],
  invalid: [
    {
      name: 'an officer invited to the "Lib Dem Group" of members the directory lists as Liberal Democrat',
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'Lib Dem Group meeting – Northfield play area',
        location: 'Northfield Community Centre',
        attendees: [A.ben, A.dan],
      }),
      hits: [{ messageId: 'authorisationNeeded', notify: [A.dan], evidence: ['Lib Dem Group meeting'] }],
    },
    {
      name: 'an officer invited to the "Tory group" of members the directory lists as Conservative',
      item: event({
        calendarId: 'sue-taylor',
        organizer: A.sue,
        summary: 'Tory group: pre-council briefing',
        location: 'Town Hall, Committee Room 1',
        attendees: [A.sue, A.priya],
      }),
      hits: [{ messageId: 'authorisationNeeded', notify: [A.priya], evidence: ['Tory group'] }],
    },
    {
      name: 'an officer invited to the Labour Group without authorisation',
      item: event({ ...labourGroup, attendees: [A.raj, A.sam] }),
      hits: [{ messageId: 'authorisationNeeded', notify: [A.sam], evidence: ['Labour Group meeting', 'Sam Patel (an officer)', 'Clerk authorised'] }],
    },
    {
      name: 'an officer invited to a group meeting that party activists attend',
      item: event({ ...labourGroup, attendees: [A.raj, A.priya, 'labour.agent@example.org', 'riverside.branch@example.org'] }),
      hits: [
        { messageId: 'authorisationNeeded', notify: [A.priya] },
        { messageId: 'nonMembersPresent', notify: [A.priya], evidence: ['labour.agent@example.org', 'riverside.branch@example.org'] },
      ],
    },
    {
      name: 'an authorised officer, but non-members are present',
      item: event({ ...labourGroup, categories: ['Authorised by Clerk'], attendees: [A.raj, A.sam, 'labour.agent@example.org'] }),
      hits: [{ messageId: 'nonMembersPresent', notify: [A.sam], evidence: ['labour.agent@example.org'] }],
    },
    {
      name: 'the Clerk invited to a group meeting that non-members attend',
      item: event({
        calendarId: 'alice-green',
        organizer: A.alice,
        summary: 'Green Party group – planning the spring newsletter',
        location: 'The Castle Inn, Market Square',
        attendees: [A.clerk, 'millbrook.greens@example.org'],
      }),
      hits: [{ messageId: 'nonMembersPresent', notify: [A.clerk], evidence: ['Green Party group', 'millbrook.greens@example.org', 'will not attend'] }],
    },
    {
      name: 'a "Group Meeting" category and an officer invited',
      item: event({
        calendarId: 'ben-hughes',
        organizer: A.ben,
        summary: 'Pre-council discussion: Northfield play area',
        categories: ['Group Meeting'],
        location: 'Northfield Community Centre',
        attendees: [A.ben, A.dan],
      }),
      hits: [{ messageId: 'authorisationNeeded', notify: [A.dan], evidence: ['Group Meeting'] }],
    },
    {
      name: 'the Clerk has only tentatively accepted: not yet authorised',
      item: withPartStat(
        event({
          calendarId: 'sue-taylor',
          organizer: A.sue,
          summary: 'Conservative Group meeting',
          location: 'Town Hall, Committee Room 1',
          attendees: [A.clerk, A.dan],
        }),
        A.clerk,
        'TENTATIVE',
      ),
      hits: [{ messageId: 'authorisationNeeded', notify: [A.dan], evidence: ['Conservative Group'] }],
    },
    {
      name: 'a council that records authorisation with its own category',
      item: event({ ...labourGroup, categories: ['Clerk authorised'], attendees: [A.raj, A.sam] }),
      options: { authorisedCategories: ['Attendance approved by the Town Clerk'] },
      hits: [{ messageId: 'authorisationNeeded', notify: [A.sam], evidence: ['Attendance approved by the Town Clerk'] }],
    },
  ],
});

describe('party-group-attendance-authorised summaries', () => {
  test('the non-members hit names the outsiders and leaves the Clerk note out when the Clerk is not involved', () => {
    const ev = runRule(rule, event({ ...labourGroup, categories: ['Clerk authorised'], attendees: [A.sam, 'labour.agent@example.org'] }));
    expect(ev.hits[0]?.data).toMatchObject({ outsiders: 'labour.agent@example.org', clerkNote: '' });
    expect(ev.hits[0]?.severity).toBe('warning');
  });

  test('the Clerk note cites the Clerk not attending', () => {
    const ev = runRule(rule, event({ ...labourGroup, attendees: [A.clerk, 'labour.agent@example.org'] }));
    expect(String(ev.hits[0]?.data['clerkNote'])).toContain('the Clerk will not attend');
  });

  test('the reason says why an authorised officer is fine', () => {
    const ev = runRule(rule, event({ ...labourGroup, categories: ['Clerk authorised'], attendees: [A.sam] }));
    expect(ev.reason).toContain("the officers' attendance is authorised (Clerk authorised)");
  });
});
