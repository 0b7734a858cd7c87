/**
 * The console's item, "not a breach" and authorisation pages: the rules' verdicts as explain gives
 * them, private matters shown by headline only, and the Clerk's settlements (dismiss, authorise,
 * standing exceptions added and revoked) made through the real ClerkActions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectPath, itemPath } from '../../src/console/pages/common.js';
import { A, event } from '../support/council.js';
import { rawMail } from '../actions/harness.js';
import { benchPool, BODY_MARKER, bodyOf, type PagesBench } from './pages-harness.js';

const BINS = '<bins@millbrook-tc.gov.uk>';
const PARTY = 'labour-group@millbrook-tc.gov.uk';

const partyGroup = () =>
  event({
    uid: PARTY,
    calendarId: 'raj-mehta',
    organizer: A.raj,
    summary: 'Labour Group meeting – budget 2027/28',
    location: 'Committee Room 2, Town Hall',
    description: `Pre-budget discussion. ${BODY_MARKER}.`,
    start: '2026-12-08T18:00:00.000Z',
    attendees: [A.raj, A.sam],
  });

let bench: PagesBench;
const pool = benchPool();
afterEach(pool.dispose);

function flash(response: Awaited<ReturnType<PagesBench['post']>>): string {
  return response.kind === 'redirect' ? (response.flash ?? '') : '';
}

describe('An item', () => {
  beforeEach(async () => {
    bench = pool.make();
    expect(await bench.blindCopy('Castle Street <b>bins</b>')).toEqual(['no-blind-copies']);
  });

  it('shows the finding with its clauses and evidence, what Wardwatch did, and every rule’s verdict judged from the kept copy', async () => {
    const page = await bench.get(itemPath(BINS));
    expect(page).toContain('“Castle Street &lt;b&gt;bins&lt;/b&gt;”');
    expect(page).not.toContain('<b>bins');
    expect(page).toContain('Cllr Alice Green blind-copied Cllr Raj Mehta into correspondence with Sam Patel.');
    expect(page).toContain('is in the Bcc of the sent copy');
    expect(page).toContain('paragraph 12.1 of Knutsford Town Council’s Member/Officer Protocol');
    const nudge = await bench.effect('nudge', A.alice);
    expect(page).toContain(`href="${effectPath(nudge.key)}">Nudge to Cllr Alice Green</a>`);
    expect(page).toContain('Every rule’s verdict');
    expect(page).toContain('<strong class="govuk-tag govuk-tag--red">Found something</strong>');
    expect(page).toContain('<strong class="govuk-tag govuk-tag--green">Passed</strong>');
    expect(page).toContain(`action="${itemPath(BINS, 'dismiss')}"`);
  });

  it('shows the stored findings when no copy is kept', async () => {
    const key = '<uncopied@millbrook-tc.gov.uk>';
    const raw = rawMail({ messageId: key, from: A.alice, to: [A.sam], bcc: [A.raj], subject: 'Hedges', body: 'Hi Sam,\n\nThe hedges on Mill Lane need cutting.\n\nAlice' });
    const { findings } = await bench.recordMail(raw, { mailbox: A.alice, folder: 'sent' }, { keepOriginal: false });
    expect(findings.map((f) => f.rule)).toEqual(['no-blind-copies']);
    expect(await bench.store.getOriginal(key)).toBeUndefined();
    const page = await bench.get(itemPath(key));
    expect(page).toContain('Cllr Alice Green blind-copied Cllr Raj Mehta');
    expect(page).toContain('no longer keeps a copy');
    expect(page).not.toContain('Every rule’s verdict');
  });

  it('answers 404 for an item it knows nothing of', async () => {
    expect(await bench.request('GET', itemPath('<nothing@example.org>'))).toMatchObject({ kind: 'page', status: 404 });
  });

  it('records "not a breach" with the reason, withdraws what was not sent, and says so', async () => {
    const response = await bench.post(itemPath(BINS, 'dismiss'), { rule: 'no-blind-copies', reason: 'Cllr Mehta chairs the bins working group; Alice told Sam.' });
    expect(response).toMatchObject({ kind: 'redirect', to: itemPath(BINS) });
    expect(flash(response)).not.toBe('');
    expect((await bench.effect('nudge', A.alice)).state).toBe('withdrawn');
    const [settled] = await bench.store.listSettlements({ itemKey: BINS });
    expect(settled).toMatchObject({ kind: 'dismissed', actor: 'helen', rule: 'no-blind-copies' });
    const page = await bench.get(itemPath(BINS));
    expect(page).toContain('Not a breach, recorded by helen');
    expect(page).not.toContain(`action="${itemPath(BINS, 'dismiss')}"`);

    const list = await bench.get('/not-a-breach');
    expect(list).toContain('How often each rule was wrong');
    expect(list).toContain('Cllr Mehta chairs the bins working group; Alice told Sam.');
    expect(list).toContain(`href="${itemPath(BINS)}"`);
    const audit = await bench.get('/audit');
    expect(audit).toContain('helen');
    expect(audit).toContain('Dismiss');
  });

  it('refuses "not a breach" without a reason, showing the form again with the error', async () => {
    const response = await bench.post(itemPath(BINS, 'dismiss'), { rule: 'no-blind-copies', reason: '   ' });
    expect(response.kind).toBe('error');
    expect(response.kind === 'error' ? response.status : 0).toBe(400);
    const body = bodyOf(response);
    expect(body).toContain('govuk-error-summary');
    expect(body).toContain('href="#reason-no-blind-copies-0"');
    expect(body).toContain('Enter why it is not a breach');
    expect(body).toContain('govuk-form-group--error');
    expect(await bench.store.listSettlements({ itemKey: BINS })).toEqual([]);
  });

  it('shows a viewer no forms', async () => {
    const page = await bench.get(itemPath(BINS), 'viewer');
    expect(page).toContain('Cllr Alice Green blind-copied');
    expect(page).not.toContain('<form');
  });
});

describe('A private matter', () => {
  it('is shown by its headline only: no subject, body, summary, evidence or verdicts', async () => {
    bench = pool.make();
    await bench.conduct();
    const key = '<invoices@millbrook-tc.gov.uk>';
    for (const role of ['clerk', 'viewer'] as const) {
      const page = await bench.get(itemPath(key), role);
      expect(page).toContain('a private matter — details withheld');
      expect(page).toContain('Raising a concern about an officer');
      expect(page).not.toContain('Allotment invoices');
      expect(page).not.toContain(BODY_MARKER);
      expect(page).not.toContain('not up to the job');
      expect(page).not.toContain('Every rule’s verdict');
      expect(page).not.toContain('Tom Brown');
    }
    for (const path of ['/history', '/not-a-breach', '/']) expect(await bench.get(path)).not.toContain('Allotment invoices');
  });
});

describe('Authorisations', () => {
  beforeEach(async () => {
    bench = pool.make();
    expect(await bench.event(partyGroup())).toEqual(['party-group-attendance-authorised']);
  });

  it('lists the officer awaiting authorisation with the meeting, date and organiser, and authorises in one click', async () => {
    let page = await bench.get('/authorisations');
    expect(page).toContain('Awaiting your authorisation');
    expect(page).toContain('Sam Patel');
    expect(page).toContain('Labour Group meeting – budget 2027/28');
    expect(page).toContain('Tuesday 8 December 2026 at 18:00');
    expect(page).toContain('Cllr Raj Mehta');
    expect(page).toContain(`action="${itemPath(PARTY, 'authorise')}"`);
    expect(page).not.toContain(BODY_MARKER);
    expect(await bench.get('/authorisations', 'viewer')).not.toContain('<form');

    const item = await bench.get(itemPath(PARTY));
    expect(item).toContain('Authorise attendance');

    const response = await bench.post(itemPath(PARTY, 'authorise'), { rule: 'party-group-attendance-authorised', messageId: 'authorisationNeeded', next: '/authorisations' });
    expect(response).toMatchObject({ kind: 'redirect', to: '/authorisations' });
    expect(flash(response)).not.toBe('');
    expect(await bench.store.listSettlements({ itemKey: PARTY, kind: 'authorised' })).toHaveLength(1);
    page = await bench.get('/authorisations');
    expect(page).toContain('No officer is awaiting your authorisation.');
    expect(page).toContain('<caption class="govuk-table__caption govuk-table__caption--m">Authorised</caption>');
    expect(page).toContain('helen');
    expect(await bench.get(itemPath(PARTY))).toContain('Authorised by helen');
  });

  it('does not send the officer’s notice awaiting review once authorised', async () => {
    const notice = await bench.effect('notify', A.sam);
    expect(notice.state).toBe('awaiting-review');
    await bench.post(itemPath(PARTY, 'authorise'), { rule: 'party-group-attendance-authorised', messageId: 'authorisationNeeded' });
    expect((await bench.store.getEffect(notice.key))?.state).toBe('withdrawn');
  });

  it('has an empty state', async () => {
    const empty = pool.make();
    expect(await empty.get('/authorisations')).toContain('No officer is awaiting your authorisation.');
  });
});

describe('Standing exceptions', () => {
  beforeEach(() => {
    bench = pool.make();
  });

  it('has empty states', async () => {
    const page = await bench.get('/not-a-breach');
    expect(page).toContain('No finding has been recorded as not a breach.');
    expect(page).toContain('There are no standing exceptions.');
    expect(page).toContain('<form method="post" action="/exceptions"');
    expect(await bench.get('/not-a-breach', 'viewer')).not.toContain('<form');
  });

  it('adds one, lists it in force with a Revoke button, and revokes it', async () => {
    const response = await bench.post('/exceptions', {
      match: 'recipient-domain',
      value: '@Partner-Charity.org.uk',
      rule: 'no-blind-copies',
      reason: 'Our partner charity is copied by agreement.',
      expires: '31/3/2027',
    });
    expect(response).toMatchObject({ kind: 'redirect', to: '/not-a-breach' });
    expect(flash(response)).toMatch(/standing exception/i);
    const [exception] = await bench.store.listExceptions();
    expect(exception).toMatchObject({ match: 'recipient-domain', value: 'partner-charity.org.uk', rule: 'no-blind-copies', actor: 'helen' });
    // The end of 31 March 2027 in Millbrook (BST from 28 March).
    expect(exception?.expiresAt).toBe('2027-03-31T23:00:00.000Z');
    let page = await bench.get('/not-a-breach');
    expect(page).toContain('To anyone at partner-charity.org.uk');
    expect(page).toContain('The end of Wednesday 31 March 2027');
    expect(page).toContain('In force');
    expect(page).toContain(`action="/exceptions/${exception?.id}/revoke"`);

    const revoked = await bench.post(`/exceptions/${exception?.id}/revoke`);
    expect(revoked).toMatchObject({ kind: 'redirect', to: '/not-a-breach' });
    expect(flash(revoked)).not.toBe('');
    page = await bench.get('/not-a-breach');
    expect(page).toContain('Revoked');
    expect(page).not.toContain(`action="/exceptions/${exception?.id}/revoke"`);

    const again = await bench.post(`/exceptions/${exception?.id}/revoke`);
    expect(again.kind).toBe('error');
  });

  it('refuses a form filled in wrongly, field by field', async () => {
    const response = await bench.post('/exceptions', { match: 'sender', value: 'not an address', rule: 'no-such-rule', reason: '', expires: '31/2/2027' });
    expect(response.kind).toBe('error');
    expect(response.kind === 'error' ? response.status : 0).toBe(400);
    const body = bodyOf(response);
    for (const field of ['value', 'rule', 'reason', 'expires']) expect(body).toContain(`href="#${field}"`);
    expect(body).toContain('value="not an address"');
    expect(await bench.store.listExceptions()).toEqual([]);

    const noMatch = bodyOf(await bench.post('/exceptions', { value: 'x', reason: 'y', expires: '2027-01-01' }));
    expect(noMatch).toContain('href="#match"');
    expect(noMatch).toContain('Choose what the exception covers');
  });
});
