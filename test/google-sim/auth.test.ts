import { createSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, UNAUTHORIZED_CLIENT_MESSAGE } from './auth.js';
import { gmailClient, makeServiceAccountKey, serviceAccountAuth } from './client.js';
import { CLIENT_EMAIL, fail, googleErrorOf, startHarness, U, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

describe('Google simulator: service account sign-in with domain-wide delegation', () => {
  it('issues a token for a granted scope and an existing user, and the SDK uses it', async () => {
    const auth = h.auth(U.clerk, [SCOPES.gmailReadonly]);
    const { token } = await auth.getAccessToken();
    expect(token).toMatch(/^ya29\./);
    const profile = await gmailClient(h.sim, auth).users.getProfile({ userId: 'me' });
    expect(profile.data.emailAddress).toBe(U.clerk);
    const tokenCall = h.sim.requests((r) => r.api === 'oauth').at(-1);
    expect(tokenCall).toMatchObject({ method: 'POST', path: '/token', status: 200, user: U.clerk });
    expect(h.sim.auth.tokenRequests.at(-1)).toMatchObject({ clientEmail: CLIENT_EMAIL, sub: U.clerk, ok: true });
  });

  it('a sub that is not a user of the domain: 400 invalid_grant "Invalid email or User ID"', async () => {
    const e = await fail(h.auth('nobody@millbrook-tc.gov.uk').getAccessToken());
    expect(e.response?.status).toBe(400);
    expect(e.response?.data).toEqual({ error: 'invalid_grant', error_description: 'Invalid email or User ID' });
    expect(e.message).toBe('invalid_grant: Invalid email or User ID');
  });

  it('a scope the domain did not grant: 401 unauthorized_client with Google\'s message', async () => {
    const e = await fail(h.auth(U.clerk, [SCOPES.gmailReadonly, SCOPES.gmailModify]).getAccessToken());
    expect(e.response?.status).toBe(401);
    expect(e.response?.data).toEqual({ error: 'unauthorized_client', error_description: UNAUTHORIZED_CLIENT_MESSAGE });
  });

  it('an account with no grant at all, and a key the simulator does not know', async () => {
    const other = makeServiceAccountKey('other@millbrook-wardwatch.iam.gserviceaccount.com');
    h.sim.addServiceAccount({ clientEmail: other.clientEmail, publicKeyPem: other.publicKeyPem, grants: { scopes: [] } });
    const e = await fail(serviceAccountAuth(h.sim, other, { subject: U.clerk, scopes: [SCOPES.gmailReadonly] }).getAccessToken());
    expect(e.response?.status).toBe(401);
    expect((e.response?.data as { error: string }).error).toBe('unauthorized_client');

    const forged = makeServiceAccountKey(CLIENT_EMAIL);
    const bad = await fail(serviceAccountAuth(h.sim, forged, { subject: U.clerk, scopes: [SCOPES.gmailReadonly] }).getAccessToken());
    expect(bad.response?.data).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  });

  it('checks aud and the assertion\'s lifetime', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>): string => {
      const head = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(h.key.privateKeyPem).toString('base64url');
      return `${head}.${body}.${sig}`;
    };
    const post = async (assertion: string): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(h.sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
      return { status: res.status, body: await res.json() };
    };
    const base = { iss: CLIENT_EMAIL, sub: U.clerk, scope: SCOPES.gmailReadonly, aud: 'https://oauth2.googleapis.com/token', iat: now, exp: now + 3600 };
    expect((await post(sign(base))).status).toBe(200);
    expect(await post(sign({ ...base, aud: 'https://example.com/' }))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await post(sign({ ...base, iat: now - 7200, exp: now - 3600 }))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('a token is bound to its user and scopes: another mailbox → 403 Delegation denied; a missing scope → 403 insufficientPermissions', async () => {
    const gmail = h.gmail(U.clerk, [SCOPES.gmailReadonly]);
    const other = await fail(gmail.users.messages.list({ userId: U.sue }));
    expect(other.response?.status).toBe(403);
    expect(googleErrorOf(other)).toMatchObject({ code: 403, message: `Delegation denied for ${U.clerk}`, status: 'PERMISSION_DENIED', errors: [{ reason: 'forbidden' }] });

    const noSend = await fail(gmail.users.messages.send({ userId: 'me', requestBody: { raw: 'eA' } }));
    expect(noSend.response?.status).toBe(403);
    expect(googleErrorOf(noSend)).toMatchObject({ message: 'Request had insufficient authentication scopes.', errors: [{ reason: 'insufficientPermissions' }] });

    const noCal = await fail(h.calendar(U.clerk, [SCOPES.gmailReadonly]).events.list({ calendarId: 'primary' }));
    expect(googleErrorOf(noCal).errors[0]?.reason).toBe('insufficientPermissions');
  });

  it('tokens last an hour on the simulator clock; then 401 authError', async () => {
    const gmail = h.gmail(U.sam, [SCOPES.gmailReadonly]);
    await gmail.users.getProfile({ userId: 'me' });
    h.clock.advance(3_600_000);
    const e = await fail(gmail.users.getProfile({ userId: 'me' }));
    expect(e.response?.status).toBe(401);
    expect(googleErrorOf(e)).toMatchObject({ status: 'UNAUTHENTICATED', errors: [{ reason: 'authError', message: 'Invalid Credentials' }] });
  });
});
