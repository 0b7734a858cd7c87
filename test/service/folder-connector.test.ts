import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFolderConnector, FolderSourceError } from '../../connectors/folder/index.js';
import type { Problem, RawRecord } from '../../src/items/types.js';
import type { CursorStore, RecordSink, Removal } from '../../src/sources/types.js';
import { A } from '../support/council.js';
import { capacityMail, dropEvent, dropMail, makeCouncil, publicMeetingIcs, waitFor, type TestCouncil } from './helpers.js';

class CollectingSink implements RecordSink {
  readonly records: RawRecord[] = [];
  readonly problems: Problem[] = [];
  async record(record: RawRecord): Promise<void> {
    this.records.push(record);
  }
  readonly removals: Removal[] = [];
  async removed(removal: Removal): Promise<void> {
    this.removals.push(removal);
  }
  problem(problem: Problem): void {
    this.problems.push(problem);
  }
  origins(): string[] {
    return this.records.map((r) => path.basename(r.origin));
  }
}

class MapCursors implements CursorStore {
  readonly values = new Map<string, string>();
  getCursor(source: string, key: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(`${source}|${key}`));
  }
  setCursor(source: string, key: string, value: string): Promise<void> {
    this.values.set(`${source}|${key}`, value);
    return Promise.resolve();
  }
}

let council: TestCouncil;
afterEach(() => council?.remove());

/** The files these tests write are complete at once; waiting for a file to settle is tested in test/connectors/folder/settle.test.ts. */
const AT_ONCE = { settleMs: 0 } as const;

describe('the folder connector', () => {
  it('hands over every .eml and .ics once, with its mailbox, folder and calendar', async () => {
    council = makeCouncil();
    dropMail(council, A.sue, 'Sent Items', '1.eml', capacityMail(1).content);
    dropMail(council, A.alice, 'inbox', '2.eml', capacityMail(2).content);
    dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('m-1@millbrook-tc.gov.uk'));
    writeFileSync(path.join(council.sourceDir, 'mail', A.sue, 'Sent Items', 'notes.txt'), 'not mail');
    writeFileSync(path.join(council.sourceDir, 'mail', A.sue, 'Sent Items', '.half-written.eml.tmp'), 'partial');

    const cursors = new MapCursors();
    const connector = createFolderConnector(council.sourceDir, { cursors, ...AT_ONCE });
    const sink = new CollectingSink();
    await connector.sync(sink);

    expect(sink.origins()).toEqual(['2.eml', '1.eml', 'meeting.ics']);
    const sent = sink.records.find((r) => r.origin.endsWith('1.eml'));
    expect(sent).toMatchObject({ kind: 'mail', mailbox: A.sue, folder: 'sent' });
    expect(sink.records.find((r) => r.kind === 'calendar')).toMatchObject({ calendarId: 'council-events' });
    expect(sink.problems).toEqual([]);

    // A second pass (or a restart with the same cursors) reads nothing again.
    const again = new CollectingSink();
    await createFolderConnector(council.sourceDir, { cursors, ...AT_ONCE }).sync(again);
    expect(again.records).toEqual([]);
  });

  it('reads a file again when it changes', async () => {
    council = makeCouncil();
    const file = dropMail(council, A.sue, 'sent', '1.eml', capacityMail(1).content);
    const connector = createFolderConnector(council.sourceDir, AT_ONCE);
    const sink = new CollectingSink();
    await connector.sync(sink);
    writeFileSync(file, capacityMail(1).content.replace('hedge', 'hedges'));
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await connector.sync(sink);
    expect(sink.origins()).toEqual(['1.eml', '1.eml']);
  });

  it('does not record a file as read when the sink refuses it, so it is read again', async () => {
    council = makeCouncil();
    dropMail(council, A.sue, 'sent', '1.eml', capacityMail(1).content);
    const cursors = new MapCursors();
    const connector = createFolderConnector(council.sourceDir, { cursors, ...AT_ONCE });
    const failing: RecordSink = {
      record: () => Promise.reject(new Error('the state store is locked')),
      removed: () => Promise.resolve(),
      problem: () => undefined,
    };
    await expect(connector.sync(failing)).rejects.toThrow('locked');
    const sink = new CollectingSink();
    await connector.sync(sink);
    expect(sink.origins()).toEqual(['1.eml']);
  });

  it('fails with a clear error when the folder does not exist', async () => {
    council = makeCouncil();
    const connector = createFolderConnector(path.join(council.dir, 'missing'));
    await expect(connector.sync(new CollectingSink())).rejects.toThrow(FolderSourceError);
    await expect(connector.sync(new CollectingSink())).rejects.toThrow(/does not exist/);
  });

  it('cannot change calendars, and says so', async () => {
    council = makeCouncil();
    const connector = createFolderConnector(council.sourceDir, AT_ONCE);
    expect(connector.capabilities).toEqual({ addAttendees: false, declineBooking: false });
    const ref = { calendarId: 'council-chamber', uid: 'x@millbrook-tc.gov.uk', origin: 'x.ics' };
    await expect(connector.addAttendees(ref, [{ address: A.alice }])).rejects.toThrow(/The folder source cannot change calendars/);
    await expect(connector.declineBooking(ref, A.chamber, 'clause 9.4b')).rejects.toThrow(/cannot change calendars/);
  });

  for (const watchMode of ['auto', 'poll'] as const) {
    it(`watches for new files (${watchMode})`, async () => {
      council = makeCouncil();
      const connector = createFolderConnector(council.sourceDir, { watchMode, pollIntervalMs: 50, safetyPollIntervalMs: 600_000, debounceMs: 20 });
      const sink = new CollectingSink();
      await connector.sync(sink);
      const controller = new AbortController();
      const watching = connector.watch(sink, controller.signal);
      dropMail(council, A.raj, 'sent', 'new.eml', capacityMail(7).content);
      await waitFor('the new file', () => sink.origins().includes('new.eml'));
      // A new mailbox folder created while watching is picked up too.
      dropEvent(council, 'community-room', 'later.ics', publicMeetingIcs('later@millbrook-tc.gov.uk'));
      await waitFor('the new calendar file', () => sink.origins().includes('later.ics'));
      controller.abort();
      await expect(watching).resolves.toBeUndefined();
      expect(sink.origins().filter((o) => o === 'new.eml')).toHaveLength(1);
    });
  }

  it('ends its watch with an error when the folder goes away', async () => {
    council = makeCouncil();
    const connector = createFolderConnector(council.sourceDir, { watchMode: 'poll', pollIntervalMs: 30, debounceMs: 10 });
    const controller = new AbortController();
    const watching = connector.watch(new CollectingSink(), controller.signal);
    rmSync(council.sourceDir, { recursive: true, force: true });
    await expect(watching).rejects.toThrow(FolderSourceError);
    mkdirSync(council.sourceDir);
  });
});
