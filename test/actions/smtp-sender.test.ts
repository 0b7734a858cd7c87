import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender } from '../../src/actions/senders.js';
import { isPermanentSmtpError, smtpSenderFromConfig, type SmtpSender, type SmtpSenderConfig } from '../../src/actions/smtp-sender.js';
import { FileSender } from '../../src/actions/file-sender.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { Engine } from '../../src/engine/engine.js';
import { effectKey, effectMessageId } from '../../src/outbox/idempotency.js';
import { Outbox, PermanentEffectError, planningContextFrom, SendInDoubtError } from '../../src/outbox/outbox.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { OutgoingMessage } from '../../src/sources/types.js';
import { councilConfigInput } from '../support/council.js';
import { FakeSmtpServer } from '../support/fake-smtp-server.js';
import { enqueue } from '../../src/outbox/enqueue.js';

function message(to: string, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    from: { address: 'protocol@millbrook-tc.gov.uk', name: 'Millbrook Town Council protocol' },
    to: [{ address: to }],
    subject: 'A reminder about the Member/Officer Protocol',
    text: 'Dear Sam,\n\nPlease copy councillors openly.\n',
    html: '<p>Please copy councillors openly.</p>',
    messageId: '<ww-feed@millbrook-tc.gov.uk>',
    headers: { 'X-Wardwatch-Key': 'ww1;no-blind-copies;<m1@x>;sam.patel@millbrook-tc.gov.uk;nudge' },
    ...overrides,
  };
}

const senders: SmtpSender[] = [];
let server: FakeSmtpServer;
let port: number;

/** The fake server is on this machine and speaks no TLS: a plain login to it is allowed only by plainLocal. */
function smtpConfig(extra: Partial<SmtpSenderConfig> = {}): SmtpSenderConfig {
  return { kind: 'smtp', host: '127.0.0.1', port, secure: false, plainLocal: true, ...extra };
}

function track(sender: SmtpSender): SmtpSender {
  senders.push(sender);
  return sender;
}

describe('SmtpSender', () => {
  beforeEach(async () => {
    server = new FakeSmtpServer({ user: 'protocol@millbrook-tc.gov.uk', pass: 's3cret-pass' });
    port = await server.start();
  });
  afterEach(async () => {
    for (const s of senders.splice(0)) await s.close();
    await server.stop();
  });

  it('authenticates with the password from the named environment variable and delivers the message', async () => {
    const sender = track(
      smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${WARDWATCH_SMTP_PASSWORD}' }), {
        env: { WARDWATCH_SMTP_PASSWORD: 's3cret-pass' },
      }),
    );
    await sender.send(message('sam.patel@millbrook-tc.gov.uk'));
    expect(server.deliveries).toHaveLength(1);
    const [delivery] = server.deliveries;
    expect(delivery?.user).toBe('protocol@millbrook-tc.gov.uk');
    expect(delivery?.from).toBe('protocol@millbrook-tc.gov.uk');
    expect(delivery?.to).toEqual(['sam.patel@millbrook-tc.gov.uk']);
    const parsed = await simpleParser(delivery?.data ?? '');
    expect(parsed.messageId).toBe('<ww-feed@millbrook-tc.gov.uk>');
    expect(parsed.headers.get('x-wardwatch-key')).toBe('ww1;no-blind-copies;<m1@x>;sam.patel@millbrook-tc.gov.uk;nudge');
    expect(parsed.text).toContain('Please copy councillors openly.');
  });

  it('treats a recipient the server refuses for good as permanent, and a temporary refusal as worth retrying', async () => {
    const sender = track(smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}' }), { env: { PW: 's3cret-pass' } }));
    const permanent = sender.send(message('nobody@millbrook-tc.gov.uk'));
    await expect(permanent).rejects.toBeInstanceOf(PermanentEffectError);
    await expect(sender.send(message('nobody@millbrook-tc.gov.uk'))).rejects.toThrow(/refused the message for good: .*User unknown/);
    const transient = sender.send(message('busy@millbrook-tc.gov.uk'));
    await expect(transient).rejects.toThrow(/could not take the message just now/);
    await expect(sender.send(message('busy@millbrook-tc.gov.uk'))).rejects.not.toBeInstanceOf(PermanentEffectError);
    expect(server.deliveries).toHaveLength(0);
  });

  it('holds sending on a refused login: says what to fix, reports it, and tries the login once every 15 minutes, not once per message', async () => {
    let clock = new Date('2026-11-20T10:00:00.000Z');
    const wrong = track(smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}' }), { env: { PW: 'wrong-pass-123' }, now: () => clock }));
    const failure = await wrong.send(message('sam.patel@millbrook-tc.gov.uk')).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Not the message's fault: it is not given up on, it waits with the others.
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(PermanentEffectError);
    expect(String(failure)).toMatch(/refused Wardwatch's SMTP login as protocol@millbrook-tc\.gov\.uk \(535 5\.7\.8 Authentication credentials invalid\), so no mail is being sent\. Please check sender\.user and the password/);
    expect(String(failure)).not.toContain('wrong-pass-123');
    expect(wrong.problem()).toEqual({ reason: expect.stringMatching(/refused Wardwatch's SMTP login.*once every 15 minutes/), since: '2026-11-20T10:00:00.000Z' });
    expect(server.authAttempts).toBe(1);

    // Neither the next message nor the outbox's rounds go near the server until 15 minutes have passed.
    const connections = server.connections;
    await expect(wrong.send(message('priya.shah@millbrook-tc.gov.uk'))).rejects.toThrow(/Not sent: the mail server .* refused Wardwatch's SMTP login/);
    expect(await wrong.readiness()).toMatch(/refused Wardwatch's SMTP login/);
    clock = new Date('2026-11-20T10:14:00.000Z');
    expect(await wrong.readiness()).toMatch(/refused Wardwatch's SMTP login/);
    expect(server.authAttempts).toBe(1);
    expect(server.connections).toBe(connections);

    clock = new Date('2026-11-20T10:15:00.000Z');
    expect(await wrong.readiness()).toMatch(/refused/);
    expect(server.authAttempts).toBe(2);
    expect(wrong.problem()?.since).toBe('2026-11-20T10:00:00.000Z');

    // The account is put right on the server's side: the next try finds it, and sending resumes.
    server.credentials = { user: 'protocol@millbrook-tc.gov.uk', pass: 'wrong-pass-123' };
    clock = new Date('2026-11-20T10:30:00.000Z');
    expect(await wrong.readiness()).toBeUndefined();
    expect(wrong.problem()).toBeUndefined();
    await wrong.send(message('priya.shah@millbrook-tc.gov.uk'));
    expect(server.deliveries.map((d) => d.to)).toEqual([['priya.shah@millbrook-tc.gov.uk']]);
  });

  it('checks the login once at start, before any message is tried', async () => {
    const wrong = track(smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}' }), { env: { PW: 'wrong-pass-123' } }));
    expect(await wrong.readiness()).toMatch(/refused Wardwatch's SMTP login/);
    expect(server.authAttempts).toBe(1);
    const right = track(smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}' }), { env: { PW: 's3cret-pass' } }));
    expect(await right.readiness()).toBeUndefined();
    expect(await right.readiness()).toBeUndefined();
    // Once at start: a working login is not checked again on every round.
    expect(server.authAttempts).toBe(2);
    expect(server.deliveries).toHaveLength(0);
  });

  describe('a connection that ends after the whole message was handed over, before the answer', () => {
    function authed(timeoutMs?: number): SmtpSender {
      return track(
        smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}' }), { env: { PW: 's3cret-pass' }, ...(timeoutMs ? { timeoutMs } : {}) }),
      );
    }

    it('leaves the message in doubt when the connection drops after the final dot: the server has it, so it is not sent again', async () => {
      server.afterDot = 'drop';
      const failure = await authed().send(message('sam.patel@millbrook-tc.gov.uk')).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(SendInDoubtError);
      expect(String(failure)).toMatch(/ended after "A reminder about the Member\/Officer Protocol" \(Message-ID <ww-feed@millbrook-tc\.gov\.uk>\) was handed over and before the server answered/);
      expect(server.deliveries).toHaveLength(1);
    });

    it('does the same when the server takes the message and never answers (the socket times out)', async () => {
      server.afterDot = 'silent';
      await expect(authed(500).send(message('sam.patel@millbrook-tc.gov.uk'))).rejects.toBeInstanceOf(SendInDoubtError);
      expect(server.deliveries).toHaveLength(1);
    });

    it('but a refusal after the final dot is an answer: the message did not go and is tried again', async () => {
      server.dataReply = '451 4.3.0 Queue file write error';
      const failure = await authed().send(message('sam.patel@millbrook-tc.gov.uk')).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).not.toBeInstanceOf(SendInDoubtError);
      expect(String(failure)).toMatch(/could not take the message just now \(451 4\.3\.0 Queue file write error\)/);
      expect(server.deliveries).toHaveLength(0);
    });

    it('goes in doubt in the outbox (at-most-once) and is never tried again, exactly as after a crash', async () => {
      server.afterDot = 'drop';
      const dir = mkdtempSync(path.join(tmpdir(), 'wardwatch-smtp-drop-'));
      const store = new SqliteStore(path.join(dir, 'state.sqlite'));
      try {
        const config = ConfigSchema.parse(councilConfigInput);
        const outbox = new Outbox(store, { planning: planningContextFrom(config, new Engine(config).directory), retry: { maxAttempts: 8, baseDelayMs: 0, maxDelayMs: 0 } });
        const key = effectKey({ rule: 'no-blind-copies', itemKey: '<m1@x>', recipient: 'sam.patel@millbrook-tc.gov.uk', kind: 'nudge' });
        const messageId = effectMessageId(key, 'millbrook-tc.gov.uk');
        const now = new Date().toISOString();
        await enqueue(
          store,
          [{ key, kind: 'nudge', rule: 'no-blind-copies', itemKey: '<m1@x>', recipient: 'sam.patel@millbrook-tc.gov.uk', payload: { summary: 'Blind copy', clauses: ['5.1'] }, messageId, notBefore: now }],
          now,
        );
        const sender = authed();
        const execute = (): Promise<void> => sender.send(message('sam.patel@millbrook-tc.gov.uk', { messageId }));
        const first = await outbox.runDue(execute);
        expect(first.inDoubt).toEqual([key]);
        server.afterDot = 'reply';
        for (let round = 0; round < 3; round++) expect((await outbox.runDue(execute)).done).toEqual([]);
        expect((await store.getEffect(key))?.state).toBe('in-doubt');
        expect(server.deliveries).toHaveLength(1);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('treats an unreachable server as transient', async () => {
    await server.stop();
    const down = track(smtpSenderFromConfig(smtpConfig(), { timeoutMs: 2000 }));
    await expect(down.send(message('sam.patel@millbrook-tc.gov.uk'))).rejects.toThrow(/could not take the message just now/);
  });

  it('does not send the password to a server that offers no STARTTLS, unless the link is local and plain by choice', async () => {
    const strict = track(
      smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}', plainLocal: false }), { env: { PW: 's3cret-pass' } }),
    );
    const failure = await strict.send(message('sam.patel@millbrook-tc.gov.uk')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(String(failure)).toMatch(/did not start TLS .*so Wardwatch did not send it the password in plain text\. Use the server's TLS port \(secure: true/);
    expect(String(failure)).not.toContain('s3cret-pass');
    expect(server.authAttempts).toBe(0);
    expect(server.deliveries).toHaveLength(0);
    // Without a password there is nothing to protect: an unauthenticated relay still works.
    await track(smtpSenderFromConfig(smtpConfig({ plainLocal: false }))).send(message('sam.patel@millbrook-tc.gov.uk'));
    expect(server.deliveries).toHaveLength(1);
  });

  it('allows plainLocal only for a server on this machine', () => {
    const remote = { user: 'protocol@millbrook-tc.gov.uk', password: '${PW}', host: 'mail.millbrook-tc.gov.uk', plainLocal: true };
    expect(() => smtpSenderFromConfig(smtpConfig(remote), { env: { PW: 'x' } })).toThrow(/sender\.plainLocal is only for a mail server on this machine .* not mail\.millbrook-tc\.gov\.uk/);
    for (const host of ['localhost', '127.0.0.1', '::1', '[::1]']) {
      expect(() => track(smtpSenderFromConfig(smtpConfig({ ...remote, host }), { env: { PW: 'x' } }))).not.toThrow();
    }
  });

  it('explains a missing environment variable or a half-given login', () => {
    expect(() => smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${WARDWATCH_SMTP_PASSWORD}' }), { env: {} })).toThrow(
      /WARDWATCH_SMTP_PASSWORD is not set; sender.password needs it/,
    );
    expect(() => smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk' }))).toThrow(/sender.user is set but sender.password is not/);
    expect(() => smtpSenderFromConfig(smtpConfig({ password: '${PW}' }), { env: { PW: 'x' } })).toThrow(/sender.password is set but sender.user is not/);
  });
});

describe('isPermanentSmtpError', () => {
  it('is permanent only for a 5xx refusal of the envelope or message', () => {
    expect(isPermanentSmtpError({ code: 'EENVELOPE', responseCode: 550 })).toBe(true);
    expect(isPermanentSmtpError({ code: 'EMESSAGE', responseCode: 554 })).toBe(true);
    expect(isPermanentSmtpError({ code: 'EENVELOPE', responseCode: 451 })).toBe(false);
    expect(isPermanentSmtpError({ code: 'EAUTH', responseCode: 535 })).toBe(false);
    expect(isPermanentSmtpError({ code: 'ECONNECTION' })).toBe(false);
    expect(isPermanentSmtpError(new Error('boom'))).toBe(false);
  });
});

describe('createSender', () => {
  it('makes a file sender in the configured folder, relative to the config file', () => {
    const config = ConfigSchema.parse({ ...councilConfigInput, sender: { kind: 'file', dir: './out/mail' } });
    const sender = createSender(config, '/srv/wardwatch');
    expect(sender).toBeInstanceOf(FileSender);
    expect((sender as FileSender).dir).toBe('/srv/wardwatch/out/mail');
  });

  it('makes an SMTP sender, resolving its secret from the environment given', async () => {
    const config = ConfigSchema.parse({
      ...councilConfigInput,
      sender: { kind: 'smtp', host: 'mail.millbrook-tc.gov.uk', user: 'protocol@millbrook-tc.gov.uk', password: '${WW_PW}' },
    });
    const sender = createSender(config, '/srv/wardwatch', { WW_PW: 'x' });
    expect(sender.name).toBe('smtp');
    await sender.close();
    expect(() => createSender(config, '/srv/wardwatch', {})).toThrow(/WW_PW is not set/);
  });

  it('says which connector must be configured for sender.kind connector', () => {
    const config = ConfigSchema.parse({ ...councilConfigInput, sender: { kind: 'connector', connector: 'graph' } });
    expect(() => createSender(config, '/srv/wardwatch')).toThrow(/Microsoft 365 connector .*configure connectors\.graph/);
  });
});
