/**
 * What the digest remembers of an event (store.upsertEvent): its title, time, place, kind, wards
 * and attendees, never its description; and what the executor needs to change it at its source
 * later (its href and ETag there, SEQUENCE, all-day flag, the organiser's name). The service records one for each event it evaluates, so
 * the digest can list upcoming public meetings, who was invited, and when a party-group meeting
 * awaiting the Clerk's authorisation takes place.
 */
import type { CalendarConfig } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import { computeEventFacts } from '../engine/facts.js';
import type { EventItem } from '../items/types.js';
import { classifyEvent, partiesOf } from '../signals/event-kind.js';
import type { EventSummary } from '../store/types.js';

/** Marks a cancelled event among an EventSummary's kinds: the digest leaves it out. */
export const CANCELLED_KIND = 'cancelled';

/**
 * The summary of `item` as at `now`. For a recurring series, its time is that of the first
 * listed occurrence that has not ended by `now` (the last one when all have), so the digest
 * shows the series' next meeting.
 */
export function eventSummaryOf(item: EventItem, directory: Directory, calendars: ReadonlyMap<string, CalendarConfig>, now: string): EventSummary {
  const facts = computeEventFacts(item, directory, calendars);
  const kinds: string[] = classifyEvent(item, partiesOf(directory)).kinds;
  if (item.status === 'CANCELLED') kinds.push(CANCELLED_KIND);
  let { start, end } = item;
  if (item.recurrenceId === undefined && item.occurrences.length > 0) {
    const sorted = [...item.occurrences].sort((a, b) => a.start.localeCompare(b.start));
    const next = sorted.find((o) => o.end > now) ?? sorted[sorted.length - 1];
    if (next !== undefined) ({ start, end } = next);
  }
  const summary: EventSummary = {
    key: item.key,
    calendarId: item.calendarId,
    summary: item.summary,
    start,
    end,
    location: item.location,
    kinds,
    wards: [...facts.wards.wards],
    attendees: facts.attendees,
  };
  if (item.organizer !== undefined) {
    summary.organizer = item.organizer.address;
    const name = item.organizer.name?.trim();
    if (name) summary.organizerName = name;
  }
  // Where the source keeps it and which version was judged: the executor changes it there (CalDAV PUT with If-Match).
  if (item.origin !== '') summary.origin = item.origin;
  if (item.etag !== undefined) summary.etag = item.etag;
  summary.sequence = item.sequence;
  summary.allDay = item.allDay;
  return summary;
}
