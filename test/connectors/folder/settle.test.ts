/**
 * The folder source reads a file only once it is complete: a message written in place in two
 * halves is judged once, whole, under its real Message-ID — never its half-written headers under
 * a made-up key.
 */
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFolderConnector } from '../../../connectors/folder/index.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import { Engine } from '../../../src/engine/engine.js';
import type { Problem, RawRecord } from '../../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../../src/outbox/outbox.js';
import { silentLogger } from '../../../src/service/logger.js';
import { LivePipeline } from '../../../src/service/pipeline.js';
import type { RecordSink, Removal } from '../../../src/sources/types.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { A, councilConfigInput } from '../../support/council.js';
import { capacityMailFrom, waitFor } from '../../service/helpers.js';

const config = ConfigSchema.parse({
  ...councilConfigInput,
  limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } },
});

let dir: string | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Hands each record to the live pipeline, keeping a copy of what was handed over. */
class JudgingSink implements RecordSink {
  readonly records: RawRecord[] = [];
  constructor(private readonly pipeline: LivePipeline) {}
  async record(record: RawRecord): Promise<void> {
    this.records.push(record);
    await this.pipeline.record(record);
  }
  async removed(removal: Removal): Promise<void> {
    await this.pipeline.removed(removal);
  }
  problem(problem: Problem): void {
    this.pipeline.problem(problem);
  }
}

function setUp(): { store: SqliteStore; sink: JudgingSink; source: string; sentItems: string } {
  dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-settle-'));
  const store = new SqliteStore(path.join(dir, 'state.sqlite'));
  cleanups.push(async () => await store.close());
  const engine = new Engine(config);
  const pipeline = new LivePipeline({
    store,
    engine,
    outbox: new Outbox(store, { planning: planningContextFrom(config, engine.directory) }),
    logger: silentLogger(),
  });
  const source = path.join(dir, 'source');
  const sentItems = path.join(source, 'mail', A.sue, 'Sent Items');
  mkdirSync(sentItems, { recursive: true });
  return { store, sink: new JudgingSink(pipeline), source, sentItems };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the folder source waits until a file is complete', () => {
  it('judges a message written in place in two halves once, under its real Message-ID', async () => {
    const { store, sink, source, sentItems } = setUp();
    const connector = createFolderConnector(source, { cursors: store, watchMode: 'poll', pollIntervalMs: 40, debounceMs: 10, settleMs: 600 });
    await connector.sync(sink);
    const controller = new AbortController();
    const watching = connector.watch(sink, controller.signal);
    cleanups.unshift(() => controller.abort());

    const mail = capacityMailFrom(3, A.sue);
    // The first half stops inside the headers, before the Message-ID.
    const cut = mail.content.indexOf('Message-ID:');
    const file = path.join(sentItems, 'hedge.eml');
    writeFileSync(file, mail.content.slice(0, cut));
    await pause(400);
    appendFileSync(file, mail.content.slice(cut));

    await waitFor('the whole message to be judged', async () => (await store.listEffects({ kinds: ['nudge'] })).length > 0, 10_000, 20);
    await pause(800);
    controller.abort();
    await watching;

    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]?.source.toString()).toBe(mail.content);
    expect((await store.listEffects()).map((e) => e.itemKey)).toEqual([mail.messageId]);
    expect((await store.listFindings()).map((f) => f.itemKey)).toEqual([mail.messageId]);
  });

  it('reads a file that keeps changing once it stops, and one renamed into place at once', async () => {
    const { store, sink, source, sentItems } = setUp();
    const connector = createFolderConnector(source, { cursors: store, watchMode: 'poll', pollIntervalMs: 40, debounceMs: 10, settleMs: 500 });
    const controller = new AbortController();
    const watching = connector.watch(sink, controller.signal);
    cleanups.unshift(() => controller.abort());

    const slow = capacityMailFrom(4, A.sue);
    const slowFile = path.join(sentItems, 'slow.eml');
    const lines = slow.content.split('\r\n');
    writeFileSync(slowFile, '');
    for (const line of lines) {
      appendFileSync(slowFile, `${line}\r\n`);
      await pause(25);
    }
    // Still being written a moment ago: not read yet.
    expect(sink.records.map((r) => path.basename(r.origin))).not.toContain('slow.eml');

    const quick = capacityMailFrom(5, A.sue);
    const temp = path.join(sentItems, '.quick.eml.tmp');
    writeFileSync(temp, quick.content);
    // A writer closes (and syncs) the file before renaming it: the rename comes a little later.
    await pause(20);
    const renamedAt = Date.now();
    renameSync(temp, path.join(sentItems, 'quick.eml'));
    await waitFor('the renamed file', () => sink.records.some((r) => path.basename(r.origin) === 'quick.eml'), 5000, 10);
    expect(Date.now() - renamedAt).toBeLessThan(400);

    await waitFor('the slow file once it stopped changing', () => sink.records.some((r) => path.basename(r.origin) === 'slow.eml'), 10_000, 20);
    controller.abort();
    await watching;
    expect(sink.records.map((r) => path.basename(r.origin)).sort()).toEqual(['quick.eml', 'slow.eml']);
    expect(sink.records.find((r) => path.basename(r.origin) === 'slow.eml')?.source.toString()).toBe(`${lines.join('\r\n')}\r\n`);
  });
});
