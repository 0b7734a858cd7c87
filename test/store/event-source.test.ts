/**
 * Migration 3: an event's place in its source (href, ETag), SEQUENCE, all-day flag and the
 * organiser's name are kept with its summary, and events recorded before it still read back.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { EventSummary } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { useStoreFiles } from './store-files.js';

const T0 = '2027-04-12T08:00:00.000Z';

function meeting(extra: Partial<EventSummary> = {}): EventSummary {
  return {
    key: 'castle-forum@millbrook-tc.gov.uk',
    calendarId: 'council-events',
    summary: 'Public meeting: traffic calming on Castle Street',
    start: '2027-04-20T17:00:00.000Z',
    end: '2027-04-20T18:30:00.000Z',
    location: 'Millbrook Library, Castle Street',
    kinds: ['public-meeting'],
    wards: ['castle'],
    organizer: A.clerk,
    attendees: [A.tom],
    ...extra,
  };
}

describe('events keep where their source holds them', () => {
  const files = useStoreFiles();
  const openStore = files.open;

  it('stores and returns the href, ETag, SEQUENCE, all-day flag and organiser name', async () => {
    const store = openStore();
    const event = meeting({
      organizerName: 'Helen Ashworth',
      origin: 'http://127.0.0.1:5232/protocol%40millbrook-tc.gov.uk/council-events/forum.ics',
      etag: '"a1b2"',
      sequence: 2,
      allDay: false,
    });
    await store.upsertEvent(event, T0);
    expect(await store.getEvent(event.key)).toEqual(event);

    const allDay = meeting({ key: 'fete@millbrook-tc.gov.uk', allDay: true, sequence: 0 });
    await store.upsertEvent(allDay, T0);
    expect(await store.getEvent(allDay.key)).toMatchObject({ allDay: true, sequence: 0 });
  });

  it('replaces the ETag when the event is read again after a change', async () => {
    const store = openStore();
    await store.upsertEvent(meeting({ origin: '/cal/forum.ics', etag: '"v1"', sequence: 0 }), T0);
    await store.upsertEvent(meeting({ origin: '/cal/forum.ics', etag: '"v2"', sequence: 1, attendees: [A.tom, A.alice] }), T0);
    expect(await store.getEvent('castle-forum@millbrook-tc.gov.uk')).toMatchObject({ etag: '"v2"', sequence: 1, attendees: [A.tom, A.alice] });
  });

  it('upgrades a file written before migration 3 and still reads its events, without the new fields', async () => {
    const before = MIGRATIONS.filter((m) => m.version < 3);
    openStore(before);
    await files.closeAll();
    // A row as the previous version of Wardwatch wrote it.
    const db = new Database(files.file);
    const m = meeting();
    db.prepare(
      `INSERT INTO events (key, calendar_id, summary, start, end, location, kinds, wards, organizer, attendees, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.key, m.calendarId, m.summary, m.start, m.end, m.location, JSON.stringify(m.kinds), JSON.stringify(m.wards), m.organizer ?? null, JSON.stringify(m.attendees), T0);
    db.close();

    const upgraded = openStore();
    const read = await upgraded.getEvent('castle-forum@millbrook-tc.gov.uk');
    expect(read).toEqual(meeting());
    expect(read).not.toHaveProperty('origin');
    expect(read).not.toHaveProperty('etag');
    await upgraded.upsertEvent(meeting({ origin: '/cal/forum.ics', etag: '"v3"' }), T0);
    expect(await upgraded.getEvent('castle-forum@millbrook-tc.gov.uk')).toMatchObject({ origin: '/cal/forum.ics', etag: '"v3"' });
  });
});
