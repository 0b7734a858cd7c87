/**
 * CalDAV against a real Radicale: incremental reading (sync-collection and ETags), adding
 * attendees with If-Match (and a 412 retried), declining a room booking, and an outage.
 * Invitations and replies travel through the real Postfix + Dovecot.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DAVClient } from 'tsdav';
import { CaldavSource } from '../../../connectors/imap/caldav.js';
import { parseImapSettings, type ImapSettings } from '../../../connectors/imap/config.js';
import { createImapConnector } from '../../../connectors/imap/connector.js';
import { PermanentEffectError } from '../../../src/outbox/outbox.js';
import type { EventRef } from '../../../src/sources/types.js';
import { attendeeParameters, contentLines } from '../../support/ics-lines.js';
import { startMailStack, type MailStack } from '../../support/servers.js';
import { folderSources, headerOf, MemoryCursors, RecordingSink, waitForMessage, type CalendarRecord } from './helpers.js';

const D = 'millbrook-tc.gov.uk';
const service = { address: `protocol@${D}`, password: 'service-Pa55' };
const clerk = { address: `clerk@${D}`, password: 'clerk-Pa55' };
const tom = { address: `tom.brown@${D}`, password: 'tom-Pa55' };
const alice = { address: `alice.green@${D}`, password: 'alice-Pa55' };
const chamber = `chamber@${D}`;
const env = { WW_SERVICE: service.password, WW_WRONG: 'not-the-password' };

let stack: MailStack;
let home: string;

function basic(user: { address: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${user.address}:${user.password}`).toString('base64');
}

function calendarUrl(id: string): string {
  return `${home}${id}/`;
}

async function putEvent(calendarId: string, name: string, ics: string): Promise<string> {
  const res = await fetch(`${calendarUrl(calendarId)}${name}`, { method: 'PUT', body: ics, headers: { authorization: basic(service), 'content-type': 'text/calendar' } });
  if (res.status >= 300) throw new Error(`PUT ${name} failed: ${res.status}`);
  return `${calendarUrl(calendarId)}${name}`;
}

async function getEvent(url: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: basic(service) } });
  return res.text();
}

function vevent(lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Millbrook//Test//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

function meeting(uid: string, summary: string, extra: string[] = []): string {
  return vevent([
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20270301T090000Z',
    'DTSTART:20270310T180000Z',
    'DTEND:20270310T193000Z',
    `SUMMARY:${summary}`,
    'LOCATION:Market Square',
    `ORGANIZER;CN=Helen Ashworth:mailto:${clerk.address}`,
    ...extra,
    'END:VEVENT',
  ]);
}

function settings(extra: { caldav?: Record<string, unknown>; recheckSeconds?: number } = {}): ImapSettings {
  return parseImapSettings(
    {
      host: '127.0.0.1',
      port: stack.ports.imap,
      secure: false,
      password: '${WW_SERVICE}',
      recheckSeconds: extra.recheckSeconds ?? 60,
      smtp: { host: '127.0.0.1', port: stack.ports.smtp, password: '${WW_SERVICE}', plainLocal: true },
      caldav: {
        url: stack.caldavUrl,
        user: service.address,
        password: '${WW_SERVICE}',
        calendars: {
          'council-events': `/protocol%40${D}/council-events/`,
          'council-chamber': `/protocol%40${D}/council-chamber/`,
        },
        ...extra.caldav,
      },
    },
    {
      councilName: 'Millbrook Town Council',
      serviceAddress: service.address,
      mailboxes: [],
      calendarIds: ['council-events', 'council-chamber', 'community-room'],
    },
    env,
  );
}

function calendarSource(s: ImapSettings, cursors = new MemoryCursors()): { source: CaldavSource; cursors: MemoryCursors } {
  if (!s.caldav) throw new Error('no caldav settings');
  return { source: new CaldavSource({ settings: s.caldav, source: 'imap', cursors }), cursors };
}

function uidsOf(records: CalendarRecord[]): string[] {
  return records.map((r) => /^UID:(.*)$/m.exec(r.source)?.[1]?.trim() ?? '').sort();
}

function ref(calendarId: string, uid: string, url: string, recurrenceId?: string): EventRef {
  return { calendarId, uid, origin: url, ...(recurrenceId ? { recurrenceId } : {}) };
}


beforeAll(async () => {
  stack = await startMailStack({ users: [service, clerk, tom, alice] });
  const client = new DAVClient({ serverUrl: stack.caldavUrl, credentials: { username: service.address, password: service.password }, authMethod: 'Basic', defaultAccountType: 'caldav' });
  await client.login();
  home = client.account?.homeUrl ?? '';
  for (const id of ['council-events', 'council-chamber']) {
    const made = await client.makeCalendar({ url: `${home}${id}/`, props: { displayname: id } });
    expect(made[0]?.status).toBe(201);
  }
});

afterAll(async () => {
  await stack?.stop();
});

describe('reading calendars', () => {
  test('sync-collection: sees new events, then only what changed', async () => {
    const first = await putEvent('council-events', 'castle.ics', meeting('castle-1@millbrook-tc.gov.uk', 'Castle Street public meeting'));
    await putEvent('council-events', 'riverside.ics', meeting('riverside-1@millbrook-tc.gov.uk', 'Riverside Park consultation'));
    const { source, cursors } = calendarSource(settings({ caldav: { syncMethod: 'auto' } }));
    const sink = new RecordingSink();
    await source.sync(sink);
    const events = sink.calendar().filter((r) => r.calendarId === 'council-events');
    expect(uidsOf(events)).toEqual(['castle-1@millbrook-tc.gov.uk', 'riverside-1@millbrook-tc.gov.uk']);
    const castle = events.find((r) => r.source.includes('castle-1@'));
    expect(castle).toMatchObject({ kind: 'calendar', calendarId: 'council-events', origin: first });
    expect(castle?.etag).toMatch(/^"[^"]+"$/);
    expect(JSON.parse((await cursors.getCursor('imap', 'caldav:council-events')) ?? '{}')).toMatchObject({ mode: 'sync' });

    sink.clear();
    await source.sync(sink);
    expect(sink.records).toEqual([]);

    await putEvent('council-events', 'castle.ics', meeting('castle-1@millbrook-tc.gov.uk', 'Castle Street public meeting (moved)'));
    await source.sync(sink);
    expect(uidsOf(sink.calendar())).toEqual(['castle-1@millbrook-tc.gov.uk']);
    expect(sink.calendar()[0]?.source).toContain('(moved)');
  });

  test('ETags: without sync-collection the CTag and ETags find the one changed event', async () => {
    await putEvent('council-chamber', 'budget.ics', meeting('budget-1@millbrook-tc.gov.uk', 'Budget working group'));
    await putEvent('council-chamber', 'planning.ics', meeting('planning-1@millbrook-tc.gov.uk', 'Planning committee'));
    const { source, cursors } = calendarSource(settings({ caldav: { syncMethod: 'etag' } }));
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(uidsOf(sink.calendar().filter((r) => r.calendarId === 'council-chamber'))).toEqual(['budget-1@millbrook-tc.gov.uk', 'planning-1@millbrook-tc.gov.uk']);
    const cursor = JSON.parse((await cursors.getCursor('imap', 'caldav:council-chamber')) ?? '{}');
    expect(cursor.mode).toBe('etag');
    expect(Object.keys(cursor.etags)).toHaveLength(2);

    sink.clear();
    await source.sync(sink);
    expect(sink.records).toEqual([]);

    await putEvent('council-chamber', 'planning.ics', meeting('planning-1@millbrook-tc.gov.uk', 'Planning committee (extra item)'));
    await source.sync(sink);
    expect(uidsOf(sink.calendar())).toEqual(['planning-1@millbrook-tc.gov.uk']);
  });

  test('a sync token the server no longer knows means reading the calendar afresh', async () => {
    const cursors = new MemoryCursors();
    await cursors.setCursor('imap', 'caldav:council-events', JSON.stringify({ mode: 'sync', token: 'http://radicale.org/ns/sync/0000' }));
    await cursors.setCursor('imap', 'caldav:council-chamber', JSON.stringify({ mode: 'sync', token: 'http://radicale.org/ns/sync/0000' }));
    const { source } = calendarSource(settings(), cursors);
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(uidsOf(sink.calendar().filter((r) => r.calendarId === 'council-events'))).toEqual(['castle-1@millbrook-tc.gov.uk', 'riverside-1@millbrook-tc.gov.uk']);
    expect(await cursors.getCursor('imap', 'caldav:council-events')).not.toContain('/0000');
  });

  for (const syncMethod of ['sync-collection', 'etag'] as const) {
    test(`an event deleted from the server is reported as removed (${syncMethod}), once`, async () => {
      const { source } = calendarSource(settings({ caldav: { syncMethod } }));
      const sink = new RecordingSink();
      await source.sync(sink);
      const url = await putEvent('council-chamber', `cancelled-${syncMethod}.ics`, meeting(`cancelled-${syncMethod}@millbrook-tc.gov.uk`, 'Budget working group (cancelled)'));
      await source.sync(sink);
      expect(sink.removals).toEqual([]);
      const res = await fetch(url, { method: 'DELETE', headers: { authorization: basic(service) } });
      expect(res.status).toBeLessThan(300);
      await source.sync(sink);
      expect(sink.removals).toEqual([{ kind: 'event', calendarId: 'council-chamber', reason: 'deleted', origin: url }]);
      await source.sync(sink);
      expect(sink.removals).toHaveLength(1);
    });
  }

  test('a calendar path that does not exist is named in the error', async () => {
    const { source } = calendarSource(settings({ caldav: { calendars: { 'community-room': `/protocol%40${D}/no-such-calendar/` } } }));
    await expect(source.sync(new RecordingSink())).rejects.toThrow(/Calendar "community-room": .*no-such-calendar.*HTTP 404/);
  });

  test('a refused password is explained without showing it', async () => {
    const { source } = calendarSource(settings({ caldav: { password: '${WW_WRONG}' } }));
    const error = await source.sync(new RecordingSink()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(error)).toContain(`refused access for ${service.address}`);
    expect(String(error)).not.toContain('not-the-password');
  });
});

describe('writing to events', () => {
  test('addAttendees adds the member with If-Match, bumps SEQUENCE and mails an iMIP invitation', async () => {
    const url = await putEvent('council-events', 'library.ics', meeting('library-1@millbrook-tc.gov.uk', 'Library opening hours: public meeting', ['SEQUENCE:2']));
    const connector = createImapConnector(settings(), new MemoryCursors());
    try {
      expect(connector.capabilities).toEqual({ addAttendees: true, declineBooking: true });
      await connector.addAttendees(ref('council-events', 'library-1@millbrook-tc.gov.uk', url), [{ address: tom.address, name: 'Cllr Tom Brown' }]);
      const stored = contentLines(await getEvent(url));
      expect(attendeeParameters(stored, tom.address)).toEqual({ CN: 'Cllr Tom Brown', ROLE: 'REQ-PARTICIPANT', PARTSTAT: 'NEEDS-ACTION', RSVP: 'TRUE', CUTYPE: 'INDIVIDUAL' });
      expect(stored).toContain('SEQUENCE:3');
      const invitation = await waitForMessage(stack.ports.imap, tom, 'INBOX', (s) => s.includes('Invitation: Library opening hours'));
      expect(invitation).toMatch(/method=REQUEST/);
      expect(invitation).toContain('UID:library-1@millbrook-tc.gov.uk');
      expect(headerOf(invitation, 'X-Wardwatch-Key')).toBe(`imip:REQUEST:library-1@millbrook-tc.gov.uk:${tom.address}`);

      // Asking again changes nothing and sends nothing new.
      await connector.addAttendees(ref('council-events', 'library-1@millbrook-tc.gov.uk', url), [{ address: tom.address }]);
      expect(contentLines(await getEvent(url)).filter((l) => l.startsWith('ATTENDEE'))).toHaveLength(1);
      expect(contentLines(await getEvent(url))).toContain('SEQUENCE:3');
      const copies = (await folderSources(stack.ports.imap, tom, 'INBOX')).filter((b) => b.toString('utf8').includes('Invitation: Library opening hours'));
      expect(copies).toHaveLength(1);
    } finally {
      await connector.close();
    }
  });

  test('a change made meanwhile makes the PUT fail with 412; it is read again and retried', async () => {
    const url = await putEvent('council-events', 'weir.ics', meeting('weir-1@millbrook-tc.gov.uk', 'Weir Road flooding meeting'));
    const statuses: number[] = [];
    let interfered = false;
    const racingFetch: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT' && !interfered) {
        interfered = true;
        // The organiser edits the event between Wardwatch's GET and PUT.
        await putEvent('council-events', 'weir.ics', meeting('weir-1@millbrook-tc.gov.uk', 'Weir Road flooding meeting', ['DESCRIPTION:Bring the flood maps']));
      }
      const res = await fetch(input, init);
      if (init?.method === 'PUT') statuses.push(res.status);
      return res;
    };
    const connector = createImapConnector(settings(), new MemoryCursors(), undefined, { fetch: racingFetch });
    try {
      await connector.addAttendees(ref('council-events', 'weir-1@millbrook-tc.gov.uk', url), [{ address: alice.address, name: 'Cllr Alice Green' }]);
    } finally {
      await connector.close();
    }
    expect(statuses[0]).toBe(412);
    expect(statuses[1]).toBeLessThan(300);
    const stored = contentLines(await getEvent(url));
    expect(stored).toContain('DESCRIPTION:Bring the flood maps');
    expect(stored.some((l) => l.startsWith('ATTENDEE') && l.endsWith(`mailto:${alice.address}`))).toBe(true);
  });

  test('an occurrence of a series: only that occurrence gets the attendee', async () => {
    const url = await putEvent(
      'council-events',
      'surgery.ics',
      vevent([
        'BEGIN:VEVENT',
        'UID:surgery-1@millbrook-tc.gov.uk',
        'DTSTAMP:20270301T090000Z',
        'DTSTART:20270301T100000Z',
        'DTEND:20270301T110000Z',
        'RRULE:FREQ=WEEKLY;COUNT=4',
        'SUMMARY:Castle ward surgery',
        `ORGANIZER:mailto:${clerk.address}`,
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:surgery-1@millbrook-tc.gov.uk',
        'RECURRENCE-ID:20270308T100000Z',
        'DTSTAMP:20270301T090000Z',
        'DTSTART:20270308T120000Z',
        'DTEND:20270308T130000Z',
        'SUMMARY:Castle ward surgery (moved)',
        `ORGANIZER:mailto:${clerk.address}`,
        'END:VEVENT',
      ]),
    );
    const connector = createImapConnector(settings(), new MemoryCursors());
    try {
      await connector.addAttendees(ref('council-events', 'surgery-1@millbrook-tc.gov.uk', url, '2027-03-08T10:00:00.000Z'), [{ address: alice.address }]);
    } finally {
      await connector.close();
    }
    const stored = (await getEvent(url)).replace(/\r?\n[ \t]/g, '');
    const [master, instance] = stored.split('END:VEVENT');
    expect(master).not.toContain(alice.address);
    expect(instance).toContain(`mailto:${alice.address}`);
    expect(instance).toContain('SEQUENCE:1');
  });

  test('declineBooking declines for the room with the reason, and tells the organiser', async () => {
    const url = await putEvent(
      'council-chamber',
      'surgery-chamber.ics',
      meeting('ward-surgery-1@millbrook-tc.gov.uk', 'Northfield ward surgery', [`ATTENDEE;CUTYPE=ROOM;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:${chamber}`, `ATTENDEE;PARTSTAT=ACCEPTED:mailto:${tom.address}`]),
    );
    const reason = 'Ward meetings are not held in the pre-election period (protocol paragraph 9.4b).';
    const connector = createImapConnector(settings(), new MemoryCursors());
    try {
      await connector.declineBooking(ref('council-chamber', 'ward-surgery-1@millbrook-tc.gov.uk', url), chamber, reason);
      await connector.declineBooking(ref('council-chamber', 'ward-surgery-1@millbrook-tc.gov.uk', url), chamber, reason);
    } finally {
      await connector.close();
    }
    const stored = contentLines(await getEvent(url));
    expect(attendeeParameters(stored, chamber)?.PARTSTAT).toBe('DECLINED');
    expect(attendeeParameters(stored, tom.address)?.PARTSTAT).toBe('ACCEPTED');
    expect(stored.filter((l) => l.startsWith('COMMENT:'))).toEqual([`COMMENT:${reason.replace(/,/g, '\\,')}`]);
    const reply = await waitForMessage(stack.ports.imap, clerk, 'INBOX', (s) => s.includes('Declined: Northfield ward surgery'));
    expect(reply).toMatch(/method=REPLY/);
    expect(reply).toContain('pre-election period');
  });

  test('an event known only by its UID (read from another calendar) is found on the room calendar by a calendar-query', async () => {
    // A UID that contains another's: the server's text-match is a substring match, the connector's check is exact.
    await putEvent('council-chamber', 'uid-lookup-decoy.ics', meeting('x-uid-lookup-1@millbrook-tc.gov.uk', 'Decoy', [`ATTENDEE;CUTYPE=ROOM:mailto:${chamber}`]));
    const url = await putEvent(
      'council-chamber',
      'uid-lookup.ics',
      meeting('uid-lookup-1@millbrook-tc.gov.uk', 'Castle ward surgery', [`ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:${chamber}`]),
    );
    const connector = createImapConnector(settings(), new MemoryCursors());
    try {
      await connector.declineBooking(ref('council-chamber', 'uid-lookup-1@millbrook-tc.gov.uk', ''), chamber, 'Pre-election period (9.4b).');
      const missing = connector.declineBooking(ref('council-chamber', 'no-such-uid@millbrook-tc.gov.uk', ''), chamber, 'Pre-election period (9.4b).');
      await expect(missing).rejects.toBeInstanceOf(PermanentEffectError);
      await expect(missing).rejects.toThrow('The event no-such-uid@millbrook-tc.gov.uk is not on the calendar council-chamber');
    } finally {
      await connector.close();
    }
    expect(attendeeParameters(contentLines(await getEvent(url)), chamber)?.PARTSTAT).toBe('DECLINED');
    const decoy = contentLines(await getEvent(`${calendarUrl('council-chamber')}uid-lookup-decoy.ics`));
    expect(attendeeParameters(decoy, chamber)?.PARTSTAT).toBeUndefined();
  });

  test('declineBooking cancels a booking the room organised and tells the attendees', async () => {
    const url = await putEvent(
      'council-chamber',
      'room-organised.ics',
      vevent([
        'BEGIN:VEVENT',
        'UID:room-booking-1@millbrook-tc.gov.uk',
        'DTSTAMP:20270301T090000Z',
        'DTSTART:20270320T180000Z',
        'DTEND:20270320T200000Z',
        'SUMMARY:Castle ward residents meeting',
        `ORGANIZER:mailto:${chamber}`,
        `ATTENDEE;CN=Cllr Alice Green;PARTSTAT=ACCEPTED:mailto:${alice.address}`,
        'END:VEVENT',
      ]),
    );
    const connector = createImapConnector(settings(), new MemoryCursors());
    try {
      await connector.declineBooking(ref('council-chamber', 'room-booking-1@millbrook-tc.gov.uk', url), chamber, 'Not in the pre-election period.');
    } finally {
      await connector.close();
    }
    const stored = contentLines(await getEvent(url));
    expect(stored).toContain('STATUS:CANCELLED');
    expect(stored).toContain('SEQUENCE:1');
    const notice = await waitForMessage(stack.ports.imap, alice, 'INBOX', (s) => s.includes('Cancelled: Castle ward residents meeting'));
    expect(notice).toMatch(/method=CANCEL/);
  });
});

describe('failures that trying again cannot cure', () => {
  test('are PermanentEffectErrors for the outbox: an event that is gone, a room not on the booking', async () => {
    const connector = createImapConnector(settings(), new MemoryCursors());
    try {
      const gone = connector.addAttendees(ref('council-events', 'gone-1@millbrook-tc.gov.uk', `${calendarUrl('council-events')}gone.ics`), [{ address: tom.address }]);
      await expect(gone).rejects.toBeInstanceOf(PermanentEffectError);
      await expect(gone).rejects.toThrow(/is no longer on the calendar server \(HTTP 404\)/);
      const url = await putEvent('council-chamber', 'no-room.ics', meeting('no-room-1@millbrook-tc.gov.uk', 'Meeting elsewhere'));
      const noRoom = connector.declineBooking(ref('council-chamber', 'no-room-1@millbrook-tc.gov.uk', url), chamber, 'Pre-election period.');
      await expect(noRoom).rejects.toBeInstanceOf(PermanentEffectError);
      await expect(noRoom).rejects.toThrow(`The room ${chamber} is neither an attendee nor the organiser`);
    } finally {
      await connector.close();
    }
  });
});

// Last: it stops and starts Radicale.
describe('an outage', () => {
  test('Radicale stopped: sync rejects with a clear error, and recovers when it is back', async () => {
    const { source } = calendarSource(settings());
    await source.sync(new RecordingSink());
    await stack.stopRadicale();
    try {
      await expect(source.sync(new RecordingSink())).rejects.toThrow(/Calendar "council-events": Could not .*: could not reach the calendar server at http:\/\/127\.0\.0\.1:\d+\/.*the connection was refused/);
      expect(source.health().find((h) => h.source === 'imap:caldav/council-events')?.lastError?.message).toContain('connection was refused');
    } finally {
      await stack.startRadicale();
    }
    await putEvent('council-events', 'after.ics', meeting('after-1@millbrook-tc.gov.uk', 'After the outage'));
    const sink = new RecordingSink();
    await source.sync(sink);
    expect(uidsOf(sink.calendar())).toEqual(['after-1@millbrook-tc.gov.uk']);
  });
});
