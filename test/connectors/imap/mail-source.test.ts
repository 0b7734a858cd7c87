/**
 * The IMAP mail watcher against a real Dovecot (and Postfix for SMTP delivery).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { parseImapSettings, type ImapSettings } from '../../../connectors/imap/config.js';
import { ImapMailSource } from '../../../connectors/imap/mail-source.js';
import type { ConnectorLogger, LogFields } from '../../../connectors/imap/logger.js';
import { startMailStack, type MailStack } from '../../support/servers.js';
import { eventually, MemoryCursors, messageIdOf, rawMessage, RecordingSink, startFreezableProxy } from './helpers.js';

const D = 'millbrook-tc.gov.uk';
const users = {
  clerk: { address: `clerk@${D}`, password: 'clerk-Pa55' },
  tom: { address: `tom.brown@${D}`, password: 'tom-Pa55' },
  sue: { address: `sue.taylor@${D}`, password: 'sue-Pa55' },
  raj: { address: `raj.mehta@${D}`, password: 'raj-Pa55' },
  ben: { address: `ben.hughes@${D}`, password: 'ben-Pa55' },
  service: { address: `protocol@${D}`, password: 'service-Pa55' },
};
const env = {
  WW_CLERK: users.clerk.password,
  WW_TOM: users.tom.password,
  WW_SUE: users.sue.password,
  WW_RAJ: users.raj.password,
  WW_BEN: users.ben.password,
  WW_SERVICE: users.service.password,
};

let stack: MailStack;

function settingsFor(
  mailboxes: { address: string; folders: string[] }[],
  extra: Record<string, unknown> = {},
  port?: number,
): ImapSettings {
  const passwordVar: Record<string, string> = {
    [users.clerk.address]: '${WW_CLERK}',
    [users.tom.address]: '${WW_TOM}',
    [users.sue.address]: '${WW_SUE}',
    [users.raj.address]: '${WW_RAJ}',
    [users.ben.address]: '${WW_BEN}',
  };
  return parseImapSettings(
    {
      host: '127.0.0.1',
      port: port ?? stack.ports.imap,
      secure: false,
      password: '${WW_SERVICE}',
      mailboxes: Object.fromEntries(mailboxes.filter((m) => m.address !== users.service.address).map((m) => [m.address, { password: passwordVar[m.address] }])),
      recheckSeconds: 60,
      backoff: { initialSeconds: 0.2, maxSeconds: 1 },
      ...extra,
    },
    { councilName: 'Millbrook Town Council', serviceAddress: users.service.address, mailboxes, calendarIds: [] },
    env,
  );
}

async function imapSession(user: { address: string; password: string }): Promise<ImapFlow> {
  const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, auth: { user: user.address, pass: user.password }, logger: false });
  await client.connect();
  return client;
}

async function append(user: { address: string; password: string }, folder: string, raw: string, date?: Date): Promise<void> {
  const client = await imapSession(user);
  try {
    await client.append(folder, raw, [], date);
  } finally {
    await client.logout();
  }
}

function captureLogger(): { lines: { level: string; fields: LogFields; message: string }[]; logger: ConnectorLogger } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at = (level: string) => (fields: LogFields, message?: string) => {
    lines.push({ level, fields, message: message ?? '' });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

beforeAll(async () => {
  stack = await startMailStack({ users: Object.values(users) });
});

afterAll(async () => {
  await stack?.stop();
});

describe('one pass (sync)', () => {
  test('reads the backfill window once, then only what is new, with a cursor per folder', async () => {
    await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: users.clerk.address, subject: 'Bins on Mill Lane', id: '<bins-1@example.com>' }));
    await stack.deliver(rawMessage({ from: users.tom.address, to: users.clerk.address, subject: 'Agenda item', id: '<agenda-1@millbrook-tc.gov.uk>' }));
    const cursors = new MemoryCursors();
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.clerk.address, folders: ['inbox'] }]), cursors });
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(sink.messageIds()).toEqual(['<bins-1@example.com>', '<agenda-1@millbrook-tc.gov.uk>']);
    const first = sink.mail()[0];
    expect(first).toMatchObject({ kind: 'mail', mailbox: users.clerk.address, folder: 'inbox' });
    expect(first?.origin).toMatch(new RegExp(`^imap://clerk%40${D}@127\\.0\\.0\\.1:${stack.ports.imap}/INBOX;UIDVALIDITY=\\d+/;UID=1$`));
    expect(first?.source.toString('utf8')).toContain('Subject: Bins on Mill Lane');
    expect(await cursors.getCursor('imap', `${users.clerk.address}/inbox`)).toMatch(/^\d+:2$/);

    sink.clear();
    await source.sync(sink);
    expect(sink.records).toEqual([]);

    await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: users.clerk.address, subject: 'Follow-up', id: '<bins-2@example.com>' }));
    await source.sync(sink);
    expect(sink.messageIds()).toEqual(['<bins-2@example.com>']);
    expect(await cursors.getCursor('imap', `${users.clerk.address}/inbox`)).toMatch(/^\d+:3$/);
  });

  test('leaves out mail older than the backfill window on the first pass', async () => {
    const old = new Date(Date.now() - 90 * 24 * 3600 * 1000);
    await append(users.sue, 'INBOX', rawMessage({ from: 'j.smith@example.com', to: users.sue.address, subject: 'Old news', id: '<old-1@example.com>', date: old }), old);
    await append(users.sue, 'INBOX', rawMessage({ from: 'j.smith@example.com', to: users.sue.address, subject: 'Fresh news', id: '<fresh-1@example.com>' }));
    const cursors = new MemoryCursors();
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.sue.address, folders: ['inbox'] }], { backfillDays: 30 }), cursors });
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(sink.messageIds()).toEqual(['<fresh-1@example.com>']);
    expect(await cursors.getCursor('imap', `${users.sue.address}/inbox`)).toMatch(/^\d+:2$/);
  });

  test('reads a long folder in batches, in UID order, and reports and skips a message over the size limit', async () => {
    const client = await imapSession(users.sue);
    await client.mailboxCreate('Minutes');
    const ids: string[] = [];
    for (let n = 1; n <= 45; n++) {
      if (n === 23) {
        // About 60 kB, over the 50 kB limit below.
        const big = rawMessage({ from: users.tom.address, to: users.sue.address, subject: 'Scanned minutes', id: '<minutes-big@millbrook-tc.gov.uk>', body: 'x'.repeat(60 * 1024) });
        await client.append('Minutes', big);
        continue;
      }
      ids.push(`<minutes-${n}@millbrook-tc.gov.uk>`);
      await client.append('Minutes', rawMessage({ from: users.tom.address, to: users.sue.address, subject: `Minutes ${n}`, id: `<minutes-${n}@millbrook-tc.gov.uk>` }));
    }
    await client.logout();
    const cursors = new MemoryCursors();
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.sue.address, folders: ['Minutes'] }], { maxMessageMegabytes: 50 / 1024 }), cursors });
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(sink.messageIds()).toEqual(ids);
    expect(sink.problems).toHaveLength(1);
    expect(sink.problems[0]).toMatchObject({ kind: 'mail' });
    expect(sink.problems[0]?.origin).toMatch(/\/Minutes;UIDVALIDITY=\d+\/;UID=23$/);
    expect(sink.problems[0]?.reason).toBe('The message is 60 kB, larger than the 50 kB Wardwatch reads (connectors.imap.maxMessageMegabytes), and was skipped.');
    expect(await cursors.getCursor('imap', `${users.sue.address}/minutes`)).toMatch(/^\d+:45$/);
  });

  test('a cursor ahead of the server (its UIDs went backwards) makes it read the window again', async () => {
    const cursors = new MemoryCursors();
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.sue.address, folders: ['inbox'] }]), cursors });
    await source.sync(new RecordingSink());
    const key = `${users.sue.address}/inbox`;
    const [validity, last] = ((await cursors.getCursor('imap', key)) ?? '').split(':');
    await cursors.setCursor('imap', key, `${validity}:${Number(last) + 100}`);
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(sink.messageIds()).toEqual(['<fresh-1@example.com>']);
    expect(await cursors.getCursor('imap', key)).toBe(`${validity}:${last}`);
  });

  test('finds the Sent folder by SPECIAL-USE and labels its copies "sent"', async () => {
    await append(users.tom, 'Sent', rawMessage({ from: users.tom.address, to: `sam.patel@${D}`, subject: 'Sent copy', id: '<sent-1@millbrook-tc.gov.uk>' }));
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.tom.address, folders: ['sent'] }]), cursors: new MemoryCursors() });
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(sink.mail().map((r) => [messageIdOf(r.source), r.folder])).toEqual([['<sent-1@millbrook-tc.gov.uk>', 'sent']]);
    expect(sink.mail()[0]?.origin).toContain('/Sent;UIDVALIDITY=');
  });

  test('uses the configured Sent folder when the server marks none', async () => {
    const client = await imapSession(users.ben);
    await client.mailboxCreate('Sent Items');
    await client.logout();
    await append(users.ben, 'Sent Items', rawMessage({ from: users.ben.address, to: 'j.smith@example.com', subject: 'From Sent Items', id: '<sent-items-1@millbrook-tc.gov.uk>' }));
    const source = new ImapMailSource({
      settings: settingsFor([{ address: users.ben.address, folders: ['sent'] }], { sentFolder: 'Sent Items' }),
      cursors: new MemoryCursors(),
    });
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(sink.mail().map((r) => [messageIdOf(r.source), r.folder])).toEqual([['<sent-items-1@millbrook-tc.gov.uk>', 'sent']]);
  });

  test('reads the other folders and then rejects, naming a folder that does not exist', async () => {
    await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: users.raj.address, subject: 'Riverside Park', id: '<park-1@example.com>' }));
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.raj.address, folders: ['Casework', 'inbox'] }]), cursors: new MemoryCursors() });
    const sink = new RecordingSink();
    await expect(source.sync(sink)).rejects.toThrow(`The folder "Casework" does not exist in the mailbox ${users.raj.address}`);
    expect(sink.messageIds()).toEqual(['<park-1@example.com>']);
    expect(source.health().find((h) => h.source === `imap:${users.raj.address}/casework`)?.lastError?.message).toContain('Casework');
    expect(source.health().find((h) => h.source === `imap:${users.raj.address}/inbox`)?.lastSuccess).toBeDefined();
  });

  test('a changed UIDVALIDITY makes it read the folder again and reset its cursor', async () => {
    const client = await imapSession(users.clerk);
    await client.mailboxCreate('Casework');
    await client.logout();
    const a = rawMessage({ from: users.tom.address, to: users.clerk.address, subject: 'Case A', id: '<case-a@millbrook-tc.gov.uk>' });
    const b = rawMessage({ from: users.sue.address, to: users.clerk.address, subject: 'Case B', id: '<case-b@millbrook-tc.gov.uk>' });
    await append(users.clerk, 'Casework', a);
    await append(users.clerk, 'Casework', b);
    const cursors = new MemoryCursors();
    const { lines, logger } = captureLogger();
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.clerk.address, folders: ['Casework'] }]), cursors, logger });
    const sink = new RecordingSink();
    await source.sync(sink);
    const before = await cursors.getCursor('imap', `${users.clerk.address}/casework`);
    expect(sink.mail().map((r) => r.folder)).toEqual(['casework', 'casework']);
    const firstIds = new Set(sink.messageIds());

    // The folder is deleted and made again: same messages, new UIDVALIDITY.
    const again = await imapSession(users.clerk);
    await again.mailboxDelete('Casework');
    await again.mailboxCreate('Casework');
    await again.logout();
    await append(users.clerk, 'Casework', a);
    await append(users.clerk, 'Casework', b);

    sink.clear();
    await source.sync(sink);
    const after = await cursors.getCursor('imap', `${users.clerk.address}/casework`);
    expect(sink.messageIds()).toHaveLength(2);
    expect(new Set(sink.messageIds())).toEqual(firstIds);
    expect(after?.split(':')[0]).not.toBe(before?.split(':')[0]);
    expect(after).toMatch(/^\d+:2$/);
    expect(lines.some((l) => l.level === 'warn' && /UIDVALIDITY changed/.test(l.message))).toBe(true);
  });
});

describe('watching', () => {
  test('sees mail delivered through Postfix within seconds (IDLE), and copies saved in Sent', async () => {
    const cursors = new MemoryCursors();
    const source = new ImapMailSource({
      settings: settingsFor([{ address: users.tom.address, folders: ['inbox', 'sent'] }], { recheckSeconds: 60 }),
      cursors,
    });
    const sink = new RecordingSink();
    await source.sync(sink);
    sink.clear();
    const stop = new AbortController();
    const watching = source.watch(sink, stop.signal);
    try {
      await eventually('the watcher to be connected', () => source.watchedFolders().length === 2);
      const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false, auth: { user: users.clerk.address, pass: users.clerk.password } });
      await smtp.sendMail({ from: users.clerk.address, to: users.tom.address, subject: 'Parking at the Library', text: 'Dear Tom', messageId: '<idle-1@millbrook-tc.gov.uk>' });
      smtp.close();
      // The re-check is a minute away: only IDLE can bring this in time.
      await eventually('the IDLE watcher to hand over the message', () => sink.messageIds().includes('<idle-1@millbrook-tc.gov.uk>'), 6000);
      await append(users.tom, 'Sent', rawMessage({ from: users.tom.address, to: users.clerk.address, subject: 'Re: Parking', id: '<idle-sent-1@millbrook-tc.gov.uk>' }));
      await eventually('the Sent copy', () => sink.messageIds().includes('<idle-sent-1@millbrook-tc.gov.uk>'), 6000);
      const folders = Object.fromEntries(sink.mail().map((r) => [messageIdOf(r.source), r.folder]));
      expect(folders).toEqual({ '<idle-1@millbrook-tc.gov.uk>': 'inbox', '<idle-sent-1@millbrook-tc.gov.uk>': 'sent' });
    } finally {
      stop.abort();
      await watching;
    }
  });

  test('reconnects after Dovecot restarts and misses nothing delivered meanwhile', async () => {
    const cursors = new MemoryCursors();
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.sue.address, folders: ['inbox'] }]), cursors });
    const sink = new RecordingSink();
    await source.sync(sink);
    sink.clear();
    const stop = new AbortController();
    const watching = source.watch(sink, stop.signal);
    try {
      await eventually('the watcher to be connected', () => source.watchedFolders().length === 1);
      await stack.stopDovecot();
      await eventually('the watcher to notice the outage', () => source.health().some((h) => h.lastError));
      // Accepted by Postfix while Dovecot is down; delivered when it is back.
      const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: stack.ports.smtp, secure: false });
      await smtp.sendMail({ from: 'j.smith@example.com', to: users.sue.address, subject: 'During the outage', text: 'Hello', messageId: '<outage-1@example.com>' });
      smtp.close();
      await stack.startDovecot();
      await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: users.sue.address, subject: 'Just after', id: '<outage-2@example.com>' }));
      await eventually('both messages', () => ['<outage-1@example.com>', '<outage-2@example.com>'].every((id) => sink.messageIds().includes(id)), 10_000);
      await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: users.sue.address, subject: 'Later', id: '<outage-3@example.com>' }));
      await eventually('the next message through IDLE again', () => sink.messageIds().includes('<outage-3@example.com>'), 6000);
      const ids = sink.messageIds();
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      stop.abort();
      await watching;
    }
  });

  test('a connection that goes silent is found dead and replaced, and nothing is missed', async () => {
    const proxy = await startFreezableProxy(stack.ports.imap);
    const base = settingsFor([{ address: users.raj.address, folders: ['inbox'] }], { recheckSeconds: 0.5, socketTimeoutSeconds: 1.5 }, proxy.port);
    const { lines, logger } = captureLogger();
    const source = new ImapMailSource({ settings: base, cursors: new MemoryCursors(), logger });
    const sink = new RecordingSink();
    await source.sync(sink);
    sink.clear();
    const stop = new AbortController();
    const watching = source.watch(sink, stop.signal);
    try {
      await eventually('the watcher to be connected', () => source.watchedFolders().length === 1);
      proxy.freeze();
      await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: users.raj.address, subject: 'Weir Road', id: '<silent-1@example.com>' }));
      // IDLE's news is swallowed: only the re-check, finding the connection dead, can bring it.
      await eventually('the message through a new connection', () => sink.messageIds().includes('<silent-1@example.com>'), 12_000);
      expect(lines.some((l) => l.level === 'warn' && l.message.includes('Watching the folder failed'))).toBe(true);
    } finally {
      stop.abort();
      await watching;
      await proxy.close();
    }
  });

  test('stopping ends a command that is waiting on a silent server', async () => {
    const proxy = await startFreezableProxy(stack.ports.imap);
    // The default socket timeout (5 minutes): only closing the connection can end the wait.
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.ben.address, folders: ['inbox'] }], { recheckSeconds: 0.3 }, proxy.port), cursors: new MemoryCursors() });
    const stop = new AbortController();
    const watching = source.watch(new RecordingSink(), stop.signal);
    try {
      await eventually('the watcher to be connected', () => source.watchedFolders().length === 1);
      proxy.freeze();
      await new Promise((r) => setTimeout(r, 800)); // a re-check is now stuck waiting for an answer
      stop.abort();
      const outcome = await Promise.race([watching.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still waiting'), 10_000))]);
      expect(outcome).toBe('stopped');
    } finally {
      stop.abort();
      await proxy.close();
      await watching;
    }
  });

  test('stops promptly when aborted', async () => {
    const source = new ImapMailSource({ settings: settingsFor([{ address: users.clerk.address, folders: ['inbox'] }]), cursors: new MemoryCursors() });
    const stop = new AbortController();
    const watching = source.watch(new RecordingSink(), stop.signal);
    await eventually('the watcher to be connected', () => source.watchedFolders().length === 1);
    stop.abort();
    await expect(watching).resolves.toBeUndefined();
  });
});

// Last: Dovecot makes the next logins from this address wait a few seconds after a failed one.
describe('a refused login', () => {
  test('is explained without showing the password', async () => {
    const settings = settingsFor([{ address: users.clerk.address, folders: ['inbox'] }]);
    const wrong = { ...settings, mailboxes: settings.mailboxes.map((m) => ({ ...m, credentials: { user: m.credentials.user, password: 'not-the-password' } })) };
    const source = new ImapMailSource({ settings: wrong, cursors: new MemoryCursors() });
    const error = await source.sync(new RecordingSink()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toContain(`refused the login for ${users.clerk.address}`);
    expect(String(error)).not.toContain('not-the-password');
  });
});
