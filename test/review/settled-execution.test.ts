import { afterEach, describe, expect, it } from 'vitest';
import { planningContextFrom } from '../../src/outbox/outbox.js';
import { ClerkActions } from '../../src/review/clerk-actions.js';
import { ActionBench, rawMail } from '../actions/harness.js';
import { A } from '../support/council.js';

const FRIDAY_MORNING = '2026-11-20T10:00:00.000Z';

let bench: ActionBench;
afterEach(async () => await bench?.dispose());

function blindCopy(messageId: string, subject: string): Buffer {
  return rawMail({
    messageId,
    from: 'Cllr Alice Green <alice.green@millbrook-tc.gov.uk>',
    to: ['Sam Patel <sam.patel@millbrook-tc.gov.uk>'],
    bcc: ['raj.mehta@millbrook-tc.gov.uk'],
    subject,
    body: 'Hi Sam,\n\nResidents tell me the bins were missed again.\n\nThanks,\nAlice',
  });
}

describe('a finding settled after its effect was planned', () => {
  it('is not acted on, even by an effect already queued', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING });
    await bench.recordMail(blindCopy('<bcc-s1@millbrook-tc.gov.uk>', 'Castle Street bins'), { mailbox: A.alice, folder: 'sent' });
    const nudge = await bench.effect('nudge', A.alice);
    // Settled without its effects being withdrawn: as when the dismissal lands while the nudge is claimed.
    await bench.store.settleFinding({ rule: 'no-blind-copies', itemKey: nudge.itemKey, kind: 'dismissed', reason: 'Raj asked to be copied', actor: 'helen', at: FRIDAY_MORNING });
    const report = await bench.run();
    expect(report.done).toContain(nudge.key);
    expect(bench.files()).toEqual([]);
    expect((await bench.store.listAudit({ effectKey: nudge.key })).map((a) => a.outcome)).toContain(
      'Not carried out: the finding was settled (dismissed by helen as not a breach) after the nudge was planned.',
    );
  });

  it('leaves the daily summary a nudge folded into', async () => {
    bench = new ActionBench({ now: FRIDAY_MORNING, config: { limits: { nudgesPerPersonPerDay: 1 } } });
    await bench.recordMail(blindCopy('<bcc-f1@millbrook-tc.gov.uk>', 'Castle Street bins'), { mailbox: A.alice, folder: 'sent' });
    await bench.recordMail(blindCopy('<bcc-f2@millbrook-tc.gov.uk>', 'Market Square benches'), { mailbox: A.alice, folder: 'sent' });
    await bench.recordMail(blindCopy('<bcc-f3@millbrook-tc.gov.uk>', 'Library opening hours'), { mailbox: A.alice, folder: 'sent' });
    await bench.run();
    const actions = new ClerkActions({ store: bench.store, planning: planningContextFrom(bench.config, bench.engine.directory), clock: bench.now });
    const dismissed = await actions.dismiss({ rule: 'no-blind-copies', itemKey: '<bcc-f2@millbrook-tc.gov.uk>', reason: 'Raj asked to be copied', actor: 'helen' });
    expect(dismissed.ok).toBe(true);
    bench.setNow('2026-11-23T09:00:00.000Z');
    await bench.run();
    const summary = (await bench.effects()).find((e) => e.rule === 'daily-summary');
    const message = await bench.writtenWithId(summary?.messageId ?? '');
    expect(message.mail.text).toContain('Library opening hours');
    expect(message.mail.text).not.toContain('Market Square benches');
  });
});
