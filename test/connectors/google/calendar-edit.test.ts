/**
 * Calendar edits against the Google simulator: inviting ward members (the whole attendee list
 * kept with every answer, sendUpdates=all, If-Match on the etag, a 412 re-read and retried once,
 * a repeat sending nothing, the organiser's own copy acted on as the organiser, one occurrence, an
 * unknown outcome checked by reading again) and declining a room booking (the room's own answer
 * with the clause as comment, patched as its delegate; a 403 telling the Clerk what to do by hand).
 */
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleCalendarEditor } from '../../../connectors/google/calendar-edit.js';
import type { GoogleDeps } from '../../../connectors/google/deps.js';
import { GoogleTransport } from '../../../connectors/google/transport.js';
import { PermanentEffectError } from '../../../src/outbox/outbox.js';
import { MemoryCursors } from '../graph/memory-cursors.js';
import { ROOM, startWorkspace, USER, type Workspace } from './sim-setup.js';

const DAY = 86_400_000;
const REASON = 'Declined under clause 9.3 of the Member/Officer Protocol: council rooms are not booked for campaigning in the pre-election period.';
const SUE = { address: USER.sue, name: 'Cllr Sue Taylor' };
const BEN = { address: 'ben.hughes@millbrook-tc.gov.uk', name: 'Cllr Ben Hughes' };

let w: Workspace;
let deps: GoogleDeps;
beforeEach(async () => {
  w = await startWorkspace();
  const settings = w.settings();
  deps = {
    transport: new GoogleTransport(settings, w.transportOptions()),
    settings,
    cursors: new MemoryCursors(),
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    now: () => new Date(w.clock.now()),
  };
});
afterEach(async () => {
  await w.close();
});

function at(days: number, hour: number): calendar_v3.Schema$EventDateTime {
  const today = Math.floor(w.clock.now() / DAY) * DAY;
  return { dateTime: new Date(today + days * DAY + hour * 3_600_000).toISOString().replace('.000Z', 'Z'), timeZone: 'Europe/London' };
}

function meeting(summary: string, extra: calendar_v3.Schema$Event = {}): calendar_v3.Schema$Event {
  return {
    summary,
    start: at(20, 18),
    end: at(20, 19),
    organizer: { email: USER.clerk, displayName: 'Helen Ashworth' },
    attendees: [
      { email: USER.clerk, organizer: true, responseStatus: 'accepted' },
      { email: USER.raj, displayName: 'Cllr Raj Mehta', responseStatus: 'accepted' },
      { email: USER.sam, displayName: 'Sam Patel', optional: true, responseStatus: 'declined', comment: 'On leave' },
    ],
    ...extra,
  };
}

const invitations = () => w.sim.state.sent.filter((s) => s.kind === 'invitation');
const patches = () => w.sim.requests((r) => r.method === 'PATCH');
const stored = (cal: string, id: string) => w.sim.state.events(cal).find((e) => e.id === id);
const answers = (cal: string, id: string) => (stored(cal, id)?.attendees ?? []).map((a) => [a.email, a.responseStatus, a.optional ?? false, a.comment ?? null]);

describe('invite: adding ward members to the organiser’s event', () => {
  it('merges the missing members into the whole list, keeping every answer, with If-Match and sendUpdates=all; a repeat sends nothing', async () => {
    const ev = w.sim.state.addEvent(USER.clerk, meeting('Public meeting: Castle Street parking'));
    const editor = new GoogleCalendarEditor(deps);
    expect(editor.name).toBe('google');
    expect(editor.capabilities).toEqual({ addAttendees: true, declineBooking: true });
    const ref = { calendarId: 'council-events', uid: ev.iCalUID ?? '', origin: ev.id ?? '' };
    await editor.addAttendees(ref, [SUE, { address: USER.raj.toUpperCase() }, { address: USER.clerk }, BEN]);

    expect(answers(USER.clerk, ev.id ?? '')).toEqual([
      [USER.clerk, 'accepted', false, null],
      [USER.raj, 'accepted', false, null],
      [USER.sam, 'declined', true, 'On leave'],
      [USER.sue, 'needsAction', false, null],
      [BEN.address, 'needsAction', false, null],
    ]);
    expect(invitations().map((i) => i.to)).toEqual([[USER.sue], [BEN.address]]);
    const [patch] = patches();
    expect(patch?.headers['if-match']).toBe(ev.etag);
    expect(new URLSearchParams(patch?.query).get('sendUpdates')).toBe('all');
    expect(patch?.user).toBe(USER.clerk);

    await editor.addAttendees(ref, [SUE, BEN]);
    expect(patches()).toHaveLength(1);
    expect(invitations()).toHaveLength(2);
  });

  it('reads again and merges once more when the meeting changed in between (412)', async () => {
    const ev = w.sim.state.addEvent(USER.clerk, meeting('Finance committee'));
    const call = deps.transport.call.bind(deps.transport);
    let first = true;
    deps.transport.call = (async (client, what, fn, options) => {
      if (first && what === 'adding attendees to a meeting') {
        first = false;
        // Someone adds a guest between Wardwatch's read and its patch.
        w.sim.state.alterEvent(USER.clerk, ev.id ?? '', (e) => {
          e.attendees = [...(e.attendees ?? []), { email: 'press@millbrook-tc.gov.uk', responseStatus: 'needsAction' }];
        });
      }
      return call(client, what, fn, options);
    }) as typeof deps.transport.call;
    await new GoogleCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ev.iCalUID ?? '', origin: ev.id ?? '' }, [SUE]);
    expect(patches().map((p) => p.status)).toEqual([412, 200]);
    expect(answers(USER.clerk, ev.id ?? '').map((a) => a[0])).toEqual([USER.clerk, USER.raj, USER.sam, 'press@millbrook-tc.gov.uk', USER.sue]);
    expect(invitations().map((i) => i.to)).toEqual([[USER.sue]]);
  });

  it('acts as the organiser on their own copy when another user of the Workspace organised it; refuses for an outside organiser', async () => {
    const theirs = w.sim.state.addEvent(USER.sue, meeting('Castle ward residents', { organizer: { email: USER.sue }, attendees: [{ email: USER.clerk, responseStatus: 'accepted' }] }));
    const copy = w.sim.state.addEvent(USER.clerk, { ...meeting('Castle ward residents', { organizer: { email: USER.sue }, attendees: [{ email: USER.clerk, responseStatus: 'accepted' }] }), iCalUID: theirs.iCalUID ?? '' });
    const editor = new GoogleCalendarEditor(deps);
    await editor.addAttendees({ calendarId: 'council-events', uid: theirs.iCalUID ?? '', origin: copy.id ?? '' }, [BEN]);
    expect(patches().map((p) => [p.user, p.path.includes(USER.sue)])).toEqual([[USER.sue, true]]);
    expect(answers(USER.sue, theirs.id ?? '').map((a) => a[0])).toEqual([USER.clerk, BEN.address]);
    expect(invitations().map((i) => [i.from, i.to])).toEqual([[USER.sue, [BEN.address]]]);

    const outside = w.sim.state.addEvent(USER.clerk, meeting('County liaison', { organizer: { email: 'officer@county.gov.uk' } }));
    const err = await editor.addAttendees({ calendarId: 'council-events', uid: outside.iCalUID ?? '', origin: outside.id ?? '' }, [BEN]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toMatch(/officer@county\.gov\.uk.*outside the council's Google Workspace.*Add guests/s);
  });

  it('invites to one occurrence: its exception when there is one', async () => {
    const master = w.sim.state.addEvent(USER.clerk, meeting('North ward surgery', { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=6'] }));
    const original = at(27, 18);
    const exception = w.sim.state.addEvent(USER.clerk, {
      ...meeting('North ward surgery (moved)', { start: at(27, 17), end: at(27, 18) }),
      id: `${master.id ?? ''}_${(original.dateTime ?? '').replace(/[-:]/g, '')}`,
      iCalUID: master.iCalUID ?? '',
      recurringEventId: master.id ?? '',
      originalStartTime: original,
    });
    await new GoogleCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: master.iCalUID ?? '', recurrenceId: new Date(original.dateTime ?? '').toISOString(), origin: master.id ?? '' }, [SUE]);
    expect(patches().map((p) => p.path.endsWith(`/events/${exception.id ?? ''}`))).toEqual([true]);
    expect(answers(USER.clerk, master.id ?? '').map((a) => a[0])).not.toContain(USER.sue);
    expect(answers(USER.clerk, exception.id ?? '').map((a) => a[0])).toContain(USER.sue);
  });

  it('after an unknown outcome reads the meeting again: taken effect is done; not taken effect is tried later, never twice', async () => {
    const ev = w.sim.state.addEvent(USER.clerk, meeting('Open spaces working group'));
    const ref = { calendarId: 'council-events', uid: ev.iCalUID ?? '', origin: ev.id ?? '' };
    const editor = new GoogleCalendarEditor(deps);
    w.sim.inject({ kind: 'status', status: 500, when: 'after' }, { path: /\/events\/[^/]+$/, method: 'PATCH' });
    await editor.addAttendees(ref, [SUE]);
    expect(invitations().map((i) => i.to)).toEqual([[USER.sue]]);

    w.sim.inject({ kind: 'drop', when: 'before' }, { path: /\/events\/[^/]+$/, method: 'PATCH' });
    const err = await editor.addAttendees(ref, [BEN]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentEffectError);
    expect(patches()).toHaveLength(2);
    await editor.addAttendees(ref, [BEN]);
    expect(invitations().map((i) => i.to)).toEqual([[USER.sue], [BEN.address]]);
  });
});

describe('invite: only the organiser’s own, whole copy is changed', () => {
  it('refuses, changing nothing, when Google gives only part of the guest list (attendeesOmitted)', async () => {
    const ev = w.sim.state.addEvent(USER.clerk, meeting('Annual parish meeting', { attendeesOmitted: true }));
    const err = await new GoogleCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ev.iCalUID ?? '', origin: ev.id ?? '' }, [SUE]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toMatch(/only part of the guest list.*Annual parish meeting/s);
    expect((err as Error).message).toContain(USER.sue);
    expect(patches()).toHaveLength(0);
    expect(invitations()).toHaveLength(0);
  });

  it('on a room calendar, a meeting the acting user organised is an attendee copy: the organiser’s own calendar is changed', async () => {
    // The Clerk organised it on her calendar; the room's calendar (read as the Clerk, its delegate) holds the room's copy.
    const theirs = w.sim.state.addEvent(USER.clerk, meeting('Planning committee', { attendees: [{ email: USER.clerk, organizer: true, responseStatus: 'accepted' }, { email: ROOM, resource: true, responseStatus: 'accepted' }] }));
    const roomCopy = w.sim.state.addEvent(ROOM, { ...meeting('Planning committee', { attendees: [{ email: USER.clerk, organizer: true, responseStatus: 'accepted' }, { email: ROOM, resource: true, responseStatus: 'accepted' }] }), iCalUID: theirs.iCalUID ?? '' });
    await new GoogleCalendarEditor(deps).addAttendees({ calendarId: 'council-chamber', uid: theirs.iCalUID ?? '', origin: roomCopy.id ?? '' }, [SUE]);
    expect(patches().map((p) => p.canonicalPath)).toEqual([`/calendar/v3/calendars/${USER.clerk}/events/${theirs.id ?? ''}`]);
    expect(answers(USER.clerk, theirs.id ?? '').map((a) => a[0])).toContain(USER.sue);
    expect(answers(ROOM, roomCopy.id ?? '').map((a) => a[0])).not.toContain(USER.sue);
    expect(invitations().map((i) => [i.from, i.to])).toEqual([[USER.clerk, [USER.sue]]]);
  });
});

describe('decline: the room answers no on its own copy of the booking', () => {
  it('sets the room\'s own answer to declined with the clause, as its delegate, telling the organiser; a repeat does nothing', async () => {
    const organiserCopy = w.sim.state.addEvent(USER.sam, meeting('Campaign launch', { organizer: { email: USER.sam }, attendees: [{ email: USER.raj, responseStatus: 'accepted' }, { email: ROOM, resource: true, responseStatus: 'accepted' }] }));
    const booking = w.sim.state.addEvent(ROOM, { ...meeting('Campaign launch', { organizer: { email: USER.sam }, attendees: [{ email: USER.raj, responseStatus: 'accepted' }, { email: ROOM, resource: true, responseStatus: 'accepted' }] }), iCalUID: organiserCopy.iCalUID ?? '' });
    const editor = new GoogleCalendarEditor(deps);
    await editor.declineBooking({ calendarId: 'council-chamber', uid: booking.iCalUID ?? '', origin: booking.id ?? '' }, undefined, REASON);

    expect(answers(ROOM, booking.id ?? '')).toEqual([
      [USER.raj, 'accepted', false, null],
      [ROOM, 'declined', false, REASON],
    ]);
    expect(patches().map((p) => [p.user, p.headers['if-match'], new URLSearchParams(p.query).get('sendUpdates')])).toEqual([[USER.clerk, booking.etag, 'all']]);
    expect(w.sim.state.sent.filter((s) => s.kind === 'response').map((s) => [s.from, s.to, s.responseStatus])).toEqual([[ROOM, [USER.sam], 'declined']]);
    expect(answers(USER.sam, organiserCopy.id ?? '').find((a) => a[0] === ROOM)?.[1]).toBe('declined');

    await editor.declineBooking({ calendarId: 'council-chamber', uid: booking.iCalUID ?? '', origin: booking.id ?? '' }, ROOM, REASON);
    expect(patches()).toHaveLength(1);
  });

  it('tells the Clerk exactly what to do by hand when Google refuses the delegate (403), and gives up on a booking the room does not have', async () => {
    const other = 'c_1888annexe0millbrook@resource.calendar.google.com';
    w.sim.addCalendar(other, { delegates: [USER.sue], summary: 'Annexe' });
    const booking = w.sim.state.addEvent(other, meeting('Campaign launch', { organizer: { email: USER.sam }, attendees: [{ email: other, resource: true, responseStatus: 'accepted' }] }));
    const editor = new GoogleCalendarEditor(deps);
    const err = await editor.declineBooking({ calendarId: 'council-events', uid: booking.iCalUID ?? '', origin: 'elsewhere' }, other, REASON).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    const message = (err as Error).message;
    expect(message).toContain(`decline it by hand: in Google Calendar, open the calendar of the room ${other}`);
    expect(message).toContain('"Campaign launch"');
    expect(message).toContain(REASON);
    expect(message).toMatch(/give clerk@millbrook-tc\.gov\.uk "Make changes to events".*Admin console/);
    expect(w.sim.state.sent.filter((s) => s.kind === 'response')).toEqual([]);

    const gone = await editor.declineBooking({ calendarId: 'council-chamber', uid: 'never-booked@google.com', origin: 'nope' }, undefined, REASON).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(PermanentEffectError);
    expect((gone as Error).message).toMatch(/not in the calendar of the room/);
  });
});
