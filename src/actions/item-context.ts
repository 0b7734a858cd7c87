/**
 * What the executor can still learn about the item a finding concerns, when the effect is carried
 * out (perhaps hours later, after quiet hours or a restart): the stored original of a message, or
 * the stored summary of an event. Messages name the item by its subject and date; when the store no
 * longer holds it, they say so politely instead of failing.
 */
import { errorMessage } from '../model/error-message.js';
import type { CalendarConfig } from '../config/schema.js';
import type { Directory } from '../directory/directory.js';
import { zonedParts } from '../elections/zoned-time.js';
import { parseMail } from '../items/mail-parse.js';
import { headlineOf } from '../items/headline.js';
import type { Address } from '../items/types.js';
import type { EventSummary, MailHeadline, Store } from '../store/types.js';
import { describeAddress, mailData, type ItemData } from '../templates/data.js';
import { formatDay, formatWhen } from '../templates/wording.js';

export interface ItemDetails {
  /** The item's part of every template's data. */
  data: ItemData;
  /** The message's headline: saved with its original, or (for originals saved before headlines were) read from it. */
  mail?: MailHeadline;
  /** The message's raw source, for a routed copy. */
  original?: Buffer;
  /** The event as last seen. */
  event?: EventSummary;
  /** Why the item's details are not available, in a sentence (absent when they are). */
  missing?: string;
}

export interface ItemContextDeps {
  store: Pick<Store, 'getOriginal' | 'getMailHeadline' | 'getEvent'>;
  directory: Directory;
  calendars: ReadonlyMap<string, CalendarConfig>;
  timeZone: string;
}

/** `UID#2027-03-01T10:00:00.000Z` → the UID and the occurrence; a plain UID has no occurrence. */
export function splitEventKey(key: string): { uid: string; recurrenceId?: string } {
  const hash = key.lastIndexOf('#');
  if (hash > 0) {
    const suffix = key.slice(hash + 1);
    if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(suffix) && !Number.isNaN(Date.parse(suffix))) {
      return { uid: key.slice(0, hash), recurrenceId: suffix };
    }
  }
  return { uid: key };
}

/** An event stored without an all-day flag: it runs from midnight to midnight, council time. */
export function looksAllDay(start: string, end: string, timeZone: string): boolean {
  const s = Date.parse(start);
  const e = Date.parse(end);
  if (Number.isNaN(s) || Number.isNaN(e) || e <= s) return false;
  return zonedParts(new Date(s), timeZone).time === '00:00' && zonedParts(new Date(e), timeZone).time === '00:00';
}

/** A person as a mail address with their directory name. */
export function addressOf(directory: Directory, address: string): Address {
  const person = directory.person(address);
  const lower = address.trim().toLowerCase();
  return person ? { address: lower, name: person.name } : { address: lower };
}

/** An event's organiser as a mail address: the directory's name, else the name the event gave. */
export function organizerOf(directory: Directory, event: Pick<EventSummary, 'organizer' | 'organizerName'>): Address | undefined {
  if (event.organizer === undefined) return undefined;
  const known = addressOf(directory, event.organizer);
  if (known.name !== undefined) return known;
  const given = event.organizerName?.trim();
  return given ? { ...known, name: given } : known;
}

/** The name the directory knows for an address, else the address itself. */
export function nameOf(directory: Directory, address: string): string {
  return directory.person(address)?.name ?? address;
}

/** A calendar's name for people: its configured name, else its id in words ("council-chamber" → "Council Chamber"). */
export function calendarName(calendars: ReadonlyMap<string, CalendarConfig>, calendarId: string): string {
  const name = calendars.get(calendarId)?.name;
  if (name !== undefined && name.trim() !== '') return name;
  return calendarId
    .split(/[-_\s]+/)
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

function eventData(event: EventSummary, deps: ItemContextDeps, occurrenceStart?: string): ItemData {
  const allDay = event.allDay ?? looksAllDay(event.start, event.end, deps.timeZone);
  // A finding on a recurring series names the occurrence concerned, not the series' first date.
  const start = occurrenceStart ?? event.start;
  const when = allDay ? formatDay(start, deps.timeZone) : formatWhen(start, deps.timeZone);
  return {
    kind: 'event',
    isEvent: true,
    subject: event.summary,
    date: when,
    start: when,
    location: event.location.trim() !== '' ? event.location : null,
    calendar: calendarName(deps.calendars, event.calendarId),
    from: event.organizer !== undefined ? describeAddress(organizerOf(deps.directory, event) ?? { address: event.organizer }) : null,
  };
}

function unavailable(kind: 'mail' | 'event', missing: string): ItemDetails {
  const data: ItemData =
    kind === 'mail'
      ? { kind, isEvent: false, subject: '(subject not available)', date: 'an unknown date', start: null, location: null, calendar: null, from: null }
      : { kind, isEvent: true, subject: '(title not available)', date: 'an unknown date', start: null, location: null, calendar: null, from: null };
  return { data, missing };
}

/**
 * The details of the item `ref` names, from the store. Never throws for a missing item.
 * `occurrence`: for a finding on a recurring series, the occurrence concerned (its start is the date given).
 */
export async function loadItemDetails(
  ref: { kind: 'mail' | 'event'; key: string },
  deps: ItemContextDeps,
  occurrence?: { start: string },
): Promise<ItemDetails> {
  if (ref.kind === 'event') {
    const event = await deps.store.getEvent(ref.key);
    if (!event) return unavailable('event', `Wardwatch no longer holds the details of the event ${ref.key}`);
    return { data: eventData(event, deps, occurrence?.start), event };
  }
  const original = await deps.store.getOriginal(ref.key);
  if (!original) return unavailable('mail', `Wardwatch no longer holds a copy of the message ${ref.key}`);
  let mail: MailHeadline | undefined;
  try {
    mail = await deps.store.getMailHeadline(ref.key);
  } catch {
    // An unreadable headline in the state file: the original still names the message.
    mail = undefined;
  }
  if (mail === undefined) {
    // Saved before headlines were kept with originals (or unreadable): read it from the original.
    try {
      mail = headlineOf(await parseMail(original, { mailbox: '', folder: 'inbox', origin: `stored original ${ref.key}` }));
    } catch (err) {
      const details = unavailable('mail', `the stored copy of the message ${ref.key} could not be read (${errorMessage(err)})`);
      return { ...details, original };
    }
  }
  const from = mail.from[0];
  const withNames: MailHeadline = from ? { ...mail, from: [from.name ? from : addressOf(deps.directory, from.address), ...mail.from.slice(1)] } : mail;
  return { data: mailData(withNames, deps.timeZone), mail, original };
}
