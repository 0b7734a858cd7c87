/**
 * The `connectors.imap` settings: defaults, secrets from the environment, and messages that
 * name the field to change.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../../src/config/schema.js';
import { councilConfigInput } from '../../support/council.js';
import { pino } from 'pino';
import { ImapConfigError, parseImapSettings, resolveImapSettings, type ImapContext } from '../../../connectors/imap/config.js';
import type { ConnectorLogger } from '../../../connectors/imap/logger.js';

const D = 'millbrook-tc.gov.uk';
const context: ImapContext = {
  councilName: 'Millbrook Town Council',
  serviceAddress: `protocol@${D}`,
  mailboxes: [
    { address: `clerk@${D}`, folders: ['inbox', 'sent'] },
    { address: `protocol@${D}`, folders: ['inbox'] },
  ],
  calendarIds: ['council-events', 'council-chamber'],
};
const env = { WW_SERVICE: 'service-secret', WW_CLERK: 'clerk-secret', WW_SMTP: 'smtp-secret', WW_DAV: 'dav-secret' };
const base = {
  host: 'mail.millbrook-tc.gov.uk',
  password: '${WW_SERVICE}',
  mailboxes: { [`clerk@${D}`]: { password: '${WW_CLERK}' } },
};

function failure(raw: unknown, ctx: ImapContext = context, e: Record<string, string | undefined> = env): string {
  try {
    parseImapSettings(raw, ctx, e);
  } catch (err) {
    expect(err).toBeInstanceOf(ImapConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the settings to be refused');
}

describe('connectors.imap settings', () => {
  test('fills in the defaults and resolves each mailbox\'s login', () => {
    const s = parseImapSettings(base, context, env);
    expect(s.server).toEqual({ host: 'mail.millbrook-tc.gov.uk', port: 993, secure: true, tls: { rejectUnauthorized: true }, socketTimeoutMs: 300_000 });
    expect(s.backfillDays).toBe(30);
    expect(s.recheckMs).toBe(60_000);
    expect(s.backoff).toEqual({ initialMs: 1000, maxMs: 300_000 });
    expect(s.timeZone).toBe('Europe/London');
    expect(s.mailboxes).toEqual([
      { address: `clerk@${D}`, folders: ['inbox', 'sent'], credentials: { user: `clerk@${D}`, password: 'clerk-secret' } },
      { address: `protocol@${D}`, folders: ['inbox'], credentials: { user: `protocol@${D}`, password: 'service-secret' } },
    ]);
    expect(s.service).toEqual({ user: `protocol@${D}`, password: 'service-secret' });
    expect(s.smtp).toBeUndefined();
    expect(s.caldav).toBeUndefined();
  });

  test('SMTP and CalDAV: the service login by default, calendar paths made absolute', () => {
    const s = parseImapSettings(
      {
        ...base,
        recheckSeconds: 0.5,
        smtp: { host: 'smtp.millbrook-tc.gov.uk', password: '${WW_SMTP}' },
        caldav: {
          url: 'https://dav.millbrook-tc.gov.uk/dav',
          user: `protocol@${D}`,
          password: '${WW_DAV}',
          calendars: { 'council-events': 'protocol%40millbrook-tc.gov.uk/council-events', 'council-chamber': 'https://rooms.millbrook-tc.gov.uk/chamber/' },
        },
      },
      context,
      env,
    );
    expect(s.recheckMs).toBe(500);
    expect(s.smtp).toMatchObject({ host: 'smtp.millbrook-tc.gov.uk', port: 587, secure: false, requireTLS: true, plainLocal: false, saveToSent: true, auth: { user: `protocol@${D}`, password: 'smtp-secret' } });
    expect(s.caldav?.calendars).toEqual([
      { id: 'council-events', url: 'https://dav.millbrook-tc.gov.uk/dav/protocol%40millbrook-tc.gov.uk/council-events/' },
      { id: 'council-chamber', url: 'https://rooms.millbrook-tc.gov.uk/chamber/' },
    ]);
    expect(s.caldav?.credentials).toEqual({ user: `protocol@${D}`, password: 'dav-secret' });
    expect(s.caldav?.syncMethod).toBe('auto');
    // Calendars are polled as often as folders are re-checked, unless told otherwise.
    expect(s.caldav?.pollMs).toBe(500);
    const polled = parseImapSettings(
      { ...base, caldav: { url: 'https://dav.millbrook-tc.gov.uk/', user: `protocol@${D}`, password: '${WW_DAV}', calendars: {}, pollSeconds: 15 } },
      context,
      env,
    );
    expect(polled.caldav?.pollMs).toBe(15_000);
    expect(polled.recheckMs).toBe(60_000);
  });

  test('a missing environment variable is named, with the field that refers to it', () => {
    expect(failure(base, context, { WW_SERVICE: 'x' })).toBe(
      "The environment variable WW_CLERK is not set; connectors.imap.mailboxes['clerk@millbrook-tc.gov.uk'].password needs it. " +
        "Please set WW_CLERK in Wardwatch's environment (for example in its service definition) and start it again.",
    );
    expect(failure(base, context, { WW_SERVICE: 'x', WW_CLERK: '' })).toContain('The environment variable WW_CLERK is set but empty');
  });

  test('a password written into the file is refused', () => {
    expect(failure({ ...base, password: 'hunter2' })).toContain('connectors.imap.password: expected an environment variable reference such as ${WARDWATCH_SMTP_PASSWORD}');
  });

  test('a watched mailbox without a login is named', () => {
    const msg = failure({ host: 'mail.millbrook-tc.gov.uk', password: '${WW_SERVICE}' });
    expect(msg).toContain(`no IMAP password for the watched mailbox clerk@${D}`);
  });

  test('credentials for a mailbox that is not watched are pointed out', () => {
    const msg = failure({ ...base, mailboxes: { ...base.mailboxes, [`tom.brown@${D}`]: { password: '${WW_CLERK}' } } });
    expect(msg).toContain(`tom.brown@${D} has credentials but is not listed under mailboxes`);
  });

  test('a CalDAV calendar that the config does not declare is refused', () => {
    const msg = failure({ ...base, caldav: { url: 'https://dav.example.org/', user: 'u', password: '${WW_DAV}', calendars: { 'parish-hall': '/p/' } } });
    expect(msg).toContain("connectors.imap.caldav.calendars: 'parish-hall' is not one of the calendars listed under calendars (council-events, council-chamber)");
  });

  test('unknown keys, wrong types and an SMTP user without a password are named', () => {
    expect(failure({ ...base, hots: 'x' })).toMatch(/connectors\.imap: .*hots/);
    expect(failure({ ...base, port: 'ninety' })).toMatch(/connectors\.imap\.port: /);
    expect(failure({ ...base, smtp: { host: 'smtp.example.org', user: 'protocol' } })).toContain('a user is given without a password');
  });

  test('an SMTP password goes only over TLS: STARTTLS required, unless plainLocal names a server on this machine', () => {
    const smtpOf = (smtp: Record<string, unknown>) => parseImapSettings({ ...base, smtp }, context, env).smtp;
    expect(smtpOf({ host: 'smtp.millbrook-tc.gov.uk', password: '${WW_SMTP}' })?.requireTLS).toBe(true);
    expect(smtpOf({ host: 'smtp.millbrook-tc.gov.uk', port: 465, secure: true, password: '${WW_SMTP}' })?.requireTLS).toBe(false);
    expect(smtpOf({ host: 'smtp.millbrook-tc.gov.uk', port: 25 })?.requireTLS).toBe(false);
    expect(smtpOf({ host: '127.0.0.1', port: 25, password: '${WW_SMTP}', plainLocal: true })?.requireTLS).toBe(false);
    expect(failure({ ...base, smtp: { host: 'smtp.millbrook-tc.gov.uk', password: '${WW_SMTP}', plainLocal: true } })).toContain(
      'connectors.imap.smtp.plainLocal is only for a mail server on this machine (127.0.0.1, ::1 or localhost), not smtp.millbrook-tc.gov.uk',
    );
  });

  test('a CA file is read, and an unreadable one is explained', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardwatch-imap-config-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const s = parseImapSettings({ ...base, tls: { caFile: join(dir, 'ca.pem') } }, context, env);
      expect(s.server.tls.ca).toContain('BEGIN CERTIFICATE');
      expect(failure({ ...base, tls: { caFile: join(dir, 'missing.pem') } })).toContain('connectors.imap.tls.caFile: the certificate file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('resolveImapSettings reads the council\'s config', () => {
    const config = ConfigSchema.parse({
      ...councilConfigInput,
      mailboxes: [{ address: `clerk@${D}` }],
      connectors: { imap: { host: '127.0.0.1', port: 1143, secure: false, mailboxes: { [`clerk@${D}`]: { password: '${WW_CLERK}' } } } },
    });
    const s = resolveImapSettings(config, env);
    expect(s.councilName).toBe('Millbrook Town Council');
    expect(s.serviceAddress).toBe(`protocol@${D}`);
    expect(s.mailboxes.map((m) => [m.address, m.folders])).toEqual([[`clerk@${D}`, ['inbox', 'sent']]]);
    expect(() => resolveImapSettings(ConfigSchema.parse(councilConfigInput), env)).toThrow('connectors.imap is not configured.');
  });
});

describe('logging', () => {
  test('a pino logger is a ConnectorLogger as it is', () => {
    const lines: string[] = [];
    const logger: ConnectorLogger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    logger.warn({ mailbox: `clerk@${D}`, attempt: 2 }, 'Watching the folder failed; trying again');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ mailbox: `clerk@${D}`, attempt: 2, msg: 'Watching the folder failed; trying again' });
  });
});
