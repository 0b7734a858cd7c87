/**
 * The assembled standards connector (createImapConnector) against the real stack: one pass
 * over mail and calendars, watching both, sending through SMTP, and a calendar outage.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DAVClient } from 'tsdav';
import { parseImapSettings, type ImapSettings } from '../../../connectors/imap/config.js';
import { createImapConnector } from '../../../connectors/imap/connector.js';
import { startMailStack, type MailStack } from '../../support/servers.js';
import { eventually, messageIdOf, MemoryCursors, rawMessage, RecordingSink } from './helpers.js';

const D = 'millbrook-tc.gov.uk';
const service = { address: `protocol@${D}`, password: 'service-Pa55' };
const clerk = { address: `clerk@${D}`, password: 'clerk-Pa55' };
const env = { WW_SERVICE: service.password, WW_CLERK: clerk.password };

let stack: MailStack;
let calendarUrl: string;

function settings(parts: { smtp?: boolean; caldav?: boolean } = { smtp: true, caldav: true }): ImapSettings {
  return parseImapSettings(
    {
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      password: '${WW_SERVICE}',
      mailboxes: { [clerk.address]: { password: '${WW_CLERK}' } },
      recheckSeconds: 0.5,
      backoff: { initialSeconds: 0.2, maxSeconds: 1 },
      ...(parts.smtp ? { smtp: { host: '127.0.0.1', port: stack.ports.smtp, password: '${WW_SERVICE}', plainLocal: true } } : {}),
      ...(parts.caldav
        ? { caldav: { url: stack.caldavUrl, user: service.address, password: '${WW_SERVICE}', calendars: { 'council-events': `/protocol%40${D}/council-events/` } } }
        : {}),
    },
    {
      councilName: 'Millbrook Town Council',
      serviceAddress: service.address,
      mailboxes: [
        { address: clerk.address, folders: ['inbox'] },
        { address: service.address, folders: ['inbox', 'sent'] },
      ],
      calendarIds: ['council-events'],
    },
    env,
  );
}

async function putEvent(name: string, uid: string, summary: string): Promise<void> {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook//Test//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20270301T090000Z', 'DTSTART:20270310T180000Z', `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
  const res = await fetch(`${calendarUrl}${name}`, {
    method: 'PUT',
    body: ics,
    headers: { authorization: 'Basic ' + Buffer.from(`${service.address}:${service.password}`).toString('base64'), 'content-type': 'text/calendar' },
  });
  expect(res.status).toBeLessThan(300);
}

function hasEvent(sink: RecordingSink, uid: string): boolean {
  return sink.calendar().some((r) => r.source.includes(`UID:${uid}`));
}

beforeAll(async () => {
  stack = await startMailStack({ users: [service, clerk] });
  const client = new DAVClient({ serverUrl: stack.caldavUrl, credentials: { username: service.address, password: service.password }, authMethod: 'Basic', defaultAccountType: 'caldav' });
  await client.login();
  calendarUrl = `${client.account?.homeUrl ?? ''}council-events/`;
  await client.makeCalendar({ url: calendarUrl, props: { displayname: 'Council events' } });
});

afterAll(async () => {
  await stack?.stop();
});

describe('the standards connector', () => {
  test('one pass reads mail and calendars and keeps a cursor for each', async () => {
    await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: clerk.address, subject: 'Hazel Avenue potholes', id: '<potholes-1@example.com>' }));
    await putEvent('fete.ics', 'fete-1@millbrook-tc.gov.uk', 'Summer fete planning');
    const cursors = new MemoryCursors();
    const connector = createImapConnector(settings(), cursors);
    try {
      expect(connector.name).toBe('imap');
      expect(connector.canSend).toBe(true);
      expect(connector.calendarIds).toEqual(['council-events']);
      const sink = new RecordingSink();
      await connector.sync(sink);
      expect(sink.messageIds()).toEqual(['<potholes-1@example.com>']);
      expect(sink.mail()[0]).toMatchObject({ mailbox: clerk.address, folder: 'inbox' });
      expect(hasEvent(sink, 'fete-1@millbrook-tc.gov.uk')).toBe(true);
      expect([...cursors.values.keys()].sort()).toEqual([
        'imap|caldav:council-events',
        `imap|${clerk.address}/inbox`,
        `imap|${service.address}/inbox`,
        `imap|${service.address}/sent`,
      ]);
      expect(connector.health().map((h) => h.source).sort()).toEqual([
        'imap:caldav/council-events',
        `imap:${clerk.address}/inbox`,
        `imap:${service.address}/inbox`,
        `imap:${service.address}/sent`,
      ]);
    } finally {
      await connector.close();
    }
  });

  test('watching: new mail by IDLE, its own sent mail in "sent", and calendar changes by polling', async () => {
    const cursors = new MemoryCursors();
    const connector = createImapConnector(settings(), cursors);
    const sink = new RecordingSink();
    await connector.sync(sink);
    sink.clear();
    const stop = new AbortController();
    const watching = connector.watch(sink, stop.signal);
    try {
      await connector.send({
        from: { address: service.address, name: 'Millbrook Town Council' },
        to: [{ address: clerk.address, name: 'Helen Ashworth' }],
        subject: 'Daily protocol digest',
        text: 'Good morning. Nothing needs your attention today.',
        messageId: '<digest-2027-03-01@wardwatch.millbrook-tc.gov.uk>',
        headers: { 'X-Wardwatch-Key': 'digest:2027-03-01' },
      });
      await eventually('the digest in the Clerk\'s inbox and in the service\'s Sent folder', () => {
        const seen = sink.mail().filter((r) => messageIdOf(r.source) === '<digest-2027-03-01@wardwatch.millbrook-tc.gov.uk>');
        return seen.some((r) => r.mailbox === clerk.address && r.folder === 'inbox') && seen.some((r) => r.mailbox === service.address && r.folder === 'sent');
      });
      await putEvent('walk.ics', 'walk-1@millbrook-tc.gov.uk', 'Riverside Park walkabout');
      await eventually('the new event', () => hasEvent(sink, 'walk-1@millbrook-tc.gov.uk'));
      expect(await connector.alreadySent?.('<digest-2027-03-01@wardwatch.millbrook-tc.gov.uk>')).toBe(true);
    } finally {
      stop.abort();
      await watching;
      await connector.close();
    }
  });

  test('a calendar outage: sync still reads the mail and then rejects; watching carries on and catches up', async () => {
    const connector = createImapConnector(settings(), new MemoryCursors());
    const sink = new RecordingSink();
    await connector.sync(sink);
    sink.clear();
    await stack.stopRadicale();
    let stop: AbortController | undefined;
    let watching: Promise<void> | undefined;
    try {
      await stack.deliver(rawMessage({ from: 'j.smith@example.com', to: clerk.address, subject: 'While the calendar is away', id: '<away-1@example.com>' }));
      await expect(connector.sync(sink)).rejects.toThrow(/Calendar "council-events": .*could not reach the calendar server/);
      expect(sink.messageIds()).toEqual(['<away-1@example.com>']);
      stop = new AbortController();
      watching = connector.watch(sink, stop.signal);
      await eventually('the outage to be noticed', () => connector.health().some((h) => h.source === 'imap:caldav/council-events' && h.lastError !== undefined && (h.lastSuccess ?? '') < h.lastError.at));
    } finally {
      await stack.startRadicale();
    }
    try {
      await putEvent('back.ics', 'back-1@millbrook-tc.gov.uk', 'Council back online');
      await eventually('the event made after the outage', () => hasEvent(sink, 'back-1@millbrook-tc.gov.uk'));
    } finally {
      stop?.abort();
      await watching;
      await connector.close();
    }
  });

  test('without SMTP or CalDAV settings it says what is missing', async () => {
    const connector = createImapConnector(settings({}), new MemoryCursors());
    try {
      expect(connector.canSend).toBe(false);
      expect(connector.calendarIds).toEqual([]);
      expect(connector.capabilities).toEqual({ addAttendees: false, declineBooking: false });
      expect(connector.alreadySent).toBeUndefined();
      await expect(
        connector.send({ from: { address: service.address }, to: [{ address: clerk.address }], subject: 's', text: 't', messageId: '<x@y.org>', headers: { 'X-Wardwatch-Key': 'k' } }),
      ).rejects.toThrow('Sending mail through the IMAP connector needs SMTP settings (connectors.imap.smtp).');
      await expect(connector.addAttendees({ calendarId: 'council-events', uid: 'u', origin: '/x.ics' }, [])).rejects.toThrow(
        'Adding attendees to an event needs the CalDAV settings (connectors.imap.caldav).',
      );
    } finally {
      await connector.close();
    }
  });
});
