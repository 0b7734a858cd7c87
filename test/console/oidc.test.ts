/**
 * Single sign-on against a real OpenID provider (oidc-provider on 127.0.0.1), its sign-in pages
 * driven with fetch as a browser would: the whole authorisation code flow with PKCE, and each way
 * a sign-in is refused.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOidcSignIn,
  identityFromClaims,
  OidcSignInError,
  SSO_CALLBACK_PATH,
  type OidcFailure,
  type OidcSettings,
  type OidcSignInOptions,
} from '../../src/console/oidc.js';
import { signInAtProvider, startOidcProvider, type OidcTestAccount, type OidcTestProvider } from '../support/oidc-provider.js';

const CLIENT_ID = 'wardwatch-console';
const SECRET = 'millbrook-test-secret-7Q2vX9kLpR4s';
const REDIRECT = `http://127.0.0.1:9464${SSO_CALLBACK_PATH}`;

const ACCOUNTS: OidcTestAccount[] = [
  { sub: 'helen', email: 'Helen.Ashworth@Millbrook-TC.gov.uk', name: 'Helen Ashworth', emailVerified: true },
  // Microsoft Entra ID's tokens carry an address without `email_verified`.
  { sub: 'sam', email: 'sam.patel@millbrook-tc.gov.uk', name: 'Sam Patel' },
  { sub: 'nomail', name: 'Pat Nobody', preferredUsername: 'pat.nobody@millbrook-tc.gov.uk' },
  { sub: 'unverified', email: 'dan.okafor@millbrook-tc.gov.uk', name: 'Dan Okafor', emailVerified: false },
];

let op: OidcTestProvider;

function settings(issuer: string): OidcSettings {
  return { issuer, clientId: CLIENT_ID, clientSecret: '${WARDWATCH_OIDC_SECRET}', buttonText: 'Sign in with your council account' };
}

const signIn = (issuer = op.issuer, secret = SECRET, options?: OidcSignInOptions) => createOidcSignIn(settings(issuer), secret, REDIRECT, options);

/** The error a promise is rejected with, checked to be a sign-in error of this reason that does not give the secret away. */
async function refusal(promise: Promise<unknown>, reason: OidcFailure): Promise<OidcSignInError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OidcSignInError);
  if (!(err instanceof OidcSignInError)) throw new Error('unreachable');
  expect(err.reason, err.message).toBe(reason);
  expect(err.message).not.toContain(SECRET);
  expect(err.message).not.toContain(encodeURIComponent(SECRET));
  expect(err.message).not.toContain(Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64'));
  return err;
}

const tokenRequests = (): number => op.requests().filter((r) => r.method === 'POST' && r.path === '/token').length;

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  op = await startOidcProvider({ clientId: CLIENT_ID, clientSecret: SECRET, redirectUris: [REDIRECT], accounts: ACCOUNTS });
});

afterAll(async () => {
  await op?.close();
});

describe('signing in through the council’s OpenID provider', () => {
  it('asks for a code with PKCE (S256), state, nonce and the openid email profile scopes', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const url = new URL(redirectTo);
    expect(url.origin).toBe(op.issuer);
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(redirectTo).not.toContain(SECRET);
    // Compact enough for a cookie, and made of cookie-safe characters.
    expect(pending).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(pending.length).toBeLessThan(600);
  });

  it('signs a person in and gives their e-mail address in lower case, and their name', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(await sso.finish(callback, pending)).toEqual({ email: 'helen.ashworth@millbrook-tc.gov.uk', name: 'Helen Ashworth' });
  });

  it('accepts an address that comes without email_verified, as Microsoft Entra ID sends it', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'sam', { redirectUri: REDIRECT });
    expect(await sso.finish(callback, pending)).toEqual({ email: 'sam.patel@millbrook-tc.gov.uk', name: 'Sam Patel' });
  });

  it('uses the callback’s parameters on the registered redirect URI, whatever host the server saw', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    const seenBehindProxy = new URL(`http://localhost:8080${SSO_CALLBACK_PATH}${callback.search}`);
    expect((await sso.finish(seenBehindProxy, pending)).email).toBe('helen.ashworth@millbrook-tc.gov.uk');
  });

  it('asks the provider for its settings once, however many sign-ins follow', async () => {
    const discoveries = (): number => op.requests().filter((r) => r.path === '/.well-known/openid-configuration').length;
    const before = discoveries();
    const sso = await signIn();
    expect(discoveries()).toBe(before);
    for (let i = 0; i < 3; i += 1) await sso.start();
    const { redirectTo, pending } = await sso.start();
    await sso.finish(await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT }), pending);
    expect(discoveries()).toBe(before + 1);
  });

  it('finds the address at the UserInfo endpoint when the ID token does not carry it', async () => {
    const userinfoOnly = await startOidcProvider({ clientId: CLIENT_ID, clientSecret: SECRET, redirectUris: [REDIRECT], accounts: ACCOUNTS, claimsInIdToken: false });
    try {
      const sso = await signIn(userinfoOnly.issuer);
      const { redirectTo, pending } = await sso.start();
      const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
      expect(await sso.finish(callback, pending)).toEqual({ email: 'helen.ashworth@millbrook-tc.gov.uk', name: 'Helen Ashworth' });
      expect(userinfoOnly.requests().some((r) => r.path === '/me')).toBe(true);
    } finally {
      await userinfoOnly.close();
    }
  });
});

describe('refusing a sign-in', () => {
  it('refuses a reply whose state was tampered with, before any code is exchanged', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    const state = callback.searchParams.get('state') ?? '';
    callback.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const tokensBefore = tokenRequests();
    const err = await refusal(sso.finish(callback, pending), 'refused');
    expect(err.message).toMatch(/did not match the sign-in started in this browser/);
    expect(tokenRequests()).toBe(tokensBefore);
  });

  it('refuses a reply that belongs to another sign-in (another browser’s pending value)', async () => {
    const sso = await signIn();
    const mine = await sso.start();
    const theirs = await sso.start();
    const callback = await signInAtProvider(theirs.redirectTo, 'helen', { redirectUri: REDIRECT });
    const err = await refusal(sso.finish(callback, mine.pending), 'refused');
    expect(err.message).toMatch(/did not match/);
  });

  it('refuses a pending value that was altered, made up, or sealed by another process', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    const [payload = '', mac = ''] = pending.split('.');
    const json = Buffer.from(payload, 'base64url').toString('utf8');
    expect(json).toMatch(/"t":\d+/);
    const stretched = Buffer.from(json.replace(/"t":\d+/, `"t":${Date.now() + 86_400_000}`)).toString('base64url');
    const tokensBefore = tokenRequests();
    for (const forged of [`${stretched}.${mac}`, `${payload}.${mac.slice(0, -2)}AA`, 'state=abc; nonce=def', '', `${payload}.${mac}.extra`]) {
      const err = await refusal(sso.finish(callback, forged), 'expired');
      expect(err.message).toBe('This sign-in could not be matched to one started in this browser, so it was refused. Please sign in again.');
    }
    const another = await signIn();
    await refusal(another.finish(callback, pending), 'expired');
    expect(tokenRequests()).toBe(tokensBefore);
    // The genuine value still works: nothing above used the code up.
    expect((await sso.finish(callback, pending)).email).toBe('helen.ashworth@millbrook-tc.gov.uk');
  });

  it('refuses a sign-in finished more than ten minutes after it started', async () => {
    let now = new Date('2027-04-12T09:00:00Z');
    const sso = await signIn(op.issuer, SECRET, { now: () => now });
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    now = new Date('2027-04-12T09:10:01Z');
    const tokensBefore = tokenRequests();
    const err = await refusal(sso.finish(callback, pending), 'expired');
    expect(err.message).toBe('The sign-in took longer than 10 minutes, so it was not completed. Please sign in again.');
    expect(tokenRequests()).toBe(tokensBefore);
    now = new Date('2027-04-12T09:09:59Z');
    expect((await sso.finish(callback, pending)).email).toBe('helen.ashworth@millbrook-tc.gov.uk');
  });

  it('refuses to use a code twice', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    await sso.finish(callback, pending);
    const err = await refusal(sso.finish(callback, pending), 'refused');
    expect(err.message).toContain(`The council’s sign-in service at ${op.issuer} refused to complete the sign-in (invalid_grant`);
  });

  it('refuses an account that gives no e-mail address, saying why', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'nomail', { redirectUri: REDIRECT });
    const err = await refusal(sso.finish(callback, pending), 'no-email');
    expect(err.message).toMatch(/^The council’s sign-in service did not say what your e-mail address is, so Wardwatch cannot tell whose console account is yours\./);
    expect(err.message).toContain('the “email” scope');
    // Its preferred_username is an address, but this issuer is not Microsoft's: it is not used.
    expect(err.message).not.toContain('pat.nobody');
  });

  it('refuses an address the provider says is not verified', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'unverified', { redirectUri: REDIRECT });
    const err = await refusal(sso.finish(callback, pending), 'unverified');
    expect(err.message).toMatch(/^The council’s sign-in service says your e-mail address dan\.okafor@millbrook-tc\.gov\.uk has not been verified/);
  });

  it('says so when the person declines at the provider', async () => {
    const sso = await signIn();
    const { redirectTo, pending } = await sso.start();
    const state = new URL(redirectTo).searchParams.get('state') ?? '';
    const callback = new URL(REDIRECT);
    callback.search = new URLSearchParams({ error: 'access_denied', error_description: 'End-User aborted interaction', state, iss: op.issuer }).toString();
    const err = await refusal(sso.finish(callback, pending), 'refused');
    expect(err.message).toBe(`The council’s sign-in service at ${op.issuer} did not sign you in (access_denied: End-User aborted interaction). Please sign in again.`);
  });

  it('points at the client ID and secret when the provider does not accept them, without giving the secret away', async () => {
    const wrongSecret = `${SECRET}-old`;
    const sso = await signIn(op.issuer, wrongSecret);
    const { redirectTo, pending } = await sso.start();
    const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
    const err = await refusal(sso.finish(callback, pending), 'settings');
    expect(err.message).toContain(`The council’s sign-in service at ${op.issuer} did not accept Wardwatch’s client ID or secret (invalid_client`);
    expect(err.message).toContain('check console.oidc.clientId and console.oidc.clientSecret');
    expect(err.message).not.toContain(wrongSecret);
  });
});

describe('the council’s sign-in service and its settings', () => {
  it('names the issuer and the setting when the sign-in service cannot be reached, and tries again next time', async () => {
    const port = await closedPort();
    const issuer = `http://127.0.0.1:${port}`;
    const sso = await signIn(issuer);
    const err = await refusal(sso.start(), 'unreachable');
    expect(err.message).toMatch(new RegExp(`^The council’s sign-in service at http://127\\.0\\.0\\.1:${port} could not be reached: .*ECONNREFUSED.*; check console\\.oidc\\.issuer\\.$`));

    const late = await startOidcProvider({ clientId: CLIENT_ID, clientSecret: SECRET, redirectUris: [REDIRECT], accounts: ACCOUNTS, port });
    try {
      const { redirectTo, pending } = await sso.start();
      const callback = await signInAtProvider(redirectTo, 'helen', { redirectUri: REDIRECT });
      expect((await sso.finish(callback, pending)).email).toBe('helen.ashworth@millbrook-tc.gov.uk');
    } finally {
      await late.close();
    }
  });

  it('says which issuer the sign-in service names when console.oidc.issuer is not exactly it', async () => {
    const elsewhere = op.issuer.replace('127.0.0.1', 'localhost');
    const err = await refusal((await signIn(elsewhere)).start(), 'settings');
    expect(err.message).toBe(
      `The council’s sign-in service at ${elsewhere} names itself ${op.issuer} as its issuer; set console.oidc.issuer to exactly that (a slash at the end or http for https makes it another address).`,
    );
  });

  it('says what the address answered when it is not a sign-in service', async () => {
    const wrong = `${op.issuer}/not-here`;
    const err = await refusal((await signIn(wrong)).start(), 'unreachable');
    expect(err.message).toBe(
      `The council’s sign-in service at ${wrong} could not be reached: it answered HTTP 404 for its OpenID Connect description (/.well-known/openid-configuration under that address); check console.oidc.issuer.`,
    );
  });

  it('refuses a plain-http issuer anywhere but this computer', async () => {
    for (const issuer of ['http://login.millbrook-tc.gov.uk/', 'http://192.168.1.20:8080/realms/council']) {
      const err = await refusal(signIn(issuer, SECRET, { allowInsecureRequests: true }), 'settings');
      expect(err.message).toBe(
        `Single sign-on is set up with ${issuer} as the council’s sign-in service, but Wardwatch only signs people in through an https address (the sign-in service’s replies vouch for who someone is, so they must not travel unencrypted); check console.oidc.issuer.`,
      );
    }
  });

  it('refuses plain http even on this computer when told to insist on https', async () => {
    const err = await refusal(signIn(op.issuer, SECRET, { allowInsecureRequests: false }), 'settings');
    expect(err.message).toContain('only signs people in through an https address');
  });

  it('refuses a return address that is not a web address', async () => {
    const err = await refusal(createOidcSignIn(settings(op.issuer), SECRET, '/sign-in/sso/callback'), 'settings');
    expect(err.message).toBe('Single sign-on would send people back to “/sign-in/sso/callback”, which is not a web address; check console.publicUrl.');
  });

  it('refuses Microsoft’s shared sign-in addresses, asking for the council’s own tenant', async () => {
    for (const issuer of ['https://login.microsoftonline.com/common/v2.0', 'https://login.microsoftonline.com/organizations/v2.0']) {
      const err = await refusal(signIn(issuer), 'settings');
      expect(err.message).toContain('use the council’s own tenant, https://login.microsoftonline.com/<tenant-id>/v2.0');
    }
  });
});

describe('who signed in, from the claims', () => {
  const ENTRA = 'https://login.microsoftonline.com/5f3c1a2b-8d4e-4f6a-9b7c-0d1e2f3a4b5c/v2.0';
  const GOOGLE = 'https://accounts.google.com';

  it('takes the address in lower case, and the name when there is one', () => {
    expect(identityFromClaims({ sub: '1', email: ' Clerk@Millbrook-TC.gov.uk ', email_verified: true, name: 'Helen Ashworth' }, GOOGLE)).toEqual({
      email: 'clerk@millbrook-tc.gov.uk',
      name: 'Helen Ashworth',
    });
    expect(identityFromClaims({ sub: '1', email: 'clerk@millbrook-tc.gov.uk', name: '  ' }, GOOGLE)).toEqual({ email: 'clerk@millbrook-tc.gov.uk' });
  });

  it('reads email_verified sent as a string, and counts anything else present as not verified', () => {
    expect(identityFromClaims({ sub: '1', email: 'a@millbrook-tc.gov.uk', email_verified: 'true' }, GOOGLE).email).toBe('a@millbrook-tc.gov.uk');
    for (const verified of [false, 'false', 0, 'yes']) {
      expect(() => identityFromClaims({ sub: '1', email: 'a@millbrook-tc.gov.uk', email_verified: verified }, GOOGLE)).toThrow(/has not been verified/);
    }
  });

  it('falls back to preferred_username for Microsoft Entra ID only', () => {
    expect(identityFromClaims({ sub: '1', preferred_username: 'Sam.Patel@Millbrook-TC.gov.uk', name: 'Sam Patel' }, ENTRA)).toEqual({
      email: 'sam.patel@millbrook-tc.gov.uk',
      name: 'Sam Patel',
    });
    expect(() => identityFromClaims({ sub: '1', preferred_username: 'sam.patel@millbrook-tc.gov.uk' }, GOOGLE)).toThrow(/did not say what your e-mail address is/);
    // A sign-in name that is not an address is no use.
    expect(() => identityFromClaims({ sub: '1', preferred_username: 'MILLBROOK\\spatel' }, ENTRA)).toThrow(/did not say what your e-mail address is/);
    // An address said to be unverified is refused, not replaced by the sign-in name.
    expect(() => identityFromClaims({ sub: '1', email: 'x@millbrook-tc.gov.uk', email_verified: false, preferred_username: 'sam.patel@millbrook-tc.gov.uk' }, ENTRA)).toThrow(
      /has not been verified/,
    );
  });

  it('refuses an email claim that is not an address', () => {
    expect(() => identityFromClaims({ sub: '1', email: 'not an address' }, GOOGLE)).toThrow(/gave “not an address” as your e-mail address, which is not one/);
  });
});
