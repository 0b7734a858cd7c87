/**
 * How an event rule names the date of what it found. A single event (or one moved occurrence) is
 * named by its own start; a recurring series by its next occurrence still to come, said to be one
 * of a series, and that occurrence travels with the finding (`targets.occurrence`) so that every
 * message and the digest give the very same date.
 */
import type { EventItem } from '../items/types.js';
import { formatWhen } from '../signals/event-kind.js';
import type { HitTargets } from './types.js';

export interface NamedOccurrence {
  /** "Tuesday 8 December 2026 at 18:00", with " (the next occurrence of a recurring series)" for a series. */
  date: string;
  /** The occurrence concerned, for the hit's targets; empty for a single event. */
  targets: Pick<HitTargets, 'occurrence'>;
}

/** The date a finding on `item` names, as at `now`, in the council's time zone. */
export function nameOccurrence(item: EventItem, now: string, timeZone: string): NamedOccurrence {
  if (item.recurrenceId !== undefined || item.occurrences.length === 0) return { date: formatWhen(item.start, timeZone, item.allDay), targets: {} };
  const at = Date.parse(now);
  const next = item.occurrences.find((o) => Date.parse(o.end) > at) ?? item.occurrences[item.occurrences.length - 1];
  if (next === undefined) return { date: formatWhen(item.start, timeZone, item.allDay), targets: {} };
  return {
    date: `${formatWhen(next.start, timeZone, item.allDay)} (the next occurrence of a recurring series)`,
    targets: { occurrence: { start: next.start, recurrenceId: next.recurrenceId } },
  };
}
