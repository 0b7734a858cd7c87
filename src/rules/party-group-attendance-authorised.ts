/**
 * Officers' attendance at party-group meetings is voluntary and must be authorised by the Clerk
 * (000 5.3; 002 6.3). Where some of those present are not members of the Council, care is needed
 * with confidential information (000 5.5; 002 6.5; 004 8.14), and the Clerk will not attend such a
 * meeting (004 8.2).
 */
import { commaList } from '../signals/wording.js';
import { z } from 'zod';
import type { Person } from '../directory/directory.js';
import type { EventItem } from '../items/types.js';
import type { EventFacts, Evidence, Hit, RuleContext } from './types.js';
import { defineEventRule } from './types.js';
import { fact } from '../signals/match.js';
import { nameOccurrence } from './occurrence.js';
import { andList, classifyEvent, kindLabel, partiesOf, whyInactive } from '../signals/event-kind.js';

const options = z.object({
  /** Categories that record the Clerk's authorisation of officers' attendance. */
  authorisedCategories: z.array(z.string()).default(['Clerk authorised', 'Authorised by Clerk']),
  /** More words that mark a party-group meeting (e.g. "caucus"). */
  extraPartyGroupPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

function describeStaff(p: Person): string {
  return `${p.name} (${p.role === 'clerk' ? 'the Clerk' : 'an officer'})`;
}

/** How the Clerk's authorisation shows, if it does. */
function authorisation(item: EventItem, facts: EventFacts, clerks: readonly Person[], categories: readonly string[]): Evidence | undefined {
  const wanted = new Set(categories.map((c) => c.trim().toLowerCase()));
  const category = item.categories.find((c) => wanted.has(c.trim().toLowerCase()));
  if (category) return { kind: 'phrase', text: category.trim(), field: 'categories' };
  if (facts.organizer?.role === 'clerk') return fact(`${facts.organizer.name} (the Clerk) arranged it`);
  const accepted = item.attendees.find((a) => a.partstat === 'ACCEPTED' && clerks.some((c) => c.emails.includes(a.address)));
  if (accepted) return fact(`the Clerk (${accepted.address}) has accepted the invitation`);
  return undefined;
}

function authorisationCategoryNote(categories: readonly string[]): string {
  return categories.length > 0 ? `no ${categories.map((c) => `"${c}"`).join(' or ')} category` : 'no authorisation category is configured';
}

export default defineEventRule({
  meta: {
    id: 'party-group-attendance-authorised',
    kind: 'event',
    description: "Asks the Clerk to authorise officers' attendance at party-group meetings and warns when people who are not members are present.",
    clauses: { '000': ['5.3', '5.5'], '002': ['6.3', '6.5'], '004': ['8.2', '8.14'] },
    defaults: { severity: 'warning', actions: ['notify-clerk', 'notify', 'digest'] },
    options,
    messages: {
      authorisationNeeded:
        "The party-group meeting \"{title}\" on {date} invites {officers}, and an officer's attendance at a party-group meeting is voluntary and needs the Clerk's authorisation.",
      nonMembersPresent:
        'The party-group meeting "{title}" on {date} includes people who are not members of the Council ({outsiders}), so no confidential Council information should be shared there{clerkNote}.',
    },
    templates: { notify: 'own', 'notify-clerk': 'authorisation-request' },
    awaitsAuthorisation: 'authorisationNeeded',
    guidance: {
      title: 'Officers at party-group meetings',
      advice: "Ask the Town Clerk to authorise an officer’s attendance at a party-group meeting before the officer attends.",
    },
    sample: {
      recipient: 'raj',
      severity: 'warning',
      clauses: ['8.2', '8.14'],
      item: { kind: 'event', subject: 'Labour group: budget briefing', date: 'Monday 19 April 2027 at 18:30', location: 'Committee Room 2', calendar: 'Cllr Raj Mehta', organiser: 'raj' },
      summary:
        'The party-group meeting "Labour group: budget briefing" on Monday 19 April 2027 at 18:30 invites Sam Patel, and an officer\'s attendance at a party-group meeting is voluntary and needs the Clerk\'s authorisation.',
      why: ['the words “Labour group” (in the title)', 'Sam Patel is an officer', 'the event has no “Clerk authorised” category'],
    },
  },
  evaluate(input, ctx: RuleContext<Options>) {
    const { item, facts } = input;
    const { directory } = ctx;

    const inactive = whyInactive(item, ctx.now, ctx.council.timezone);
    if (inactive) return { hits: [], reason: `${inactive}; no authorisation is needed now` };

    const kinds = classifyEvent(item, partiesOf(directory), { 'party-group': ctx.options.extraPartyGroupPhrases });
    if (!kinds.kinds.includes('party-group')) {
      const reason =
        kinds.kinds.length > 0
          ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a party-group meeting`
          : `nothing in the categories, title or description of "${item.summary}" marks it as a party-group meeting`;
      return { hits: [], reason };
    }

    const staff = [
      ...new Map(
        facts.attendees
          .map((a) => directory.person(a))
          .filter((p): p is Person => p !== undefined && (p.role === 'officer' || p.role === 'clerk'))
          .map((p) => [p.id, p]),
      ).values(),
    ];
    if (staff.length === 0) {
      return { hits: [], reason: `no officer or Clerk is invited to the party-group meeting "${item.summary}"; the rule concerns officers' attendance` };
    }

    const { date, targets: occurrence } = nameOccurrence(item, ctx.now, ctx.council.timezone);
    const partyWords = kinds.byKind['party-group'] ?? [];
    const clerks = directory.clerks();
    const officers = staff.filter((p) => p.role === 'officer');
    const clerkInvolved = staff.some((p) => p.role === 'clerk') || facts.organizer?.role === 'clerk';
    const organiserId = facts.organizer?.id;
    const lead = organiserId ? [organiserId] : [];
    const hits: Hit[] = [];
    const notes: string[] = [];

    const authorised = authorisation(item, facts, clerks, ctx.options.authorisedCategories);
    if (officers.length === 0) {
      notes.push('only the Clerk is invited, who needs no authorisation');
    } else if (authorised) {
      notes.push(`the officers' attendance is authorised (${authorised.text})`);
    } else {
      const names = andList(officers.map((p) => p.name));
      notes.push(`${names} ${officers.length > 1 ? 'are' : 'is'} invited without the Clerk's authorisation`);
      hits.push({
        messageId: 'authorisationNeeded',
        data: { title: item.summary, date, officers: names },
        people: [...lead, ...officers.map((p) => p.id).filter((id) => id !== organiserId)],
        evidence: [
          ...partyWords,
          ...officers.map((p) => fact(`${describeStaff(p)} is among the attendees`)),
          fact(`no sign of the Clerk's authorisation: ${authorisationCategoryNote(ctx.options.authorisedCategories)}, not arranged by the Clerk, and no Clerk has accepted`),
        ],
        targets: { notify: officers.map((p) => p.id), ...occurrence },
      });
    }

    const present = [...facts.attendees, ...(item.organizer ? [item.organizer.address] : [])];
    const outsiders = [...new Set(present.filter((a) => directory.isExternal(a)))];
    if (outsiders.length > 0) {
      const list = commaList(outsiders);
      notes.push(`people who are not members of the Council are present (${list})`);
      hits.push({
        messageId: 'nonMembersPresent',
        data: {
          title: item.summary,
          date,
          outsiders: list,
          clerkNote: clerkInvolved ? ', and the Clerk will not attend a party-group meeting where some of those attending are not members of the Council' : '',
        },
        people: [...lead, ...staff.map((p) => p.id).filter((id) => id !== organiserId)],
        evidence: [
          ...partyWords,
          fact(`not members of the Council: ${list}`),
          ...(clerkInvolved ? [fact('the Clerk is invited, and will not attend a party group where some of those attending are not members (004 8.2)')] : []),
        ],
        targets: { notify: staff.map((p) => p.id), ...occurrence },
        severity: 'warning',
      });
    }

    const reason = `"${item.summary}" is a party-group meeting with ${andList(staff.map(describeStaff))} invited: ${notes.join('; ')}`;
    return { hits, reason };
  },
});
