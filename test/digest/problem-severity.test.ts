/** The digest says which files could not be read and which were read with a warning (issue 12, point 17). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDigest } from '../../src/digest/build.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { council } from '../support/council.js';
import { StoreBench } from '../outbox/fixtures.js';
import { engine } from './fixtures.js';

describe('problems in the digest', () => {
  let bench: StoreBench;
  let store: SqliteStore;

  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  it('words an error and a warning differently, and counts repeats', async () => {
    await store.recordProblem({ origin: 'calendars/council-events/broken.ics', kind: 'calendar', reason: 'not an iCalendar file: missing BEGIN:VCALENDAR' }, '2026-11-18T09:00:00.000Z');
    const duplicate = {
      origin: 'calendars/council-events/april.ics',
      kind: 'calendar' as const,
      reason: 'Event "Planning Committee" (UID pc-2027-04@millbrook-tc.gov.uk) appears more than once in this calendar; both copies have SEQUENCE 0, so the later one in the file was used.',
      severity: 'warning' as const,
    };
    await store.recordProblem(duplicate, '2026-11-18T09:00:00.000Z');
    await store.recordProblem(duplicate, '2026-11-18T10:00:00.000Z');
    const built = await buildDigest({ store, engine, config: council }, { date: '2026-11-18', until: '2026-11-18T19:30:00.000Z' });
    expect(built.sections.needsHuman).toEqual([
      // Listed by when first seen, then by file.
      { what: expect.stringMatching(/^A calendar entry was read with a warning: Event "Planning Committee" .* \(2 times since /), reference: 'calendars/council-events/april.ics' },
      { what: 'A calendar entry could not be read: not an iCalendar file: missing BEGIN:VCALENDAR', reference: 'calendars/council-events/broken.ics' },
    ]);
  });
});
