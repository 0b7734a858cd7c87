/**
 * Retention (storage limitation): what the store holds about a message is pruned after its
 * period, nothing identifying lingers (not in any column, not in the file's free pages), and what
 * exactly-once needs survives as fingerprints, so a message read again is never acted on twice.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import type { RawRecord } from '../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import { silentLogger } from '../../src/service/logger.js';
import { LivePipeline } from '../../src/service/pipeline.js';
import { retentionCutoffs } from '../../src/service/retention.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, councilConfigInput } from '../support/council.js';
import { requestMail } from '../service/helpers.js';

const config = ConfigSchema.parse({
  ...councilConfigInput,
  limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } },
});
const DAY_MS = 86_400_000;
const T0 = new Date();
const after = (days: number): Date => new Date(T0.getTime() + days * DAY_MS);

let dir: string | undefined;
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function openStore(): { store: SqliteStore; file: string } {
  dir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-retention-'));
  const file = path.join(dir, 'state.sqlite');
  const store = new SqliteStore(file);
  stores.push(store);
  return { store, file };
}

/** A fresh pipeline (as after a restart) with the store-backed item memory, on the given clock. */
function pipelineOn(store: SqliteStore, now: Date): LivePipeline {
  const engine = new Engine(config);
  const outbox = new Outbox(store, { planning: planningContextFrom(config, engine.directory), clock: () => now });
  return new LivePipeline({ store, engine, outbox, logger: silentLogger(), memory: new StoredItemMemory(store), now: () => now });
}

function mailRecord(content: string, mailbox: string, folder: string, origin = `${mailbox}/${folder}/1.eml`): RawRecord {
  return { kind: 'mail', source: Buffer.from(content), mailbox, folder, origin };
}

/** An officer's plain reply to a member: nothing in it breaches the protocol. */
const CLEAN = {
  subject: 'Allotment waiting list on Mill Lane',
  messageId: 'allotments-7@millbrook-tc.gov.uk',
  body: 'the waiting list for the Mill Lane allotments now has fourteen households on it',
  content: [
    'From: Sam Patel <sam.patel@millbrook-tc.gov.uk>',
    'To: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>',
    'Subject: Allotment waiting list on Mill Lane',
    `Date: ${T0.toUTCString().replace('GMT', '+0000')}`,
    'Message-ID: <allotments-7@millbrook-tc.gov.uk>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Dear Cllr Brown,\n\nAs promised, the waiting list for the Mill Lane allotments now has fourteen households on it.\n\nKind regards,\nSam',
    '',
  ].join('\r\n'),
};

/** Every text and blob value in every column of every table, read over a separate connection. */
function everyValue(file: string): { table: string; column: string; text: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const out: { table: string; column: string; text: string }[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        for (const [column, value] of Object.entries(row)) {
          if (typeof value === 'string') out.push({ table: name, column, text: value });
          else if (Buffer.isBuffer(value)) out.push({ table: name, column, text: value.toString('latin1') });
        }
      }
    }
    return out;
  } finally {
    db.close();
  }
}

function holding(file: string, needle: string): string[] {
  const lower = needle.toLowerCase();
  return everyValue(file)
    .filter((v) => v.text.toLowerCase().includes(lower))
    .map((v) => `${v.table}.${v.column}`);
}

/** The raw bytes of the state file and its write-ahead log: what a copy of the disk would show. */
function rawBytes(file: string): string {
  return [file, `${file}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
}

const CLEAN_NEEDLES = [CLEAN.subject, CLEAN.messageId, CLEAN.body, A.sam, A.tom, 'Sam Patel'];

describe('retention', () => {
  it('leaves nothing identifying of a clean message once its period is over, in any column or in the file', async () => {
    const { store, file } = openStore();
    const outcome = await pipelineOn(store, T0).take(mailRecord(CLEAN.content, A.tom, 'inbox'));
    expect(outcome.items).toMatchObject([{ status: 'evaluated', findings: 0 }]);
    // It was remembered (so the test below can fail): subject and addresses in the item memory.
    expect(holding(file, CLEAN.subject).length).toBeGreaterThan(0);
    expect(holding(file, CLEAN.messageId).length).toBeGreaterThan(0);

    // Within the period (90 days for items) it is still there.
    await store.prune(retentionCutoffs(config.retention, after(89)), after(89).toISOString());
    expect(holding(file, CLEAN.messageId).length).toBeGreaterThan(0);

    const report = await store.prune(retentionCutoffs(config.retention, after(91)), after(91).toISOString());
    expect(report.seenItems).toBe(1);
    expect(report.itemMemory).toBeGreaterThan(0);
    for (const needle of CLEAN_NEEDLES) expect({ needle, tables: holding(file, needle) }).toEqual({ needle, tables: [] });
    // Nor in free pages or the write-ahead log.
    const bytes = rawBytes(file).toLowerCase();
    for (const needle of CLEAN_NEEDLES) expect({ needle, inFile: bytes.includes(needle.toLowerCase()) }).toEqual({ needle, inFile: false });
  });

  it('does not judge a pruned message again when it is read again', async () => {
    const { store } = openStore();
    await pipelineOn(store, T0).take(mailRecord(CLEAN.content, A.tom, 'inbox'));
    await store.prune(retentionCutoffs(config.retention, after(91)), after(91).toISOString());
    // A mailbox read again from the start (a lost cursor, a new server) brings it back.
    const again = await pipelineOn(store, after(92)).take(mailRecord(CLEAN.content, A.tom, 'inbox'));
    expect(again.items).toMatchObject([{ status: 'unchanged' }]);
  });

  it('prunes a finding and its quoted words, but a replay of the message after that sends nothing again', async () => {
    const { store, file } = openStore();
    const m = requestMail(1);
    const first = await pipelineOn(store, T0).take(mailRecord(m.content, A.raj, 'sent'));
    expect(first.items[0]?.findings).toBeGreaterThan(0);
    const quoted = (await store.getFindings(m.messageId)).flatMap((f) => f.finding.why.filter((e) => e.kind === 'phrase').map((e) => e.text)).filter((t) => t.length > 8);
    expect(quoted.length).toBeGreaterThan(0);
    const keys = (await store.listEffects()).map((e) => e.key);
    expect(keys.length).toBeGreaterThan(0);
    // Carry the effects out.
    for (const e of await store.claimDue(after(1).toISOString(), 100)) await store.markDone(e.id, after(1).toISOString(), 'Sent.');
    await store.markDigested((await store.listEffects({ kinds: ['digest'] })).map((e) => e.id), after(1).toISOString(), T0.toISOString().slice(0, 10));
    expect((await store.listEffects()).every((e) => e.state === 'done')).toBe(true);

    const later = after(2 * 365 + 2);
    const report = await store.prune(retentionCutoffs(config.retention, later), later.toISOString());
    expect(report.findings).toBeGreaterThan(0);
    expect(report.effects).toBe(keys.length);
    expect(await store.getFindings(m.messageId)).toEqual([]);
    expect(await store.listEffects()).toEqual([]);
    for (const phrase of quoted) expect({ phrase, tables: holding(file, phrase) }).toEqual({ phrase, tables: [] });
    expect(holding(file, 'request-1@millbrook-tc.gov.uk')).toEqual([]);
    expect(holding(file, A.raj)).toEqual([]);

    // The same message again: not judged again, nothing queued.
    const replay = await pipelineOn(store, after(2 * 365 + 3)).take(mailRecord(m.content, A.raj, 'sent'));
    expect(replay.items).toMatchObject([{ status: 'unchanged', enqueued: 0 }]);
    // Another copy (Dan's inbox) makes it a different item to judge: judged afresh, but no effect is queued twice.
    const copy = await pipelineOn(store, after(2 * 365 + 3)).take(mailRecord(m.content, A.dan, 'inbox'));
    expect(copy.items[0]?.status).toBe('evaluated');
    expect(copy.items[0]?.enqueued).toBe(0);
    expect((await store.listEffects()).filter((e) => keys.includes(e.key))).toEqual([]);
  });

  it('never prunes what an effect still to be carried out needs', async () => {
    const { store } = openStore();
    const m = requestMail(2);
    await pipelineOn(store, T0).take(mailRecord(m.content, A.raj, 'sent'));
    const pending = await store.listEffects({ states: ['pending'] });
    expect(pending.length).toBeGreaterThan(0);
    const later = after(3 * 365);
    await store.prune(retentionCutoffs(config.retention, later), later.toISOString());
    expect((await store.listEffects({ states: ['pending'] })).map((e) => e.key)).toEqual(pending.map((e) => e.key));
    expect((await store.getFindings(m.messageId)).length).toBeGreaterThan(0);
    expect(await store.getOriginal(m.messageId)).toBeDefined();
  });

  it('counts without deleting in a dry run', async () => {
    const { store, file } = openStore();
    await pipelineOn(store, T0).take(mailRecord(CLEAN.content, A.tom, 'inbox'));
    const report = await store.prune(retentionCutoffs(config.retention, after(91)), after(91).toISOString(), { dryRun: true });
    expect(report.seenItems).toBe(1);
    expect(holding(file, CLEAN.messageId).length).toBeGreaterThan(0);
  });

  it('keeps the latest digest, which the next one counts from, and prunes older ones and old audit entries', async () => {
    const { store } = openStore();
    await store.recordDigest('2020-01-06', '<d1@x>', '2020-01-06T07:30:00.000Z');
    await store.recordDigest('2020-01-07', '<d2@x>', '2020-01-07T07:30:00.000Z');
    const report = await store.prune(retentionCutoffs(config.retention, new Date('2024-01-01T00:00:00Z')), '2024-01-01T00:00:00.000Z');
    expect(report.digests).toBe(1);
    expect((await store.lastDigest())?.date).toBe('2020-01-07');
  });
});
