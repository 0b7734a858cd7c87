import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSender } from '../../src/actions/senders.js';
import { isPermanentSmtpError, smtpSenderFromConfig, type SmtpSender, type SmtpSenderConfig } from '../../src/actions/smtp-sender.js';
import { FileSender } from '../../src/actions/file-sender.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { PermanentEffectError } from '../../src/outbox/outbox.js';
import type { OutgoingMessage } from '../../src/sources/types.js';
import { councilConfigInput } from '../support/council.js';

interface Delivery {
  from: string;
  to: string[];
  data: string;
  user?: string;
}

/** A small SMTP server speaking just enough of RFC 5321 for nodemailer; a few addresses are refused. */
class FakeSmtpServer {
  readonly deliveries: Delivery[] = [];
  /** Logins attempted (AUTH commands answered), and whether each was sent before TLS. */
  authAttempts = 0;
  /** Connections opened. */
  connections = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly credentials?: { user: string; pass: string }) {}

  async start(): Promise<number> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private session(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let awaitingAuth = false;
    let user: string | undefined;
    let current: Delivery = { from: '', to: [], data: '' };
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    this.connections += 1;
    const checkAuth = (b64: string): void => {
      this.authAttempts += 1;
      const [, u, p] = Buffer.from(b64, 'base64').toString('utf8').split('\u0000');
      if (this.credentials && u === this.credentials.user && p === this.credentials.pass) {
        user = u;
        reply('235 2.7.0 Authentication successful');
      } else {
        reply('535 5.7.8 Authentication credentials invalid');
      }
    };
    reply('220 fake.millbrook-tc.gov.uk ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end + 2).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          this.deliveries.push({ ...current, ...(user ? { user } : {}) });
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 Queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        if (awaitingAuth) {
          awaitingAuth = false;
          checkAuth(line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply(`250-fake.millbrook-tc.gov.uk${this.credentials ? '\r\n250-AUTH PLAIN' : ''}\r\n250 8BITMIME`);
        else if (verb === 'HELO') reply('250 fake.millbrook-tc.gov.uk');
        else if (verb === 'AUTH') {
          const arg = line.split(' ')[2];
          if (arg) checkAuth(arg);
          else {
            awaitingAuth = true;
            reply('334 ');
          }
        } else if (verb === 'MAIL') {
          current.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (to.startsWith('nobody@')) reply('550 5.1.1 <' + to + '>: Recipient address rejected: User unknown');
          else if (to.startsWith('busy@')) reply('451 4.3.0 <' + to + '>: Temporary lookup failure');
          else {
            current.to.push(to);
            reply('250 2.1.5 Ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 Ok');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
        } else reply('502 5.5.2 Command not recognised');
      }
    });
  }
}

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

  it('treats a refused login as permanent after one attempt, says what to fix, and does not try that login again', async () => {
    const wrong = track(smtpSenderFromConfig(smtpConfig({ user: 'protocol@millbrook-tc.gov.uk', password: '${PW}' }), { env: { PW: 'wrong-pass-123' } }));
    const failure = await wrong.send(message('sam.patel@millbrook-tc.gov.uk')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(PermanentEffectError);
    expect(String(failure)).toMatch(/refused Wardwatch's SMTP login as protocol@millbrook-tc\.gov\.uk \(535 5\.7\.8 Authentication credentials invalid\)\. Check sender\.user and the password/);
    expect(String(failure)).not.toContain('wrong-pass-123');
    expect(server.authAttempts).toBe(1);
    // The next message does not go near the server: a second wrong login could lock the account.
    const connections = server.connections;
    await expect(wrong.send(message('priya.shah@millbrook-tc.gov.uk'))).rejects.toThrow(/refused Wardwatch's SMTP login earlier .* until it is restarted/);
    expect(server.authAttempts).toBe(1);
    expect(server.connections).toBe(connections);
    expect(server.deliveries).toHaveLength(0);
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
