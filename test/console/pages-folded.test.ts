/** A reminder folded into a daily summary can be withdrawn from its page; the summary itself cannot, and says how instead. */
import { afterEach, describe, expect, it } from 'vitest';
import { effectPath } from '../../src/console/pages/common.js';
import { DAILY_SUMMARY_RULE } from '../../src/store/types.js';
import { A } from '../support/council.js';
import { benchPool, bodyOf } from './pages-harness.js';

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

describe('a daily summary and the reminders it carries', () => {
  it('lists its reminders; a reminder says it travels in the summary, then that it was sent in it, and can no longer be withdrawn', async () => {
    const bench = pool.make({ config: { limits: { nudgesPerPersonPerDay: 1 } } });
    await bench.blindCopy('Castle Street bins', '<bins-1@millbrook-tc.gov.uk>');
    await bench.blindCopy('Market Square lights', '<lights-2@millbrook-tc.gov.uk>');
    await bench.blindCopy('Church Lane potholes', '<potholes-3@millbrook-tc.gov.uk>');
    const approved = await bench.post('/review/approve-all', {
      rule: 'no-blind-copies',
      upTo: String(Math.max(...(await bench.store.listEffects({ states: ['awaiting-review'] })).map((e) => e.id))),
    });
    expect(approved).toMatchObject({ kind: 'redirect' });
    const [kept, dropped] = (await bench.store.listEffects({ states: ['folded'] })).filter((e) => e.recipient === A.alice);
    if (kept === undefined || dropped === undefined) throw new Error('expected two folded reminders');
    const summaryKey = kept.foldedInto ?? '';
    const summary = await bench.store.getEffect(summaryKey);
    if (summary === undefined) throw new Error('no summary');

    // While the summary waits: the reminder travels in it, and can be withdrawn.
    let page = await bench.get(effectPath(kept.key));
    expect(page).toContain(`<dt class="govuk-summary-list__key">Travels in</dt><dd class="govuk-summary-list__value"><a class="govuk-link" href="${effectPath(summaryKey)}">Cllr Alice Green’s daily summary</a>, which goes out on ${bench.ctx.formatWhen(summary.nextAttemptAt)}</dd>`);
    expect(page).not.toContain('Sent in');
    expect(page).toContain(`action="${effectPath(kept.key, 'withdraw')}"`);
    expect(await bench.post(effectPath(dropped.key, 'withdraw'), { reason: 'Spoken to Alice already' })).toMatchObject({ kind: 'redirect' });

    // The summary lists what it carries: each reminder linked, with its recipient and its state.
    const summaryPage = await bench.get(effectPath(summaryKey));
    const reminders = /<table class="govuk-table"><caption[^>]*>The reminders it carries<\/caption>.*?<\/table>/s.exec(summaryPage)?.[0] ?? '';
    expect(reminders).not.toBe('');
    expect(reminders).toContain(`<a class="govuk-link" href="${effectPath(kept.key)}">Nudge to Cllr Alice Green</a>`);
    expect(reminders).toContain(`<a class="govuk-link" href="${effectPath(dropped.key)}">Nudge to Cllr Alice Green</a>`);
    expect(reminders).toContain('<td class="govuk-table__cell">Cllr Alice Green</td>');
    expect(reminders).toContain('<strong class="govuk-tag govuk-tag--purple">In a daily summary</strong>');
    expect(reminders).toContain('<strong class="govuk-tag govuk-tag--grey">Withdrawn</strong>');
    expect(reminders).toContain('“Market Square lights”');
    expect(summaryPage.indexOf('The reminders it carries')).toBeLessThan(summaryPage.indexOf('To keep one from going, open it and withdraw it'));

    // A withdrawn reminder is not sent in the summary: the page says it was left out.
    const withdrawnPage = await bench.get(effectPath(dropped.key));
    expect(withdrawnPage).not.toContain('Sent in');
    expect(withdrawnPage).not.toContain('Travels in');
    expect(withdrawnPage).toContain('Left out of');

    // The summary goes.
    bench.setNow(new Date(Date.parse(summary.nextAttemptAt) + 60_000).toISOString());
    await bench.run();
    const sent = await bench.store.getEffect(summaryKey);
    expect(sent?.state).toBe('done');
    expect(await bench.store.getEffect(kept.key)).toMatchObject({ state: 'folded' });

    page = await bench.get(effectPath(kept.key));
    expect(page).toContain(`<dt class="govuk-summary-list__key">Sent in</dt><dd class="govuk-summary-list__value"><a class="govuk-link" href="${effectPath(summaryKey)}">Cllr Alice Green’s daily summary</a> on ${bench.ctx.formatWhen(sent?.doneAt ?? '')}</dd>`);
    expect(page).not.toContain('Travels in');
    expect(page).not.toContain(`action="${effectPath(kept.key, 'withdraw')}"`);
    expect(page).toContain('It went in their daily summary on');

    // A withdrawal posted from a page opened before the summary went is refused, in a sentence.
    const late = await bench.post(effectPath(kept.key, 'withdraw'), { reason: 'Too late?' });
    expect(late.kind).toBe('error');
    expect(late.kind === 'error' ? late.status : 0).toBe(409);
    expect(bodyOf(late)).toContain(`It went in Cllr Alice Green’s daily summary on ${bench.ctx.formatWhen(sent?.doneAt ?? '')}; it cannot be withdrawn now.`);
    expect(await bench.store.getEffect(kept.key)).toMatchObject({ state: 'folded' });
  });
});
