/**
 * A member who arranges a public meeting on the Council's business should inform the Clerk
 * (004 9.4). A meeting arranged on a party political basis is the party's business, not the
 * Council's, and is left alone.
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import type { RuleContext } from './types.js';
import { defineEventRule } from './types.js';
import { fact } from '../signals/match.js';
import { nameOccurrence } from './occurrence.js';
import { andList, classifyEvent, kindLabel, partiesOf, whyInactive } from '../signals/event-kind.js';

const options = z.object({
  /** More words that mark a public meeting (e.g. "town forum"). */
  extraPublicMeetingPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

function invitedClerk(clerks: readonly Person[], attendees: ReadonlySet<string>): { clerk: Person; address: string } | undefined {
  for (const clerk of clerks) {
    const address = clerk.emails.find((e) => attendees.has(e));
    if (address) return { clerk, address };
  }
  return undefined;
}

export default defineEventRule({
  meta: {
    id: 'clerk-informed-of-member-meetings',
    kind: 'event',
    description: 'Tells the Clerk when a member arranges a public meeting on Council business without informing the Clerk.',
    clauses: { '004': ['9.4'] },
    defaults: { severity: 'info', actions: ['notify-clerk'] },
    options,
    messages: {
      clerkNotInformed: '{organiser} has arranged a public meeting, "{title}", on {date} without informing the Clerk.',
    },
    guidance: {
      title: "Telling the Town Clerk about members’ public meetings",
      advice: 'Let the Town Clerk know when you arrange a public meeting on Council business; inviting the Clerk to the event is enough.',
    },
    sample: {
      recipient: 'raj',
      severity: 'info',
      clauses: ['9.4'],
      item: { kind: 'event', subject: 'Weir Road residents’ meeting', date: 'Wednesday 28 April 2027 at 19:30', location: 'Riverside Park Pavilion', calendar: 'Cllr Raj Mehta', organiser: 'raj' },
      summary: 'Cllr Raj Mehta has arranged a public meeting, "Weir Road residents’ meeting", on Council business without informing the Town Clerk.',
      why: ['the words “residents\' meeting” (in the title)', 'the Town Clerk is not among the attendees'],
    },
  },
  evaluate(input, ctx: RuleContext<Options>) {
    const { item, facts } = input;
    const { directory } = ctx;

    const inactive = whyInactive(item, ctx.now, ctx.council.timezone);
    if (inactive) return { hits: [], reason: `${inactive}; the Clerk need not be told now` };

    const organiser = facts.organizer;
    if (!organiser || organiser.role !== 'member') {
      const who = organiser ? `${organiser.name} (${organiser.role === 'clerk' ? 'the Clerk' : 'an officer'})` : item.organizer?.address ?? 'an unknown organiser';
      return { hits: [], reason: `"${item.summary}" is arranged by ${who}, not by a member; 9.4 concerns meetings members arrange` };
    }

    const kinds = classifyEvent(item, partiesOf(directory), { 'public-meeting': ctx.options.extraPublicMeetingPhrases });
    if (kinds.kinds.includes('party-group')) {
      const words = (kinds.byKind['party-group'] ?? []).map((e) => `"${e.text}"`).join(', ');
      return { hits: [], reason: `"${item.summary}" is arranged on a party political basis (${words}); 9.4 covers meetings on the Council's business` };
    }
    if (!kinds.kinds.includes('public-meeting')) {
      const reason =
        kinds.kinds.length > 0
          ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a public meeting`
          : `nothing in the categories, title or description of "${item.summary}" marks it as a public meeting`;
      return { hits: [], reason };
    }

    const clerks = directory.clerks();
    if (clerks.length === 0) {
      return { hits: [], reason: 'no one has the role "clerk" in the configuration, so there is no Clerk to check for or to inform' };
    }
    const found = invitedClerk(clerks, new Set(facts.attendees));
    if (found) {
      return { hits: [], reason: `${found.clerk.name} (the Clerk) is invited to "${item.summary}" as ${found.address}, so the Clerk is informed` };
    }

    const { date, targets: occurrence } = nameOccurrence(item, ctx.now, ctx.council.timezone);
    return {
      reason: `${organiser.name} has arranged the public meeting "${item.summary}" on ${date} and no Clerk's address is among the attendees`,
      hits: [
        {
          messageId: 'clerkNotInformed',
          data: { organiser: organiser.name, title: item.summary, date },
          people: [organiser.id],
          evidence: [
            ...(kinds.byKind['public-meeting'] ?? []),
            fact(`arranged by ${organiser.name} (a member)`),
            fact(`none of the Clerk's addresses (${clerks.flatMap((c) => c.emails).join(', ')}) is among the attendees`),
          ],
          targets: { offender: organiser.id, notify: clerks.map((c) => c.id), ...occurrence },
        },
      ],
    };
  },
});
