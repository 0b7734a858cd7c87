/**
 * The Google transport against the simulator: a token per user and scope set, what a missing
 * domain-wide delegation grant and an unknown user say (in plain English, naming the Admin
 * console's page, the client ID and exactly the scopes), backoff on 429 and 403 rate limits, a
 * send never repeated after it may have taken effect, one fresh sign-in on a 401, dropped
 * connections retried for reads, four requests in flight per user, stale history ids and sync
 * tokens reported as `gone`, paging, and Gmail quota units counted as Google counts them. Also the
 * settings: the key from a file or a variable, the scopes chosen, and messages that say what to change.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GoogleConfigError,
  GoogleConnectorSchema,
  parseGoogleSettings,
  parseGoogleTuning,
  requiredScopes,
  SCOPES,
} from '../../../connectors/google/config.js';
import { GoogleApiError, GoogleOutcomeUnknownError, GoogleSignInError } from '../../../connectors/google/errors.js';
import { gmailQuotaUnits, GoogleTransport, MAX_CALL_WAIT_MS } from '../../../connectors/google/transport.js';
import { CLIENT_ID, DEFAULT_CONTEXT, ROOM, startWorkspace, USER, type Workspace } from './sim-setup.js';

const DELEGATION_PAGE = 'Security › Access and data control › API controls › Manage Domain Wide Delegation';

let w: Workspace;
beforeEach(async () => {
  w = await startWorkspace();
});
afterEach(async () => {
  await w.close();
});

const mail = (from: string, to: string, subject: string, id: string): string =>
  `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@millbrook-tc.gov.uk>\r\nDate: Mon, 12 Apr 2027 09:00:00 +0100\r\n\r\nHello.\r\n`;

const rawOf = (text: string): string => Buffer.from(text).toString('base64url');

const tokenRequests = (): number => w.sim.requests((r) => r.api === 'oauth').length;

describe('sign-in', () => {
  it('signs in as each user with the scopes it is used for, and keeps each token', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    const profile = await t.call(t.gmail(USER.clerk), 'reading the profile', (g, o) => g.users.getProfile({ userId: 'me' }, o));
    expect(profile.data.emailAddress).toBe(USER.clerk);
    await t.call(t.gmail(USER.sue), 'reading the profile', (g, o) => g.users.getProfile({ userId: 'me' }, o));
    await t.call(t.calendar(USER.clerk), 'reading the calendar', (c, o) => c.events.list({ calendarId: ROOM, maxResults: 10 }, o));
    await t.call(t.gmail(USER.clerk), 'reading the profile again', (g, o) => g.users.getProfile({ userId: 'me' }, o));
    expect(tokenRequests()).toBe(3);
    expect(t.tokenRequestCount).toBe(3);
    const api = w.sim.requests((r) => r.api !== 'oauth');
    expect(api.map((r) => r.user)).toEqual([USER.clerk, USER.sue, USER.clerk, USER.clerk]);
    expect(t.requestCount).toBe(4);
    expect(t.health().map((h) => h.source).sort()).toEqual([`google:${USER.clerk}`, `google:${USER.sue}`]);
    expect(await t.checkAllSignIns()).toEqual([]);
  });

  it('names the missing Admin-console grant (page, client ID, exactly the scopes) when delegation lacks a scope, and remembers it', async () => {
    await w.close();
    w = await startWorkspace({ scopes: [SCOPES.gmailRead] });
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    // Reading mail works: gmail.readonly is granted.
    await t.call(t.gmail(USER.clerk), 'reading the profile', (g, o) => g.users.getProfile({ userId: 'me' }, o));
    const err = await t.call(t.calendar(USER.clerk), 'reading the council calendar', (c, o) => c.events.list({ calendarId: USER.clerk }, o)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleSignInError);
    const e = err as GoogleSignInError;
    expect(e.failure).toBe('delegation');
    expect(e.code).toBe('unauthorized_client');
    expect(e.permanent).toBe(true);
    expect(e.message).toContain(`act as ${USER.clerk}`);
    expect(e.message).toContain(DELEGATION_PAGE);
    expect(e.message).toContain(`client ID ${CLIENT_ID}`);
    expect(e.message).toContain(`exactly these OAuth scopes: ${SCOPES.gmailRead},${SCOPES.gmailSend},${SCOPES.calendar}`);
    expect(t.signInProblem()).toBe(e.message);
    expect(t.health().find((h) => h.source === `google:${USER.clerk}`)?.lastError?.message).toContain(DELEGATION_PAGE);
    // Remembered: the next call within a minute does not ask Google again.
    const before = tokenRequests();
    await expect(t.call(t.calendar(USER.clerk), 'reading the council calendar', (c, o) => c.events.list({ calendarId: USER.clerk }, o))).rejects.toBe(e);
    expect(tokenRequests()).toBe(before);
    expect((await t.checkAllSignIns()).filter((p) => p.includes('unauthorized_client')).length).toBeGreaterThan(0);
  });

  it('says plainly that a user is not in the Workspace', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    const err = await t.call(t.gmail('nobody@millbrook-tc.gov.uk'), 'reading the inbox', (g, o) => g.users.messages.list({ userId: 'me' }, o)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleSignInError);
    expect((err as GoogleSignInError).failure).toBe('unknown-user');
    expect((err as GoogleSignInError).message).toMatch(/Google does not know the user nobody@millbrook-tc\.gov\.uk \(invalid_grant\).*not a group, an alias or a suspended account/);
    // The others go on.
    await t.call(t.gmail(USER.clerk), 'reading the inbox', (g, o) => g.users.messages.list({ userId: 'me' }, o));
  });

  it('names the scope and the grant when a call needs a scope the token lacks', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    const err = await t
      .call(t.gmail(USER.service), 'sending a nudge', (g, o) => g.users.messages.send({ userId: 'me', requestBody: { raw: rawOf(mail(USER.service, USER.sue, 'x', 'scope')) } }, o), { retry: 'unsafe' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleApiError);
    const e = err as GoogleApiError;
    expect(e.status).toBe(403);
    expect(e.reason).toBe('insufficientPermissions');
    expect(e.permanent).toBe(true);
    expect(e.message).toContain(`it had ${SCOPES.gmailRead}`);
    expect(e.message).toContain(DELEGATION_PAGE);
    expect(w.sim.state.sent.length).toBe(0);
  });
});

describe('quotas and faults', () => {
  const list = (t: GoogleTransport, user: string = USER.clerk) => t.call(t.gmail(user), 'reading the inbox', (g, o) => g.users.messages.list({ userId: 'me', labelIds: ['INBOX'] }, o));

  it('backs off on 429 and on 403 userRateLimitExceeded and rateLimitExceeded, then succeeds', async () => {
    const options = w.transportOptions();
    const t = new GoogleTransport(w.settings(), options);
    w.sim.inject({ kind: 'status', status: 429 }, { path: '/messages' });
    w.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: '/messages' });
    w.sim.inject({ kind: 'status', status: 403, reason: 'rateLimitExceeded' }, { path: '/messages' });
    const res = await list(t);
    expect(res.status).toBe(200);
    expect(w.sim.faults.stats.fired['status']).toBe(3);
    // Exponential backoff with jitter: attempt n waits between half and all of 10 ms × 2^(n-1).
    expect(options.slept).toHaveLength(3);
    options.slept.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual((10 * 2 ** i) / 2);
      expect(ms).toBeLessThanOrEqual(10 * 2 ** i);
    });
  });

  it('honours Retry-After when Google gives one, for every request as that user', async () => {
    const options = w.transportOptions();
    const t = new GoogleTransport(w.settings(), options);
    w.sim.inject({ kind: 'status', status: 429, retryAfterSeconds: 7 }, { path: '/messages' });
    await Promise.all([list(t), t.call(t.gmail(USER.clerk), 'reading the profile', (g, o) => g.users.getProfile({ userId: 'me' }, o))]);
    expect(options.slept[0]).toBe(7000);
    const after = w.sim.requests((r) => r.api === 'gmail' && r.status === 200);
    const throttledAt = w.sim.requests((r) => r.status === 429)[0]?.at ?? 0;
    // The retried list went only after the wait; the profile, had it waited behind the list, too.
    expect(after.filter((r) => r.path.endsWith('/messages')).every((r) => r.at >= throttledAt + 7000)).toBe(true);
  });

  it('gives up on a rate limit that lasts, saying so', async () => {
    const t = new GoogleTransport(w.settings(), { ...w.transportOptions(), maxAttempts: 3 });
    w.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: '/messages', times: 3 });
    const err = await list(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleApiError);
    expect((err as GoogleApiError).failure).toBe('throttled');
    expect((err as GoogleApiError).permanent).toBe(false);
    expect((err as GoogleApiError).message).toContain(`Google is limiting requests for ${USER.clerk}`);
  });

  it('does not wait hours within a call: a Retry-After beyond the cap fails it as throttled at once, and holds up nothing after', async () => {
    const options = w.transportOptions();
    const t = new GoogleTransport(w.settings(), options);
    const before = w.clock.now();
    w.sim.inject({ kind: 'status', status: 429, retryAfterSeconds: 3 * 3600 }, { path: '/messages' });
    const err = await list(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleApiError);
    expect((err as GoogleApiError).failure).toBe('throttled');
    expect((err as GoogleApiError).permanent).toBe(false);
    expect((err as GoogleApiError).retryAt?.getTime()).toBe(before + 3 * 3600_000);
    expect(options.slept.every((ms) => ms <= MAX_CALL_WAIT_MS)).toBe(true);
    expect(w.sim.requests((r) => r.status === 429)).toHaveLength(1);
    // The next request as that user goes at once (the next round is not held up for hours either).
    expect((await list(t)).status).toBe(200);
    expect(options.slept.every((ms) => ms <= MAX_CALL_WAIT_MS)).toBe(true);
    // A wait within the cap is still taken.
    w.sim.inject({ kind: 'status', status: 429, retryAfterSeconds: 240 }, { path: '/messages' });
    expect((await list(t)).status).toBe(200);
    expect(options.slept).toContain(240_000);
  });

  it('reads Gmail\'s "Retry after <time>" (the mail-sending limit) as the wait when there is no Retry-After', async () => {
    const options = w.transportOptions();
    const t = new GoogleTransport(w.settings(), options);
    const soon = new Date(w.clock.now() + 90_000).toISOString();
    w.sim.inject({ kind: 'status', status: 429, message: `User-rate limit exceeded.  Retry after ${soon} (Mail sending)` }, { path: '/messages' });
    expect((await list(t)).status).toBe(200);
    expect(options.slept).toEqual([90_000]);
    const later = new Date(w.clock.now() + 5 * 3600_000).toISOString();
    w.sim.inject({ kind: 'status', status: 429, message: `User-rate limit exceeded.  Retry after ${later} (Mail sending)` }, { path: '/messages' });
    const err = await list(t).catch((e: unknown) => e);
    expect((err as GoogleApiError).failure).toBe('throttled');
    expect((err as GoogleApiError).retryAt?.toISOString()).toBe(later);
    expect(options.slept).toEqual([90_000]);
  });

  it('with one request at a time, a call called off while waiting for the slot leaves the queue and does not swallow the wake-up', async () => {
    const t = new GoogleTransport(w.settings(), { ...w.transportOptions(), concurrency: 1 });
    expect(t.concurrency).toBe(1);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    const first = t.call(t.gmail(USER.clerk), 'reading the inbox', async (g, o) => {
      await gate;
      return await g.users.messages.list({ userId: 'me' }, o);
    });
    const stop = new AbortController();
    const waiting = [1, 2].map(() => list(t).catch(() => 'failed'));
    const calledOff = t.call(t.gmail(USER.clerk), 'reading the inbox', (g, o) => g.users.messages.list({ userId: 'me' }, o), { signal: stop.signal }).then(() => 'done', () => 'called off');
    const third = list(t);
    // Give every call time to queue for the slot.
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    expect(await calledOff).toBe('called off');
    open();
    const settled = await Promise.race([
      Promise.all([first, ...waiting, third]).then(() => 'all done'),
      new Promise((r) => setTimeout(() => r('stuck'), 5_000)),
    ]);
    expect(settled).toBe('all done');
  });

  it('retries 5xx for a safe call', async () => {
    const options = w.transportOptions();
    const t = new GoogleTransport(w.settings(), options);
    w.sim.inject({ kind: 'status', status: 503 }, { path: '/messages' });
    w.sim.inject({ kind: 'status', status: 500 }, { path: '/messages' });
    expect((await list(t)).status).toBe(200);
    // The transport retried (and waited), not gaxios on its own.
    expect(options.slept).toHaveLength(2);
    expect(w.sim.requests((r) => r.path.endsWith('/messages')).length).toBe(3);
  });

  it('never repeats a send that may have taken effect (5xx after it, connection dropped after it), but repeats one Google did not act on', async () => {
    const t = new GoogleTransport({ ...w.settings() }, w.transportOptions());
    const send = (n: number) =>
      t.call(t.gmail(USER.service, 'send'), 'sending a nudge', (g, o) => g.users.messages.send({ userId: 'me', requestBody: { raw: rawOf(mail(USER.service, USER.sue, `n${n}`, `send-${n}`)) } }, o), {
        retry: 'unsafe',
      });
    w.sim.inject({ kind: 'status', status: 500, when: 'after' }, { path: '/messages/send' });
    const first = await send(1).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(GoogleOutcomeUnknownError);
    expect((first as GoogleOutcomeUnknownError).subject).toBe(USER.service);
    expect(w.sim.state.sent.length).toBe(1);

    w.sim.inject({ kind: 'drop', when: 'after' }, { path: '/messages/send' });
    await expect(send(2)).rejects.toBeInstanceOf(GoogleOutcomeUnknownError);
    expect(w.sim.state.sent.length).toBe(2);
    expect(w.sim.requests((r) => r.path.endsWith('/messages/send')).length).toBe(2);

    // 429 and 403 rate limits: Google did not act, so the send is tried again, once it may be.
    w.sim.inject({ kind: 'status', status: 429 }, { path: '/messages/send' });
    w.sim.inject({ kind: 'status', status: 403, reason: 'userRateLimitExceeded' }, { path: '/messages/send' });
    await send(3);
    expect(w.sim.state.sent.length).toBe(3);
    expect(w.sim.sentCount('message-id', '<send-3@millbrook-tc.gov.uk>')).toBe(1);
  });

  it('signs in afresh once on a 401 with a token that should still be valid, sends included', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    await list(t);
    const before = tokenRequests();
    w.sim.inject({ kind: 'unauthorized' }, { path: '/messages' });
    expect((await list(t)).status).toBe(200);
    expect(tokenRequests()).toBe(before + 1);

    // A send refused with 401 did not happen: signed in afresh and sent once.
    const sendClient = t.gmail(USER.service, 'send');
    await t.call(sendClient, 'signing in', async () => undefined);
    w.sim.inject({ kind: 'unauthorized' }, { path: '/messages/send' });
    await t.call(sendClient, 'sending a nudge', (g, o) => g.users.messages.send({ userId: 'me', requestBody: { raw: rawOf(mail(USER.service, USER.sue, 's', 'after-401')) } }, o), { retry: 'unsafe' });
    expect(w.sim.sentCount('message-id', '<after-401@millbrook-tc.gov.uk>')).toBe(1);

    // Two 401s in a row: signed in afresh once, then the error.
    w.sim.inject({ kind: 'unauthorized' }, { path: '/messages', times: 2 });
    const err = await list(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoogleApiError);
    expect((err as GoogleApiError).failure).toBe('unauthorised');
  });

  it('tries a read again when the connection drops', async () => {
    const options = w.transportOptions();
    const t = new GoogleTransport(w.settings(), options);
    w.sim.inject({ kind: 'drop' }, { path: '/messages' });
    w.sim.inject({ kind: 'drop', when: 'after' }, { path: '/messages' });
    expect((await list(t)).status).toBe(200);
    expect(w.sim.faults.stats.fired['drop']).toBe(2);
    expect(options.slept).toHaveLength(2);
  });

  it('keeps at most four requests in flight per user, and does not hold up other users', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const slow = (user: string) =>
      t.call(t.gmail(user), 'reading the inbox', async (g, o) => {
        inFlight.set(user, (inFlight.get(user) ?? 0) + 1);
        most.set(user, Math.max(most.get(user) ?? 0, inFlight.get(user) ?? 0));
        try {
          await new Promise((r) => setTimeout(r, 15));
          return await g.users.messages.list({ userId: 'me' }, o);
        } finally {
          inFlight.set(user, (inFlight.get(user) ?? 0) - 1);
        }
      });
    await Promise.all([...Array.from({ length: 10 }, () => slow(USER.clerk)), ...Array.from({ length: 3 }, () => slow(USER.sue))]);
    expect(most.get(USER.clerk)).toBe(4);
    expect(most.get(USER.sue)).toBe(3);
  });

  it('reports a stale history id and an expired sync token as gone, and a missing message as not found', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    await w.sim.deliver(USER.clerk, mail(USER.sue, USER.clerk, 'a', 'a'));
    const profile = await t.call(t.gmail(USER.clerk), 'reading the profile', (g, o) => g.users.getProfile({ userId: 'me' }, o));
    await w.sim.deliver(USER.clerk, mail(USER.sue, USER.clerk, 'b', 'b'));
    w.sim.state.expireHistory(USER.clerk);
    const stale = await t
      .call(t.gmail(USER.clerk), 'reading the history', (g, o) => g.users.history.list({ userId: 'me', startHistoryId: profile.data.historyId ?? '1' }, o))
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(GoogleApiError);
    expect((stale as GoogleApiError).status).toBe(404);
    expect((stale as GoogleApiError).failure).toBe('gone');

    const cal = t.calendar(USER.clerk);
    const first = await t.call(cal, 'reading the room', (c, o) => c.events.list({ calendarId: ROOM }, o));
    w.sim.state.expireSyncTokens(ROOM);
    const expired = await t.call(cal, 'reading the room', (c, o) => c.events.list({ calendarId: ROOM, syncToken: first.data.nextSyncToken ?? '' }, o)).catch((e: unknown) => e);
    expect((expired as GoogleApiError).status).toBe(410);
    expect((expired as GoogleApiError).failure).toBe('gone');

    const missing = await t.call(t.gmail(USER.clerk), 'reading a message', (g, o) => g.users.messages.get({ userId: 'me', id: 'nosuchmessage', format: 'raw' }, o)).catch((e: unknown) => e);
    expect((missing as GoogleApiError).failure).toBe('not-found');
    expect((missing as GoogleApiError).permanent).toBe(true);
  });

  it('reads every page, and counts Gmail quota units as Google does', async () => {
    const t = new GoogleTransport(w.settings(), w.transportOptions());
    for (let i = 0; i < 7; i++) await w.sim.deliver(USER.clerk, mail(USER.sue, USER.clerk, `m${i}`, `m${i}`));
    const ids: string[] = [];
    let pages = 0;
    for await (const page of t.pages(t.gmail(USER.clerk), 'reading the inbox', (g, pageToken, o) => g.users.messages.list({ userId: 'me', labelIds: ['INBOX'], maxResults: 3, ...(pageToken ? { pageToken } : {}) }, o))) {
      pages++;
      for (const m of page.messages ?? []) ids.push(m.id ?? '');
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(7);
    const first = ids[0] ?? '';
    const got = await t.call(t.gmail(USER.clerk), 'reading a message', (g, o) => g.users.messages.get({ userId: 'me', id: first, format: 'raw' }, o));
    expect(Buffer.from(got.data.raw ?? '', 'base64url').toString()).toMatch(/^From: /);
    await t.call(t.gmail(USER.clerk), 'reading the history', (g, o) => g.users.history.list({ userId: 'me', startHistoryId: '1000' }, o)).catch(() => undefined);
    expect(t.quotaUnits(USER.clerk)).toBe(w.sim.quotaUnits(USER.clerk));
    expect(t.quotaUnits(USER.clerk)).toBe(3 * 5 + 5 + 2);
    expect(gmailQuotaUnits('POST', `/gmail/v1/users/me/messages/send`)).toBe(100);
    expect(gmailQuotaUnits('GET', `/calendar/v3/calendars/${ROOM}/events`)).toBe(0);
  });
});

describe('settings', () => {
  const parse = (section: Record<string, unknown>, env: Record<string, string> = {}, context = {}) => parseGoogleSettings(GoogleConnectorSchema.parse(section), { ...DEFAULT_CONTEXT, ...context }, env);

  it('reads the key from a file, from a variable holding the JSON, or its base64', () => {
    const fromFile = parse({ keyFile: w.keyPath });
    expect(fromFile.key.clientEmail).toBe(w.keyJson.client_email);
    expect(fromFile.key.clientId).toBe(CLIENT_ID);
    const json = JSON.stringify(w.keyJson);
    expect(parse({ key: '${WARDWATCH_GOOGLE_KEY}' }, { WARDWATCH_GOOGLE_KEY: json }).key.privateKey).toBe(w.keyJson.private_key);
    expect(parse({ key: '${WARDWATCH_GOOGLE_KEY}' }, { WARDWATCH_GOOGLE_KEY: Buffer.from(json).toString('base64') }).key.origin).toBe('the variable WARDWATCH_GOOGLE_KEY');
    expect(parse({ keyFile: '${KEY_PATH}' }, { KEY_PATH: w.keyPath }).key.clientId).toBe(CLIENT_ID);
  });

  it('says what to change when the key is missing, doubled, unset or not a service account key', () => {
    expect(() => parse({})).toThrow(/needs the service account's key: keyFile .* or key/);
    expect(() => parse({ keyFile: w.keyPath, key: '${K}' })).toThrow(/both keyFile and key/);
    expect(() => parse({ key: '${WARDWATCH_GOOGLE_KEY}' })).toThrow(/WARDWATCH_GOOGLE_KEY is not set/);
    const user = join(w.dir, 'oauth-client.json');
    writeFileSync(user, JSON.stringify({ type: 'authorized_user', client_id: 'x', client_secret: 'y', refresh_token: 'z' }));
    expect(() => parse({ keyFile: user })).toThrow(/"authorized_user" credential, not a service account key/);
    expect(() => parse({ keyFile: join(w.dir, 'absent.json') })).toThrow(/could not be read/);
    expect(() => GoogleConnectorSchema.parse({ keyFile: 'k.json', key: 'the-json-itself' })).toThrow(/environment variable reference/);
    expect(() => GoogleConnectorSchema.parse({ keyFile: 'k.json', rootUrl: 'http://127.0.0.1:1/' })).toThrow();
  });

  it('maps calendars to Google calendar ids and acting users, and refuses a resource calendar without one', () => {
    const s = w.settings();
    expect(s.calendars).toEqual([
      { id: 'council-events', googleId: USER.clerk, actAs: USER.clerk, role: 'council' },
      { id: 'council-chamber', googleId: ROOM, actAs: USER.clerk, role: 'room' },
    ]);
    expect(() => parse({ keyFile: w.keyPath, calendars: { 'council-chamber': ROOM } })).toThrow(/write it as \{ id: c_1888.*actAs: <the address of a user with "Make changes to events" access/);
    expect(() => parse({ keyFile: w.keyPath, calendars: { 'old-room': USER.clerk } })).toThrow(/not in the config's calendars \(council-events, council-chamber\)/);
    expect(() => parse({ keyFile: w.keyPath, mailboxes: [USER.raj] })).toThrow(GoogleConfigError);
  });

  it('asks for the fewest scopes: read, send only when Google sends, calendar only with calendars', () => {
    expect(requiredScopes(w.settings())).toEqual([SCOPES.gmailRead, SCOPES.gmailSend, SCOPES.calendar]);
    expect(requiredScopes(w.settings({ calendars: {} }, { sends: false }))).toEqual([SCOPES.gmailRead]);
    expect(requiredScopes(w.settings({ mailboxes: [] }, { sends: false }))).toEqual([SCOPES.calendar]);
  });

  it('takes test addresses only through tuning, checked', () => {
    expect(parseGoogleTuning({ rootUrl: w.sim.rootUrl, tokenUrl: w.sim.tokenUrl })).toEqual({ rootUrl: w.sim.rootUrl, tokenUrl: w.sim.tokenUrl });
    expect(parseGoogleTuning(undefined)).toEqual({});
    expect(() => parseGoogleTuning({ rootUrl: 'http://evil.example/' })).toThrow(/https address/);
    expect(() => parseGoogleTuning({ pollSeconds: 1 })).toThrow(GoogleConfigError);
  });
});
