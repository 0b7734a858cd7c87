import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import type { RawRecord } from '../../src/items/types.js';
import { Outbox, planningContextFrom } from '../../src/outbox/outbox.js';
import type { ItemMemory } from '../../src/pipeline/item-stream.js';
import { StoredItemMemory } from '../../src/service/item-memory.js';
import { silentLogger } from '../../src/service/logger.js';
import { ServiceMetrics } from '../../src/service/metrics.js';
import { LivePipeline } from '../../src/service/pipeline.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, councilConfigInput } from '../support/council.js';
import { capacityMail, confidentialMail, publicMeetingIcs, requestMail } from './helpers.js';

const config = ConfigSchema.parse({
  ...councilConfigInput,
  limits: { nudgesPerPersonPerDay: 100, quietHours: { roles: [], weekends: false } },
});

let dir: string;
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function openStore(): SqliteStore {
  dir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-pipeline-'));
  const store = new SqliteStore(path.join(dir, 'state.sqlite'));
  stores.push(store);
  return store;
}

function pipelineOn(store: SqliteStore, options: { dryRun?: boolean; persistentMemory?: boolean } = {}) {
  const engine = new Engine(config);
  const outbox = new Outbox(store, { planning: planningContextFrom(config, engine.directory) });
  const metrics = new ServiceMetrics(store, { defaultMetrics: false });
  let wakes = 0;
  const pipeline = new LivePipeline({
    store,
    engine,
    outbox,
    logger: silentLogger(),
    metrics,
    ...(options.persistentMemory ? { memory: new StoredItemMemory(store) } : {}),
    ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
    onEffects: () => {
      wakes += 1;
    },
  });
  return { pipeline, metrics, wakes: () => wakes };
}

function mailRecord(content: string, mailbox: string, folder: string, origin = `${mailbox}/${folder}/x.eml`): RawRecord {
  return { kind: 'mail', source: Buffer.from(content), mailbox, folder, origin };
}

function blindCopy(withBccHeader: boolean): string {
  return [
    'From: Sam Patel <sam.patel@millbrook-tc.gov.uk>',
    'To: Cllr Tom Brown <tom.brown@millbrook-tc.gov.uk>',
    ...(withBccHeader ? ['Bcc: Cllr Alice Green <alice.green@millbrook-tc.gov.uk>'] : []),
    'Subject: Potholes on Castle Street',
    `Date: ${new Date().toUTCString()}`,
    'Message-ID: <potholes-1@millbrook-tc.gov.uk>',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Dear Cllr Brown,\n\nI have logged the potholes with the highways team.\n\nKind regards,\nSam',
    '',
  ].join('\r\n');
}

describe('the live pipeline', () => {
  it('judges an item once: the same record again changes nothing', async () => {
    const store = openStore();
    const { pipeline, metrics, wakes } = pipelineOn(store);
    const m = capacityMail(1);
    const first = await pipeline.take(mailRecord(m.content, m.member, 'sent'));
    expect(first.items).toEqual([{ key: m.messageId, kind: 'mail', status: 'evaluated', findings: 1, enqueued: 1 }]);
    expect((await store.getFindings(m.messageId)).map((f) => f.rule)).toEqual(['state-capacity']);
    expect((await store.listEffects()).map((e) => [e.kind, e.recipient, e.state])).toEqual([['nudge', m.member, 'pending']]);
    expect(wakes()).toBe(1);

    const again = await pipeline.take(mailRecord(m.content, m.member, 'sent'));
    expect(again.items[0]?.status).toBe('unchanged');
    expect(await store.listEffects()).toHaveLength(1);
    expect(wakes()).toBe(1);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/items_processed_total\{kind="mail"\} 1/);
    expect(text).toMatch(/items_processed_total\{kind="unchanged"\} 1/);
    expect(text).toMatch(/findings_total\{rule="state-capacity"\} 1/);
    expect(text).toMatch(/effects_total\{kind="nudge",outcome="enqueued"\} 1/);
  });

  it('merges a later copy with the earlier ones, across a restart, and keeps one set of effects', async () => {
    const store = openStore();
    const first = pipelineOn(store, { persistentMemory: true });
    await first.pipeline.take(mailRecord(blindCopy(true), A.sam, 'sent'));
    const key = '<potholes-1@millbrook-tc.gov.uk>';
    expect((await store.getFindings(key)).map((f) => f.rule)).toEqual(['no-blind-copies']);
    const effectsBefore = (await store.listEffects()).map((e) => e.key);

    // The service restarts; then Tom's inbox copy (no Bcc header) arrives.
    const second = pipelineOn(store, { persistentMemory: true });
    const outcome = await second.pipeline.take(mailRecord(blindCopy(false), A.tom, 'inbox', 'tom/inbox/x.eml'));
    expect(outcome.items[0]?.status).toBe('evaluated');
    expect((await store.getFindings(key)).map((f) => f.rule)).toEqual(['no-blind-copies']);
    expect((await store.listEffects()).map((e) => e.key)).toEqual(effectsBefore);
  });

  it('quarantines what cannot be read and goes on with the next record', async () => {
    const store = openStore();
    const { pipeline } = pipelineOn(store);
    const broken: RawRecord = { kind: 'mail', source: Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 0, 7]), mailbox: A.dan, folder: 'inbox', origin: 'dan/inbox/broken.eml' };
    const outcome = await pipeline.take(broken);
    expect(outcome).toEqual({ items: [], problems: 1 });
    pipeline.problem({ origin: 'imap://server/INBOX', kind: 'source', reason: 'the folder could not be opened' });
    expect((await store.listProblems()).map((p) => p.origin)).toEqual(['dan/inbox/broken.eml', 'imap://server/INBOX']);

    const m = capacityMail(2);
    const next = await pipeline.take(mailRecord(m.content, m.member, 'sent'));
    expect(next.items[0]?.findings).toBe(1);

    // The file is fixed: its problem is cleared.
    await pipeline.take({ ...mailRecord(capacityMail(3).content, A.dan, 'inbox'), origin: 'dan/inbox/broken.eml' });
    expect((await store.listProblems()).map((p) => p.origin)).toEqual(['imap://server/INBOX']);
  });

  it('summarises events for the digest and records what needs a human, clearing it once settled', async () => {
    const store = openStore();
    const { pipeline } = pipelineOn(store);
    const uid = 'parking@millbrook-tc.gov.uk';
    const record = (ics: string): RawRecord => ({ kind: 'calendar', source: ics, calendarId: 'council-events', origin: 'council-events/parking.ics' });

    await pipeline.take(record(publicMeetingIcs(uid, { location: 'Town Hall' })));
    const needs = await store.listNeedsHuman();
    expect(needs.map((n) => [n.itemKey, n.rule])).toEqual([[uid, 'invite-ward-members']]);
    expect(needs[0]?.message).toMatch(/could not tell which ward/);

    // The organiser adds the place: the ward is known, the notice is settled, the invitation planned.
    await pipeline.take(record(publicMeetingIcs(uid, { location: 'Millbrook Library, Castle Street', sequence: 1 })));
    expect(await store.listNeedsHuman()).toEqual([]);
    const upcoming = await store.listUpcomingEvents(new Date().toISOString(), new Date(Date.now() + 60 * 86_400_000).toISOString());
    expect(upcoming).toHaveLength(1);
    expect(upcoming[0]).toMatchObject({ key: uid, calendarId: 'council-events', kinds: ['public-meeting'], wards: ['castle'], organizer: A.clerk, attendees: [A.tom] });
    expect((await store.listEffects({ kinds: ['invite'] })).map((e) => e.recipient)).toEqual([A.alice]);
  });

  it('keeps the original of a message that leads to action (a routed copy, a nudge), except in a dry run', async () => {
    const store = openStore();
    const live = pipelineOn(store);
    const r = requestMail(1);
    await live.pipeline.take(mailRecord(r.content, A.raj, 'sent'));
    expect(await store.listEffects({ kinds: ['route-to-clerk'] })).toHaveLength(1);
    expect((await store.getOriginal(r.messageId))?.toString()).toBe(r.content);
    const innocent = capacityMail(9).content.replace('Dear resident,', 'Dear resident,\n\nI am writing as your ward councillor.');
    await live.pipeline.take(mailRecord(innocent, A.sue, 'sent'));
    expect(await store.getFindings('<capacity-9@millbrook-tc.gov.uk>')).toEqual([]);
    expect(await store.getOriginal('<capacity-9@millbrook-tc.gov.uk>')).toBeUndefined();

    const dry = pipelineOn(store, { dryRun: true });
    const r2 = requestMail(2);
    await dry.pipeline.take(mailRecord(r2.content, A.raj, 'sent'));
    expect(await store.getOriginal(r2.messageId)).toBeUndefined();
    expect((await store.listEffects({ itemKey: r2.messageId })).map((e) => e.state)).toEqual(['skipped-dry-run', 'skipped-dry-run', 'skipped-dry-run']);
    expect(dry.wakes()).toBe(0);
  });

  it('records every effect of a finding: a warning and a notice to the Clerk', async () => {
    const store = openStore();
    const { pipeline } = pipelineOn(store);
    const c = confidentialMail(1);
    await pipeline.take(mailRecord(c.content, A.tom, 'sent'));
    expect((await store.listEffects({ itemKey: c.messageId })).map((e) => `${e.kind}:${e.recipient}`).sort()).toEqual([
      `digest:${A.clerk}`,
      `notify-clerk:${A.clerk}`,
      `warn:${A.tom}`,
    ]);
  });

  it('quarantines a record whose reading fails unexpectedly, and goes on', async () => {
    const store = openStore();
    const engine = new Engine(config);
    const outbox = new Outbox(store, { planning: planningContextFrom(config, engine.directory) });
    let calls = 0;
    const memory: ItemMemory = {
      getMail: () => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('the merge went wrong'));
        return Promise.resolve(undefined);
      },
      setMail: () => Promise.resolve(),
      getEvent: () => Promise.resolve(undefined),
      setEvent: () => Promise.resolve(),
    };
    const pipeline = new LivePipeline({ store, engine, outbox, logger: silentLogger(), memory });
    const bad = capacityMail(20);
    expect(await pipeline.take(mailRecord(bad.content, bad.member, 'sent', 'bad.eml'))).toEqual({ items: [], problems: 1 });
    expect(await store.listProblems()).toMatchObject([{ origin: 'bad.eml', kind: 'mail', reason: 'could not be read: the merge went wrong' }]);
    const good = capacityMail(21);
    expect((await pipeline.take(mailRecord(good.content, good.member, 'sent', 'good.eml'))).items[0]?.findings).toBe(1);
  });
});

describe('the live pipeline: sources v2 (normalised events, removals)', () => {
  const start = new Date(Date.now() + 30 * 86_400_000);
  start.setUTCHours(18, 0, 0, 0);
  const end = new Date(start.getTime() + 90 * 60_000);
  const meetingJson = (uid: string, status = 'confirmed'): unknown => ({
    uid,
    start: { dateTime: start.toISOString().slice(0, 19), timeZone: 'UTC' },
    end: { dateTime: end.toISOString().slice(0, 19), timeZone: 'UTC' },
    summary: 'Public meeting: traffic calming on Castle Street',
    location: 'Millbrook Library, Castle Street, MB1 2QT',
    description: 'An open public meeting for residents.',
    categories: ['Public Meeting'],
    status,
    organizer: { address: A.clerk, name: 'Helen Ashworth' },
    attendees: [{ address: A.tom, name: 'Cllr Tom Brown', role: 'REQ-PARTICIPANT', partstat: 'NEEDS-ACTION' }],
    sequence: 0,
  });

  it('judges a meeting given as JSON events as the same meeting given as .ics: the same item and the same actions', async () => {
    const fromIcs = openStore();
    await pipelineOn(fromIcs).pipeline.take({ kind: 'calendar', source: publicMeetingIcs('json-meeting@millbrook-tc.gov.uk'), calendarId: 'council-events', origin: 'a.ics' });
    const fromJson = new SqliteStore(path.join(dir, 'from-json.sqlite'));
    stores.push(fromJson);
    const outcome = await pipelineOn(fromJson).pipeline.take({ kind: 'events', calendarId: 'council-events', origin: 'AAMkAGI2=', events: [meetingJson('json-meeting@millbrook-tc.gov.uk')] });
    expect(outcome.items.map((i) => [i.key, i.status])).toEqual([['json-meeting@millbrook-tc.gov.uk', 'evaluated']]);
    const keys = async (s: SqliteStore): Promise<string[]> => (await s.listEffects()).map((e) => e.key).sort();
    expect(await keys(fromJson)).toEqual(await keys(fromIcs));
    expect((await keys(fromJson)).length).toBeGreaterThan(0);
  });

  it('quarantines JSON events that are not events, naming the field', async () => {
    const store = openStore();
    const outcome = await pipelineOn(store).pipeline.take({ kind: 'events', calendarId: 'council-events', origin: 'AAMkBAD=', events: [{ summary: 'no uid' }] });
    expect(outcome.problems).toBe(1);
    expect((await store.listProblems())[0]?.reason).toBe('the event given by the source could not be read (uid: Invalid input: expected string, received undefined)');
  });

  it('withdraws what is pending for an event removed by UID, and for one occurrence only that occurrence', async () => {
    const store = openStore();
    const { pipeline } = pipelineOn(store);
    await pipeline.take({ kind: 'events', calendarId: 'council-events', origin: 'g1', events: [meetingJson('removed@millbrook-tc.gov.uk')] });
    const pending = await store.listEffects({ itemKey: 'removed@millbrook-tc.gov.uk', states: ['pending'] });
    expect(pending.length).toBeGreaterThan(0);
    // Another occurrence's removal touches nothing of the series.
    expect(await pipeline.withdraw({ kind: 'event', calendarId: 'council-events', reason: 'deleted', uid: 'removed@millbrook-tc.gov.uk', recurrenceId: start.toISOString(), origin: 'g1' })).toEqual([]);
    const withdrawn = await pipeline.withdraw({ kind: 'event', calendarId: 'council-events', reason: 'cancelled', uid: 'removed@millbrook-tc.gov.uk', origin: 'g1' });
    expect(withdrawn.map((e) => e.key).sort()).toEqual(pending.map((e) => e.key).sort());
    expect((await store.listEffects({ itemKey: 'removed@millbrook-tc.gov.uk' })).map((e) => [e.state, e.lastError])).toEqual(
      pending.map(() => ['withdrawn', 'because the meeting was cancelled']),
    );
  });

  it('withdraws what is pending for a meeting read again as cancelled (STATUS:CANCELLED)', async () => {
    const store = openStore();
    const { pipeline } = pipelineOn(store);
    await pipeline.take({ kind: 'events', calendarId: 'council-events', origin: 'g2', events: [meetingJson('cancelled@millbrook-tc.gov.uk')] });
    expect((await store.listEffects({ itemKey: 'cancelled@millbrook-tc.gov.uk', states: ['pending'] })).length).toBeGreaterThan(0);
    await pipeline.take({ kind: 'events', calendarId: 'council-events', origin: 'g2', events: [{ ...(meetingJson('cancelled@millbrook-tc.gov.uk') as object), status: 'cancelled', sequence: 1 }] });
    expect(await store.listEffects({ itemKey: 'cancelled@millbrook-tc.gov.uk', states: ['pending'] })).toEqual([]);
    expect(new Set((await store.listEffects({ itemKey: 'cancelled@millbrook-tc.gov.uk' })).map((e) => e.state))).toEqual(new Set(['withdrawn']));
  });

  it('withdraws a message’s pending actions only once it is deleted from every mailbox it was seen in', async () => {
    const store = openStore();
    const { pipeline } = pipelineOn(store, { persistentMemory: true });
    const r = requestMail(7);
    await pipeline.take(mailRecord(r.content, A.raj, 'sent', 'raj/sent/1.eml'));
    await pipeline.take(mailRecord(r.content, A.clerk, 'inbox', 'clerk/inbox/1.eml'));
    const pending = await store.listEffects({ itemKey: r.messageId, states: ['pending'] });
    expect(pending.length).toBeGreaterThan(0);
    expect(await pipeline.withdraw({ kind: 'mail', messageId: r.messageId, mailbox: A.clerk, folder: 'inbox', origin: 'clerk/inbox/1.eml' })).toEqual([]);
    expect(await store.listEffects({ itemKey: r.messageId, states: ['pending'] })).toHaveLength(pending.length);
    const withdrawn = await pipeline.withdraw({ kind: 'mail', messageId: r.messageId, mailbox: A.raj, folder: 'sent', origin: 'raj/sent/1.eml' });
    expect(withdrawn.map((e) => e.lastError)).toEqual(pending.map(() => 'because the message was deleted'));
  });
});
