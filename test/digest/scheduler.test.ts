import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { DigestScheduler, sendDigestIfDue, type DigestSchedulerDeps } from '../../src/digest/scheduler.js';
import { buildDigest } from '../../src/digest/build.js';
import { digestKey, digestMessageId } from '../../src/digest/send.js';
import { decideInDoubt, keysInDoubt } from '../../src/outbox/in-doubt.js';
import type { MailSender, OutgoingMessage } from '../../src/sources/types.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import { A, council, councilConfigInput } from '../support/council.js';
import { FakeClock, StoreBench } from '../outbox/fixtures.js';
import { BODY_MARKER, engine, items, Pipeline, RecordingSender } from './fixtures.js';

// The schedule is the default "30 7 * * 1-5": weekdays at 07:30, London time (GMT in November).
const MON = '2026-11-16';
const TUE = '2026-11-17';
const WED = '2026-11-18';
const THU = '2026-11-19';
const at = (day: string, time: string): Date => new Date(`${day}T${time}:00.000Z`);

describe('sendDigestIfDue', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  let delivered: Set<string>;
  let sender: RecordingSender;
  let clock: FakeClock;

  const deps = (overrides: Partial<DigestSchedulerDeps> = {}): DigestSchedulerDeps => ({ store, engine, config: council, sender, ...overrides });

  /** A new process: a new store instance on the same file and a new sender that sees what went out. */
  const restart = async (): Promise<void> => {
    await store.close();
    store = bench.store();
    sender = new RecordingSender(delivered);
  };

  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
    delivered = new Set();
    sender = new RecordingSender(delivered);
    clock = new FakeClock(at(TUE, '10:00'));
  });
  afterEach(async () => await bench.dispose());

  it('a first start never sends a digest for a day before Wardwatch was installed', async () => {
    // Installed on Tuesday at 06:00: the last scheduled digest was Monday's, a day before it ran.
    expect(await sendDigestIfDue(deps(), at(TUE, '06:00'))).toEqual({ sent: [], recognised: [], failed: [], dryRun: [] });
    await restart();
    expect((await sendDigestIfDue(deps(), at(TUE, '07:00'))).sent).toEqual([]);
    expect(sender.sent).toHaveLength(0);
    expect(await store.digestSent(MON)).toBe(false);
    // Its first digest is Tuesday's, covering everything since it started.
    expect((await sendDigestIfDue(deps(), at(TUE, '07:30'))).sent).toEqual([TUE]);
    expect(sender.sent).toHaveLength(1);
  });

  it('the day it is installed gets its digest, even when installed after that morning\'s time', async () => {
    // Installed on Tuesday at 10:00: Tuesday's digest reports what the first pass found.
    expect((await sendDigestIfDue(deps(), at(TUE, '10:00'))).sent).toEqual([TUE]);
    expect((await sendDigestIfDue(deps(), at(TUE, '18:00'))).sent).toEqual([]);
    expect(sender.sent).toHaveLength(1);
  });

  it('waits for effects already due, so that the digest reports them as sent, not about to go', async () => {
    await store.recordDigest(TUE, digestMessageId(TUE, A.service), at(TUE, '07:30').toISOString());
    const pipeline = new Pipeline(store, new FakeClock(at(WED, '07:00')));
    await pipeline.evaluate(items.blindCopy());
    const nudge = (await store.listEffects({ kinds: ['nudge'] }))[0];
    expect(nudge?.state).toBe('pending');
    // The outbox carries the nudge out a moment after the digest's time has come.
    let carrying: Promise<void> | undefined;
    const carryOut = async (): Promise<void> => {
      const claimed = (await store.claimDue(at(WED, '07:30').toISOString(), 10)).find((e) => e.id === nudge?.id);
      if (claimed) await store.markDone(claimed.id, at(WED, '07:30').toISOString(), 'sent');
      for (const other of await store.listEffects({ states: ['sending'] })) await store.markDone(other.id, at(WED, '07:30').toISOString(), 'sent');
    };
    const carriedOut = setTimeout(() => {
      carrying = carryOut();
    }, 60);
    try {
      const report = await sendDigestIfDue(deps({ outboxSettleMs: 5000, outboxPollMs: 10 }), at(WED, '07:30'));
      expect(report.sent).toEqual([WED]);
    } finally {
      clearTimeout(carriedOut);
      await carrying;
    }
    const text = sender.sent[0]?.text ?? '';
    expect(text).toContain('nudge sent to');
    expect(text).not.toContain('about to go');
    // Each section says what it covers.
    expect(text).toContain('SUMMARY (since Tuesday 17 November 2026 at 07:30)');
    expect(text).toContain('COUNCIL PUBLIC MEETINGS IN THE NEXT 14 DAYS');
  });

  it('sends the day’s digest once its time has passed, exactly once, even across a restart', async () => {
    await store.recordDigest(TUE, digestMessageId(TUE, A.service), at(TUE, '07:30').toISOString());
    expect(await sendDigestIfDue(deps(), at(WED, '07:29'))).toEqual({ sent: [], recognised: [], failed: [], dryRun: [] });
    expect(sender.sent).toHaveLength(0);

    expect((await sendDigestIfDue(deps(), at(WED, '07:30'))).sent).toEqual([WED]);
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]?.messageId).toBe(digestMessageId(WED, A.service));
    expect(sender.sent[0]?.headers).toEqual({ 'X-Wardwatch-Key': digestKey(WED), 'Auto-Submitted': 'auto-generated' });
    expect(sender.sent[0]?.text).toContain('since Tuesday 17 November 2026 at 07:30');

    expect((await sendDigestIfDue(deps(), at(WED, '12:00'))).sent).toEqual([]);
    await restart();
    expect((await sendDigestIfDue(deps(), at(WED, '17:00'))).sent).toEqual([]);
    expect(sender.sent).toHaveLength(0);
    expect((await store.getDigest(WED))?.messageId).toBe(digestMessageId(WED, A.service));

    expect((await sendDigestIfDue(deps(), at(THU, '07:31'))).sent).toEqual([THU]);
    expect(sender.sent[0]?.text).toContain('since Wednesday 18 November 2026 at 07:30');
  });

  it('marks the digest entries it listed as done, and lists new findings the next day', async () => {
    const pipeline = new Pipeline(store, clock);
    await pipeline.evaluate(items.blindCopy());
    await sendDigestIfDue(deps(), at(WED, '07:30'));
    expect((await store.listEffects({ kinds: ['digest'] })).map((e) => e.state)).toEqual(['done']);
    expect(sender.sent[0]?.subject).toContain('findings: 1');

    clock.set(`${WED}T10:00:00.000Z`);
    await pipeline.evaluate(items.request());
    await sendDigestIfDue(deps(), at(THU, '07:30'));
    expect(sender.sent[1]?.subject).toContain('findings: 1');
    expect(sender.sent[1]?.text).toContain('Requests for officers’ work go through the Town Clerk');
    expect(sender.sent[1]?.text).not.toContain('Blind copies');
  });

  it('after downtime sends one catch-up digest, for the latest date, covering everything since the last one', async () => {
    await store.recordDigest(MON, digestMessageId(MON, A.service), at(MON, '07:30').toISOString());
    const pipeline = new Pipeline(store, clock);
    // Found on Tuesday and Wednesday while no digest went out (the service was down at 07:30 both days).
    clock.set(`${TUE}T10:00:00.000Z`);
    await pipeline.evaluate(items.blindCopy());
    clock.set(`${WED}T10:00:00.000Z`);
    await pipeline.evaluate(items.request());

    const report = await sendDigestIfDue(deps(), at(THU, '10:00'));
    expect(report.sent).toEqual([THU]);
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]?.text).toContain('since Monday 16 November 2026 at 07:30');
    expect(sender.sent[0]?.subject).toContain('findings: 2');
    expect(await store.digestSent(TUE)).toBe(false);
    expect(await store.digestSent(WED)).toBe(false);
    expect((await store.listEffects({ kinds: ['digest'] })).every((e) => e.state === 'done')).toBe(true);

    expect((await sendDigestIfDue(deps(), at(THU, '10:05'))).sent).toEqual([]);
    expect(sender.sent).toHaveLength(1);
  });

  it('before today’s time, catches up the most recent missed date', async () => {
    await store.recordDigest(MON, digestMessageId(MON, A.service), at(MON, '07:30').toISOString());
    expect((await sendDigestIfDue(deps(), at(THU, '06:00'))).sent).toEqual([WED]);
    expect((await sendDigestIfDue(deps(), at(THU, '07:30'))).sent).toEqual([THU]);
  });

  it('recognises a digest sent just before a crash and records it without sending it again', async () => {
    const pipeline = new Pipeline(store, clock);
    await pipeline.evaluate(items.blindCopy());
    sender.crashAfterSend = true;
    const crashed = await sendDigestIfDue(deps(), at(WED, '07:30'));
    expect(crashed.failed).toEqual([{ date: WED, error: 'the process was killed' }]);
    expect(delivered.size).toBe(1);
    expect(await store.digestSent(WED)).toBe(false);

    await restart();
    // Something found after the crash was not in the digest that went out.
    clock.set(`${WED}T08:00:00.000Z`);
    await new Pipeline(store, clock).evaluate(items.request());

    const report = await sendDigestIfDue(deps(), at(WED, '09:00'));
    expect(report).toEqual({ sent: [], recognised: [WED], failed: [], dryRun: [] });
    expect(sender.sent).toHaveLength(0);
    expect(await store.getDigest(WED)).toEqual({ date: WED, messageId: digestMessageId(WED, A.service), sentAt: at(WED, '07:30').toISOString() });
    const entries = await store.listEffects({ kinds: ['digest'] });
    expect(entries.map((e) => [e.rule, e.state])).toEqual([
      ['no-blind-copies', 'done'],
      ['requests-via-clerk', 'pending'],
    ]);

    await sendDigestIfDue(deps(), at(THU, '07:30'));
    expect(sender.sent).toHaveLength(1);
    expect(sender.sent[0]?.text).toContain('Requests for officers’ work go through the Town Clerk');
    expect(sender.sent[0]?.text).not.toContain('Blind copies');
  });

  it('records nothing when sending fails, and sends on the next call', async () => {
    sender.failWith = 'the mail server did not answer';
    const failed = await sendDigestIfDue(deps(), at(WED, '07:30'));
    expect(failed.failed).toEqual([{ date: WED, error: 'the mail server did not answer' }]);
    expect(await store.digestSent(WED)).toBe(false);
    sender.failWith = undefined;
    expect((await sendDigestIfDue(deps(), at(WED, '07:35'))).sent).toEqual([WED]);
    expect(sender.sent).toHaveLength(1);
  });

  it('sends and records nothing with dryRun on', async () => {
    const dry: Config = ConfigSchema.parse({ ...councilConfigInput, dryRun: true });
    expect(await sendDigestIfDue(deps({ config: dry }), at(WED, '07:30'))).toEqual({ sent: [], recognised: [], failed: [], dryRun: [WED] });
    expect(sender.sent).toHaveLength(0);
    expect(await store.digestSent(WED)).toBe(false);
  });

  it('never puts a message body into the digest it sends', async () => {
    const pipeline = new Pipeline(store, clock);
    await pipeline.evaluate(items.blindCopy());
    await pipeline.evaluate(items.conduct());
    await sendDigestIfDue(deps(), at(WED, '07:30'));
    const message = sender.sent[0];
    expect(message).toBeDefined();
    for (const part of [message?.subject ?? '', message?.text ?? '', message?.html ?? '']) expect(part).not.toContain(BODY_MARKER);
  });
});

describe('DigestScheduler', () => {
  let bench: StoreBench;
  let store: SqliteStore;

  beforeEach(() => {
    bench = new StoreBench();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  it('catches up at start, retries a failed send with backoff, and stops cleanly', async () => {
    const sender = new RecordingSender();
    sender.failWith = 'the mail server did not answer';
    // Wardwatch ran before this downtime: it first started on Monday.
    await store.recordStart(at('2026-11-16', '09:00').toISOString());
    const scheduler = new DigestScheduler({ store, engine, config: council, sender }, { clock: () => at(WED, '09:00'), retryBaseMs: 5, retryMaxMs: 20 });
    try {
      const first = await scheduler.start();
      expect(first.failed.map((f) => f.date)).toEqual([WED]);
      sender.failWith = undefined;
      await vi.waitFor(async () => expect(await store.digestSent(WED)).toBe(true), { timeout: 5000, interval: 10 });
      expect(sender.sent).toHaveLength(1);
      expect(scheduler.nextRun().toISOString()).toBe(at(THU, '07:30').toISOString());
    } finally {
      await scheduler.stop();
    }
  });

  it('refuses a schedule it cannot follow, saying why', () => {
    const bad: Config = ConfigSchema.parse({ ...councilConfigInput, digest: { to: [A.clerk], cron: '30 7 * *' } });
    expect(() => new DigestScheduler({ store, engine, config: bad, sender: new RecordingSender() })).toThrow(/has 4 fields/);
  });
});

describe('a digest caught mid-send by a crash, with a sender that cannot tell (plain SMTP)', () => {
  let bench: StoreBench;
  let store: SqliteStore;
  const sent: OutgoingMessage[] = [];
  const plainSmtp: MailSender = {
    name: 'smtp',
    send: async (message) => void sent.push(message),
    close: async () => undefined,
  };
  const deps = (config: Config = council): DigestSchedulerDeps => ({ store, engine, config, sender: plainSmtp });

  beforeEach(async () => {
    bench = new StoreBench();
    store = bench.store();
    sent.length = 0;
    // What deliverDigest writes before handing the message over; the process then died.
    await store.recordDigestAttempt({ date: WED, messageId: digestMessageId(WED, A.service), until: at(WED, '07:30').toISOString(), startedAt: at(WED, '07:30').toISOString() });
    await store.close();
    store = bench.store();
  });
  afterEach(async () => await bench.dispose());

  it('is held in doubt, not sent again, and listed first for the Clerk', async () => {
    const report = await sendDigestIfDue(deps(), at(WED, '09:00'));
    expect(report).toMatchObject({ sent: [], recognised: [], failed: [], inDoubt: [WED] });
    expect(await sendDigestIfDue(deps(), at(WED, '12:00'))).toMatchObject({ sent: [], inDoubt: [WED] });
    expect(sent).toHaveLength(0);
    expect(await keysInDoubt(store)).toEqual([`digest;${WED}`]);
    const preview = await buildDigest({ store, engine, config: council }, { date: THU, until: at(THU, '07:30').toISOString() });
    expect(preview.sections.needsHuman[0]?.what).toMatch(/^The digest for 2026-11-18 may or may not have gone out before a restart/);
  });

  it('released, is sent once; dropped, never', async () => {
    await sendDigestIfDue(deps(), at(WED, '09:00'));
    expect((await decideInDoubt(store, `digest;${WED}`, 'release', at(WED, '10:00').toISOString())).changed).toBe(true);
    expect((await sendDigestIfDue(deps(), at(WED, '10:01'))).sent).toEqual([WED]);
    expect((await sendDigestIfDue(deps(), at(WED, '10:02'))).sent).toEqual([]);
    expect(sent).toHaveLength(1);

    await store.recordDigestAttempt({ date: THU, messageId: digestMessageId(THU, A.service), until: at(THU, '07:30').toISOString(), startedAt: at(THU, '07:30').toISOString() });
    await sendDigestIfDue(deps(), at(THU, '09:00'));
    expect((await decideInDoubt(store, `digest;${THU}`, 'drop', at(THU, '10:00').toISOString())).changed).toBe(true);
    expect((await sendDigestIfDue(deps(), at(THU, '10:01'))).sent).toEqual([]);
    expect(sent).toHaveLength(1);
    expect((await store.getDigest(THU))?.sentAt).toBe(at(THU, '07:30').toISOString());
  });

  it('is sent again under delivery: at-least-once', async () => {
    const config = ConfigSchema.parse({ ...councilConfigInput, delivery: 'at-least-once' });
    expect((await sendDigestIfDue(deps(config), at(WED, '09:00'))).sent).toEqual([WED]);
    expect(sent).toHaveLength(1);
  });
});
