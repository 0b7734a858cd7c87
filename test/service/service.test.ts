import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { effectKey } from '../../src/outbox/idempotency.js';
import type { AssembledService } from '../../src/service/assemble.js';
import type { HealthReport } from '../../src/service/health.js';
import { zonedToUtc, nextDay, zonedParts } from '../../src/elections/zoned-time.js';
import { A } from '../support/council.js';
import {
  assembleForTest,
  capacityMailFrom,
  confidentialMail,
  dropEvent,
  dropMail,
  makeCouncil,
  publicMeetingIcs,
  readOutbox,
  requestMail,
  waitFor,
  type OutboxMessage,
  type TestCouncil,
} from './helpers.js';

let council: TestCouncil | undefined;
let running: AssembledService | undefined;
afterEach(async () => {
  await running?.service.stop();
  running = undefined;
  council?.remove();
  council = undefined;
});

function keyed(messages: OutboxMessage[], key: string): OutboxMessage | undefined {
  return messages.find((m) => m.key === key);
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describe('the service, end to end on the folder source', () => {
  it('acts on mail and events dropped in while it runs, and answers /healthz and /metrics', async () => {
    council = makeCouncil();
    running = await assembleForTest(council, { connectorTuning: { folder: {} } });
    const started = await running.service.start();
    expect(started.sources).toEqual(['folder']);
    const base = `http://127.0.0.1:${started.port ?? 0}`;

    const request = requestMail(1);
    const confidential = confidentialMail(1);
    dropMail(council, A.raj, 'sent', 'request.eml', request.content);
    dropMail(council, A.tom, 'sent', 'confidential.eml', confidential.content);
    dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('castle-meeting@millbrook-tc.gov.uk'));

    const expected = [
      effectKey({ rule: 'requests-via-clerk', itemKey: request.messageId, recipient: A.raj, kind: 'nudge' }),
      effectKey({ rule: 'requests-via-clerk', itemKey: request.messageId, recipient: A.clerk, kind: 'route-to-clerk' }),
      effectKey({ rule: 'confidential-stays-internal', itemKey: confidential.messageId, recipient: A.tom, kind: 'warn' }),
      effectKey({ rule: 'confidential-stays-internal', itemKey: confidential.messageId, recipient: A.clerk, kind: 'notify-clerk' }),
      effectKey({ rule: 'invite-ward-members', itemKey: 'castle-meeting@millbrook-tc.gov.uk', recipient: A.alice, kind: 'invite' }),
      effectKey({ rule: 'invite-ward-members', itemKey: 'castle-meeting@millbrook-tc.gov.uk', recipient: A.clerk, kind: 'notify' }),
    ];
    const outbox = await waitFor('the six messages', async () => {
      const messages = await readOutbox(council?.outboxDir ?? '');
      return expected.every((k) => keyed(messages, k)) ? messages : undefined;
    });

    const nudge = keyed(outbox, expected[0] ?? '');
    expect(nudge?.to).toEqual([A.raj]);
    expect(nudge?.text).toContain('Benches in Riverside Park (1)');
    const routed = keyed(outbox, expected[1] ?? '');
    expect(routed?.to).toEqual([A.clerk]);
    expect(routed?.attachments).toContain('message/rfc822');
    expect(keyed(outbox, expected[2] ?? '')?.to).toEqual([A.tom]);
    const invitation = keyed(outbox, expected[4] ?? '');
    expect(invitation?.to).toEqual([A.alice]);
    expect(invitation?.attachments.some((t) => t.startsWith('text/calendar'))).toBe(true);
    // Exactly one message per effect.
    expect(new Set(outbox.map((m) => m.key)).size).toBe(outbox.length);

    const health = await getJson(`${base}/healthz`);
    expect(health.status).toBe(200);
    const report = health.body as HealthReport;
    expect(report.status).toBe('ok');
    expect(report.sources.map((s) => [s.source, s.state])).toEqual([['folder', 'ok']]);
    expect(report.outbox.failed).toBe(0);

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/items_processed_total\{kind="mail"\} 2/);
    expect(text).toMatch(/items_processed_total\{kind="event"\} 1/);
    expect(text).toMatch(/findings_total\{rule="invite-ward-members"\} 1/);
    expect(text).toMatch(/effects_total\{kind="invite",outcome="done"\} 1/);
    expect(text).toMatch(/source_last_success_timestamp_seconds\{source="folder"\} \d+/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).toMatch(/outbox_failed 0/);

    const missing = await fetch(`${base}/nothing-here`);
    expect(missing.status).toBe(404);
  });

  it('in a dry run records what it would do and sends nothing', async () => {
    council = makeCouncil({ dryRun: true });
    running = await assembleForTest(council);
    await running.service.start();
    const request = requestMail(2);
    dropMail(council, A.raj, 'sent', 'request.eml', request.content);
    dropEvent(council, 'council-events', 'meeting.ics', publicMeetingIcs('dry-meeting@millbrook-tc.gov.uk'));
    const store = running.store;
    await waitFor('the effects to be recorded', async () => (await store.listEffects({ itemKey: 'dry-meeting@millbrook-tc.gov.uk' })).length > 0 && (await store.listEffects({ itemKey: request.messageId })).length > 0);
    await running.service.flushOutbox();
    const states = new Set((await store.listEffects()).map((e) => e.state));
    expect([...states]).toEqual(['skipped-dry-run']);
    expect((await store.listEffects()).length).toBeGreaterThanOrEqual(5);
    expect(readdirSafe(council.outboxDir)).toEqual([]);
    expect(await store.lastDigest()).toBeUndefined();
  });

  it('folds a storm into the daily cap and one summary the next morning', async () => {
    council = makeCouncil({ limits: { nudgesPerPersonPerDay: 3, quietHours: { roles: [], weekends: false } } });
    let offsetMs = 0;
    const now = (): Date => new Date(Date.now() + offsetMs);
    running = await assembleForTest(council, { now });
    await running.service.start();
    const store = running.store;
    for (let i = 0; i < 10; i++) dropMail(council, A.sue, 'sent', `storm-${i}.eml`, capacityMailFrom(100 + i, A.sue).content);

    await waitFor('ten nudges recorded', async () => (await store.listEffects({ kinds: ['nudge'] })).filter((e) => e.rule !== 'daily-summary').length === 10);
    await running.service.flushOutbox();
    const day = zonedParts(now(), 'Europe/London').day;
    const summaryKey = effectKey({ rule: 'daily-summary', itemKey: day, recipient: A.sue, kind: 'nudge' });
    expect(await store.listEffects({ states: ['done'] })).toHaveLength(3);
    expect(await store.listEffects({ states: ['folded'] })).toHaveLength(7);
    expect((await store.getEffect(summaryKey))?.state).toBe('pending');
    // (The Clerk's catch-up digest may be there too; Sue's messages are what count.)
    const toSue = async (): Promise<OutboxMessage[]> => (await readOutbox(council?.outboxDir ?? '')).filter((m) => m.to.includes(A.sue));
    let outbox = await toSue();
    expect(outbox).toHaveLength(3);
    expect(outbox.every((m) => m.to.join() === A.sue)).toBe(true);

    // The next morning the summary goes out: one message for the seven folded nudges.
    offsetMs = zonedToUtc(nextDay(day), '08:01', 'Europe/London').getTime() - Date.now();
    await running.service.flushOutbox();
    expect((await store.getEffect(summaryKey))?.state).toBe('done');
    outbox = await toSue();
    expect(outbox).toHaveLength(4);
    const summary = keyed(outbox, summaryKey);
    expect(summary?.to).toEqual([A.sue]);
    for (let i = 3; i < 10; i++) expect(summary?.text).toContain(`Hedge on Weir Road (${100 + i})`);
  });

  it('keeps going when its folder disappears, shows the error, and recovers when it is back', async () => {
    council = makeCouncil();
    running = await assembleForTest(council, { tuning: { sourceBackoff: { initialMs: 20, maxMs: 100 }, heartbeatMs: 50 } });
    await running.service.start();
    const service = running.service;
    await waitFor('the first sync', async () => (await service.health()).sources[0]?.state === 'ok');

    const moved = `${council.sourceDir}-away`;
    renameSync(council.sourceDir, moved);
    const degraded = await waitFor('the error to show', async () => {
      const h = await service.health();
      return h.status === 'degraded' ? h : undefined;
    });
    expect(degraded.sources[0]?.lastError?.message).toMatch(/does not exist/);

    renameSync(moved, council.sourceDir);
    const c = capacityMailFrom(300, A.ben);
    mkdirSync(council.sourceDir, { recursive: true });
    dropMail(council, A.ben, 'sent', 'after.eml', c.content);
    await waitFor('recovery', async () => (await service.health()).status === 'ok');
    await waitFor('the new mail to be judged', async () => (await running?.store.getFindings(c.messageId))?.length === 1);
    expect((await service.health()).sources[0]?.lastError?.message).toMatch(/does not exist/);
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
