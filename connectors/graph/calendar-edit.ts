/**
 * Changes to events through Microsoft Graph: inviting ward members (adding attendees to the
 * organiser's event, after which Exchange sends the invitations) and declining a room booking.
 *
 * Invite. Only the organiser's copy of a meeting can change its attendee list, so the event is
 * found in the calendar's mailbox (by the Graph id it was read from, else by `iCalUId`), and when
 * someone else in the tenant organised it, in the organiser's mailbox by its `iCalUId`. Graph
 * replaces the attendee array whole, so the PATCH carries every attendee already there with their
 * answers, plus the missing ones, under `If-Match` on the change key read: a meeting edited in
 * between (412) is read again and merged once more, once. Whoever is already invited is not added
 * again, so carrying the same effect out twice adds nobody and sends nothing.
 *
 * Decline. The room mailbox's own copy of the booking is declined (`POST …/decline`, with the
 * reason citing the clause, and the answer sent to the organiser). Where the app may not (403, its
 * RBAC scope leaves the room out), the Clerk is told exactly what to do by hand.
 *
 * For one occurrence of a series (the reference's RECURRENCE-ID), the instance is acted on, found
 * by the Graph ids the calendar's delta rounds remember (calendar-delta.ts), else by asking Graph
 * for the series' instances on that day.
 */
import type { Attendee, Event } from '@microsoft/microsoft-graph-types';
import type { Address } from '../../src/items/types.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import type { CalendarEditor, EventRef, SourceCapabilities } from '../../src/sources/types.js';
import { nonBlankString as str, record } from '../../src/sources/untrusted-json.js';
import { calendarPrefer, readKnownEvents } from './calendar-delta.js';
import type { GraphCalendar } from './config.js';
import type { GraphDeps } from './deps.js';
import { GraphApiError, GraphOutcomeUnknownError } from './errors.js';
import { isSeriesInstance } from './events.js';
import { pageOf, type GraphTransport } from './transport.js';
import { parseGraphEvent } from './event-schema.js';

/** What the editor reads of an event; the tests check each against the v1.0 schema. */
export const EDIT_SELECT = ['id', 'changeKey', 'iCalUId', 'type', 'seriesMasterId', 'originalStart', 'subject', 'start', 'isOrganizer', 'organizer', 'attendees', 'responseStatus'] as const;

/** An event as read, with the version to send back in If-Match. */
interface ReadEvent {
  mailbox: string;
  id: string;
  event: Event;
  etag: string | undefined;
}

function asEvent(value: unknown, mailbox: string): Event {
  const event = parseGraphEvent(value);
  if (!event || str(event.id) === undefined) throw new GraphApiError(`Microsoft 365 answered a read of an event in ${mailbox} with something that is not an event.`, { status: 200, code: 'NotAnEvent', failure: 'other', mailbox });
  return event;
}

/** `@odata.etag`, else one made from the change key as Graph writes it. */
function etagOf(event: Event): string | undefined {
  const e = record(event);
  const etag = str(e?.['@odata.etag']);
  if (etag !== undefined) return etag;
  const key = str(e?.changeKey);
  return key === undefined ? undefined : `W/"${key}"`;
}

const lower = (s: string): string => s.trim().toLowerCase();

function addressOf(attendee: unknown): string | undefined {
  return str(record(record(attendee)?.emailAddress)?.address);
}

/**
 * An attendee as read, kept whole as far as Graph lets one be written: the address and name, the
 * kind, and the answer given (which Graph would otherwise reset when the array is replaced).
 */
function keptAttendee(value: unknown): Attendee | undefined {
  const a = record(value);
  const email = record(a?.emailAddress);
  const address = str(email?.address);
  if (!a || address === undefined) return undefined;
  const name = str(email?.name);
  const type = a.type === 'required' || a.type === 'optional' || a.type === 'resource' ? a.type : undefined;
  const status = record(a.status);
  const response = str(status?.response);
  const time = str(status?.time);
  return {
    emailAddress: { address, ...(name !== undefined ? { name } : {}) },
    ...(type !== undefined ? { type } : {}),
    ...(response !== undefined ? { status: { response: response as NonNullable<Attendee['status']>['response'], ...(time !== undefined ? { time } : {}) } } : {}),
  };
}

/** The instant of an ISO time, for comparing an occurrence's original start with a RECURRENCE-ID. */
function instant(value: unknown): number | undefined {
  const s = str(value);
  if (s === undefined) return undefined;
  const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/i.test(s) ? s : `${s}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

export class GraphCalendarEditor implements CalendarEditor {
  readonly name = 'graph';
  readonly capabilities: SourceCapabilities = { addAttendees: true, declineBooking: true };
  private readonly transport: GraphTransport;

  constructor(private readonly deps: GraphDeps) {
    this.transport = deps.transport;
  }

  async addAttendees(ref: EventRef, attendees: Address[]): Promise<void> {
    const calendar = this.calendarOf(ref);
    for (let attempt = 1; ; attempt++) {
      const target = await this.organiserCopy(calendar, ref);
      const present = new Set<string>();
      const kept: Attendee[] = [];
      for (const a of target.event.attendees ?? []) {
        const k = keptAttendee(a);
        const address = addressOf(a);
        if (!k || address === undefined || present.has(lower(address))) continue;
        present.add(lower(address));
        kept.push(k);
      }
      const organiser = addressOf(target.event.organizer);
      const missing: Attendee[] = [];
      for (const a of attendees) {
        const key = lower(a.address);
        if (present.has(key) || (organiser !== undefined && lower(organiser) === key)) continue;
        present.add(key);
        missing.push({ type: 'required', emailAddress: { address: a.address, ...(a.name !== undefined && a.name !== '' ? { name: a.name } : {}) } });
      }
      if (missing.length === 0) {
        this.deps.logger.debug({ calendar: calendar.id, mailbox: target.mailbox }, 'everyone to invite is already an attendee: nothing to do');
        return;
      }
      try {
        await this.transport.request({
          mailbox: target.mailbox,
          method: 'PATCH',
          url: `/users/${encodeURIComponent(target.mailbox)}/events/${encodeURIComponent(target.id)}`,
          headers: { Prefer: calendarPrefer(this.deps.settings), ...(target.etag !== undefined ? { 'If-Match': target.etag } : {}) },
          json: { attendees: [...kept, ...missing] },
          // Safe to repeat: a repeat after it took effect meets a new change key (412), is read
          // again, finds everyone invited and does nothing.
          retry: 'safe',
          what: 'adding attendees to a meeting',
        });
        this.deps.logger.info({ calendar: calendar.id, mailbox: target.mailbox, added: missing.length }, 'attendees added to the meeting; Exchange sends the invitations');
        return;
      } catch (err) {
        if (err instanceof GraphApiError && err.status === 412 && attempt < 2) {
          this.deps.logger.debug({ calendar: calendar.id, mailbox: target.mailbox }, 'the meeting changed while attendees were being added: reading it again');
          continue;
        }
        throw this.effectError(err, 'add the attendees to', ref);
      }
    }
  }

  async declineBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void> {
    const calendar = this.calendarOf(ref);
    const room = roomAddress ?? (calendar.role === 'room' ? calendar.mailbox : undefined);
    if (room === undefined) {
      throw new PermanentEffectError(`No room mailbox was named for declining the booking ${ref.uid} in the calendar ${calendar.id}, and that calendar is not a room's: nothing was declined.`);
    }
    let booking: ReadEvent | undefined;
    try {
      booking = lower(room) === lower(calendar.mailbox) ? await this.find(room, ref, ref.origin) : await this.find(room, ref, undefined);
    } catch (err) {
      throw this.effectError(err, 'find the booking in', ref, room, reason);
    }
    if (booking === undefined) {
      throw new PermanentEffectError(`The booking ${ref.uid}${ref.recurrenceId !== undefined ? ` (the occurrence of ${ref.recurrenceId})` : ''} is not in the calendar of the room ${room}: it was deleted or never reached the room, so there is nothing to decline.`);
    }
    if (booking.event.responseStatus?.response === 'declined') {
      this.deps.logger.debug({ calendar: calendar.id, room }, 'the booking is already declined: nothing to do');
      return;
    }
    try {
      await this.transport.request({
        mailbox: room,
        method: 'POST',
        url: `/users/${encodeURIComponent(room)}/events/${encodeURIComponent(booking.id)}/decline`,
        headers: { Prefer: calendarPrefer(this.deps.settings) },
        json: { comment: reason, sendResponse: true },
        // Declining twice would send the organiser a second answer: when the outcome is unknown,
        // the next try reads the booking and finds it declined.
        retry: 'unsafe',
        what: 'declining a room booking',
      });
      this.deps.logger.info({ calendar: calendar.id, room }, 'room booking declined');
    } catch (err) {
      if (err instanceof GraphOutcomeUnknownError) {
        // Read the booking again at once: declined (or gone from the room's calendar, as Exchange
        // may do with a declined meeting) means this decline took effect.
        const again = await this.find(room, ref, booking.id).catch(() => booking);
        if (again === undefined || again.event.responseStatus?.response === 'declined') {
          this.deps.logger.info({ calendar: calendar.id, room }, 'room booking declined (the answer was lost; the booking shows it)');
          return;
        }
      }
      if (err instanceof GraphApiError && (err.status === 403 || err.code === 'ErrorAccessDenied')) {
        const message = this.byHand(room, booking, reason);
        this.deps.logger.warn({ calendar: calendar.id, room, code: err.code }, 'Microsoft 365 did not let Wardwatch decline the room booking: the Clerk is asked to decline it by hand');
        throw new PermanentEffectError(message);
      }
      throw this.effectError(err, 'decline the booking in', ref, room, reason);
    }
  }

  /** What the Clerk does by hand when the app may not decline for the room. */
  private byHand(room: string, booking: ReadEvent, reason: string): string {
    const subject = str(booking.event.subject) ?? '(no subject)';
    const start = instant(booking.event.start?.dateTime);
    const when = start === undefined ? '' : ` on ${new Date(start).toLocaleString('en-GB', { timeZone: this.deps.settings.timeZone, dateStyle: 'full', timeStyle: 'short' })}`;
    return (
      `Microsoft 365 did not let Wardwatch decline the booking of ${room} for "${subject}"${when} (access denied). Please decline it by hand: ` +
      `in Outlook, open the calendar of ${room} (File › Open › Other User's Folder, or add it from the address book), find "${subject}"${when}, ` +
      `choose Decline › Edit the response before sending, and give this reason: "${reason}". ` +
      `To let Wardwatch decline bookings itself, ask your IT contractor to include ${room} in the app's RBAC for Applications management scope ` +
      `with the Calendars.ReadWrite role (see docs/connecting-microsoft-365.md).`
    );
  }

  /** A failure as the outbox takes it: permanent (given up, in the digest) or to be tried again. */
  private effectError(err: unknown, what: string, ref: EventRef, mailbox?: string, reason?: string): Error {
    if (err instanceof PermanentEffectError) return err;
    if (err instanceof GraphApiError && err.permanent) {
      return new PermanentEffectError(`Wardwatch could not ${what} the meeting ${ref.uid}${mailbox !== undefined ? ` in ${mailbox}` : ''}: ${err.message}${reason !== undefined ? ` The reason to give was: "${reason}".` : ''}`);
    }
    if (err instanceof GraphApiError && err.status === 412) {
      return new Error(`The meeting ${ref.uid} kept changing while Wardwatch added attendees to it; it will try again.`, { cause: err });
    }
    if (err instanceof GraphOutcomeUnknownError) {
      // The next try reads the event first and finds out whether this one took effect.
      return new Error(err.message, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private calendarOf(ref: EventRef): GraphCalendar {
    const calendar = this.deps.settings.calendars.find((c) => c.id === ref.calendarId);
    if (!calendar) throw new PermanentEffectError(`The calendar ${ref.calendarId} is not one Microsoft 365 connector reads (connectors.graph.calendars), so Wardwatch cannot change its events.`);
    return calendar;
  }

  /**
   * The copy of the meeting whose attendee list can be changed: the calendar's own when its
   * mailbox organised it, else the organiser's (when the organiser is a mailbox of the tenant).
   */
  private async organiserCopy(calendar: GraphCalendar, ref: EventRef): Promise<ReadEvent> {
    let own: ReadEvent | undefined;
    try {
      own = await this.find(calendar.mailbox, ref, ref.origin);
    } catch (err) {
      throw this.effectError(err, 'read', ref, calendar.mailbox);
    }
    if (own === undefined) {
      throw new PermanentEffectError(`The meeting ${ref.uid}${ref.recurrenceId !== undefined ? ` (the occurrence of ${ref.recurrenceId})` : ''} is no longer in the calendar ${calendar.id} (${calendar.mailbox}): nobody was invited.`);
    }
    const organiser = addressOf(own.event.organizer);
    if (own.event.isOrganizer !== false || organiser === undefined || lower(organiser) === lower(calendar.mailbox)) return own;
    let theirs: ReadEvent | undefined;
    try {
      theirs = await this.find(organiser, ref, undefined);
    } catch (err) {
      if (err instanceof GraphApiError && (err.failure === 'not-found' || err.failure === 'forbidden')) theirs = undefined;
      else throw this.effectError(err, 'read', ref, organiser);
    }
    if (theirs === undefined) {
      throw new PermanentEffectError(
        `Only the organiser of "${str(own.event.subject) ?? ref.uid}" (${organiser}) can add attendees to it, and Wardwatch cannot reach that mailbox (it is outside the council's tenant or the app's scope). ` +
          `Please ask ${organiser} to invite the ward members, or forward the invitation to them from Outlook.`,
      );
    }
    return theirs;
  }

  /**
   * The event (or the occurrence the reference names) in a mailbox: by the Graph id when it is
   * this mailbox's, else by `iCalUId`. Undefined when the mailbox has no such event.
   */
  private async find(mailbox: string, ref: EventRef, origin: string | undefined): Promise<ReadEvent | undefined> {
    let base: Event | undefined;
    if (origin !== undefined && origin !== '') {
      base = await this.read(mailbox, origin);
      if (base !== undefined && str(base.iCalUId) !== ref.uid && !isSeriesInstance(base)) {
        // The id names some other event now (it cannot, for immutable ids; be sure all the same).
        base = undefined;
      }
    }
    base ??= await this.byUid(mailbox, ref.uid);
    if (base === undefined) return undefined;
    if (ref.recurrenceId === undefined) return { mailbox, id: str(base.id) ?? '', event: base, etag: etagOf(base) };
    const masterId = isSeriesInstance(base) ? str(base.seriesMasterId) : str(base.id);
    if (masterId === undefined) return undefined;
    return await this.occurrence(mailbox, masterId, ref);
  }

  private async read(mailbox: string, id: string): Promise<Event | undefined> {
    try {
      return await this.transport.json(
        {
          mailbox,
          method: 'GET',
          url: `/users/${encodeURIComponent(mailbox)}/events/${encodeURIComponent(id)}`,
          query: { $select: EDIT_SELECT.join(',') },
          headers: { Prefer: calendarPrefer(this.deps.settings) },
          what: 'reading a meeting',
        },
        (v) => asEvent(v, mailbox),
      );
    } catch (err) {
      if (err instanceof GraphApiError && err.failure === 'not-found') return undefined;
      throw err;
    }
  }

  /** The series master or single event with this iCalUId (every mailbox's copy of a meeting shares it). */
  private async byUid(mailbox: string, uid: string): Promise<Event | undefined> {
    const page = await this.transport.json(
      {
        mailbox,
        method: 'GET',
        url: `/users/${encodeURIComponent(mailbox)}/events`,
        query: { $filter: `iCalUId eq '${uid.replace(/'/g, "''")}'`, $select: EDIT_SELECT.join(','), $top: '10' },
        headers: { Prefer: calendarPrefer(this.deps.settings) },
        what: 'looking a meeting up by its iCalUId',
      },
      pageOf,
    );
    const events = page.value.flatMap((v) => {
      const e = parseGraphEvent(v);
      return e && str(e.id) !== undefined && str(e.iCalUId) === uid ? [e] : [];
    });
    // A master or single event rather than an instance, when Graph lists both.
    return events.find((e) => !isSeriesInstance(e)) ?? events[0];
  }

  /** One occurrence of a series: from the ids the delta rounds remember, else from Graph's list of the series' instances that day. */
  private async occurrence(mailbox: string, masterId: string, ref: EventRef): Promise<ReadEvent | undefined> {
    const rid = instant(ref.recurrenceId);
    if (rid === undefined) return undefined;
    for (const calendar of this.deps.settings.calendars) {
      if (lower(calendar.mailbox) !== lower(mailbox)) continue;
      const known = await readKnownEvents(this.deps, calendar.id);
      for (const k of known.values()) {
        if (k.master !== masterId || k.rid === undefined || instant(k.rid) !== rid) continue;
        const event = await this.read(mailbox, k.id);
        if (event !== undefined && str(event.seriesMasterId) === masterId) return { mailbox, id: k.id, event, etag: etagOf(event) };
      }
    }
    const page = await this.transport.json(
      {
        mailbox,
        method: 'GET',
        url: `/users/${encodeURIComponent(mailbox)}/events/${encodeURIComponent(masterId)}/instances`,
        query: { startDateTime: new Date(rid - 86_400_000).toISOString(), endDateTime: new Date(rid + 2 * 86_400_000).toISOString(), $select: EDIT_SELECT.join(',') },
        headers: { Prefer: calendarPrefer(this.deps.settings) },
        what: 'reading the occurrences of a repeating meeting',
      },
      pageOf,
    );
    for (const v of page.value) {
      const event = parseGraphEvent(v);
      const id = str(event?.id);
      if (!event || id === undefined || instant(event.originalStart) !== rid) continue;
      return { mailbox, id, event, etag: etagOf(event) };
    }
    return undefined;
  }
}
