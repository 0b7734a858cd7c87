/** A reminder folded into a daily summary can be withdrawn from its page; the summary itself cannot, and says how instead. */
import { afterEach, describe, expect, it } from 'vitest';
import { effectPath } from '../../src/console/pages/common.js';
import { DAILY_SUMMARY_RULE } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { benchPool } from './pages-harness.js';

const pool = benchPool();
afterEach(pool.dispose);

describe('a reminder over the daily limit, approved', () => {
  it('offers Withdraw on the folded reminder, and not on the summary, which explains', async () => {
    const bench = pool.make({ config: { limits: { nudgesPerPersonPerDay: 1 } } });
    await bench.blindCopy('Castle Street bins', '<bins-1@millbrook-tc.gov.uk>');
    await bench.blindCopy('Market Square lights', '<lights-2@millbrook-tc.gov.uk>');
    const held = (await bench.store.listEffects({ states: ['awaiting-review'], kinds: ['nudge'] })).filter((e) => e.recipient === A.alice);
    expect(held).toHaveLength(2);
    for (const e of held) expect(await bench.post(effectPath(e.key, 'approve'))).toMatchObject({ kind: 'redirect' });

    const folded = (await bench.store.listEffects({ states: ['folded'] })).filter((e) => e.recipient === A.alice);
    expect(folded).toHaveLength(1);
    const reminder = folded[0];
    if (reminder === undefined) throw new Error('no folded reminder');
    const page = await bench.get(effectPath(reminder.key));
    expect(page).toContain('travels in their daily summary');
    expect(page).toContain(`action="${effectPath(reminder.key, 'withdraw')}"`);

    const summaryKey = reminder.foldedInto ?? '';
    const summary = await bench.store.getEffect(summaryKey);
    expect(summary?.rule).toBe(DAILY_SUMMARY_RULE);
    const summaryPage = await bench.get(effectPath(summaryKey));
    expect(summaryPage).toContain('To keep one from going, open it and withdraw it');
    expect(summaryPage).not.toContain(`action="${effectPath(summaryKey, 'withdraw')}"`);

    const withdrawn = await bench.post(effectPath(reminder.key, 'withdraw'), { reason: 'Spoken to Alice already' });
    expect(withdrawn).toMatchObject({ kind: 'redirect', flash: expect.stringContaining('its daily summary leaves it out') });
    expect((await bench.store.getEffect(reminder.key))?.state).toBe('withdrawn');
  });
});
