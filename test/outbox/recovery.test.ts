/**
 * Crash and restart. A crash leaves effects in `sending`; a restart is a new store instance on the
 * same file, which is exactly what these tests open.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideInDoubt } from '../../src/outbox/in-doubt.js';
import { Outbox, SendInDoubtError } from '../../src/outbox/outbox.js';
import type { MailSender } from '../../src/sources/types.js';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { EffectRow } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { action, FakeClock, finding, planning, StoreBench } from './fixtures.js';

const WEDNESDAY_10AM = '2026-01-14T10:00:00.000Z';

/** A sender that remembers what it sent, as an SMTP server's Sent folder would. */
class FakeSender implements Pick<MailSender, 'alreadySent'> {
  readonly sent = new Set<string>();
  checks = 0;
  broken = false;
  async alreadySent(messageId: string): Promise<boolean> {
    this.checks += 1;
    if (this.broken) throw new Error('the mail server did not answer');
    return this.sent.has(messageId);
  }
}

describe('restart after a crash', () => {
  let bench: StoreBench;
  let clock: FakeClock;
  beforeEach(() => {
    bench = new StoreBench();
    clock = new FakeClock(new Date(WEDNESDAY_10AM));
  });
  afterEach(async () => await bench.dispose());

  /** Record two nudges and claim them, then "crash" (close the store) mid-send. */
  async function crashWhileSending(sendFirst: (e: EffectRow) => void): Promise<string[]> {
    const before = bench.store();
    const outbox = new Outbox(before, { planning, clock: clock.now });
    await outbox.record({ key: '<m1@x>', contentHash: 'h' }, [finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.tom]), action('notify', [A.alice])] })]);
    const claimed = await before.claimDue(WEDNESDAY_10AM, 10);
    expect(claimed.map((c) => c.state)).toEqual(['sending', 'sending']);
    const first = claimed[0];
    if (first) sendFirst(first);
    await before.close();
    return claimed.map((c) => c.key);
  }

  function restart(sender?: Pick<MailSender, 'alreadySent'>): { store: SqliteStore; outbox: Outbox } {
    const store = bench.store();
    return { store, outbox: new Outbox(store, sender ? { planning, clock: clock.now, sender } : { planning, clock: clock.now }) };
  }

  it('recognises a message that went out before the crash and does not send it again', async () => {
    const sender = new FakeSender();
    const [sentKey, unsentKey] = await crashWhileSending((e) => sender.sent.add(e.messageId));
    clock.advance(60_000);
    const { store, outbox } = restart(sender);

    const report = await outbox.recoverInFlight();
    expect(report).toEqual({ recognisedAsSent: [sentKey], returnedToPending: [unsentKey], unresolved: [], inDoubt: [] });
    expect((await store.getEffect(sentKey ?? ''))?.state).toBe('done');
    expect((await store.listAudit({ effectKey: sentKey ?? '' })).at(-1)?.outcome).toMatch(/^Recognised as already sent after restart/);

    const executed: string[] = [];
    await outbox.runDue(async (e) => {
      executed.push(e.key);
    });
    expect(executed).toEqual([unsentKey]);
    expect(await store.getEffect(unsentKey ?? '')).toMatchObject({ state: 'done', attempts: 2 });
  });

  it('sends again what the sender says never went out', async () => {
    const sender = new FakeSender();
    const keys = await crashWhileSending(() => {});
    const { store, outbox } = restart(sender);
    const report = await outbox.recoverInFlight();
    expect(report.returnedToPending).toEqual(keys);
    expect((await store.listEffects({ states: ['pending'] })).map((e) => e.key)).toEqual(keys);
  });

  it('holds an effect, without sending it, while the sender cannot be asked', async () => {
    const sender = new FakeSender();
    sender.broken = true;
    const keys = await crashWhileSending((e) => sender.sent.add(e.messageId));
    const { store, outbox } = restart(sender);

    expect((await outbox.recoverInFlight()).unresolved).toEqual(keys);
    const executed: string[] = [];
    await outbox.runDue(async (e) => {
      executed.push(e.key);
    });
    expect(executed).toEqual([]);
    expect(await store.listEffects({ states: ['sending'] })).toHaveLength(2);

    sender.broken = false;
    const later = await outbox.recoverInFlight();
    expect(later.recognisedAsSent).toEqual([keys[0]]);
    expect(later.returnedToPending).toEqual([keys[1]]);
  });

  it('holds in doubt, rather than send twice or lose, what a sender that cannot tell was sending', async () => {
    const keys = await crashWhileSending(() => {});
    const { store, outbox } = restart();
    expect((await outbox.recoverInFlight()).inDoubt).toEqual(keys);
    expect((await store.listAudit({ effectKey: keys[0] ?? '' })).at(-1)?.outcome).toMatch(/Interrupted by a restart/);
  });

  it('does not send an officer’s interrupted nudge in the night after a restart', async () => {
    const before = bench.store();
    await new Outbox(before, { planning, clock: clock.now }).record({ key: '<m1@x>', contentHash: 'h' }, [finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.sam])] })]);
    await before.claimDue(WEDNESDAY_10AM, 10);
    await before.close();
    // The service comes back at 03:00 on Thursday.
    clock.set('2026-01-15T03:00:00Z');
    const { store, outbox } = restart(new FakeSender());
    expect((await outbox.recoverInFlight()).returnedToPending).toHaveLength(1);
    expect((await store.listEffects())[0]).toMatchObject({ state: 'pending', nextAttemptAt: '2026-01-15T08:00:00.000Z' });
    expect((await store.listAudit()).at(-1)?.outcome).toMatch(/will be sent at 2026-01-15T08:00:00.000Z, after quiet hours\.$/);
  });

  it('does not ask the mail sender about effects that are not mail', async () => {
    const sender = new FakeSender();
    const before = bench.store();
    await new Outbox(before, { planning, clock: clock.now }).record(
      { key: 'uid-1', contentHash: 'h' },
      [finding({ rule: 'no-ward-meetings-before-elections', itemKey: 'uid-1', actions: [action('block', [], { calendarId: 'council-chamber' })] })],
    );
    await before.claimDue(WEDNESDAY_10AM, 10);
    await before.close();
    const { outbox } = restart(sender);
    expect((await outbox.recoverInFlight()).returnedToPending).toHaveLength(1);
    expect(sender.checks).toBe(0);
  });

  it('carries out each effect exactly once across a crash at any step', async () => {
    // Crash points: before the send, after the send but before it was marked done.
    for (const sendBeforeCrash of [false, true]) {
      const sender = new FakeSender();
      const sends: string[] = [];
      const local = new StoreBench();
      try {
      const first = local.store();
      await new Outbox(first, { planning, clock: clock.now }).record({ key: '<x@x>', contentHash: 'h' }, [finding({ itemKey: '<x@x>', actions: [action('nudge', [A.tom])] })]);
      const [claimed] = await first.claimDue(WEDNESDAY_10AM, 1);
      if (sendBeforeCrash && claimed) {
        sends.push(claimed.messageId);
        sender.sent.add(claimed.messageId);
      }
      await first.close();

      const second = local.store();
      const outbox = new Outbox(second, { planning, clock: clock.now, sender });
      await outbox.recoverInFlight();
      await outbox.runDue(async (e) => {
        sends.push(e.messageId);
        sender.sent.add(e.messageId);
      });
      // A third start finds nothing left to do.
      await second.close();
      const third = local.store();
      const again = new Outbox(third, { planning, clock: clock.now, sender });
      expect(await again.recoverInFlight()).toEqual({ recognisedAsSent: [], returnedToPending: [], unresolved: [], inDoubt: [] });
      expect(await again.runDue(async (e) => void sends.push(e.messageId))).toEqual({ done: [], retrying: [], failed: [], inDoubt: [] });
      expect(sends).toHaveLength(1);
      expect((await third.listEffects())[0]?.state).toBe('done');
      } finally {
        await local.dispose();
      }
    }
  });
});

describe('a message caught mid-send that the sender cannot vouch for', () => {
  let bench: StoreBench;
  let clock: FakeClock;
  beforeEach(() => {
    bench = new StoreBench();
    clock = new FakeClock(new Date(WEDNESDAY_10AM));
  });
  afterEach(async () => await bench.dispose());

  /** Claim a nudge and a notice, then "crash" (close the store) with both in `sending`. */
  async function crashMidSend(): Promise<string[]> {
    const before = bench.store();
    await new Outbox(before, { planning, clock: clock.now }).record({ key: '<m1@x>', contentHash: 'h' }, [
      finding({ itemKey: '<m1@x>', actions: [action('nudge', [A.tom]), action('notify', [A.alice])] }),
    ]);
    const claimed = await before.claimDue(WEDNESDAY_10AM, 10);
    await before.close();
    return claimed.map((c) => c.key);
  }

  /** A plain SMTP server: it cannot be asked what it took. */
  const plainSmtp: Pick<MailSender, 'alreadySent'> = {};

  it('is held in doubt, not sent again, under at-most-once (the default)', async () => {
    const keys = await crashMidSend();
    const store = bench.store();
    const outbox = new Outbox(store, { planning, clock: clock.now, sender: plainSmtp });
    const report = await outbox.recoverInFlight();
    expect(report.inDoubt).toEqual(keys);
    expect(report.returnedToPending).toEqual([]);
    const sends: string[] = [];
    await outbox.runDue(async (e) => void sends.push(e.key));
    expect(sends).toEqual([]);
    expect((await store.listEffects()).map((e) => e.state)).toEqual(['in-doubt', 'in-doubt']);
    expect((await store.listAudit({ effectKey: keys[0] ?? '' })).at(-1)).toMatchObject({ fromState: 'sending', toState: 'in-doubt' });
    // A later start does not change its mind.
    expect(await new Outbox(bench.store(), { planning, clock: clock.now, sender: plainSmtp }).recoverInFlight()).toEqual({
      recognisedAsSent: [],
      returnedToPending: [],
      unresolved: [],
      inDoubt: [],
    });
  });

  it('is held in doubt when the sender knows a send began but not whether it ended', async () => {
    const keys = await crashMidSend();
    const outbox = new Outbox(bench.store(), { planning, clock: clock.now, sender: { alreadySent: async () => 'unknown' } });
    expect((await outbox.recoverInFlight()).inDoubt).toEqual(keys);
  });

  it('is sent again under at-least-once', async () => {
    const keys = await crashMidSend();
    const store = bench.store();
    const outbox = new Outbox(store, { planning, clock: clock.now, sender: plainSmtp, delivery: 'at-least-once' });
    expect((await outbox.recoverInFlight()).returnedToPending).toEqual(keys);
    const sends: string[] = [];
    await outbox.runDue(async (e) => void sends.push(e.key));
    expect(sends).toEqual(keys);
    expect((await store.listAudit({ effectKey: keys[0] ?? '' })).some((a) => /delivery is at-least-once/.test(a.outcome))).toBe(true);
  });

  it('released by the Clerk, is sent exactly once; dropped, never', async () => {
    const [released, dropped] = await crashMidSend();
    const store = bench.store();
    const outbox = new Outbox(store, { planning, clock: clock.now, sender: plainSmtp });
    await outbox.recoverInFlight();
    expect(await decideInDoubt(store, released ?? '', 'release', clock.now().toISOString())).toMatchObject({ changed: true });
    expect(await decideInDoubt(store, dropped ?? '', 'drop', clock.now().toISOString())).toMatchObject({ changed: true });
    // Deciding twice changes nothing.
    expect(await decideInDoubt(store, dropped ?? '', 'release', clock.now().toISOString())).toMatchObject({ changed: false });
    const sends: string[] = [];
    for (let round = 0; round < 3; round += 1) await outbox.runDue(async (e) => void sends.push(e.key));
    expect(sends).toEqual([released]);
    expect(await store.getEffect(released ?? '')).toMatchObject({ state: 'done', released: true });
    expect((await store.getEffect(dropped ?? ''))?.state).toBe('dropped');
    expect((await store.listAudit({ effectKey: dropped ?? '' })).at(-1)).toMatchObject({ fromState: 'in-doubt', toState: 'dropped', outcome: expect.stringMatching(/^Dropped by the Clerk/) });
  });

  it('is held in doubt when a send ends without the server saying whether it took the message', async () => {
    const store = bench.store();
    const outbox = new Outbox(store, { planning, clock: clock.now });
    await outbox.record({ key: '<m2@x>', contentHash: 'h' }, [finding({ itemKey: '<m2@x>', actions: [action('nudge', [A.tom])] })]);
    const report = await outbox.runDue(async () => {
      throw new SendInDoubtError('The connection dropped after the message was handed over.');
    });
    expect(report.inDoubt).toHaveLength(1);
    expect((await store.listEffects())[0]?.state).toBe('in-doubt');
  });
});
