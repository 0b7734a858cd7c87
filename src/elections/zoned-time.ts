/**
 * Wall-clock time in IANA zones, with Intl only: the offset of a zone at an instant, a wall-clock
 * time's instant, and an instant's wall-clock parts. The one place that reads zones with Intl
 * (iCalendar times, the digest's cron and the outbox's quiet hours use it too).
 */

/**
 * One formatter per zone and purpose: building an Intl.DateTimeFormat costs far more than using
 * one. An unknown zone is not cached, so it fails (RangeError) every time it is asked for.
 */
function formatterCache(options: Intl.DateTimeFormatOptions): (timeZone: string) => Intl.DateTimeFormat {
  const byZone = new Map<string, Intl.DateTimeFormat>();
  return (timeZone) => {
    let dtf = byZone.get(timeZone);
    if (!dtf) {
      dtf = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
      byZone.set(timeZone, dtf);
    }
    return dtf;
  };
}

const wallClock = formatterCache({
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

const dayAndTime = formatterCache({
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  weekday: 'short',
});

/**
 * An instant's wall-clock time in `timeZone` as `YYYY-MM-DDTHH:MM:SS`, or undefined when the zone
 * is not one this Node knows (a calendar's TZID is outside input).
 */
export function wallClockText(utcMillis: number, timeZone: string): string | undefined {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = wallClock(timeZone).formatToParts(new Date(utcMillis));
  } catch {
    return undefined;
  }
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
}

/** Milliseconds of a wall-clock time read as UTC (years below 100 stay as written, unlike Date.UTC). */
function asUtcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** Minutes east of UTC in `timeZone` at an instant. */
export function offsetMinutes(utcMillis: number, timeZone: string): number {
  const parts: Record<string, string> = {};
  for (const part of wallClock(timeZone).formatToParts(new Date(utcMillis))) parts[part.type] = part.value;
  const asUtc = asUtcMillis(
    Number(parts.year),
    Number(parts.month),
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((asUtc - utcMillis) / 60000);
}

/** The UTC instant of `YYYY-MM-DD` at `HH:MM` wall-clock time in `timeZone`. */
export function zonedToUtc(day: string, time: string, timeZone: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let offset = offsetMinutes(guess, timeZone);
  let instant = guess - offset * 60000;
  const offset2 = offsetMinutes(instant, timeZone);
  if (offset2 !== offset) {
    offset = offset2;
    instant = guess - offset * 60000;
  }
  return new Date(instant);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The wall-clock parts of an instant in a zone (to the minute). */
export interface WallClockParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday. */
  weekday: number;
}

/** An instant's wall-clock parts in `timeZone`. */
export function wallClockParts(instant: Date, timeZone: string): WallClockParts {
  const parts: Record<string, string> = {};
  for (const part of dayAndTime(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(parts.weekday ?? ''),
  };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The calendar day (YYYY-MM-DD) and time (HH:MM) of an instant in `timeZone`, and its weekday (0 = Sunday). */
export function zonedParts(instant: Date, timeZone: string): { day: string; time: string; weekday: number } {
  const p = wallClockParts(instant, timeZone);
  return { day: `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)}`, time: `${two(p.hour)}:${two(p.minute)}`, weekday: p.weekday };
}

export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
