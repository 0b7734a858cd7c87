import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Event } from '@microsoft/microsoft-graph-types';
import { MB, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

interface Page { value: Array<Record<string, unknown>>; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }

async function round(first: string): Promise<{ items: Array<Record<string, unknown>>; deltaLink: string }> {
  const items: Array<Record<string, unknown>> = [];
  let url: string | undefined = first;
  while (url) {
    const page = await h.client.api(url).header('Prefer', 'outlook.timezone="UTC", odata.maxpagesize=2').get() as Page;
    items.push(...page.value);
    if (page['@odata.deltaLink']) return { items, deltaLink: page['@odata.deltaLink'] };
    url = page['@odata.nextLink'];
  }
  throw new Error('no delta link');
}

const at = (dateTime: string) => ({ dateTime, timeZone: 'UTC' });
const meeting = (subject: string, start: string, end: string): Event => ({
  subject, start: at(start), end: at(end), isOrganizer: true,
  organizer: { emailAddress: { name: 'Helen Ashworth', address: MB.clerk } },
  attendees: [{ type: 'required', status: { response: 'accepted', time: '2027-04-01T10:00:00Z' }, emailAddress: { name: 'Cllr Raj Mehta', address: MB.raj } }],
  location: { displayName: 'Council Chamber' },
});

describe('Graph simulator: calendars', () => {
  it('pages calendarView/delta within the window baked into the link, and reports removals including moves out of it', async () => {
    const a = h.sim.state.addEvent(MB.clerk, meeting('Full council', '2027-04-15T18:00:00', '2027-04-15T20:00:00'));
    const b = h.sim.state.addEvent(MB.clerk, meeting('Planning committee', '2027-04-20T18:00:00', '2027-04-20T19:00:00'));
    const c = h.sim.state.addEvent(MB.clerk, meeting('Riverside surgery', '2027-04-22T10:00:00', '2027-04-22T11:00:00'));
    h.sim.state.addEvent(MB.clerk, meeting('Annual meeting', '2027-06-01T18:00:00', '2027-06-01T20:00:00'));
    const first = await round(`/users/${MB.clerk}/calendarView/delta?startDateTime=2027-04-12T00:00:00Z&endDateTime=2027-05-12T00:00:00Z`);
    expect(first.items.map((e) => e['subject'])).toEqual(['Full council', 'Planning committee', 'Riverside surgery']);
    expect(first.items[0]).toMatchObject({ '@odata.etag': `W/"${a.changeKey}"`, iCalUId: a.iCalUId, start: at('2027-04-15T18:00:00') });

    h.sim.state.deleteEvent(MB.clerk, a.id);
    h.sim.state.alterEvent(MB.clerk, b.id, { start: at('2027-07-01T18:00:00'), end: at('2027-07-01T19:00:00') });
    h.sim.state.alterEvent(MB.clerk, c.id, { subject: 'Riverside surgery (moved room)' });
    const second = await round(first.deltaLink);
    expect(second.items).toEqual(expect.arrayContaining([
      { '@odata.type': '#microsoft.graph.event', id: a.id, '@removed': { reason: 'deleted' } },
      { '@odata.type': '#microsoft.graph.event', id: b.id, '@removed': { reason: 'deleted' } },
      expect.objectContaining({ id: c.id, subject: 'Riverside surgery (moved room)' }),
    ]));
    expect(second.items).toHaveLength(3);
    expect(second.deltaLink).not.toContain('2027');
  });

  it('returns occurrences and exceptions (type, seriesMasterId, originalStart) but not the series master; deleted occurrences come back @removed', async () => {
    const master = h.sim.state.addEvent(MB.sam, {
      ...meeting('Castle ward surgery', '2027-04-03T10:00:00', '2027-04-03T11:00:00'), type: 'seriesMaster',
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['saturday'], firstDayOfWeek: 'monday' },
        range: { type: 'numbered', startDate: '2027-04-03', numberOfOccurrences: 3, recurrenceTimeZone: 'UTC' },
      },
    });
    const occurrence = (start: string, end: string, originalStart: string, type: 'occurrence' | 'exception', subject = 'Castle ward surgery'): Event =>
      ({ ...meeting(subject, start, end), type, seriesMasterId: master.id, originalStart });
    const o1 = h.sim.state.addEvent(MB.sam, occurrence('2027-04-03T10:00:00', '2027-04-03T11:00:00', '2027-04-03T10:00:00Z', 'occurrence'));
    const ex = h.sim.state.addEvent(MB.sam, occurrence('2027-04-10T14:00:00', '2027-04-10T15:00:00', '2027-04-10T10:00:00Z', 'exception', 'Castle ward surgery (afternoon)'));
    const o3 = h.sim.state.addEvent(MB.sam, occurrence('2027-04-17T10:00:00', '2027-04-17T11:00:00', '2027-04-17T10:00:00Z', 'occurrence'));

    const first = await round(`/users/${MB.sam}/calendarView/delta?startDateTime=2027-04-01T00:00:00Z&endDateTime=2027-05-01T00:00:00Z`);
    expect(first.items.map((e) => e['id'])).toEqual([o1.id, ex.id, o3.id]);
    expect(first.items.map((e) => [e['type'], e['seriesMasterId'], e['originalStart']])).toEqual([
      ['occurrence', master.id, '2027-04-03T10:00:00Z'],
      ['exception', master.id, '2027-04-10T10:00:00Z'],
      ['occurrence', master.id, '2027-04-17T10:00:00Z'],
    ]);
    expect(first.items.some((e) => e['type'] === 'seriesMaster' || e['id'] === master.id)).toBe(false);

    // The master is read by its id, with its recurrence.
    const read = await h.client.api(`/users/${MB.sam}/events/${master.id}`).get() as Event;
    expect(read).toMatchObject({ id: master.id, type: 'seriesMaster', recurrence: { pattern: { type: 'weekly', daysOfWeek: ['saturday'] } } });

    // One occurrence cancelled (deleted), the master edited: the round reports the removal only.
    h.sim.state.deleteEvent(MB.sam, o3.id);
    h.sim.state.alterEvent(MB.sam, master.id, { subject: 'Castle ward surgery (Saturdays)' });
    const second = await round(first.deltaLink);
    expect(second.items).toEqual([{ '@odata.type': '#microsoft.graph.event', id: o3.id, '@removed': { reason: 'deleted' } }]);
  });

  it('asks for a window on the first request', async () => {
    const err = await h.client.api(`/users/${MB.clerk}/calendarView/delta`).get().catch((e: unknown) => e);
    expect((err as GraphError).statusCode).toBe(400);
  });

  it('PATCH with a stale change key gets 412; with the current one it merges attendees and Exchange invites the new one', async () => {
    const ev = h.sim.state.addEvent(MB.clerk, meeting('Castle ward public meeting', '2027-04-28T19:00:00', '2027-04-28T20:30:00'));
    const read = await h.client.api(`/users/${MB.clerk}/events/${ev.id}`).get() as Event & { '@odata.etag': string };
    h.sim.state.alterEvent(MB.clerk, ev.id, { body: { contentType: 'text', content: 'Agenda attached.' } });
    const attendees = [...(read.attendees ?? []), { type: 'required' as const, emailAddress: { name: 'Cllr Sue Taylor', address: MB.sue } }];
    const stale = await h.client.api(`/users/${MB.clerk}/events/${ev.id}`).header('If-Match', read['@odata.etag']).patch({ attendees }).catch((e: unknown) => e);
    expect((stale as GraphError).statusCode).toBe(412);
    expect(h.sim.state.sent.filter((s) => s.kind === 'invitation')).toHaveLength(0);

    const fresh = await h.client.api(`/users/${MB.clerk}/events/${ev.id}`).get() as Event & { '@odata.etag': string };
    const merged = [...(fresh.attendees ?? []), { type: 'required' as const, emailAddress: { name: 'Cllr Sue Taylor', address: MB.sue } }];
    const patched = await h.client.api(`/users/${MB.clerk}/events/${ev.id}`).header('If-Match', fresh['@odata.etag']).patch({ attendees: merged }) as Event & { '@odata.etag': string };
    expect(patched['@odata.etag']).not.toBe(fresh['@odata.etag']);
    expect(patched.attendees?.[0]?.status?.response).toBe('accepted');
    expect(h.sim.state.sent.filter((s) => s.kind === 'invitation').map((s) => s.to)).toEqual([[MB.sue]]);
    expect([...h.sim.state.mailbox(MB.sue).events.values()].map((e) => e.json.iCalUId)).toContain(ev.iCalUId);
  });

  it('declines a room booking with a comment, and answers 403 where the app may not', async () => {
    const booking = h.sim.state.addEvent(MB.chamber, { ...meeting('Pre-election surgery', '2027-04-24T10:00:00', '2027-04-24T12:00:00'), isOrganizer: false, organizer: { emailAddress: { address: MB.sue } } });
    await h.client.api(`/users/${MB.chamber}/events/${booking.id}/decline`).post({ comment: 'Declined under clause 9.3 (pre-election period).', sendResponse: true });
    expect(h.sim.state.mailbox(MB.chamber).events.get(booking.id)?.json.responseStatus?.response).toBe('declined');
    expect(h.sim.state.sent.find((s) => s.kind === 'eventResponse')).toMatchObject({ from: MB.chamber, to: [MB.sue] });

    h.sim.state.mailbox(MB.chamber).denied.add('decline');
    const err = await h.client.api(`/users/${MB.chamber}/events/${booking.id}/decline`).post({ sendResponse: true }).catch((e: unknown) => e);
    expect((err as GraphError).statusCode).toBe(403);
    expect((err as GraphError).code).toBe('ErrorAccessDenied');
  });

  it('finds an event by iCalUId in another mailbox', async () => {
    const ev = h.sim.state.addEvent(MB.raj, meeting('Weir Road site visit', '2027-05-02T09:00:00', '2027-05-02T10:00:00'));
    const res = await h.client.api(`/users/${MB.raj}/events`).filter(`iCalUId eq '${ev.iCalUId ?? ''}'`).get() as { value: Event[] };
    expect(res.value.map((e) => e.id)).toEqual([ev.id]);
  });
});
