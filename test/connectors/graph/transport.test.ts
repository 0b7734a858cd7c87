/**
 * The Graph transport against the simulator: app-only sign-in with a certificate and with a
 * secret (and what a wrong one says), Retry-After in seconds, as a date and missing, never a
 * request before Retry-After elapsed, four requests in flight per mailbox, a fresh sign-in on
 * 401, sends never repeated after they may have taken effect, $batch with throttled steps, and
 * links sent exactly as Graph gave them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphApiError, GraphOutcomeUnknownError } from '../../../connectors/graph/errors.js';
import { GraphTransport, pageOf } from '../../../connectors/graph/transport.js';
import { Gate } from '../../graph-sim/index.js';
import { EXPIRED_SECRET, MB, SECRET, startTenant, type Tenant } from './sim-setup.js';

let t: Tenant;
beforeEach(async () => {
  t = await startTenant();
});
afterEach(async () => {
  await t.close();
});

const inboxDelta = (mailbox: string) => ({ mailbox, method: 'GET' as const, url: `/users/${mailbox}/mailFolders/inbox/messages/delta`, headers: { Prefer: 'IdType="ImmutableId"' } });

describe('sign-in', () => {
  it('signs in with the certificate and reads a mailbox', async () => {
    const transport = new GraphTransport(t.settings(), t.transportOptions());
    const res = await transport.json(inboxDelta(MB.clerk), pageOf);
    expect(res.deltaLink ?? res.nextLink).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(await transport.checkSignIn()).toBeUndefined();
    expect(t.sim.auth.tokenRequests.length).toBeGreaterThan(0);
  });

  it('signs in with a client secret from the environment', async () => {
    const settings = t.settings({ certificatePath: undefined, clientSecret: '${WARDWATCH_GRAPH_SECRET}' }, {}, { WARDWATCH_GRAPH_SECRET: SECRET });
    const transport = new GraphTransport(settings, t.transportOptions());
    expect(await transport.checkSignIn()).toBeUndefined();
  });

  it('explains an expired secret in plain English, naming the variable, and reports it in health', async () => {
    const settings = t.settings({ certificatePath: undefined, clientSecret: '${WARDWATCH_GRAPH_SECRET}' }, {}, { WARDWATCH_GRAPH_SECRET: EXPIRED_SECRET });
    const transport = new GraphTransport(settings, t.transportOptions());
    const problem = await transport.checkSignIn();
    expect(problem).toContain('AADSTS7000222');
    expect(problem).toContain('has expired');
    expect(problem).toContain('${WARDWATCH_GRAPH_SECRET}');
    expect(problem).not.toContain(EXPIRED_SECRET);
    expect(transport.health()[0]?.lastError?.message).toContain('has expired');
  });

  it('explains a wrong secret and an unknown app', async () => {
    const wrong = new GraphTransport(t.settings({ certificatePath: undefined, clientSecret: '${S}' }, {}, { S: 'not-the-secret' }), t.transportOptions());
    expect(await wrong.checkSignIn()).toMatch(/AADSTS7000215.*Value \(not its Secret ID\)/);
    const unknown = new GraphTransport(t.settings({ clientId: '00000000-1111-2222-3333-444444444444' }), t.transportOptions());
    expect(await unknown.checkSignIn()).toMatch(/AADSTS700016.*Application \(client\) ID/);
  });
});

describe('throttling and faults', () => {
  it('waits out Retry-After in seconds and as an HTTP date, and never comes back early', async () => {
    const options = t.transportOptions();
    const transport = new GraphTransport(t.settings(), options);
    t.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 7 } }, { path: '/mailFolders/inbox/messages/delta' });
    t.sim.inject({ kind: 'status', status: 503, retryAfter: { httpDateInSeconds: 12 } }, { path: '/mailFolders/inbox/messages/delta' });
    await transport.json(inboxDelta(MB.clerk), pageOf);
    expect(options.slept[0]).toBe(7000);
    expect(options.slept[1]).toBeGreaterThanOrEqual(11_000);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('backs off when Retry-After is missing', async () => {
    const options = t.transportOptions();
    const transport = new GraphTransport(t.settings(), options);
    t.sim.inject({ kind: 'status', status: 504, retryAfter: 'none' }, { path: '/mailFolders/inbox/messages/delta', times: 2 });
    await transport.json(inboxDelta(MB.clerk), pageOf);
    expect(options.slept.length).toBe(2);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('holds other requests for a throttled mailbox until Retry-After has elapsed', async () => {
    const options = t.transportOptions();
    const transport = new GraphTransport(t.settings(), options);
    t.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 30 } }, { path: '/mailFolders/inbox/messages/delta' });
    await Promise.all([transport.json(inboxDelta(MB.clerk), pageOf), transport.json({ ...inboxDelta(MB.clerk), url: `/users/${MB.clerk}/mailFolders/sentitems/messages/delta` }, pageOf)]);
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('keeps at most four requests in flight per mailbox', async () => {
    const transport = new GraphTransport(t.settings(), t.transportOptions());
    const gate = new Gate();
    t.sim.inject({ kind: 'hold', gate }, { path: `/users/${MB.clerk}/messages`, times: 10 });
    const reads = Array.from({ length: 8 }, () => transport.json({ mailbox: MB.clerk, method: 'GET', url: `/users/${MB.clerk}/messages` }, pageOf));
    await gate.waiting(4);
    await new Promise((r) => setTimeout(r, 100));
    gate.open();
    await Promise.all(reads);
    expect(t.sim.faults.stats.concurrencyRejections).toBe(0);
  });

  it('signs in afresh once on a 401 with a token that should still be valid', async () => {
    const transport = new GraphTransport(t.settings(), t.transportOptions());
    await transport.json(inboxDelta(MB.clerk), pageOf);
    const before = t.sim.auth.tokenRequests.length;
    t.sim.inject({ kind: 'unauthorized' }, { path: '/mailFolders/inbox/messages/delta' });
    await transport.json(inboxDelta(MB.clerk), pageOf);
    expect(t.sim.auth.tokenRequests.length).toBe(before + 1);
  });

  it('never repeats an unsafe request that may have taken effect (503 after, dropped connection)', async () => {
    const transport = new GraphTransport(t.settings(), t.transportOptions());
    const send = {
      mailbox: MB.service,
      method: 'POST' as const,
      url: `/users/${MB.service}/sendMail`,
      json: { message: { subject: 'Test', body: { contentType: 'text', content: 'x' }, toRecipients: [{ emailAddress: { address: MB.clerk } }] } },
      retry: 'unsafe' as const,
    };
    t.sim.inject({ kind: 'status', status: 503, when: 'after' }, { path: '/sendMail' });
    await expect(transport.request(send)).rejects.toBeInstanceOf(GraphOutcomeUnknownError);
    t.sim.inject({ kind: 'drop', when: 'after' }, { path: '/sendMail' });
    await expect(transport.request(send)).rejects.toBeInstanceOf(GraphOutcomeUnknownError);
    expect(t.sim.state.sent.length).toBe(2);
    // A 429 means Graph did not act: that is retried.
    t.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 1 } }, { path: '/sendMail' });
    await transport.request(send);
    expect(t.sim.state.sent.length).toBe(3);
  });

  it('reports a refusal that retrying cannot cure, naming the mailbox and the permission', async () => {
    const transport = new GraphTransport(t.settings(), t.transportOptions());
    const err = await transport.json({ mailbox: 'nobody@millbrook-tc.gov.uk', method: 'GET', url: '/users/nobody@millbrook-tc.gov.uk/mailFolders/inbox/messages/delta' }, pageOf).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphApiError);
    expect((err as GraphApiError).message).toContain('nobody@millbrook-tc.gov.uk');
    expect((err as GraphApiError).permanent).toBe(true);
  });
});

describe('batch and links', () => {
  it('reads MIME in a $batch, sending throttled steps again after their Retry-After', async () => {
    const options = t.transportOptions();
    const transport = new GraphTransport(t.settings(), options);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await t.sim.deliver(MB.clerk, 'inbox', `From: ${MB.sue}\r\nTo: ${MB.clerk}\r\nSubject: n${i}\r\nMessage-ID: <n${i}@x>\r\n\r\nbody ${i}\r\n`));
    t.sim.inject({ kind: 'status', status: 429, retryAfter: { seconds: 3 } }, { path: /\/messages\/[^/]+\/\$value$/, times: 2 });
    const answers = await transport.batch(MB.clerk, ids.map((id, i) => ({ id: String(i), method: 'GET' as const, url: `/users/${MB.clerk}/messages/${id}/$value` })));
    expect([...answers.values()].map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(Buffer.isBuffer(answers.get('3')?.body)).toBe(true);
    expect(String(answers.get('3')?.body)).toContain('Subject: n3');
    expect(t.sim.faults.stats.earlyRetries).toBe(0);
  });

  it('follows a delta link exactly as given, and refuses a link to another host', async () => {
    const transport = new GraphTransport(t.settings(), t.transportOptions());
    await t.sim.deliver(MB.clerk, 'inbox', `From: ${MB.sue}\r\nTo: ${MB.clerk}\r\nSubject: a\r\nMessage-ID: <a@x>\r\n\r\nx\r\n`);
    let page = await transport.json(inboxDelta(MB.clerk), pageOf);
    while (page.nextLink) page = await transport.json({ mailbox: MB.clerk, method: 'GET', url: page.nextLink }, pageOf);
    const link = page.deltaLink ?? '';
    await transport.json({ mailbox: MB.clerk, method: 'GET', url: link }, pageOf);
    const last = t.sim.requests().at(-1);
    expect(`${t.sim.origin}/v1.0${last?.path ?? ''}?${decodeURIComponent(last?.query ?? '')}`).toBe(link);
    await expect(transport.json({ mailbox: MB.clerk, method: 'GET', url: link.replace('127.0.0.1', 'localhost') }, pageOf)).rejects.toThrow(/another host/);
  });
});
