/**
 * Microsoft Graph v1.0 `event` resources mapped onto the engine's `NormalisedEvent`, so that an
 * event read from Graph becomes the same item, under the same key, as the same event read from
 * an .ics file: key = iCalendar UID, plus `#RECURRENCE-ID` for a changed occurrence of a series.
 *
 * Pure: no I/O, no clock. Graph's JSON is outside input, so nothing here trusts its shape: every
 * field is checked for its type where it is read, a field that is missing or malformed leaves its
 * part of the event out (or, when the event cannot be keyed or placed in time, makes the whole
 * event `undefined`), and nothing throws, so one odd event never stops the others.
 *
 * Times. The connector asks for `Prefer: outlook.timezone="UTC"`, so `start` and `end` come as UTC
 * wall-clock times. The instant is all an item's start and end need, but a series must be
 * expanded in the zone its organiser made it in: a weekly 19:00 meeting in London is at 19:00Z
 * in winter and 18:00Z in summer, and its weekdays are London's, not UTC's. So each time is handed
 * on as an instant together with the event's own zone (`originalStartTimeZone`, or for a series
 * `recurrence.range.recurrenceTimeZone`, mapped from Windows names to IANA), and
 * `src/items/normalised-event.ts` writes it in that zone, as Outlook's own .ics export does.
 */
import type { Event, PatternedRecurrence } from '@microsoft/microsoft-graph-types';
import { wallClockText } from '../../src/elections/zoned-time.js';
import { NormalisedEventSchema, type DateValue, type NormalisedEvent } from '../../src/items/normalised-event.js';
import { htmlToText } from '../../src/items/html-text.js';
import { ianaForTzid, wallClockToMillis, type WallClock, type ZoneRule } from '../../src/items/timezones.js';
import { list, record, trimmedString as str, type Json } from '../../src/sources/untrusted-json.js';

/** What a Graph event is within a series (`type`, read defensively). */
export type GraphEventKind = 'single' | 'master' | 'occurrence' | 'exception';

export interface GraphEventOptions {
  /**
   * The series master, for an `occurrence` or `exception`: Graph gives every instance of a series
   * its own `iCalUId`, while iCalendar keys them all by the master's UID.
   */
  master?: Event;
}

type NormalisedAttendee = NonNullable<NormalisedEvent['attendees']>[number];

function positiveInteger(value: unknown, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Kinds

/**
 * `single`, `master`, `occurrence` or `exception`, from Graph's `type`. When `type` is missing or
 * unknown, an event that names a series master is taken to be an exception (mapping an unchanged
 * occurrence as a changed one costs nothing; dropping a changed one would lose it), and one with a
 * recurrence pattern a master.
 */
export function eventKind(event: Event): GraphEventKind {
  const e = record(event);
  switch (e?.type) {
    case 'singleInstance':
      return 'single';
    case 'seriesMaster':
      return 'master';
    case 'occurrence':
      return 'occurrence';
    case 'exception':
      return 'exception';
    default:
      if (str(e?.seriesMasterId) !== undefined) return 'exception';
      if (record(e?.recurrence) !== undefined) return 'master';
      return 'single';
  }
}

/** True for an instance of a series (an occurrence or an exception): it is keyed by its master's UID. */
export function isSeriesInstance(event: Event): boolean {
  const kind = eventKind(event);
  return kind === 'occurrence' || kind === 'exception';
}

// ---------------------------------------------------------------------------------------------
// Times

const UTC_NAMES = new Set(['utc', 'gmt', 'z', 'etc/utc', 'etc/gmt', 'tzone://microsoft/utc', 'coordinated universal time']);

function isUtcName(zone: string): boolean {
  return UTC_NAMES.has(zone.trim().toLowerCase());
}

/** The IANA name of a Graph zone (Windows `GMT Standard Time`, or IANA), `UTC` for UTC, undefined when unknown. */
function ianaOf(zone: string | undefined): string | undefined {
  if (zone === undefined) return undefined;
  if (isUtcName(zone)) return 'UTC';
  return ianaForTzid(zone);
}

function ruleOf(iana: string): ZoneRule {
  return iana === 'UTC' ? { kind: 'utc' } : { kind: 'iana', name: iana };
}

/**
 * Graph's `2027-04-12T18:00:00.0000000`, ISO with `Z` or an offset, or `originalStart`'s
 * `2027-04-12T18:00:00Z`. Bounded repeats only (no nested quantifiers), so it is linear.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

interface ReadDateTime {
  wall: WallClock;
  /** Minutes east of UTC when the text carries `Z` or an offset. */
  offset?: number;
}

function readDateTime(value: unknown): ReadDateTime | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (year < 1 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  const wall: WallClock = { year, month, day, hour, minute, second, isDate: false };
  const zone = m[7];
  if (zone === undefined) return { wall };
  if (zone === 'Z') return { wall, offset: 0 };
  const sign = zone.startsWith('-') ? -1 : 1;
  return { wall, offset: sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function dayText(wall: WallClock): string {
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
}

function wallText(wall: WallClock): string {
  return `${dayText(wall)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}`;
}

/** Instants a JavaScript date can hold in four-digit years (what iCalendar and the schema accept). */
function usable(ms: number): boolean {
  return Number.isFinite(ms) && ms >= Date.UTC(1, 0, 1) && ms < Date.UTC(10000, 0, 1);
}

/** `YYYY-MM-DDTHH:MM:SSZ` for an instant. */
function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The instant of a read time in `zone` (Graph's `timeZone`); undefined when the zone is not one we know. */
function instantOf(read: ReadDateTime, zone: string | undefined): number | undefined {
  let ms: number | undefined;
  if (read.offset !== undefined) {
    ms = wallClockToMillis(read.wall, { kind: 'utc' }) - read.offset * 60_000;
  } else {
    const iana = zone === undefined ? 'UTC' : ianaOf(zone);
    if (iana !== undefined) ms = wallClockToMillis(read.wall, ruleOf(iana));
  }
  return ms !== undefined && usable(ms) ? ms : undefined;
}

/**
 * A timed `start`/`end` in the NormalisedEvent form: the instant with `Z`, and the zone it is to be
 * written in (`display`, an IANA name) so the item's zone and a series' expansion are the
 * organiser's. A zone we cannot map is passed on as Graph wrote it, wall clock and all, so that
 * the calendar parser treats it exactly as it would the same TZID in an .ics file.
 */
function timedValue(value: unknown, display: string | undefined): DateValue | undefined {
  const v = record(value);
  const read = readDateTime(v?.dateTime);
  if (!read) return undefined;
  const zone = str(v?.timeZone);
  const ms = instantOf(read, zone);
  if (ms === undefined) {
    if (zone === undefined || zone.length > 100) return undefined;
    return { dateTime: wallText(read.wall), timeZone: zone };
  }
  return { dateTime: isoSeconds(ms), timeZone: display ?? 'UTC' };
}

/** The calendar date nearest a wall-clock time: local midnight read in a neighbouring zone lands within 12 hours of it. */
function nearestDate(wall: WallClock): string {
  const midnight = wallClockToMillis({ ...wall, hour: 0, minute: 0, second: 0 }, { kind: 'utc' });
  const ms = wallClockToMillis(wall, { kind: 'utc' });
  return new Date(ms - midnight >= 12 * 3_600_000 ? midnight + 86_400_000 : midnight).toISOString().slice(0, 10);
}

/**
 * An all-day `start`/`end`: Graph gives all-day events at midnight whatever zone was asked for,
 * so the date is the date written. Should a time other than midnight come, the nearest date is
 * taken rather than the event refused.
 */
function dateValue(value: unknown): DateValue | undefined {
  const read = readDateTime(record(value)?.dateTime);
  return read ? { date: nearestDate(read.wall) } : undefined;
}

/**
 * `originalStart` (an instant; Graph has been seen to give it with seven decimals and no `Z`,
 * which is still UTC) as a RECURRENCE-ID. For an all-day series it is the date of the occurrence:
 * the instant read in the series' zone, to the nearest midnight (Graph has been seen to give an
 * all-day occurrence's original start as local midnight in UTC, or even at 07:00Z).
 */
function recurrenceIdOf(originalStart: unknown, allDay: boolean, seriesZone: string | undefined): DateValue | undefined {
  const read = readDateTime(originalStart);
  if (!read) return undefined;
  const ms = wallClockToMillis(read.wall, { kind: 'utc' }) - (read.offset ?? 0) * 60_000;
  if (!usable(ms)) return undefined;
  if (!allDay) return { dateTime: isoSeconds(ms) };
  const local = seriesZone !== undefined && seriesZone !== 'UTC' ? wallClockText(ms, seriesZone) : undefined;
  const wall = readDateTime(local ?? isoSeconds(ms))?.wall;
  return wall ? { date: nearestDate(wall) } : undefined;
}

/** The zone a series repeats in: the range's `recurrenceTimeZone`, else the event's own start zone (IANA). */
function seriesZoneOf(event: Json): string | undefined {
  const range = record(record(event.recurrence)?.range);
  return ianaOf(str(range?.recurrenceTimeZone)) ?? ianaOf(str(event.originalStartTimeZone));
}

// ---------------------------------------------------------------------------------------------
// Recurrence

const DAYS = new Map<string, string>([
  ['sunday', 'SU'],
  ['monday', 'MO'],
  ['tuesday', 'TU'],
  ['wednesday', 'WE'],
  ['thursday', 'TH'],
  ['friday', 'FR'],
  ['saturday', 'SA'],
]);
const WEEK_INDEX = new Map<string, number>([
  ['first', 1],
  ['second', 2],
  ['third', 3],
  ['fourth', 4],
  ['last', -1],
]);
const FREQ = new Map<string, string>([
  ['daily', 'DAILY'],
  ['weekly', 'WEEKLY'],
  ['absoluteMonthly', 'MONTHLY'],
  ['relativeMonthly', 'MONTHLY'],
  ['absoluteYearly', 'YEARLY'],
  ['relativeYearly', 'YEARLY'],
]);
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A count or interval far beyond any real council series is not understood, rather than trusted. */
const MAX_COUNT = 10_000;
const MAX_INTERVAL = 1_000;

/** BYDAY codes for Graph day names; undefined when any is not a day (the pattern is then not understood). */
function dayCodes(value: unknown): string[] | undefined {
  const out: string[] = [];
  for (const day of list(value)) {
    const code = typeof day === 'string' ? DAYS.get(day.trim().toLowerCase()) : undefined;
    if (code === undefined) return undefined;
    if (!out.includes(code)) out.push(code);
  }
  return out;
}

/**
 * The "index-th of these days" of a relative pattern. One day is `BYDAY=2TU`; several days mean
 * the index-th day that is any of them ("the first weekday": MO–FR, first), which iCalendar says
 * with BYDAY and BYSETPOS.
 */
function relativeDays(pattern: Json): string[] | undefined {
  const days = dayCodes(pattern.daysOfWeek);
  if (days === undefined || days.length === 0) return undefined;
  const indexName = str(pattern.index) ?? 'first';
  const index = WEEK_INDEX.get(indexName.toLowerCase());
  if (index === undefined) return undefined;
  return days.length === 1 ? [`BYDAY=${index}${days[0] ?? ''}`] : [`BYDAY=${days.join(',')}`, `BYSETPOS=${index}`];
}

/**
 * A day of the month. Outlook puts a monthly event set for the 29th, 30th or 31st on the last day
 * of a shorter month (it says so when the series is made); iCalendar's BYMONTHDAY=31 would skip
 * those months instead. The 31st is therefore the last day of every month (BYMONTHDAY=-1), and
 * 29 February in a yearly series the last day of February: exactly Outlook's rule. The 29th and
 * 30th of a monthly series stay as they are, so February is skipped where Outlook would use its
 * last day: "the last of days 28 to 30" needs BYSETPOS with BYMONTHDAY, which ical.js (the engine's
 * expander) does not follow correctly, and a rule it misreads would list wrong dates all year.
 */
function monthDay(day: number, month?: number): string {
  if (day === 31 || (month === 2 && day === 29)) return 'BYMONTHDAY=-1';
  return `BYMONTHDAY=${day}`;
}

/** The date of a `YYYY-MM-DD` that is a real date, or undefined. */
function checkedDate(value: unknown): WallClock | undefined {
  const m = typeof value === 'string' ? DATE_ONLY.exec(value.trim()) : null;
  if (!m) return undefined;
  const read = readDateTime(`${m[1]}-${m[2]}-${m[3]}T00:00:00`);
  return read ? { ...read.wall, isDate: true } : undefined;
}

function compactUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/**
 * UNTIL for an `endDate` range: the series runs to the end of that day in its own zone. For an
 * all-day series it is that date (UNTIL=YYYYMMDD, as DTSTART is a date). For a timed one RFC 5545
 * wants UTC: 23:59:59 on that date in the series' zone, as an instant, so that an evening occurrence
 * in a zone west of UTC is kept and a just-after-midnight one in a zone east of it is not. When the
 * zone is unknown, 23:59:59Z on that date is the nearest we can say.
 */
function untilPart(endDate: WallClock, allDay: boolean, zone: string | undefined): string {
  const day = `${pad(endDate.year, 4)}${pad(endDate.month)}${pad(endDate.day)}`;
  if (allDay) return `UNTIL=${day}`;
  const iana = ianaOf(zone);
  if (iana === undefined) return `UNTIL=${day}T235959Z`;
  const ms = wallClockToMillis({ ...endDate, hour: 23, minute: 59, second: 59, isDate: false }, ruleOf(iana));
  return usable(ms) ? `UNTIL=${compactUtc(ms)}` : `UNTIL=${day}T235959Z`;
}

/**
 * Graph's `patternedRecurrence` as iCalendar `RRULE:` lines, for the series master whose start is
 * `start` (a date for an all-day series). The series' zone is the range's `recurrenceTimeZone`,
 * else `start.timeZone`. A pattern or range that is not understood (an unknown type, a day that
 * is not a day, a count or interval that is not a positive whole number, an end date that is not
 * a date) gives no lines at all: the series is then read as its first occurrence alone, which is
 * safer than guessing a rule that could list meetings that do not exist.
 */
export function recurrenceLines(recurrence: PatternedRecurrence, start: DateValue): string[] {
  const r = record(recurrence);
  const pattern = record(r?.pattern);
  if (!pattern) return [];
  const type = str(pattern.type) ?? '';
  const freq = FREQ.get(type);
  if (freq === undefined) return [];
  const interval = pattern.interval === undefined || pattern.interval === null ? 1 : positiveInteger(pattern.interval, MAX_INTERVAL);
  if (interval === undefined) return [];
  const parts = [`FREQ=${freq}`, `INTERVAL=${interval}`];

  const month = positiveInteger(pattern.month, 12);
  const dayOfMonth = positiveInteger(pattern.dayOfMonth, 31);
  switch (type) {
    case 'weekly': {
      const days = dayCodes(pattern.daysOfWeek);
      if (days === undefined) return [];
      // No days: the start's weekday, which is what RRULE without BYDAY means too.
      if (days.length > 0) parts.push(`BYDAY=${days.join(',')}`);
      break;
    }
    case 'absoluteMonthly':
      if (dayOfMonth === undefined) return [];
      parts.push(monthDay(dayOfMonth));
      break;
    case 'relativeMonthly': {
      const days = relativeDays(pattern);
      if (days === undefined) return [];
      parts.push(...days);
      break;
    }
    case 'absoluteYearly':
      if (month === undefined || dayOfMonth === undefined) return [];
      parts.push(`BYMONTH=${month}`, monthDay(dayOfMonth, month));
      break;
    case 'relativeYearly': {
      const days = relativeDays(pattern);
      if (month === undefined || days === undefined) return [];
      parts.push(`BYMONTH=${month}`, ...days);
      break;
    }
    default:
      break;
  }
  // The week's first day changes which weeks "every other week" picks (RFC 5545 3.3.10, WKST).
  const firstDay = typeof pattern.firstDayOfWeek === 'string' ? DAYS.get(pattern.firstDayOfWeek.trim().toLowerCase()) : undefined;
  if (firstDay !== undefined) parts.push(`WKST=${firstDay}`);

  const range = record(r?.range);
  const rangeType = str(range?.type) ?? 'noEnd';
  if (rangeType === 'numbered') {
    const count = positiveInteger(range?.numberOfOccurrences, MAX_COUNT);
    if (count === undefined) return [];
    parts.push(`COUNT=${count}`);
  } else if (rangeType === 'endDate') {
    const endDate = checkedDate(range?.endDate);
    if (endDate === undefined) return [];
    const s = record(start);
    parts.push(untilPart(endDate, s?.date !== undefined, str(range?.recurrenceTimeZone) ?? str(s?.timeZone)));
  } else if (rangeType !== 'noEnd') {
    return [];
  }
  return [`RRULE:${parts.join(';')}`];
}

/**
 * EXDATEs for `cancelledOccurrences` (`OID.<master id>.<YYYY-MM-DD>`, the date of a deleted
 * occurrence in the series' zone). A date-only EXDATE removes the occurrence on that day of the
 * series as written, which is how the calendar parser reads one in an .ics file too. Graph returns
 * the property only when it is selected on a single master, so it is often absent.
 */
function cancelledOccurrenceLines(value: unknown): string[] {
  const days = new Set<string>();
  for (const entry of list(value)) {
    if (typeof entry !== 'string') continue;
    const date = checkedDate(entry.slice(entry.lastIndexOf('.') + 1));
    if (date !== undefined) days.add(`${pad(date.year, 4)}${pad(date.month)}${pad(date.day)}`);
  }
  return [...days].map((day) => `EXDATE;VALUE=DATE:${day}`);
}

// ---------------------------------------------------------------------------------------------
// Body text

/**
 * The description: the whole body, as text. `bodyPreview` is plain text but stops after 255
 * characters, so a rule looking for a ward's name or a word further down an agenda would not see
 * it; the body is therefore preferred, its HTML turned into text here, and the preview is used only
 * when the body is absent (not selected, or empty).
 */
function descriptionOf(event: Json): string {
  const body = record(event.body);
  const content = typeof body?.content === 'string' ? body.content : '';
  if (content.trim() !== '') {
    const type = typeof body?.contentType === 'string' ? body.contentType.toLowerCase() : 'text';
    return type === 'html' ? htmlToText(content) : content.replace(/\r\n?/g, '\n').trim();
  }
  return typeof event.bodyPreview === 'string' ? event.bodyPreview.trim() : '';
}

// ---------------------------------------------------------------------------------------------
// Place and people

/**
 * `location.displayName`, with the names in `locations[]` it does not already hold. Outlook sets
 * `location.displayName` to all the places joined by "; " when there are several, so a name
 * already in it is not repeated.
 */
function locationOf(event: Json): string {
  const primary = str(record(event.location)?.displayName) ?? '';
  const names = primary === '' ? [] : [primary];
  const seen = primary.toLowerCase();
  for (const place of list(event.locations)) {
    const name = str(record(place)?.displayName);
    if (name === undefined) continue;
    const lower = name.toLowerCase();
    if (seen.includes(lower) || names.some((n) => n.toLowerCase() === lower)) continue;
    names.push(name);
  }
  return names.join('; ');
}

/** Lower-cased e-mail addresses of the event's places (`location`, `locations[]`): the rooms booked. */
function placeAddresses(event: Json): Set<string> {
  const out = new Set<string>();
  for (const place of [event.location, ...list(event.locations)]) {
    const address = str(record(place)?.locationEmailAddress);
    if (address !== undefined) out.add(address.toLowerCase());
  }
  return out;
}

/** A person as the schema takes one: an address of 3 to 320 characters, a name cut to 300. */
function personOf(value: unknown): { address: string; name?: string } | undefined {
  const email = record(record(value)?.emailAddress);
  const address = str(email?.address);
  if (address === undefined || address.length < 3 || address.length > 320) return undefined;
  const name = str(email?.name);
  return name === undefined ? { address } : { address, name: name.slice(0, 300) };
}

/**
 * Graph's answer (`status.response`) as iCalendar PARTSTAT. `organizer` is the organiser's own
 * copy (accepted); `none` and `notResponded` are no answer yet.
 */
const PARTSTAT = new Map<string, string>([
  ['none', 'NEEDS-ACTION'],
  ['notResponded', 'NEEDS-ACTION'],
  ['organizer', 'ACCEPTED'],
  ['accepted', 'ACCEPTED'],
  ['tentativelyAccepted', 'TENTATIVE'],
  ['declined', 'DECLINED'],
]);

/**
 * The attendees. `required` and `optional` are iCalendar's REQ- and OPT-PARTICIPANT. Graph's
 * `resource` is a room or equipment booked for the meeting: ROLE=NON-PARTICIPANT as iCalendar
 * has it, CUTYPE=ROOM when the address is one of the event's places (Outlook adds the room booked
 * to `locations`), else CUTYPE=RESOURCE. The engine counts both as rooms, never as people, exactly
 * as it does for the same attendee in an .ics file. Each address counts once, the first listed.
 */
function attendeesOf(event: Json): NormalisedAttendee[] {
  const places = placeAddresses(event);
  const out: NormalisedAttendee[] = [];
  const listed = new Set<string>();
  for (const entry of list(event.attendees)) {
    const a = record(entry);
    const person = personOf(a);
    if (!a || !person || listed.has(person.address.toLowerCase())) continue;
    listed.add(person.address.toLowerCase());
    const type = str(a.type);
    const response = str(record(a.status)?.response);
    const partstat = response === undefined ? undefined : PARTSTAT.get(response);
    const resource = type === 'resource';
    out.push({
      ...person,
      ...(resource ? { cutype: places.has(person.address.toLowerCase()) ? 'ROOM' : 'RESOURCE' } : {}),
      role: resource ? 'NON-PARTICIPANT' : type === 'optional' ? 'OPT-PARTICIPANT' : 'REQ-PARTICIPANT',
      ...(partstat !== undefined ? { partstat } : {}),
    });
  }
  return out;
}

/** Graph's `sensitivity` as iCalendar CLASS: `personal` has no class of its own and is kept from view like `private`. */
const CLASSIFICATION = new Map<string, string>([
  ['normal', 'public'],
  ['personal', 'private'],
  ['private', 'private'],
  ['confidential', 'confidential'],
]);

/**
 * STATUS: a cancelled event (`isCancelled`, the copy left in an attendee's calendar) is
 * cancelled; one the organiser shows as tentative (`showAs`) is tentative; else confirmed.
 */
function statusOf(event: Json): string {
  if (event.isCancelled === true) return 'cancelled';
  if (event.showAs === 'tentative') return 'tentative';
  return 'confirmed';
}

// ---------------------------------------------------------------------------------------------
// The event

/**
 * One Graph event as a NormalisedEvent, or undefined when it cannot be one: no `iCalUId` (for an
 * occurrence or exception: no master given, or the master has none, or it is not this event's
 * master), no usable `start`, or no usable `originalStart` for an instance. SEQUENCE is left out:
 * Graph does not give it. For a series master the recurrence is included (`recurrenceLines`,
 * and EXDATEs for `cancelledOccurrences` when Graph gave them).
 *
 * An unchanged `occurrence` is mapped like an exception (master's UID, its RECURRENCE-ID) when
 * asked, but a connector that has the master should not hand occurrences on: the master's own
 * expansion already lists them, and an .ics file has no VEVENT for an occurrence nobody changed.
 */
export function graphEventToNormalised(event: Event, options: GraphEventOptions = {}): NormalisedEvent | undefined {
  try {
    return mapEvent(event, options);
  } catch {
    // Nothing above should throw; should an odd value find a way, this event is skipped, not the rest.
    return undefined;
  }
}

function mapEvent(event: Event, options: GraphEventOptions): NormalisedEvent | undefined {
  const e = record(event);
  if (!e) return undefined;
  const kind = eventKind(event);
  const instance = kind === 'occurrence' || kind === 'exception';
  const master = instance ? record(options.master) : undefined;
  if (instance) {
    if (!master) return undefined;
    const masterId = str(master.id);
    const seriesMasterId = str(e.seriesMasterId);
    if (masterId !== undefined && seriesMasterId !== undefined && masterId !== seriesMasterId) return undefined;
  }
  const uid = str(instance ? master?.iCalUId : e.iCalUId);
  if (uid === undefined || uid.length > 1000) return undefined;

  const allDay = e.isAllDay === true;
  // A master is written in the zone it repeats in; any other event in its own start and end zones.
  const startZone = kind === 'master' ? seriesZoneOf(e) : ianaOf(str(e.originalStartTimeZone));
  const endZone = kind === 'master' ? startZone : (ianaOf(str(e.originalEndTimeZone)) ?? startZone);
  const start = allDay ? dateValue(e.start) : timedValue(e.start, startZone);
  if (!start) return undefined;
  const end = allDay ? dateValue(e.end) : timedValue(e.end, endZone);

  let recurrenceId: DateValue | undefined;
  if (instance && master) {
    recurrenceId = recurrenceIdOf(e.originalStart, master.isAllDay === true, seriesZoneOf(master));
    if (!recurrenceId) return undefined;
  }

  const recurrence: string[] = [];
  if (kind === 'master') {
    const patterned = event.recurrence;
    if (patterned) recurrence.push(...recurrenceLines(patterned, start));
    if (recurrence.length > 0) recurrence.push(...cancelledOccurrenceLines(e.cancelledOccurrences));
  }

  const sensitivity = str(e.sensitivity);
  const classification = sensitivity === undefined ? undefined : CLASSIFICATION.get(sensitivity);
  const organizer = personOf(e.organizer);
  const categories = list(e.categories).flatMap((c) => {
    const name = str(c);
    return name === undefined ? [] : [name];
  });

  const out: NormalisedEvent = {
    uid,
    ...(recurrenceId ? { recurrenceId } : {}),
    summary: typeof e.subject === 'string' ? e.subject : '',
    description: descriptionOf(e),
    location: locationOf(e),
    categories,
    start,
    ...(end ? { end } : {}),
    status: statusOf(e),
    ...(classification !== undefined ? { classification } : {}),
    ...(organizer ? { organizer } : {}),
    attendees: attendeesOf(e),
    recurrence,
  };
  // The engine's own check, so that an event handed on is never one its mapper refuses (which would
  // refuse the master and exceptions handed over with it).
  return NormalisedEventSchema.safeParse(out).success ? out : undefined;
}
