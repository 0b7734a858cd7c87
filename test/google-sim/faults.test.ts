import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64url, eml, fail, googleErrorOf, startHarness, U, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.close(); });

const list = (user: string) => h.gmail(user).users.messages.list({ userId: 'me' }, { retry: false });

describe('Google simulator: injected faults', () => {
  it('429 rateLimitExceeded, then the next request goes through', async () => {
    h.sim.inject({ kind: 'status', status: 429 }, { path: `/gmail/v1/users/${U.sue}/messages` });
    const e = await fail(list(U.sue));
    expect(e.response?.status).toBe(429);
    expect(googleErrorOf(e)).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED', errors: [{ reason: 'rateLimitExceeded' }] });
    await expect(list(U.sue)).resolves.toMatchObject({ status: 200 });
    expect(h.sim.requests((r) => r.canonicalPath === `/gmail/v1/users/${U.sue}/messages`).map((r) => r.status)).toEqual([429, 200]);
  });

  it('403 rateLimitExceeded and userRateLimitExceeded (domain usageLimits)', async () => {
    h.sim.inject({ kind: 'status', status: 403, reason: 'rateLimitExceeded' }, { path: /\/messages$/ });
    h.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: /\/messages$/ });
    const first = await fail(list(U.sam));
    expect(googleErrorOf(first)).toMatchObject({ code: 403, message: 'Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded' }] });
    const second = await fail(list(U.sam));
    expect(googleErrorOf(second)).toMatchObject({ code: 403, message: 'User Rate Limit Exceeded', errors: [{ domain: 'usageLimits', reason: 'userRateLimitExceeded' }] });
  });

  it('500 before the effect: nothing sent; 503 after the effect: the send went through', async () => {
    const gmail = h.gmail(U.service);
    const raw = (key: string) => b64url(eml({ from: U.service, to: [U.sue], subject: key, headers: { 'X-Wardwatch-Effect': key } }));
    h.sim.inject({ kind: 'status', status: 500 }, { path: '/messages/send', method: 'POST' });
    const before = await fail(gmail.users.messages.send({ userId: 'me', requestBody: { raw: raw('e-500') } }));
    expect(before.response?.status).toBe(500);
    expect(googleErrorOf(before).errors[0]?.reason).toBe('backendError');
    expect(h.sim.sentCount('x-wardwatch-effect', 'e-500')).toBe(0);

    h.sim.inject({ kind: 'status', status: 503, when: 'after' }, { path: '/messages/send' });
    const after = await fail(gmail.users.messages.send({ userId: 'me', requestBody: { raw: raw('e-503') } }));
    expect(after.response?.status).toBe(503);
    expect(h.sim.sentCount('x-wardwatch-effect', 'e-503')).toBe(1);
    expect(h.sim.state.messages(U.sue).some((m) => m.raw.includes('e-503'))).toBe(true);
  });

  it('401 with a token that is still valid; the same token works afterwards', async () => {
    const gmail = h.gmail(U.clerk);
    await gmail.users.getProfile({ userId: 'me' });
    h.sim.inject({ kind: 'unauthorized' }, { path: '/profile' });
    const e = await fail(gmail.users.getProfile({ userId: 'me' }));
    expect(e.response?.status).toBe(401);
    expect(googleErrorOf(e).errors[0]?.reason).toBe('authError');
    await expect(gmail.users.getProfile({ userId: 'me' })).resolves.toMatchObject({ status: 200 });
  });

  it('dropped connections, before and after the effect', async () => {
    const gmail = h.gmail(U.service);
    h.sim.inject({ kind: 'drop' }, { path: '/messages/send' });
    const dropped = await fail(gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(eml({ from: U.service, to: [U.sam], subject: 'd1', headers: { 'X-Wardwatch-Effect': 'd1' } })) } }));
    expect(dropped.response).toBeUndefined();
    expect(h.sim.sentCount('x-wardwatch-effect', 'd1')).toBe(0);
    h.sim.inject({ kind: 'drop', when: 'after' }, { path: '/messages/send' });
    await fail(gmail.users.messages.send({ userId: 'me', requestBody: { raw: b64url(eml({ from: U.service, to: [U.sam], subject: 'd2', headers: { 'X-Wardwatch-Effect': 'd2' } })) } }));
    expect(h.sim.sentCount('x-wardwatch-effect', 'd2')).toBe(1);
    expect(h.sim.requests((r) => r.path.endsWith('/messages/send')).slice(-2).map((r) => r.status)).toEqual([0, 0]);
  });

  it('faults on the token endpoint and on Calendar; stats by kind', async () => {
    h.sim.inject({ kind: 'status', status: 503 }, { path: '/token' });
    const e = await fail(h.auth(U.sam).getAccessToken());
    expect(e.response?.status).toBe(503);
    await expect(h.auth(U.sam).getAccessToken()).resolves.toMatchObject({ token: expect.any(String) });

    h.sim.inject({ kind: 'status', status: 403, reason: 'rateLimitExceeded' }, { path: `/calendar/v3/calendars/${U.clerk}/events`, method: 'GET' });
    const cal = await fail(h.calendar(U.clerk).events.list({ calendarId: 'primary' }));
    expect(googleErrorOf(cal).errors[0]?.reason).toBe('rateLimitExceeded');
    expect(h.sim.faults.stats.fired).toEqual({ status: 7, unauthorized: 1, drop: 2 });
    expect(h.sim.faults.pending()).toEqual([]);
  });
});
