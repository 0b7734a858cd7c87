/**
 * The one iTIP builder (RFC 5546), for calendar messages that travel by mail as iMIP (RFC 6047)
 * through any sender:
 * - `buildInvitationRequest`: a REQUEST inviting one person, made from what Wardwatch knows of
 *   the event (no calendar server to edit). It carries the organiser's event UID, so that when
 *   the person accepts, the reply joins the organiser's event instead of creating a new one.
 * - `itipFrom`: the REQUEST, REPLY or CANCEL cut from the organiser's own calendar object after
 *   Wardwatch edited it on the calendar server (attendees added, a room's booking declined).
 * Built with ical.js, never by concatenating strings: every value is escaped and folded as
 * RFC 5545 requires.
 */
import ICAL from 'ical.js';
import { zonedParts } from '../elections/zoned-time.js';
import type { Address, EventStatus } from '../items/types.js';

type Component = InstanceType<typeof ICAL.Component>;

export type ItipMethod = 'REQUEST' | 'REPLY' | 'CANCEL';

export const PRODUCT_ID = '-//Wardwatch//Member-Officer Protocol//EN';

/** What an invitation needs to know about the event (an EventItem has all of it). */
export interface InvitedEvent {
  uid: string;
  /** ISO 8601 UTC: present when the invitation is to one occurrence of a series. */
  recurrenceId?: string;
  sequence: number;
  /** ISO 8601 UTC instants (for an all-day event: midnight, council time, of the first day and of the day after the last). */
  start: string;
  end: string;
  allDay: boolean;
  summary: string;
  location: string;
  organizer?: Address;
  status?: EventStatus;
  /** For a series: the start of each known occurrence (ISO UTC). Written as RDATEs besides DTSTART. */
  occurrenceStarts?: readonly string[];
}

export interface InvitationRequestInput {
  event: InvitedEvent;
  /** The person being invited. */
  attendee: Address;
  /** The ORGANIZER when the event names none (RFC 5546 requires one): the council's service address. */
  fallbackOrganizer: Address;
  /** The council's zone: all-day dates are the days in this zone. */
  timeZone: string;
  /** DTSTAMP: when the invitation was made. */
  now: Date;
  /** A short note for the DESCRIPTION (why the person is invited). */
  description?: string;
}

function utcTime(iso: string, what: string): ICAL.Time {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new Error(`The event's ${what} ("${iso}") is not a date and time, so no invitation can be made.`);
  return ICAL.Time.fromJSDate(new Date(millis), true);
}

function localDate(iso: string, timeZone: string, what: string): ICAL.Time {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis)) throw new Error(`The event's ${what} ("${iso}") is not a date, so no invitation can be made.`);
  return ICAL.Time.fromDateString(zonedParts(new Date(millis), timeZone).day);
}

function timeOf(iso: string, allDay: boolean, timeZone: string, what: string): ICAL.Time {
  return allDay ? localDate(iso, timeZone, what) : utcTime(iso, what);
}

function addCalAddress(component: ICAL.Component, name: 'organizer' | 'attendee', who: Address): ICAL.Property {
  const property = new ICAL.Property(name, component);
  property.setValue(`mailto:${who.address}`);
  if (who.name !== undefined && who.name.trim() !== '') property.setParameter('cn', who.name.trim());
  component.addProperty(property);
  return property;
}

/** The VCALENDAR text (CRLF line endings) of a METHOD:REQUEST inviting `attendee` to the event. */
export function buildInvitationRequest(input: InvitationRequestInput): string {
  const { event, attendee, timeZone } = input;
  if (event.uid.trim() === '') throw new Error('The event has no UID, so an invitation could not be linked to it.');

  const calendar = new ICAL.Component('vcalendar');
  calendar.addPropertyWithValue('prodid', PRODUCT_ID);
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('calscale', 'GREGORIAN');
  calendar.addPropertyWithValue('method', 'REQUEST');

  const vevent = new ICAL.Component('vevent');
  vevent.addPropertyWithValue('uid', event.uid);
  vevent.addPropertyWithValue('dtstamp', ICAL.Time.fromJSDate(input.now, true));
  vevent.addPropertyWithValue('sequence', Math.max(0, Math.trunc(event.sequence)));
  vevent.addPropertyWithValue('dtstart', timeOf(event.start, event.allDay, timeZone, 'start'));
  vevent.addPropertyWithValue('dtend', timeOf(event.end, event.allDay, timeZone, 'end'));
  if (event.recurrenceId !== undefined) {
    vevent.addPropertyWithValue('recurrence-id', timeOf(event.recurrenceId, event.allDay, timeZone, 'occurrence'));
  } else {
    for (const start of event.occurrenceStarts ?? []) {
      if (start === event.start) continue;
      vevent.addPropertyWithValue('rdate', timeOf(start, event.allDay, timeZone, 'occurrence'));
    }
  }
  vevent.addPropertyWithValue('summary', event.summary.trim() === '' ? '(no title)' : event.summary);
  if (event.location.trim() !== '') vevent.addPropertyWithValue('location', event.location);
  if (input.description !== undefined && input.description.trim() !== '') vevent.addPropertyWithValue('description', input.description);
  if (event.status !== undefined) vevent.addPropertyWithValue('status', event.status);
  vevent.addPropertyWithValue('transp', 'OPAQUE');

  addCalAddress(vevent, 'organizer', event.organizer ?? input.fallbackOrganizer);
  const invited = addCalAddress(vevent, 'attendee', attendee);
  invited.setParameter('cutype', 'INDIVIDUAL');
  invited.setParameter('role', 'REQ-PARTICIPANT');
  invited.setParameter('partstat', 'NEEDS-ACTION');
  invited.setParameter('rsvp', 'TRUE');

  calendar.addSubcomponent(vevent);
  return itipFrom(calendar, [vevent], 'REQUEST');
}

/** `mailto:Clerk@X.org` → `clerk@x.org`. */
export function calAddress(value: unknown): string {
  const s = typeof value === 'string' ? value : '';
  return s.replace(/^mailto:/i, '').trim().toLowerCase();
}

/**
 * The iTIP message (CRLF line endings) about `events` of a calendar object: the VCALENDAR with
 * only those VEVENTs, METHOD set; in a REPLY only the replying attendee is kept (RFC 5546
 * §3.2.3). The calendar is changed in place.
 */
export function itipFrom(calendar: Component, events: readonly Component[], method: ItipMethod, replyingAttendee?: string): string {
  const keep = new Set(events);
  for (const event of calendar.getAllSubcomponents('vevent')) {
    if (!keep.has(event)) calendar.removeSubcomponent(event);
  }
  calendar.updatePropertyWithValue('method', method);
  if (method === 'REPLY' && replyingAttendee) {
    const who = replyingAttendee.toLowerCase();
    for (const event of keep) {
      for (const p of event.getAllProperties('attendee')) {
        if (calAddress(p.getFirstValue()) !== who) event.removeProperty(p);
      }
    }
  }
  return calendar.toString();
}
