/** Single sign-on through the console's own pages, against a real OpenID provider (oidc-provider on 127.0.0.1). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signInAtProvider, startOidcProvider, type OidcTestProvider } from '../support/oidc-provider.js';
import { Browser, startHarness, type Harness } from './server-harness.js';

const SECRET = 'millbrook-console-secret-5Tq8wZ';

let harness: Harness | undefined;
let op: OidcTestProvider | undefined;
afterEach(async () => {
  await harness?.close();
  await op?.close();
  harness = undefined;
  op = undefined;
});

/** Where the page that starts single sign-on sends the browser (its refresh, and its link, go to the same place). */
async function leavingFor(res: Response): Promise<string> {
  expect(res.status).toBe(200);
  const page = await res.text();
  const refresh = /<meta http-equiv="refresh" content="0; url=([^"]+)">/.exec(page)?.[1];
  const link = /<a href="([^"]+)" class="govuk-link">Continue to your council’s sign-in page<\/a>/.exec(page)?.[1];
  expect(refresh).toBeDefined();
  expect(link).toBe(refresh);
  return (refresh ?? '').replaceAll('&amp;', '&');
}

/** A port free just now, so that the provider can be told the console's return address before the console listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('single sign-on with a real OpenID provider', () => {
  it('signs in the person whose address has an account, and no one else', async () => {
    const port = await freePort();
    const callback = `http://127.0.0.1:${port}/sign-in/sso/callback`;
    op = await startOidcProvider({
      clientId: 'wardwatch-console',
      clientSecret: SECRET,
      redirectUris: [callback],
      accounts: [
        { sub: 'helen', email: 'Helen.Ashworth@Millbrook-TC.gov.uk', name: 'Helen Ashworth', emailVerified: true },
        { sub: 'stranger', email: 'someone@example.org', name: 'Some One', emailVerified: true },
      ],
    });
    harness = await startHarness({
      port,
      console: { oidc: { issuer: op.issuer, clientId: 'wardwatch-console', clientSecret: '${WARDWATCH_OIDC_SECRET}' } },
      deps: { env: { WARDWATCH_OIDC_SECRET: SECRET } },
    });
    await harness.addUser('helen.ashworth@millbrook-tc.gov.uk', 'clerk', { password: null, displayName: 'Helen Ashworth' });

    const browser = new Browser(harness.base);
    const signInPage = await (await browser.get('/sign-in')).text();
    expect(signInPage).toMatch(/<form method="post" action="\/sign-in\/sso" novalidate>\s*<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Sign in with your council account<\/button>/);
    const leaving = await leavingFor(await browser.post('/sign-in/sso', {}));
    expect(leaving.startsWith(`${op.issuer}/`)).toBe(true);
    expect(browser.cookies.get('wardwatch_sso')?.attributes).toContain('SameSite=Lax');
    const back = await signInAtProvider(leaving, 'helen', { redirectUri: callback });
    const arrived = await browser.get(`${back.pathname}${back.search}`);
    expect(arrived.status).toBe(200);
    expect(await arrived.text()).toContain('Welcome, Helen Ashworth.');
    const today = await browser.get('/');
    expect(today.status).toBe(200);
    expect(await today.text()).toContain('Signed in as <strong>Helen Ashworth</strong>');
    // The code is used once: coming back with it again signs nobody in.
    const again = new Browser(harness.base);
    expect((await again.get(`${back.pathname}${back.search}`)).status).toBe(400);
    expect(again.cookie('wardwatch_session')).toBeUndefined();

    const stranger = new Browser(harness.base);
    const out = await leavingFor(await stranger.post('/sign-in/sso', {}));
    const strangerBack = await signInAtProvider(out, 'stranger', { redirectUri: callback });
    const refused = await stranger.get(`${strangerBack.pathname}${strangerBack.search}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('There is no console account for someone@example.org.');
    expect(stranger.cookie('wardwatch_session')).toBeUndefined();

    const audit = await harness.store.listConsoleActions();
    expect(audit.map((a) => [a.action, a.subject])).toEqual([
      ['sign-in-refused', 'someone@example.org'],
      ['sign-in', 'helen.ashworth@millbrook-tc.gov.uk'],
    ]);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });

  it('starts only from the console’s own sign-in page: a link or another site’s form cannot start it', async () => {
    op = await startOidcProvider({ clientId: 'wardwatch-console', clientSecret: SECRET, redirectUris: ['http://127.0.0.1:1/sign-in/sso/callback'], accounts: [] });
    harness = await startHarness({
      console: { oidc: { issuer: op.issuer, clientId: 'wardwatch-console', clientSecret: '${WARDWATCH_OIDC_SECRET}' } },
      deps: { env: { WARDWATCH_OIDC_SECRET: SECRET } },
    });
    const browser = new Browser(harness.base);
    // A link (or an image, or a redirect from elsewhere) only leads to the sign-in page.
    const linked = await browser.get('/sign-in/sso');
    expect(linked.status).toBe(303);
    expect(linked.headers.get('location')).toBe('/sign-in');
    // Another site's form, as browsers label it, is refused.
    const elsewhere: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }, { 'sec-fetch-site': 'same-site' }];
    for (const from of elsewhere) {
      const forged = await browser.post('/sign-in/sso', {}, from);
      expect(forged.status, JSON.stringify(from)).toBe(403);
      expect(await forged.text()).toContain('The form was sent from another website, so nothing was changed.');
    }
    expect(browser.cookie('wardwatch_sso')).toBeUndefined();
    expect((await browser.post('/sign-in/sso', {}, { 'content-type': 'text/plain' })).status).toBe(415);
    expect(browser.cookie('wardwatch_sso')).toBeUndefined();
    // No request reached the provider for any of them (the console had not even looked it up).
    expect(op.requests()).toEqual([]);
    // The console's own form, as a browser sends it, starts it.
    await leavingFor(await browser.post('/sign-in/sso', {}, { origin: 'null', 'sec-fetch-site': 'same-origin' }));
    expect(browser.cookie('wardwatch_sso')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
