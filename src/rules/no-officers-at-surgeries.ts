/**
 * Staff should not be asked to accompany members to ward surgeries (004 9.4c). The member is
 * reminded, and each officer invited is told, politely, that their attendance is not expected.
 * An officer may attend a member's public meeting (9.4a): only surgeries are covered.
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import type { RuleContext } from './types.js';
import { defineEventRule } from './types.js';
import { fact } from '../signals/match.js';
import { nameOccurrence } from './occurrence.js';
import { andList, classifyEvent, kindLabel, partiesOf, whyInactive } from '../signals/event-kind.js';

const options = z.object({
  /** More words that mark a ward surgery (e.g. "councillor clinic"). */
  extraSurgeryPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

function describeStaff(p: Person): string {
  return `${p.name} (${p.role === 'clerk' ? 'the Clerk' : 'an officer'})`;
}

export default defineEventRule({
  meta: {
    id: 'no-officers-at-surgeries',
    kind: 'event',
    description: "Reminds a member that officers should not be asked to accompany them to ward surgeries, and tells the officers invited that they are not expected.",
    clauses: { '004': ['9.4c'] },
    defaults: { severity: 'warning', actions: ['warn', 'notify'] },
    options,
    messages: {
      officerInvitedToSurgery: '{organiser} has invited {officers} to the ward surgery "{title}" on {date}, but staff should not be asked to accompany members to ward surgeries.',
    },
    templates: { notify: 'own' },
    guidance: {
      title: 'Officers at ward surgeries',
      advice: "Hold ward surgeries without Council staff; if a constituent’s question needs an officer, pass it to the Town Clerk afterwards.",
    },
    sample: {
      recipient: 'ben',
      severity: 'warning',
      clauses: ['9.4c'],
      item: { kind: 'event', subject: 'Northfield ward surgery', date: 'Saturday 17 April 2027 at 10:00', location: 'Northfield Community Centre', calendar: 'Cllr Ben Hughes', organiser: 'ben' },
      summary: 'Cllr Ben Hughes has invited Dan Okafor to the ward surgery "Northfield ward surgery".',
      why: ['the words “ward surgery” (in the title)', 'Dan Okafor is an officer'],
    },
  },
  evaluate(input, ctx: RuleContext<Options>) {
    const { item, facts } = input;
    const { directory } = ctx;

    const inactive = whyInactive(item, ctx.now, ctx.council.timezone);
    if (inactive) return { hits: [], reason: `${inactive}; no officer needs telling now` };

    const organiser = facts.organizer;
    if (!organiser || organiser.role !== 'member') {
      const who = organiser ? describeStaff(organiser) : item.organizer?.address ?? 'an unknown organiser';
      return { hits: [], reason: `"${item.summary}" is arranged by ${who}, not by a member; 9.4c concerns members' ward surgeries` };
    }

    const kinds = classifyEvent(item, partiesOf(directory), { 'ward-surgery': ctx.options.extraSurgeryPhrases });
    if (!kinds.kinds.includes('ward-surgery')) {
      const reason =
        kinds.kinds.length > 0
          ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a ward surgery${kinds.kinds.includes('public-meeting') ? ' (an officer may attend a public meeting, 9.4a)' : ''}`
          : `nothing in the categories, title or description of "${item.summary}" marks it as a ward surgery`;
      return { hits: [], reason };
    }

    // facts.attendees already leaves out rooms and resources: a booked room is not an officer.
    const staff = [
      ...new Map(
        facts.attendees
          .map((a) => directory.person(a))
          .filter((p): p is Person => p !== undefined && (p.role === 'officer' || p.role === 'clerk'))
          .map((p) => [p.id, p]),
      ).values(),
    ];
    if (staff.length === 0) {
      return { hits: [], reason: `no officer or Clerk is invited to ${organiser.name}'s ward surgery "${item.summary}"` };
    }

    const { date, targets: occurrence } = nameOccurrence(item, ctx.now, ctx.council.timezone);
    const officers = andList(staff.map((p) => p.name));
    return {
      reason: `${organiser.name} has invited ${andList(staff.map(describeStaff))} to the ward surgery "${item.summary}"`,
      hits: [
        {
          messageId: 'officerInvitedToSurgery',
          data: { organiser: organiser.name, officers, title: item.summary, date },
          people: [organiser.id, ...staff.map((p) => p.id)],
          evidence: [
            ...(kinds.byKind['ward-surgery'] ?? []),
            fact(`arranged by ${organiser.name} (a member)`),
            ...staff.map((p) => fact(`${describeStaff(p)} is among the attendees`)),
          ],
          targets: { offender: organiser.id, notify: staff.map((p) => p.id), ...occurrence },
        },
      ],
    };
  },
});
