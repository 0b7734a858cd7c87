/**
 * Edits of one calendar object (a VCALENDAR with one UID), with ical.js: adding attendees to
 * the organiser's event, declining a room booking, and cutting out the iTIP message (REQUEST,
 * REPLY, CANCEL) that tells people about it. Pure functions: text in, text out.
 */
import { errorMessage } from '../../src/model/error-message.js';
import ICAL from 'ical.js';
import type { Address } from '../../src/items/types.js';
import { calAddress, itipFrom } from '../../src/mime/itip.js';
import { ConnectorError } from './errors.js';

type Component = InstanceType<typeof ICAL.Component>;
type Property = InstanceType<typeof ICAL.Property>;

export interface EventTarget {
  uid: string;
  /** ISO 8601 UTC RECURRENCE-ID of an overridden occurrence; absent for the event (or series) itself. */
  recurrenceId?: string;
}

export interface EventSummary {
  uid: string;
  recurrenceId?: string;
  summary: string;
  /** ISO 8601 UTC, when the event has a start. */
  start?: string;
  location: string;
  organizer?: Address;
  attendees: Address[];
  sequence: number;
}

function parse(ics: string): Component {
  try {
    const component = new ICAL.Component(ICAL.parse(ics));
    if (component.name !== 'vcalendar') throw new Error(`a ${component.name.toUpperCase()} instead of a VCALENDAR`);
    return component;
  } catch (err) {
    const reason = errorMessage(err);
    throw new ConnectorError(`The calendar object could not be read as iCalendar (${reason}).`, { permanent: true });
  }
}

function asTime(value: unknown): InstanceType<typeof ICAL.Time> | undefined {
  return value instanceof ICAL.Time ? value : undefined;
}

function isoOf(value: unknown): string | undefined {
  const time = asTime(value);
  return time ? time.toJSDate().toISOString() : undefined;
}

function textOf(component: Component, name: string): string {
  const v = component.getFirstPropertyValue(name);
  return typeof v === 'string' ? v : '';
}

export { calAddress };

function addressOf(prop: Property): Address {
  const address = calAddress(prop.getFirstValue());
  const cn = prop.getFirstParameter('cn');
  return typeof cn === 'string' && cn.length > 0 ? { address, name: cn } : { address };
}

/** The VEVENTs an edit applies to: the occurrence, or the series master and all its overrides. */
function targets(calendar: Component, target: EventTarget): Component[] {
  const all = calendar.getAllSubcomponents('vevent').filter((e) => textOf(e, 'uid') === target.uid);
  if (all.length === 0) throw new ConnectorError(`The event ${target.uid} is not in the calendar object.`, { permanent: true });
  if (target.recurrenceId) {
    const wanted = new Date(target.recurrenceId).toISOString();
    const instance = all.find((e) => isoOf(e.getFirstPropertyValue('recurrence-id')) === wanted);
    if (!instance) throw new ConnectorError(`The occurrence of ${target.uid} at ${wanted} is not in the calendar object.`, { permanent: true });
    return [instance];
  }
  const masters = all.filter((e) => !e.hasProperty('recurrence-id'));
  if (masters.length === 0) throw new ConnectorError(`The event ${target.uid} has only single occurrences; name the occurrence to change.`, { permanent: true });
  return all;
}

function bumpSequence(event: Component, now: Date): number {
  const current = event.getFirstPropertyValue('sequence');
  const next = (typeof current === 'number' ? current : Number(current ?? 0) || 0) + 1;
  event.updatePropertyWithValue('sequence', next);
  event.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(now, true));
  return next;
}

function summarize(event: Component): EventSummary {
  const out: EventSummary = {
    uid: textOf(event, 'uid'),
    summary: textOf(event, 'summary'),
    location: textOf(event, 'location'),
    attendees: event.getAllProperties('attendee').map(addressOf),
    sequence: Number(event.getFirstPropertyValue('sequence') ?? 0) || 0,
  };
  const rid = isoOf(event.getFirstPropertyValue('recurrence-id'));
  if (rid) out.recurrenceId = rid;
  const start = isoOf(event.getFirstPropertyValue('dtstart'));
  if (start) out.start = start;
  const organizer = event.getFirstProperty('organizer');
  if (organizer) out.organizer = addressOf(organizer);
  return out;
}

/** The summary of the master (or the occurrence) an edit targets. */
function primary(events: Component[]): Component {
  const first = events.find((e) => !e.hasProperty('recurrence-id')) ?? events[0];
  if (!first) throw new ConnectorError('The calendar object has no event.');
  return first;
}

export interface AttendeeEdit {
  ics: string;
  /** Attendees that were not on the event before. */
  added: Address[];
  event: EventSummary;
}

/**
 * Adds each address as `ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE` to the
 * targeted VEVENT(s), skipping those already there, and bumps SEQUENCE (a changed invitation).
 */
export function addAttendees(ics: string, target: EventTarget, attendees: Address[], now: Date = new Date()): AttendeeEdit {
  const calendar = parse(ics);
  const events = targets(calendar, target);
  const addedByAddress = new Map<string, Address>();
  for (const event of events) {
    const present = new Set(event.getAllProperties('attendee').map((p) => calAddress(p.getFirstValue())));
    const organizer = calAddress(event.getFirstPropertyValue('organizer'));
    let changed = false;
    for (const a of attendees) {
      const address = a.address.toLowerCase();
      if (present.has(address) || address === organizer) continue;
      const prop = new ICAL.Property('attendee', event);
      prop.setValue(`mailto:${address}`);
      if (a.name) prop.setParameter('cn', a.name);
      prop.setParameter('role', 'REQ-PARTICIPANT');
      prop.setParameter('partstat', 'NEEDS-ACTION');
      prop.setParameter('rsvp', 'TRUE');
      prop.setParameter('cutype', 'INDIVIDUAL');
      event.addProperty(prop);
      present.add(address);
      addedByAddress.set(address, a.name ? { address, name: a.name } : { address });
      changed = true;
    }
    if (changed) bumpSequence(event, now);
  }
  return { ics: calendar.toString(), added: [...addedByAddress.values()], event: summarize(primary(events)) };
}

export interface BookingDecline {
  ics: string;
  /** False when the booking was already declined (or cancelled): nothing was changed. */
  changed: boolean;
  /** `declined`: the room's attendance was declined; `cancelled`: the room organised it, so the event is cancelled. */
  outcome: 'declined' | 'cancelled';
  event: EventSummary;
}

/**
 * Declines the booking for the room: when the room itself is the organiser (or no room
 * address is known) the event is cancelled; otherwise the room attendee's PARTSTAT becomes
 * DECLINED. A COMMENT gives the reason either way.
 */
export function declineRoom(ics: string, target: EventTarget, roomAddress: string | undefined, reason: string, now: Date = new Date()): BookingDecline {
  const calendar = parse(ics);
  const events = targets(calendar, target);
  const room = roomAddress?.toLowerCase();
  const master = primary(events);
  const roomOrganises = room === undefined || calAddress(master.getFirstPropertyValue('organizer')) === room;
  const roomAttends = !roomOrganises && master.getAllProperties('attendee').some((p) => calAddress(p.getFirstValue()) === room);
  if (!roomAttends && !roomOrganises) {
    throw new ConnectorError(`The room ${room ?? ''} is neither an attendee nor the organiser of the event ${target.uid}, so there is no booking to decline.`, { permanent: true });
  }
  const outcome = roomAttends ? 'declined' : 'cancelled';
  const done = roomAttends
    ? events.every((e) => e.getAllProperties('attendee').every((p) => calAddress(p.getFirstValue()) !== room || String(p.getFirstParameter('partstat')).toUpperCase() === 'DECLINED'))
    : events.every((e) => textOf(e, 'status').toUpperCase() === 'CANCELLED');
  if (done) return { ics, changed: false, outcome, event: summarize(master) };
  for (const event of events) {
    if (roomAttends) {
      for (const p of event.getAllProperties('attendee')) {
        if (calAddress(p.getFirstValue()) !== room) continue;
        p.setParameter('partstat', 'DECLINED');
        p.removeParameter('rsvp');
      }
      event.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(now, true));
    } else {
      event.updatePropertyWithValue('status', 'CANCELLED');
      bumpSequence(event, now);
    }
    event.addPropertyWithValue('comment', reason);
  }
  return { ics: calendar.toString(), changed: true, outcome, event: summarize(master) };
}

/**
 * The iTIP message for the targeted VEVENT(s): a copy of the object with METHOD set. For a
 * REPLY only the replying attendee is kept (RFC 5546 3.2.3).
 */
export function itipMessage(ics: string, target: EventTarget, method: 'REQUEST' | 'CANCEL' | 'REPLY', replyingAttendee?: string): string {
  const calendar = parse(ics);
  return itipFrom(calendar, targets(calendar, target), method, replyingAttendee);
}
