/**
 * Time zones of iCalendar values: which zone a TZID names (a VTIMEZONE defined in the file, a
 * Windows name, an IANA name, an Outlook display name), and the UTC instant of a wall-clock time
 * in that zone. Wall-clock times are plain fields, so nothing depends on the host's zone.
 */
import ICAL from 'ical.js';
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { offsetMinutes } from '../elections/zoned-time.js';

/** A calendar date, or a date and time of day, as written (no zone attached). */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  isDate: boolean;
}

/** How wall-clock times of one TZID become instants. */
export type ZoneRule =
  | { kind: 'utc' }
  | { kind: 'iana'; name: string }
  | { kind: 'fixed'; offsetMinutes: number }
  | { kind: 'vtimezone'; tzid: string; definition: ICAL.Timezone; iana?: string };

/** A zone resolved for a TZID; `warning` says what was guessed when the TZID was not understood exactly. */
export interface ResolvedZone {
  rule: ZoneRule;
  warning?: string;
}

const DAY_MS = 86_400_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD` of a wall clock. */
export function wallDay(wall: WallClock): string {
  return `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;
}

/** The wall clock read as if it were UTC: cheap, and never more than a day away from the true instant. */
export function naiveMillis(wall: WallClock): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, 0);
  return date.getTime();
}

function fromNaiveMillis(ms: number, isDate: boolean): WallClock {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: isDate ? 0 : d.getUTCHours(),
    minute: isDate ? 0 : d.getUTCMinutes(),
    second: isDate ? 0 : d.getUTCSeconds(),
    isDate,
  };
}

/** The same wall-clock time `days` calendar days later (or earlier). */
export function addDays(wall: WallClock, days: number): WallClock {
  return fromNaiveMillis(naiveMillis(wall) + days * DAY_MS, wall.isDate);
}

/** Whole calendar days from `a` to `b` (dates only). */
export function daysBetween(a: WallClock, b: WallClock): number {
  return Math.round((naiveMillis({ ...b, hour: 0, minute: 0, second: 0 }) - naiveMillis({ ...a, hour: 0, minute: 0, second: 0 })) / DAY_MS);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(Z?)$/;
/** ical.js turns a DATE-TIME property holding only a date (`DTSTART:20261203`) into this. */
const DATE_AS_DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T::$/;

/**
 * A DATE or DATE-TIME value in ical.js's jCal form (`2026-12-03`, `2026-12-03T18:30:00`,
 * `2026-12-03T18:30:00Z`), checked strictly: month 13 or 31 February are refused, not rolled over.
 */
export function parseJcalDateValue(value: string): { wall: WallClock; utc: boolean } | undefined {
  const dateOnly = DATE_RE.exec(value) ?? DATE_AS_DATE_TIME_RE.exec(value);
  const dateTime = dateOnly ? null : DATE_TIME_RE.exec(value);
  const m = dateOnly ?? dateTime;
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (!dateTime) {
    return { wall: { year, month, day, hour: 0, minute: 0, second: 0, isDate: true }, utc: false };
  }
  const [hour, minute, second] = [Number(dateTime[4]), Number(dateTime[5]), Number(dateTime[6])];
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  return {
    wall: { year, month, day, hour, minute, second: Math.min(second, 59), isDate: false },
    utc: dateTime[7] === 'Z',
  };
}

const validZones = new Map<string, string | undefined>();
let canonicalZones: Map<string, string> | undefined;

/** The IANA name as the runtime knows it (case corrected), or undefined when `name` is not an IANA zone. */
export function ianaZone(name: string): string | undefined {
  if (validZones.has(name)) return validZones.get(name);
  let result: string | undefined;
  if (name !== '' && !/^[+-]/.test(name)) {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: name });
      canonicalZones ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
      result = canonicalZones.get(name.toLowerCase()) ?? name;
    } catch {
      result = undefined;
    }
  }
  validZones.set(name, result);
  return result;
}

let windowsIndex: Map<string, string> | undefined;

/** The IANA zone of a Windows time zone name (`GMT Standard Time` → `Europe/London`), case-insensitive. */
export function windowsZoneToIana(name: string): string | undefined {
  if (!windowsIndex) {
    windowsIndex = new Map();
    for (const entry of WINDOWS_TO_IANA_MAP) {
      const key = entry.windowsName.toLowerCase();
      const first = entry.iana[0];
      if (first === undefined) continue;
      // Territory 001 is the zone Windows itself maps the name to; other territories only fill gaps.
      if (entry.territory === '001' || !windowsIndex.has(key)) windowsIndex.set(key, first);
    }
  }
  return windowsIndex.get(name.toLowerCase());
}

let cityIndex: Map<string, string> | undefined;

/** An IANA zone whose city a display name mentions ("Amsterdam, Belgrade, Berlin, …" → Europe/Amsterdam): the first one named wins. */
function zoneByCity(text: string): string | undefined {
  if (!cityIndex) {
    cityIndex = new Map();
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      if (!zone.includes('/') || zone.startsWith('Etc/')) continue;
      const city = (zone.split('/').pop() ?? zone).replace(/_/g, ' ').toLowerCase();
      if (!cityIndex.has(city)) cityIndex.set(city, zone);
    }
  }
  const words = text.toLowerCase().split(/[^\p{L}]+/u).filter((w) => w !== '');
  for (let i = 0; i < words.length; i += 1) {
    // Longest first, so "New York" is not read as "York".
    for (let n = 3; n >= 1; n -= 1) {
      if (i + n > words.length) continue;
      const zone = cityIndex.get(words.slice(i, i + n).join(' '));
      if (zone) return zone;
    }
  }
  return undefined;
}

/** Strips the quotes and spaces that some producers leave around a TZID. */
export function cleanTzid(tzid: string): string {
  return tzid.trim().replace(/^"+|"+$/g, '').trim();
}

/** The TZID and the shorter names hidden inside it (`/mozilla.org/20070129_1/America/New_York` → `America/New_York`). */
function tzidCandidates(tzid: string): string[] {
  const cleaned = cleanTzid(tzid);
  const out = [cleaned];
  const segments = cleaned.split('/');
  for (let i = 1; i < segments.length; i += 1) out.push(segments.slice(i).join('/'));
  return [...new Set(out.flatMap((c) => [c.trim(), c.trim().replace(/ /g, '_')]))].filter((c) => c !== '');
}

/** Outlook writes display names such as `(UTC-05:00) Eastern Time (US & Canada)`. */
const DISPLAY_NAME_RE = /^\(\s*(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2}):?(\d{2}))?\s*\)\s*(.+)$/i;

/** The zone an Outlook display name stands for, checked against the offset it states. */
function zoneOfDisplayName(tzid: string): string | undefined {
  const m = DISPLAY_NAME_RE.exec(tzid);
  if (!m) return undefined;
  const stated = m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const text = (m[4] ?? '').trim();
  // "Eastern Time (US & Canada)" is Windows' "Eastern Standard Time".
  const base = text.replace(/\s*\(.*\)\s*$/, '').trim();
  const guesses = [windowsZoneToIana(base), windowsZoneToIana(base.replace(/\bTime$/i, 'Standard Time')), zoneByCity(text)];
  return guesses.find((zone) => zone !== undefined && standardOffsetMinutes(zone) === stated);
}

/** The zone's offset in its winter (the smaller of January's and July's), in minutes east of UTC. */
function standardOffsetMinutes(zone: string): number {
  const january = Date.UTC(2025, 0, 15, 12);
  const july = Date.UTC(2025, 6, 15, 12);
  return Math.min(offsetMinutes(january, zone), offsetMinutes(july, zone));
}

/** The IANA zone a TZID names: a Windows name, an IANA name (possibly behind a vendor prefix), or a display name. */
export function ianaForTzid(tzid: string): string | undefined {
  const candidates = tzidCandidates(tzid);
  for (const candidate of candidates) {
    const windows = windowsZoneToIana(candidate);
    if (windows) return windows;
    const iana = ianaZone(candidate);
    if (iana) return iana;
  }
  const cleaned = cleanTzid(tzid);
  if (DISPLAY_NAME_RE.test(cleaned)) return zoneOfDisplayName(cleaned);
  return zoneByCity(cleaned);
}

/** A fixed UTC offset written in a TZID, e.g. `(UTC+01:00) …`, `GMT +0100`, `UTC+11` (minutes east of UTC). */
export function fixedOffsetOfTzid(tzid: string): number | undefined {
  const m = /(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?/i.exec(tzid);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (minutes > 14 * 60) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

/** Time zones defined by the VTIMEZONE components of one file, keyed by their cleaned TZID. */
export type ZoneDefinitions = ReadonlyMap<string, { definition: ICAL.Timezone; iana?: string }>;

/**
 * Resolves a TZID: the file's own VTIMEZONE first, then a Windows or IANA name, then a city named in
 * an Outlook display name, then a fixed offset written in it; failing all of those, the council's zone.
 */
export function resolveTzid(tzid: string, definitions: ZoneDefinitions, fallbackZone: string): ResolvedZone {
  const cleaned = cleanTzid(tzid);
  const defined = definitions.get(cleaned);
  if (defined) {
    return { rule: { kind: 'vtimezone', tzid: cleaned, definition: defined.definition, ...(defined.iana ? { iana: defined.iana } : {}) } };
  }
  if (/^(z|utc|gmt|etc\/utc|etc\/gmt|zulu)$/i.test(cleaned)) return { rule: { kind: 'utc' } };
  const iana = ianaForTzid(cleaned);
  if (iana) return { rule: { kind: 'iana', name: iana } };
  const offset = fixedOffsetOfTzid(cleaned);
  if (offset !== undefined) {
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    return {
      rule: { kind: 'fixed', offsetMinutes: offset },
      warning: `its time zone "${cleaned}" is not one Wardwatch knows, so its times were read at the fixed offset UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)} (summer time is not allowed for)`,
    };
  }
  return {
    rule: { kind: 'iana', name: fallbackZone },
    warning: `its time zone "${cleaned}" is not one Wardwatch knows and the file does not define it, so its times were read as the council's local time (${fallbackZone})`,
  };
}

/** The IANA name to report for times written in this zone, when there is one. */
export function zoneName(rule: ZoneRule): string | undefined {
  switch (rule.kind) {
    case 'utc':
      return 'UTC';
    case 'iana':
      return rule.name;
    case 'vtimezone':
      return rule.iana;
    case 'fixed':
      return undefined;
  }
}

/** The UTC instant (milliseconds) of a wall-clock time in a zone. */
export function wallClockToMillis(wall: WallClock, rule: ZoneRule): number {
  switch (rule.kind) {
    case 'utc':
      return naiveMillis(wall);
    case 'fixed':
      return naiveMillis(wall) - rule.offsetMinutes * 60_000;
    case 'vtimezone': {
      const time = new ICAL.Time(
        { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute, second: wall.second, isDate: false },
        rule.definition,
      );
      return naiveMillis(wall) - rule.definition.utcOffset(time) * 1000;
    }
    case 'iana':
      return zonedMillis(wall, rule.name);
  }
}


/** Wall-clock times already converted, per zone: calendars repeat the same times (a series, a weekly slot). */
const converted = new Map<string, Map<number, number>>();
/** Conversions kept per zone before the zone's cache starts afresh. */
const MAX_CONVERSIONS_PER_ZONE = 8192;

/** The instant of a wall-clock time in an IANA zone (a time skipped by a summer-time change moves forward). */
function zonedMillis(wall: WallClock, zone: string): number {
  const guess = naiveMillis(wall);
  let known = converted.get(zone);
  const hit = known?.get(guess);
  if (hit !== undefined) return hit;
  const first = offsetMinutes(guess, zone);
  const instant = guess - first * 60_000;
  const second = offsetMinutes(instant, zone);
  const result = second === first ? instant : guess - second * 60_000;
  if (!known || known.size >= MAX_CONVERSIONS_PER_ZONE) {
    known = new Map();
    converted.set(zone, known);
  }
  known.set(guess, result);
  return result;
}

/** Parses one VTIMEZONE into a usable definition, or says why it cannot be used. */
export function readVTimezone(component: ICAL.Component): { tzid: string; definition: ICAL.Timezone; iana?: string } | { problem: string } {
  const rawTzid = component.getFirstPropertyValue('tzid');
  const tzid = typeof rawTzid === 'string' ? cleanTzid(rawTzid) : '';
  if (tzid === '') return { problem: 'a time zone definition (VTIMEZONE) has no TZID and was ignored' };
  const observances = [...component.getAllSubcomponents('standard'), ...component.getAllSubcomponents('daylight')];
  if (observances.length === 0) {
    return { problem: `the time zone definition "${tzid}" has no STANDARD or DAYLIGHT part and was ignored` };
  }
  for (const observance of observances) {
    if (!(observance.getFirstPropertyValue('tzoffsetto') instanceof ICAL.UtcOffset)) {
      return { problem: `the time zone definition "${tzid}" has a part without a valid TZOFFSETTO and was ignored` };
    }
    if (!(observance.getFirstPropertyValue('dtstart') instanceof ICAL.Time)) {
      return { problem: `the time zone definition "${tzid}" has a part without a valid DTSTART and was ignored` };
    }
    for (const rrule of observance.getAllProperties('rrule')) {
      const recur = rrule.getFirstValue();
      // Real zones change at most a few times a year; other rules could make ical.js iterate without end.
      if (!(recur instanceof ICAL.Recur) || recur.freq !== 'YEARLY') {
        return { problem: `the time zone definition "${tzid}" has a repeat rule that is not yearly and was ignored` };
      }
    }
  }
  const definition = new ICAL.Timezone(component);
  // Exercise it once so that a definition ical.js cannot expand is refused here, not mid-event.
  definition.utcOffset(new ICAL.Time({ year: 2026, month: 1, day: 1, hour: 12, minute: 0, second: 0, isDate: false }, definition));
  const location = component.getFirstPropertyValue('x-lic-location');
  const iana = ianaForTzid(tzid) ?? (typeof location === 'string' ? ianaZone(location.trim()) : undefined);
  return { tzid, definition, ...(iana ? { iana } : {}) };
}
