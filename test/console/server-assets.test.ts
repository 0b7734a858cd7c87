import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Assets, assetFile, govukFrontendRoot, govukFrontendVersion, stylesheetFile, stylesheetVersion } from '../../src/console/assets.js';
import { CONTENT_SECURITY_POLICY } from '../../src/console/server.js';
import { Browser, startHarness, type Harness, type HarnessOptions } from './server-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

/** A GET with the path sent exactly as written (fetch would tidy `..` away first). */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: rawPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('assets', () => {
  it('serves the console’s stylesheet (GOV.UK Frontend in Arial) and every image it refers to, cached for good; no fonts', async () => {
    const h = await start();
    const css = await fetch(`${h.base}/assets/console.css?v=6`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(css.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = Buffer.from(await css.arrayBuffer());
    const text = bytes.toString('utf8');
    // Compiled from src/console/console.scss: GOV.UK's own typeface is only for services on GOV.UK.
    expect(text).not.toContain('GDS Transport');
    expect(text).not.toContain('@font-face');
    expect(text).toContain('font-family:arial,sans-serif');
    expect(text).toContain('.app-pre-wrap{white-space:pre-wrap;overflow-wrap:anywhere;font-family:inherit}');
    expect(text).toContain('.govuk-button{');
    const urls = [...new Set([...text.matchAll(/url\(([^)]+)\)/g)].map((m) => (m[1] ?? '').replace(/["']/g, '')))];
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url, url).toMatch(/^\/assets\/images\//);
      const res = await fetch(`${h.base}${url}`);
      expect(res.status, url).toBe(200);
    }
    const crest = await fetch(`${h.base}/assets/images/govuk-crest.svg`);
    expect(crest.headers.get('content-type')).toBe('image/svg+xml');
    // The address's version is the stylesheet's own: a changed stylesheet is a new address.
    expect(stylesheetVersion()).toBe(createHash('sha256').update(bytes).digest('hex').slice(0, 12));
    // Nothing refers to govuk-frontend's own stylesheet or its fonts any more, and they are not served.
    for (const gone of ['/assets/govuk-frontend.min.css', '/assets/fonts/bold-b542beb274-v2.woff2', '/assets/fonts/light-94a07e06a1-v2.woff2']) {
      expect((await fetch(`${h.base}${gone}`)).status, gone).toBe(404);
    }
    const manifest = await fetch(`${h.base}/assets/manifest.json`);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('content-type')).toContain('application/manifest+json');
  });

  it('never serves anything outside the package’s folder, nor a script', async () => {
    const h = await start();
    for (const rawPath of [
      '/assets/../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/fonts/..%2F..%2F..%2Fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/fonts/.hidden.woff',
      '/assets/all.bundle.js',
      '/assets/images/',
      '/assets/fonts//bold-affa96571d-v2.woff',
      '/assets/fonts/bold-affa96571d-v2.woff%00.png',
    ]) {
      const res = await rawGet(h.base, rawPath);
      expect(res.status, rawPath).not.toBe(200);
      expect(res.body, rawPath).not.toContain('"name": "govuk-frontend"');
    }
    const root = govukFrontendRoot();
    expect(assetFile(root, 'images/govuk-crest.svg')).toBe(path.join(root, 'assets', 'images', 'govuk-crest.svg'));
    expect(assetFile(root, 'manifest.json')).toBe(path.join(root, 'assets', 'manifest.json'));
    expect(assetFile(root, 'govuk-frontend.min.css')).toBeUndefined();
    expect(assetFile(root, 'fonts/bold-affa96571d-v2.woff')).toBeUndefined();
    expect(assetFile(root, '../package.json')).toBeUndefined();
    expect(assetFile(root, '../../govuk-frontend/package.json')).toBeUndefined();
    expect(assetFile(root, 'fonts/../../govuk-frontend.min.css')).toBeUndefined();
    expect(assetFile(root, '/etc/passwd')).toBeUndefined();
    expect(assetFile(root, 'all.bundle.js')).toBeUndefined();
    expect(assetFile(root, 'images/../govuk-frontend.min.css')).toBeUndefined();
    // The package file really is there, so the refusals above are the server's doing.
    expect(readFileSync(path.join(root, '..', '..', 'package.json'), 'utf8')).toContain('"name": "govuk-frontend"');
  });

  it('says to run npm run build when the stylesheet has not been built', async () => {
    expect(stylesheetFile()).toBe(path.resolve('dist', 'console', 'console.css'));
    const missing = path.resolve('dist', 'console', 'no-such-stylesheet.css');
    await expect(new Assets(govukFrontendRoot(), missing).get('console.css')).rejects.toThrow(/is missing: it has not been built\. Run npm run build/);
    // The pages still render (with a placeholder version); the images are still served.
    expect(stylesheetVersion(missing)).toBe('unbuilt');
    expect(await new Assets(govukFrontendRoot(), missing).get('images/govuk-crest.svg')).toMatchObject({ contentType: 'image/svg+xml' });
  });
});

describe('every console answer', () => {
  it('carries the Content-Security-Policy and the other protective headers; pages are not stored', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    const answers = [await browser.get('/sign-in'), await browser.get('/'), await browser.signIn('helen'), await browser.get('/'), await browser.get('/nowhere')];
    for (const res of answers) {
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });
});

describe('the layout', () => {
  it('is the GOV.UK page template: English (UK), skip link, header with the council, navigation, who is signed in, footer; no script, no inline style', async () => {
    const h = await start();
    await h.addUser('helen', 'viewer', { displayName: 'Helen Ashworth' });
    const browser = new Browser(h.base);
    await browser.signIn('helen');
    const page = await (await browser.get('/things/one')).text();
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('<html lang="en-GB" class="govuk-template">');
    expect(page).toContain('<title>A thing – Wardwatch – Millbrook Town Council</title>');
    expect(page).toContain(`<link rel="stylesheet" href="/assets/console.css?v=${govukFrontendVersion()}-${stylesheetVersion()}">`);
    expect(stylesheetVersion()).toMatch(/^[0-9a-f]{12}$/);
    expect(page).toContain('<body class="govuk-template__body">');
    expect(page.indexOf('class="govuk-skip-link"')).toBeLessThan(page.indexOf('<header'));
    expect(page).toContain('<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>');
    expect(page).toContain('<a href="/" class="govuk-generic-header__homepage-link">Millbrook Town Council</a>');
    expect(page).toContain('<a href="/" class="govuk-service-navigation__link">Wardwatch</a>');
    for (const [href, text] of [
      ['/', 'Today'],
      ['/history', 'History'],
      ['/failed', 'Failed'],
      ['/not-a-breach', 'Not a breach'],
      ['/authorisations', 'Authorisations'],
      ['/elections', 'Elections'],
      ['/sources', 'Sources'],
      ['/digests', 'Digests'],
      ['/audit', 'Audit'],
    ]) {
      expect(page).toContain(`<a class="govuk-service-navigation__link" href="${href}">${text}</a>`);
    }
    // The page's own section is marked as the current one.
    expect(page).toContain('<a class="govuk-service-navigation__link" href="/review" aria-current="page"><strong class="govuk-service-navigation__active-fallback">Review</strong></a>');
    expect(page).toContain('Signed in as <strong>Helen Ashworth</strong> (viewer: can look, not change)');
    expect(page).toMatch(/<button type="submit" class="govuk-button govuk-button--secondary[^"]*"[^>]*>Sign out<\/button>/);
    expect(page).toContain('<main class="govuk-main-wrapper" id="main-content">');
    expect(page).toContain('<footer class="govuk-template__footer">');
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/\sstyle=/i);
    expect(page).not.toMatch(/\son[a-z]+=/i);
  });
});

describe('single sign-on', () => {
  const oidc = { issuer: 'https://login.example.org', clientId: 'wardwatch', clientSecret: '${WARDWATCH_OIDC_SECRET}', buttonText: 'Sign in with Millbrook 365' };

  function fakeProvider(email: string): { calls: string[]; create: NonNullable<NonNullable<HarnessOptions['deps']>['oidc']>['create'] } {
    const calls: string[] = [];
    return {
      calls,
      create: async (settings, secret, redirectUri) => {
        calls.push(`create ${settings.issuer} ${secret} ${redirectUri}`);
        return {
          start: async () => ({ redirectTo: 'https://login.example.org/authorize?state=s1', pending: '{"state":"s1"}' }),
          finish: async (callbackUrl, pending) => {
            calls.push(`finish ${callbackUrl.pathname}${callbackUrl.search} ${pending}`);
            if (callbackUrl.searchParams.get('state') !== 's1') throw new Error('The sign-in service’s answer did not match this sign-in.');
            return { email, name: 'Alice Green' };
          },
        };
      },
    };
  }

  it('offers the button, sends the browser to the council’s sign-in service and signs in the account named by the e-mail', async () => {
    const provider = fakeProvider('Alice.Green@Millbrook-TC.gov.uk');
    const h = await start({ console: { oidc }, deps: { env: { WARDWATCH_OIDC_SECRET: 'very-secret-value' }, oidc: { create: provider.create } } });
    await h.addUser('alice.green@millbrook-tc.gov.uk', 'viewer', { password: null, displayName: 'Cllr Alice Green' });
    const browser = new Browser(h.base);
    const login = await (await browser.get('/sign-in')).text();
    // A form, not a link: starting a sign-in is a change, which another site must not be able to make.
    expect(login).toMatch(/<form method="post" action="\/sign-in\/sso" novalidate>\s*<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">Sign in with Millbrook 365<\/button>\s*<\/form>/);

    // The browser moves on by itself (a refresh, which the policy's form-action does not hold back, as it would a redirect), or by the link.
    const leaving = await browser.post('/sign-in/sso', {});
    expect(leaving.status).toBe(200);
    const leavingPage = await leaving.text();
    expect(leavingPage).toContain('<meta http-equiv="refresh" content="0; url=https://login.example.org/authorize?state=s1">');
    expect(leavingPage).toContain('<a href="https://login.example.org/authorize?state=s1" class="govuk-link">Continue to your council’s sign-in page</a>');
    expect(leavingPage).toContain('<title>Taking you to your council’s sign-in – Wardwatch – Millbrook Town Council</title>');
    const pending = browser.cookies.get('wardwatch_sso');
    expect(pending?.attributes).toContain('HttpOnly');
    // Lax, not Strict: the browser comes back from another site, and must bring it.
    expect(pending?.attributes).toContain('SameSite=Lax');
    expect(pending?.attributes).toContain('Path=/sign-in/sso');
    expect(pending?.attributes).toContain('Max-Age=600');

    const back = await browser.get('/sign-in/sso/callback?code=c1&state=s1');
    expect(back.status).toBe(200);
    const page = await back.text();
    expect(page).toContain('<meta http-equiv="refresh" content="0; url=/">');
    expect(page).toContain('Welcome, Cllr Alice Green.');
    expect(browser.cookie('wardwatch_session')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.cookie('wardwatch_sso')).toBeUndefined();
    expect((await browser.get('/')).status).toBe(200);
    expect(provider.calls).toEqual([
      `create https://login.example.org very-secret-value ${h.base}/sign-in/sso/callback`,
      'finish /sign-in/sso/callback?code=c1&state=s1 {"state":"s1"}',
    ]);
    const audit = await h.store.listConsoleActions();
    expect(audit[0]).toMatchObject({ action: 'sign-in', actor: 'alice.green@millbrook-tc.gov.uk' });
    expect(audit[0]?.detail).toContain('single sign-on');
  });

  it('lets nobody in without an account, and says so (in the audit once a window)', async () => {
    const provider = fakeProvider('stranger@example.com');
    const h = await start({ console: { oidc }, deps: { env: { WARDWATCH_OIDC_SECRET: 'very-secret-value' }, oidc: { create: provider.create } } });
    const browser = new Browser(h.base);
    for (let i = 0; i < 3; i++) {
      await browser.post('/sign-in/sso', {});
      expect((await browser.get('/sign-in/sso/callback?code=c1&state=s1')).status).toBe(403);
    }
    expect(await h.store.listConsoleActions()).toHaveLength(1);
    h.advance(15 * 60_000 + 1000);
    await browser.post('/sign-in/sso', {});
    const res = await browser.get('/sign-in/sso/callback?code=c1&state=s1');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('There is no console account for stranger@example.com.');
    expect(browser.cookie('wardwatch_session')).toBeUndefined();
    const audit = await h.store.listConsoleActions();
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ action: 'sign-in-refused', subject: 'stranger@example.com' });
  });

  it('refuses a return without the sign-in it started, or one the provider does not vouch for', async () => {
    const provider = fakeProvider('alice.green@millbrook-tc.gov.uk');
    const h = await start({ console: { oidc }, deps: { env: { WARDWATCH_OIDC_SECRET: 'very-secret-value' }, oidc: { create: provider.create } } });
    await h.addUser('alice.green@millbrook-tc.gov.uk', 'clerk', { password: null });
    const browser = new Browser(h.base);
    const stray = await browser.get('/sign-in/sso/callback?code=c1&state=s1');
    expect(stray.status).toBe(400);
    expect(await stray.text()).toContain('Single sign-on did not finish');
    await browser.post('/sign-in/sso', {});
    const forged = await browser.get('/sign-in/sso/callback?code=c1&state=other');
    expect(forged.status).toBe(400);
    expect(browser.cookie('wardwatch_session')).toBeUndefined();
    // An account without a password cannot be signed into with one.
    expect((await browser.signIn('alice.green@millbrook-tc.gov.uk', '')).status).toBe(400);
    expect((await browser.signIn('alice.green@millbrook-tc.gov.uk', 'anything at all')).status).toBe(400);
  });

  it('is not there when not set up, and needs its secret in the environment when it is', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    await browser.signIn('helen');
    expect((await browser.get('/sign-in/sso')).status).toBe(404);
    expect((await browser.post('/sign-in/sso', {})).status).toBe(404);
    await h.close();
    harness = undefined;
    await expect(startHarness({ console: { oidc }, deps: { env: {} } })).rejects.toThrow(/WARDWATCH_OIDC_SECRET is not set; console.oidc.clientSecret needs it/);
  });
});
