/**
 * Calendar delta rounds against the Graph simulator: single and all-day events, a series with an
 * exception keyed as iCalendar keys it (UID, UID#RECURRENCE-ID), removals (deleted, moved out of
 * the window, cancelled) withdrawn by UID, a moved window and a forgotten token (410) read
 * afresh without a second action, the Prefer headers on every request, and the properties read
 * checked against the v1.0 schema.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Event } from '@microsoft/microsoft-graph-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalendarDelta, EVENT_SELECT, KNOWN_EVENTS_LIMIT, calendarCursorKey, knownEventsKey, readKnownEvents } from '../../../connectors/graph/calendar-delta.js';
import type { GraphCalendar, GraphSettings } from '../../../connectors/graph/config.js';
import type { GraphDeps } from '../../../connectors/graph/deps.js';
import { GraphTransport } from '../../../connectors/graph/transport.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { Engine } from '../../../src/engine/engine.js';
import { eventItemsFromNormalised } from '../../../src/items/normalised-event.js';
import type { Problem } from '../../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../../src/outbox/outbox.js';
import { silentLogger } from '../../../src/service/logger.js';
import { LivePipeline, type RecordOutcome } from '../../../src/service/pipeline.js';
import type { EventsRecord, RecordSink, Removal, SourceRecord } from '../../../src/sources/types.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { readCsdl, schemaProblems } from '../../graph-sim/index.js';
import { councilConfigInput } from '../../support/council.js';
import { MemoryCursors } from './memory-cursors.js';
import { MB, startTenant, type Tenant } from './sim-setup.js';

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

let t: Tenant;
let cursors: MemoryCursors;
let warnings: string[];
beforeEach(async () => {
  t = await startTenant();
  cursors = new MemoryCursors();
  warnings = [];
});
afterEach(async () => {
  await t.close();
});

function depsFor(extra: Record<string, unknown> = {}): GraphDeps {
  const settings = t.settings({ pageSize: 2, ...extra });
  return {
    transport: new GraphTransport(settings, t.transportOptions()),
    settings,
    cursors,
    logger: { debug: () => {}, info: () => {}, warn: (_f, m) => warnings.push(m ?? ''), error: () => {} },
    now: () => new Date(t.clock.now()),
  };
}

const calendarOf = (settings: GraphSettings, id = 'council-events'): GraphCalendar => {
  const c = settings.calendars.find((x) => x.id === id);
  if (!c) throw new Error(`no calendar ${id}`);
  return c;
};

/** A UTC time `days` ahead of the simulator's today at `hour`:`minute`, as Graph writes it (no zone suffix). */
function wall(days: number, hour: number, minute = 0): string {
  const today = Math.floor(t.clock.now() / DAY) * DAY;
  return new Date(today + days * DAY + (hour * 60 + minute) * 60_000).toISOString().slice(0, 19);
}
const at = (dateTime: string) => ({ dateTime, timeZone: 'UTC' });

function meeting(subject: string, days: number, hour: number, extra: Partial<Event> = {}): Event {
  return {
    subject,
    start: at(wall(days, hour)),
    end: at(wall(days, hour + 1)),
    isOrganizer: true,
    originalStartTimeZone: 'GMT Standard Time',
    originalEndTimeZone: 'GMT Standard Time',
    organizer: { emailAddress: { name: 'Helen Ashworth', address: MB.clerk } },
    attendees: [{ type: 'required', status: { response: 'accepted', time: '2026-11-01T10:00:00Z' }, emailAddress: { name: 'Cllr Raj Mehta', address: MB.raj } }],
    location: { displayName: 'Millbrook Library, Castle Street' },
    ...extra,
  };
}

/** The item keys the pipeline would make of a record, read by the engine's own parser. */
function keysOf(record: EventsRecord, settings: GraphSettings): string[] {
  const now = t.clock.now();
  const parsed = eventItemsFromNormalised(record.events, {
    calendarId: record.calendarId,
    origin: record.origin,
    timeZone: settings.timeZone,
    horizon: { from: new Date(now - 30 * DAY).toISOString(), to: new Date(now + 400 * DAY).toISOString() },
  });
  expect(parsed.problems).toEqual([]);
  return parsed.events.map((e) => e.key);
}

describe('calendar delta: events in, keyed as iCalendar', () => {
  it('hands over a single event and an all-day event, one record each, under their iCalUId', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const single = t.sim.state.addEvent(MB.clerk, meeting('Full council', 10, 18));
    const allDay = t.sim.state.addEvent(MB.clerk, { ...meeting('Town show', 12, 0), isAllDay: true, start: at(wall(12, 0)), end: at(wall(13, 0)) });
    const sink = new RecordingSink();

    const result = await new CalendarDelta(deps).round(calendar, sink);

    expect(result).toEqual({ records: 2, removed: 0 });
    expect(sink.problems).toEqual([]);
    expect(sink.records.map((r) => [r.origin, r.etag, r.calendarId])).toEqual([
      [single.id, single.changeKey, 'council-events'],
      [allDay.id, allDay.changeKey, 'council-events'],
    ]);
    expect(keysOf(sink.records[0]!, deps.settings)).toEqual([single.iCalUId]);
    expect(sink.records[1]?.events[0]).toMatchObject({ uid: allDay.iCalUId, start: { date: wall(12, 0).slice(0, 10) }, end: { date: wall(13, 0).slice(0, 10) } });
    expect(sink.records[0]?.events[0]).toMatchObject({ uid: single.iCalUId, summary: 'Full council', start: { dateTime: `${wall(10, 18)}Z` } });

    // The window and the link are stored together; the map knows each id's UID.
    const stored = JSON.parse((await cursors.getCursor('graph', calendarCursorKey('council-events'))) ?? '{}') as Record<string, unknown>;
    const today = Math.floor(t.clock.now() / DAY) * DAY;
    expect(stored).toMatchObject({ windowStart: new Date(today - 7 * DAY).toISOString(), windowEnd: new Date(today + 366 * DAY).toISOString(), pastDays: 7, futureDays: 365 });
    expect(stored['link']).toMatch(/\$deltatoken=/);
    expect((await readKnownEvents(deps, 'council-events')).get(single.id)).toEqual({ id: single.id, uid: single.iCalUId });

    // Nothing changed: the next round follows the stored link and hands over nothing.
    sink.clear();
    expect(await new CalendarDelta(deps).round(calendar, sink)).toEqual({ records: 0, removed: 0 });
  });

  it('asks for UTC, immutable ids and a page size on every request, and only for the window', async () => {
    const deps = depsFor();
    for (let i = 0; i < 5; i++) t.sim.state.addEvent(MB.clerk, meeting(`Committee ${i}`, 3 + i, 18));
    const sink = new RecordingSink();
    await new CalendarDelta(deps).round(calendarOf(deps.settings), sink);
    expect(sink.records).toHaveLength(5);
    const calls = t.sim.requests((r) => r.mailbox === MB.clerk && /calendarView|events/.test(r.canonicalPath));
    expect(calls.length).toBeGreaterThanOrEqual(3); // three pages of two
    for (const call of calls) {
      expect(call.headers['prefer']).toContain('outlook.timezone="UTC"');
      expect(call.headers['prefer']).toContain('IdType="ImmutableId"');
      expect(call.headers['prefer']).toContain('odata.maxpagesize=2');
    }
    const first = new URLSearchParams(calls[0]?.query ?? '');
    const today = Math.floor(t.clock.now() / DAY) * DAY;
    expect([first.get('startDateTime'), first.get('endDateTime')]).toEqual([new Date(today - 7 * DAY).toISOString(), new Date(today + 366 * DAY).toISOString()]);
    // The next links were followed as given (no window of ours in them).
    expect(calls.slice(1).every((c) => !c.query.includes('startDateTime'))).toBe(true);
  });

  it('hands over a series as its master with its exceptions: keys UID and UID#RECURRENCE-ID, no item per plain occurrence', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const master = t.sim.state.addEvent(MB.clerk, {
      ...meeting('Castle ward surgery', 5, 10),
      type: 'seriesMaster',
      recurrence: {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: [new Date(`${wall(5, 10)}Z`).toLocaleDateString('en-GB', { weekday: 'long', timeZone: 'UTC' }).toLowerCase() as 'monday'], firstDayOfWeek: 'monday' },
        range: { type: 'numbered', startDate: wall(5, 10).slice(0, 10), numberOfOccurrences: 3, recurrenceTimeZone: 'UTC' },
      },
    });
    const instance = (days: number, hour: number, type: 'occurrence' | 'exception', subject = 'Castle ward surgery'): Event => ({
      ...meeting(subject, days, hour),
      type,
      seriesMasterId: master.id,
      originalStart: `${wall(days, 10)}Z`,
    });
    const o1 = t.sim.state.addEvent(MB.clerk, instance(5, 10, 'occurrence'));
    const ex = t.sim.state.addEvent(MB.clerk, instance(12, 14, 'exception', 'Castle ward surgery (afternoon)'));
    const o3 = t.sim.state.addEvent(MB.clerk, instance(19, 10, 'occurrence'));
    const sink = new RecordingSink();

    expect(await new CalendarDelta(deps).round(calendar, sink)).toEqual({ records: 1, removed: 0 });
    expect(sink.problems).toEqual([]);
    const [series] = sink.records;
    expect(series?.origin).toBe(master.id);
    expect(series?.events).toHaveLength(2);
    const rid = new Date(`${wall(12, 10)}Z`).toISOString();
    expect(keysOf(series!, deps.settings)).toEqual([master.iCalUId, `${master.iCalUId}#${rid}`]);
    expect(series?.events[0]).toMatchObject({ uid: master.iCalUId, recurrence: [expect.stringMatching(/^RRULE:FREQ=WEEKLY/)] });
    expect(series?.events[1]).toMatchObject({ uid: master.iCalUId, summary: 'Castle ward surgery (afternoon)' });
    // The master was read once for the round (three instances), with the $select the schema knows.
    expect(t.sim.requests((r) => r.canonicalPath.endsWith(`/events/${master.id}`))).toHaveLength(1);

    // Another occurrence changed: the record carries both exceptions (the earlier one read again).
    t.sim.state.alterEvent(MB.clerk, o3.id, { type: 'exception', subject: 'Castle ward surgery (Library)', start: at(wall(19, 11)), end: at(wall(19, 12)) });
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records).toHaveLength(1);
    const rid3 = new Date(`${wall(19, 10)}Z`).toISOString();
    expect(keysOf(sink.records[0]!, deps.settings).sort()).toEqual([master.iCalUId, `${master.iCalUId}#${rid}`, `${master.iCalUId}#${rid3}`].sort());

    // A plain occurrence deleted: withdrawn as that occurrence of the series (UID and RECURRENCE-ID).
    t.sim.state.deleteEvent(MB.clerk, o1.id);
    sink.clear();
    const result = await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'deleted', uid: master.iCalUId, recurrenceId: new Date(`${wall(5, 10)}Z`).toISOString(), origin: o1.id }]);
    expect(result.removed).toBe(1);
    // …and the series handed over again, still with both exceptions.
    expect(sink.records.map((r) => r.events.length)).toEqual([3]);

    // The changed occurrence cancelled by the organiser: handed over as cancelled, and withdrawn as that occurrence.
    t.sim.state.alterEvent(MB.clerk, ex.id, { isCancelled: true });
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'cancelled', uid: master.iCalUId, recurrenceId: rid, origin: ex.id }]);
    expect(sink.records[0]?.events.filter((e) => (e as { status?: string }).status === 'cancelled')).toHaveLength(1);
  });
});

describe('calendar delta: removals', () => {
  it('withdraws a deleted event and one moved out of the window by its UID, and a cancelled one as cancelled', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const gone = t.sim.state.addEvent(MB.clerk, meeting('Planning committee', 4, 18));
    const moved = t.sim.state.addEvent(MB.clerk, meeting('Finance committee', 6, 18));
    const cancelled = t.sim.state.addEvent(MB.clerk, meeting('Riverside walkabout', 8, 10));
    const sink = new RecordingSink();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records).toHaveLength(3);

    t.sim.state.deleteEvent(MB.clerk, gone.id);
    // Two years on: out of the window, which Graph reports as removed.
    t.sim.state.alterEvent(MB.clerk, moved.id, { start: at(wall(700, 18)), end: at(wall(700, 19)) });
    t.sim.state.alterEvent(MB.clerk, cancelled.id, { isCancelled: true, subject: 'Canceled: Riverside walkabout' });
    sink.clear();
    const result = await new CalendarDelta(deps).round(calendar, sink);

    expect(sink.removals).toEqual(
      expect.arrayContaining([
        { kind: 'event', calendarId: 'council-events', reason: 'deleted', uid: gone.iCalUId, origin: gone.id },
        { kind: 'event', calendarId: 'council-events', reason: 'deleted', uid: moved.iCalUId, origin: moved.id },
        { kind: 'event', calendarId: 'council-events', reason: 'cancelled', uid: cancelled.iCalUId, origin: cancelled.id },
      ]),
    );
    expect(sink.removals).toHaveLength(3);
    // The cancelled event is handed over too (STATUS:CANCELLED), for the digest.
    expect(sink.records.map((r) => [r.origin, r.events[0]])).toEqual([[cancelled.id, expect.objectContaining({ status: 'cancelled' })]]);
    expect(result).toEqual({ records: 1, removed: 3 });
    // Removed ids are forgotten.
    const known = await readKnownEvents(deps, 'council-events');
    expect([known.has(gone.id), known.has(moved.id), known.has(cancelled.id)]).toEqual([false, false, true]);
  });

  it('withdraws an id it does not know by origin alone', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Allotments meeting', 4, 18));
    const sink = new RecordingSink();
    await new CalendarDelta(deps).round(calendar, sink);
    await cursors.setCursor('graph', knownEventsKey('council-events'), JSON.stringify({ v: 1, events: [] }));
    t.sim.state.deleteEvent(MB.clerk, ev.id);
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'deleted', origin: ev.id }]);
  });

  it('keeps the map of ids bounded, forgetting the least recently seen', async () => {
    const deps = depsFor({ pageSize: 1000 });
    const seeded = Array.from({ length: KNOWN_EVENTS_LIMIT }, (_, i) => ({ id: `old-${i}`, uid: `old-${i}@example` }));
    await cursors.setCursor('graph', knownEventsKey('council-events'), JSON.stringify({ v: 1, events: seeded }));
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Allotments meeting', 4, 18));
    await new CalendarDelta(deps).round(calendarOf(deps.settings), new RecordingSink());
    const known = await readKnownEvents(deps, 'council-events');
    expect(known.size).toBe(KNOWN_EVENTS_LIMIT);
    expect([known.has('old-0'), known.has('old-1'), known.has(ev.id)]).toEqual([false, true, true]);
  });
});

describe('calendar delta: fresh syncs', () => {
  it('withdraws what was deleted while Graph had forgotten the token: the fresh read cannot report it', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const kept = t.sim.state.addEvent(MB.clerk, meeting('Full council', 10, 18));
    const dropped = t.sim.state.addEvent(MB.clerk, meeting('Ward walkabout', 11, 10));
    const sink = new RecordingSink();
    await new CalendarDelta(deps).round(calendar, sink);
    t.sim.state.expireSyncState(MB.clerk);
    t.sim.state.deleteEvent(MB.clerk, dropped.id ?? '');
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records.map((r) => r.origin)).toEqual([kept.id]);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'deleted', uid: dropped.iCalUId, origin: dropped.id }]);
    const known = await readKnownEvents(deps, 'council-events');
    expect([known.has(kept.id ?? ''), known.has(dropped.id ?? '')]).toEqual([true, false]);
  });

  it('starts afresh when Graph has forgotten the token (410 syncStateNotFound), as a fault and as an expired state', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    const ev = t.sim.state.addEvent(MB.clerk, meeting('Full council', 10, 18));
    const sink = new RecordingSink();
    await new CalendarDelta(deps).round(calendar, sink);

    t.sim.state.expireSyncState(MB.clerk);
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records.map((r) => r.origin)).toEqual([ev.id]);
    expect(warnings).toContain('Microsoft 365 no longer knows the calendar\'s delta token: reading the calendar afresh');
    const gone = t.sim.requests((r) => r.status === 410);
    expect(gone).toHaveLength(1);

    t.sim.inject({ kind: 'syncStateNotFound' }, { path: '/calendarView/delta' });
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records.map((r) => r.origin)).toEqual([ev.id]);
    expect(t.sim.requests((r) => r.status === 410)).toHaveLength(2);
    // The round after goes on from the new link.
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records).toEqual([]);
  });

  it('reads afresh when the window has moved on by more than a day or its length changed, and not before', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    t.sim.state.addEvent(MB.clerk, meeting('Full council', 10, 18));
    const sink = new RecordingSink();
    // Answered requests only: after days on the simulator clock, the token has expired (401, signed in afresh).
    const fresh = (): number => t.sim.requests((r) => r.status === 200 && r.query.includes('startDateTime')).length;
    await new CalendarDelta(deps).round(calendar, sink);
    expect(fresh()).toBe(1);

    t.clock.advance(DAY);
    await new CalendarDelta(deps).round(calendar, sink);
    expect(fresh()).toBe(1);

    t.clock.advance(DAY);
    sink.clear();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(fresh()).toBe(2);
    expect(sink.records).toHaveLength(1);

    const longer = depsFor({ calendarWindow: { pastDays: 7, futureDays: 500 } });
    await new CalendarDelta(longer).round(calendar, new RecordingSink());
    expect(fresh()).toBe(3);
    const stored = JSON.parse((await cursors.getCursor('graph', calendarCursorKey('council-events'))) ?? '{}') as Record<string, unknown>;
    expect(stored['futureDays']).toBe(500);
  });

  it('gives no second action for a meeting read again by a fresh sync (the pipeline deduplicates)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'graph-calendar-'));
    const store = new SqliteStore(path.join(dir, 'state.sqlite'));
    try {
      const config = ConfigSchema.parse({ ...councilConfigInput, limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } } });
      const engine = new Engine(config);
      const pipeline = new LivePipeline({ store, engine, outbox: new Outbox(store, { planning: planningContextFrom(config, engine.directory) }), logger: silentLogger() });
      const outcomes: RecordOutcome[] = [];
      const sink: RecordSink = {
        record: async (r) => {
          outcomes.push(await pipeline.take(r));
        },
        removed: (r) => pipeline.removed(r),
        problem: (p) => pipeline.problem(p),
      };
      const deps = depsFor();
      const calendar = calendarOf(deps.settings);
      // A public meeting in Castle ward, whose ward members are not invited: the engine plans actions.
      const ev = t.sim.state.addEvent(MB.clerk, {
        ...meeting('Public meeting: traffic calming on Castle Street', 20, 18),
        categories: ['Public Meeting'],
        body: { contentType: 'text', content: 'An open public meeting for residents.' },
        attendees: [],
      });
      await new CalendarDelta(deps).round(calendar, sink);
      expect(outcomes.map((o) => o.items.map((i) => [i.key, i.status]))).toEqual([[[ev.iCalUId, 'evaluated']]]);
      const planned = (await store.listEffects()).map((e) => e.key).sort();
      expect(planned.length).toBeGreaterThan(0);

      // Three days on the window has moved: everything is read again, nothing is acted on twice.
      t.clock.advance(3 * DAY);
      outcomes.length = 0;
      await new CalendarDelta(deps).round(calendar, sink);
      expect(t.sim.requests((r) => r.status === 200 && r.query.includes('startDateTime'))).toHaveLength(2);
      expect(outcomes.map((o) => o.items.map((i) => [i.key, i.status]))).toEqual([[[ev.iCalUId, 'unchanged']]]);
      expect((await store.listEffects()).map((e) => e.key).sort()).toEqual(planned);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stores no new position when a record is not taken', async () => {
    const deps = depsFor();
    const calendar = calendarOf(deps.settings);
    t.sim.state.addEvent(MB.clerk, meeting('Full council', 10, 18));
    const failing: RecordSink = {
      record: async () => {
        throw new Error('the state store is full');
      },
      removed: async () => {},
      problem: () => {},
    };
    await expect(new CalendarDelta(deps).round(calendar, failing)).rejects.toThrow('the state store is full');
    expect(await cursors.getCursor('graph', calendarCursorKey('council-events'))).toBeUndefined();
    const sink = new RecordingSink();
    await new CalendarDelta(deps).round(calendar, sink);
    expect(sink.records).toHaveLength(1);
  });
});

describe('calendar delta: the schema', () => {
  it('selects and reads only properties graph.event has', () => {
    const types = readCsdl(readFileSync(new URL('../../../../shared/graph/v1.0-Prod.csdl', import.meta.url), 'utf8'));
    const strict = new Set(['graph.event']);
    const selected = Object.fromEntries(EVENT_SELECT.map((p) => [p, null]));
    expect(schemaProblems(types, 'graph.event', selected, 'event', strict)).toEqual([]);
    // A property Graph does not have would be reported.
    expect(schemaProblems(types, 'graph.event', { ...selected, iCalUid: null }, 'event', strict)).toEqual(['event.iCalUid: not a property of graph.event']);
  });
});
