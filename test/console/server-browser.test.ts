/**
 * The server's own pages in real headless Chromium: the Content-Security-Policy lets the console's
 * stylesheet in and nothing complains, the SameSite=Strict cookie survives the sign-in
 * redirect, the sign-in page and the layout pass an accessibility scan, and single sign-on's
 * button takes the browser to the council's sign-in service and back signed in.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser as Chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeScan, launchChromium } from '../support/chromium.js';
import { startOidcProvider } from '../support/oidc-provider.js';
import { PASSWORD, startHarness, type Harness } from './server-harness.js';

/** A port free just now, so that the provider can be told the console's return address before the console listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let chromium: Chromium;
let harness: Harness;

beforeAll(async () => {
  chromium = await launchChromium();
  harness = await startHarness();
  await harness.addUser('helen', 'clerk', { displayName: 'Helen Ashworth' });
});

afterAll(async () => {
  await chromium?.close();
  await harness?.close();
});

describe('the console’s shell in Chromium', () => {
  it('is styled by govuk-frontend under the strict policy, signs in through the form and out again, and passes axe', async () => {
    const page = await chromium.newPage();
    const complaints: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') complaints.push(message.text());
    });
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });

    await page.goto(`${harness.base}/things/one`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.title()).toBe('Sign in – Wardwatch – Millbrook Town Council');
    // The stylesheet applied: the button is GOV.UK green, and the text is in Arial, not GOV.UK's own typeface (no web font at all).
    // (Written as strings: they run in the page, and the tests are compiled without the DOM's types.)
    expect(await page.evaluate('getComputedStyle(document.querySelector("button.govuk-button")).backgroundColor')).toBe('rgb(15, 122, 82)');
    expect(await page.evaluate('getComputedStyle(document.querySelector("h1")).fontFamily')).toBe('arial, sans-serif');
    expect(await page.evaluate('document.fonts.ready.then(() => document.fonts.size)')).toBe(0);
    expect(await axeScan(page)).toEqual([]);

    await page.fill('#username', 'helen');
    await page.fill('#password', 'wrong password');
    await page.click('button.govuk-button');
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('The username or password is not right.');
    expect(await axeScan(page)).toEqual([]);

    await page.fill('#username', 'helen');
    await page.fill('#password', PASSWORD);
    await page.click('button.govuk-button');
    // Back where the browser was going, with the session cookie sent after the redirect.
    expect(new URL(page.url()).pathname).toBe('/things/one');
    expect(await page.locator('h1').textContent()).toBe('Thing: one');
    expect(await axeScan(page)).toEqual([]);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'wardwatch_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });

    await page.click('button:has-text("Sign out")');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('You have signed out.');

    // Only the wrong password's answer (400) failed: no stylesheet, font or image was refused, and
    // nothing broke the Content-Security-Policy.
    expect(failed).toEqual([`400 ${harness.base}/sign-in`]);
    expect(complaints).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.close();
  });

  it('single sign-on: the button (a form, under the strict policy) leads to the council’s sign-in and back, signed in', async () => {
    const secret = 'millbrook-console-secret-5Tq8wZ';
    const port = await freePort();
    const op = await startOidcProvider({
      clientId: 'wardwatch-console',
      clientSecret: secret,
      redirectUris: [`http://127.0.0.1:${port}/sign-in/sso/callback`],
      accounts: [{ sub: 'helen', email: 'helen.ashworth@millbrook-tc.gov.uk', name: 'Helen Ashworth', emailVerified: true }],
    });
    const sso = await startHarness({
      port,
      console: { oidc: { issuer: op.issuer, clientId: 'wardwatch-console', clientSecret: '${WARDWATCH_OIDC_SECRET}' } },
      deps: { env: { WARDWATCH_OIDC_SECRET: secret } },
    });
    const page = await chromium.newPage();
    try {
      await sso.addUser('helen.ashworth@millbrook-tc.gov.uk', 'clerk', { password: null, displayName: 'Helen Ashworth' });
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      await page.goto(`${sso.base}/sign-in`);
      expect(await axeScan(page)).toEqual([]);
      await page.click('button:has-text("Sign in with your council account")');
      // At the provider's own sign-in page: the console's policy did not hold the browser back.
      await page.waitForURL((url) => url.origin === op.issuer, { timeout: 10_000 });
      await page.fill('input[name="login"]', 'helen');
      await page.fill('input[name="password"]', 'any password will do');
      await page.click('button[type="submit"]');
      await page.waitForSelector('button[type="submit"]:has-text("Continue")', { timeout: 10_000 });
      await page.click('button[type="submit"]:has-text("Continue")');
      // Back at the console, which moves on to today's page with the new session.
      await page.waitForURL(`${sso.base}/`, { timeout: 10_000 });
      expect(await page.locator('h1').textContent()).toBe('Today');
      expect(await page.content()).toContain('Signed in as <strong>Helen Ashworth</strong>');
      expect(refused).toEqual([]);
      expect((await sso.store.listConsoleActions()).map((a) => [a.action, a.subject])).toEqual([['sign-in', 'helen.ashworth@millbrook-tc.gov.uk']]);
    } finally {
      await page.close();
      await sso.close();
      await op.close();
    }
  });
});
