/**
 * The console's Today, Review and effect pages, from a store the real engine and outbox filled with
 * review on: what they list, their empty states, hostile subject lines escaped, private matters
 * never named, and the Clerk's changes (approve, approve all, cover text, withdraw, retry, release,
 * drop) made through the real ClerkActions and answered with their message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consolePages } from '../../src/console/pages/index.js';
import { effectPath, textParagraphs } from '../../src/console/pages/common.js';
import { LocalEffectError, PermanentEffectError } from '../../src/outbox/outbox.js';
import { A } from '../support/council.js';
import type { ConsoleResponse } from '../../src/console/types.js';
import { MAX_FORM_BYTES } from '../../src/console/server.js';
import { benchPool, BODY_MARKER, bodyOf, match, NOW, USERS, type PagesBench } from './pages-harness.js';

const HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';

let bench: PagesBench;
const pool = benchPool();
afterEach(pool.dispose);

/** The fields of the page's Approve all form for a rule, as a browser would send them (CSRF aside). */
function approveAllForm(page: string, rule: string): URLSearchParams {
  const forms = page.match(/<form method="post" action="\/review\/approve-all"[^>]*>.*?<\/form>/gs) ?? [];
  const form = forms.find((f) => f.includes(`name="rule" value="${rule}"`));
  if (form === undefined) throw new Error(`no Approve all form for ${rule}`);
  const fields = new URLSearchParams();
  for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    if (name !== undefined && name !== 'csrf') fields.append(name, (value ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
  }
  return fields;
}

/** POST a form with repeated fields (the bench's post takes one value a field), as the server routes it. */
async function postForm(path: string, form: URLSearchParams): Promise<ConsoleResponse> {
  const found = match(consolePages, 'POST', path);
  if (found === undefined) throw new Error(`no route for POST ${path}`);
  return await found.route.handle({ method: 'POST', path, params: found.params, query: new URLSearchParams(), form, user: USERS.clerk, csrfToken: 'test-csrf-token' }, bench.ctx);
}

describe('the routes', () => {
  it('every route that changes anything needs a clerk, every page a viewer, and no two routes clash', () => {
    for (const r of consolePages) expect(r.role, `${r.method} ${r.path}`).toBe(r.method === 'POST' ? 'clerk' : 'viewer');
    const seen = new Set(consolePages.map((r) => `${r.method} ${r.path}`));
    expect(seen.size).toBe(consolePages.length);
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'GET /',
        'GET /review',
        'POST /review/approve-all',
        'GET /effects/:key',
        'POST /effects/:key/approve',
        'POST /effects/:key/withdraw',
        'POST /effects/:key/cover-text',
        'POST /effects/:key/retry',
        'POST /effects/:key/release',
        'POST /effects/:key/drop',
        'GET /items/:key',
        'POST /items/:key/dismiss',
        'POST /items/:key/authorise',
        'GET /history',
        'GET /history.csv',
        'GET /failed',
        'GET /not-a-breach',
        'POST /exceptions',
        'POST /exceptions/:id/revoke',
        'GET /authorisations',
        'GET /elections',
        'GET /sources',
        'GET /digests',
        'GET /digests/:date',
        'GET /audit',
      ]),
    );
  });
});

describe('A message as text', () => {
  it('becomes escaped paragraphs with its line breaks kept', () => {
    expect(textParagraphs('Dear <Sam>,\r\n\r\nLine one\nline & two\n\n\n').value).toBe(
      '<p class="govuk-body">Dear &lt;Sam&gt;,</p><p class="govuk-body">Line one<br>line &amp; two</p>',
    );
  });
});

describe('Today', () => {
  beforeEach(() => {
    bench = pool.make();
  });

  it('says so when nothing needs the Clerk', async () => {
    const page = await bench.get('/');
    expect(page).toContain('Nothing needs you today.');
    expect(page).toContain('govuk-heading-l');
  });

  it('lists what needs the Clerk: reviews, failures, notices, possible spoofing, unreadable files and failing sources', async () => {
    expect(await bench.blindCopy()).toEqual(['no-blind-copies']);
    const now = bench.now().toISOString();
    await bench.store.recordNeedsHuman('<ward@millbrook-tc.gov.uk>', 'invite-ward-members', 'The meeting’s ward could not be told from its location.', now);
    await bench.store.recordNeedsHuman(
      '<fake@millbrook-tc.gov.uk>',
      undefined,
      'Message claims to be from Cllr Tom Brown but dmarc=fail for the From domain: possible spoofing. Nothing is done in that person\'s name.',
      now,
    );
    await bench.store.recordProblem({ origin: 'mail/clerk/inbox/broken.eml', kind: 'mail', reason: 'it has no headers' }, now);
    await bench.store.recordProblem({ origin: 'mail/clerk/inbox/odd.eml', kind: 'mail', reason: 'an odd date', severity: 'warning' }, now);
    await bench.store.recordSourceError('folder', now, 'the folder could not be read');

    const page = await bench.get('/');
    expect(page).not.toContain('Nothing needs you today.');
    expect(page).toContain('href="/review">1 message is awaiting your review');
    expect(page).toContain('Possible spoofing');
    expect(page).toContain('Cllr Tom Brown but dmarc=fail');
    expect(page).toContain('Needs a person’s judgement');
    expect(page).toContain('The meeting’s ward could not be told from its location.');
    // The spoofing notice is listed once, in its own table.
    expect(page.split('possible spoofing').length - 1).toBe(1);
    expect(page).toContain('mail/clerk/inbox/broken.eml');
    expect(page).not.toContain('odd.eml');
    expect(page).toContain('the folder could not be read');
  });
});

describe('Review', () => {
  beforeEach(() => {
    bench = pool.make();
  });

  it('says so when nothing awaits review', async () => {
    expect(await bench.get('/review')).toContain('Nothing is awaiting your review.');
  });

  it('lists what awaits review by rule, with the recipient, the item and an Approve all button; a hostile subject is escaped', async () => {
    await bench.blindCopy(HOSTILE);
    await bench.blindCopy('Second bins message', '<bins-2@millbrook-tc.gov.uk>');
    const page = await bench.get('/review');
    expect(page).toContain('<caption class="govuk-table__caption govuk-table__caption--m">Blind copies in member–officer correspondence</caption>');
    expect(page).toContain('<th scope="col" class="govuk-table__header">To</th>');
    expect(page).toContain('Cllr Alice Green');
    expect(page).toContain('“Second bins message”');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).toContain('Approve all 2');
    expect(page).toContain('<form method="post" action="/review/approve-all"');
    expect(page).toContain('<input type="hidden" name="rule" value="no-blind-copies">');
    expect(page).toContain('name="csrf" value="test-csrf-token"');
    const effects = await bench.store.listEffects({ states: ['awaiting-review'] });
    for (const e of effects) expect(page).toContain(`href="${effectPath(e.key)}"`);
  });

  it('never names a private matter: no subject, no body', async () => {
    expect(await bench.conduct()).toEqual(['officer-conduct-raised-properly']);
    const page = await bench.get('/review');
    expect(page).toContain('a private matter — details withheld');
    expect(page).not.toContain('Allotment invoices');
    expect(page).not.toContain(BODY_MARKER);
    expect(page).not.toContain('not up to the job');
  });

  it('shows a viewer no buttons and no forms', async () => {
    await bench.blindCopy();
    const page = await bench.get('/review', 'viewer');
    expect(page).toContain('Cllr Alice Green');
    expect(page).not.toContain('<form');
    expect(page).not.toContain('Approve all');
  });

  it('approves every message of a rule listed on the page and comes back with the message', async () => {
    await bench.blindCopy();
    await bench.blindCopy('Second bins message', '<bins-2@millbrook-tc.gov.uk>');
    await bench.conduct();
    const form = approveAllForm(await bench.get('/review'), 'no-blind-copies');
    const listed = await bench.store.listEffects({ rule: 'no-blind-copies', states: ['awaiting-review'] });
    // The rule and the highest id listed: not every key, which a storm would make too big to post.
    expect([...form.keys()].sort()).toEqual(['rule', 'upTo']);
    expect(form.get('upTo')).toBe(String(Math.max(...listed.map((e) => e.id))));
    const response = await postForm('/review/approve-all', form);
    expect(response).toMatchObject({ kind: 'redirect', to: '/review' });
    expect(response.kind === 'redirect' ? response.flash : '').toMatch(/^Approved 2 messages under “.+”: they go out now\.$/);
    const held = await bench.store.listEffects({ states: ['awaiting-review'] });
    expect(held.map((e) => e.rule)).toEqual(['officer-conduct-raised-properly']);
    expect((await bench.store.listEffects({ rule: 'no-blind-copies', states: ['pending'], kinds: ['nudge'] })).length).toBe(2);
  });

  it('approves only what the page showed: a message held since stays waiting, and the message says so', async () => {
    await bench.blindCopy();
    await bench.blindCopy('Second bins message', '<bins-2@millbrook-tc.gov.uk>');
    const form = approveAllForm(await bench.get('/review'), 'no-blind-copies');
    const shown = await bench.store.listEffects({ rule: 'no-blind-copies', states: ['awaiting-review'] });
    expect(shown).toHaveLength(2);
    // Held after the Clerk opened the page: never seen, so never approved by this form.
    await bench.blindCopy('Third bins message', '<bins-3@millbrook-tc.gov.uk>');
    const late = (await bench.store.listEffects({ itemKey: '<bins-3@millbrook-tc.gov.uk>', states: ['awaiting-review'] }))[0];
    expect(late).toBeDefined();
    const response = await postForm('/review/approve-all', form);
    expect(response.kind === 'redirect' ? response.flash : '').toMatch(
      /^Approved 2 messages under “.+”: they go out now\. 1 more arrived since you opened the page and still waits for your review\.$/,
    );
    expect((await bench.store.getEffect(late?.key ?? ''))?.state).toBe('awaiting-review');
    expect((await bench.store.listEffects({ rule: 'no-blind-copies', states: ['pending'], kinds: ['nudge'] })).map((e) => e.key).sort()).toEqual(shown.map((e) => e.key).sort());
    for (const e of shown) {
      const outcome = (await bench.store.listAudit({ effectKey: e.key })).at(-1)?.outcome ?? '';
      expect(outcome).toMatch(/^Approved by helen, with the other messages under “.+” the review page showed them: /);
      expect(outcome).not.toContain('with everything else awaiting review');
    }
  });

  it('approves a storm of messages with one small form, well within what the server accepts', async () => {
    const storm = 330;
    for (let n = 1; n <= storm; n++) await bench.blindCopy(`Bins, message ${n}`, `<storm-${n}@millbrook-tc.gov.uk>`);
    const page = await bench.get('/review');
    expect(page).toContain(`Approve all ${storm}`);
    const form = approveAllForm(page, 'no-blind-copies');
    // What a browser posts: these fields and the CSRF token.
    const posted = new URLSearchParams(form);
    posted.append('csrf', 'test-csrf-token');
    expect(Buffer.byteLength(posted.toString())).toBeLessThan(1024);
    expect(Buffer.byteLength(posted.toString())).toBeLessThan(MAX_FORM_BYTES);
    const response = await postForm('/review/approve-all', form);
    expect(response.kind === 'redirect' ? response.flash : '').toMatch(new RegExp(`^Approved ${storm} messages under “.+”: `));
    expect(await bench.store.listEffects({ rule: 'no-blind-copies', states: ['awaiting-review'] })).toEqual([]);
  });

  it('refuses Approve all without a rule, or without the highest id it listed, with an error summary', async () => {
    await bench.blindCopy();
    const forms = [
      new URLSearchParams(),
      new URLSearchParams({ rule: 'no-blind-copies' }),
      new URLSearchParams({ rule: 'no-blind-copies', upTo: '0' }),
      new URLSearchParams({ rule: 'no-blind-copies', upTo: '1e3' }),
      new URLSearchParams({ rule: 'no-blind-copies', upTo: '9'.repeat(20) }),
      new URLSearchParams({ upTo: '5' }),
    ];
    for (const form of forms) {
      const response = await postForm('/review/approve-all', form);
      expect(response.kind).toBe('error');
      expect(response.kind === 'error' ? response.status : 0).toBe(400);
      expect(bodyOf(response)).toContain('govuk-error-summary');
    }
    expect((await bench.store.listEffects({ states: ['awaiting-review'] })).length).toBe(1);
  });
});

describe('One effect', () => {
  let key: string;
  beforeEach(async () => {
    bench = pool.make();
    await bench.blindCopy(HOSTILE);
    key = (await bench.effect('nudge', A.alice)).key;
  });

  it('shows what it is, the message as it would be sent, the forms its state allows, and its audit trail', async () => {
    const page = await bench.get(effectPath(key));
    expect(page).toContain('<h1 class="govuk-heading-l">Nudge to Cllr Alice Green</h1>');
    expect(page).toContain('govuk-summary-list');
    expect(page).toContain('<strong class="govuk-tag govuk-tag--yellow">Awaiting review</strong>');
    expect(page).toContain('Dear Councillor Green,');
    expect(page).toContain('You blind-copied Cllr Raj Mehta');
    expect(page).not.toContain('<script>');
    expect(page).toContain(`action="${effectPath(key, 'approve')}"`);
    expect(page).toContain(`action="${effectPath(key, 'withdraw')}"`);
    expect(page).toContain('govuk-button govuk-button--warning');
    expect(page).toContain(`action="${effectPath(key, 'cover-text')}"`);
    expect(page).toContain('name="coverText"');
    expect(page).toContain('What happened to it');
  });

  it('answers 404 for an effect it does not hold', async () => {
    const response = await bench.request('GET', effectPath('ww1;nothing;here;x;nudge'));
    expect(response).toMatchObject({ kind: 'page', status: 404 });
  });

  it('keeps the Clerk’s words, shows them in the message, approves it and comes back to the review with the message', async () => {
    const saved = await bench.post(effectPath(key, 'cover-text'), { coverText: 'Alice, thank you for raising the bins so promptly.\r\nA small point below.' });
    expect(saved).toMatchObject({ kind: 'redirect', to: effectPath(key) });
    expect((await bench.store.getEffect(key))?.coverText).toBe('Alice, thank you for raising the bins so promptly.\nA small point below.');
    const page = await bench.get(effectPath(key));
    expect(page).toContain('Dear Councillor Green,</p><p class="govuk-body">Alice, thank you for raising the bins so promptly.<br>A small point below.</p>');

    const approved = await bench.post(effectPath(key, 'approve'));
    expect(approved).toMatchObject({ kind: 'redirect', to: '/review' });
    expect(approved.kind === 'redirect' ? approved.flash : '').toMatch(/Approved/);
    expect((await bench.store.getEffect(key))?.state).toBe('pending');
    const audit = await bench.store.listAudit({ effectKey: key });
    expect(audit.some((a) => a.actor === 'helen' && a.toState === 'pending')).toBe(true);
    expect(await bench.get(effectPath(key))).toContain('>helen<');

    // Approved already: the page again, with the reason, and nothing changed.
    const again = await bench.post(effectPath(key, 'approve'));
    expect(again.kind).toBe('error');
    expect(again.kind === 'error' ? again.status : 0).toBe(409);
    expect(bodyOf(again)).toContain('govuk-error-summary');
  });

  it('refuses cover text that is too long, with the field marked', async () => {
    const response = await bench.post(effectPath(key, 'cover-text'), { coverText: 'x'.repeat(2001) });
    expect(response.kind).toBe('error');
    const body = bodyOf(response);
    expect(body).toContain('href="#coverText"');
    expect(body).toContain('govuk-form-group--error');
    expect((await bench.store.getEffect(key))?.coverText).toBeUndefined();
  });

  it('withdraws it with the reason, so it is never sent', async () => {
    const response = await bench.post(effectPath(key, 'withdraw'), { reason: 'Alice and I spoke about it this morning.' });
    expect(response).toMatchObject({ kind: 'redirect', to: '/review' });
    expect(response.kind === 'redirect' ? response.flash : '').toMatch(/[Ww]ithdrawn/);
    const effect = await bench.store.getEffect(key);
    expect(effect?.state).toBe('withdrawn');
    await bench.run();
    expect(bench.sender.sent).toEqual([]);
    const page = await bench.get(effectPath(key));
    expect(page).toContain('Withdrawn');
    expect(page).not.toContain(`action="${effectPath(key, 'approve')}"`);
  });

  it('shows a viewer the message but no forms', async () => {
    const page = await bench.get(effectPath(key), 'viewer');
    expect(page).toContain('Dear Councillor Green,');
    expect(page).not.toContain('<form');
  });
});

describe('A private effect', () => {
  it('shows the Clerk its message (it goes to the person concerned), and a viewer only that it is private', async () => {
    bench = pool.make();
    await bench.conduct();
    const key = (await bench.effect('nudge', A.sam)).key;
    const clerk = await bench.get(effectPath(key));
    expect(clerk).toContain('a private matter — details withheld');
    expect(clerk).toContain('Dear Sam,');
    const viewer = await bench.get(effectPath(key), 'viewer');
    expect(viewer).toContain('only a Clerk may read it');
    expect(viewer).not.toContain('Allotment invoices');
    expect(viewer).not.toContain('Dear Sam,');
  });
});

describe('Effects that failed or are held in doubt', () => {
  beforeEach(async () => {
    bench = pool.make({ config: { review: false } });
    await bench.blindCopy();
  });

  it('retries one that failed on this side, and lists one the mail system refused with guidance', async () => {
    bench.sender.failures.push(new LocalEffectError('the template could not be read'));
    await bench.run();
    const failed = await bench.effect('nudge', A.alice);
    expect(failed).toMatchObject({ state: 'failed', localFault: true });
    let page = await bench.get('/failed');
    expect(page).toContain('the template could not be read');
    expect(page).toContain(`action="${effectPath(failed.key, 'retry')}"`);
    expect(await bench.get('/failed', 'viewer')).not.toContain('<form');

    const response = await bench.post(effectPath(failed.key, 'retry'), { next: '/failed' });
    expect(response).toMatchObject({ kind: 'redirect', to: '/failed' });
    expect((await bench.store.getEffect(failed.key))?.state).toBe('pending');
    page = await bench.get('/failed');
    expect(page).toContain('Nothing has failed.');

    await bench.blindCopy('Another', '<another@millbrook-tc.gov.uk>');
    bench.sender.failures.push(new PermanentEffectError('550 mailbox unavailable'));
    await bench.run();
    page = await bench.get('/failed');
    expect(page).toContain('550 mailbox unavailable');
    expect(page).toContain('follow it up by hand');
  });

  it('releases or drops one held in doubt', async () => {
    const effect = await bench.effect('nudge', A.alice);
    const [claimed] = await bench.store.claimDue(bench.now().toISOString(), 10);
    expect(claimed?.key).toBe(effect.key);
    await bench.store.markInDoubt(effect.id, bench.now().toISOString(), 'Caught mid-send.');
    const today = await bench.get('/');
    expect(today).toContain('Held in doubt');
    const page = await bench.get(effectPath(effect.key));
    expect(page).toContain(`action="${effectPath(effect.key, 'release')}"`);
    expect(page).toContain(`action="${effectPath(effect.key, 'drop')}"`);
    const dropped = await bench.post(effectPath(effect.key, 'drop'));
    expect(dropped).toMatchObject({ kind: 'redirect', to: effectPath(effect.key) });
    expect((await bench.store.getEffect(effect.key))?.state).toBe('dropped');
    const release = await bench.post(effectPath(effect.key, 'release'));
    expect(release.kind).toBe('error');
  });
});

it('the clock of the bench is the page’s clock', () => {
  bench = pool.make();
  expect(bench.ctx.now().toISOString()).toBe(NOW);
});
