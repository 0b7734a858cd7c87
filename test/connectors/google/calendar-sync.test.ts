/**
 * Calendar sync rounds against the Google simulator: a first read from timeMin with showDeleted
 * and singleEvents=false, paged; later rounds by syncToken alone; a series handed over whole
 * (master with EXDATE for a cancelled occurrence, every exception) under iCalendar's keys;
 * deletions and cancelled occurrences withdrawn; a forgotten token (410) read afresh with no
 * second action; the token stored only once every record was taken; a room read as its delegate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { calendar_v3 } from 'googleapis/build/src/apis/calendar/v3.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CalendarSync, calendarCursorKey } from '../../../connectors/google/calendar-sync.js';
import type { GoogleCalendar, GoogleSettings } from '../../../connectors/google/config.js';
import type { GoogleDeps } from '../../../connectors/google/deps.js';
import { GoogleTransport } from '../../../connectors/google/transport.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { Engine } from '../../../src/engine/engine.js';
import { eventItemsFromNormalised } from '../../../src/items/normalised-event.js';
import type { Problem } from '../../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../../src/outbox/outbox.js';
import { silentLogger } from '../../../src/service/logger.js';
import { LivePipeline, type RecordOutcome } from '../../../src/service/pipeline.js';
import type { EventsRecord, RecordSink, Removal, SourceRecord } from '../../../src/sources/types.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { councilConfigInput } from '../../support/council.js';
import { MemoryCursors } from '../graph/memory-cursors.js';

/** What the calendar's cursor is read as here: only its sync token matters to these tests. */
const StoredCursor = z.object({ syncToken: z.string().optional() });
import { ROOM, startWorkspace, USER, type Workspace } from './sim-setup.js';

const DAY = 86_400_000;

class RecordingSink implements RecordSink {
  records: EventsRecord[] = [];
  removals: Removal[] = [];
  problems: Problem[] = [];
  async record(record: SourceRecord): Promise<void> {
    if (record.kind !== 'events') throw new Error(`unexpected ${record.kind}`);
    this.records.push(record);
  }
  async removed(removal: Removal): Promise<void> {
    this.removals.push(removal);
  }
  problem(problem: Problem): void {
    this.problems.push(problem);
  }
  clear(): void {
    this.records = [];
    this.removals = [];
    this.problems = [];
  }
}

let w: Workspace;
let cursors: MemoryCursors;
let warnings: string[];
beforeEach(async () => {
  w = await startWorkspace();
  cursors = new MemoryCursors();
  warnings = [];
});
afterEach(async () => {
  await w.close();
});

function depsFor(extra: Record<string, unknown> = {}): GoogleDeps {
  const settings = w.settings({ pageSize: 2, ...extra });
  return {
    transport: new GoogleTransport(settings, w.transportOptions()),
    settings,
    cursors,
    logger: { debug: () => {}, info: () => {}, warn: (_f, m) => warnings.push(m ?? ''), error: () => {} },
    now: () => new Date(w.clock.now()),
  };
}

const calendarOf = (settings: GoogleSettings, id = 'council-events'): GoogleCalendar => {
  const c = settings.calendars.find((x) => x.id === id);
  if (!c) throw new Error(`no calendar ${id}`);
  return c;
};

/** An instant `days` from today at `hour` UTC, as Google writes it. */
function at(days: number, hour: number): calendar_v3.Schema$EventDateTime {
  const today = Math.floor(w.clock.now() / DAY) * DAY;
  return { dateTime: new Date(today + days * DAY + hour * 3_600_000).toISOString().replace('.000Z', 'Z'), timeZone: 'Europe/London' };
}

function meeting(summary: string, days: number, hour: number, extra: calendar_v3.Schema$Event = {}): calendar_v3.Schema$Event {
  return {
    summary,
    start: at(days, hour),
    end: at(days, hour + 1),
    organizer: { email: USER.clerk, displayName: 'Helen Ashworth' },
    attendees: [{ email: USER.raj, displayName: 'Cllr Raj Mehta', responseStatus: 'accepted' }],
    ...extra,
  };
}

function keysOf(record: EventsRecord, settings: GoogleSettings): string[] {
  const parsed = eventItemsFromNormalised(record.events, {
    calendarId: record.calendarId,
    origin: record.origin,
    timeZone: settings.timeZone,
    horizon: { from: new Date(w.clock.now() - 60 * DAY).toISOString(), to: new Date(w.clock.now() + 400 * DAY).toISOString() },
  });
  expect(parsed.problems).toEqual([]);
  return parsed.events.map((e) => e.key).sort();
}

const listRequests = () => w.sim.requests((r) => r.api === 'calendar' && r.method === 'GET' && /\/events$/.test(r.path) && !r.query.includes('iCalUID'));

/** A weekly series with one moved occurrence (an exception). */
function addSeries(calendarId = USER.clerk): { master: calendar_v3.Schema$Event; exception: calendar_v3.Schema$Event } {
  const master = w.sim.state.addEvent(calendarId, meeting('North ward surgery', 7, 18, { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=6'] }));
  const original = at(14, 18);
  const exception = w.sim.state.addEvent(calendarId, {
    ...meeting('North ward surgery (early start)', 14, 17),
    id: `${master.id ?? ''}_${(original.dateTime ?? '').replace(/[-:]/g, '')}`,
    iCalUID: master.iCalUID ?? '',
    recurringEventId: master.id ?? '',
    originalStartTime: original,
  });
  return { master, exception };
}

describe('calendar sync', () => {
  it('first reads from timeMin with showDeleted and singleEvents=false, paged; singles one record each, a series as master and exception', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const single = w.sim.state.addEvent(USER.clerk, meeting('Full council', 10, 18));
    const allDay = w.sim.state.addEvent(USER.clerk, { summary: 'Litter pick', start: { date: '2030-01-01' }, end: { date: '2030-01-02' }, organizer: { email: USER.clerk } });
    const old = w.sim.state.addEvent(USER.clerk, meeting('Long past', -90, 18));
    const { master, exception } = addSeries();
    const sink = new RecordingSink();
    const result = await new CalendarSync(deps).round(calendar, sink);

    expect(sink.problems).toEqual([]);
    expect(result).toEqual({ records: 3, removed: 0 });
    const byOrigin = new Map(sink.records.map((r) => [r.origin, r]));
    expect([...byOrigin.keys()].sort()).toEqual([single.id, allDay.id, master.id].sort());
    expect(byOrigin.has(old.id ?? '')).toBe(false);
    expect(keysOf(byOrigin.get(single.id ?? '') as EventsRecord, deps.settings)).toEqual([single.iCalUID]);
    const series = byOrigin.get(master.id ?? '') as EventsRecord;
    expect(series.etag).toBe(master.etag);
    expect(keysOf(series, deps.settings)).toEqual([master.iCalUID, `${master.iCalUID ?? ''}#${new Date(exception.originalStartTime?.dateTime ?? '').toISOString()}`].sort());

    const lists = listRequests();
    expect(lists.length).toBeGreaterThan(1); // paged by 2
    for (const r of lists) {
      const q = new URLSearchParams(r.query);
      expect(q.get('singleEvents')).toBe('false');
      expect(q.get('showDeleted')).toBe('true');
      expect(Date.parse(q.get('timeMin') ?? '')).toBe(w.clock.now() - deps.settings.backfillDays * DAY);
      expect(q.get('maxResults')).toBe('2');
      expect(r.user).toBe(USER.clerk);
    }
    const stored = StoredCursor.parse(JSON.parse((await cursors.getCursor('google', calendarCursorKey('council-events'))) ?? '{}'));
    expect(stored.syncToken).toBeTruthy();
  });

  it('later rounds ask by syncToken alone and hand over what changed; a changed exception brings its whole series', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    w.sim.state.addEvent(USER.clerk, meeting('Full council', 10, 18));
    const { master, exception } = addSeries();
    await new CalendarSync(deps).round(calendar, new RecordingSink());
    const before = listRequests().length;

    const sink = new RecordingSink();
    expect(await new CalendarSync(deps).round(calendar, sink)).toEqual({ records: 0, removed: 0 });
    w.sim.state.alterEvent(USER.clerk, exception.id ?? '', { location: 'Council Chamber' });
    const added = w.sim.state.addEvent(USER.clerk, meeting('Planning committee', 3, 18));
    await new CalendarSync(deps).round(calendar, sink);

    for (const r of listRequests().slice(before)) {
      const q = new URLSearchParams(r.query);
      expect(q.get('syncToken')).toBeTruthy();
      expect(q.has('timeMin') || q.has('showDeleted') || q.has('timeMax')).toBe(false);
    }
    expect(sink.records.map((r) => r.origin).sort()).toEqual([added.id, master.id].sort());
    const series = sink.records.find((r) => r.origin === master.id) as EventsRecord;
    expect(series.events).toHaveLength(2);
    expect(series.events[1]).toMatchObject({ location: 'Council Chamber' });
    // The series was read whole by its iCalUID.
    expect(w.sim.requests((r) => r.query.includes('iCalUID')).length).toBeGreaterThan(0);
  });

  it('withdraws a deleted event as deleted (by origin, Google giving only its id) and a cancelled occurrence by UID and RECURRENCE-ID, which also leaves the series', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const single = w.sim.state.addEvent(USER.clerk, meeting('Full council', 10, 18));
    const { master } = addSeries();
    await new CalendarSync(deps).round(calendar, new RecordingSink());

    w.sim.state.deleteEvent(USER.clerk, single.id ?? '');
    const original = at(21, 18);
    // Google makes a cancelled exception for one occurrence deleted from a series.
    w.sim.state.addEvent(USER.clerk, {
      id: `${master.id ?? ''}_${(original.dateTime ?? '').replace(/[-:]/g, '')}`,
      iCalUID: master.iCalUID ?? '',
      recurringEventId: master.id ?? '',
      originalStartTime: original,
      status: 'cancelled',
      start: original,
      end: at(21, 19),
    });
    const sink = new RecordingSink();
    const result = await new CalendarSync(deps).round(calendar, sink);

    expect(sink.removals).toEqual([
      { kind: 'event', calendarId: 'council-events', reason: 'deleted', origin: single.id },
      { kind: 'event', calendarId: 'council-events', reason: 'cancelled', uid: master.iCalUID, recurrenceId: new Date(original.dateTime ?? '').toISOString(), origin: expect.stringContaining('_') },
    ]);
    expect(result).toEqual({ records: 1, removed: 2 });
    // The series' record leaves the cancelled occurrence out of its expansion (EXDATE).
    const series = sink.records[0] as EventsRecord;
    const parsed = eventItemsFromNormalised(series.events, { calendarId: 'council-events', origin: series.origin, timeZone: 'Europe/London', horizon: { from: new Date(w.clock.now()).toISOString(), to: new Date(w.clock.now() + 60 * DAY).toISOString() } });
    const starts = parsed.events.find((e) => e.recurring)?.occurrences.map((o) => o.start) ?? [];
    expect(starts).not.toContain(new Date(original.dateTime ?? '').toISOString());
    expect(starts.length).toBeGreaterThan(2);

    // The whole series deleted: withdrawn with its master.
    w.sim.state.deleteEvent(USER.clerk, master.id ?? '');
    sink.clear();
    await new CalendarSync(deps).round(calendar, sink);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'deleted', origin: master.id }]);
  });

  it('reads afresh when Google has forgotten the token (410): what was deleted meanwhile comes back cancelled, nothing is acted on twice', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'google-calendar-'));
    const store = new SqliteStore(path.join(dir, 'state.sqlite'));
    try {
      const config = ConfigSchema.parse({ ...councilConfigInput, limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } } });
      const engine = new Engine(config);
      const pipeline = new LivePipeline({ store, engine, outbox: new Outbox(store, { planning: planningContextFrom(config, engine.directory) }), logger: silentLogger() });
      const outcomes: RecordOutcome[] = [];
      const removals: Removal[] = [];
      const sink: RecordSink = {
        record: async (r) => {
          outcomes.push(await pipeline.take(r));
        },
        removed: async (r) => {
          removals.push(r);
          await pipeline.removed(r);
        },
        problem: (p) => pipeline.problem(p),
      };
      const deps = depsFor();
      const calendar = calendarOf(deps.settings);
      const ev = w.sim.state.addEvent(USER.clerk, {
        ...meeting('Public meeting: traffic calming on Castle Street', 20, 18),
        description: 'An open public meeting for residents.',
        attendees: [],
      });
      const doomed = w.sim.state.addEvent(USER.clerk, meeting('Allotments working group', 12, 18));
      await new CalendarSync(deps).round(calendar, sink);
      expect(outcomes.map((o) => o.items.map((i) => [i.key, i.status])).sort()).toEqual([[[doomed.iCalUID, 'evaluated']], [[ev.iCalUID, 'evaluated']]].sort());
      const planned = (await store.listEffects()).map((e) => e.key).sort();
      expect(planned.length).toBeGreaterThan(0);

      w.sim.state.deleteEvent(USER.clerk, doomed.id ?? '');
      w.sim.state.expireSyncTokens(USER.clerk);
      outcomes.length = 0;
      await new CalendarSync(deps).round(calendar, sink);
      expect(warnings.some((m) => /sync token/.test(m))).toBe(true);
      expect(w.sim.requests((r) => r.status === 410)).toHaveLength(1);
      expect(outcomes.map((o) => o.items.map((i) => [i.key, i.status]))).toEqual([[[ev.iCalUID, 'unchanged']]]);
      expect(removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'deleted', uid: doomed.iCalUID, origin: doomed.id }]);
      expect((await store.listEffects()).map((e) => e.key).sort()).toEqual(planned);
      const stored = StoredCursor.parse(JSON.parse((await cursors.getCursor('google', calendarCursorKey('council-events'))) ?? '{}'));
      // The new token works.
      outcomes.length = 0;
      await new CalendarSync(deps).round(calendar, sink);
      expect(outcomes).toEqual([]);
      expect(stored.syncToken).toBeTruthy();
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores no new position when a record is not taken', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    w.sim.state.addEvent(USER.clerk, meeting('Full council', 10, 18));
    const failing: RecordSink = {
      record: async () => {
        throw new Error('the state store is full');
      },
      removed: async () => {},
      problem: () => {},
    };
    await expect(new CalendarSync(deps).round(calendar, failing)).rejects.toThrow('the state store is full');
    expect(await cursors.getCursor('google', calendarCursorKey('council-events'))).toBeUndefined();
    const sink = new RecordingSink();
    await new CalendarSync(deps).round(calendar, sink);
    expect(sink.records).toHaveLength(1);
  });

  it('hands over, under its own key, an occurrence whose series is not on the calendar (a room booked for one occurrence), and withdraws it when cancelled', async () => {
    const deps = depsFor();
    // The Clerk's weekly series; the room was added to one occurrence only, so the room's calendar holds just that occurrence.
    const { master, exception } = addSeries(USER.clerk);
    const roomOnly = w.sim.state.addEvent(ROOM, {
      ...exception,
      attendees: [...(exception.attendees ?? []), { email: ROOM, resource: true, responseStatus: 'accepted' }],
    });
    const sink = new RecordingSink();
    const result = await new CalendarSync(deps).round(calendarOf(deps.settings, 'council-chamber'), sink);
    expect(result).toEqual({ records: 1, removed: 0 });
    expect(sink.problems).toEqual([]);
    expect(sink.records.map((r) => [r.calendarId, r.origin])).toEqual([['council-chamber', roomOnly.id]]);
    const original = new Date(exception.originalStartTime?.dateTime ?? '').toISOString();
    const key = `${master.iCalUID ?? ''}#${original}`;
    expect(keysOf(sink.records[0] as EventsRecord, deps.settings)).toEqual([key]);
    expect(sink.records[0]?.events[0]).toMatchObject({ summary: 'North ward surgery (early start)', attendees: expect.arrayContaining([expect.objectContaining({ address: ROOM, cutype: 'ROOM' })]) });
    // The same key as the occurrence read with its series from the Clerk's calendar.
    const clerkSink = new RecordingSink();
    await new CalendarSync(deps).round(calendarOf(deps.settings), clerkSink);
    const series = clerkSink.records.find((r) => r.origin === master.id);
    expect(keysOf(series as EventsRecord, deps.settings)).toContain(key);

    // The room taken off that occurrence (its copy cancelled): withdrawn by the id it was handed over under.
    w.sim.state.deleteEvent(ROOM, roomOnly.id ?? '');
    sink.clear();
    await new CalendarSync(deps).round(calendarOf(deps.settings, 'council-chamber'), sink);
    expect(sink.records).toEqual([]);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-chamber', reason: 'cancelled', origin: roomOnly.id }]);
  });

  it('reads a room\'s calendar as its delegate, and survives pages with no items', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings, 'council-chamber');
    w.sim.calendar.quirks = { emptyPagesBefore: 2 };
    const booking = w.sim.state.addEvent(ROOM, meeting('Campaign launch', 5, 18, { attendees: [{ email: ROOM, resource: true, responseStatus: 'accepted' }] }));
    const sink = new RecordingSink();
    await new CalendarSync(deps).round(calendar, sink);
    expect(sink.records.map((r) => [r.calendarId, r.origin])).toEqual([['council-chamber', booking.id]]);
    expect(sink.records[0]?.events[0]).toMatchObject({ attendees: [{ address: ROOM, cutype: 'ROOM', role: 'NON-PARTICIPANT', partstat: 'ACCEPTED' }] });
    expect(new Set(listRequests().map((r) => [r.user, r.path.includes(encodeURIComponent(ROOM)) || r.path.includes(ROOM)].join(' ')))).toEqual(new Set([`${USER.clerk} true`]));
  });
});
