/**
 * Approval in the console with the standards connector on real servers: a nudge held for review
 * is approved in headless Chromium and arrives exactly once in the member's INBOX on Dovecot,
 * sent through Postfix; approving it again (a stale tab) sends nothing more.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { setupEngine } from '../../../src/cli/engine-setup.js';
import { effectKey } from '../../../src/outbox/idempotency.js';
import { assembleService, type AssembledService } from '../../../src/service/assemble.js';
import { silentLogger } from '../../../src/service/logger.js';
import { A } from '../../support/council.js';
import { launchChromium } from '../../support/chromium.js';
import { capacityMailFrom } from '../../service/helpers.js';
import { appendTo, keyedMessages, startImapCouncil, waitFor, waitForKeyed, type ImapCouncil } from '../../integration/imap-council.js';
import { addAccounts, CLERK, effectIn, effectPath, open, signIn } from './harness.js';

let council: ImapCouncil;
let running: AssembledService;
let browser: Browser;
let page: Page;
let base: string;

beforeAll(async () => {
  council = await startImapCouncil({ review: true });
  running = await assembleService(setupEngine(council.configFile), {
    logger: silentLogger(),
    tuning: { heartbeatMs: 200, outboxIntervalMs: 300, sourceBackoff: { initialMs: 200, maxMs: 1000 } },
  });
  const started = await running.service.start();
  base = `http://127.0.0.1:${started.port ?? 0}`;
  await addAccounts(running.store, [CLERK], new Date());
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.service.stop();
  await council?.stop();
});

describe('approving in the console, sending through Postfix into Dovecot', () => {
  test('a nudge approved in the browser arrives exactly once in the member’s INBOX; a second approval sends nothing', async () => {
    // Cllr Raj Mehta writes to a resident without saying in what capacity; his mail client keeps the Sent copy.
    const mail = capacityMailFrom(11, A.raj);
    await appendTo(council.stack, 'raj', 'Sent', mail.content);
    const key = effectKey({ rule: 'state-capacity', itemKey: mail.messageId, recipient: A.raj, kind: 'nudge' });
    await effectIn(running.store, key, ['awaiting-review'], 30_000);
    // Held: nothing in his INBOX yet.
    expect(await keyedMessages(council.stack, 'raj', key)).toEqual([]);

    await signIn(page, base, CLERK);
    await open(page, base, effectPath(key));
    const stale = await page.context().newPage();
    await open(stale, base, effectPath(key));
    await page.locator(`form[action="${effectPath(key)}/approve"] button`).click();
    await page.waitForLoadState();

    const arrived = await waitForKeyed(council.stack, 'raj', key, 20_000);
    expect(arrived.mail.subject).toContain('Hedge on Weir Road (11)');
    expect(arrived.raw).toMatch(/^Auto-Submitted: auto-generated\r?$/m);
    await effectIn(running.store, key, ['done']);

    await stale.locator(`form[action="${effectPath(key)}/approve"] button`).click();
    await stale.waitForLoadState();
    // Dovecot's delivery takes a moment: give a second send, were there one, time to arrive.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await keyedMessages(council.stack, 'raj', key)).toHaveLength(1);
    expect(await waitFor('the effect to stay done', async () => (await running.store.getEffect(key))?.state === 'done')).toBe(true);
  });
});
