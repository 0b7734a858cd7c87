import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { fail, googleErrorOf, ROOM, startHarness, U, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

const meeting = (summary: string, day: number, attendees: string[] = []): calendar_v3.Schema$Event => ({
  summary,
  start: { dateTime: `2027-04-${String(day).padStart(2, '0')}T19:00:00+01:00`, timeZone: 'Europe/London' },
  end: { dateTime: `2027-04-${String(day).padStart(2, '0')}T21:00:00+01:00`, timeZone: 'Europe/London' },
  organizer: { email: U.clerk },
  attendees: attendees.map((email) => ({ email, responseStatus: 'needsAction' })),
});

async function listAll(cal: calendar_v3.Calendar, params: calendar_v3.Params$Resource$Events$List): Promise<{ items: calendar_v3.Schema$Event[]; nextSyncToken: string; pages: number }> {
  const items: calendar_v3.Schema$Event[] = [];
  let pageToken: string | undefined;
  let pages = 0;
  for (;;) {
    const res = await cal.events.list({ ...params, ...(pageToken ? { pageToken } : {}) });
    pages++;
    items.push(...(res.data.items ?? []));
    if (res.data.nextPageToken) { pageToken = res.data.nextPageToken; expect(res.data.nextSyncToken).toBeUndefined(); continue; }
    return { items, nextSyncToken: res.data.nextSyncToken ?? '', pages };
  }
}

describe('Google simulator: Calendar', () => {
  it('full sync in pages, then incremental sync with nextSyncToken (changes and cancellations); 410 after expiry', async () => {
    const cal = h.calendar(U.clerk);
    const a = h.sim.state.addEvent(U.clerk, meeting('Full Council', 15));
    const b = h.sim.state.addEvent(U.clerk, meeting('Planning', 16));
    const c = h.sim.state.addEvent(U.clerk, meeting('Finance', 17));
    expect(a).toMatchObject({ id: expect.stringMatching(/^[a-v0-9]+$/), iCalUID: `${a.id}@google.com`, etag: expect.stringMatching(/^"\d+"$/) });
    const full = await listAll(cal, { calendarId: 'primary', singleEvents: true, maxResults: 2, timeMin: '2027-04-01T00:00:00Z' });
    expect(full.pages).toBe(2);
    expect(full.items.map((e) => e.summary)).toEqual(['Full Council', 'Planning', 'Finance']);
    expect(full.items[0]?.organizer).toEqual({ email: U.clerk, self: true });
    expect(full.nextSyncToken).not.toBe('');

    h.sim.state.alterEvent(U.clerk, b.id ?? '', { summary: 'Planning (moved)' });
    h.sim.state.deleteEvent(U.clerk, c.id ?? '');
    const inc = await listAll(cal, { calendarId: 'primary', singleEvents: true, syncToken: full.nextSyncToken });
    expect(inc.items).toEqual([
      expect.objectContaining({ id: b.id, summary: 'Planning (moved)', status: 'confirmed' }),
      { kind: 'calendar#event', etag: expect.any(String), id: c.id, status: 'cancelled' },
    ]);
    const quiet = await listAll(cal, { calendarId: 'primary', syncToken: inc.nextSyncToken });
    expect(quiet.items).toEqual([]);

    const hidden = await listAll(cal, { calendarId: 'primary' });
    expect(hidden.items.map((e) => e.id)).not.toContain(c.id);
    const shown = await listAll(cal, { calendarId: 'primary', showDeleted: true });
    expect(shown.items.map((e) => e.id)).toContain(c.id);

    const byUid = await cal.events.list({ calendarId: 'primary', iCalUID: a.iCalUID ?? '' });
    expect(byUid.data.items?.map((e) => e.id)).toEqual([a.id]);
    const got = await cal.events.get({ calendarId: U.clerk, eventId: a.id ?? '' });
    expect(got.data.summary).toBe('Full Council');

    h.sim.state.expireSyncTokens(U.clerk);
    const gone = await fail(cal.events.list({ calendarId: 'primary', syncToken: quiet.nextSyncToken }));
    expect(gone.response?.status).toBe(410);
    expect(googleErrorOf(gone).errors[0]).toMatchObject({ domain: 'calendar', reason: 'fullSyncRequired' });
  });

  it('400 when a syncToken comes with timeMin (and the other restricted parameters)', async () => {
    const cal = h.calendar(U.sue);
    const { nextSyncToken } = await listAll(cal, { calendarId: 'primary' });
    const e = await fail(cal.events.list({ calendarId: 'primary', syncToken: nextSyncToken, timeMin: '2027-04-01T00:00:00Z' }));
    expect(e.response?.status).toBe(400);
    expect(googleErrorOf(e)).toMatchObject({ message: 'Sync token cannot be used with other request restrictions.', errors: [{ reason: 'syncTokenWithRequestRestrictions' }] });
    for (const extra of [{ q: 'x' }, { orderBy: 'updated' }, { showDeleted: false }, { iCalUID: 'x@google.com' }]) {
      expect((await fail(cal.events.list({ calendarId: 'primary', syncToken: nextSyncToken, ...extra }))).response?.status).toBe(400);
    }
    const order = await fail(cal.events.list({ calendarId: 'primary', orderBy: 'startTime' }));
    expect(order.response?.status).toBe(400);
  });

  it('paging quirk: an empty page with a nextPageToken first', async () => {
    h.sim.calendar.quirks = { emptyPagesBefore: 1 };
    try {
      const cal = h.calendar(U.clerk);
      const first = await cal.events.list({ calendarId: 'primary' });
      expect(first.data.items).toEqual([]);
      expect(first.data.nextPageToken).toBeTruthy();
      expect(first.data.nextSyncToken).toBeUndefined();
      const rest = await cal.events.list({ calendarId: 'primary', pageToken: first.data.nextPageToken ?? '' });
      expect(rest.data.items?.length).toBeGreaterThan(0);
    } finally { h.sim.calendar.quirks = {}; }
  });

  it('patch replaces arrays, 412 on a stale etag, sendUpdates=all invites each new attendee once', async () => {
    const cal = h.calendar(U.clerk);
    const ev = h.sim.state.addEvent(U.clerk, meeting('Standards Committee', 20, [U.sue, U.sam]));
    const sentBefore = h.sim.state.sent.length;
    const patched = await cal.events.patch(
      { calendarId: 'primary', eventId: ev.id ?? '', sendUpdates: 'all', requestBody: { attendees: [{ email: U.sue, responseStatus: 'accepted' }, { email: U.service }, { email: 'outsider@example.org' }] } },
      { headers: { 'If-Match': ev.etag ?? '' } },
    );
    expect(patched.data.attendees).toEqual([
      { email: U.sue, responseStatus: 'accepted' }, { email: U.service, responseStatus: 'needsAction' }, { email: 'outsider@example.org', responseStatus: 'needsAction' },
    ]);
    expect(patched.data.start).toEqual(ev.start);
    expect(patched.data.etag).not.toBe(ev.etag);
    const invitations = h.sim.state.sent.slice(sentBefore);
    expect(invitations.map((s) => [s.kind, s.to[0]])).toEqual([['invitation', U.service], ['invitation', 'outsider@example.org']]);
    expect(invitations[0]).toMatchObject({ from: U.clerk, eventId: ev.id, iCalUID: ev.iCalUID });

    const stale = await fail(cal.events.patch({ calendarId: 'primary', eventId: ev.id ?? '', requestBody: { summary: 'x' } }, { headers: { 'If-Match': ev.etag ?? '' } }));
    expect(stale.response?.status).toBe(412);
    expect(googleErrorOf(stale).errors[0]?.reason).toBe('conditionNotMet');

    // Same attendees again: nobody new, no invitation; externalOnly invites only outside the domain.
    await cal.events.patch({ calendarId: 'primary', eventId: ev.id ?? '', sendUpdates: 'all', requestBody: { summary: 'Standards', attendees: patched.data.attendees ?? [] } });
    await cal.events.patch({ calendarId: 'primary', eventId: ev.id ?? '', sendUpdates: 'externalOnly',
      requestBody: { attendees: [...(patched.data.attendees ?? []), { email: U.sam }, { email: 'press@example.net' }] } });
    expect(h.sim.state.sent.slice(sentBefore).map((s) => s.to[0])).toEqual([U.service, 'outsider@example.org', 'press@example.net']);
    const none = h.sim.state.sent.length;
    await cal.events.patch({ calendarId: 'primary', eventId: ev.id ?? '', sendUpdates: 'none', requestBody: { attendees: [{ email: 'late@example.org' }] } });
    expect(h.sim.state.sent.length).toBe(none);
  });

  it('a room declines through its delegate; anyone else gets 403 forbidden', async () => {
    const organizerCopy = h.sim.state.addEvent(U.clerk, { ...meeting('Hall booking', 22, [ROOM]), iCalUID: 'hall-22@google.com' });
    const roomCopy = h.sim.state.addEvent(ROOM, { ...meeting('Hall booking', 22, [ROOM]), iCalUID: 'hall-22@google.com', id: organizerCopy.id ?? '' });
    expect(roomCopy.attendees?.[0]).toMatchObject({ email: ROOM, self: true });
    const decline = { attendees: [{ email: ROOM, resource: true, responseStatus: 'declined' }] };

    const refused = await fail(h.calendar(U.sue).events.patch({ calendarId: ROOM, eventId: roomCopy.id ?? '', sendUpdates: 'all', requestBody: decline }));
    expect(refused.response?.status).toBe(403);
    expect(googleErrorOf(refused).errors[0]?.reason).toBe('forbidden');

    const ok = await h.calendar(U.clerk).events.patch({ calendarId: ROOM, eventId: roomCopy.id ?? '', sendUpdates: 'all', requestBody: decline });
    expect(ok.data.attendees?.[0]).toMatchObject({ email: ROOM, responseStatus: 'declined', self: true });
    expect(h.sim.state.sent.at(-1)).toMatchObject({ kind: 'response', from: ROOM, to: [U.clerk], responseStatus: 'declined' });
    const orgView = h.sim.state.events(U.clerk).find((e) => e.id === organizerCopy.id);
    expect(orgView?.attendees?.[0]?.responseStatus).toBe('declined');
  });

  it('unknown calendar or event: 404 notFound', async () => {
    const cal = h.calendar(U.clerk);
    expect((await fail(cal.events.list({ calendarId: 'nobody@example.org' }))).response?.status).toBe(404);
    expect((await fail(cal.events.get({ calendarId: 'primary', eventId: 'nope' }))).response?.status).toBe(404);
  });
});
