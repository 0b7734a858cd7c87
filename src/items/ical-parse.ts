/**
 * Reading an iCalendar file into normalized EventItems: one per VEVENT master (key = UID) and one
 * per overridden occurrence (key = `UID#RECURRENCE-ID`), with times as UTC instants and recurring
 * series expanded inside a window. It never throws: whatever cannot be used becomes a Problem
 * naming the event and what was wrong, and the rest of the file is still read.
 */
import { errorMessage } from '../model/error-message.js';
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { z } from 'zod';
import { expandOccurrences, type ExpansionInput, type ExtraDate, type RuleSpec } from './recurrence.js';
import {
  addDays,
  daysBetween,
  ianaZone,
  naiveMillis,
  parseJcalDateValue,
  readVTimezone,
  resolveTzid,
  wallClockToMillis,
  wallDay,
  zoneName,
  type WallClock,
  type ZoneDefinitions,
  type ZoneRule,
} from './timezones.js';
import type { Address, Attendee, AttendeeRole, CuType, EventItem, EventStatus, PartStat, Problem, ProblemSeverity } from './types.js';

export interface ParseCalendarOptions {
  calendarId: string;
  origin: string;
  etag?: string;
  /** The council's IANA zone: floating times and all-day dates are read in it. */
  timeZone: string;
  /** Occurrences of recurring series are listed when they overlap this window (ISO instants). */
  horizon: { from: string; to: string };
}

export interface ParsedCalendar {
  events: EventItem[];
  problems: Problem[];
}

const OptionsSchema = z.object({
  calendarId: z.string(),
  origin: z.string(),
  etag: z.string().optional(),
  timeZone: z.string().refine((tz) => ianaZone(tz) !== undefined, { message: 'is not an IANA time zone' }),
  horizon: z.object({
    from: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a date and time' }),
    to: z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'is not a date and time' }),
  }),
});

/** A property in ical.js's jCal form: name, parameters, value type, values. */
const JcalPropertySchema = z.tuple([z.string(), z.record(z.string(), z.unknown()), z.string()], z.unknown());
type JcalProperty = z.infer<typeof JcalPropertySchema>;
const JcalComponentSchema = z.tuple([z.string(), z.array(z.unknown()), z.array(z.unknown())]);
/** The UNTIL of a jCal RRULE value, when it has one. */
const RecurUntilSchema = z.object({ until: z.string() });

const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Splitting the text into components (before ical.js sees it, so one bad event spoils only itself)

interface LogicalLine {
  /** Unfolded text. */
  text: string;
  /** The lines as they appear in the file. */
  physical: string[];
}

interface RawComponent {
  name: string;
  /** Where its lines are: from its BEGIN line to its END line (or where it was cut short), as in the file. */
  span: LineSpan;
  /** The component's own property lines (not those of nested components). */
  own: LogicalLine[];
  children: RawComponent[];
  /** False when the file ended (or an outer END came) before this component's END line. */
  closed: boolean;
}

/**
 * A run of the file's physical lines, shared by every component of the file: a component's text is
 * cut from it when needed, so nesting costs nothing per level (copying each line into every open
 * component made a file nested thousands deep take seconds).
 */
interface LineSpan {
  lines: string[];
  from: number;
  to: number;
}

function logicalLines(source: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  for (const line of source.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/)) {
    const last = out[out.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.text += line.slice(1);
      last.physical.push(line);
    } else if (line.trim() !== '') {
      out.push({ text: line, physical: [line] });
    }
  }
  return out;
}

/** The property name of a content line (before the first `;` or `:`), upper-cased. */
function lineName(text: string): string {
  const m = /^[^;:]*/.exec(text);
  return (m ? m[0] : '').trim().toUpperCase();
}

/** The value of a content line: after the first `:` that is not inside a quoted parameter. */
function lineValue(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === ':' && !quoted) return text.slice(i + 1);
  }
  return '';
}

function splitComponents(source: string): RawComponent[] {
  const roots: RawComponent[] = [];
  const lines: string[] = [];
  const stack: RawComponent[] = [];
  // For each component name, the stack positions where one of that name is open (innermost last):
  // an END finds its BEGIN without searching the stack, however deep it is or however many stray ENDs come.
  const openAt = new Map<string, number[]>();
  const close = (at: number): void => {
    for (let i = stack.length - 1; i >= at; i -= 1) {
      const component = stack[i] as RawComponent;
      component.span.to = lines.length;
      openAt.get(component.name)?.pop();
    }
    stack.length = at;
  };
  for (const line of logicalLines(source)) {
    const name = lineName(line.text);
    if (name === 'BEGIN') {
      const componentName = lineValue(line.text).trim().toUpperCase();
      const component: RawComponent = { name: componentName, span: { lines, from: lines.length, to: lines.length }, own: [], children: [], closed: false };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(component);
      else roots.push(component);
      const positions = openAt.get(componentName) ?? [];
      positions.push(stack.length);
      openAt.set(componentName, positions);
      stack.push(component);
      for (const physical of line.physical) lines.push(physical);
      continue;
    }
    if (stack.length === 0) continue;
    for (const physical of line.physical) lines.push(physical);
    if (name === 'END') {
      const positions = openAt.get(lineValue(line.text).trim().toUpperCase());
      const at = positions?.[positions.length - 1];
      if (at !== undefined) {
        (stack[at] as RawComponent).closed = true;
        close(at);
      }
      continue;
    }
    const top = stack[stack.length - 1];
    if (top) top.own.push(line);
  }
  close(0);
  return roots;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function componentText(component: RawComponent): string {
  const { lines, from, to } = component.span;
  return lines.slice(from, to).join('\r\n');
}

// ---------------------------------------------------------------------------------------------
// ical.js parsing, with per-line salvage


function shorten(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function jcalProperties(jcal: unknown): JcalProperty[] | undefined {
  const component = JcalComponentSchema.safeParse(jcal);
  if (!component.success) return undefined;
  const out: JcalProperty[] = [];
  for (const prop of component.data[1]) if (isJcalProperty(prop)) out.push(prop);
  return out;
}

/**
 * What `JcalPropertySchema` accepts, checked in place: an event may have 20,000 properties, and
 * zod's copy of each (its parameters object included) was a tenth of the time of reading them.
 */
function isJcalProperty(value: unknown): value is JcalProperty {
  if (!Array.isArray(value) || value.length < 3) return false;
  const [name, params, type] = value as unknown[];
  return typeof name === 'string' && typeof type === 'string' && typeof params === 'object' && params !== null && !Array.isArray(params);
}

/** ical.js returns one component, or a list when the text holds several. */
function firstJcal(parsed: unknown): unknown {
  return Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed[0] : parsed;
}

/**
 * The properties of a VEVENT. When ical.js rejects the component, each of its own lines is tried
 * alone, and the lines it cannot read are reported and left out.
 */
function readProperties(component: RawComponent): { props: JcalProperty[]; badLines: string[] } {
  try {
    const props = jcalProperties(firstJcal(ICAL.parse(componentText(component))));
    if (props) return { props, badLines: [] };
  } catch {
    // fall through to the line-by-line reading
  }
  const props: JcalProperty[] = [];
  const badLines: string[] = [];
  for (const line of component.own) {
    let first: unknown;
    for (const attempt of [line.physical.join('\r\n'), ...repairs(line.text)]) {
      try {
        const one = jcalProperties(firstJcal(ICAL.parse(`BEGIN:VEVENT\r\n${attempt}\r\nEND:VEVENT`)));
        if (!one) throw new Error('not a property');
        props.push(...one);
        first = undefined;
        break;
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) badLines.push(`the line "${shorten(line.text)}" could not be read (${shorten(errorMessage(first), 100)}) and was left out`);
  }
  return { props, badLines };
}

/** The line with a closing quote put before its last colon (found directly, not by a pattern that rescans the line from every colon). */
function quoteBeforeLastColon(text: string): string {
  const at = text.lastIndexOf(':');
  return at < 0 ? text : `${text.slice(0, at)}":${text.slice(at + 1)}`;
}

/** Mended versions of a line that ical.js refused, for mistakes real producers make. */
function repairs(text: string): string[] {
  const out: string[] = [];
  // Outlook: DTSTART;TZID="W. Europe Standard Time:20200609T090000 (the closing quote is missing).
  if ((text.match(/"/g) ?? []).length % 2 === 1) out.push(quoteBeforeLastColon(text));
  // Outlook: DTSTART;TZID="W. Europe Standard Time:20200609T090000" (the quote closes after the value).
  if (lineValue(text) === '' && text.endsWith('"')) out.push(quoteBeforeLastColon(text.slice(0, -1)));
  // Spaces inside a repeat rule: RRULE:FREQ=DAILY;BYDAY=MO, TU, WE
  const name = lineName(text);
  if (name === 'RRULE' || name === 'EXRULE') {
    const value = lineValue(text);
    out.push(`${text.slice(0, text.length - value.length)}${value.replace(/\s+/g, '')}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Property access

/** A VEVENT's properties by name, gathered once: an event may have tens of thousands of lines. */
class Properties {
  private readonly byName = new Map<string, JcalProperty[]>();

  constructor(props: readonly JcalProperty[]) {
    for (const p of props) {
      const list = this.byName.get(p[0]);
      if (list) list.push(p);
      else this.byName.set(p[0], [p]);
    }
  }

  all(name: string): readonly JcalProperty[] {
    return this.byName.get(name) ?? [];
  }

  first(name: string): JcalProperty | undefined {
    return this.byName.get(name)?.[0];
  }

  text(name: string): string {
    const value = this.first(name)?.[3];
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    return '';
  }
}

function param(prop: JcalProperty, name: string): string | undefined {
  const value = prop[1][name];
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function values(prop: JcalProperty): unknown[] {
  return prop.slice(3);
}

// ---------------------------------------------------------------------------------------------
// Times

interface CalendarContext {
  opts: ParseCalendarOptions;
  zones: ZoneDefinitions;
  council: ZoneRule;
}

interface ReadTime {
  wall: WallClock;
  rule: ZoneRule;
  ms: number;
}

/** Problems about one event, collected as short clauses and reported together. */
class EventNotes {
  readonly notes: string[] = [];
  private readonly seen = new Set<string>();

  add(note: string): void {
    if (this.seen.has(note)) return;
    this.seen.add(note);
    this.notes.push(note);
  }
}

function zoneFor(parsed: { wall: WallClock; utc: boolean }, prop: JcalProperty, ctx: CalendarContext, notes: EventNotes): ZoneRule {
  if (parsed.wall.isDate) return ctx.council;
  if (parsed.utc) return { kind: 'utc' };
  const tzid = param(prop, 'tzid');
  if (tzid === undefined || tzid.trim() === '') return ctx.council;
  const resolved = resolveTzid(tzid, ctx.zones, ctx.opts.timeZone);
  if (resolved.warning) notes.add(resolved.warning);
  return resolved.rule;
}

/** Instants JavaScript dates can hold (and that make sense for a council's diary). */
function usableInstant(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

function readTimeValue(value: unknown, prop: JcalProperty, ctx: CalendarContext, notes: EventNotes): ReadTime | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = parseJcalDateValue(value);
  if (!parsed) return undefined;
  const rule = zoneFor(parsed, prop, ctx, notes);
  const ms = wallClockToMillis(parsed.wall, rule);
  return usableInstant(ms) ? { wall: parsed.wall, rule, ms } : undefined;
}

/** True for a value that holds nothing (`EXDATE;VALUE=DATE:`), which is skipped rather than reported. */
function emptyValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(emptyValue);
  return typeof value !== 'string' || !/\d/.test(value);
}

/** The raw value of the first line named `name`, for messages. */
function rawValue(component: RawComponent, name: string): string {
  const line = component.own.find((l) => lineName(l.text) === name);
  return line ? shorten(lineValue(line.text), 60) : '';
}

const PROPERTY_LABELS: Record<string, string> = {
  DTSTART: 'start (DTSTART)',
  DTEND: 'end (DTEND)',
  'RECURRENCE-ID': 'occurrence date (RECURRENCE-ID)',
  DURATION: 'length (DURATION)',
};

function badValue(component: RawComponent, name: string): string {
  const raw = rawValue(component, name);
  return `its ${PROPERTY_LABELS[name] ?? name} ${raw ? `"${raw}" ` : ''}is not a valid ${name === 'DURATION' ? 'duration' : 'date or time'}`;
}

function readDuration(value: unknown): ICAL.Duration | undefined {
  if (typeof value !== 'string' || !/^[+-]?P/i.test(value.trim())) return undefined;
  try {
    const duration = ICAL.Duration.fromString(value.trim());
    const parts = [duration.weeks, duration.days, duration.hours, duration.minutes, duration.seconds];
    return parts.every((n) => Number.isFinite(n)) ? duration : undefined;
  } catch {
    return undefined;
  }
}

/** How long each occurrence lasts: whole calendar days (kept across summer-time changes) plus exact time. */
interface Length {
  days: number;
  ms: number;
}

function durationLength(duration: ICAL.Duration): Length {
  const sign = duration.isNegative ? -1 : 1;
  return {
    days: sign * (duration.weeks * 7 + duration.days),
    ms: sign * (duration.hours * 3600 + duration.minutes * 60 + duration.seconds) * 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// People

const ROLES: readonly AttendeeRole[] = ['CHAIR', 'REQ-PARTICIPANT', 'OPT-PARTICIPANT', 'NON-PARTICIPANT'];
const PARTSTATS: readonly PartStat[] = ['NEEDS-ACTION', 'ACCEPTED', 'DECLINED', 'TENTATIVE', 'DELEGATED'];
const CUTYPES: readonly CuType[] = ['INDIVIDUAL', 'GROUP', 'RESOURCE', 'ROOM', 'UNKNOWN'];
const STATUSES: readonly EventStatus[] = ['TENTATIVE', 'CONFIRMED', 'CANCELLED'];
const CLASSES = ['PUBLIC', 'PRIVATE', 'CONFIDENTIAL'];

function pick<T extends string>(value: string | undefined, allowed: readonly T[], missing: T, unknown: T): T {
  if (value === undefined || value.trim() === '') return missing;
  const upper = value.trim().toUpperCase();
  return allowed.find((a) => a === upper) ?? unknown;
}

function calAddress(prop: JcalProperty): Address | undefined {
  const raw = values(prop)[0];
  let address = (typeof raw === 'string' ? raw : '').trim().replace(/^mailto:/i, '').trim();
  const email = param(prop, 'email')?.trim();
  if (!address.includes('@') && email) address = email.replace(/^mailto:/i, '');
  address = address.toLowerCase();
  if (address === '') return undefined;
  const name = param(prop, 'cn')?.trim();
  return name ? { address, name } : { address };
}

function attendeeOf(prop: JcalProperty): Attendee | undefined {
  const address = calAddress(prop);
  if (!address) return undefined;
  return {
    ...address,
    // RFC 5545 3.2.16/3.2.12: unrecognised roles count as REQ-PARTICIPANT, unrecognised answers as NEEDS-ACTION.
    role: pick(param(prop, 'role'), ROLES, 'REQ-PARTICIPANT', 'REQ-PARTICIPANT'),
    partstat: pick(param(prop, 'partstat'), PARTSTATS, 'NEEDS-ACTION', 'NEEDS-ACTION'),
    cutype: pick(param(prop, 'cutype'), CUTYPES, 'INDIVIDUAL', 'UNKNOWN'),
  };
}

function categoriesOf(props: Properties): string[] {
  const out = new Set<string>();
  for (const prop of props.all('categories')) {
    for (const value of values(prop)) {
      if (typeof value !== 'string') continue;
      for (const part of value.split(',')) {
        const trimmed = part.trim();
        if (trimmed !== '') out.add(trimmed);
      }
    }
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// One VEVENT

interface ParsedEvent {
  item: EventItem;
  /** Present for a series master: everything needed to list its occurrences. */
  series?: Omit<ExpansionInput, 'overridden' | 'window'>;
  /** RECURRENCE-ID as an instant, for an overridden occurrence. */
  recurrenceMs?: number;
  notes: EventNotes;
  label: string;
}

function labelOf(uid: string | undefined, summary: string): string {
  const title = summary.trim() ? `"${shorten(summary, 60)}"` : '';
  if (uid && title) return `Event ${title} (UID ${shorten(uid, 80)})`;
  if (uid) return `Event with UID ${shorten(uid, 80)}`;
  if (title) return `Event ${title} (no UID)`;
  return 'An event with no UID or title';
}

function readSeries(
  props: Properties,
  start: ReadTime,
  allDay: boolean,
  length: Length,
  ctx: CalendarContext,
  notes: EventNotes,
): ParsedEvent['series'] {
  const toInstant = (wall: WallClock): number => wallClockToMillis(wall, wall.isDate ? ctx.council : start.rule);
  const endOf = (wall: WallClock, startMs: number): number =>
    (length.days !== 0 ? toInstant(addDays(wall, length.days)) : startMs) + length.ms;
  const rules: RuleSpec[] = [];
  for (const prop of props.all('rrule')) {
    let recur: unknown;
    try {
      recur = new ICAL.Property(prop).getFirstValue();
    } catch (err) {
      notes.add(`its repeat rule (RRULE) could not be read (${shorten(errorMessage(err), 100)}) and was left out`);
      continue;
    }
    if (!(recur instanceof ICAL.Recur)) continue;
    const spec: RuleSpec = { recur };
    const untilText = RecurUntilSchema.safeParse(values(prop)[0]);
    if (untilText.success) {
      const until = parseJcalDateValue(untilText.data.until);
      if (!until) {
        notes.add(`the end date (UNTIL) of its repeat rule is not a valid date, so the series was treated as open-ended`);
      } else if (until.wall.isDate) {
        spec.until = { kind: 'day', day: wallDay(until.wall) };
      } else {
        spec.until = { kind: 'instant', ms: until.utc ? naiveMillis(until.wall) : toInstant(until.wall) };
      }
    }
    rules.push(spec);
  }
  const rdates: ExtraDate[] = [];
  for (const prop of props.all('rdate')) {
    for (const value of values(prop)) {
      if (emptyValue(value)) continue;
      const extra = readRdate(value, prop, start, endOf, ctx, notes);
      if (extra) rdates.push(extra);
      else notes.add('one of its extra dates (RDATE) is not a valid date and was left out');
    }
  }
  const exdates: ExpansionInput['exdates'] = { instants: [], days: [] };
  for (const prop of props.all('exdate')) {
    for (const value of values(prop)) {
      if (emptyValue(value)) continue;
      const time = readTimeValue(value, prop, ctx, notes);
      if (!time) {
        notes.add('one of its excluded dates (EXDATE) is not a valid date and was left out');
      } else if (time.wall.isDate) {
        exdates.days.push(wallDay(time.wall));
      } else {
        exdates.instants.push(time.ms);
      }
    }
  }
  if (rules.length === 0 && rdates.length === 0) return undefined;
  return {
    start: start.wall,
    rules,
    rdates,
    exdates,
    toInstant,
    endOf,
    maxLengthMs: Math.max(0, length.days * DAY_MS + length.ms) + (allDay ? DAY_MS : 0),
  };
}

function readRdate(
  value: unknown,
  prop: JcalProperty,
  start: ReadTime,
  endOf: (wall: WallClock, startMs: number) => number,
  ctx: CalendarContext,
  notes: EventNotes,
): ExtraDate | undefined {
  if (Array.isArray(value)) {
    // PERIOD: start/end or start/duration
    const from = readTimeValue(value[0], prop, ctx, notes);
    if (!from) return undefined;
    const duration = readDuration(value[1]);
    const to = duration ? undefined : readTimeValue(value[1], prop, ctx, notes);
    let endMs = from.ms;
    if (duration) {
      const l = durationLength(duration);
      endMs = (l.days !== 0 ? wallClockToMillis(addDays(from.wall, l.days), from.rule) : from.ms) + l.ms;
    } else if (to) {
      endMs = to.ms;
    }
    return { startMs: from.ms, endMs: Math.max(endMs, from.ms), day: wallDay(from.wall) };
  }
  const time = readTimeValue(value, prop, ctx, notes);
  if (!time) return undefined;
  const exactLength = endOf(start.wall, start.ms) - start.ms;
  const endMs = time.wall.isDate ? endOf(time.wall, time.ms) : time.ms + exactLength;
  return { startMs: time.ms, endMs: Math.max(endMs, time.ms), day: wallDay(time.wall) };
}

function readEvent(component: RawComponent, method: string | undefined, ctx: CalendarContext): { parsed?: ParsedEvent; problems: string[] } {
  const text = componentText(component);
  const contentHash = sha256(text);
  const { props: list, badLines } = readProperties(component);
  const props = new Properties(list);
  const uidText = props.text('uid').trim();
  const summary = props.text('summary');
  const label = labelOf(uidText || undefined, summary);
  const notes = new EventNotes();
  for (const line of badLines) notes.add(line);
  const skipped = (why: string): { problems: string[] } => ({
    problems: [`${label} was not read: ${why}.${notes.notes.length ? ` Also: ${notes.notes.join('; ')}.` : ''}`],
  });

  if (!component.closed) return skipped('the file ends before the event does (no END:VEVENT), so it may be cut short');
  const dtstart = props.first('dtstart');
  if (!dtstart) return skipped('it has no start date (DTSTART)');
  const start = readTimeValue(values(dtstart)[0], dtstart, ctx, notes);
  if (!start) return skipped(badValue(component, 'DTSTART'));
  const allDay = start.wall.isDate;

  // End: DTEND, else DURATION, else the start (or the next day for an all-day event).
  let length: Length = allDay ? { days: 1, ms: 0 } : { days: 0, ms: 0 };
  const dtend = props.first('dtend');
  const durationProp = props.first('duration');
  if (dtend) {
    const end = readTimeValue(values(dtend)[0], dtend, ctx, notes);
    if (!end) notes.add(`${badValue(component, 'DTEND')}, so ${allDay ? 'it was taken to last one day' : 'it was taken to end when it starts'}`);
    else if (allDay && end.wall.isDate) length = { days: daysBetween(start.wall, end.wall), ms: 0 };
    else length = { days: 0, ms: end.ms - start.ms };
  } else if (durationProp) {
    const duration = readDuration(values(durationProp)[0]);
    if (!duration) notes.add(`${badValue(component, 'DURATION')}, so ${allDay ? 'it was taken to last one day' : 'it was taken to end when it starts'}`);
    else length = durationLength(duration);
  }
  let endOfStart = (length.days !== 0 ? wallClockToMillis(addDays(start.wall, length.days), start.rule) : start.ms) + length.ms;
  if (!usableInstant(endOfStart)) {
    notes.add(`its end lies beyond any usable date (${dtend ? 'DTEND' : 'DURATION'} "${rawValue(component, dtend ? 'DTEND' : 'DURATION')}"), so it was taken to end when it starts`);
    length = { days: 0, ms: 0 };
    endOfStart = start.ms;
  }
  if (endOfStart < start.ms) {
    notes.add('it ends before it starts, so its end was taken to be its start');
    length = { days: 0, ms: 0 };
  }
  const endMs = Math.max(endOfStart, start.ms);

  let recurrenceMs: number | undefined;
  const recurrenceProp = props.first('recurrence-id');
  if (recurrenceProp) {
    const recurrence = readTimeValue(values(recurrenceProp)[0], recurrenceProp, ctx, notes);
    if (!recurrence) return skipped(badValue(component, 'RECURRENCE-ID'));
    const { wall } = recurrence;
    // Exchange names a moved all-day occurrence by local midnight in its own zone
    // (RECURRENCE-ID;TZID=W. Europe Standard Time:20260226T000000): that is the date 2026-02-26.
    const midnight = !wall.isDate && wall.hour === 0 && wall.minute === 0 && wall.second === 0;
    recurrenceMs = allDay && midnight ? wallClockToMillis({ ...wall, isDate: true }, ctx.council) : recurrence.ms;
  }

  const uid = uidText || `${contentHash}@wardwatch.invalid`;
  const recurrenceId = recurrenceMs === undefined ? undefined : new Date(recurrenceMs).toISOString();
  const series = recurrenceId === undefined ? readSeries(props, start, allDay, length, ctx, notes) : undefined;
  const organizerProp = props.first('organizer');
  const organizer = organizerProp ? calAddress(organizerProp) : undefined;
  // The first line for each address counts (a set, not a search of the list: 20,000 attendees happen).
  const attendees: Attendee[] = [];
  const listed = new Set<string>();
  for (const prop of props.all('attendee')) {
    const attendee = attendeeOf(prop);
    if (!attendee || listed.has(attendee.address)) continue;
    listed.add(attendee.address);
    attendees.push(attendee);
  }
  const sequence = Number(props.text('sequence'));
  const classText = props.text('class').trim().toUpperCase();
  const timeZone = allDay ? ctx.opts.timeZone : zoneName(start.rule);

  const item: EventItem = {
    kind: 'event',
    key: recurrenceId === undefined ? uid : `${uid}#${recurrenceId}`,
    uid,
    ...(recurrenceId !== undefined ? { recurrenceId } : {}),
    calendarId: ctx.opts.calendarId,
    ...(method ? { method } : {}),
    summary,
    description: props.text('description'),
    location: props.text('location'),
    categories: categoriesOf(props),
    start: new Date(start.ms).toISOString(),
    end: new Date(endMs).toISOString(),
    allDay,
    ...(timeZone ? { timeZone } : {}),
    status: pick(props.text('status'), STATUSES, 'CONFIRMED', 'CONFIRMED'),
    // RFC 5545 3.8.1.3: an unrecognised classification is treated as PRIVATE.
    classification: classText === '' ? 'PUBLIC' : CLASSES.includes(classText) ? classText : 'PRIVATE',
    ...(organizer ? { organizer } : {}),
    attendees,
    sequence: Number.isInteger(sequence) && sequence >= 0 ? sequence : 0,
    recurring: series !== undefined,
    occurrences: [],
    origin: ctx.opts.origin,
    ...(ctx.opts.etag !== undefined ? { etag: ctx.opts.etag } : {}),
    contentHash,
  };
  return {
    parsed: { item, ...(series ? { series } : {}), ...(recurrenceMs !== undefined ? { recurrenceMs } : {}), notes, label },
    problems: [],
  };
}

// ---------------------------------------------------------------------------------------------
// The file

function methodOf(calendar: RawComponent): string | undefined {
  const line = calendar.own.find((l) => lineName(l.text) === 'METHOD');
  const value = line ? lineValue(line.text).trim().toUpperCase() : '';
  return value === '' ? undefined : value;
}

function readZones(calendars: RawComponent[], report: (reason: string) => void): ZoneDefinitions {
  const zones = new Map<string, { definition: ICAL.Timezone; iana?: string }>();
  for (const calendar of calendars) {
    for (const child of calendar.children) {
      if (child.name !== 'VTIMEZONE') continue;
      try {
        const component = new ICAL.Component(JcalComponentSchema.parse(firstJcal(ICAL.parse(componentText(child)))));
        const read = readVTimezone(component);
        if ('problem' in read) report(`${capitalise(read.problem)}; times that use it were read by their time zone name instead.`);
        else if (!zones.has(read.tzid)) zones.set(read.tzid, { definition: read.definition, ...(read.iana ? { iana: read.iana } : {}) });
      } catch (err) {
        const tzid = child.own.find((l) => lineName(l.text) === 'TZID');
        const name = tzid ? ` "${shorten(lineValue(tzid.text), 60)}"` : '';
        report(`The time zone definition${name} could not be read (${shorten(errorMessage(err), 100)}); times that use it were read by its name instead.`);
      }
    }
  }
  return zones;
}

function sameKeyProblem(kept: ParsedEvent, dropped: ParsedEvent): string {
  const which =
    kept.item.sequence === dropped.item.sequence
      ? `both copies have SEQUENCE ${kept.item.sequence}, so the later one in the file was used`
      : `the copy with the higher SEQUENCE (${kept.item.sequence}) was used and the other (SEQUENCE ${dropped.item.sequence}) was set aside`;
  return `${kept.label} appears more than once in this calendar${kept.item.recurrenceId ? ` for the occurrence of ${kept.item.recurrenceId}` : ''}; ${which}.`;
}

/** Reports a problem with the file: an `error` when something in it could not be read, a `warning` when it was read with a remark. */
type Report = (reason: string, severity?: ProblemSeverity) => void;

/** Reads one iCalendar text. Never throws. */
export function parseCalendar(source: string, options: ParseCalendarOptions): ParsedCalendar {
  const origin = typeof options?.origin === 'string' ? options.origin : '';
  const problems: Problem[] = [];
  const report: Report = (reason, severity = 'error') => {
    problems.push(severity === 'warning' ? { origin, kind: 'calendar', reason, severity } : { origin, kind: 'calendar', reason });
  };
  const checked = OptionsSchema.safeParse(options);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    report(`The calendar could not be read because Wardwatch was given an invalid setting: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'unknown'}.`);
    return { events: [], problems };
  }
  const opts: ParseCalendarOptions = checked.data;
  try {
    return readCalendarText(typeof source === 'string' ? source : '', opts, problems, report);
  } catch (err) {
    report(`The calendar could not be read: ${shorten(errorMessage(err), 200)}.`);
    return { events: [], problems };
  }
}

function readCalendarText(source: string, opts: ParseCalendarOptions, problems: Problem[], report: Report): ParsedCalendar {
  if (source.trim() === '') {
    report('not an iCalendar file: the file is empty');
    return { events: [], problems };
  }
  const roots = splitComponents(source);
  const calendars = roots.filter((c) => c.name === 'VCALENDAR');
  const strays = roots.filter((c) => c.name === 'VEVENT' || c.name === 'VTIMEZONE');
  if (calendars.length === 0 && !strays.some((c) => c.name === 'VEVENT')) {
    report('not an iCalendar file: missing BEGIN:VCALENDAR');
    return { events: [], problems };
  }
  if (strays.length > 0) {
    // A bare VEVENT (as some tools save a single event) is still read, inside an implied calendar.
    report('Part of the file is outside BEGIN:VCALENDAR … END:VCALENDAR; it was read as if it were inside.', 'warning');
    calendars.push({ name: 'VCALENDAR', span: { lines: [], from: 0, to: 0 }, own: [], children: strays, closed: true });
  }
  if (calendars.some((c) => !c.closed)) {
    report('The calendar has no END:VCALENDAR, so the file may be cut short; the events that were complete have been read.', 'warning');
  }

  const ctx: CalendarContext = { opts, zones: readZones(calendars, (reason) => report(reason, 'warning')), council: { kind: 'iana', name: opts.timeZone } };
  const parsed: ParsedEvent[] = [];
  for (const calendar of calendars) {
    const method = methodOf(calendar);
    for (const child of calendar.children) {
      if (child.name !== 'VEVENT') continue;
      try {
        const result = readEvent(child, method, ctx);
        for (const reason of result.problems) report(reason);
        if (result.parsed) parsed.push(result.parsed);
      } catch (err) {
        const uid = child.own.find((l) => lineName(l.text) === 'UID');
        report(`${labelOf(uid ? lineValue(uid.text).trim() : undefined, '')} could not be read: ${shorten(errorMessage(err), 200)}.`);
      }
    }
  }

  // One item per key: when a file holds the same event twice, the highest SEQUENCE (then the later copy) wins.
  const byKey = new Map<string, ParsedEvent>();
  for (const event of parsed) {
    const earlier = byKey.get(event.item.key);
    if (!earlier) {
      byKey.set(event.item.key, event);
      continue;
    }
    const winner = event.item.sequence >= earlier.item.sequence ? event : earlier;
    const loser = winner === event ? earlier : event;
    if (winner.item.contentHash !== loser.item.contentHash) winner.notes.add(sameKeyProblem(winner, loser));
    byKey.set(event.item.key, winner);
  }

  const overridden = new Map<string, Set<number>>();
  for (const event of byKey.values()) {
    if (event.recurrenceMs === undefined) continue;
    const set = overridden.get(event.item.uid) ?? new Set<number>();
    set.add(event.recurrenceMs);
    overridden.set(event.item.uid, set);
  }

  const window = { fromMs: Date.parse(opts.horizon.from), toMs: Date.parse(opts.horizon.to) };
  const events: EventItem[] = [];
  for (const event of byKey.values()) {
    if (event.series) {
      try {
        const expansion = expandOccurrences({ ...event.series, overridden: overridden.get(event.item.uid) ?? new Set(), window });
        event.item.occurrences = expansion.occurrences;
        for (const note of expansion.notes) event.notes.add(note);
      } catch (err) {
        event.notes.add(`its repeat rule could not be expanded (${shorten(errorMessage(err), 100)}), so no occurrences were listed`);
      }
    }
    // The event was read: what there is to say about it is a warning.
    for (const note of event.notes.notes) report(note.startsWith(event.label) ? note : `${event.label}: ${note}.`, 'warning');
    events.push(event.item);
  }
  return { events, problems };
}
