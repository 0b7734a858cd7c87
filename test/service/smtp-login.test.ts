/**
 * A mail server that refuses Wardwatch's SMTP login (535): the service says so on /healthz (503,
 * with what to do), /metrics and to the digest, and holds its outbox — no queued message is
 * tried, so none burns an attempt and the account is not locked by a login per message.
 */
import { utimesSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { A } from '../support/council.js';
import { FakeSmtpServer } from '../support/fake-smtp-server.js';
import { assembleForTest, capacityMailFrom, dropMail, makeCouncil, waitFor, type TestCouncil } from './helpers.js';

const USER = 'protocol@millbrook-tc.gov.uk';
const cleanups: (() => Promise<void> | void)[] = [];
let council: TestCouncil | undefined;
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  council?.remove();
  council = undefined;
  delete process.env.WW_TEST_SMTP_PASSWORD;
});

describe('a refused SMTP login', () => {
  it('makes /healthz answer 503 with what to do, /metrics say the sender is down, and tries no queued message', async () => {
    const server = new FakeSmtpServer({ user: USER, pass: 'the-right-one' });
    const port = await server.start();
    cleanups.push(() => server.stop());
    process.env.WW_TEST_SMTP_PASSWORD = 'an-old-one';
    council = makeCouncil({ sender: { kind: 'smtp', host: '127.0.0.1', port, plainLocal: true, user: USER, password: '${WW_TEST_SMTP_PASSWORD}' } });
    const { service, store } = await assembleForTest(council, { tuning: { outboxIntervalMs: 50 } });
    const started = await service.start();
    cleanups.push(() => service.stop());

    const mails = [1, 2, 3].map((n) => capacityMailFrom(n, A.sue));
    for (const [i, m] of mails.entries()) {
      const file = dropMail(council, A.sue, 'Sent Items', `hedge-${i}.eml`, m.content);
      const past = new Date(Date.now() - 60_000);
      utimesSync(file, past, past);
    }
    await waitFor('the mail to be judged', async () => (await store.listEffects({ kinds: ['nudge'] })).length === mails.length);

    const res = await waitFor('/healthz to report the refused login', async () => {
      const r = await fetch(`http://127.0.0.1:${started.port}/healthz`);
      return r.status === 503 ? r : undefined;
    });
    const body = (await res.json()) as { error: string; problems: { what: string; reason: string; since?: string }[] };
    expect(body.problems).toEqual([
      {
        what: 'sender',
        reason: expect.stringMatching(/refused Wardwatch's SMTP login as protocol@millbrook-tc\.gov\.uk \(535 .*\), so no mail is being sent\. Please check sender\.user and the password in the environment variable that sender\.password names/),
        since: expect.any(String),
      },
    ]);
    expect(body.error).not.toContain('an-old-one');
    const metrics = await (await fetch(`http://127.0.0.1:${started.port}/metrics`)).text();
    expect(metrics).toMatch(/^sender_up 0$/m);
    // The digest lists what /healthz does.
    expect((await service.health()).problems.map((p) => p.what)).toEqual(['sender']);

    // Many outbox rounds later: the one login at start, no message tried, no attempt counted.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(server.authAttempts).toBe(1);
    expect(server.deliveries).toEqual([]);
    for (const effect of await store.listEffects({ kinds: ['nudge'] })) {
      expect(effect.state).toBe('pending');
      expect(effect.attempts).toBe(0);
    }
  });
});
