/**
 * The folder connector reports an .ics file it handed over that has gone from its calendar folder,
 * once, and reads the file afresh should it come back; a calendar folder gone as a whole (a share
 * not mounted) is not taken as every event in it deleted; the list survives a restart (it lives in
 * the cursor store).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFolderConnector, folderModule } from '../../../connectors/folder/index.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import type { Problem, RawRecord } from '../../../src/items/types.js';
import { silentLogger } from '../../../src/service/logger.js';
import type { RecordSink, Removal } from '../../../src/sources/types.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { capacityMail, dropEvent, dropMail, makeCouncil, publicMeetingIcs, type TestCouncil } from '../../service/helpers.js';
import { A, councilConfigInput } from '../../support/council.js';

class Sink implements RecordSink {
  readonly records: RawRecord[] = [];
  readonly removals: Removal[] = [];
  async record(record: RawRecord): Promise<void> {
    this.records.push(record);
  }
  async removed(removal: Removal): Promise<void> {
    this.removals.push(removal);
  }
  problem(_problem: Problem): void {}
}

let council: TestCouncil | undefined;
let dir: string | undefined;
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  council?.remove();
  council = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function openStore(): SqliteStore {
  dir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-folder-removals-'));
  const store = new SqliteStore(path.join(dir, 'state.sqlite'));
  stores.push(store);
  return store;
}

describe('the folder connector, when a calendar file goes', () => {
  it('reports the removal once, across a restart, and reads the file again should it come back', async () => {
    council = makeCouncil();
    const store = openStore();
    const file = dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('gone@millbrook-tc.gov.uk'));
    dropEvent(council, 'council-events', 'other.ics', publicMeetingIcs('stays@millbrook-tc.gov.uk'));
    dropMail(council, A.sue, 'sent', 'one.eml', capacityMail(1).content);
    const first = new Sink();
    await createFolderConnector(council.sourceDir, { cursors: store, settleMs: 0 }).sync(first);
    expect(first.records).toHaveLength(3);

    rmSync(file);
    // A new connector on the same store: what was handed over is remembered there.
    const sink = new Sink();
    const connector = createFolderConnector(council.sourceDir, { cursors: store, settleMs: 0 });
    await connector.sync(sink);
    expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-events', reason: 'deleted', origin: file }]);
    await connector.sync(sink);
    expect(sink.removals).toHaveLength(1);

    dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('gone@millbrook-tc.gov.uk'));
    await connector.sync(sink);
    expect(sink.records.map((r) => r.origin)).toEqual([file]);
  });

  it('does not take a calendar folder gone as a whole for its events deleted', async () => {
    council = makeCouncil();
    const store = openStore();
    dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('kept@millbrook-tc.gov.uk'));
    const connector = createFolderConnector(council.sourceDir, { cursors: store, settleMs: 0 });
    await connector.sync(new Sink());
    rmSync(path.join(council.sourceDir, 'calendars', 'council-events'), { recursive: true });
    const sink = new Sink();
    await connector.sync(sink);
    expect(sink.removals).toEqual([]);
  });

  it('reports nothing for a message file that goes (a message is not withdrawn by the folder source)', async () => {
    council = makeCouncil();
    const store = openStore();
    const mail = dropMail(council, A.sue, 'sent', 'one.eml', capacityMail(2).content);
    const connector = createFolderConnector(council.sourceDir, { cursors: store, settleMs: 0 });
    await connector.sync(new Sink());
    rmSync(mail);
    const sink = new Sink();
    await connector.sync(sink);
    expect(sink.removals).toEqual([]);
  });
});

describe('the folder connector module', () => {
  it('runs from --source DIR without a section, and from its section with its settings', async () => {
    council = makeCouncil();
    const store = openStore();
    const config = ConfigSchema.parse(councilConfigInput);
    const base = { config, configFile: council.configFile, env: {}, logger: silentLogger(), cursors: store, now: () => new Date() };
    const fromDir = await folderModule.create({ ...base, settings: undefined, sourceDir: council.sourceDir });
    expect(fromDir.source?.name).toBe('folder');
    expect(fromDir.watchSource).toBe(true);
    expect(fromDir.calendars?.ids).toBe('any');
    expect(fromDir.sender).toBeUndefined();
    const fromSection = await folderModule.create({ ...base, settings: { dir: './source', watch: false, settleMs: 0 } });
    expect(fromSection.watchSource).toBe(false);
    dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('module@millbrook-tc.gov.uk'));
    const sink = new Sink();
    await fromSection.source?.sync(sink);
    expect(sink.records.map((r) => r.origin)).toEqual([path.join(council.sourceDir, 'calendars', 'council-events', 'meeting.ics')]);
    await expect(folderModule.create({ ...base, settings: undefined })).rejects.toThrow('The folder source needs a folder');
    await expect(folderModule.create({ ...base, settings: undefined, sourceDir: council.sourceDir, tuning: { pollEvery: 5 } })).rejects.toThrow(/pollEvery/);
  });
});
