/**
 * Dates and times in words, as a clerk writes them ("Tuesday 13 April 2027 at 10:30"), in the
 * council's time zone: the one place every message, rule summary, digest and report takes them from.
 */

/** Formatters are costly to make and a digest formats thousands of dates: one per zone and style. */
const FORMATS = new Map<string, Intl.DateTimeFormat>();

type Style = 'day' | 'time' | 'date';

function formatter(timeZone: string, style: Style): Intl.DateTimeFormat {
  const key = `${timeZone}\u0000${style}`;
  let format = FORMATS.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(
      'en-GB',
      style === 'time'
        ? { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
        : { timeZone, ...(style === 'day' ? { weekday: 'long' } : {}), day: 'numeric', month: 'long', year: 'numeric' },
    );
    FORMATS.set(key, format);
  }
  return format;
}

function parts(iso: string, timeZone: string, style: Style): Map<string, string> | undefined {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  return new Map(formatter(timeZone, style).formatToParts(date).map((p) => [p.type, p.value]));
}

/** "Tuesday 13 April 2027" in the council's time zone; the input as given when it is not a date. */
export function formatDay(iso: string, timeZone: string): string {
  const p = parts(iso, timeZone, 'day');
  if (p === undefined) return iso;
  return `${p.get('weekday') ?? ''} ${p.get('day') ?? ''} ${p.get('month') ?? ''} ${p.get('year') ?? ''}`;
}

/** "Tuesday 13 April 2027 at 10:30" in the council's time zone (the time left out for an all-day event); the input as given when it is not a date. */
export function formatWhen(iso: string, timeZone: string, allDay = false): string {
  if (allDay) return formatDay(iso, timeZone);
  const p = parts(iso, timeZone, 'time');
  if (p === undefined) return iso;
  return `${formatDay(iso, timeZone)} at ${p.get('hour') ?? ''}:${p.get('minute') ?? ''}`;
}

/** "Thursday 6 May 2027" for a calendar date (YYYY-MM-DD), such as polling day. */
export function formatDate(date: string): string {
  return formatDay(`${date.slice(0, 10)}T12:00:00.000Z`, 'UTC');
}

/** "12 January 2027": an instant as the council's local date, without the weekday. */
export function formatShortDay(iso: string, timeZone: string): string {
  const p = parts(iso, timeZone, 'date');
  if (p === undefined) return iso;
  return `${p.get('day') ?? ''} ${p.get('month') ?? ''} ${p.get('year') ?? ''}`;
}

/** "21 January 2027" for a calendar date (YYYY-MM-DD). */
export function formatShortDate(date: string): string {
  return formatShortDay(`${date.slice(0, 10)}T12:00:00.000Z`, 'UTC');
}
