import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectKey } from '../../src/outbox/idempotency.js';
import { DEFAULT_RETRY_POLICY, Outbox, PermanentEffectError, planEffects, retryDelayMs } from '../../src/outbox/outbox.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { DAILY_SUMMARY_RULE, type EffectRow } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { action, FakeClock, finding, planning, StoreBench } from './fixtures.js';

const MINUTE = 60_000;
// Wednesday 14 January 2026, 10:00 GMT: inside working hours.
const WEDNESDAY_10AM = '2026-01-14T10:00:00.000Z';

describe('planEffects', () => {
  const now = new Date(WEDNESDAY_10AM);

  it('makes one effect per action and recipient, keyed by rule, item, recipient and kind', () => {
    const f = finding({
      itemKey: '<m1@x>',
      actions: [action('nudge', [A.sam]), action('notify', [A.tom, 'ALICE.green@millbrook-tc.gov.uk', A.tom]), action('digest')],
    });
    const effects = planEffects(f, now, planning);
    expect(effects.map((e) => [e.kind, e.recipient])).toEqual([
      ['nudge', A.sam],
      ['notify', A.tom],
      ['notify', A.alice],
      ['digest', ''],
    ]);
    expect(effects[0]?.key).toBe(effectKey({ rule: 'no-blind-copies', itemKey: '<m1@x>', recipient: A.sam, kind: 'nudge' }));
    expect(effects[0]?.messageId).toMatch(/^<ww-[0-9a-f]{32}@millbrook-tc\.gov\.uk>$/);
    expect(effects[1]?.payload.to).toEqual([A.tom, A.alice]);
  });

  it('carries what the executor needs in the payload', () => {
    const f = finding({ itemKey: '<m1@x>', actions: [action('block', [], { calendarId: 'council-chamber', template: 'room-declined' })], private: true });
    const [e] = planEffects(f, now, planning);
    expect(e?.payload).toEqual({
      summary: f.summary,
      severity: 'warning',
      clauses: ['12.1'],
      template: 'room-declined',
      calendarId: 'council-chamber',
      private: true,
    });
  });

  it('leaves out a message that has nobody to go to', () => {
    const f = finding({ itemKey: '<m1@x>', actions: [action('nudge', [])] });
    expect(planEffects(f, now, planning)).toEqual([]);
  });

  it('caps nudges, delays officers’ ones and prepares the summary they would fold into', () => {
    const friday = new Date('2026-01-16T18:30:00Z');
    const [e] = planEffects(finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.sam])] }), friday, planning);
    expect(e?.notBefore).toBe('2026-01-19T08:00:00.000Z');
    expect(e?.cap).toMatchObject({ person: A.sam, day: '2026-01-19', limit: 3 });
    expect(e?.cap?.summary).toMatchObject({
      rule: DAILY_SUMMARY_RULE,
      itemKey: '2026-01-19',
      recipient: A.sam,
      kind: 'nudge',
      notBefore: '2026-01-20T08:00:00.000Z',
      payload: { day: '2026-01-19', template: DAILY_SUMMARY_RULE },
    });
  });
});

describe('retryDelayMs', () => {
  it('doubles from one minute up to six hours', () => {
    const delays = [1, 2, 3, 4, 5, 8, 9, 12].map((n) => retryDelayMs(n, DEFAULT_RETRY_POLICY) / MINUTE);
    expect(delays).toEqual([1, 2, 4, 8, 16, 128, 256, 360]);
  });
});

describe('Outbox', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  let clock: FakeClock;
  let outbox: Outbox;

  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
    clock = new FakeClock(new Date(WEDNESDAY_10AM));
    outbox = new Outbox(store, { planning, clock: clock.now, retry: { maxAttempts: 4 } });
  });
  afterEach(async () => await bench.dispose());

  const nudgeSam = (n: number) => finding({ itemKey: `<m${n}@x>`, actions: [action('nudge', [A.sam])] });

  it('does not duplicate effects when an item is evaluated again', async () => {
    const item = { key: '<m1@x>', contentHash: 'h1' };
    expect((await outbox.record(item, [nudgeSam(1)])).effects.map((e) => e.outcome)).toEqual(['enqueued']);
    clock.advance(5 * MINUTE);
    const again = await outbox.record({ ...item, contentHash: 'h2' }, [nudgeSam(1)]);
    expect(again.seen).toBe('changed');
    expect(again.effects.map((e) => e.outcome)).toEqual(['duplicate']);
    expect(await store.listEffects()).toHaveLength(1);
  });

  it('acts once on a matter several items share: the second item about it adds no effects', async () => {
    const about = (n: number) =>
      finding({ rule: 'notify-ward-members-of-consultations', itemKey: `<m${n}@x>`, topic: 'consultation:riverside park play area', actions: [action('notify', [A.raj, A.sue]), action('digest')] });
    expect((await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [about(1)])).effects.map((e) => e.outcome)).toEqual(['enqueued', 'enqueued', 'enqueued']);
    expect((await outbox.record({ key: '<m2@x>', contentHash: 'h2' }, [about(2)])).effects.map((e) => e.outcome)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(await store.listEffects()).toHaveLength(3);
    // The effects still name the item they were first found in, for the executor to read.
    expect((await store.listEffects()).every((e) => e.itemKey === '<m1@x>')).toBe(true);
    // A finding without a topic is about its own item.
    expect((await outbox.record({ key: '<m3@x>', contentHash: 'h3' }, [nudgeSam(3)])).effects.map((e) => e.outcome)).toEqual(['enqueued']);
  });

  it('carries out due effects once and records the outcome', async () => {
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [nudgeSam(1)]);
    const seen: EffectRow[] = [];
    const report = await outbox.runDue(async (e) => {
      seen.push(e);
    });
    expect(seen.map((e) => [e.recipient, e.state, e.attempts])).toEqual([[A.sam, 'sending', 1]]);
    expect(report.done).toEqual([seen[0]?.key]);
    expect(await outbox.runDue(async () => {})).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
    expect(await store.getEffect(seen[0]?.key ?? '')).toMatchObject({ state: 'done', doneAt: WEDNESDAY_10AM });
  });

  it('backs off exponentially after failures, then gives up and lists the effect as failed', async () => {
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [nudgeSam(1)]);
    const key = (await store.listEffects())[0]?.key ?? '';
    const failing = async (): Promise<void> => {
      throw new Error('SMTP server unavailable');
    };
    const retryTimes: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const report = await outbox.runDue(failing);
      expect(report.retrying).toEqual([key]);
      const row = await store.getEffect(key);
      retryTimes.push(row?.nextAttemptAt ?? '');
      // Not due again until the back-off has passed.
      clock.set(new Date(new Date(row?.nextAttemptAt ?? '').getTime() - 1).toISOString());
      expect(await outbox.runDue(failing)).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
      clock.advance(1);
    }
    const gaps = retryTimes.map((t, i) => (new Date(t).getTime() - new Date(i === 0 ? WEDNESDAY_10AM : (retryTimes[i - 1] ?? '')).getTime()) / MINUTE);
    expect(gaps).toEqual([1, 2, 4]);

    const last = await outbox.runDue(failing);
    expect(last.failed).toEqual([key]);
    expect((await outbox.failed()).map((e) => [e.key, e.attempts, e.lastError])).toEqual([[key, 4, 'SMTP server unavailable; attempt 4 of 4']]);
    clock.advance(24 * 60 * MINUTE);
    expect(await outbox.runDue(failing)).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
    expect((await store.listAudit({ effectKey: key })).at(-1)?.outcome).toMatch(/Gave up .*listed in the digest/);
  });

  it('puts a retry that would land in quiet hours off until the next working morning', async () => {
    clock.set('2026-01-14T17:59:30Z');
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [nudgeSam(1)]);
    await outbox.runDue(async () => {
      throw new Error('SMTP server unavailable');
    });
    // One minute later would be 18:00:30, in quiet hours for an officer.
    expect((await store.listEffects())[0]?.nextAttemptAt).toBe('2026-01-15T08:00:00.000Z');
  });

  it('leaves alone, during recovery, an effect this process is carrying out', async () => {
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [nudgeSam(1)]);
    let during: unknown;
    const report = await outbox.runDue(async () => {
      during = await outbox.recoverInFlight();
    });
    expect(during).toEqual({ recognisedAsSent: [], returnedToPending: [], unresolved: [], inDoubt: [] });
    expect(report.done).toHaveLength(1);
  });

  it('gives up at once on a permanent error', async () => {
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [nudgeSam(1)]);
    const report = await outbox.runDue(async () => {
      throw new PermanentEffectError('The address sam.patel@millbrook-tc.gov.uk does not exist.');
    });
    expect(report.failed).toHaveLength(1);
    expect((await outbox.failed())[0]).toMatchObject({ attempts: 1, lastError: 'The address sam.patel@millbrook-tc.gov.uk does not exist.' });
  });

  it('keeps going with the next effect when one fails', async () => {
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.tom]), action('notify', [A.alice])] })]);
    const report = await outbox.runDue(async (e) => {
      if (e.recipient === A.tom) throw new Error('mailbox full');
    });
    expect(report.retrying).toHaveLength(1);
    expect(report.done).toHaveLength(1);
  });

  it('holds an officer’s nudge found on Friday evening until Monday morning', async () => {
    clock.set('2026-01-16T18:30:00Z');
    await outbox.record({ key: '<m1@x>', contentHash: 'h1' }, [nudgeSam(1)]);
    const ran: string[] = [];
    const exec = async (e: EffectRow): Promise<void> => {
      ran.push(e.key);
    };
    clock.set('2026-01-18T12:00:00Z');
    expect((await outbox.runDue(exec)).done).toEqual([]);
    clock.set('2026-01-19T08:00:00Z');
    expect((await outbox.runDue(exec)).done).toHaveLength(1);
  });

  it('folds the fourth nudge of the day into one summary per person per day', async () => {
    for (let n = 1; n <= 3; n++) {
      expect((await outbox.record({ key: `<m${n}@x>`, contentHash: 'h' }, [nudgeSam(n)])).effects[0]?.outcome).toBe('enqueued');
    }
    const fourth = (await outbox.record({ key: '<m4@x>', contentHash: 'h' }, [nudgeSam(4)])).effects[0];
    const fifth = (await outbox.record({ key: '<m5@x>', contentHash: 'h' }, [nudgeSam(5)])).effects[0];
    expect(fourth?.outcome).toBe('folded');
    expect(fifth).toMatchObject({ outcome: 'folded', summaryKey: fourth?.summaryKey });

    const summaries = (await store.listEffects({ states: ['pending'] })).filter((e) => e.rule === DAILY_SUMMARY_RULE);
    expect(summaries).toHaveLength(1);
    const summary = summaries[0];
    expect(summary).toMatchObject({ recipient: A.sam, itemKey: '2026-01-14', nextAttemptAt: '2026-01-15T08:00:00.000Z' });
    expect((await outbox.foldedInto(summary as EffectRow)).map((e) => e.itemKey)).toEqual(['<m4@x>', '<m5@x>']);

    // Another person keeps their own allowance; a warning counts against the same cap as a nudge.
    expect((await outbox.record({ key: '<m6@x>', contentHash: 'h' }, [finding({ itemKey: '<m6@x>', actions: [action('nudge', [A.priya])] })])).effects[0]?.outcome).toBe('enqueued');
    expect((await outbox.record({ key: '<m7@x>', contentHash: 'h' }, [finding({ itemKey: '<m7@x>', actions: [action('warn', [A.sam])] })])).effects[0]?.outcome).toBe('folded');

    // Three go out today; the summary goes the next morning, carrying the folded ones.
    const sent: EffectRow[] = [];
    const exec = async (e: EffectRow): Promise<void> => {
      sent.push(e);
    };
    await outbox.runDue(exec);
    expect(sent.filter((e) => e.recipient === A.sam).map((e) => e.itemKey)).toEqual(['<m1@x>', '<m2@x>', '<m3@x>']);
    clock.set('2026-01-15T08:00:00Z');
    sent.length = 0;
    await outbox.runDue(exec);
    expect(sent.map((e) => e.rule)).toEqual([DAILY_SUMMARY_RULE]);

    // The next day starts a fresh allowance.
    clock.set('2026-01-15T10:00:00Z');
    expect((await outbox.record({ key: '<m8@x>', contentHash: 'h' }, [nudgeSam(8)])).effects[0]?.outcome).toBe('enqueued');
  });

  it('counts every address of a person against one allowance', async () => {
    const nudgeTom = (n: number, to: string) => finding({ itemKey: `<t${n}@x>`, actions: [action('nudge', [to])] });
    await outbox.record({ key: '<t1@x>', contentHash: 'h' }, [nudgeTom(1, A.tom)]);
    await outbox.record({ key: '<t2@x>', contentHash: 'h' }, [nudgeTom(2, A.tomPersonal)]);
    await outbox.record({ key: '<t3@x>', contentHash: 'h' }, [nudgeTom(3, A.tom)]);
    expect((await outbox.record({ key: '<t4@x>', contentHash: 'h' }, [nudgeTom(4, A.tomPersonal)])).effects[0]?.outcome).toBe('folded');
  });

  it('sends a late nudge on its own rather than lose it when the day’s summary has already gone', async () => {
    for (let n = 1; n <= 4; n++) await outbox.record({ key: `<m${n}@x>`, contentHash: 'h' }, [nudgeSam(n)]);
    const summary = (await store.listEffects()).find((e) => e.rule === DAILY_SUMMARY_RULE);
    // Force the summary out early, as if the clock had been wrong.
    await store.claimDue('2026-01-15T08:00:00.000Z', 10);
    await store.markDone(summary?.id ?? -1, WEDNESDAY_10AM, 'Done.');
    expect((await outbox.record({ key: '<m9@x>', contentHash: 'h' }, [nudgeSam(9)])).effects[0]?.outcome).toBe('enqueued');
  });

  it('does not fold or send anything in dry-run mode', async () => {
    for (let n = 1; n <= 5; n++) {
      expect((await outbox.record({ key: `<m${n}@x>`, contentHash: 'h' }, [nudgeSam(n)], { dryRun: true })).effects[0]?.outcome).toBe('skipped-dry-run');
    }
    expect(await outbox.runDue(async () => {})).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
  });

  it('keeps digest-only effects for the digest', async () => {
    await outbox.record({ key: '<m1@x>', contentHash: 'h' }, [finding({ itemKey: '<m1@x>', actions: [action('digest')] })]);
    expect(await outbox.runDue(async () => {})).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
    const waiting = await outbox.awaitingDigest();
    expect(waiting.map((e) => [e.kind, e.itemKey])).toEqual([['digest', '<m1@x>']]);
    await store.markDigested(waiting.map((e) => e.id), WEDNESDAY_10AM, '2026-01-15');
    expect(await outbox.awaitingDigest()).toEqual([]);
  });
});
