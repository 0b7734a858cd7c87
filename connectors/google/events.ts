/**
 * Google Calendar v3 `Event` resources mapped onto the engine's `NormalisedEvent`, so that an
 * event read from Google becomes the same item, under the same key, as the same event read from
 * an .ics file: key = iCalendar UID (`iCalUID`), plus `#RECURRENCE-ID` for a changed occurrence.
 *
 * Google is close to iCalendar already: a series master carries its `recurrence` as RRULE, EXDATE
 * and RDATE lines, every instance of a series shares the master's `iCalUID`, and a changed
 * occurrence (an exception) names its series (`recurringEventId`) and the start it replaces
 * (`originalStartTime`, its RECURRENCE-ID). Times come as RFC 3339 instants with an offset,
 * together with the IANA zone they were made in (`timeZone`, required for a series), which is
 * how the shared writer (src/items/normalised-event.ts) places them.
 *
 * Pure: no I/O, no clock. Google's JSON is outside input: every field is checked for its type
 * where it is read; one that is missing or malformed is left out, an event that cannot be keyed
 * or placed in time is `undefined`, and nothing throws.
 */
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { eventItemsFromNormalised, NormalisedEventSchema, type DateValue, type NormalisedEvent } from '../../src/items/normalised-event.js';
import { htmlToText } from '../../src/items/html-text.js';
import { list, record, trimmedString as str } from '../../src/sources/untrusted-json.js';

export type GoogleEvent = calendar_v3.Schema$Event;

export interface GoogleEventOptions {
  /** The series master, for an exception: its `iCalUID` keys the series (Google gives instances the same one). */
  master?: GoogleEvent;
  /** The calendar's own zone (events.list's `timeZone`), for a timed event that names none. */
  calendarTimeZone?: string;
  /**
   * Original starts of the series' cancelled occurrences (cancelled exceptions): written as EXDATE
   * on the master, as Google's own iCalendar export does, so the master's expansion leaves them out.
   */
  cancelled?: readonly calendar_v3.Schema$EventDateTime[];
}

type NormalisedAttendee = NonNullable<NormalisedEvent['attendees']>[number];

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** RFC 3339 as Google writes it; bounded repeats only, so it is linear. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?$/i;

function realDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1 && check.getUTCFullYear() === y && check.getUTCMonth() === mo - 1 && check.getUTCDate() === d;
}

/** At most seven decimals (what the shared schema takes), `z` as `Z`. */
function tidyDateTime(text: string): string {
  return text.replace(/(\.\d{7})\d+/, '$1').replace(/z$/, 'Z');
}

/** A zone name fit for TZID: IANA-like, no more than the schema takes. */
function zoneOf(value: unknown): string | undefined {
  const z = str(value);
  return z !== undefined && z.length <= 100 && /^[A-Za-z0-9_+\-/]+$/.test(z) ? z : undefined;
}

/**
 * Google's `{ date }` (all day) or `{ dateTime, timeZone }` as a DateValue: the instant as Google
 * wrote it, with the zone to write it in (the event's own, else the calendar's).
 */
export function dateValueOf(value: unknown, fallbackZone?: string): DateValue | undefined {
  const v = record(value);
  if (!v) return undefined;
  const date = str(v.date);
  if (date !== undefined) return realDate(date) ? { date } : undefined;
  const dateTime = str(v.dateTime);
  if (dateTime === undefined || !DATE_TIME.test(dateTime)) return undefined;
  const tidy = tidyDateTime(dateTime);
  const hasOffset = /(Z|[+-]\d{2}:\d{2})$/.test(tidy);
  if (hasOffset && !Number.isFinite(Date.parse(tidy))) return undefined;
  const zone = zoneOf(v.timeZone) ?? zoneOf(fallbackZone);
  return { dateTime: tidy, ...(zone !== undefined ? { timeZone: zone } : {}) };
}

/** `YYYYMMDD` or `YYYYMMDDTHHMMSSZ` (UTC), as Google's instance ids and EXDATE write a start. */
export function compactStart(value: DateValue): string | undefined {
  if ('date' in value) return value.date.replaceAll('-', '');
  const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value.dateTime) ? value.dateTime : `${value.dateTime}Z`);
  if (!Number.isFinite(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** An EXDATE line for a cancelled occurrence's original start (a date, or an instant in UTC). */
function exdateLine(original: unknown): string | undefined {
  const value = dateValueOf(original);
  if (!value) return undefined;
  const compact = compactStart(value);
  if (compact === undefined) return undefined;
  return 'date' in value ? `EXDATE;VALUE=DATE:${compact}` : `EXDATE:${compact}`;
}

/** The recurrence lines iCalendar knows (RRULE, EXRULE, RDATE, EXDATE), as Google gives them. */
function recurrenceOf(value: unknown): string[] {
  return list(value).flatMap((line) => {
    const l = typeof line === 'string' ? line.trim() : '';
    return /^(RRULE|EXRULE|RDATE|EXDATE)[;:]/i.test(l) && l.length <= 2000 ? [l] : [];
  });
}

/** Google's `responseStatus` as iCalendar PARTSTAT. */
const PARTSTAT = new Map<string, string>([
  ['needsAction', 'NEEDS-ACTION'],
  ['accepted', 'ACCEPTED'],
  ['tentative', 'TENTATIVE'],
  ['declined', 'DECLINED'],
]);

/** Google's `visibility` as CLASS; `default` is the calendar's default and is left out (PUBLIC, as iCalendar defaults). */
const CLASSIFICATION = new Map<string, string>([
  ['public', 'public'],
  ['private', 'private'],
  ['confidential', 'confidential'],
]);

/** A resource calendar's address: Workspace rooms are `c_…@resource.calendar.google.com`. */
export function isRoomAddress(address: string): boolean {
  return /@resource\.calendar\.google\.com$/i.test(address.trim());
}

function personOf(value: unknown): { address: string; name?: string } | undefined {
  const p = record(value);
  const address = str(p?.email);
  if (address === undefined || address.length < 3 || address.length > 320 || !address.includes('@')) return undefined;
  const name = str(p?.displayName);
  return name === undefined ? { address } : { address, name: name.slice(0, 300) };
}

/**
 * The attendees. `optional` is OPT-PARTICIPANT, anyone else REQ-PARTICIPANT. A `resource` is a
 * room or equipment booked: ROLE=NON-PARTICIPANT, CUTYPE=ROOM for a Workspace resource calendar,
 * else RESOURCE; the engine counts both as rooms, never as people, as it does for the same
 * attendee in an .ics file. Each address counts once, the first listed.
 */
function attendeesOf(value: unknown): NormalisedAttendee[] {
  const out: NormalisedAttendee[] = [];
  const listed = new Set<string>();
  for (const entry of list(value)) {
    const a = record(entry);
    const person = personOf(a);
    if (!a || !person || listed.has(person.address.toLowerCase())) continue;
    listed.add(person.address.toLowerCase());
    const resource = a.resource === true;
    const response = str(a.responseStatus);
    const partstat = response === undefined ? undefined : PARTSTAT.get(response);
    out.push({
      ...person,
      ...(resource ? { cutype: isRoomAddress(person.address) ? 'ROOM' : 'RESOURCE' } : {}),
      role: resource ? 'NON-PARTICIPANT' : a.optional === true ? 'OPT-PARTICIPANT' : 'REQ-PARTICIPANT',
      ...(partstat !== undefined ? { partstat } : {}),
    });
  }
  return out;
}

/** Google Calendar's web editor writes descriptions as HTML; text from the API or an import is plain. */
function descriptionOf(value: unknown): string {
  if (typeof value !== 'string') return '';
  return /<\/?[a-z][^>]*>/i.test(value) ? htmlToText(value) : value.replace(/\r\n?/g, '\n').trim();
}

/** True for an exception (or any instance) of a series: it names the series it belongs to. */
export function isInstance(event: GoogleEvent): boolean {
  return str(record(event)?.recurringEventId) !== undefined;
}

/** True for a series master: recurrence lines and no series of its own. */
export function isMaster(event: GoogleEvent): boolean {
  return !isInstance(event) && recurrenceOf(record(event)?.recurrence).length > 0;
}

/**
 * One Google event as a NormalisedEvent, or undefined when it cannot be one: no `iCalUID` (for an
 * exception: neither its own nor its master's), no usable `start`, or, for an exception, no
 * usable `originalStartTime`. A cancelled event maps with STATUS:CANCELLED; the connector hands
 * cancellations on as removals instead.
 */
export function googleEventToNormalised(event: GoogleEvent, options: GoogleEventOptions = {}): NormalisedEvent | undefined {
  try {
    return mapEvent(event, options);
  } catch {
    return undefined;
  }
}

function mapEvent(event: GoogleEvent, options: GoogleEventOptions): NormalisedEvent | undefined {
  const e = record(event);
  if (!e) return undefined;
  const instance = isInstance(event);
  const master = instance ? record(options.master) : undefined;
  if (master && str(master.id) !== undefined && str(master.id) !== str(e.recurringEventId)) return undefined;
  const uid = (instance ? (str(master?.iCalUID) ?? str(e.iCalUID)) : str(e.iCalUID));
  if (uid === undefined || uid.length > 1000) return undefined;

  const zone = options.calendarTimeZone;
  const start = dateValueOf(e.start, zone);
  if (!start) return undefined;
  const end = e.endTimeUnspecified === true ? undefined : dateValueOf(e.end, zone);

  let recurrenceId: DateValue | undefined;
  if (instance) {
    recurrenceId = dateValueOf(e.originalStartTime, zoneOf(record(master?.start)?.timeZone) ?? zone);
    if (!recurrenceId) return undefined;
  }
  const recurrence = instance ? [] : recurrenceOf(e.recurrence);
  if (recurrence.length > 0) {
    for (const c of options.cancelled ?? []) {
      const line = exdateLine(c);
      if (line !== undefined && !recurrence.includes(line)) recurrence.push(line);
    }
  }

  const visibility = str(e.visibility);
  const classification = visibility === undefined ? undefined : CLASSIFICATION.get(visibility);
  const status = str(e.status);
  const organizer = personOf(e.organizer);
  const sequence = typeof e.sequence === 'number' && Number.isInteger(e.sequence) && e.sequence >= 0 ? e.sequence : undefined;

  const out: NormalisedEvent = {
    uid,
    ...(recurrenceId ? { recurrenceId } : {}),
    summary: typeof e.summary === 'string' ? e.summary : '',
    description: descriptionOf(e.description),
    location: typeof e.location === 'string' ? e.location.trim() : '',
    categories: [],
    start,
    ...(end ? { end } : {}),
    ...(status === 'confirmed' || status === 'tentative' || status === 'cancelled' ? { status } : {}),
    ...(classification !== undefined ? { classification } : {}),
    ...(organizer ? { organizer } : {}),
    attendees: attendeesOf(e.attendees),
    ...(sequence !== undefined ? { sequence } : {}),
    recurrence,
  };
  return NormalisedEventSchema.safeParse(out).success ? out : undefined;
}

/**
 * The RECURRENCE-ID of an occurrence as the item key writes it (ISO UTC with milliseconds), read
 * by the engine's own parser so that an all-day occurrence's date is placed exactly as the key
 * places it. `original` is Google's `originalStartTime`.
 */
export function recurrenceKeyOf(uid: string, original: unknown, timeZone: string): string | undefined {
  const rid = dateValueOf(original);
  if (!rid) return undefined;
  const parsed = eventItemsFromNormalised([{ uid, recurrenceId: rid, start: rid }], {
    calendarId: 'google',
    origin: 'google',
    timeZone,
    horizon: { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00Z' },
  });
  return parsed.events[0]?.recurrenceId;
}
