/**
 * Changes to events through Google Calendar: inviting ward members (adding attendees to the
 * organiser's event, Google then sends the invitations) and declining a room booking.
 *
 * Invite. Only the organiser's copy of a meeting changes its guest list for everyone, so the event
 * is found on the configured calendar (by the Google id it was read from, else by `iCalUID`) and,
 * when another user of the council's Workspace organised it, on that user's own calendar by its
 * `iCalUID`, acting as that user (domain-wide delegation). Google replaces the `attendees` array
 * whole, so the patch carries every attendee already there exactly as read (answers, comments,
 * resources) plus the missing ones, with `sendUpdates: 'all'` and `If-Match` on the etag read: a
 * meeting edited in between (412) is read again and merged once more, once. Whoever is already
 * invited is not added again, so carrying the same effect out twice adds nobody and sends nothing.
 *
 * Decline. A room answers for itself on its own calendar's copy of the booking: its own attendee
 * entry gets `responseStatus: 'declined'` and a `comment` citing the clause, patched as the room
 * calendar's delegate (connectors.google.calendars … actAs, who needs "Make changes to events" on
 * the room), with `sendUpdates: 'all'` so the organiser is told. Where Google refuses (403), the
 * Clerk is told exactly what to do by hand and how to give the delegate that access.
 *
 * Both patches send mail, so they are `retry: 'unsafe'`: when the outcome is unknown (a 5xx, a
 * broken connection) the event is read again at once, and the change is taken as made when it
 * shows; otherwise the outbox tries later, and the next try begins by reading the event.
 *
 * For one occurrence of a series (the reference's RECURRENCE-ID): its exception when there is one
 * (found among the events sharing the `iCalUID`), else the instance by Google's instance id
 * (`<series id>_<original start, UTC>`), which a patch turns into an exception.
 */
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import type { Address } from '../../src/items/types.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import type { CalendarEditor, EventRef, SourceCapabilities } from '../../src/sources/types.js';
import { nonBlankString as str } from '../../src/sources/untrusted-json.js';
import type { GoogleCalendar } from './config.js';
import type { GoogleDeps } from './deps.js';
import { GoogleApiError, GoogleOutcomeUnknownError, GoogleSignInError } from './errors.js';
import { compactStart, dateValueOf, recurrenceKeyOf, type GoogleEvent } from './events.js';
import type { CalendarClient } from './transport.js';

type Attendee = calendar_v3.Schema$EventAttendee;

const lower = (s: string): string => s.trim().toLowerCase();
const domainOf = (address: string): string => lower(address).split('@')[1] ?? '';

/** An event as read, where it was read, with the etag to send back in If-Match. */
interface ReadEvent {
  client: CalendarClient;
  calendarId: string;
  id: string;
  event: GoogleEvent;
  etag: string | undefined;
}

/** An attendee as read, kept whole for the patch (Google would reset a dropped answer); `self` is Google's to set. */
function kept(a: Attendee): Attendee {
  const { self: _self, ...rest } = a;
  return rest;
}

export class GoogleCalendarEditor implements CalendarEditor {
  readonly name = 'google';
  readonly capabilities: SourceCapabilities = { addAttendees: true, declineBooking: true };

  constructor(private readonly deps: GoogleDeps) {}

  async addAttendees(ref: EventRef, attendees: Address[]): Promise<void> {
    const calendar = this.calendarOf(ref);
    for (let attempt = 1; ; attempt++) {
      const target = await this.organiserCopy(calendar, ref);
      if (target.event.attendeesOmitted === true) {
        // Google gave only part of the guest list: a patch replaces the list whole, so it would
        // drop the guests left out (and mail them that they were removed).
        throw new PermanentEffectError(
          `Google gave only part of the guest list of "${str(target.event.summary) ?? ref.uid}" in the calendar ${target.calendarId} (attendeesOmitted), so Wardwatch did not change it: changing it would remove the guests Google left out. ` +
            `Please add ${attendees.map((a) => a.address).join(', ')} to it by hand in Google Calendar (Add guests, then Send).`,
        );
      }
      const { list, missing } = this.merged(target.event, attendees);
      if (missing.length === 0) {
        this.deps.logger.debug({ calendar: calendar.id, on: target.calendarId }, 'everyone to invite is already an attendee: nothing to do');
        return;
      }
      try {
        await this.patch(target, { attendees: list }, 'adding attendees to a meeting');
        this.deps.logger.info({ calendar: calendar.id, on: target.calendarId, added: missing.length }, 'attendees added to the meeting; Google sends the invitations');
        return;
      } catch (err) {
        if (err instanceof GoogleApiError && err.status === 412 && attempt < 2) {
          this.deps.logger.debug({ calendar: calendar.id, on: target.calendarId }, 'the meeting changed while attendees were being added: reading it again');
          continue;
        }
        if (err instanceof GoogleOutcomeUnknownError) {
          const again = await this.reread(target);
          if (again !== undefined && again !== null && this.merged(again, attendees).missing.length === 0) {
            this.deps.logger.info({ calendar: calendar.id, on: target.calendarId }, 'attendees added to the meeting (the answer was lost; the meeting shows them)');
            return;
          }
        }
        throw this.effectError(err, 'add the attendees to', ref, target.calendarId);
      }
    }
  }

  async declineBooking(ref: EventRef, roomAddress: string | undefined, reason: string): Promise<void> {
    const calendar = this.calendarOf(ref);
    const room = roomAddress ?? (calendar.role === 'room' ? calendar.googleId : undefined);
    if (room === undefined) {
      throw new PermanentEffectError(`No room was named for declining the booking ${ref.uid} in the calendar ${calendar.id}, and that calendar is not a room's: nothing was declined.`);
    }
    // The room's own calendar, read and answered as the delegate configured for it.
    const roomCalendar = this.deps.settings.calendars.find((c) => lower(c.googleId) === lower(room));
    const actAs = roomCalendar?.actAs ?? calendar.actAs;
    const client = this.deps.transport.calendar(actAs);
    for (let attempt = 1; ; attempt++) {
      let booking: ReadEvent | undefined;
      try {
        booking = await this.find(client, room, ref, lower(room) === lower(calendar.googleId) ? ref.origin : undefined);
      } catch (err) {
        throw this.effectError(err, 'find the booking in', ref, room, reason);
      }
      if (booking === undefined) {
        throw new PermanentEffectError(`The booking ${ref.uid}${ref.recurrenceId !== undefined ? ` (the occurrence of ${ref.recurrenceId})` : ''} is not in the calendar of the room ${room}: it was deleted or never reached the room, so there is nothing to decline.`);
      }
      const own = (booking.event.attendees ?? []).find((a) => lower(a.email ?? '') === lower(room));
      if (own === undefined) {
        throw new PermanentEffectError(`The booking "${str(booking.event.summary) ?? ref.uid}" in the calendar of ${room} does not list the room among its guests, so the room cannot decline it. ${this.byHand(room, booking, reason)}`);
      }
      if (own.responseStatus === 'declined') {
        this.deps.logger.debug({ calendar: calendar.id, room }, 'the booking is already declined: nothing to do');
        return;
      }
      const list = (booking.event.attendees ?? []).map((a) => (a === own ? { ...kept(a), responseStatus: 'declined', comment: reason } : kept(a)));
      try {
        await this.patch(booking, { attendees: list }, 'declining a room booking');
        this.deps.logger.info({ calendar: calendar.id, room }, 'room booking declined');
        return;
      } catch (err) {
        if (err instanceof GoogleApiError && err.status === 412 && attempt < 2) continue;
        if (err instanceof GoogleOutcomeUnknownError) {
          const again = await this.reread(booking);
          const answer = again === undefined ? 'declined' : (again?.attendees ?? []).find((a) => lower(a.email ?? '') === lower(room))?.responseStatus;
          if (answer === 'declined') {
            this.deps.logger.info({ calendar: calendar.id, room }, 'room booking declined (the answer was lost; the booking shows it)');
            return;
          }
        }
        if (err instanceof GoogleApiError && err.failure === 'forbidden') {
          this.deps.logger.warn({ calendar: calendar.id, room, actAs, reason: err.reason }, 'Google did not let Wardwatch decline the room booking: the Clerk is asked to decline it by hand');
          throw new PermanentEffectError(
            `Google did not let Wardwatch decline, as ${actAs}, the booking of ${room} (${err.status} ${err.reason}). ${this.byHand(room, booking, reason)} ` +
              `To let Wardwatch decline bookings itself, give ${actAs} "Make changes to events" on the room's calendar: in the Google Admin console (Directory › Buildings and resources › Resource management) open the room and share its calendar, ` +
              `or in Google Calendar open the room's calendar (Other calendars › + › Browse resources), then Settings and sharing › Share with specific people › add ${actAs} with "Make changes to events".`,
          );
        }
        throw this.effectError(err, 'decline the booking in', ref, room, reason);
      }
    }
  }

  /** The whole attendee list with those missing added; the organiser and anyone already there are not added. */
  private merged(event: GoogleEvent, wanted: readonly Address[]): { list: Attendee[]; missing: Attendee[] } {
    const present = new Set<string>();
    const list: Attendee[] = [];
    for (const a of event.attendees ?? []) {
      const address = str(a.email);
      if (address === undefined || present.has(lower(address))) continue;
      present.add(lower(address));
      list.push(kept(a));
    }
    const organiser = str(event.organizer?.email);
    const missing: Attendee[] = [];
    for (const a of wanted) {
      const key = lower(a.address);
      if (present.has(key) || (organiser !== undefined && lower(organiser) === key)) continue;
      present.add(key);
      missing.push({ email: a.address, ...(a.name !== undefined && a.name !== '' ? { displayName: a.name } : {}) });
    }
    return { list: [...list, ...missing], missing };
  }

  /** A patch that sends updates: never repeated by the transport when Google may have acted. */
  private async patch(target: ReadEvent, body: GoogleEvent, what: string): Promise<void> {
    await this.deps.transport.call(
      target.client,
      what,
      (sdk, o) =>
        sdk.events.patch(
          { calendarId: target.calendarId, eventId: target.id, sendUpdates: 'all', requestBody: body },
          { ...o, ...(target.etag !== undefined ? { headers: { 'If-Match': target.etag } } : {}) },
        ),
      { retry: 'unsafe' },
    );
  }

  /** The event read again after an unknown outcome; undefined when it is gone; the outcome stays unknown when the read fails. */
  private async reread(target: ReadEvent): Promise<GoogleEvent | undefined | null> {
    try {
      const again = await this.get(target.client, target.calendarId, target.id);
      return again?.status === 'cancelled' ? undefined : again;
    } catch {
      return null;
    }
  }

  /** What the Clerk does by hand to decline the booking. */
  private byHand(room: string, booking: ReadEvent, reason: string): string {
    const summary = str(booking.event.summary) ?? '(no title)';
    const start = dateValueOf(booking.event.start);
    let when = '';
    if (start !== undefined) {
      when =
        'date' in start
          ? ` on ${new Date(`${start.date}T12:00:00Z`).toLocaleDateString('en-GB', { timeZone: 'UTC', dateStyle: 'full' })}`
          : ` on ${new Date(start.dateTime).toLocaleString('en-GB', { timeZone: this.deps.settings.timeZone, dateStyle: 'full', timeStyle: 'short' })}`;
    }
    return (
      `Please decline it by hand: in Google Calendar, open the calendar of the room ${room} (Other calendars › + › Browse resources, if it is not listed), ` +
      `find "${summary}"${when}, open it and, as the room, answer No (Decline), adding this note: "${reason}".`
    );
  }

  /** A failure as the outbox takes it: permanent (given up, in the digest) or to be tried again. */
  private effectError(err: unknown, what: string, ref: EventRef, on?: string, reason?: string): Error {
    if (err instanceof PermanentEffectError) return err;
    const said = `Wardwatch could not ${what} the meeting ${ref.uid}${on !== undefined ? ` in the calendar ${on}` : ''}`;
    const because = reason !== undefined ? ` The reason to give was: "${reason}".` : '';
    if ((err instanceof GoogleApiError || err instanceof GoogleSignInError) && err.permanent) {
      return new PermanentEffectError(`${said}: ${err.message}${because}`);
    }
    if (err instanceof GoogleApiError && err.status === 412) {
      return new Error(`The meeting ${ref.uid} kept changing while Wardwatch changed it; it will try again.`, { cause: err });
    }
    if (err instanceof GoogleOutcomeUnknownError) {
      // The next try reads the event first and finds out whether this one took effect.
      return new Error(`${err.message} Wardwatch will read the meeting again and try again if it did not.`, { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private calendarOf(ref: EventRef): GoogleCalendar {
    const calendar = this.deps.settings.calendars.find((c) => c.id === ref.calendarId);
    if (!calendar) throw new PermanentEffectError(`The calendar ${ref.calendarId} is not one the Google Workspace connector reads (connectors.google.calendars), so Wardwatch cannot change its events.`);
    return calendar;
  }

  /**
   * The copy of the meeting whose guest list can be changed: the calendar's own when it organised
   * it (Google marks the organiser `self`, or the organiser is the calendar's own Google id), else
   * the organiser's own, acting as the organiser when that is a user of the council's Workspace.
   * The user Wardwatch acts as does not make a copy the organiser's: on a room's or a shared
   * calendar, a meeting the actAs user organised is an attendee copy, whose guest list Google does
   * not send invitations for.
   */
  private async organiserCopy(calendar: GoogleCalendar, ref: EventRef): Promise<ReadEvent> {
    const client = this.deps.transport.calendar(calendar.actAs);
    let own: ReadEvent | undefined;
    try {
      own = await this.find(client, calendar.googleId, ref, ref.origin);
    } catch (err) {
      throw this.effectError(err, 'read', ref, calendar.googleId);
    }
    if (own === undefined) {
      throw new PermanentEffectError(`The meeting ${ref.uid}${ref.recurrenceId !== undefined ? ` (the occurrence of ${ref.recurrenceId})` : ''} is no longer in the calendar ${calendar.id} (${calendar.googleId}): nobody was invited.`);
    }
    const organiser = str(own.event.organizer?.email);
    if (organiser === undefined || own.event.organizer?.self === true || lower(organiser) === lower(calendar.googleId)) return own;
    const summary = str(own.event.summary) ?? ref.uid;
    const byHand =
      `Please ask ${organiser} to add the ward members to "${summary}" in Google Calendar (Add guests, then Send), or forward the invitation to them.`;
    const councilDomains = new Set([domainOf(calendar.actAs), domainOf(this.deps.settings.serviceAddress), ...this.deps.settings.mailboxes.map((m) => domainOf(m.address))]);
    if (!councilDomains.has(domainOf(organiser))) {
      throw new PermanentEffectError(`Only the organiser of "${summary}" (${organiser}, outside the council's Google Workspace) can add guests to it. ${byHand}`);
    }
    let theirs: ReadEvent | undefined;
    try {
      theirs = await this.find(this.deps.transport.calendar(organiser), organiser, ref, undefined);
    } catch (err) {
      if ((err instanceof GoogleApiError && (err.failure === 'not-found' || err.failure === 'forbidden')) || (err instanceof GoogleSignInError && err.permanent)) {
        throw new PermanentEffectError(`Only the organiser of "${summary}" (${organiser}) can add guests to it, and Wardwatch could not act as ${organiser} (${err.message}). ${byHand}`);
      }
      throw this.effectError(err, 'read', ref, organiser);
    }
    if (theirs === undefined) {
      throw new PermanentEffectError(`Only the organiser of "${summary}" (${organiser}) can add guests to it, and the meeting is not in ${organiser}'s calendar. ${byHand}`);
    }
    return theirs;
  }

  /**
   * The event (or the occurrence the reference names) on a calendar: by the Google id when it is
   * this calendar's, else by `iCalUID`. Undefined when the calendar has no such event.
   */
  private async find(client: CalendarClient, calendarId: string, ref: EventRef, origin: string | undefined): Promise<ReadEvent | undefined> {
    let base: GoogleEvent | undefined;
    if (origin !== undefined && origin !== '') {
      base = await this.get(client, calendarId, origin);
      if (base !== undefined && (base.status === 'cancelled' || str(base.iCalUID) !== ref.uid || str(base.recurringEventId) !== undefined)) base = undefined;
    }
    let family: GoogleEvent[] | undefined;
    if (base === undefined) {
      family = await this.byUid(client, calendarId, ref.uid);
      base = family.find((e) => str(e.recurringEventId) === undefined);
      if (base === undefined) return undefined;
    }
    const read = (event: GoogleEvent): ReadEvent => ({ client, calendarId, id: str(event.id) ?? '', event, etag: str(event.etag) });
    if (ref.recurrenceId === undefined) return read(base);
    return await this.occurrence(client, calendarId, base, ref, family, read);
  }

  /** One occurrence: its exception when there is one, else the instance by Google's instance id. */
  private async occurrence(
    client: CalendarClient,
    calendarId: string,
    master: GoogleEvent,
    ref: EventRef,
    family: GoogleEvent[] | undefined,
    read: (e: GoogleEvent) => ReadEvent,
  ): Promise<ReadEvent | undefined> {
    const masterId = str(master.id);
    const rid = ref.recurrenceId;
    if (masterId === undefined || rid === undefined) return undefined;
    const timeZone = this.deps.settings.timeZone;
    const all = family ?? (await this.byUid(client, calendarId, ref.uid));
    const exception = all.find((e) => str(e.recurringEventId) === masterId && recurrenceKeyOf(ref.uid, e.originalStartTime, timeZone) === rid);
    if (exception !== undefined) return exception.status === 'cancelled' ? undefined : read(exception);
    // No exception yet: the instance Google expands from the series, by its instance id.
    const allDay = dateValueOf(master.start) !== undefined && 'date' in (dateValueOf(master.start) ?? {});
    const ms = Date.parse(rid);
    if (!Number.isFinite(ms)) return undefined;
    const original = allDay ? { date: this.dateIn(ms, timeZone) } : { dateTime: new Date(ms).toISOString() };
    const compact = compactStart(original);
    if (compact === undefined) return undefined;
    const instance = await this.get(client, calendarId, `${masterId}_${compact}`);
    if (instance === undefined || instance.status === 'cancelled' || str(instance.recurringEventId) !== masterId) return undefined;
    return read(instance);
  }

  /** The calendar date of a RECURRENCE-ID key of an all-day occurrence (local midnight in the council's zone). */
  private dateIn(ms: number, timeZone: string): string {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms + 12 * 3_600_000));
    return parts;
  }

  private async get(client: CalendarClient, calendarId: string, id: string): Promise<GoogleEvent | undefined> {
    try {
      const { data } = await this.deps.transport.call(client, 'reading a meeting', (sdk, o) => sdk.events.get({ calendarId, eventId: id }, o));
      return data;
    } catch (err) {
      if (err instanceof GoogleApiError && (err.failure === 'not-found' || err.status === 410)) return undefined;
      throw err;
    }
  }

  /** Every live event with this iCalUID on the calendar: a single event, or a series' master and its exceptions. */
  private async byUid(client: CalendarClient, calendarId: string, uid: string): Promise<GoogleEvent[]> {
    const out: GoogleEvent[] = [];
    for await (const page of this.deps.transport.pages(client, 'looking a meeting up by its iCalUID', (sdk, pageToken, o) =>
      sdk.events.list({ calendarId, iCalUID: uid, singleEvents: false, showDeleted: false, maxResults: 250, ...(pageToken !== undefined ? { pageToken } : {}) }, o),
    )) {
      for (const e of page.items ?? []) if (str(e.id) !== undefined && str(e.iCalUID) === uid && e.status !== 'cancelled') out.push(e);
    }
    return out;
  }
}
