/**
 * Today's digests held in doubt after a crash: listed with their day, Release (send it once) and
 * Drop (never send) for a Clerk, each explained; the decision made through the real ClerkActions
 * (as `wardwatch outbox release|drop 'digest;DATE'` makes it), recorded with who made it, and
 * answered with its message. A viewer sees them without the buttons.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestDecisionPath } from '../../src/console/pages/today.js';
import { benchPool, bodyOf, type PagesBench } from './pages-harness.js';

let bench: PagesBench;
const pool = benchPool();
afterEach(pool.dispose);

/** A digest caught mid-send on the evening of `date`, held in doubt as the scheduler holds it. */
async function digestInDoubt(date: string): Promise<void> {
  await bench.store.recordDigestAttempt({ date, messageId: `<digest-${date}@millbrook-tc.gov.uk>`, until: `${date}T17:00:00.000Z`, startedAt: `${date}T17:00:00.000Z` });
  await bench.store.markDigestInDoubt(date, `${date}T17:00:05.000Z`);
}

describe('Today: digests held in doubt', () => {
  beforeEach(() => {
    bench = pool.make();
  });

  it('lists each with Release and Drop buttons for a Clerk, each explained in a sentence, and no command to type', async () => {
    await digestInDoubt('2026-11-18');
    await digestInDoubt('2026-11-19');
    const page = await bench.get('/');
    expect(page).not.toContain('Nothing needs you today.');
    expect(page).toContain('Digests held in doubt');
    expect(page).toContain('Wednesday 18 November 2026');
    expect(page).toContain('Thursday 19 November 2026 at 17:00');
    for (const date of ['2026-11-18', '2026-11-19']) {
      expect(page).toContain(`<form method="post" action="${digestDecisionPath(date, 'release')}" novalidate><input type="hidden" name="csrf" value="test-csrf-token">`);
      expect(page).toContain(`action="${digestDecisionPath(date, 'drop')}"`);
    }
    expect(page).toContain('Release<span class="govuk-visually-hidden"> the digest for Thursday 19 November 2026</span>');
    expect(page).toContain('<strong>Release</strong> has the digest sent, once');
    expect(page).toContain('<strong>Drop</strong> means it is never sent');
    expect(page).not.toContain('wardwatch outbox');
  });

  it('shows a viewer the digests, but no buttons', async () => {
    await digestInDoubt('2026-11-19');
    const page = await bench.get('/', 'viewer');
    expect(page).toContain('Digests held in doubt');
    expect(page).toContain('Thursday 19 November 2026');
    expect(page).not.toContain('/digests/2026-11-19/');
    expect(page).not.toContain('<form');
    expect(page).toContain('A Clerk decides whether each one is sent again or dropped.');
  });

  it('Release: the digest is no longer held and is sent at the next check; the Clerk is named in the audit', async () => {
    await digestInDoubt('2026-11-19');
    const response = await bench.post(digestDecisionPath('2026-11-19', 'release'));
    expect(response).toMatchObject({ kind: 'redirect', to: '/' });
    expect(response.kind === 'redirect' ? response.flash : '').toContain('Released the digest for 2026-11-19');
    expect(await bench.store.listDigestsInDoubt()).toEqual([]);
    // Without the attempt the scheduler's next check sends that day's digest.
    expect(await bench.store.getDigestAttempt('2026-11-19')).toBeUndefined();
    expect(await bench.store.digestSent('2026-11-19')).toBe(false);
    const actions = await bench.store.listConsoleActions();
    expect(actions.map((a) => [a.actor, a.action, a.subject])).toEqual([['helen', 'digest-released', 'digest;2026-11-19']]);
    expect(await bench.get('/')).not.toContain('Digests held in doubt');
  });

  it('Drop: the digest is recorded as sent, so it never goes; a second decision is refused with the reason', async () => {
    await digestInDoubt('2026-11-18');
    await digestInDoubt('2026-11-19');
    const response = await bench.post(digestDecisionPath('2026-11-19', 'drop'));
    expect(response).toMatchObject({ kind: 'redirect', to: '/' });
    expect(response.kind === 'redirect' ? response.flash : '').toContain('Dropped the digest for 2026-11-19: it will not be sent');
    expect(await bench.store.digestSent('2026-11-19')).toBe(true);
    expect((await bench.store.listDigestsInDoubt()).map((d) => d.date)).toEqual(['2026-11-18']);
    expect((await bench.store.listConsoleActions()).map((a) => [a.actor, a.action])).toEqual([['helen', 'digest-dropped']]);

    // The same button pressed again (a second tab, say): nothing changes, and Today says why.
    const again = await bench.post(digestDecisionPath('2026-11-19', 'release'));
    expect(again).toMatchObject({ kind: 'error', status: 409, title: 'Error: Today' });
    const body = bodyOf(again);
    expect(body).toContain('govuk-error-summary');
    expect(body).toContain('The digest for 2026-11-19 is not held in doubt, so nothing was changed.');
    expect(body).toContain('Wednesday 18 November 2026');
    expect(await bench.store.digestSent('2026-11-19')).toBe(true);
    expect(await bench.store.listConsoleActions()).toHaveLength(1);
  });

  it('refuses a date that is not a real day, changing nothing', async () => {
    await digestInDoubt('2026-11-19');
    for (const date of ['2026-02-31', '19-11-2026', 'x1']) {
      expect(await bench.post(`/digests/${encodeURIComponent(date)}/drop`), date).toMatchObject({ kind: 'page', status: 404 });
    }
    expect(await bench.store.listDigestsInDoubt()).toHaveLength(1);
    expect(await bench.store.listConsoleActions()).toEqual([]);
  });

  it('sends a digest key typed as an effect to Today, where it is decided', async () => {
    const response = await bench.request('GET', `/effects/${encodeURIComponent('digest;2026-11-19')}`);
    expect(response).toMatchObject({ kind: 'page', status: 404 });
    expect(bodyOf(response)).toContain('a digest held in doubt is released or dropped on the Today page');
    expect(bodyOf(response)).toContain('href="/"');
  });
});
