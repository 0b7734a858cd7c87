/**
 * The Clerk's console in a real browser (headless Chromium), against the service as `wardwatch
 * run` builds it: a folder source, the file sender writing .eml files into the outbox folder,
 * `review: true`, the console on 127.0.0.1 at a random port. One service and one browser for the
 * file; the tests run in order and build on each other (what one approves, the history shows).
 *
 * The Clerk reviews, approves (with words of her own), withdraws, retries after mending her
 * template, dismisses a false alarm and authorises an officer at a party-group meeting; a viewer
 * can read but not change; a form without its CSRF token, or with a stale session, changes
 * nothing; every page passes an axe-core scan (WCAG 2.2 AA, nothing serious or critical); and the
 * main pages are photographed for docs/console.md (WARDWATCH_SCREENSHOTS=1 writes them there).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDigest } from '../../../src/digest/build.js';
import { digestDateOf } from '../../../src/digest/scheduler.js';
import { composeDigest, deliverDigest } from '../../../src/digest/send.js';
import { effectKey } from '../../../src/outbox/idempotency.js';
import { A } from '../../support/council.js';
import { axeScan, launchChromium, screenshot, type AxeViolation } from '../../support/chromium.js';
import { capacityMailFrom, dropEvent, dropMail, readOutbox, REPO_ROOT, waitFor, type OutboxMessage } from '../../service/helpers.js';
import {
  CLERK,
  csrfTokenOf,
  effectIn,
  effectPath,
  itemPath,
  open,
  rawMessage,
  signIn,
  startConsoleCouncil,
  submitForm,
  VIEWER,
  type ConsoleCouncil,
} from './harness.js';

const TEMPLATES = 'my-templates';
const builtInTemplate = readFileSync(path.join(REPO_ROOT, 'templates', 'state-capacity.hbs'), 'utf8');
const brokenTemplate = builtInTemplate.replace(/Dear \{\{recipient\.\w+\}\},/, 'Dear {{recipient.nmae}},');
if (!brokenTemplate.includes('recipient.nmae')) throw new Error('state-capacity.hbs no longer opens with a Dear {{recipient…}} greeting');

/** A member writes to a resident without saying in what capacity: one nudge to the member, held for review. */
function capacity(n: number, member: string): { messageId: string; key: string; subject: string } {
  const m = capacityMailFrom(n, member);
  dropMail(cc.council, m.member, 'sent', `capacity-${n}.eml`, m.content);
  return { messageId: m.messageId, key: effectKey({ rule: 'state-capacity', itemKey: m.messageId, recipient: m.member, kind: 'nudge' }), subject: `Hedge on Weir Road (${n})` };
}

const PARTY_GROUP_UID = 'labour-group-budget-2027@millbrook-tc.gov.uk';
const PARTY_GROUP_TITLE = 'Labour Group meeting: budget 2027/28';

/** Cllr Raj Mehta invites Sam Patel (an officer) to a Labour Group meeting in ten days, without the Clerk's authorisation. */
function partyGroupIcs(): string {
  const ics = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const start = new Date(Date.now() + 10 * 86_400_000);
  start.setUTCHours(18, 0, 0, 0);
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Millbrook Town Council//Browser tests//EN',
    'BEGIN:VEVENT',
    `UID:${PARTY_GROUP_UID}`,
    `DTSTAMP:${ics(new Date())}`,
    `DTSTART:${ics(start)}`,
    `DTEND:${ics(new Date(start.getTime() + 90 * 60_000))}`,
    `SUMMARY:${PARTY_GROUP_TITLE}`,
    'LOCATION:Committee Room 2, Town Hall',
    'ORGANIZER;CN="Cllr Raj Mehta":mailto:raj.mehta@millbrook-tc.gov.uk',
    'ATTENDEE;CN="Cllr Raj Mehta";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:raj.mehta@millbrook-tc.gov.uk',
    'ATTENDEE;CN="Sam Patel";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:sam.patel@millbrook-tc.gov.uk',
    'STATUS:CONFIRMED',
    'SEQUENCE:0',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

let cc: ConsoleCouncil;
let browser: Browser;
let clerkContext: BrowserContext;
let page: Page;
let base: string;

/** The nudges of the tests, one member each. */
let approved: ReturnType<typeof capacity>;
let withdrawn: ReturnType<typeof capacity>;
let retried: ReturnType<typeof capacity>;
let dismissed: ReturnType<typeof capacity>;
let untouched: ReturnType<typeof capacity>;
const partyGroupNotice = effectKey({ rule: 'party-group-attendance-authorised', itemKey: PARTY_GROUP_UID, recipient: A.sam, kind: 'notify' });

async function outboxFor(key: string): Promise<OutboxMessage[]> {
  return (await readOutbox(cc.council.outboxDir)).filter((m) => m.key === key);
}

/** Lets the outbox (every 200 ms here) run several rounds. */
function outboxRounds(): Promise<void> {
  return new Promise((r) => setTimeout(r, 1_000));
}

/** The digest the service would send next, built as it builds it (subject, text and what it counts). */
async function nextDigest(): Promise<{ text: string; built: Awaited<ReturnType<typeof buildDigest>> }> {
  const { config } = cc.setup.loaded;
  const now = cc.clock.now();
  const today = digestDateOf(now, config.council.timezone);
  const date = (await cc.store.digestSent(today)) ? digestDateOf(new Date(now.getTime() + 86_400_000), config.council.timezone) : today;
  const since = (await cc.store.lastDigest(date))?.sentAt;
  const built = await buildDigest({ store: cc.store, engine: cc.setup.engine, config }, { date, ...(since !== undefined ? { since } : {}), until: now.toISOString() });
  const message = composeDigest(built, { engine: cc.setup.engine, config, templatesDir: path.join(cc.council.dir, TEMPLATES) });
  return { text: message.text, built };
}

beforeAll(async () => {
  cc = await startConsoleCouncil({ templates: { dir: `./${TEMPLATES}` } }, (council) => {
    mkdirSync(path.join(council.dir, TEMPLATES), { recursive: true });
    writeFileSync(path.join(council.dir, TEMPLATES, 'state-capacity.hbs'), builtInTemplate);
  });
  base = cc.baseUrl;
  approved = capacity(1, A.sue);
  withdrawn = capacity(2, A.alice);
  retried = capacity(3, A.raj);
  dismissed = capacity(4, A.ben);
  untouched = capacity(5, A.tom);
  dropEvent(cc.council, 'council-events', 'labour-group.ics', partyGroupIcs());
  browser = await launchChromium();
  clerkContext = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-GB' });
  page = await clerkContext.newPage();
  for (const n of [approved, withdrawn, retried, dismissed, untouched]) await effectIn(cc.store, n.key, ['awaiting-review']);
  await effectIn(cc.store, partyGroupNotice, ['awaiting-review']);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await cc?.stop();
});

describe('the Clerk’s console in headless Chromium (file sender)', () => {
  test('no page without signing in; a wrong password is refused; the Clerk signs in', async () => {
    await page.goto(`${base}/review`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await page.fill('input[name="username"]', CLERK.username);
    await page.fill('input[name="password"]', 'not-the-password-at-all');
    await page.locator('main form button').first().click();
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await expect(page.locator('.govuk-error-summary').count()).resolves.toBe(1);

    await signIn(page, base, CLERK);
    expect(new URL(page.url()).pathname).not.toBe('/sign-in');
    const session = (await clerkContext.cookies(base)).find((c) => c.name === 'wardwatch_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Over plain HTTP on 127.0.0.1 (no console.publicUrl with https): not marked Secure, or the browser would drop it.
    expect(session?.secure).toBe(false);
  });

  test('reviews a nudge, approves it with words of her own: sent exactly once; approving again sends nothing', async () => {
    await open(page, base, '/review');
    await expect(page.locator(`a[href="${effectPath(approved.key)}"]`).count()).resolves.toBeGreaterThan(0);
    await page.locator(`a[href="${effectPath(approved.key)}"]`).first().click();
    await page.waitForURL((u) => u.pathname === effectPath(approved.key));
    // The message as it would go out.
    await expect(page.textContent('main')).resolves.toContain(approved.subject);

    // The same page in a second tab, opened before the approval (to replay its form afterwards).
    const second = await clerkContext.newPage();
    await open(second, base, effectPath(approved.key));

    const cover = 'I know the hedge on Weir Road has been a worry for weeks; thank you for answering so quickly. Helen';
    await page.fill('textarea[name="coverText"]', cover);
    await page.locator(`form[action="${effectPath(approved.key)}/cover-text"] button`).click();
    await page.waitForLoadState();
    expect((await cc.store.getEffect(approved.key))?.coverText).toBe(cover);
    // The preview shows the Clerk's words after the greeting.
    await expect(page.textContent('main')).resolves.toContain(cover);
    await page.locator(`form[action="${effectPath(approved.key)}/approve"] button`).click();
    await page.waitForLoadState();
    await expect(page.textContent('main')).resolves.toMatch(/Approved/);

    const [sent] = await waitFor('the approved nudge in the outbox folder', async () => {
      const found = await outboxFor(approved.key);
      return found.length > 0 ? found : undefined;
    });
    expect(sent?.to).toEqual([A.sue]);
    expect(sent?.text).toContain(cover);
    expect(sent?.text).toContain(approved.subject);
    expect(rawMessage(sent?.file ?? '')).toMatch(/^Auto-Submitted: auto-generated\r?$/m);
    expect((await cc.store.getEffect(approved.key))?.state).toBe('done');

    // The stale tab's Approve, and the same form replayed: nothing more is sent.
    await second.locator(`form[action="${effectPath(approved.key)}/approve"] button`).click();
    await second.waitForLoadState();
    await expect(second.textContent('main')).resolves.toMatch(/already|not sent again|no longer/i);
    const replay = await submitForm(second, `${effectPath(approved.key)}/approve`, { csrf: await csrfTokenOf(second) });
    expect(replay.status).toBeLessThan(500);
    await outboxRounds();
    expect(await outboxFor(approved.key)).toHaveLength(1);
    const audit = await cc.store.listAudit({ effectKey: approved.key });
    expect(audit.filter((a) => a.toState === 'done')).toHaveLength(1);
    expect(audit.find((a) => a.toState === 'pending')?.actor).toBe(CLERK.username);
    await second.close();
  });

  test('withdraws a nudge: it is never sent, and cannot be approved afterwards', async () => {
    await open(page, base, effectPath(withdrawn.key));
    await page.locator(`form[action="${effectPath(withdrawn.key)}/withdraw"] button`).click();
    await page.waitForLoadState();
    await expect(page.textContent('main')).resolves.toMatch(/[Ww]ithdrawn/);
    expect((await cc.store.getEffect(withdrawn.key))?.state).toBe('withdrawn');

    const replay = await submitForm(page, `${effectPath(withdrawn.key)}/approve`, { csrf: await csrfTokenOf(page) });
    expect(replay.status).toBeLessThan(500);
    await outboxRounds();
    expect(await outboxFor(withdrawn.key)).toEqual([]);
    expect((await cc.store.getEffect(withdrawn.key))?.state).toBe('withdrawn');
  });

  test('retries a nudge that failed on a broken template, once the template is mended: sent once', async () => {
    const templateFile = path.join(cc.council.dir, TEMPLATES, 'state-capacity.hbs');
    writeFileSync(templateFile, brokenTemplate);
    await open(page, base, effectPath(retried.key));
    await page.locator(`form[action="${effectPath(retried.key)}/approve"] button`).click();
    await page.waitForLoadState();
    const failed = await effectIn(cc.store, retried.key, ['failed']);
    expect(failed.localFault).toBe(true);
    expect(await outboxFor(retried.key)).toEqual([]);

    // The failed page lists it with the reason; the Clerk mends the template and retries.
    await open(page, base, '/failed');
    await expect(page.textContent('main')).resolves.toContain('state-capacity.hbs');
    writeFileSync(templateFile, builtInTemplate);
    await page.locator(`a[href="${effectPath(retried.key)}"]`).first().click();
    await page.waitForURL((u) => u.pathname === effectPath(retried.key));
    await page.locator(`form[action="${effectPath(retried.key)}/retry"] button`).click();
    await page.waitForLoadState();

    await effectIn(cc.store, retried.key, ['done']);
    const sent = await outboxFor(retried.key);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.text).toContain('Dear Councillor');
    const again = await submitForm(page, `${effectPath(retried.key)}/retry`, { csrf: await csrfTokenOf(page) });
    expect(again.status).toBeLessThan(500);
    await outboxRounds();
    expect(await outboxFor(retried.key)).toHaveLength(1);
  });

  test('dismisses a false alarm with a reason: its nudge is withdrawn and it leaves the next digest, counted as not a breach', async () => {
    const before = await nextDigest();
    expect(before.text).toContain(dismissed.subject);

    await open(page, base, itemPath(dismissed.messageId));
    const reason = 'Cllr Hughes wrote as a neighbour, in his own name; the resident knows him personally.';
    const form = page.locator(`form[action="${itemPath(dismissed.messageId)}/dismiss"]`).first();
    // The form sits in a "This is not a breach" details element, closed until asked for.
    await page.locator('details', { has: form }).locator('summary').click();
    await form.locator('textarea[name="reason"], input[name="reason"]').fill(reason);
    await form.locator('button').click();
    await page.waitForLoadState();

    const [settled] = await cc.store.listSettlements({ itemKey: dismissed.messageId });
    expect(settled).toMatchObject({ rule: 'state-capacity', kind: 'dismissed', reason, actor: CLERK.username });
    expect((await cc.store.getEffect(dismissed.key))?.state).toBe('withdrawn');
    await outboxRounds();
    expect(await outboxFor(dismissed.key)).toEqual([]);

    const after = await nextDigest();
    const capacityItems = (d: typeof after): string[] => d.built.rules.find((r) => r.rule === 'state-capacity')?.items.map((i) => i.itemKey) ?? [];
    expect(capacityItems(before)).toContain(dismissed.messageId);
    expect(capacityItems(after)).not.toContain(dismissed.messageId);
    expect(capacityItems(after)).toContain(untouched.messageId);
    // In the text: gone from the rule's list, and named (with the reason) under "not a breach" instead.
    const [findingsPart, notABreach] = after.text.split(/^MARKED NOT A BREACH/m);
    expect(findingsPart).not.toContain(dismissed.subject);
    expect(notABreach).toMatch(/Saying in what capacity you write: 1 dismissed/);
    expect(notABreach).toContain(dismissed.subject);
    expect(notABreach).toContain(reason);
    await open(page, base, '/not-a-breach');
    await expect(page.textContent('main')).resolves.toContain(reason);
  });

  test('authorises an officer’s attendance at a party-group meeting: recorded, and no longer awaiting', async () => {
    expect((await nextDigest()).built.sections.awaitingAuthorisation.map((a) => a.meeting)).toContain(PARTY_GROUP_TITLE);
    await open(page, base, '/authorisations');
    await expect(page.textContent('main')).resolves.toContain(PARTY_GROUP_TITLE);
    await page.locator(`form[action="${itemPath(PARTY_GROUP_UID)}/authorise"] button`).first().click();
    await page.waitForLoadState();

    const settlements = await cc.store.listSettlements({ itemKey: PARTY_GROUP_UID, kind: 'authorised' });
    expect(settlements).toHaveLength(1);
    expect(settlements[0]).toMatchObject({ rule: 'party-group-attendance-authorised', actor: CLERK.username });
    expect((await cc.store.getEffect(partyGroupNotice))?.state).toBe('withdrawn');
    expect((await nextDigest()).built.sections.awaitingAuthorisation).toEqual([]);
    await open(page, base, '/authorisations');
    await expect(page.locator(`form[action="${itemPath(PARTY_GROUP_UID)}/authorise"]`).count()).resolves.toBe(0);
  });

  test('a viewer can read every page but change nothing: no buttons, and the server refuses a forged form', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-GB' });
    try {
      const viewer = await context.newPage();
      await signIn(viewer, base, VIEWER);
      await open(viewer, base, effectPath(untouched.key));
      await expect(viewer.textContent('main')).resolves.toContain(untouched.subject);
      for (const action of ['approve', 'withdraw', 'cover-text']) {
        await expect(viewer.locator(`form[action="${effectPath(untouched.key)}/${action}"]`).count(), action).resolves.toBe(0);
      }
      await open(viewer, base, '/review');
      await expect(viewer.locator('form[action="/review/approve-all"]').count()).resolves.toBe(0);
      await open(viewer, base, itemPath(untouched.messageId));
      await expect(viewer.locator(`form[action="${itemPath(untouched.messageId)}/dismiss"]`).count()).resolves.toBe(0);

      // The viewer's own session and a valid CSRF token (the sign-out form carries one): still refused.
      const csrf = await csrfTokenOf(viewer);
      const approve = await submitForm(viewer, `${effectPath(untouched.key)}/approve`, { csrf });
      expect(approve.status).toBe(403);
      // Refused for the role, not for the form: the token and the origin were right.
      expect(approve.text).toContain('Your account can look but not change anything');
      const dismiss = await submitForm(viewer, `${itemPath(untouched.messageId)}/dismiss`, { csrf, rule: 'state-capacity', reason: 'I think it is fine.' });
      expect(dismiss.status).toBe(403);
      expect(dismiss.text).toContain('Your account can look but not change anything');
      expect((await cc.store.getEffect(untouched.key))?.state).toBe('awaiting-review');
      expect(await cc.store.listSettlements({ itemKey: untouched.messageId })).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('every page passes an axe-core scan (WCAG 2.2 AA): no serious or critical violations; the main pages photographed', async () => {
    // A digest in the archive, sent as the service sends it.
    const { config } = cc.setup.loaded;
    const now = cc.clock.now();
    const date = digestDateOf(now, config.council.timezone);
    if (!(await cc.store.digestSent(date))) {
      await deliverDigest({ store: cc.store, engine: cc.setup.engine, config, sender: cc.running.sender }, { date, until: now.toISOString() }, now);
    }
    const [digest] = await cc.store.listDigests({ limit: 1 });
    expect(digest).toBeDefined();

    const pages: { path: string; status?: number; shot?: string }[] = [
      { path: '/', shot: 'today' },
      { path: '/review', shot: 'review' },
      { path: effectPath(untouched.key), shot: 'effect' },
      { path: itemPath(approved.messageId), shot: 'item' },
      { path: '/history', shot: 'history' },
      { path: '/failed' },
      { path: '/not-a-breach', shot: 'not-a-breach' },
      { path: '/rules' },
      { path: '/authorisations' },
      { path: '/elections' },
      { path: '/sources' },
      { path: '/digests' },
      { path: `/digests/${digest?.date ?? ''}` },
      { path: '/audit' },
      { path: '/no-such-page', status: 404 },
    ];
    const violations: AxeViolation[] = [];
    for (const p of pages) {
      await open(page, base, p.path, p.status ?? 200);
      violations.push(...(await axeScan(page)));
      if (p.shot !== undefined) await screenshot(page, p.shot);
    }
    // The sign-in page, as someone not signed in sees it.
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: 'en-GB' });
    try {
      const stranger = await context.newPage();
      await open(stranger, base, '/sign-in');
      violations.push(...(await axeScan(stranger)));
      await screenshot(stranger, 'sign-in');
    } finally {
      await context.close();
    }
    expect(violations).toEqual([]);
  });

  test('a form without its CSRF token, or with a wrong one, is refused and changes nothing', async () => {
    await open(page, base, effectPath(untouched.key));
    const missing = await submitForm(page, `${effectPath(untouched.key)}/approve`, {});
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('The form had expired or did not come from this console');
    await open(page, base, effectPath(untouched.key));
    const wrong = await submitForm(page, `${effectPath(untouched.key)}/withdraw`, { csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    await open(page, base, itemPath(untouched.messageId));
    const dismiss = await submitForm(page, `${itemPath(untouched.messageId)}/dismiss`, { rule: 'state-capacity', reason: 'Forged.' });
    expect(dismiss.status).toBe(403);
    expect((await cc.store.getEffect(untouched.key))?.state).toBe('awaiting-review');
    expect(await cc.store.listSettlements({ itemKey: untouched.messageId })).toEqual([]);
  });

  test('a session left idle past console.idleMinutes ends: the next page is the sign-in page', async () => {
    await open(page, base, '/review');
    cc.clock.offsetMs += 6 * 60_000;
    await page.goto(`${base}/review`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    // Signing in again leads on as before.
    await signIn(page, base, CLERK);
    await open(page, base, '/review');
  });
});
