/**
 * Calendar edits against the Graph simulator: inviting ward members into the organiser's event
 * (the whole attendee list kept, answers and all; If-Match on the change key; a 412 re-read and
 * retried once; invitations sent once, a repeat sending nothing; the organiser's copy when another
 * mailbox organised it; one occurrence of a series), and declining a room booking (the answer
 * sent once; a refused decline telling the Clerk what to do by hand; an unknown booking).
 */
import { readFileSync } from 'node:fs';
import type { Event } from '@microsoft/microsoft-graph-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarDelta } from '../../../connectors/graph/calendar-delta.js';
import { EDIT_SELECT, GraphCalendarEditor } from '../../../connectors/graph/calendar-edit.js';
import type { GraphDeps } from '../../../connectors/graph/deps.js';
import { GraphTransport } from '../../../connectors/graph/transport.js';
import { PermanentEffectError } from '../../../src/outbox/outbox.js';
import type { RecordSink } from '../../../src/sources/types.js';
import { Gate, readCsdl, schemaProblems } from '../../graph-sim/index.js';
import { MemoryCursors } from './memory-cursors.js';
import { MB, startTenant, type Tenant } from './sim-setup.js';

const DAY = 86_400_000;
const REASON = 'Declined under clause 9.3 of the Member/Officer Protocol: council rooms are not booked for campaigning in the pre-election period.';

let t: Tenant;
let deps: GraphDeps;
let warnings: { fields: Record<string, unknown>; message: string }[];
beforeEach(async () => {
  t = await startTenant();
  warnings = [];
  const settings = t.settings();
  deps = {
    transport: new GraphTransport(settings, t.transportOptions()),
    settings,
    cursors: new MemoryCursors(),
    logger: { debug: () => {}, info: () => {}, warn: (fields, message) => warnings.push({ fields, message: message ?? '' }), error: () => {} },
    now: () => new Date(t.clock.now()),
  };
});
afterEach(async () => {
  await t.close();
});

function wall(days: number, hour: number): string {
  const today = Math.floor(t.clock.now() / DAY) * DAY;
  return new Date(today + days * DAY + hour * 3_600_000).toISOString().slice(0, 19);
}
const at = (dateTime: string) => ({ dateTime, timeZone: 'UTC' });

function meeting(subject: string, days: number, hour: number, extra: Partial<Event> = {}): Event {
  return {
    subject,
    start: at(wall(days, hour)),
    end: at(wall(days, hour + 1)),
    isOrganizer: true,
    organizer: { emailAddress: { name: 'Helen Ashworth', address: MB.clerk } },
    attendees: [
      { type: 'required', status: { response: 'accepted', time: '2026-11-01T10:00:00Z' }, emailAddress: { name: 'Cllr Raj Mehta', address: MB.raj } },
      { type: 'optional', status: { response: 'declined', time: '2026-11-02T09:00:00Z' }, emailAddress: { name: 'Sam Patel', address: MB.sam } },
    ],
    location: { displayName: 'Millbrook Library, Castle Street' },
    ...extra,
  };
}

const invitations = () => t.sim.state.sent.filter((s) => s.kind === 'invitation');
const patches = () => t.sim.requests((r) => r.method === 'PATCH');
const attendeesOf = (mailbox: string, id: string) =>
  (t.sim.state.mailbox(mailbox).events.get(id)?.json.attendees ?? []).map((a) => [a.emailAddress?.address, a.type, a.status?.response ?? null]);
const SUE = { address: MB.sue, name: 'Cllr Sue Taylor' };
const CHAMBER_GUEST = { address: 'ben.hughes@millbrook-tc.gov.uk', name: 'Cllr Ben Hughes' };

describe('invite: adding ward members to the organiser’s event', () => {
  it('merges the missing members into the whole list, keeping every answer, under If-Match; a repeat sends nothing', async () => {
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Public meeting: Castle Street parking', 20, 18));
    const editor = new GraphCalendarEditor(deps);
    expect(editor.capabilities).toEqual({ addAttendees: true, declineBooking: true });
    expect(editor.name).toBe('graph');
    const ref = { calendarId: 'council-events', uid: ev.iCalUId ?? '', origin: ev.id, etag: ev.changeKey };
    const changeKey = t.sim.state.mailbox(MB.clerk).events.get(ev.id)?.json.changeKey;

    await editor.addAttendees(ref, [SUE, { address: MB.raj.toUpperCase() }, CHAMBER_GUEST]);

    expect(attendeesOf(MB.clerk, ev.id)).toEqual([
      [MB.raj, 'required', 'accepted'],
      [MB.sam, 'optional', 'declined'],
      [MB.sue, 'required', null],
      [CHAMBER_GUEST.address, 'required', null],
    ]);
    expect(invitations().map((s) => [s.from, s.to])).toEqual([
      [MB.clerk, [MB.sue]],
      [MB.clerk, [CHAMBER_GUEST.address]],
    ]);
    expect(patches().map((p) => p.headers['if-match'])).toEqual([`W/"${changeKey ?? ''}"`]);

    // The same effect again (a retry after a crash): nobody added, nothing sent, nothing patched.
    await editor.addAttendees(ref, [SUE, CHAMBER_GUEST]);
    expect(invitations()).toHaveLength(2);
    expect(patches()).toHaveLength(1);
    expect(t.sim.requests().every((r) => r.mailbox !== MB.clerk || (r.headers['prefer'] ?? '').includes('IdType="ImmutableId"'))).toBe(true);
  });

  it('reads the meeting again after a 412 and merges once more, keeping the change made meanwhile', async () => {
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Public meeting: Castle Street parking', 20, 18));
    const gate = new Gate();
    t.sim.inject({ kind: 'hold', gate }, { path: `/users/${MB.clerk}/events/${ev.id}`, method: 'PATCH' });
    const editing = new GraphCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ev.iCalUId ?? '', origin: ev.id }, [SUE]);
    await gate.waiting(1);
    // The Clerk adds someone in Outlook while Wardwatch's change is on its way.
    const now = t.sim.state.mailbox(MB.clerk).events.get(ev.id)?.json.attendees ?? [];
    t.sim.state.alterEvent(MB.clerk, ev.id, { attendees: [...now, { type: 'required', emailAddress: { address: CHAMBER_GUEST.address } }] });
    gate.open();
    await editing;

    expect(patches().map((p) => p.status)).toEqual([412, 200]);
    expect(attendeesOf(MB.clerk, ev.id).map((a) => a[0])).toEqual([MB.raj, MB.sam, CHAMBER_GUEST.address, MB.sue]);
    expect(attendeesOf(MB.clerk, ev.id)[0]).toEqual([MB.raj, 'required', 'accepted']);
    expect(invitations().map((s) => s.to)).toEqual([[MB.sue]]);
  });

  it('retries a 412 only once, then leaves the effect to be tried again later (not given up)', async () => {
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Public meeting: Castle Street parking', 20, 18));
    const path = `/users/${MB.clerk}/events/${ev.id}`;
    const first = new Gate();
    t.sim.inject({ kind: 'hold', gate: first }, { path, method: 'PATCH' });
    const editing = new GraphCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ev.iCalUId ?? '', origin: ev.id }, [SUE]).catch((e: unknown) => e);
    await first.waiting(1);
    t.sim.state.alterEvent(MB.clerk, ev.id, { subject: 'Public meeting: Castle Street parking (v2)' });
    // Hold the re-read, so that the second PATCH can be held in turn (held requests take later rules too).
    const reread = new Gate();
    t.sim.inject({ kind: 'hold', gate: reread }, { path, method: 'GET' });
    first.open();
    await reread.waiting(1);
    const second = new Gate();
    t.sim.inject({ kind: 'hold', gate: second }, { path, method: 'PATCH' });
    reread.open();
    await second.waiting(1);
    t.sim.state.alterEvent(MB.clerk, ev.id, { subject: 'Public meeting: Castle Street parking (v3)' });
    second.open();
    const err = await editing;
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toContain('kept changing');
    expect(patches().map((p) => p.status)).toEqual([412, 412]);
    expect(invitations()).toEqual([]);
  });

  it('acts on the organiser’s copy when another mailbox of the tenant organised the meeting', async () => {
    const theirs = t.sim.state.addEvent(MB.sue, meeting('Riverside residents’ meeting', 15, 19, { organizer: { emailAddress: { name: 'Cllr Sue Taylor', address: MB.sue } } }));
    const { id: _id, changeKey: _ck, ...copy } = theirs;
    const ours = t.sim.state.addEvent(MB.clerk, { ...copy, isOrganizer: false });
    await new GraphCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ours.iCalUId ?? '', origin: ours.id }, [CHAMBER_GUEST]);
    expect(patches().map((p) => p.mailbox)).toEqual([MB.sue]);
    expect(attendeesOf(MB.sue, theirs.id).map((a) => a[0])).toEqual([MB.raj, MB.sam, CHAMBER_GUEST.address]);
    expect(invitations().map((s) => [s.from, s.to])).toEqual([[MB.sue, [CHAMBER_GUEST.address]]]);
  });

  it('says who must invite when the organiser is outside the tenant', async () => {
    const ev = t.sim.state.addEvent(MB.clerk, meeting('County liaison', 15, 19, { isOrganizer: false, organizer: { emailAddress: { name: 'County Clerk', address: 'clerk@county.example' } } }));
    const err = await new GraphCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ev.iCalUId ?? '', origin: ev.id }, [SUE]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toContain('Only the organiser of "County liaison" (clerk@county.example) can add attendees');
    expect(patches()).toEqual([]);
  });

  it('invites to one occurrence of a series: that instance is changed, not the series', async () => {
    const master = t.sim.state.addEvent(MB.clerk, {
      ...meeting('Castle ward surgery', 5, 10),
      type: 'seriesMaster',
      recurrence: { pattern: { type: 'daily', interval: 7 }, range: { type: 'numbered', startDate: wall(5, 10).slice(0, 10), numberOfOccurrences: 2, recurrenceTimeZone: 'UTC' } },
    });
    const instance = (days: number): Event => ({ ...meeting('Castle ward surgery', days, 10), type: 'occurrence', seriesMasterId: master.id, originalStart: `${wall(days, 10)}Z` });
    const first = t.sim.state.addEvent(MB.clerk, instance(5));
    const second = t.sim.state.addEvent(MB.clerk, instance(12));
    const sink: RecordSink = { record: async () => {}, removed: async () => {}, problem: () => {} };
    await new CalendarDelta(deps).round(deps.settings.calendars[0]!, sink);

    await new GraphCalendarEditor(deps).addAttendees(
      { calendarId: 'council-events', uid: master.iCalUId ?? '', recurrenceId: new Date(`${wall(12, 10)}Z`).toISOString(), origin: master.id },
      [SUE],
    );
    expect(patches().map((p) => p.canonicalPath)).toEqual([`/users/${MB.clerk}/events/${second.id}`]);
    expect(attendeesOf(MB.clerk, second.id).map((a) => a[0])).toContain(MB.sue);
    expect(attendeesOf(MB.clerk, first.id).map((a) => a[0])).not.toContain(MB.sue);
    expect(attendeesOf(MB.clerk, master.id).map((a) => a[0])).not.toContain(MB.sue);
  });

  it('gives up on a meeting no longer in the calendar, saying so', async () => {
    const err = await new GraphCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: 'gone@example', origin: 'AAMkGone' }, [SUE]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toContain('is no longer in the calendar council-events');
  });
});

describe('block: declining a room booking', () => {
  const booking = (): Event => meeting('Pre-election surgery', 9, 10, { isOrganizer: false, organizer: { emailAddress: { name: 'Cllr Sue Taylor', address: MB.sue } } });

  it('declines on the room mailbox’s copy with the reason, sending the answer once', async () => {
    const ev = t.sim.state.addEvent(MB.chamber, booking());
    const editor = new GraphCalendarEditor(deps);
    const ref = { calendarId: 'council-chamber', uid: ev.iCalUId ?? '', origin: ev.id };
    await editor.declineBooking(ref, undefined, REASON);
    expect(t.sim.state.mailbox(MB.chamber).events.get(ev.id)?.json.responseStatus?.response).toBe('declined');
    const answers = t.sim.state.sent.filter((s) => s.kind === 'eventResponse');
    expect(answers.map((s) => [s.from, s.to, s.mime])).toEqual([[MB.chamber, [MB.sue], REASON]]);

    await editor.declineBooking(ref, undefined, REASON);
    expect(t.sim.state.sent.filter((s) => s.kind === 'eventResponse')).toHaveLength(1);
    expect(t.sim.requests((r) => r.canonicalPath.endsWith('/decline'))).toHaveLength(1);
  });

  it('finds the room’s copy by iCalUId when the meeting was read from another calendar', async () => {
    const theirs = t.sim.state.addEvent(MB.sue, booking());
    const { id: _id, changeKey: _ck, ...copy } = theirs;
    const roomCopy = t.sim.state.addEvent(MB.chamber, copy);
    const clerkCopy = t.sim.state.addEvent(MB.clerk, copy);
    await new GraphCalendarEditor(deps).declineBooking({ calendarId: 'council-events', uid: clerkCopy.iCalUId ?? '', origin: clerkCopy.id }, MB.chamber, REASON);
    expect(t.sim.state.mailbox(MB.chamber).events.get(roomCopy.id)?.json.responseStatus?.response).toBe('declined');
    expect(t.sim.state.mailbox(MB.clerk).events.get(clerkCopy.id)?.json.responseStatus?.response).not.toBe('declined');
  });

  it('tells the Clerk exactly what to do by hand when the app may not decline, and warns', async () => {
    const ev = t.sim.state.addEvent(MB.chamber, booking());
    t.sim.state.mailbox(MB.chamber).denied.add('decline');
    const err = await new GraphCalendarEditor(deps).declineBooking({ calendarId: 'council-chamber', uid: ev.iCalUId ?? '', origin: ev.id }, undefined, REASON).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    const message = (err as Error).message;
    expect(message).toContain(`did not let Wardwatch decline the booking of ${MB.chamber} for "Pre-election surgery"`);
    expect(message).toContain('in Outlook, open the calendar of');
    expect(message).toContain(`give this reason: "${REASON}"`);
    expect(message).toContain('RBAC for Applications management scope');
    expect(message).toMatch(/ on \w+day,? \d{1,2} \w+ \d{4},? (at )?\d{2}:\d{2} /);
    expect(warnings.map((w) => [w.message, w.fields['room']])).toEqual([[expect.stringContaining('decline it by hand'), MB.chamber]]);
    expect(t.sim.state.sent.filter((s) => s.kind === 'eventResponse')).toEqual([]);
  });

  it('gives up on a booking the room does not have, saying so', async () => {
    const err = await new GraphCalendarEditor(deps).declineBooking({ calendarId: 'council-chamber', uid: 'never-booked@example', origin: 'AAMkNope' }, undefined, REASON).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect((err as Error).message).toContain(`is not in the calendar of the room ${MB.chamber}`);
  });

  it('refuses when no room is named and the calendar is not a room', async () => {
    const err = await new GraphCalendarEditor(deps).declineBooking({ calendarId: 'council-events', uid: 'x@example', origin: 'AAMkX' }, undefined, REASON).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentEffectError);
    expect(t.sim.requests()).toEqual([]);
  });
});

describe('calendar edits: the schema', () => {
  it('reads and sends only properties graph.event has', async () => {
    const types = readCsdl(readFileSync(new URL('../../../../shared/graph/v1.0-Prod.csdl', import.meta.url), 'utf8'));
    const strict = new Set(['graph.event']);
    expect(schemaProblems(types, 'graph.event', Object.fromEntries(EDIT_SELECT.map((p) => [p, null])), 'event', strict)).toEqual([]);
    // The PATCH body as sent (captured from the simulator's copy of it).
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Public meeting', 20, 18));
    await new GraphCalendarEditor(deps).addAttendees({ calendarId: 'council-events', uid: ev.iCalUId ?? '', origin: ev.id }, [SUE]);
    const patched = t.sim.state.mailbox(MB.clerk).events.get(ev.id)?.json;
    expect(schemaProblems(types, 'graph.event', { attendees: patched?.attendees }, 'event', strict)).toEqual([]);
  });
});
