/**
 * A member making a visit outside their own ward should notify that ward's member(s) beforehand
 * (004 13.3d). Wardwatch does the telling: the ward's members who are not already invited.
 */
import { z } from 'zod';
import type { Directory, Person } from '../directory/directory.js';
import type { EventItem } from '../items/types.js';
import type { EventFacts, RuleContext } from './types.js';
import { defineEventRule } from './types.js';
import { fact } from '../signals/match.js';
import {
  andList,
  classifyEvent,
  formatWhen,
 
  kindLabel,
  partiesOf,
  wardEvidence,
  wardNames,
  whyInactive,
} from '../signals/event-kind.js';

const options = z.object({
  /** More words that mark a visit (e.g. "inspection of"). */
  extraVisitPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

/** The next start still ahead of `now`: the event's own, or the first upcoming occurrence of a series. */
function nextStart(item: EventItem, now: string): string | undefined {
  const starts = item.recurrenceId === undefined && item.occurrences.length > 0 ? item.occurrences.map((o) => o.start) : [item.start];
  return starts.filter((s) => Date.parse(s) > Date.parse(now)).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

/** For a recurring series, the occurrence the notice is about (the next one); nothing for a single event. */
function occurrenceTarget(item: EventItem, start: string): { occurrence?: { start: string; recurrenceId: string } } {
  if (item.recurrenceId !== undefined) return {};
  const o = item.occurrences.find((x) => x.start === start);
  return o !== undefined ? { occurrence: { start: o.start, recurrenceId: o.recurrenceId } } : {};
}

/** Who is making the visit: the member who organised it, or members attending a visit on a council or room calendar. */
function visitorsOf(item: EventItem, facts: EventFacts, directory: Directory): { visitors: Person[]; basis: string } {
  if (facts.organizer?.role === 'member') return { visitors: [facts.organizer], basis: `arranged by ${facts.organizer.name} (a member)` };
  const role = facts.calendar?.role;
  if (role === 'council' || role === 'room') {
    const attending = item.attendees
      .filter((a) => a.partstat !== 'DECLINED' && a.cutype !== 'ROOM' && a.cutype !== 'RESOURCE')
      .map((a) => directory.person(a.address))
      .filter((p): p is Person => p?.role === 'member');
    const visitors = [...new Map(attending.map((p) => [p.id, p])).values()];
    return { visitors, basis: `members attending a visit on the ${role} calendar "${facts.calendar?.name ?? item.calendarId}"` };
  }
  return { visitors: [], basis: '' };
}

export default defineEventRule({
  meta: {
    id: 'notify-ward-members-of-visits',
    kind: 'event',
    description: "Tells a ward's members beforehand when a member from another ward visits council premises in their ward.",
    clauses: { '004': ['13.3d'] },
    defaults: { severity: 'info', actions: ['notify'] },
    options,
    messages: {
      visitInOtherWard: '{visitors} will visit "{title}" in {wards} on {date}, outside their own ward, so {notify} should be told beforehand.',
    },
    templates: { notify: 'own' },
    guidance: {
      title: "Visits in another member’s ward",
      advice: 'Let the members for a ward know before you visit Council premises there.',
    },
    sample: {
      recipient: 'raj',
      severity: 'info',
      clauses: ['13.3d'],
      item: { kind: 'event', subject: 'Visit to Millbrook Library', date: 'Friday 16 April 2027 at 11:00', location: 'Millbrook Library', calendar: 'Cllr Raj Mehta', organiser: 'raj' },
      summary:
        'Cllr Raj Mehta will visit "Visit to Millbrook Library" in Castle on Friday 16 April 2027 at 11:00, outside their own ward, so Cllr Tom Brown and Cllr Alice Green should be told beforehand.',
      why: ['Millbrook Library is in Castle ward', 'Cllr Raj Mehta is a member for Riverside'],
    },
  },
  evaluate(input, ctx: RuleContext<Options>) {
    const { item, facts } = input;
    const { directory } = ctx;
    const tz = ctx.council.timezone;

    const inactive = whyInactive(item, ctx.now, tz);
    if (inactive) return { hits: [], reason: `${inactive}; it is too late to tell the ward members beforehand` };
    const upcoming = nextStart(item, ctx.now);
    if (!upcoming) return { hits: [], reason: `"${item.summary}" has already started; it is too late to tell the ward members beforehand` };

    const kinds = classifyEvent(item, partiesOf(directory), { visit: ctx.options.extraVisitPhrases });
    if (!kinds.kinds.includes('visit')) {
      const reason =
        kinds.kinds.length > 0
          ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a visit`
          : `nothing in the categories, title or description of "${item.summary}" marks it as a visit`;
      return { hits: [], reason };
    }

    // 13.3 concerns visits members make as individual members: a committee's or the council's own
    // visit, arranged by its staff, is the body's business, not an individual member's.
    if (kinds.kinds.includes('council-meeting') && facts.organizer?.role !== 'member') {
      return {
        hits: [],
        reason: `"${item.summary}" is a committee or council visit arranged by ${facts.organizer?.name ?? item.organizer?.address ?? 'its organiser'}, not a visit by individual members (13.3)`,
      };
    }

    const { visitors, basis } = visitorsOf(item, facts, directory);
    if (visitors.length === 0) {
      return { hits: [], reason: `no member is making the visit "${item.summary}": it is not arranged by a member, and no member attends it on a council or room calendar` };
    }

    const wards = facts.wards;
    if (wards.status === 'unknown' || wards.status === 'ambiguous') {
      const detail =
        wards.status === 'ambiguous'
          ? `it mentions places in more than one ward (${wardNames(directory, [...new Set(wards.evidence.map((e) => e.ward))])})`
          : 'no ward category, place or postcode was found in it';
      const question = `Wardwatch could not tell which ward ${andList(visitors.map((v) => v.name))}'s visit "${item.summary}" is in: ${detail}. Please check whether the ward members should be told beforehand.`;
      return { hits: [], reason: question, needsHuman: question };
    }

    const outside = visitors.filter((v) => wards.wards.some((w) => !v.wards.includes(w)));
    if (outside.length === 0) {
      return { hits: [], reason: `${andList(visitors.map((v) => v.name))} ${visitors.length > 1 ? 'represent' : 'represents'} ${wardNames(directory, wards.wards)}, where the visit "${item.summary}" takes place` };
    }

    const foreignWards = [...new Set(outside.flatMap((v) => wards.wards.filter((w) => !v.wards.includes(w))))];
    const present = new Set([...facts.attendees, ...(item.organizer ? [item.organizer.address] : [])]);
    const wardMembers = [...new Map(foreignWards.flatMap((w) => directory.membersOfWard(w)).map((p) => [p.id, p])).values()];
    const tell = wardMembers.filter((m) => !visitors.includes(m) && !m.emails.some((e) => present.has(e)));
    if (tell.length === 0) {
      return { hits: [], reason: `every member for ${wardNames(directory, foreignWards)} is already invited to the visit "${item.summary}"` };
    }

    const date = formatWhen(upcoming, tz, item.allDay);
    const visitorNames = andList(outside.map((v) => v.name));
    const notifyNames = andList(tell.map((m) => m.name));
    return {
      reason: `${visitorNames} will visit ${wardNames(directory, foreignWards)} ("${item.summary}", ${date}); ${notifyNames} should be told beforehand`,
      hits: [
        {
          messageId: 'visitInOtherWard',
          data: { visitors: visitorNames, title: item.summary, wards: wardNames(directory, foreignWards), date, notify: notifyNames },
          people: [...outside.map((v) => v.id), ...tell.map((m) => m.id)],
          evidence: [
            ...(kinds.byKind.visit ?? []),
            fact(basis),
            ...outside.map((v) => fact(`${v.name} represents ${v.wards.length > 0 ? wardNames(directory, v.wards) : 'no ward'}`)),
            ...wardEvidence(directory, wards),
            ...tell.map((m) => fact(`${m.name} is not among the attendees`)),
          ],
          targets: { notify: tell.map((m) => m.id), ...occurrenceTarget(item, upcoming) },
        },
      ],
    };
  },
});
