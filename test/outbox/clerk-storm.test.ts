/**
 * Storm control for the Clerk: every routed copy and notice reaches the Clerk, so a storm of mail
 * (issue 13: 20,000 messages made 10,000 routed copies in six minutes) must not become a storm in
 * the Clerk's inbox. The Clerk's messages are capped per day and the rest folded into one summary;
 * quiet hours apply to the Clerk when the council says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planDelivery } from '../../src/outbox/schedule.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { A, councilConfigInput, directory } from '../support/council.js';
import { ActionBench, rawMail } from '../actions/harness.js';

const FRIDAY_MORNING = '2026-11-20T10:00:00.000Z';
const FRIDAY_EVENING = '2026-11-20T19:00:00.000Z';
const MONDAY_MORNING = '2026-11-23T09:00:00.000Z';
const STORM = 500;

let bench: ActionBench;
afterEach(async () => await bench?.dispose());

/** A member asking an officer directly for work to be done: routed to the Clerk (paragraph 4.6). */
function request(n: number): Buffer {
  return rawMail({
    messageId: `<storm-${n}@millbrook-tc.gov.uk>`,
    from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>',
    to: ['Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    subject: `Castle Street bins, round ${n}`,
    body: 'Hi Sam,\n\nThe bins on Castle Street were missed again on Monday. Could you arrange an extra collection this week and let the residents know?\n\nThanks,\nAlice',
  });
}

async function storm(): Promise<void> {
  for (let n = 0; n < STORM; n++) {
    await bench.recordMail(request(n), { mailbox: A.alice, folder: 'sent' });
    // Within the hour, as the mail arrives.
    bench.advance(7_000);
  }
}

async function writtenTo(address: string): Promise<number> {
  return (await bench.written()).filter((w) => w.to.includes(address)).length;
}

describe("the Clerk's daily cap", () => {
  it(`gives the Clerk at most the cap plus one summary when ${STORM} requests are routed in an hour`, async () => {
    // The default cap (20), as a council that never set one has it.
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await storm();
    for (let i = 0; i < 3; i++) await bench.run();
    expect(await writtenTo(A.clerk)).toBe(20);

    const summary = (await bench.effects()).find((e) => e.rule === 'daily-summary' && e.recipient === A.clerk);
    expect(summary?.state).toBe('pending');
    expect(await bench.store.listEffects({ foldedInto: summary?.key ?? '', states: ['folded'] })).toHaveLength(STORM - 20);

    bench.setNow(MONDAY_MORNING);
    for (let i = 0; i < 3; i++) await bench.run();
    expect(await writtenTo(A.clerk)).toBe(21);
    const message = await bench.writtenWithId(summary?.messageId ?? '');
    expect(message.mail.subject).toContain('Further protocol matters for your attention');
    expect(message.mail.text).toContain('Dear Helen,');
    expect(message.mail.text).toContain(`the further ${STORM - 20} matters`);
    expect(message.mail.text).toContain('“Castle Street bins, round 499”');
    expect(message.mail.text).not.toContain('What to do instead');
    // The member is capped as before: three reminders and one summary.
    expect(await writtenTo(A.alice)).toBe(4);
  }, 120_000);

  it('sends the Clerk nothing during quiet hours when the Clerk keeps them', async () => {
    bench = new ActionBench({
      now: FRIDAY_EVENING,
      config: { limits: { clerkMessagesPerDay: 5, quietHours: { roles: ['officer', 'clerk'] } } },
    });
    for (let n = 0; n < 30; n++) await bench.recordMail(request(n), { mailbox: A.alice, folder: 'sent' });
    await bench.run();
    expect(await writtenTo(A.clerk)).toBe(0);
    bench.setNow('2026-11-22T12:00:00.000Z');
    await bench.run();
    expect(await writtenTo(A.clerk)).toBe(0);
    bench.setNow(MONDAY_MORNING);
    await bench.run();
    expect(await writtenTo(A.clerk)).toBe(5);
  }, 60_000);
});

describe('planDelivery for the Clerk', () => {
  const config = ConfigSchema.parse(councilConfigInput);
  const ctx = { timeZone: config.council.timezone, limits: config.limits, people: directory };

  it('caps routed copies, notices and reminders to the Clerk at limits.clerkMessagesPerDay (20 by default)', () => {
    for (const kind of ['route-to-clerk', 'notify-clerk', 'nudge'] as const) {
      expect(planDelivery(kind, A.clerk, new Date(FRIDAY_MORNING), ctx).cap?.limit).toBe(20);
    }
    expect(planDelivery('nudge', A.alice, new Date(FRIDAY_MORNING), ctx).cap?.limit).toBe(3);
  });

  it('keeps old configurations valid: limits without clerkMessagesPerDay take the default', () => {
    const old = ConfigSchema.parse({ ...councilConfigInput, limits: { nudgesPerPersonPerDay: 2, quietHours: { roles: ['officer'] } } });
    expect(old.limits.clerkMessagesPerDay).toBe(20);
  });
});
