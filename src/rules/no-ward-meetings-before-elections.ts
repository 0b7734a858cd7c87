/**
 * Members should not arrange or hold ward surgeries or public meetings in the immediate run-up to
 * Council elections (004 9.4b). A booking of a council room is declined; otherwise the member is
 * warned. The Clerk is told either way.
 */
import { z } from 'zod';
import type { CalendarConfig } from '../config/schema.js';
import type { PreElectionPeriod } from '../elections/types.js';
import { nameTokens, type Directory, type Person } from '../directory/directory.js';
import type { EventItem } from '../items/types.js';
import { letterRegExp } from '../signals/letters.js';
import type { EventFacts, Evidence, RuleContext } from './types.js';
import { defineRule, NOT_ITS_KIND } from './types.js';
import { fact } from '../signals/match.js';
import {
  andList,
  classifyEvent,
  formatDate,
  formatWhen,
  isEventInput,
  kindLabel,
  partiesOf,
  wardEvidence,
  wardNames,
  whyInactive,
  type EventKind,
} from '../signals/event-kind.js';
import { escapeRegExp } from '../signals/regex.js';

const options = z.object({
  /** More words that mark a ward surgery (e.g. "councillor clinic"). */
  extraSurgeryPhrases: z.array(z.string()).default([]),
  /** More words that mark a public meeting (e.g. "town forum"). */
  extraPublicMeetingPhrases: z.array(z.string()).default([]),
});
type Options = z.infer<typeof options>;

interface Slot {
  start: string;
  end: string;
  /** For an occurrence of a series: its RECURRENCE-ID. */
  recurrenceId?: string;
}

/** The times to check: an overridden instance's own time, every listed occurrence of a series, or the event itself. */
function slotsOf(item: EventItem): Slot[] {
  if (item.recurrenceId === undefined && item.occurrences.length > 0) {
    return item.occurrences.map((o) => ({ start: o.start, end: o.end, recurrenceId: o.recurrenceId }));
  }
  return [{ start: item.start, end: item.end }];
}

/**
 * For a recurring series, which of it must move: the one occurrence inside the period, or the
 * several (the series itself, until after polling day). Empty for a single event.
 */
function seriesNote(inPeriod: readonly Slot[], tz: string, allDay: boolean): string {
  if (inPeriod.length === 0 || inPeriod[0]?.recurrenceId === undefined) return '';
  if (inPeriod.length === 1) return ' (one occurrence of a recurring series: only that occurrence needs to move)';
  const last = inPeriod[inPeriod.length - 1];
  return ` (the first of ${inPeriod.length} occurrences of a recurring series inside the period, the last on ${formatWhen(last?.start ?? '', tz, allDay)}: the series needs to move or pause until after polling day)`;
}

/** The room calendar whose booking this is: the event's own room calendar, or a ROOM attendee that is a configured room. */
function roomBooked(facts: EventFacts, calendars: ReadonlyMap<string, CalendarConfig>): CalendarConfig | undefined {
  if (facts.calendar?.role === 'room') return facts.calendar;
  for (const cal of calendars.values()) {
    if (cal.role === 'room' && cal.address !== undefined && facts.rooms.includes(cal.address)) return cal;
  }
  return undefined;
}



/** Surgeries that are somebody else's: the police's, an MP's, a doctor's, an advice service's. */
const OTHERS_SURGERY = letterRegExp(
  String.raw`(?<![\p{L}])(?:police|pcso|neighbourhood\s+policing|mp['’]?s?|gp|doctors?['’]?s?|dental|dentists?['’]?s?|housing|citizens\s+advice|advice\s+service|benefits?)(?:\s+\p{L}+)?\s+surger(?:y|ies)|surger(?:y|ies)\s+with\s+(?:the\s+)?(?:police|pcso|mp|gp)(?![\p{L}])`,
  'iu',
);

/** A meeting about surgeries rather than one: a briefing, training, review or guidance for members. */
const ABOUT_SURGERIES = letterRegExp(String.raw`(?<![\p{L}])(?:briefing|training|review|guidance|arrangements|induction|workshop|policy)(?![\p{L}])`, 'iu');

/** Words that make a surgery a members' one: "ward surgery", "councillors' surgery", "meet your councillor", "councillor advice session". */
const MEMBERS_SURGERY = letterRegExp(
  String.raw`(?<![\p{L}])(?:(?:ward|councillors?['’]?s?|cllrs?|members?['’]?s?)\s+surger(?:y|ies)|meet\s+your\s+(?:local\s+)?(?:ward\s+)?(?:councillors?|cllrs?)|(?:ward|councillors?['’]?|cllrs?)\s+advice\s+sessions?)(?![\p{L}])`,
  'iu',
);

/**
 * The members a surgery that an officer or the Clerk booked is for (it is still theirs to hold).
 * Its title (or category) must make it theirs: it names one member ("Surgery – Cllr Ben Hughes")
 * — that member; or it says it is a members' surgery ("Riverside ward surgery") — the one member
 * invited, or the invited members of the ward it names. Undefined for someone else's surgery (the
 * police's, an MP's, an "IT surgery" for a member's laptop), a briefing about surgeries, or a
 * surgery for nobody in particular.
 */
function membersSurgeryIsFor(item: EventItem, facts: EventFacts, directory: Directory): { members: Person[]; how: string } | undefined {
  const heading = [item.summary, ...item.categories].join('\n');
  if (OTHERS_SURGERY.test(heading) || ABOUT_SURGERIES.test(item.summary)) return undefined;
  const named = directory.members().filter((m) => namerOf(m)?.test(item.summary) === true);
  if (named.length === 1 && named[0]) return { members: named, how: `its title names ${named[0].name}` };
  if (named.length > 1 || !MEMBERS_SURGERY.test(heading)) return undefined;
  const invited = [...new Set(facts.attendees.map((a) => directory.person(a)).filter((p): p is Person => p?.role === 'member'))];
  if (invited.length === 1 && invited[0]) return { members: invited, how: `${invited[0].name} is the one member invited` };
  const wards = facts.wards.status === 'explicit' || facts.wards.status === 'inferred' ? facts.wards.wards : [];
  const ofWard = invited.filter((m) => m.wards.some((w) => wards.includes(w)));
  return ofWard.length > 0 ? { members: ofWard, how: `${andList(ofWard.map((m) => m.name))} of its ward ${ofWard.length > 1 ? 'are' : 'is'} invited` } : undefined;
}

/** How a title names a member ("Ben Hughes", "Cllr Hughes"), built once per person; undefined for a name with no words. */
const namers = new WeakMap<Person, { name: string; re: RegExp | undefined }>();

function namerOf(member: Person): RegExp | undefined {
  const known = namers.get(member);
  if (known && known.name === member.name) return known.re;
  const words = nameTokens(member.name);
  const surname = words[words.length - 1];
  const re =
    surname === undefined
      ? undefined
      : letterRegExp(`(?<![\\p{L}])(?:${words.map(escapeRegExp).join('\\s+')}|(?:Cllr|Councillor)\\.?\\s+${escapeRegExp(surname)})(?![\\p{L}])`, 'iu');
  namers.set(member, { name: member.name, re });
  return re;
}

function describePeriod(p: PreElectionPeriod): string {
  return `the pre-election period for the ${p.name ?? `election on ${formatDate(p.poll)}`} (from ${formatDate(p.startDate)} to polling day, ${formatDate(p.poll)})`;
}

export default defineRule<Options>({
  meta: {
    id: 'no-ward-meetings-before-elections',
    kind: 'event',
    description: 'Stops members arranging ward surgeries or public meetings in the pre-election period of an election covering the ward.',
    clauses: { '004': ['9.4b'] },
    defaults: { severity: 'error', actions: ['block', 'notify-clerk'] },
    options,
    messages: {
      meetingInPreElection:
        '{organiser} has arranged {kind} "{title}" on {date}{series}, inside the pre-election period before polling day on {poll}, when no such meetings should be arranged or held.',
    },
  },
  evaluate(input, ctx: RuleContext<Options>) {
    if (!isEventInput(input)) return { hits: [], reason: NOT_ITS_KIND.event };
    const { item, facts } = input;
    const { directory } = ctx;
    const tz = ctx.council.timezone;

    const inactive = whyInactive(item, ctx.now, tz);
    if (inactive) return { hits: [], reason: `${inactive}; nothing to stop` };

    const booker = facts.organizer;
    const byStaff = booker !== undefined && booker.role !== 'member';
    const arrangedByStaff = (): { hits: []; reason: string } => {
      const who = booker ? `${booker.name} (${booker.role === 'clerk' ? 'the Clerk' : 'an officer'})` : item.organizer?.address ?? 'an unknown organiser';
      return { hits: [], reason: `"${item.summary}" is arranged by ${who}, not by a member; 9.4b concerns meetings members arrange (and surgeries booked for a member)` };
    };
    // Staff meetings are the Council's, except a ward surgery booked for members: looked at further only if it names or invites one.
    if (!booker || (byStaff && facts.attendees.length === 0 && !directory.members().some((m) => namerOf(m)?.test(item.summary)))) {
      return arrangedByStaff();
    }

    const kinds = classifyEvent(item, partiesOf(directory), {
      'ward-surgery': ctx.options.extraSurgeryPhrases,
      'public-meeting': ctx.options.extraPublicMeetingPhrases,
    });
    const kind: EventKind | undefined = kinds.kinds.includes('ward-surgery') ? 'ward-surgery' : kinds.kinds.includes('public-meeting') ? 'public-meeting' : undefined;
    // A member's own meeting; or a ward surgery an officer or the Clerk booked for members (still theirs).
    const bookedFor = byStaff && kind === 'ward-surgery' ? membersSurgeryIsFor(item, facts, directory) : undefined;
    const organiser = byStaff ? bookedFor?.members[0] : booker;
    if (!organiser) return arrangedByStaff();
    if (!kind) {
      const reason =
        kinds.kinds.length > 0
          ? `"${item.summary}" is ${andList(kinds.kinds.map(kindLabel))}, not a ward surgery or public meeting`
          : `nothing in the categories, title or description of "${item.summary}" marks it as a ward surgery or public meeting`;
      return { hits: [], reason };
    }
    const arrangedBy = bookedFor ? `${booker.name}, for ${andList(bookedFor.members.map((m) => m.name))},` : organiser.name;

    const fromEvent = facts.wards.status === 'explicit' || facts.wards.status === 'inferred';
    const wards = fromEvent ? facts.wards.wards : organiser.wards;
    const wardBasis: Evidence[] = fromEvent
      ? wardEvidence(directory, facts.wards)
      : [fact(`no ward found in the event itself, so ${organiser.name}'s own ward counts: ${wardNames(directory, organiser.wards)}`)];

    const upcoming = slotsOf(item).filter((s) => Date.parse(s.end) > Date.parse(ctx.now));
    let offending: { slot: Slot; period: PreElectionPeriod } | undefined;
    for (const slot of upcoming) {
      // Any part of it inside a period counts: a surgery running over several days from before the period into it too.
      const period = ctx.elections.periodOverlapping(slot.start, slot.end, wards);
      if (period) {
        offending = { slot, period };
        break;
      }
    }
    if (!offending) {
      const next = ctx.elections.periods.find(
        (p) => Date.parse(p.end) > Date.parse(ctx.now) && (p.wards === 'all' || p.wards.some((w) => wards.includes(w))),
      );
      const nextNote = next ? `; the next is ${describePeriod(next)}` : '; no election covering it is configured';
      return { hits: [], reason: `no date of "${item.summary}" falls inside a pre-election period for ${wardNames(directory, wards)}${nextNote}` };
    }

    const { slot, period } = offending;
    const sameWindow = upcoming.filter((s) => ctx.elections.periodOverlapping(s.start, s.end, wards)?.start === period.start);
    const series = seriesNote(sameWindow, tz, item.allDay);
    const room = roomBooked(facts, ctx.calendars);
    // The first of its days inside the period (its start, unless it began before the period did).
    const beganBefore = Date.parse(slot.start) < Date.parse(period.start);
    const date = beganBefore ? formatWhen(period.start, tz, true) : formatWhen(slot.start, tz, item.allDay);
    return {
      reason: `${arrangedBy} has arranged ${kindLabel(kind)} on ${date}, inside ${describePeriod(period)}`,
      hits: [
        {
          messageId: 'meetingInPreElection',
          data: {
            organiser: arrangedBy,
            kind: kindLabel(kind),
            title: item.summary,
            date,
            series,
            poll: formatDate(period.poll),
            election: period.name ?? `election on ${formatDate(period.poll)}`,
          },
          people: bookedFor ? [...bookedFor.members.map((m) => m.id), booker.id] : [organiser.id],
          evidence: [
            ...(kinds.byKind[kind] ?? []),
            fact(
              bookedFor
                ? `booked by ${booker.name} (${booker.role === 'clerk' ? 'the Clerk' : 'an officer'}) as a surgery for ${andList(bookedFor.members.map((m) => m.name))}: ${bookedFor.how}`
                : `arranged by ${organiser.name} (a member)`,
            ),
            fact(`${date} falls inside ${describePeriod(period)}`),
            ...wardBasis,
            ...(room ? [fact(`booked in ${room.name ?? room.id} (a room calendar), so the booking can be declined`)] : []),
          ],
          targets: {
            offender: organiser.id,
            ...(room ? { room: { calendarId: room.id, ...(room.address !== undefined ? { address: room.address } : {}) } } : {}),
            ...(slot.recurrenceId !== undefined ? { occurrence: { start: slot.start, recurrenceId: slot.recurrenceId } } : {}),
          },
          actions: room ? ['block', 'notify-clerk'] : ['warn', 'notify-clerk'],
        },
      ],
    };
  },
});
