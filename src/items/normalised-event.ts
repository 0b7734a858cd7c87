/**
 * Events as cloud calendar APIs give them (JSON: Microsoft Graph, Google Calendar), read into the
 * engine's EventItems with the same keys as iCalendar: UID, and `UID#RECURRENCE-ID` for a changed
 * occurrence. The connector maps its API's fields onto `NormalisedEvent` (a small, documented
 * shape); this module writes the events as one iCalendar object and reads it with the calendar
 * parser, so that an event given as JSON and the same event given as .ics become the same item:
 * the same times and time zone, the same all-day rule, the same recurrence expansion, the same
 * defaults for status, class, roles and answers. Every text value is escaped as RFC 5545
 * requires, so no field can add a line or a property of its own.
 */
import { z } from 'zod';
import { wallClockText } from '../elections/zoned-time.js';
import { errorMessage } from '../model/error-message.js';
import { parseCalendar, type ParseCalendarOptions, type ParsedCalendar } from './ical-parse.js';

/** A date (all-day) or a time: an instant with `Z` or an offset, or a wall-clock time in `timeZone`. */
const DateValueSchema = z.union([
  z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected a date as YYYY-MM-DD' }) }).strict(),
  z
    .object({
      dateTime: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?$/, { message: 'expected a time such as 2026-03-10T19:00:00 or 2026-03-10T19:00:00Z' }),
      /** IANA or Windows zone name; for a wall-clock time, the zone it is in (default UTC). */
      timeZone: z.string().min(1).max(100).optional(),
    })
    .strict(),
]);
export type DateValue = z.infer<typeof DateValueSchema>;

const PersonSchema = z
  .object({
    address: z.string().min(3).max(320),
    name: z.string().max(300).optional(),
  })
  .strict();

const AttendeeSchema = PersonSchema.extend({
  /** CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT, NON-PARTICIPANT (iCalendar ROLE). */
  role: z.string().max(40).optional(),
  /** NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED (iCalendar PARTSTAT). */
  partstat: z.string().max(40).optional(),
  /** INDIVIDUAL, GROUP, RESOURCE, ROOM, UNKNOWN (iCalendar CUTYPE). */
  cutype: z.string().max(40).optional(),
}).strict();

export const NormalisedEventSchema = z
  .object({
    /** The iCalendar UID (Graph `iCalUId`, Google `iCalUID`). */
    uid: z.string().min(1).max(1000),
    /** For a changed occurrence of a series: its original start (Graph `originalStart`, Google `originalStartTime`). */
    recurrenceId: DateValueSchema.optional(),
    summary: z.string().default(''),
    description: z.string().default(''),
    location: z.string().default(''),
    categories: z.array(z.string()).default([]),
    start: DateValueSchema,
    end: DateValueSchema.optional(),
    /** confirmed, tentative or cancelled (any case). */
    status: z.string().max(40).optional(),
    /** public, private or confidential (any case). */
    classification: z.string().max(40).optional(),
    organizer: PersonSchema.optional(),
    attendees: z.array(AttendeeSchema).default([]),
    sequence: z.number().int().min(0).optional(),
    /** iCalendar recurrence lines as Google gives them: `RRULE:…`, `EXDATE…:…`, `RDATE…:…`. */
    recurrence: z.array(z.string().max(2000)).default([]),
    /** iTIP method of the message it came in, when it came in one. */
    method: z.string().max(40).optional(),
  })
  .strict();
export type NormalisedEvent = z.input<typeof NormalisedEventSchema>;

/** RFC 5545 3.3.11 TEXT: backslash, semicolon, comma and line breaks escaped; other controls dropped. */
function text(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === ';') out += '\\;';
    else if (ch === ',') out += '\\,';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') continue;
    else if (code < 0x20 || code === 0x7f) continue;
    else out += ch;
  }
  return out;
}

/** A parameter value (RFC 5545 3.2): quotes and controls left out, quoted when it holds `;`, `:` or `,`. */
function param(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || code < 0x20 || code === 0x7f) continue;
    out += ch;
  }
  return /[;:,]/.test(out) ? `"${out}"` : out;
}

/** A token-like value (status, role, a recurrence line's name and parameters): letters, digits and - only. */
function token(value: string): string {
  return value.toUpperCase().replace(/[^A-Z0-9-]/g, '');
}

/** A value that must stay on its line (an address, a recurrence rule): line breaks and controls removed. */
function oneLine(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) continue;
    out += ch;
  }
  return out;
}

function compactDate(date: string): string {
  return date.replaceAll('-', '');
}

/** `YYYYMMDDTHHMMSS` from `YYYY-MM-DDTHH:MM[:SS[.fff]]` (fractions dropped, as iCalendar has none). */
function compactTime(wall: string): string {
  const [day = '', time = ''] = wall.split('T');
  const [h = '00', m = '00', s = '00'] = time.split(':');
  return `${compactDate(day)}T${h}${m}${s.slice(0, 2).padStart(2, '0')}`;
}

const OFFSET = /(Z|[+-]\d{2}:\d{2})$/;

/** A DTSTART-style property: `NAME;VALUE=DATE:…`, `NAME:…Z`, or `NAME;TZID=…:…`. */
function dateProperty(name: string, value: DateValue): string {
  if ('date' in value) return `${name};VALUE=DATE:${compactDate(value.date)}`;
  const offset = OFFSET.exec(value.dateTime)?.[1];
  if (offset !== undefined) {
    const ms = Date.parse(value.dateTime);
    const utc = new Date(ms).toISOString().slice(0, 19);
    // An instant with a zone (Google gives both): written in that zone, as a calendar program would.
    if (value.timeZone !== undefined && value.timeZone.toUpperCase() !== 'UTC') {
      const wall = wallClockText(ms, value.timeZone);
      if (wall !== undefined) return `${name};TZID=${param(value.timeZone)}:${compactTime(wall)}`;
    }
    return `${name}:${compactTime(utc)}Z`;
  }
  const zone = value.timeZone;
  if (zone === undefined || zone.toUpperCase() === 'UTC' || zone.toUpperCase() === 'ETC/UTC') return `${name}:${compactTime(value.dateTime)}Z`;
  return `${name};TZID=${param(zone)}:${compactTime(value.dateTime)}`;
}

/** A recurrence line as Google gives it (`RRULE:FREQ=WEEKLY`, `EXDATE;TZID=Europe/London:20260310T190000`). */
function recurrenceLine(line: string): string | undefined {
  const clean = oneLine(line);
  const colon = clean.indexOf(':');
  if (colon <= 0) return undefined;
  const [rawName = '', ...params] = clean.slice(0, colon).split(';');
  const name = token(rawName);
  if (name !== 'RRULE' && name !== 'EXDATE' && name !== 'RDATE' && name !== 'EXRULE') return undefined;
  const kept = params.flatMap((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) return [];
    const key = token(p.slice(0, eq));
    return key === '' ? [] : [`${key}=${param(p.slice(eq + 1).replace(/^"|"$/g, ''))}`];
  });
  return [name, ...kept].join(';') + ':' + clean.slice(colon + 1);
}

function person(name: string, p: z.infer<typeof PersonSchema>, extra: string[] = []): string {
  const params = [...(p.name !== undefined && p.name.trim() !== '' ? [`CN=${param(p.name)}`] : []), ...extra];
  return `${[name, ...params].join(';')}:mailto:${oneLine(p.address)}`;
}

/** One VEVENT for a normalised event. */
function vevent(event: z.output<typeof NormalisedEventSchema>): string[] {
  const lines = ['BEGIN:VEVENT', `UID:${text(event.uid)}`];
  if (event.recurrenceId !== undefined) lines.push(dateProperty('RECURRENCE-ID', event.recurrenceId));
  lines.push(dateProperty('DTSTART', event.start));
  if (event.end !== undefined) lines.push(dateProperty('DTEND', event.end));
  if (event.sequence !== undefined) lines.push(`SEQUENCE:${event.sequence}`);
  if (event.summary !== '') lines.push(`SUMMARY:${text(event.summary)}`);
  if (event.description !== '') lines.push(`DESCRIPTION:${text(event.description)}`);
  if (event.location !== '') lines.push(`LOCATION:${text(event.location)}`);
  for (const category of event.categories) if (category.trim() !== '') lines.push(`CATEGORIES:${text(category)}`);
  if (event.status !== undefined && token(event.status) !== '') lines.push(`STATUS:${token(event.status)}`);
  if (event.classification !== undefined && token(event.classification) !== '') lines.push(`CLASS:${token(event.classification)}`);
  if (event.organizer !== undefined) lines.push(person('ORGANIZER', event.organizer));
  for (const a of event.attendees) {
    const extra = [
      ...(a.cutype !== undefined && token(a.cutype) !== '' ? [`CUTYPE=${token(a.cutype)}`] : []),
      ...(a.role !== undefined && token(a.role) !== '' ? [`ROLE=${token(a.role)}`] : []),
      ...(a.partstat !== undefined && token(a.partstat) !== '' ? [`PARTSTAT=${token(a.partstat)}`] : []),
    ];
    lines.push(person('ATTENDEE', a, extra));
  }
  for (const line of event.recurrence) {
    const written = recurrenceLine(line);
    if (written !== undefined) lines.push(written);
  }
  lines.push('END:VEVENT');
  return lines;
}

/**
 * One iCalendar object for a series (or single event) and its changed occurrences, as the
 * calendar parser reads it. Throws a ZodError naming the field when an event is not one.
 */
export function normalisedEventsToICalendar(events: readonly unknown[]): string {
  const parsed = events.map((e) => NormalisedEventSchema.parse(e));
  const methods = new Set(parsed.flatMap((e) => (e.method !== undefined && token(e.method) !== '' ? [token(e.method)] : [])));
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Wardwatch//normalised events//EN'];
  if (methods.size === 1) lines.push(`METHOD:${[...methods][0] ?? ''}`);
  for (const event of parsed) lines.push(...vevent(event));
  lines.push('END:VCALENDAR');
  return `${lines.join('\r\n')}\r\n`;
}

/** What was wrong with a normalised event, naming the field: "start: Invalid input". */
export function normalisedEventError(err: unknown): string {
  const issue = err instanceof z.ZodError ? err.issues[0] : undefined;
  if (issue === undefined) return errorMessage(err);
  // The path inside one event (the schema parses each event on its own).
  return `${issue.path.join('.') || 'the event'}: ${issue.message}`;
}

/**
 * The EventItems for normalised events: the same as for the same events written as iCalendar.
 * An event that is not one (a field missing or of the wrong type) is a problem, never a throw.
 */
export function eventItemsFromNormalised(events: readonly unknown[], options: ParseCalendarOptions): ParsedCalendar {
  let source: string;
  try {
    source = normalisedEventsToICalendar(events);
  } catch (err) {
    return { events: [], problems: [{ origin: options.origin, kind: 'calendar', reason: `The event given by the source could not be read (${normalisedEventError(err)}).` }] };
  }
  return parseCalendar(source, options);
}
