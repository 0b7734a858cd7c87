import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Browser, PASSWORD, startHarness, type Harness, type HarnessOptions } from './server-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  harness = await startHarness(options);
  return harness;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

async function signedIn(h: Harness, username = 'helen', role: 'clerk' | 'viewer' = 'clerk'): Promise<Browser> {
  await h.addUser(username, role, { displayName: username === 'helen' ? 'Helen Ashworth' : username });
  const browser = new Browser(h.base);
  const res = await browser.signIn(username);
  expect(res.status).toBe(303);
  return browser;
}

describe('without signing in', () => {
  it('every page sends the browser to sign in, and no change is made', async () => {
    const h = await start();
    const browser = new Browser(h.base);
    for (const pathname of ['/', '/things/a', '/clerks-only', '/export.csv', '/things/a/remove']) {
      const res = await browser.get(pathname);
      expect(res.status, pathname).toBe(303);
      const location = res.headers.get('location') ?? '';
      expect(location, pathname).toMatch(/^\/sign-in(\?next=|$)/);
    }
    expect((await browser.get('/things/a')).headers.get('location')).toBe('/sign-in?next=%2Fthings%2Fa');
    // A path that is no page at all is simply not found.
    const missing = await browser.get('/no-such-page');
    expect(missing.status).toBe(404);
    expect(await missing.text()).not.toContain('Sign out');
    const post = await browser.post('/things', { name: 'sneaky', csrf: 'whatever' });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/sign-in');
    expect(h.things.names).toEqual([]);
    // A made-up session id is no session either.
    browser.cookies.set('wardwatch_session', { value: 'A'.repeat(43), attributes: '' });
    expect((await browser.get('/')).status).toBe(303);
  });

  it('shows the sign-in page in the GOV.UK layout, with no script', async () => {
    const h = await start();
    const res = await new Browser(h.base).get('/sign-in');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<html lang="en-GB" class="govuk-template">');
    expect(page).toContain('<title>Sign in – Wardwatch – Millbrook Town Council</title>');
    expect(page).toContain('<a href="#main-content" class="govuk-skip-link"');
    expect(page).toContain('<main class="govuk-main-wrapper" id="main-content">');
    expect(page).toMatch(/<input class="govuk-input" id="username" name="username"/);
    expect(page).toMatch(/id="password" name="password" type="password"/);
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain('Sign out');
    // No single sign-on unless it is set up.
    expect(page).not.toContain('/sign-in/sso');
  });
});

describe('signing in', () => {
  it('refuses a wrong password and an unknown username with the same words, sets no session cookie, and records both', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);

    const wrong = await browser.signIn('helen', 'not the password');
    expect(wrong.status).toBe(400);
    const wrongPage = await wrong.text();
    expect(wrongPage).toContain('The username or password is not right. Please check them and try again.');
    expect(wrongPage).toContain('<title>Error: Sign in – Wardwatch – Millbrook Town Council</title>');
    expect(wrongPage).toContain('class="govuk-error-summary"');
    expect(wrongPage).toContain('value="helen"');
    expect(browser.cookie('wardwatch_session')).toBeUndefined();

    const unknown = await browser.signIn('nobody', PASSWORD);
    expect(unknown.status).toBe(400);
    const unknownPage = await unknown.text();
    const summary = (page: string): string | undefined => /<ul class="govuk-list govuk-error-summary__list">([\s\S]*?)<\/ul>/.exec(page)?.[1];
    expect(summary(unknownPage)).toBe(summary(wrongPage));
    expect(browser.cookie('wardwatch_session')).toBeUndefined();

    // A name that is no account is not written down as typed (it may be a password in the wrong box).
    const audit = await h.store.listConsoleActions();
    const nobody = `an unknown username (SHA-256 ${sha256('nobody').slice(0, 6)}…)`;
    expect(audit.map((a) => [a.action, a.actor, a.subject])).toEqual([
      ['sign-in-refused', nobody, nobody],
      ['sign-in-refused', 'helen', 'helen'],
    ]);
    expect(audit[0]?.detail).toBe(`A sign-in with ${nobody} was refused: the username or password was not right (from 127.0.0.1).`);
    expect(JSON.stringify(audit)).not.toContain('nobody');
    expect(audit.map((a) => a.detail).join(' ')).not.toContain(PASSWORD);
  });

  it('records a refused sign-in once per account, or once for all names that are no account, per address and window, and never what was typed in the wrong box', async () => {
    const h = await start({ deps: { rateLimit: { perAddress: 100 } } });
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    // Someone types their password where the username goes, then a few other names, then a very long one.
    const secret = 'my secret password 7Kq';
    expect((await browser.signIn(secret, 'x')).status).toBe(400);
    for (const name of ['Nobody', 'nobody.else', 'x'.repeat(150)]) expect((await browser.signIn(name, 'x')).status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await browser.signIn('helen', `guess ${i}`)).status).toBe(400);
    // Typed in another case, it is still helen's account, and named as such.
    expect((await browser.signIn('Helen', 'guess 4')).status).toBe(400);
    const refusals = await h.store.listConsoleActions();
    const unknown = `an unknown username (SHA-256 ${sha256(secret).slice(0, 6)}…)`;
    expect(refusals.map((a) => [a.action, a.subject])).toEqual([
      ['sign-in-refused', 'helen'],
      ['sign-in-refused', unknown],
    ]);
    const written = JSON.stringify(refusals);
    for (const typed of [secret, 'Nobody', 'nobody.else', 'xxxxxxxxxx', 'Helen']) expect(written).not.toContain(typed);

    // The limit reached, nothing more is written; a new window records the first again.
    expect((await browser.signIn('helen', 'guess 5')).status).toBe(400);
    expect((await browser.signIn('helen', 'guess 6')).status).toBe(429);
    expect(await h.store.listConsoleActions()).toHaveLength(2);
    h.advance(15 * 60_000 + 1000);
    expect((await browser.signIn('helen', 'guess 7')).status).toBe(400);
    expect((await browser.signIn('helen', 'guess 8')).status).toBe(400);
    expect((await h.store.listConsoleActions()).map((a) => a.subject)).toEqual(['helen', 'helen', unknown]);
  });

  it('asks for what is missing', async () => {
    const h = await start();
    const res = await new Browser(h.base).post('/sign-in', { username: '', password: '' });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('<a href="#username">Enter your username</a>');
    expect(page).toContain('<a href="#password">Enter your password</a>');
  });

  it('with the right password starts a session: a new random id in an HttpOnly, SameSite=Strict cookie, stored only hashed', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk', { displayName: 'Helen Ashworth' });
    const browser = new Browser(h.base);
    const res = await browser.signIn('helen');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const id = browser.cookie('wardwatch_session') ?? '';
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const flags = browser.cookies.get('wardwatch_session')?.attributes ?? '';
    expect(flags).toContain('HttpOnly');
    expect(flags).toContain('SameSite=Strict');
    expect(flags).toContain('Path=/');
    expect(flags).not.toContain('Secure');
    expect(await h.store.getSession(id)).toBeUndefined();
    const session = await h.store.getSession(sha256(id));
    expect(session?.username).toBe('helen');
    expect(session?.absoluteExpiresAt).toBe('2027-03-01T22:00:00.000Z');
    expect(session?.expiresAt).toBe('2027-03-01T11:00:00.000Z');

    const page = await (await browser.get('/')).text();
    expect(page).toContain('Signed in as <strong>Helen Ashworth</strong>');
    expect((await h.store.listConsoleActions()).map((a) => a.action)).toEqual(['sign-in']);
  });

  it('marks the cookie Secure when the console is reached over https', async () => {
    const h = await start({ console: { publicUrl: 'https://wardwatch.millbrook-tc.gov.uk/' } });
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    await browser.signIn('helen');
    expect(browser.cookies.get('wardwatch_session')?.attributes).toContain('Secure');
  });

  it('never keeps a session id the browser had before: signing in again replaces it', async () => {
    const h = await start();
    const browser = await signedIn(h);
    const first = browser.cookie('wardwatch_session') ?? '';
    await browser.signIn('helen');
    const second = browser.cookie('wardwatch_session') ?? '';
    expect(second).not.toBe(first);
    expect(await h.store.getSession(sha256(first))).toBeUndefined();
    expect(await h.store.getSession(sha256(second))).toBeDefined();
  });

  it('returns to the page asked for, and only to a page of the console', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    const login = await (await browser.get('/sign-in?next=%2Fthings%2Fb')).text();
    expect(login).toContain('<input type="hidden" name="next" value="/things/b">');
    const res = await browser.post('/sign-in', { username: 'helen', password: PASSWORD, next: '/things/b' });
    expect(res.headers.get('location')).toBe('/things/b');
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/sign-in']) {
      const again = await browser.post('/sign-in', { username: 'helen', password: PASSWORD, next });
      expect(again.headers.get('location'), next).toBe('/');
    }
    // A page's own redirect elsewhere is kept at home too.
    expect((await browser.get('/elsewhere')).headers.get('location')).toBe('/');
  });

  it('is refused for a while after five failures, even with the right password, and says when to try again', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    for (let i = 0; i < 5; i++) expect((await browser.signIn('helen', `guess ${i}`)).status).toBe(400);
    const refused = await browser.signIn('helen', PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('900');
    // 10:00 UTC on 1 March is 10:00 in London; the first failure leaves the window at 10:15.
    expect(await refused.text()).toContain('There have been too many failed sign-ins. Please try again in 15 minutes, after 10:15.');
    expect(browser.cookie('wardwatch_session')).toBeUndefined();
    // The first failure is in the console's audit; the rest, and the refusal, are in the log only.
    const refusals = (await h.store.listConsoleActions()).filter((a) => a.action === 'sign-in-refused');
    expect(refusals.map((a) => a.detail)).toEqual(['A sign-in as helen was refused: the username or password was not right (from 127.0.0.1).']);

    h.advance(15 * 60_000 + 1000);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(303);
  });

  it('holds guesses sent all at once to the limit: at most five are checked, and then even the right password waits', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const guesses = Array.from({ length: 40 }, (_, i) => new Browser(h.base).signIn('helen', `parallel guess ${i}`));
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(35);

    const browser = new Browser(h.base);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(429);
    h.advance(14 * 60_000);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(429);
    h.advance(60_000 + 1000);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(303);
  });

  it('holds guesses at many names sent all at once from one address to the address’s limit', async () => {
    const h = await start({ deps: { rateLimit: { perAddress: 8 } } });
    const guesses = Array.from({ length: 30 }, (_, i) => new Browser(h.base).signIn(`name-${i}`, 'a guess'));
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(8);
    expect(statuses.filter((s) => s === 429)).toHaveLength(22);
  });

  it('counts addresses as the reverse proxy forwards them, when console.publicUrl says there is one', async () => {
    const behindProxy = await start({ console: { publicUrl: 'https://wardwatch.millbrook-tc.gov.uk/' }, deps: { rateLimit: { perAddress: 2 } } });
    const browser = new Browser(behindProxy.base);
    const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.1, ${address}` });
    for (const name of ['a', 'b']) expect((await browser.post('/sign-in', { username: name, password: 'x' }, from('203.0.113.5'))).status).toBe(400);
    expect((await browser.post('/sign-in', { username: 'c', password: 'x' }, from('203.0.113.5'))).status).toBe(429);
    expect((await browser.post('/sign-in', { username: 'c', password: 'x' }, from('203.0.113.6'))).status).toBe(400);
    await behindProxy.close();
    harness = undefined;

    // Without a proxy, the header is anyone's to write and is not believed.
    const direct = await start({ deps: { rateLimit: { perAddress: 2 } } });
    const other = new Browser(direct.base);
    expect((await other.post('/sign-in', { username: 'a', password: 'x' }, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(400);
    expect((await other.post('/sign-in', { username: 'b', password: 'x' }, { 'x-forwarded-for': '203.0.113.8' })).status).toBe(400);
    expect((await other.post('/sign-in', { username: 'c', password: 'x' }, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
  });

  it('does not let a guesser at one address lock the Clerk out from another, however slowly they guess', async () => {
    const h = await start({ console: { publicUrl: 'https://wardwatch.millbrook-tc.gov.uk/' } });
    await h.addUser('helen', 'clerk');
    const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });
    const guesser = new Browser(h.base);
    const clerk = new Browser(h.base);
    // Five failures at once, then a guess every three minutes for an hour: each is let in as the oldest leaves the window.
    for (let i = 0; i < 5; i++) expect((await guesser.post('/sign-in', { username: 'helen', password: `guess ${i}` }, from('203.0.113.5'))).status).toBe(400);
    expect((await guesser.post('/sign-in', { username: 'helen', password: PASSWORD }, from('203.0.113.5'))).status).toBe(429);
    for (let minute = 3; minute <= 60; minute += 3) {
      h.advance(3 * 60_000);
      const guess = await guesser.post('/sign-in', { username: 'helen', password: `slow guess ${minute}` }, from('203.0.113.5'));
      expect([400, 429]).toContain(guess.status);
    }
    // All the while the guesser is held; the Clerk, from the office, signs in.
    expect((await guesser.post('/sign-in', { username: 'helen', password: PASSWORD }, from('203.0.113.5'))).status).toBe(429);
    expect((await clerk.post('/sign-in', { username: 'helen', password: PASSWORD }, from('192.0.2.10'))).status).toBe(303);
  });

  it('refuses an account from everywhere once guesses from many addresses reach its ceiling', async () => {
    const h = await start({ console: { publicUrl: 'https://wardwatch.millbrook-tc.gov.uk/' }, deps: { rateLimit: { perUsername: 8 } } });
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });
    for (const address of ['203.0.113.5', '203.0.113.6']) {
      for (let i = 0; i < 4; i++) expect((await browser.post('/sign-in', { username: 'helen', password: `guess ${i}` }, from(address))).status).toBe(400);
    }
    const refused = await browser.post('/sign-in', { username: 'helen', password: PASSWORD }, from('192.0.2.10'));
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('There have been too many failed sign-ins. Please try again in 15 minutes, after 10:15.');
    h.advance(15 * 60_000 + 1000);
    expect((await browser.post('/sign-in', { username: 'helen', password: PASSWORD }, from('192.0.2.10'))).status).toBe(303);
  });

  it('does not keep a lockout longer than its window when the clock is stepped back', async () => {
    const h = await start();
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    // The clock runs an hour fast while five wrong passwords are tried ...
    h.advance(60 * 60_000);
    for (let i = 0; i < 5; i++) expect((await browser.signIn('helen', `guess ${i}`)).status).toBe(400);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(429);
    // ... and is put right: the failures are not held against helen for the hour as well.
    h.advance(-60 * 60_000);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(303);
  });

  it('counts an IPv6 client by its /64, and an IPv4 client the same however it is written', async () => {
    const h = await start({ console: { publicUrl: 'https://wardwatch.millbrook-tc.gov.uk/' }, deps: { rateLimit: { perAddress: 2 } } });
    const browser = new Browser(h.base);
    const attempt = async (username: string, address: string): Promise<number> =>
      (await browser.post('/sign-in', { username, password: 'x' }, { 'x-forwarded-for': address })).status;
    expect(await attempt('a', '2001:db8:1:2::a')).toBe(400);
    expect(await attempt('b', '2001:db8:1:2::b')).toBe(400);
    expect(await attempt('c', '2001:db8:1:2:ffff:ffff:ffff:c')).toBe(429);
    expect(await attempt('c', '2001:db8:1:3::c')).toBe(400);
    expect(await attempt('d', '::ffff:203.0.113.5')).toBe(400);
    expect(await attempt('e', '203.0.113.5')).toBe(400);
    expect(await attempt('f', '::ffff:203.0.113.5')).toBe(429);
  });

  it('refuses an address that fails too often, whatever names it tries', async () => {
    const h = await start({ deps: { rateLimit: { perAddress: 3 } } });
    await h.addUser('helen', 'clerk');
    const browser = new Browser(h.base);
    for (const name of ['a', 'b', 'c']) expect((await browser.signIn(name, 'x')).status).toBe(400);
    expect((await browser.signIn('helen', PASSWORD)).status).toBe(429);
  });
});

describe('sessions', () => {
  it('end after the idle timeout; a request moves the timeout on, at most once a minute', async () => {
    const h = await start({ console: { idleMinutes: 30 } });
    const browser = await signedIn(h);
    const id = sha256(browser.cookie('wardwatch_session') ?? '');

    h.advance(30_000);
    expect((await browser.get('/')).status).toBe(200);
    expect((await h.store.getSession(id))?.lastSeenAt).toBe('2027-03-01T10:00:00.000Z');
    h.advance(20 * 60_000);
    expect((await browser.get('/')).status).toBe(200);
    expect((await h.store.getSession(id))?.expiresAt).toBe('2027-03-01T10:50:30.000Z');
    h.advance(29 * 60_000);
    expect((await browser.get('/')).status).toBe(200);

    h.advance(31 * 60_000);
    const res = await browser.get('/things/a');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?next=%2Fthings%2Fa');
    expect(browser.cookie('wardwatch_session')).toBeUndefined();
    expect(await h.store.getSession(id)).toBeUndefined();
    const login = await (await browser.get('/sign-in?next=%2Fthings%2Fa')).text();
    expect(login).toContain('Your session has ended; please sign in again.');
    // Shown once.
    expect(await (await browser.get('/sign-in')).text()).not.toContain('Your session has ended');
  });

  it('end after console.maxHours however active', async () => {
    const h = await start({ console: { idleMinutes: 60, maxHours: 2 } });
    const browser = await signedIn(h);
    for (let i = 0; i < 3; i++) {
      h.advance(35 * 60_000);
      expect((await browser.get('/')).status).toBe(200);
    }
    const id = sha256(browser.cookie('wardwatch_session') ?? '');
    // Two hours from the start, not an hour from the last request.
    expect((await h.store.getSession(id))?.expiresAt).toBe('2027-03-01T12:00:00.000Z');
    h.advance(40 * 60_000);
    expect((await browser.get('/')).status).toBe(303);
    expect(await h.store.getSession(id)).toBeUndefined();
  });

  it('a POST after the session ended changes nothing and leads to sign-in', async () => {
    const h = await start({ console: { idleMinutes: 5 } });
    const browser = await signedIn(h);
    const csrf = await browser.csrf();
    h.advance(6 * 60_000);
    const res = await browser.post('/things', { name: 'late', csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in');
    expect(h.things.names).toEqual([]);
  });

  it('sign out ends the session in the store, needs the form token, and is recorded', async () => {
    const h = await start();
    const browser = await signedIn(h);
    const id = sha256(browser.cookie('wardwatch_session') ?? '');
    const page = await (await browser.get('/')).text();
    expect(page).toMatch(/<form method="post" action="\/sign-out"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]+">/);

    expect((await browser.post('/sign-out', {})).status).toBe(403);
    expect(await h.store.getSession(id)).toBeDefined();

    const res = await browser.post('/sign-out', { csrf: await browser.csrf() });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in');
    expect(await h.store.getSession(id)).toBeUndefined();
    expect(browser.cookie('wardwatch_session')).toBeUndefined();
    expect(await (await browser.get('/sign-in')).text()).toContain('You have signed out.');
    expect((await browser.get('/')).status).toBe(303);
    expect((await h.store.listConsoleActions()).map((a) => a.action)).toEqual(['sign-out', 'sign-in']);
  });

  it('ended sessions are swept from the store, even if their browsers never come back', async () => {
    const h = await start({ console: { idleMinutes: 10 } });
    const first = await signedIn(h, 'helen');
    const id = sha256(first.cookie('wardwatch_session') ?? '');
    h.advance(11 * 60_000);
    await signedIn(h, 'priya');
    expect(await h.store.getSession(id)).toBeUndefined();
  });

  it('a signed-in visit to the sign-in page goes on to where the browser was going, or today’s page', async () => {
    const h = await start();
    const viewer = await signedIn(h, 'monitoring.officer', 'viewer');
    const res = await viewer.get('/sign-in');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect((await viewer.get('/sign-in?next=%2Fthings%2Fb')).headers.get('location')).toBe('/things/b');
    expect((await viewer.get('/sign-in?next=%2F%2Fevil.example%2F')).headers.get('location')).toBe('/');
    // What the viewer then sees is today's page, as a viewer.
    const today = await (await viewer.get('/')).text();
    expect(today).toContain('Signed in as <strong>monitoring.officer</strong> (viewer: can look, not change)');
  });

  it('signing in as someone else in the same browser ends the first session', async () => {
    const h = await start();
    const browser = await signedIn(h, 'helen');
    const first = browser.cookie('wardwatch_session') ?? '';
    await h.addUser('priya', 'viewer');
    expect((await browser.signIn('priya')).status).toBe(303);
    expect(await h.store.getSession(sha256(first))).toBeUndefined();
    expect((await h.store.getSession(sha256(browser.cookie('wardwatch_session') ?? '')))?.username).toBe('priya');
    expect(await (await browser.get('/')).text()).toContain('Signed in as <strong>priya</strong>');
  });

  it('a removed account is signed out at its next request', async () => {
    const h = await start();
    const browser = await signedIn(h);
    await h.store.removeUser('helen');
    expect((await browser.get('/')).status).toBe(303);
  });
});

describe('changes', () => {
  it('need the session’s CSRF token: missing or wrong is 403 and nothing changes', async () => {
    const h = await start();
    const browser = await signedIn(h);
    const csrf = await browser.csrf();

    const missing = await browser.post('/things', { name: 'one' });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('The form had expired or did not come from this console, so nothing was changed.');
    expect((await browser.post('/things', { name: 'two', csrf: `${csrf.slice(0, -1)}x` })).status).toBe(403);
    // Another session's token is no good either.
    const other = await signedIn(h, 'priya');
    expect((await browser.post('/things', { name: 'three', csrf: await other.csrf() })).status).toBe(403);
    expect(h.things.names).toEqual([]);

    const ok = await browser.post('/things', { name: 'four', csrf });
    expect(ok.status).toBe(303);
    expect(h.things.names).toEqual(['four']);
    // The change's message shows once, as a success banner.
    const page = await (await browser.get('/')).text();
    expect(page).toContain('govuk-notification-banner--success');
    expect(page).toContain('Added four.');
    expect(await (await browser.get('/')).text()).not.toContain('Added four.');
  });

  it('from another site are refused even with the right token', async () => {
    const h = await start();
    const browser = await signedIn(h);
    const csrf = await browser.csrf();
    const res = await browser.post('/things', { name: 'forged', csrf }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(h.things.names).toEqual([]);
    expect((await browser.post('/things', { name: 'own', csrf }, { origin: h.base })).status).toBe(303);
    expect(h.things.names).toEqual(['own']);
    // What browsers send: under Referrer-Policy no-referrer the console's own forms come with
    // Origin: null, vouched for by Sec-Fetch-Site; a null origin alone, or another site, is refused.
    expect((await browser.post('/things', { name: 'ours', csrf }, { origin: 'null', 'sec-fetch-site': 'same-origin' })).status).toBe(303);
    expect((await browser.post('/things', { name: 'sandboxed', csrf }, { origin: 'null' })).status).toBe(403);
    expect((await browser.post('/things', { name: 'sibling', csrf }, { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await browser.post('/things', { name: 'cross', csrf }, { origin: h.base, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(h.things.names).toEqual(['own', 'ours']);
    // Signing in from another site's form is refused too.
    const elsewhere = new Browser(h.base);
    expect((await elsewhere.post('/sign-in', { username: 'helen', password: PASSWORD }, { origin: 'https://evil.example' })).status).toBe(403);
    expect(elsewhere.cookie('wardwatch_session')).toBeUndefined();
  });

  it('are refused to a viewer, server-side, for GET and POST alike', async () => {
    const h = await start();
    const viewer = await signedIn(h, 'monitoring.officer', 'viewer');
    const csrf = await viewer.csrf();
    const get = await viewer.get('/clerks-only');
    expect(get.status).toBe(403);
    expect(await get.text()).toContain('Your account can look but not change anything.');
    const post = await viewer.post('/things', { name: 'viewer', csrf });
    expect(post.status).toBe(403);
    expect((await viewer.post('/things/a/remove', { csrf })).status).toBe(403);
    expect(h.things.names).toEqual([]);
    // Reading is allowed.
    expect((await viewer.get('/things/a')).status).toBe(200);
  });

  it('larger than a form needs are refused with 413', async () => {
    const h = await start();
    const browser = await signedIn(h);
    const csrf = await browser.csrf();
    const res = await browser.post('/things', { name: 'x'.repeat(70 * 1024), csrf });
    expect(res.status).toBe(413);
    expect(h.things.names).toEqual([]);
  });

  it('must be forms', async () => {
    const h = await start();
    const browser = await signedIn(h);
    const csrf = await browser.csrf();
    const res = await browser.post('/things', { name: 'json', csrf }, { 'content-type': 'application/json' });
    expect(res.status).toBe(415);
    expect(h.things.names).toEqual([]);
  });
});

describe('routing', () => {
  it('decodes named parts, answers 404 and 405 with a page, 500 when a page fails, and downloads', async () => {
    const h = await start();
    const browser = await signedIn(h);
    expect(await (await browser.get(`/things/${encodeURIComponent('a/b <c>')}`)).text()).toContain('Thing: a/b &lt;c&gt;');

    const missing = await browser.get('/no-such-page');
    expect(missing.status).toBe(404);
    const missingPage = await missing.text();
    expect(missingPage).toContain('<title>Page not found – Wardwatch – Millbrook Town Council</title>');
    expect(missingPage).toContain('Signed in as');

    const wrong = await browser.get('/things/a/remove');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');

    const broken = await browser.get('/broken');
    expect(broken.status).toBe(500);
    expect(await broken.text()).not.toContain('the page fell over');

    const csv = await browser.get('/export.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="history_2027.csv"');
    expect(await csv.text()).toBe('a,b\n1,2\n');
  });

  it('leaves /healthz and /metrics to the service, and answers every other path itself', async () => {
    const h = await start();
    const health = await fetch(`${h.base}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect(await (await fetch(`${h.base}/metrics`)).text()).toBe('up 1\n');
    expect((await fetch(`${h.base}/hooks/graph/notify`)).status).toBe(404);
  });

  it('is not there when console.enabled is false', async () => {
    const h = await start({ console: { enabled: false } });
    const res = await fetch(`${h.base}/sign-in`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
  });
});
