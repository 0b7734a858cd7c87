/** Converting a wall-clock time in an IANA zone to a UTC instant, with Intl only. */

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

function offsetMinutes(utcMillis: number, timeZone: string): number {
  const dtf = wallClock(timeZone);
  const parts = Object.fromEntries(dtf.formatToParts(new Date(utcMillis)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
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

/** The calendar day (YYYY-MM-DD) and time (HH:MM) of an instant in `timeZone`, and its weekday (0 = Sunday). */
export function zonedParts(instant: Date, timeZone: string): { day: string; time: string; weekday: number } {
  const dtf = dayAndTime(timeZone);
  const p = Object.fromEntries(dtf.formatToParts(instant).map((x) => [x.type, x.value]));
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return { day: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, weekday: weekdays.indexOf(String(p.weekday)) };
}

export function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
