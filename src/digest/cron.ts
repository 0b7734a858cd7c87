/**
 * A small cron evaluator for the digest's schedule, in the council's timezone.
 *
 * node-cron runs the schedule but offers no "when is the next (or the last) run" that can be
 * relied on, so the digest computes occurrences itself, over the same 5-field syntax node-cron
 * validates: minute, hour, day of month, month, day of week, each `*`, a number, a range `a-b`,
 * a step `* /n`, `a-b/n` or `a/n`, or a list of those; month and weekday names (jan, mon …) and
 * the nicknames `@daily`, `@weekly` … are understood too. A leading sixth field (seconds, which
 * node-cron accepts) is ignored: the digest is scheduled to the minute. As in node-cron, every
 * field must match (day of month AND day of week), and 7 means Sunday as well as 0.
 *
 * Occurrences are wall-clock times in the timezone: a time that does not exist on the day the
 * clocks go forward is skipped that day, and one that happens twice when they go back matches
 * twice (the digest is sent once per date anyway).
 */
import { wallClockParts, type WallClockParts } from '../elections/zoned-time.js';

export interface CronSchedule {
  /** The expression as given. */
  readonly expression: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekdays: ReadonlySet<number>;
}

/** The expression cannot be read; the message says which field and why, for a Clerk. */
export class CronSyntaxError extends Error {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`The schedule "${expression}" cannot be read: ${reason}. It should have five fields (minute hour day month weekday), e.g. "30 7 * * 1-5".`);
    this.name = 'CronSyntaxError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const LONG_NAMES: Readonly<Record<string, string>> = {
  january: 'jan', february: 'feb', march: 'mar', april: 'apr', june: 'jun', july: 'jul', august: 'aug',
  september: 'sep', october: 'oct', november: 'nov', december: 'dec',
  sunday: 'sun', monday: 'mon', tuesday: 'tue', wednesday: 'wed', thursday: 'thu', friday: 'fri', saturday: 'sat',
};

function valueOf(token: string, field: FieldSpec, expression: string): number {
  const lower = token.toLowerCase();
  const named = field.names?.indexOf(LONG_NAMES[lower] ?? lower) ?? -1;
  if (named >= 0) return field.name === 'month' ? named + 1 : named;
  if (!/^\d+$/.test(token)) throw new CronSyntaxError(expression, `"${token}" is not a number in the ${field.name} field`);
  const n = Number(token);
  if (n < field.min || n > field.max) {
    throw new CronSyntaxError(expression, `${n} is outside the ${field.name} field's range ${field.min}–${field.max}`);
  }
  return n;
}

function parseField(text: string, field: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw new CronSyntaxError(expression, `the ${field.name} field has an empty item in its list`);
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronSyntaxError(expression, `"${part}" has more than one "/" in the ${field.name} field`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronSyntaxError(expression, `the step "/${stepText}" in the ${field.name} field should be a whole number of at least 1`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = field.min;
      to = field.name === 'day of week' ? 6 : field.max;
    } else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw new CronSyntaxError(expression, `"${range}" is not a range in the ${field.name} field`);
      from = valueOf(a, field, expression);
      to = valueOf(b, field, expression);
      if (from > to) throw new CronSyntaxError(expression, `the range "${range}" in the ${field.name} field runs backwards`);
    } else {
      from = valueOf(range, field, expression);
      // "a/n" means from a to the end of the field, every n.
      to = stepText !== undefined ? (field.name === 'day of week' ? 6 : field.max) : from;
    }
    for (let v = from; v <= to; v += step) values.add(field.name === 'day of week' && v === 7 ? 0 : v);
  }
  return values;
}

/** Read a cron expression; throws CronSyntaxError, naming the field, when it cannot. */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim();
  const expanded = NICKNAMES[trimmed.toLowerCase()] ?? trimmed;
  let fields = expanded.split(/\s+/).filter((f) => f !== '');
  if (fields.length === 6) fields = fields.slice(1);
  if (fields.length !== 5) throw new CronSyntaxError(expression, `it has ${fields.length} field${fields.length === 1 ? '' : 's'}`);
  const [minutes, hours, daysOfMonth, months, weekdays] = fields.map((f, i) => parseField(f, FIELDS[i] as FieldSpec, expression)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  return { expression, minutes, hours, daysOfMonth, months, weekdays };
}

/** Wall-clock parts of an instant in a timezone. */
export type LocalTime = WallClockParts;

export function localTime(instant: Date, timeZone: string): LocalTime {
  return wallClockParts(instant, timeZone);
}

function dayMatches(schedule: CronSchedule, t: LocalTime): boolean {
  return schedule.months.has(t.month) && schedule.daysOfMonth.has(t.day) && schedule.weekdays.has(t.weekday);
}

/** True when the schedule fires in the minute of `instant` (wall-clock time in `timeZone`). */
export function cronMatches(schedule: CronSchedule, instant: Date, timeZone: string): boolean {
  const t = localTime(instant, timeZone);
  return dayMatches(schedule, t) && schedule.hours.has(t.hour) && schedule.minutes.has(t.minute);
}

const MINUTE_MS = 60_000;
/** How far the search looks, forwards or backwards, before saying there is no occurrence. */
export const SEARCH_LIMIT_DAYS = 400;

/**
 * Step minute by minute from `start` in `direction` (+1 or −1) until the schedule matches,
 * skipping whole hours whose day or hour cannot match. Returns undefined after 400 days.
 */
function search(schedule: CronSchedule, start: number, timeZone: string, direction: 1 | -1): Date | undefined {
  const limit = start + direction * SEARCH_LIMIT_DAYS * 24 * 60 * MINUTE_MS;
  let t = start;
  while (direction === 1 ? t <= limit : t >= limit) {
    const local = localTime(new Date(t), timeZone);
    if (!dayMatches(schedule, local) || !schedule.hours.has(local.hour)) {
      // Jump to the first minute of the next hour, or the last minute of the previous one.
      t += direction === 1 ? (60 - local.minute) * MINUTE_MS : -(local.minute + 1) * MINUTE_MS;
      continue;
    }
    if (schedule.minutes.has(local.minute)) return new Date(t);
    t += direction * MINUTE_MS;
  }
  return undefined;
}

function floorToMinute(instant: Date): number {
  return Math.floor(instant.getTime() / MINUTE_MS) * MINUTE_MS;
}

/** The first occurrence strictly after `after`, or undefined when there is none within 400 days. */
export function nextOccurrence(schedule: CronSchedule, timeZone: string, after: Date): Date | undefined {
  return search(schedule, floorToMinute(after) + MINUTE_MS, timeZone, 1);
}

/** The latest occurrence at or before `atOrBefore`, or undefined when there is none within 400 days. */
export function previousOccurrence(schedule: CronSchedule, timeZone: string, atOrBefore: Date): Date | undefined {
  return search(schedule, floorToMinute(atOrBefore), timeZone, -1);
}
