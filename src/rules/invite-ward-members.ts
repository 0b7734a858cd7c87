/**
 * When the Council organises a public meeting on a local issue, every member for the wards
 * affected is invited as a matter of course (001 10.5; 002 11.1; 004 9.3).
 */
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import type { EventFacts, RuleContext } from './types.js';
import { defineEventRule } from './types.js';
import { fact } from '../signals/match.js';
import { nameOccurrence } from './occurrence.js';
import {
  andList,
  classifyEvent,
 
  kindLabel,
  partiesOf,
  wardEvidence,
  wardNames,
  whyInactive,
} from '../signals/event-kind.js';

const options = z.object({
  /** More words that mark a public meeting in a council's calendar (e.g. "town forum"). */
  extraPublicMeetingPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

/** Why the event counts as organised by the Council, or undefined when it does not. */
function councilOrganised(facts: EventFacts): string | undefined {
  if (facts.calendar?.role === 'council') return `it is on the council calendar "${facts.calendar.name ?? facts.calendar.id}"`;
  const organiser = facts.organizer;
  if (organiser && (organiser.role === 'clerk' || organiser.role === 'officer')) {
    return `${organiser.name} (${organiser.role === 'clerk' ? 'the Clerk' : 'an officer'}) organised it`;
  }
  return undefined;
}

function isAttending(person: Person, attendees: ReadonlySet<string>, organiser: Person | undefined): boolean {
  return person === organiser || person.emails.some((e) => attendees.has(e));
}

export default defineEventRule({
  meta: {
    id: 'invite-ward-members',
    kind: 'event',
    description: 'Invites every member for the wards affected to a public meeting the Council organises on a local issue.',
    clauses: { '001': ['10.5'], '002': ['11.1'], '004': ['9.3'] },
    defaults: { severity: 'warning', actions: ['invite', 'notify', 'digest'] },
    options,
    messages: {
      missingWardMembers: 'The Council\'s public meeting "{title}" on {date} concerns {wards}, but not all of its members are invited: {missing} should be.',
    },
    templates: { notify: 'own' },
    guidance: {
      title: 'Inviting ward members to public meetings',
      advice: 'Invite all the members for the wards affected to a Council public meeting as a matter of course.',
    },
    sample: {
      recipient: 'priya',
      severity: 'warning',
      clauses: ['9.3'],
      item: { kind: 'event', subject: 'Riverside Park play area: public meeting', date: 'Thursday 22 April 2027 at 19:00', location: 'Riverside Park Pavilion', calendar: 'Council events', organiser: 'priya' },
      summary:
        'The Council\'s public meeting "Riverside Park play area: public meeting" on Thursday 22 April 2027 at 19:00 concerns Riverside, but not all of its members are invited: Cllr Sue Taylor should be.',
      why: ['the location names Riverside Park, in Riverside ward', 'Cllr Sue Taylor is a member for Riverside and is not invited'],
    },
  },
  evaluate(input, ctx: RuleContext<Options>) {
    const { item, facts } = input;
    const { directory } = ctx;

    const inactive = whyInactive(item, ctx.now, ctx.council.timezone);
    if (inactive) return { hits: [], reason: `${inactive}; nobody needs inviting now` };

    const organisedBy = councilOrganised(facts);
    if (!organisedBy) {
      const who = facts.organizer ? `${facts.organizer.name} (a member)` : item.organizer?.address ?? 'an unknown organiser';
      return { hits: [], reason: `"${item.summary}" is organised by ${who}, not by the Council; this rule covers public meetings the Council organises` };
    }

    const kinds = classifyEvent(item, partiesOf(directory), { 'public-meeting': ctx.options.extraPublicMeetingPhrases });
    if (!kinds.kinds.includes('public-meeting')) {
      const reason =
        kinds.kinds.length > 0
          ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a public meeting`
          : `nothing in the categories, title or description of "${item.summary}" marks it as a public meeting`;
      return { hits: [], reason };
    }

    const wards = facts.wards;
    if (wards.status === 'unknown' || wards.status === 'ambiguous') {
      const detail =
        wards.status === 'ambiguous'
          ? `it mentions places in more than one ward (${wardNames(directory, [...new Set(wards.evidence.map((e) => e.ward))])})`
          : 'no ward category, place or postcode was found in it';
      const question = `Wardwatch could not tell which ward the Council's public meeting "${item.summary}" concerns: ${detail}. Please check whether the ward members should be invited.`;
      return { hits: [], reason: question, needsHuman: question };
    }

    const attendees = new Set(facts.attendees);
    const members = [...new Map(wards.wards.flatMap((w) => directory.membersOfWard(w)).map((p) => [p.id, p])).values()];
    const missing = members.filter((m) => !isAttending(m, attendees, facts.organizer));
    if (missing.length === 0) {
      const names = members.length > 0 ? andList(members.map((m) => m.name)) : 'no members';
      return { hits: [], reason: `every member for ${wardNames(directory, wards.wards)} (${names}) is already invited to "${item.summary}"` };
    }

    const organiserId = facts.organizer?.id ?? (item.organizer && directory.isInternal(item.organizer.address) ? item.organizer.address : undefined);
    const missingNames = andList(missing.map((m) => m.name));
    const named = nameOccurrence(item, ctx.now, ctx.council.timezone);
    // An invitation carries the event's ORGANIZER: every reply would go to an outsider, under the
    // Council's name. The Clerk decides instead.
    const outsider = item.organizer && directory.isExternal(item.organizer.address) ? item.organizer.address : undefined;
    if (outsider) {
      const question = `The public meeting "${item.summary}" on ${named.date} is on a council calendar but organised by ${outsider}, who is outside the Council, and ${missingNames} ${missing.length > 1 ? 'are' : 'is'} not invited. Wardwatch sends no invitation on the Council's behalf whose replies would go to someone outside it: please check the event and invite the members for ${wardNames(directory, wards.wards)} yourself if it is the Council's meeting.`;
      return { hits: [], reason: question, needsHuman: question };
    }

    return {
      reason: `the Council's public meeting "${item.summary}" concerns ${wardNames(directory, wards.wards)} and ${missingNames} ${missing.length > 1 ? 'are' : 'is'} not invited`,
      hits: [
        {
          messageId: 'missingWardMembers',
          data: {
            title: item.summary,
            date: named.date,
            wards: wardNames(directory, wards.wards),
            missing: missingNames,
            organiser: facts.organizer?.name ?? item.organizer?.address ?? 'the organiser',
          },
          people: [...(organiserId ? [organiserId] : []), ...missing.map((m) => m.id)],
          evidence: [
            ...(kinds.byKind['public-meeting'] ?? []),
            fact(`organised by the Council: ${organisedBy}`),
            ...wardEvidence(directory, wards),
            ...missing.map((m) => fact(`${m.name} (${wardNames(directory, m.wards.filter((w) => wards.wards.includes(w)))}) is not among the attendees`)),
          ],
          targets: {
            invite: missing.map((m) => m.id),
            ...(organiserId ? { notify: [organiserId] } : {}),
            ...named.targets,
          },
        },
      ],
    };
  },
});
